import io
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from evaluations.services.excel import SHEET_BASIC, SHEET_FUNDS, SHEET_PROFILE, SHEET_SCORE
from tests.helpers import import_example

pytestmark = pytest.mark.django_db

JUNSHAN = "中共岳阳市君山区委办公室"


@pytest.fixture
def filing():
    return import_example("junshan-2023")


def export(*args):
    stdout = StringIO()
    call_command(
        "filing_export",
        "--department",
        JUNSHAN,
        "--year",
        "2023",
        "--format",
        "xlsx",
        *args,
        stdout=stdout,
        stderr=StringIO(),
    )
    return stdout.getvalue()


def test_xlsx_is_written_to_the_output_file(tmp_path, filing):
    path = tmp_path / "君山.xlsx"

    output = export("-o", str(path))

    assert output.strip() == f"已导出：{JUNSHAN} 2023年度 → {path}"
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    assert book.sheetnames == [SHEET_PROFILE, SHEET_FUNDS, SHEET_BASIC, SHEET_SCORE, "附件3-1"]
    assert book[SHEET_PROFILE]["B3"].value == JUNSHAN


def test_xlsx_is_not_written_to_standard_output(filing):
    with pytest.raises(CommandError) as caught:
        export()

    assert caught.value.returncode == 2
    assert "请用 -o 指定输出文件路径" in str(caught.value)


def test_an_exported_workbook_imports_back_without_change(tmp_path, filing):
    path = tmp_path / "君山.xlsx"
    export("-o", str(path))
    stdout = StringIO()

    call_command(
        "filing_import_xlsx", str(path), "--department", JUNSHAN, "--year", "2023", stdout=stdout
    )

    assert stdout.getvalue().startswith("无变化")


def test_an_unwritable_output_exits_1(tmp_path, filing):
    with pytest.raises(CommandError) as caught:
        export("-o", str(tmp_path / "missing-folder" / "君山.xlsx"))

    assert caught.value.returncode == 1
    assert "无法写入文件" in str(caught.value)

import io
from decimal import Decimal
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from evaluations.models import Filing
from evaluations.services.excel import (
    SHEET_FUNDS,
    SHEET_PROFILE,
    blank_workbook,
    filing_workbook,
)
from tests.evaluations.services import excel_hostile as hostile
from tests.factories import DepartmentFactory, JurisdictionFactory
from tests.helpers import import_example

pytestmark = pytest.mark.django_db

JUNSHAN = "中共岳阳市君山区委办公室"


@pytest.fixture
def filing():
    return import_example("junshan-2023")


def edited(data, sheet, coord, value):
    book = openpyxl.load_workbook(io.BytesIO(data))
    book[sheet][coord] = value
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def write(tmp_path, data, name="自评.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run_import(path, *args, department=JUNSHAN, year="2023"):
    stdout = StringIO()
    call_command(
        "filing_import_xlsx",
        str(path),
        "--department",
        department,
        "--year",
        year,
        *args,
        stdout=stdout,
        stderr=StringIO(),
    )
    return stdout.getvalue()


def refused(path, *args, **kwargs):
    with pytest.raises(CommandError) as caught:
        run_import(path, *args, **kwargs)
    assert caught.value.returncode == 1
    return str(caught.value)


def reloaded(filing):
    return Filing.objects.get(pk=filing.pk)


def test_a_changed_workbook_is_imported_with_its_counts(tmp_path, filing):
    data = edited(filing_workbook(filing=filing), SHEET_FUNDS, "C3", 1020)

    output = run_import(write(tmp_path, data))

    after = reloaded(filing)
    assert output.strip() == (
        f"已导入：{JUNSHAN} 2023年度（草稿，第 2 版），1 处修改，"
        f"错误 {after.error_count} 项，警告 {after.warning_count} 项"
    )
    assert after.funds.full_year_budget == Decimal("1020.00")


def test_an_unchanged_workbook_writes_nothing(tmp_path, filing):
    output = run_import(write(tmp_path, filing_workbook(filing=filing)))

    assert output.startswith(f"无变化：{JUNSHAN} 2023年度与工作簿一致，未写入，错误 ")
    assert reloaded(filing).version == filing.version


def test_dry_run_lists_the_changes_and_writes_nothing(tmp_path, filing):
    data = edited(filing_workbook(filing=filing), SHEET_FUNDS, "C3", 1020)

    output = run_import(write(tmp_path, data), "--dry-run")

    assert "全年预算数：1013.19 → 1020.00" in output
    assert "试运行" in output and "未写入" in output
    assert reloaded(filing).funds.full_year_budget == Decimal("1013.19")


def test_a_formula_exits_1_naming_sheet_and_cell(tmp_path, filing):
    data = edited(filing_workbook(filing=filing), SHEET_FUNDS, "C3", "=B3*2")

    message = refused(write(tmp_path, data))

    assert "工作表“年度资金”单元格 C3：全年预算数含公式，请改为数值。" in message
    assert reloaded(filing).version == filing.version


def test_an_xls_file_exits_1(tmp_path, filing):
    message = refused(write(tmp_path, hostile.xls_bytes(), name="自评.xls"))

    assert "Excel 或 WPS 表格" in message and "另存为”Excel 工作簿（.xlsx）" in message
    assert reloaded(filing).version == filing.version


def test_a_workbook_of_another_department_exits_1(tmp_path, filing):
    other = import_example("beita-2023")

    message = refused(write(tmp_path, filing_workbook(filing=other)))

    assert "工作表“部门基本情况”单元格 B3" in message
    assert reloaded(filing).version == filing.version


def test_a_submitted_filing_is_not_overwritten(tmp_path, filing):
    data = edited(filing_workbook(filing=filing), SHEET_FUNDS, "C3", 1020)
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.SUBMITTED)

    message = refused(write(tmp_path, data))

    assert "已报送" in message and "只有草稿或已退回的填报可以导入" in message
    assert reloaded(filing).funds.full_year_budget == Decimal("1013.19")


def test_a_missing_file_exits_1(tmp_path, filing):
    assert "无法读取文件" in refused(tmp_path / "nothing.xlsx")


def test_an_unknown_department_exits_1(tmp_path):
    message = refused(tmp_path / "x.xlsx", department="不存在的部门")

    assert "找不到预算部门“不存在的部门”" in message


def test_a_department_without_a_filing_gets_one_from_a_filled_blank_template(tmp_path):
    department = DepartmentFactory(name="区统计局", jurisdiction=JurisdictionFactory(name="某区"))
    data = edited(blank_workbook(department=department, fiscal_year=2023), SHEET_FUNDS, "C3", 88)
    data = edited(data, SHEET_PROFILE, "B9", "内设机构3个。")

    output = run_import(write(tmp_path, data), "--jurisdiction", "某区", department="区统计局")

    assert output.startswith("已导入：区统计局 2023年度（新建，草稿），错误 ")
    filing = Filing.objects.get(department=department, fiscal_year__year=2023)
    assert filing.status == Filing.Status.DRAFT
    assert filing.funds.full_year_budget == Decimal("88.00")
    assert filing.profile.organization == "内设机构3个。"


def test_every_bad_cell_is_listed_and_nothing_is_written(tmp_path, filing):
    data = filing_workbook(filing=filing)
    for sheet, coord, value in (
        (SHEET_FUNDS, "C3", "=B3*2"),
        (SHEET_FUNDS, "D3", "很多"),
        (SHEET_FUNDS, "E3", 10.555),
    ):
        data = edited(data, sheet, coord, value)

    lines = refused(write(tmp_path, data)).splitlines()

    assert lines[0].endswith("共 3 处问题：")
    assert lines[1:] == [
        "工作表“年度资金”单元格 C3：全年预算数含公式，请改为数值。",
        "工作表“年度资金”单元格 D3：全年执行数不是数字：“很多”。",
        "工作表“年度资金”单元格 E3：分值最多两位小数，实际为 10.555。",
    ]
    assert reloaded(filing).version == filing.version

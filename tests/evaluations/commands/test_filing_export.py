import json
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from departments.models import Department, Jurisdiction

DEMO = Path(settings.BASE_DIR) / "evaluations" / "fixtures" / "demo"
BEITA = ("beita-2023.json", "邵阳市北塔区人民政府办公室")
JUNSHAN = ("junshan-2023.json", "中共岳阳市君山区委办公室")

pytestmark = pytest.mark.django_db

AMOUNT = re.compile(r"-?\d+(\.\d+)?")


def normalised(value):
    """The document with what the format treats alike made equal: null, "",
    a missing key, an empty list and an object with nothing filled in are all
    "not filled in"; decimal strings compare by value."""
    if isinstance(value, dict):
        items = {key: normalised(item) for key, item in value.items()}
        items = {key: item for key, item in items.items() if item is not None}
        return items or None
    if isinstance(value, list):
        return [normalised(item) for item in value] or None
    if value is None or value == "":
        return None
    if isinstance(value, str) and AMOUNT.fullmatch(value):
        return Decimal(value)
    return value


def export(*args):
    stdout = StringIO()
    call_command("filing_export", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def import_example(name):
    call_command("filing_import", str(DEMO / name), stdout=StringIO())


def source(name):
    return json.loads((DEMO / name).read_text(encoding="utf-8"))


def test_normalising_comparer_tells_real_differences():
    assert normalised({"a": None, "b": "", "c": []}) == normalised({})
    assert normalised({"x": "1.50"}) == normalised({"x": "1.5"})
    assert normalised({"x": "1.50"}) != normalised({"x": "1.51"})
    assert normalised({"x": "文字"}) != normalised({"x": "文"})


@pytest.mark.parametrize(("name", "department"), [BEITA, JUNSHAN])
def test_export_after_import_gives_back_the_source_document(name, department):
    import_example(name)

    exported = json.loads(export("--department", department, "--year", "2023", "--format", "json"))

    assert "computed" in exported
    del exported["computed"]
    # The /1 example comes back as /2, naming the filing's form template.
    assert exported.pop("format") == "perfeval-filing/2"
    assert exported.pop("form_template") == {"code": "hunan-overall", "version": "2023"}
    expected = source(name)
    assert expected.pop("format") == "perfeval-filing/1"
    assert normalised(exported) == normalised(expected)


def test_json_goes_to_stdout_readable_and_indented():
    import_example(BEITA[0])

    output = export("--department", BEITA[1], "--year", "2023", "--format", "json")

    assert '  "fiscal_year": 2023,' in output
    assert "邵阳市北塔区人民政府办公室" in output


def test_json_goes_to_the_output_file_in_utf8(tmp_path):
    import_example(BEITA[0])
    path = tmp_path / "out.json"

    output = export("--department", BEITA[1], "--year", "2023", "--format", "json", "-o", str(path))

    assert "已导出" in output
    assert json.loads(path.read_text(encoding="utf-8"))["department"]["name"] == BEITA[1]


def test_beita_export_carries_reference_figures():
    import_example(BEITA[0])

    computed = json.loads(export("--department", BEITA[1], "--year", "2023"))["computed"]

    assert computed["total_score"] == "97.00"
    assert computed["grade"] == "优"
    assert computed["staffing_control_rate"] == "156.52"
    assert {error["code"] for error in computed["errors"]} == {
        "actual_missing",
        "deviation_missing",
        "contact_missing",  # 联系电话 and 单位负责人 are blank in the example
    }


def test_junshan_export_carries_reference_figures():
    import_example(JUNSHAN[0])

    computed = json.loads(export("--department", JUNSHAN[1], "--year", "2023"))["computed"]

    assert computed["total_score"] == "99.00"
    assert computed["projects"][0]["total_score"] == "98.00"
    assert [(error["code"], error["where"]) for error in computed["errors"]] == [
        ("deviation_missing", "indicators[7]"),
        ("deviation_missing", "projects[0].indicators[6]"),
        # The example's 填报信息 is blank, as in the published filing.
        ("contact_missing", "contact.preparer"),
        ("contact_missing", "contact.phone"),
        ("contact_missing", "contact.head"),
    ]


def test_pdf_is_written_to_the_output_file(tmp_path):
    import_example(BEITA[0])
    target = tmp_path / "beita.pdf"

    export("--department", BEITA[1], "--year", "2023", "--format", "pdf", "-o", str(target))

    assert target.read_bytes().startswith(b"%PDF")


def test_pdf_with_official_document_page_numbers(tmp_path):
    import subprocess

    import_example(BEITA[0])
    target = tmp_path / "beita.pdf"

    export(
        "--department", BEITA[1], "--year", "2023", "--format", "pdf",
        "--page-numbers", "gbt9704", "-o", str(target),
    )  # fmt: skip

    page_two = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(target), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "—2—" in page_two.replace(" ", "")
    assert "第 2 页" not in page_two


def test_pdf_needs_an_output_file():
    import_example(BEITA[0])

    with pytest.raises(CommandError) as caught:
        export("--department", BEITA[1], "--year", "2023", "--format", "pdf")

    assert caught.value.returncode == 2
    assert "-o" in str(caught.value)


def test_unknown_department_is_refused():
    with pytest.raises(CommandError) as caught:
        export("--department", "不存在的部门", "--year", "2023")

    assert caught.value.returncode == 1
    assert "找不到预算部门“不存在的部门”" in str(caught.value)


def test_year_without_a_filing_is_refused():
    import_example(BEITA[0])

    with pytest.raises(CommandError) as caught:
        export("--department", BEITA[1], "--year", "2024")

    assert caught.value.returncode == 1
    assert "没有 2024 年度的自评" in str(caught.value)


def test_department_name_in_two_jurisdictions_needs_the_jurisdiction():
    import_example(BEITA[0])
    Department.objects.create(name=BEITA[1], jurisdiction=Jurisdiction.objects.create(name="别处"))

    with pytest.raises(CommandError) as caught:
        export("--department", BEITA[1], "--year", "2023")
    output = export("--department", BEITA[1], "--jurisdiction", "邵阳市北塔区", "--year", "2023")

    assert caught.value.returncode == 1
    assert "--jurisdiction" in str(caught.value)
    assert json.loads(output)["department"]["jurisdiction"] == "邵阳市北塔区"

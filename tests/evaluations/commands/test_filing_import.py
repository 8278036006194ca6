import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from departments.models import Department, Jurisdiction
from evaluations.management.commands.filing_import import Command
from evaluations.models import Filing, FiscalYear, Indicator, Project

DEMO = Path(settings.BASE_DIR) / "evaluations" / "fixtures" / "demo"
BEITA = "beita-2023.json"
JUNSHAN = "junshan-2023.json"

pytestmark = pytest.mark.django_db


def example(name=BEITA):
    return json.loads((DEMO / name).read_text(encoding="utf-8"))


def write(tmp_path, content, name="filing.json"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


def run_import(path, *args):
    stdout = StringIO()
    call_command("filing_import", str(path), *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def row_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Filing, Indicator, Project, Department, Jurisdiction, FiscalYear)
    }


def refused(path, *args):
    """Run the import expecting a refusal; return the message."""
    with pytest.raises(CommandError) as caught:
        run_import(path, *args)
    assert caught.value.returncode == 1
    return str(caught.value)


def test_beita_example_imports_as_a_draft_with_its_findings():
    output = run_import(DEMO / BEITA)

    assert output.startswith("已导入：邵阳市北塔区人民政府办公室 2023年度（草稿），错误 ")
    filing = Filing.objects.get()
    assert filing.status == Filing.Status.DRAFT
    assert filing.indicators.count() == 10


def test_junshan_example_reports_its_five_errors():
    output = run_import(DEMO / JUNSHAN)

    # One deviation_missing per score table, and 填表人, 联系电话, 单位负责人 blank.
    assert "已导入：中共岳阳市君山区委办公室 2023年度（草稿），错误 5 项，警告 " in output
    assert Project.objects.get().indicators.count() == 11


def with_change(change):
    raw = example()
    change(raw)
    return raw


def set_in(raw, path, value):
    *parents, last = path
    for key in parents:
        raw = raw[key]
    raw[last] = value


MALFORMED = {
    "not_json": (b'{"format": "perfeval-filing/1",', "$"),
    "not_utf8": ('{"format": "perfeval-filing/1"}'.encode("gbk") + "部门".encode("gbk"), "$"),
    "top_level_array": (b"[]", "$"),
    "wrong_format": (
        with_change(lambda raw: set_in(raw, ["format"], "perfeval-filing/3")),
        "format",
    ),
    "year_20233": (with_change(lambda raw: set_in(raw, ["fiscal_year"], 20233)), "fiscal_year"),
    "year_as_text": (with_change(lambda raw: set_in(raw, ["fiscal_year"], "2023")), "fiscal_year"),
    "object_where_text_goes": (
        with_change(lambda raw: set_in(raw, ["profile", "functions"], {"text": "…"})),
        "profile.functions",
    ),
    "array_where_object_goes": (
        with_change(lambda raw: set_in(raw, ["funds", "by_source"], [])),
        "funds.by_source",
    ),
    "bool_where_count_goes": (
        with_change(lambda raw: set_in(raw, ["staffing", "actual"], True)),
        "staffing.actual",
    ),
    "unknown_top_level_key": (
        with_change(lambda raw: set_in(raw, ["remarks"], "备注")),
        "remarks",
    ),
    "unknown_nested_key": (
        with_change(lambda raw: set_in(raw, ["indicators", 3, "weigth"], "5")),
        "indicators[3].weigth",
    ),
    "negative_amount": (
        with_change(lambda raw: set_in(raw, ["funds", "by_source", "other"], "-1.00")),
        "funds.by_source.other",
    ),
    "text_where_weight_goes": (
        with_change(lambda raw: set_in(raw, ["indicators", 3, "weight"], "abc")),
        "indicators[3].weight",
    ),
    "ten_megabyte_text": (
        with_change(lambda raw: set_in(raw, ["report", "problems"], "问" * 10_000_000)),
        "report.problems",
    ),
    "indicator_without_level1": (
        with_change(lambda raw: raw["indicators"][3].pop("level1")),
        "indicators[3].level1",
    ),
    "three_decimal_places": (
        with_change(lambda raw: set_in(raw, ["funds", "executed"], "1007.305")),
        "funds.executed",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_file_is_refused_naming_the_path_and_writes_nothing(case, tmp_path):
    content, json_path = MALFORMED[case]
    before = row_counts()

    message = refused(write(tmp_path, content))

    assert message.startswith(f"导入失败：{json_path}: ")
    assert row_counts() == before


def test_indicator_without_level1_says_so_in_chinese(tmp_path):
    raw = example()
    del raw["indicators"][3]["level1"]

    message = refused(write(tmp_path, raw))

    assert "indicators[3].level1: 缺少一级指标" in message


def test_not_json_message_gives_line_and_column(tmp_path):
    message = refused(write(tmp_path, b'{\n"format": "perfeval-filing/1",\n}'))

    assert "第 3 行第 1 列" in message


def test_missing_file_is_refused(tmp_path):
    message = refused(tmp_path / "missing.json")

    assert "无法读取文件" in message


def test_duplicate_filing_without_replace_is_refused_and_unchanged(tmp_path):
    run_import(DEMO / BEITA)
    raw = example()
    raw["indicators"] = raw["indicators"][:3]
    before = row_counts()

    message = refused(write(tmp_path, raw))

    assert "已存在" in message
    assert "--replace" in message
    assert row_counts() == before


@pytest.mark.parametrize("status", [Filing.Status.SUBMITTED, Filing.Status.PUBLISHED])
def test_replace_of_a_filing_no_longer_a_draft_is_refused(status, tmp_path):
    run_import(DEMO / BEITA)
    Filing.objects.filter(department__name="邵阳市北塔区人民政府办公室").update(status=status)
    raw = example()
    raw["indicators"] = raw["indicators"][:3]
    before = row_counts()

    message = refused(write(tmp_path, raw), "--replace")

    assert "不能覆盖" in message
    assert row_counts() == before
    assert Filing.objects.get().version == 1


def test_replace_of_a_draft_replaces_its_content(tmp_path):
    run_import(DEMO / BEITA)
    raw = example()
    raw["indicators"] = raw["indicators"][:3]
    raw["staffing"]["actual"] = 24

    output = run_import(write(tmp_path, raw), "--replace")

    filing = Filing.objects.get()
    assert "第 2 版" in output
    assert filing.version == 2
    assert filing.indicators.count() == 3
    assert filing.profile.actual == 24


def test_every_bad_value_is_listed_one_a_line_and_nothing_is_written(tmp_path):
    raw = example()
    raw["funds"]["executed"] = "1007.305"
    raw["indicators"][3]["weight"] = "十分"
    raw["contact"]["date"] = "2024年7月30日"
    before = row_counts()

    message = refused(write(tmp_path, raw))

    assert message.splitlines()[1:] == [
        "funds.executed: 金额最多两位小数，实际为 1007.305。",
        "indicators[3].weight: 应为金额数字（如 “1007.30”），实际为 “十分”。",
        "contact.date: 日期格式应为 YYYY-MM-DD，实际为 “2024年7月30日”。",
    ]
    assert message.splitlines()[0].endswith("共 3 处问题：")
    assert row_counts() == before


def test_sixty_bad_values_print_fifty_and_count_the_rest(tmp_path):
    raw = example()
    raw["indicators"] = [{**raw["indicators"][0], "score": "好"} for _ in range(60)]

    lines = refused(write(tmp_path, raw)).splitlines()

    assert len(lines) == 52
    assert lines[-1] == "另有 10 处未列出。"
    assert not Filing.objects.exists()


def test_the_command_creates_the_missing_jurisdiction_department_and_year():
    # Run by an administrator at the server, unlike the web import.
    run_import(DEMO / BEITA)

    department = Department.objects.get(name="邵阳市北塔区人民政府办公室")
    assert department.jurisdiction.name == "邵阳市北塔区"
    assert FiscalYear.objects.get(year=2023).is_open


def test_help_says_the_command_creates_what_is_missing():
    assert "不存在时会新建" in Command.help


def test_replace_of_a_returned_filing_replaces_its_content(tmp_path):
    run_import(DEMO / BEITA)
    Filing.objects.update(status=Filing.Status.RETURNED)
    raw = example()
    raw["indicators"] = raw["indicators"][:3]

    output = run_import(write(tmp_path, raw), "--replace")

    filing = Filing.objects.get()
    assert "第 2 版" in output
    assert (filing.status, filing.indicators.count()) == (Filing.Status.RETURNED, 3)


def test_a_lone_surrogate_or_nul_is_refused_with_its_path(tmp_path):
    raw = example()
    raw["profile"]["functions"] = "职能\ud800"
    raw["contact"]["head"] = "王\x00"
    path = tmp_path / "escaped.json"
    path.write_text(json.dumps(raw), encoding="ascii")

    message = refused(path)

    assert "profile.functions: 文字中有无法保存的字符 \\ud800" in message
    assert "contact.head: 文字中有无法保存的字符 \\u0000" in message
    assert not Filing.objects.exists()

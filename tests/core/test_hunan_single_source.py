"""The Hunan 附件1 rows are declared once, in hunan-overall@2023.json (STYLE.md 14).

Every other place reads them through evaluations.core.hunan; a literal spelling
of a 附件1 label anywhere else in the evaluations package is a second
declaration that would drift from the template.
"""

import ast
import json
from pathlib import Path

import pytest

import evaluations
from evaluations.core import hunan
from evaluations.core.template import (
    Narrative,
    TemplateError,
    template_from_json,
    template_to_json,
)
from evaluations.form_templates import shipped_template_bytes

PACKAGE = Path(evaluations.__file__).resolve().parent
# The one module allowed to name them (it reads them from the template), and
# the migrations, which freeze the choices as they were when written.
ALLOWED = {PACKAGE / "core" / "hunan.py"}
FROZEN = PACKAGE / "migrations"


def shipped_hunan() -> dict:
    return json.loads(shipped_template_bytes("hunan-overall@2023"))


def distinctive_labels(raw: dict) -> set[str]:
    """The 附件1 row labels that name nothing else in the template: "项目支出" and
    "公用经费" are also 年度资金 header fields, whose own code may spell them."""
    template = template_from_json(raw)
    others = {field.label for field in template.header}
    labels = set(hunan.basic_row_labels(template).values())
    return labels - others


def string_literals(path: Path) -> set[str]:
    """Every string constant of a Python file (f-string parts included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def second_spellings(labels: set[str]) -> list[tuple[str, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in ALLOWED or FROZEN in path.parents:
            continue
        for label in sorted(labels & string_literals(path)):
            found.append((str(path.relative_to(PACKAGE)), label))
    return found


def test_no_basic_data_label_is_spelled_outside_the_template():
    labels = distinctive_labels(shipped_hunan())
    assert len(labels) == 11
    assert second_spellings(labels) == []


def test_a_label_spelled_in_code_is_found(tmp_path, monkeypatch):
    module = tmp_path / "evaluations" / "services" / "spelled.py"
    module.parent.mkdir(parents=True)
    module.write_text('ROWS = {"vehicle": "1、公务用车购置和维护经费"}\n', encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path / "evaluations")
    monkeypatch.setattr(f"{__name__}.FROZEN", tmp_path / "evaluations" / "migrations")

    assert second_spellings({"1、公务用车购置和维护经费"}) == [
        ("services/spelled.py", "1、公务用车购置和维护经费")
    ]


def test_a_label_inside_a_sentence_or_a_migration_is_not_a_second_spelling(tmp_path, monkeypatch):
    package = tmp_path / "evaluations"
    (package / "migrations").mkdir(parents=True)
    (package / "migrations" / "0001_initial.py").write_text(
        'CHOICES = [("office", "其中：办公费")]\n', encoding="utf-8"
    )
    (package / "help.py").write_text('TEXT = "除附件1“其中：办公费”外"\n', encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.PACKAGE", package)
    monkeypatch.setattr(f"{__name__}.FROZEN", package / "migrations")

    assert second_spellings({"其中：办公费"}) == []


def test_labels_shared_with_header_fields_are_not_counted():
    raw = shipped_hunan()
    labels = distinctive_labels(raw)
    assert "项目支出" not in labels
    assert "公用经费" not in labels
    assert "部门基本支出预算调整" in labels


def test_the_code_reads_the_rows_from_the_shipped_template():
    """Renaming a row in the template renames it where the code reads it."""
    raw = shipped_hunan()
    rows = raw["tables"][0]["groups"][0]["rows"]
    assert [row["key"] for row in rows] == list(hunan.BASIC_ROW_KEYS)
    assert {row["key"]: row["label"] for row in rows} == hunan.BASIC_ROW_LABELS
    assert {row["key"]: row.get("indent", 0) for row in rows} == hunan.BASIC_ROW_INDENT
    assert {row["key"] for row in rows if row.get("allow_negative")} == hunan.SIGNED_BASIC_ROWS

    rows[4]["label"] = "2、因公出国（境）经费"
    rows[3]["indent"] = 2
    changed = template_from_json(raw)
    assert hunan.basic_row_labels(changed)["overseas"] == "2、因公出国（境）经费"
    assert hunan.basic_row_indent(changed)["vehicle_operation"] == 2


def test_row_indent_outside_0_to_4_or_not_an_integer_is_refused():
    raw = shipped_hunan()
    rows = raw["tables"][0]["groups"][0]["rows"]
    rows[1]["indent"] = 5
    rows[2]["indent"] = "2"
    rows[3]["indent"] = -1

    with pytest.raises(TemplateError) as refused:
        template_from_json(raw)

    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("tables[0].groups[0].rows[1].indent", "应在0至4之间，实际为5。"),
        ("tables[0].groups[0].rows[2].indent", "应为整数，实际为“2”。"),
        ("tables[0].groups[0].rows[3].indent", "应在0至4之间，实际为-1。"),
    ]


def test_row_indent_survives_a_round_trip_and_zero_is_not_written():
    written = template_to_json(hunan.HUNAN_TEMPLATE)
    rows = written["tables"][0]["groups"][0]["rows"]

    assert rows[3]["indent"] == 3
    assert "indent" not in rows[0]
    assert template_from_json(written) == hunan.HUNAN_TEMPLATE


def test_required_sections_are_named_by_number_heading_and_title():
    assert hunan.REQUIRED_REPORT_SECTIONS == (
        ("budget_overview", "自评报告“二、一般公共预算支出情况”的预算执行总体情况"),
        ("performance_conclusion", "自评报告“六、部门整体支出绩效情况”的综合评价结论"),
        ("problems", "自评报告“七、存在的问题及原因分析”"),
        ("improvements", "自评报告“八、下一步改进措施”"),
    )
    part = Narrative(key="x", title="（二）评价指标分析", number="六", heading="绩效情况")
    assert hunan.required_section_label(part) == "自评报告“六、绩效情况”的评价指标分析"

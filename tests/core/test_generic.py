"""evaluations.core.generic: the perfeval-filing/2 document of generic templates,
its scoring, checks, missing parts and change lists."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from evaluations.core.generic import (
    ADDED,
    UNTRACEABLE_NOTE,
    Change,
    DocumentError,
    MissingPart,
    generic_changes,
    generic_document_from_json,
    generic_document_to_json,
    generic_missing_parts,
    generic_score,
    generic_validate,
)
from evaluations.core.template import TemplateError, template_from_bytes, template_from_json
from evaluations.form_templates import shipped_template_bytes

FIXTURE = Path(__file__).parent / "fixtures" / "worked_example_template.json"


def template_raw() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def template(**scoring) -> object:
    raw = template_raw()
    raw["scoring"].update(scoring)
    return template_from_json(raw)


def filing(rows: list[dict], **extra) -> dict:
    return {
        "format": "perfeval-filing/2",
        "form_template": {"code": "test-worked-example", "version": "1"},
        "fiscal_year": 2023,
        "department": {"name": "测试局", "jurisdiction": "测试县", "code": ""},
        "header": {"unit_name": "测试局"},
        "tables": {"main": rows},
        "narrative": {"summary": "完成"},
        "contact": {"preparer": "张三", "phone": "123", "date": "2024-01-02", "head": "李四"},
        **extra,
    }


def row(key, score=None, **fields) -> dict:
    cells = dict(fields.pop("cells", {}), category="基本型")
    if score is not None:
        cells["score"] = score
    return {"row": key, "cells": cells, **fields}


WORKED_ROWS = [
    row("a", "8"),
    row("b", not_applicable=True, reason="本年无此业务"),
    row("c", "27"),
    row("d", "35"),
]


def scored(rows, tmpl=None, **extra):
    tmpl = tmpl or template()
    document = generic_document_from_json(filing(rows, **extra), tmpl)
    return document, generic_score(document, tmpl)


def test_forms_worked_example_normalizes_by_applicable_maximum():
    # FORMS.md: maxima 10, 20, 30, 40; the 20 is 不适用; scores 8, —, 27, 35.
    # raw = 8 + 27 + 35 = 70; applicable maximum = 10 + 30 + 40 = 80;
    # 换算得分 = 70 / 80 × 100 = 87.50 → 良 (80 ≤ 87.50 < 90).
    _, score = scored(WORKED_ROWS)
    assert score.raw_total == Decimal("70.00")
    assert score.applicable_maximum == Decimal("80.00")
    assert score.normalized == Decimal("87.50")
    assert score.grade == "良"
    assert score.traceable is True


def test_without_normalization_the_raw_total_is_the_converted_score():
    _, score = scored(WORKED_ROWS, template(normalization="none"))
    assert (score.normalized, score.grade) == (Decimal("70.00"), "中")


def test_bonus_and_deduction_after_normalization():
    # 87.50 + min(3, 5) − min(2, 10) = 88.50
    _, score = scored([*WORKED_ROWS, row("p", "3"), row("m", "2")])
    assert score.raw_total == Decimal("70.00")
    assert score.applicable_maximum == Decimal("80.00")
    assert (score.bonus_total, score.deduction_total) == (Decimal("3.00"), Decimal("2.00"))
    assert score.normalized == Decimal("88.50")


def test_bonus_and_deduction_before_normalization():
    # (70 + 3 − 2) / 80 × 100 = 88.75
    raw = template_raw()
    raw["scoring"]["bonus"][0]["after_normalization"] = False
    raw["scoring"]["deductions"][0]["after_normalization"] = False
    _, score = scored([*WORKED_ROWS, row("p", "3"), row("m", "2")], template_from_json(raw))
    assert score.normalized == Decimal("88.75")


def test_bonus_is_capped_at_its_maximum_with_a_warning():
    raw = template_raw()
    raw["scoring"]["bonus"][0]["max_points"] = 2
    tmpl = template_from_json(raw)
    document, score = scored([*WORKED_ROWS, row("p", "3")], tmpl)
    assert (score.bonus[0].entered, score.bonus[0].applied) == (Decimal("3.00"), Decimal("2.00"))
    assert score.normalized == Decimal("89.50")
    warnings = [
        f for f in generic_validate(document, tmpl, score) if f.code == "bonus_over_maximum"
    ]
    assert [(f.kind, f.where, f.message) for f in warnings] == [
        ("warning", "tables.main", "“加分”加分合计 3 分，超过上限 2 分，按 2 分计。")
    ]


def test_converted_score_never_goes_below_zero():
    _, score = scored([row("a", "1"), row("c", "0"), row("d", "0"), row("m", "10")])
    # 1 / 100 × 100 = 1.00, − 10 → −9 → 0
    assert score.normalized == Decimal("0.00")
    assert score.grade == "差"


def test_group_subtotals():
    _, score = scored([*WORKED_ROWS, row("p", "3")])
    base = next(g for g in score.groups if g.key == "base")
    assert (base.maximum, base.applicable_maximum, base.score) == (
        Decimal("100.00"),
        Decimal("80.00"),
        Decimal("70.00"),
    )


def test_rounding_is_half_up_on_the_division():
    # 0.02 / 80 × 100 = 0.025 → 0.03 (四舍五入; banker's rounding would give 0.02)
    _, score = scored([row("a", "0.02"), row("b", not_applicable=True, reason="无"), row("c", "0")])
    assert score.normalized == Decimal("0.03")


# --- rules --------------------------------------------------------------------------


def rules_template(rule: dict, max_points=5) -> object:
    raw = template_raw()
    raw["tables"][0]["groups"][0]["rows"][0].update(rule=rule, max_points=max_points)
    return template_from_json(raw)


BANDS = {
    "kind": "bands",
    "of": "actual",
    "bands": [{"min": 90, "points": 5}, {"min": 80, "points": 4}, {"min": 60, "points": "2.5"}],
}


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("92", "5.00"),
        ("90", "5.00"),
        ("89.99", "4.00"),
        ("80%", "4.00"),
        ("60", "2.50"),
        ("59", "0.00"),
    ],
)
def test_bands_give_the_points_of_the_first_band_reached(actual, expected):
    tmpl = rules_template(BANDS)
    _, score = scored([row("a", cells={"actual": actual})], tmpl)
    assert score.row("main", 0).suggestion.score == Decimal(expected)


DEDUCT = {
    "kind": "deduct_per_unit",
    "of": "actual",
    "limit": 100,
    "direction": "above",
    "unit": 1,
    "points": 0.5,
}


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("100", "5.00"),
        ("95", "5.00"),
        ("102", "4.00"),
        ("102.3", "3.50"),
        ("109", "0.50"),
        ("115", "0.00"),
    ],
)
def test_deduct_per_unit_until_nothing_is_left(actual, expected):
    # max 5; every started point above 100 costs 0.5; 扣完为止 (never below 0).
    _, score = scored([row("a", cells={"actual": actual})], rules_template(DEDUCT))
    assert score.row("main", 0).suggestion.score == Decimal(expected)


def test_deduct_per_unit_below_the_limit():
    rule = dict(DEDUCT, direction="below", limit=95, unit=2, points=1)
    # excess = 95 − 90 = 5 → ⌈5 / 2⌉ = 3 units → 5 − 3 = 2
    _, score = scored([row("a", cells={"actual": "90"})], rules_template(rule))
    assert score.row("main", 0).suggestion.score == Decimal("2.00")


def test_positive_rule_suggests_and_score_differs_warns():
    tmpl = rules_template({"kind": "positive"}, max_points=10)
    document, score = scored([row("a", "9", cells={"target": "≥95%", "actual": "90"})], tmpl)
    # 90 / 95 × 10 = 9.47
    assert score.row("main", 0).suggestion.score == Decimal("9.47")
    findings = [f for f in generic_validate(document, tmpl, score) if f.code == "score_differs"]
    assert [(f.where, f.message) for f in findings] == [
        (
            "tables.main[0]",
            "示例表第1行“甲”按计分规则（正向指标）的建议得分为9.47，填报得分为9，请核实。",
        )
    ]


def test_reverse_rule_uses_the_linear_or_ratio_formula():
    linear = rules_template({"kind": "reverse"}, max_points=10)
    ratio = rules_template({"kind": "reverse", "reverse_formula": "ratio"}, max_points=10)
    rows = [row("a", cells={"target": "100", "actual": "120"})]
    assert scored(rows, linear)[1].row("main", 0).suggestion.score == Decimal("8.00")
    assert scored(rows, ratio)[1].row("main", 0).suggestion.score == Decimal("8.33")


def test_auto_rule_reads_the_comparator_and_qualitative_bands():
    tmpl = rules_template({"kind": "auto"}, max_points=10)
    _, score = scored([row("a", cells={"target": "≤5次", "actual": "4"})], tmpl)
    assert (score.row("main", 0).suggestion.rule, score.row("main", 0).suggestion.score) == (
        "reverse",
        Decimal("10.00"),
    )


# --- officer total -----------------------------------------------------------------------


def officer_template():
    return template_from_bytes(shipped_template_bytes("hubei-suizhou-overall@2023"))


def officer_filing(score, grade):
    return {
        "format": "perfeval-filing/2",
        "form_template": {"code": "hubei-suizhou-overall", "version": "2023"},
        "fiscal_year": 2023,
        "header": {"unit_name": "随州市曾都区人民政府办公室"},
        "tables": {"self_evaluation": [{"row": "public_funds_rate", "cells": {"score": "4"}}]},
        "officer_total": {"score": score, "grade": grade},
    }


def test_officer_total_is_the_entered_figure_and_not_traceable():
    tmpl = officer_template()
    document = generic_document_from_json(officer_filing("100", "优"), tmpl)
    score = generic_score(document, tmpl)
    assert (score.normalized, score.grade, score.grade_by_bands) == (Decimal("100.00"), "优", "优")
    assert score.traceable is False
    assert score.note == UNTRACEABLE_NOTE == "单位自评填报，未按行计分"
    assert score.raw_total is None


def test_officer_grade_that_disagrees_with_the_bands_is_a_warning():
    tmpl = officer_template()
    document = generic_document_from_json(officer_filing("85.5", "优"), tmpl)
    findings = [f for f in generic_validate(document, tmpl) if f.code == "grade_mismatch"]
    assert [(f.kind, f.where, f.message) for f in findings] == [
        (
            "warning",
            "officer_total.grade",
            "自评得分 85.5 按等次标准应为“良”，填报的等次为“优”，请核实。",
        )
    ]
    document = generic_document_from_json(officer_filing("85.5", "很好"), tmpl)
    findings = [f for f in generic_validate(document, tmpl) if f.code == "grade_mismatch"]
    assert [f.message for f in findings] == ["自评等次“很好”不是本表式的等次（优、良、中、差）。"]


def test_officer_total_refused_where_rows_are_scored():
    with pytest.raises(DocumentError) as caught:
        generic_document_from_json(filing(WORKED_ROWS, officer_total={"score": "90"}), template())
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("officer_total", "本表式按行计分或不计分，不能填写单位自评总分。")
    ]


# --- reading the document ------------------------------------------------------------


def refusals(document: dict) -> list[tuple[str, str]]:
    with pytest.raises(DocumentError) as caught:
        generic_document_from_json(document, template())
    return [(p.path, p.message) for p in caught.value.problems]


def test_unknown_row_group_column_and_table_are_refused():
    assert refusals(
        filing(
            [
                {"row": "zz"},
                {"group": "base", "cells": {"label": "x"}},
                {"row": "a", "cells": {"colour": "红"}},
            ]
        )
        | {"tables": {"main": [{"row": "zz"}], "other": []}}
    ) == [
        ("tables.other", "表式中没有表“other”。"),
        ("tables.main[0].row", "表“示例表”中没有键为“zz”的固定行。"),
    ]
    assert refusals(
        filing(
            [{"group": "base", "cells": {"label": "x"}}, {"row": "a", "cells": {"colour": "红"}}]
        )
    ) == [
        ("tables.main[0].group", "表“示例表”中没有可自填行的分组“base”。"),
        ("tables.main[1].cells.colour", "表中没有列“colour”。"),
    ]


def test_bad_values_are_refused_with_their_column():
    cells = {
        "spent": "12.345",
        "actual": "九十",
        "score": "abc",
        "category": "其他型",
        "target": "12345678901",
        "hint": "改要点",
    }
    document = filing(
        [{"row": "a", "cells": cells}],
        header={"unit_name": "局", "report_date": "2024-13-01", "budget": "1,000"},
    )
    assert refusals(document) == [
        ("header.report_date", "填报日期：日期应写作 YYYY-MM-DD，实际为“2024-13-01”。"),
        ("header.budget", "全年预算数：金额应为数字，实际为“1,000”。"),
        ("tables.main[0].cells.spent", "支出：最多两位小数，实际为“12.345”。"),
        ("tables.main[0].cells.actual", "实际完成值：百分比应为数字，实际为“九十”。"),
        ("tables.main[0].cells.score", "自评得分：分数应为数字，实际为“abc”。"),
        ("tables.main[0].cells.category", "指标分类：“其他型”不是可选项；可选：基本型、创新型。"),
        ("tables.main[0].cells.target", "目标值：文字为 11 字，超过上限 10 字。"),
        ("tables.main[0].cells.hint", "评价要点：该列由表式或系统给出，不能填写。"),
    ]


def test_fixed_row_twice_and_too_many_free_rows_are_refused():
    free = {"group": "extra", "cells": {"label": "自填"}}
    assert refusals(filing([row("a"), row("a"), free, free, free])) == [
        ("tables.main[1].row", "固定行“甲”出现了两次。"),
        ("tables.main[4]", "“其他”的自填行超过上限 2 行。"),
    ]


def test_not_applicable_only_where_the_template_allows_it():
    assert refusals(filing([row("a", not_applicable=True, reason="x")])) == [
        ("tables.main[0].not_applicable", "该行不允许标记为不适用。")
    ]


def test_a_file_of_another_template_is_refused_for_that_alone():
    document = filing([]) | {
        "format": "perfeval-filing/1",
        "form_template": {"code": "x", "version": "2"},
        "basic_data": {},
    }
    assert refusals(document) == [
        ("form_template", "文件使用的表式为 x@2，与 test-worked-example@1 不符。"),
    ]


def test_a_wrong_format_of_the_right_template_is_refused():
    document = filing([]) | {"format": "perfeval-filing/1"}
    assert refusals(document) == [
        ("format", "格式应为 perfeval-filing/2，实际为“perfeval-filing/1”。"),
    ]


def test_text_over_max_length_in_narrative_is_refused():
    assert refusals(filing([], narrative={"summary": "字" * 51})) == [
        ("narrative.summary", "文字为 51 字，超过上限 50 字。")
    ]


def test_document_is_kept_in_print_order_and_round_trips():
    tmpl = template()
    document = generic_document_from_json(
        filing([row("d", "35"), {"group": "extra", "cells": {"label": "自填一"}}, row("a", "8")]),
        tmpl,
    )
    assert [(r.row, r.group) for r in document.tables["main"]] == [
        ("a", None),
        ("b", None),
        ("c", None),
        ("d", None),
        (None, "extra"),
        ("p", None),
        ("m", None),
    ]
    written = generic_document_to_json(document)
    assert generic_document_from_json(written, tmpl) == document
    assert written["tables"]["main"][0]["cells"] == {"category": "基本型", "score": "8"}


# --- validation, missing parts, changes ----------------------------------------------


def test_named_checks_find_what_is_wrong_in_document_order():
    tmpl = template()
    document = generic_document_from_json(
        filing(
            [
                row("a", "11"),
                row("b", not_applicable=True),
                {"row": "c", "cells": {"spent": "-3"}},
                row("d", "40"),
            ],
            header={},
            narrative={},
            contact={},
        ),
        tmpl,
    )
    assert [(f.code, f.where, f.message) for f in generic_validate(document, tmpl)] == [
        ("required_missing", "header.unit_name", "表头：请填写单位名称。"),
        ("score_out_of_range", "tables.main[0]", "示例表第1行“甲”得分11超出0至分值10的范围。"),
        (
            "not_applicable_reason_missing",
            "tables.main[1]",
            "示例表第2行“乙”标记为不适用，请说明原因。",
        ),
        ("amount_negative", "tables.main[2]", "示例表第3行“丙”的支出为负数：-3。"),
        ("required_missing", "tables.main[2]", "示例表第3行“丙”请填写指标分类。"),
        ("score_missing", "tables.main[2]", "示例表第3行“丙”未填写得分。"),
        ("required_missing", "tables.main[4]", "示例表第5行“创新”请填写指标分类。"),
        ("score_missing", "tables.main[4]", "示例表第5行“创新”未填写得分。"),
        ("required_missing", "tables.main[5]", "示例表第6行“问题”请填写指标分类。"),
        ("score_missing", "tables.main[5]", "示例表第6行“问题”未填写得分。"),
        ("required_missing", "narrative.summary", "请填写“一、总体情况”。"),
        ("contact_missing", "contact.preparer", "填报信息：请填写填表人。"),
        ("contact_missing", "contact.phone", "填报信息：请填写联系电话。"),
        ("contact_missing", "contact.head", "填报信息：请填写单位负责人。"),
    ]


def test_checks_not_listed_by_the_template_do_not_run():
    raw = template_raw()
    raw["checks"] = ["score_out_of_range"]
    tmpl = template_from_json(raw)
    document = generic_document_from_json(filing([row("a", "11")], header={}), tmpl)
    assert [f.code for f in generic_validate(document, tmpl)] == ["score_out_of_range"]


def test_missing_parts_list_what_blocks_a_meaningful_grade():
    tmpl = template()
    document = generic_document_from_json(filing([row("a", "8")], header={}, narrative={}), tmpl)
    findings = generic_validate(document, tmpl)
    assert generic_missing_parts(document, tmpl, findings) == [
        MissingPart("表头：单位名称", "header.unit_name"),
        MissingPart("示例表：5 行的得分", "tables.main[1]"),
        MissingPart("一、总体情况", "narrative.summary"),
    ]


def test_complete_filing_misses_nothing():
    tmpl = template()
    document = generic_document_from_json(
        filing([*WORKED_ROWS, row("p", "0"), row("m", "0")]), tmpl
    )
    assert generic_missing_parts(document, tmpl, generic_validate(document, tmpl)) == []


def test_changes_are_labelled_from_the_template():
    tmpl = template()
    before = generic_document_from_json(filing(WORKED_ROWS), tmpl)
    after_raw = filing(copy.deepcopy(WORKED_ROWS))
    after_raw["tables"]["main"][0]["cells"]["score"] = "8.00"  # same value
    after_raw["tables"]["main"][2]["cells"]["score"] = "28"
    after_raw["tables"]["main"].append({"group": "extra", "cells": {"label": "新增指标"}})
    after_raw["header"]["unit_name"] = "新名称"
    after = generic_document_from_json(after_raw, tmpl)
    assert generic_changes(before, after, tmpl) == [
        Change("header.unit_name", "单位名称", "测试局", "新名称"),
        Change("tables.main[2].cells.score", "示例表 丙 自评得分", "27", "28"),
        Change("tables.main[4]", "示例表 其他指标第1行", None, "新增指标", ADDED),
    ]


def test_a_template_whose_rows_could_pass_the_filing_bound_is_refused():
    raw = template_raw()
    raw["tables"][0]["groups"][1]["free"]["max_rows"] = 200
    raw["tables"].append(copy.deepcopy(raw["tables"][0]) | {"key": "second", "title": "第二表"})
    for group in raw["tables"][1]["groups"]:
        group["key"] = f"second_{group['key']}"
        for item in group.get("rows", ()):
            item["key"] = f"second_{item['key']}"
    # Each table: 4 fixed rows + 200 free + the bonus rows; four such tables pass 800.
    for number in (3, 4):
        extra = copy.deepcopy(raw["tables"][1])
        extra["key"] = f"t{number}"
        for group in extra["groups"]:
            group["key"] = group["key"].replace("second_", f"t{number}_")
            for item in group.get("rows", ()):
                item["key"] = item["key"].replace("second_", f"t{number}_")
        raw["tables"].append(extra)
    raw["scoring"] = {**raw["scoring"], "bonus": [], "deductions": []}

    with pytest.raises(TemplateError) as caught:
        template_from_json(raw)

    problems = [(p.path, p.message) for p in caught.value.problems]
    assert len(problems) == 1
    path, message = problems[0]
    assert path == "tables"
    assert "超过一份填报最多 800 行的上限" in message


def test_a_filing_whose_table_text_passes_the_bound_is_refused_with_the_total(monkeypatch):
    rows = [row("a", cells={"target": "字" * 10})] + [
        {"group": "extra", "cells": {"label": "长" * 500}} for _ in range(2)
    ]
    raw = filing(rows)
    # 10 + 3 (指标分类 "基本型") + 2 × 500 = 1013 characters fit the real bound
    # (the Hunan one, core.limits) but not a bound of 1000.
    generic_document_from_json(raw, template())

    from evaluations.core import limits

    monkeypatch.setattr(limits, "MAX_TABLE_TEXT", 1000)
    with pytest.raises(DocumentError) as caught:
        generic_document_from_json(raw, template())

    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("tables", "表格中的文字合计 1013 字，超过上限 1000 字；请精简后再导入。")
    ]

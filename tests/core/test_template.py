"""evaluations.core.template: reading, refusing and writing form templates."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from evaluations.core.template import (
    CHECKS,
    RULE_KINDS,
    TemplateError,
    TemplateProblem,
    template_from_bytes,
    template_from_json,
    template_to_json,
)
from evaluations.form_templates import SHIPPED

FIXTURES = Path(__file__).parent / "fixtures"


def minimal() -> dict:
    """A valid template small enough to break one value at a time."""
    return {
        "format": "perfeval-form-template/1",
        "code": "test-minimal",
        "version": "1",
        "title": "最小表",
        "layout": "generic",
        "tables": [
            {
                "key": "t",
                "title": "表",
                "rows": "mixed",
                "columns": [
                    {
                        "key": "target",
                        "label": "A",
                        "type": "text",
                        "editor": "officer",
                        "role": "target",
                    },
                    {
                        "key": "actual",
                        "label": "B",
                        "type": "text",
                        "editor": "officer",
                        "role": "actual",
                    },
                    {
                        "key": "score",
                        "label": "得分",
                        "type": "points",
                        "editor": "officer",
                        "role": "score",
                    },
                ],
                "groups": [
                    {
                        "key": "g",
                        "label": "组",
                        "groups": [
                            {
                                "key": "g1",
                                "label": "组一",
                                "rows": [{"key": "r1", "label": "行一", "max_points": 5}],
                            },
                            {
                                "key": "g2",
                                "label": "组二",
                                "free": {"max_rows": 3, "max_points": 5},
                            },
                        ],
                    },
                    {
                        "key": "plus",
                        "label": "加分",
                        "rows": [{"key": "p", "label": "加分项", "max_points": 5}],
                    },
                ],
            }
        ],
        "scoring": {
            "points": "rows",
            "sum_tables": ["t"],
            "bonus": [
                {"key": "b", "label": "加分", "max_points": 5, "table": "t", "group": "plus"}
            ],
            "normalization": "applicable_maximum",
            "grades": [
                {"grade": "优", "min": 90},
                {"grade": "良", "min": 80},
                {"grade": "差", "min": 0},
            ],
        },
        "checks": ["score_missing"],
    }


def problems_of(raw) -> list[tuple[str, str]]:
    with pytest.raises(TemplateError) as caught:
        template_from_json(raw)
    return [(problem.path, problem.message) for problem in caught.value.problems]


def test_minimal_template_reads():
    template = template_from_json(minimal())
    assert template.identity == "test-minimal@1"
    assert template.scoring.bonus[0].after_normalization is True


# --- the refusals of template-schema.md ----------------------------------------------


def test_unknown_rule_kind_is_refused_with_its_path():
    raw = minimal()
    raw["tables"][0]["groups"][0]["groups"][0]["rows"][0]["rule"] = {"kind": "linear"}
    assert problems_of(raw) == [
        (
            "tables[0].groups[0].groups[0].rows[0].rule.kind",
            "未知的计分规则“linear”；可用：positive、reverse、equal、qualitative、manual、auto、"
            "bands、deduct_per_unit。",
        )
    ]


def test_duplicate_row_key_is_refused_naming_the_first_use():
    raw = minimal()
    raw["tables"][0]["groups"][1]["rows"][0]["key"] = "r1"
    assert problems_of(raw) == [
        (
            "tables[0].groups[1].rows[0].key",
            "分组或行的键“r1”重复（已在 tables[0].groups[0].groups[0].rows[0].key 使用）。",
        )
    ]


def test_group_key_equal_to_a_row_key_is_refused():
    raw = minimal()
    raw["tables"][0]["groups"][1]["key"] = "r1"
    raw["scoring"]["bonus"][0]["group"] = "r1"
    assert problems_of(raw) == [
        (
            "tables[0].groups[1].key",
            "分组或行的键“r1”重复（已在 tables[0].groups[0].groups[0].rows[0].key 使用）。",
        )
    ]


def test_negative_maximum_is_refused():
    raw = minimal()
    raw["tables"][0]["groups"][0]["groups"][0]["rows"][0]["max_points"] = -5
    assert problems_of(raw) == [
        ("tables[0].groups[0].groups[0].rows[0].max_points", "分值不能为负数：-5。")
    ]


def test_grade_bands_out_of_order_are_refused():
    raw = minimal()
    raw["scoring"]["grades"][1]["min"] = 95
    assert problems_of(raw) == [
        ("scoring.grades[1].min", "等次应按下限从高到低排列：95 不低于上一等次的 90。")
    ]


def test_last_grade_band_must_start_at_zero_and_grades_are_unique():
    raw = minimal()
    raw["scoring"]["grades"][2] = {"grade": "优", "min": 50}
    assert problems_of(raw) == [
        ("scoring.grades[2].grade", "等次“优”重复（已在 scoring.grades[0].grade 使用）。"),
        ("scoring.grades[2].min", "最后一个等次的下限应为 0，实际为 50。"),
    ]


def test_bonus_without_maximum_is_refused():
    raw = minimal()
    del raw["scoring"]["bonus"][0]["max_points"]
    assert problems_of(raw) == [("scoring.bonus[0].max_points", "缺少必填项“max_points”。")]


def test_bonus_with_null_maximum_is_refused():
    raw = minimal()
    raw["scoring"]["bonus"][0]["max_points"] = None
    assert problems_of(raw) == [("scoring.bonus[0].max_points", "加分项必须有上限（max_points）。")]


def test_bonus_on_unknown_table_or_group_is_refused():
    raw = minimal()
    raw["scoring"]["bonus"][0]["group"] = "nowhere"
    raw["scoring"]["bonus"].append(dict(raw["scoring"]["bonus"][0], key="c", table="x"))
    assert problems_of(raw) == [
        ("scoring.bonus[0].group", "表“t”中没有键为“nowhere”的分组。"),
        ("scoring.bonus[1].table", "没有键为“x”的表。"),
    ]


def test_cycle_of_groups_through_ref_is_refused():
    raw = minimal()
    groups = raw["tables"][0]["groups"]
    groups[0]["groups"][0] = {"key": "g1", "label": "组一", "groups": [{"ref": "g"}]}
    assert problems_of(raw) == [
        ("tables[0].groups[0].groups[0].groups[0].ref", "分组引用形成循环：g → g1 → g。")
    ]


def test_ref_prints_a_group_declared_in_another_table():
    raw = minimal()
    second = copy.deepcopy(raw["tables"][0])
    second.update(key="u", title="表二", groups=[{"ref": "g"}])
    raw["tables"].append(second)
    template = template_from_json(raw)
    shared = template.table("u")
    assert [entry.group.key for entry in shared.entries()] == ["g1", "g2"]
    assert shared.groups[0].referenced is True
    assert template_from_json(template_to_json(template)) == template


def test_group_printed_twice_in_one_table_is_refused():
    raw = minimal()
    raw["tables"][0]["groups"].append({"ref": "g1"})
    assert problems_of(raw) == [
        ("tables[0].groups[2].ref", "分组“g1”在表“t”中出现了两次；同一分组在一张表中只能出现一次。")
    ]


def test_unknown_ref_is_refused():
    raw = minimal()
    raw["tables"][0]["groups"].append({"ref": "nope"})
    assert problems_of(raw) == [("tables[0].groups[2].ref", "引用的分组“nope”不存在。")]


def test_group_nesting_deeper_than_four_levels_is_refused():
    raw = minimal()
    deepest = {"key": "l5", "label": "五", "rows": [{"key": "x", "label": "x"}]}
    for level in (4, 3):
        deepest = {"key": f"l{level}", "label": str(level), "groups": [deepest]}
    raw["tables"][0]["groups"][0]["groups"][0] = {"key": "g1", "label": "组一", "groups": [deepest]}
    path = "tables[0].groups[0].groups[0].groups[0].groups[0].groups[0]"
    assert problems_of(raw) == [(path, "分组嵌套超过 4 层。")]


def test_empty_group_and_group_with_rows_and_groups_are_refused():
    raw = minimal()
    raw["tables"][0]["groups"][0]["groups"][1] = {"key": "g2", "label": "空"}
    raw["tables"][0]["groups"][0]["rows"] = [{"key": "y", "label": "y"}]
    assert problems_of(raw) == [
        (
            "tables[0].groups[0].groups[1]",
            "分组必须包含子分组（groups）、行（rows）或自填行（free）之一。",
        ),
        ("tables[0].groups[0]", "分组不能同时包含子分组和行：请把这些行放进一个子分组。"),
    ]


def test_band_points_above_row_maximum_are_refused():
    raw = minimal()
    raw["tables"][0]["groups"][0]["groups"][0]["rows"][0]["rule"] = {
        "kind": "bands",
        "of": "actual",
        "bands": [{"min": 90, "points": 6}, {"min": 95, "points": 4}],
    }
    path = "tables[0].groups[0].groups[0].rows[0].rule.bands"
    assert problems_of(raw) == [
        (f"{path}[0].points", "档次得分 6 超过该行分值 5。"),
        (f"{path}[1].min", "档次应按下限从高到低排列：95 不低于上一档的 90。"),
    ]


def test_enum_without_choices_is_refused():
    raw = minimal()
    raw["tables"][0]["columns"].append(
        {"key": "kind", "label": "分类", "type": "enum", "editor": "officer"}
    )
    assert problems_of(raw) == [
        ("tables[0].columns[3].choices", "选项（enum）类型必须列出 choices。")
    ]


def test_fixed_row_in_free_table_and_free_slot_in_fixed_table_are_refused():
    raw = minimal()
    raw["tables"][0]["rows"] = "free"
    assert problems_of(raw) == [
        ("tables[0].groups[0].groups[0].rows", "表“t”的行模式为 free（自填行），不能声明固定行。"),
        ("tables[0].groups[1].rows", "表“t”的行模式为 free（自填行），不能声明固定行。"),
    ]
    raw["tables"][0]["rows"] = "fixed"
    assert problems_of(raw) == [
        (
            "tables[0].groups[0].groups[1].free",
            "表“t”的行模式为 fixed（固定行），不能有自填行（free）。",
        )
    ]


def test_unknown_format_layout_type_editor_role_and_check_are_refused():
    raw = minimal()
    raw["format"] = "perfeval-form-template/9"
    raw["layout"] = "beijing"
    raw["tables"][0]["columns"][0].update(type="money", editor="boss", role="weight")
    raw["checks"] = ["score_missing", "sum_mismatch", "no_such_check"]
    messages = dict(problems_of(raw))
    assert (
        messages["format"]
        == "未知的格式“perfeval-form-template/9”，应为 perfeval-form-template/1。"
    )
    assert messages["layout"] == "未知的版式“beijing”；可用：generic、hunan。"
    assert messages["tables[0].columns[0].type"].startswith("未知的类型“money”；可用：text、amount")
    assert messages["tables[0].columns[0].editor"] == (
        "未知的填写人（editor）“boss”；可用：template、officer、reviewer、computed。"
    )
    assert messages["tables[0].columns[0].role"].startswith("未知的列角色（role）“weight”")
    assert messages["checks[1]"] == "检查“sum_mismatch”只用于湖南版式（layout 为 hunan）。"
    assert messages["checks[2]"].startswith("未知的检查“no_such_check”")


def test_duplicate_table_column_header_and_narrative_keys_are_refused():
    raw = minimal()
    raw["header"] = [{"key": "n", "label": "甲"}, {"key": "n", "label": "乙"}]
    raw["narrative"] = [{"key": "s", "title": "一"}, {"key": "s", "title": "二"}]
    raw["tables"][0]["columns"][1]["key"] = "target"
    problems = problems_of(raw)
    assert ("header[1].key", "表头字段键“n”重复（已在 header[0].key 使用）。") in problems
    assert ("narrative[1].key", "叙述部分键“s”重复（已在 narrative[0].key 使用）。") in problems
    assert (
        "tables[0].columns[1].key",
        "列键“target”重复（已在 tables[0].columns[0].key 使用）。",
    ) in problems


def test_misspelt_key_is_refused():
    raw = minimal()
    raw["tables"][0]["groups"][1]["rows"][0]["max_point"] = 5
    assert problems_of(raw) == [
        (
            "tables[0].groups[1].rows[0].max_point",
            "未知的键“max_point”；可用的键：allow_negative、cells、indent、key、label、"
            "max_points、not_applicable、rule。",
        )
    ]


def test_every_problem_is_listed_not_only_the_first():
    raw = minimal()
    raw["code"] = "X"
    raw["tables"][0]["groups"][0]["groups"][0]["rows"][0]["max_points"] = -1
    raw["scoring"]["grades"][2]["min"] = 10
    assert [path for path, _ in problems_of(raw)] == [
        "code",
        "tables[0].groups[0].groups[0].rows[0].max_points",
        "scoring.grades[2].min",
    ]


def test_rule_needing_target_and_actual_columns_is_refused_without_them():
    raw = minimal()
    raw["tables"][0]["columns"] = raw["tables"][0]["columns"][2:]
    raw["tables"][0]["groups"][0]["groups"][0]["rows"][0]["rule"] = {"kind": "positive"}
    assert problems_of(raw) == [
        (
            "tables[0].groups[0].groups[0].rows[0].rule.kind",
            "规则 positive 需要表中有角色为 target 和 actual 的列。",
        )
    ]


def test_deduct_per_unit_needs_its_parameters():
    raw = minimal()
    raw["tables"][0]["groups"][0]["groups"][0]["rows"][0]["rule"] = {
        "kind": "deduct_per_unit",
        "of": "nothing",
        "unit": 0,
        "points": 0.5,
    }
    path = "tables[0].groups[0].groups[0].rows[0].rule"
    assert problems_of(raw) == [
        (f"{path}.limit", "缺少必填项“limit”。"),
        (f"{path}.direction", "缺少必填项“direction”。"),
        (f"{path}.unit", "单位应大于0：0。"),
        (f"{path}.of", "表“t”没有键或角色为“nothing”的列。"),
    ]


# --- bytes ------------------------------------------------------------------------------


def test_bad_json_names_line_and_column():
    with pytest.raises(TemplateError) as caught:
        template_from_bytes(b'{\n  "format": "perfeval-form-template/1",\n  "code": }')
    assert caught.value.problems == [
        TemplateProblem("$", "模板文件不是合法的 JSON：第 3 行第 11 列，Expecting value。")
    ]


def test_file_over_one_mebibyte_is_refused():
    with pytest.raises(TemplateError) as caught:
        template_from_bytes(b" " * (1024 * 1024 + 1))
    assert caught.value.problems == [
        TemplateProblem("$", "模板文件为 1048577 字节，超过上限 1 MiB（1048576 字节）。")
    ]


def test_non_utf8_file_is_refused():
    with pytest.raises(TemplateError) as caught:
        template_from_bytes(b"{}" + "表".encode("gbk"))
    assert caught.value.problems == [
        TemplateProblem("$", "模板文件不是 UTF-8 编码（第 3 个字节）。")
    ]


def test_decimal_numbers_from_bytes_stay_exact():
    raw = minimal()
    raw["tables"][0]["groups"][0]["groups"][0]["rows"][0]["max_points"] = "2.5"
    data = json.dumps(raw).replace('"2.5"', "2.5").encode()
    template = template_from_bytes(data)
    assert template.find_row("r1")[1].row.max_points == Decimal("2.5")


# --- round trip and helpers ------------------------------------------------------------


@pytest.mark.parametrize("path", [*SHIPPED, FIXTURES / "worked_example_template.json"], ids=str)
def test_template_round_trips(path):
    template = template_from_bytes(path.read_bytes())
    written = template_to_json(template)
    assert template_from_json(written) == template
    assert template_to_json(template_from_json(written)) == written
    json.dumps(written)  # only JSON types: no Decimal, no float


def test_entries_come_in_print_order_with_their_level_labels():
    template = template_from_json(minimal())
    entries = list(template.table("t").entries())
    assert [(e.level, e.level_labels("自填")) for e in entries] == [
        (3, ("组", "组一", "行一")),
        (3, ("组", "组二", "自填")),
        (2, ("加分", "加分项")),
    ]
    assert entries[1].free is not None and entries[1].group.key == "g2"


def test_lookup_of_rows_and_groups_by_key():
    template = template_from_json(minimal())
    table, entry = template.find_row("r1")
    assert (table.key, entry.row.label, [g.key for g in entry.path]) == ("t", "行一", ["g", "g1"])
    table, path = template.find_group("g2")
    assert [g.label for g in path] == ["组", "组二"]
    assert template.find_row("g2") is None
    assert template.find_group("missing") is None


def test_fixed_text_of_template_columns():
    template = template_from_bytes((FIXTURES / "worked_example_template.json").read_bytes())
    table = template.table("main")
    entry = table.row("a")
    texts = {c.key: table.fixed_text(entry, c) for c in table.columns if c.editor == "template"}
    assert texts == {"level1": "基本指标", "level2": "甲", "hint": "甲的要点", "max": "10"}


def test_checks_and_rule_kinds_are_described_in_chinese():
    assert set(RULE_KINDS) == {
        "positive",
        "reverse",
        "equal",
        "qualitative",
        "manual",
        "auto",
        "bands",
        "deduct_per_unit",
    }
    assert {"score_out_of_range", "score_missing", "grade_mismatch", "score_differs"} <= set(CHECKS)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in CHECKS.values())

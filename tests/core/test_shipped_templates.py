"""The form templates perfeval ships (evaluations/form_templates) and the demo
filings of the generic ones (evaluations/fixtures/demo)."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from evaluations.core.document import BASIC_ROW_KEYS, REPORT_KEYS
from evaluations.core.generic import generic_document_from_json, generic_score, generic_validate
from evaluations.core.hunan import (
    advisory_level1_weights,
    basic_row_labels,
    hunan_params,
    profile_sections,
    report_sections,
    signed_basic_rows,
)
from evaluations.core.params import ScoringParams
from evaluations.core.template import (
    TemplateError,
    template_from_bytes,
    template_from_json,
    template_to_json,
)
from evaluations.core.validation import (
    BASIC_ROW_LABELS,
    FINDING_CODES,
    REQUIRED_REPORT_SECTIONS,
    SIGNED_BASIC_ROWS,
)
from evaluations.form_templates import SHIPPED, shipped_template_bytes

DEMO = Path(__file__).resolve().parents[2] / "evaluations" / "fixtures" / "demo"
HUNAN = "hunan-overall@2023"
HUBEI = "hubei-suizhou-overall@2023"
HEBEI = "hebei-baoding-assessment@2023"

# FORMS.md, "Hubei (随州)": the 二级 groups of the 整体绩效自评表.
HUBEI_LEVEL2 = (
    "公用经费控制",
    "在职人员控制",
    "项目支出成本控制",
    "“三公”经费变动率",
    "战略管理",
    "预算编制",
    "预算执行",
    "绩效管理",
    "资产管理",
    "财务管理",
    "核心业务产出",
    "经济效益",
    "社会效益",
    "生态效益",
    "体制机制改革",
    "人才支撑",
    "科技支撑",
    "服务对象满意度",
    "联系部门满意度",
)


def raw(identity):
    return json.loads(shipped_template_bytes(identity))


def template(identity):
    return template_from_bytes(shipped_template_bytes(identity))


def groups_at(table, level):
    found = []

    def walk(groups):
        for group in groups:
            if group.level == level:
                found.append(group)
            walk(group.groups)

    walk(table.groups)
    return found


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_template_loads_under_its_file_name(path):
    loaded = template_from_bytes(path.read_bytes())
    assert loaded.identity == path.stem


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_template_round_trips(path):
    loaded = template_from_bytes(path.read_bytes())
    assert template_from_json(template_to_json(loaded)) == loaded


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_no_shipped_template_hides_data_under_a_comment_key(path):
    hidden = []

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key.startswith("_") and key != "_comment":
                    hidden.append(f"{where}.{key}")
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(json.loads(path.read_bytes()), "$")
    assert hidden == []


def test_an_unknown_identity_is_refused_by_name():
    with pytest.raises(KeyError, match="hunan-overall@1999"):
        shipped_template_bytes("hunan-overall@1999")


# --- Hunan -------------------------------------------------------------------------


def test_hunan_basic_rows_are_the_document_rows_with_the_printed_labels():
    labels = basic_row_labels(template(HUNAN))
    assert tuple(labels) == BASIC_ROW_KEYS
    # The labels validation, the workbook and (but for its "项目支出：") the PDF print.
    assert labels == BASIC_ROW_LABELS
    assert labels["project_total"] == "项目支出"
    assert labels["basic_budget_adjustment"] == "部门基本支出预算调整"


def test_hunan_only_the_budget_adjustment_may_be_negative():
    assert signed_basic_rows(template(HUNAN)) == {"basic_budget_adjustment"}
    assert signed_basic_rows(template(HUNAN)) == SIGNED_BASIC_ROWS


def test_hunan_report_sections_are_the_report_fields_in_order():
    sections = report_sections(template(HUNAN))
    assert tuple(section.key for section in sections) == REPORT_KEYS
    required = tuple(section.key for section in sections if section.required)
    assert required == tuple(key for key, _ in REQUIRED_REPORT_SECTIONS)
    assert [section.number for section in sections] == [
        "二",
        "二",
        "二",
        "三",
        "四",
        "五",
        "六",
        "六",
        "七",
        "八",
        "九",
        "十",
    ]
    assert sections[0].heading == "一般公共预算支出情况"
    assert sections[0].title == "（一）预算执行、使用、管理总体情况"
    assert sections[3].heading == ""
    assert sections[6].heading == "部门整体支出绩效情况"


def test_hunan_section_one_is_the_profile_with_functions_required():
    sections = profile_sections(template(HUNAN))
    assert [(s.key, s.required, s.heading) for s in sections] == [
        ("organization", False, "部门（单位）基本情况"),
        ("functions", True, "部门（单位）基本情况"),
        ("goal_setting", False, "部门（单位）基本情况"),
    ]


def test_hunan_params_are_the_hunan_constants():
    assert hunan_params(template(HUNAN)) == ScoringParams()


def test_hunan_advisory_weights_are_those_of_the_params():
    weights = advisory_level1_weights(template(HUNAN))
    assert weights == {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
    assert weights == ScoringParams().advisory_level1_weights


def test_hunan_params_follow_the_template():
    changed = raw(HUNAN)
    changed["scoring"]["execution"]["weight"] = 20
    changed["scoring"]["grades"][0]["min"] = 95
    changed["scoring"]["grades"][1]["min"] = 75
    changed["scoring"]["grades"][2]["min"] = 65
    changed["scoring"]["normalization"] = "applicable_maximum"
    changed["tables"][3]["groups"][0]["advisory_points"] = 40
    changed["tables"][3]["groups"][1]["advisory_points"] = "35.5"
    changed["tables"][3]["groups"][2]["advisory_points"] = 15
    for group in changed["tables"][3]["groups"]:
        group["free"]["rule"]["reverse_formula"] = "ratio"
    changed["checks"].remove("deviation_missing")
    loaded = template_from_json(changed)
    assert hunan_params(loaded) == ScoringParams(
        execution_weight=Decimal("20"),
        output_weight=Decimal("40"),
        benefit_weight=Decimal("35.5"),
        satisfaction_weight=Decimal("15"),
        grade_excellent=Decimal("95"),
        grade_good=Decimal("75"),
        grade_pass=Decimal("65"),
        reverse_formula="ratio",
        deviation_required=False,
        allow_normalization=True,
    )
    assert advisory_level1_weights(loaded)["效益指标"] == Decimal("35.5")


def test_hunan_params_name_what_is_missing():
    broken = raw(HUNAN)
    broken["scoring"]["execution"] = None
    broken["scoring"]["grades"] = [{"grade": "优", "min": 90}, {"grade": "差", "min": 0}]
    del broken["tables"][3]["groups"][2]["advisory_points"]
    broken["tables"][3]["groups"][1]["free"]["rule"]["reverse_formula"] = "ratio"
    with pytest.raises(TemplateError) as refused:
        hunan_params(template_from_json(broken))
    assert [problem.path for problem in refused.value.problems] == [
        "scoring.execution",
        "tables[3].groups",
        "scoring.grades",
        "scoring.grades",
        "tables[3]",
    ]
    messages = [problem.message for problem in refused.value.problems]
    assert "satisfaction" in messages[1]
    assert "良" in messages[2] and "中" in messages[3]
    assert "reverse_formula" in messages[4]


def test_hunan_advisory_weights_name_the_group_without_one():
    broken = raw(HUNAN)
    del broken["tables"][3]["groups"][0]["advisory_points"]
    with pytest.raises(TemplateError) as refused:
        advisory_level1_weights(template_from_json(broken))
    assert [problem.path for problem in refused.value.problems] == ["tables[3].groups"]
    assert "output" in refused.value.problems[0].message


def test_hunan_functions_refuse_a_generic_template():
    for read in (
        hunan_params,
        advisory_level1_weights,
        basic_row_labels,
        signed_basic_rows,
        report_sections,
        profile_sections,
    ):
        with pytest.raises(TemplateError, match="hunan") as refused:
            read(template(HEBEI))
        assert [problem.path for problem in refused.value.problems] == [
            "layout",
            "tables",
            "tables",
        ]


def test_hunan_functions_need_both_basic_data_and_indicators():
    broken = raw(HUNAN)
    del broken["tables"][0]
    with pytest.raises(TemplateError, match="basic_data") as refused:
        hunan_params(template_from_json(broken))
    assert [problem.path for problem in refused.value.problems] == ["tables"]


def test_hunan_checks_are_the_validation_finding_codes():
    assert template(HUNAN).checks == tuple(FINDING_CODES)


def test_hunan_indicator_tables_are_free_under_output_benefit_satisfaction():
    loaded = template(HUNAN)
    for key in ("indicators", "project_indicators"):
        table = loaded.table(key)
        assert table.rows == "free"
        assert [group.label for group in table.groups] == ["产出指标", "效益指标", "满意度指标"]
        assert [group.advisory_points for group in table.groups] == [50, 30, 10]
    per_project = [table.key for table in loaded.tables if table.per_project]
    assert per_project == ["project_funds", "project_indicators"]
    per_project_fields = [item.key for item in loaded.header if item.per_project]
    assert per_project_fields == [
        "project_name",
        "project_department_in_charge",
        "project_implementer",
        "project_execution_weight",
        "project_goal_expected",
        "project_goal_actual",
    ]
    execution = loaded.scoring.execution
    assert (execution.weight, execution.cap_percent) == (Decimal("10"), Decimal("100"))


# --- Hubei -------------------------------------------------------------------------


def test_hubei_template_has_every_level2_group_of_the_print():
    table = template(HUBEI).table("self_evaluation")
    labels = [group.label for group in groups_at(table, 2)]
    # The print's "……" row under 投入 (no 二级 of its own) is the one group added.
    assert [label for label in labels if label in HUBEI_LEVEL2] == list(HUBEI_LEVEL2)
    assert [label for label in labels if label not in HUBEI_LEVEL2] == ["其他投入指标"]
    assert [group.label for group in table.groups] == ["投入", "过程", "产出", "效益", "满意度"]


def test_hubei_template_has_no_points_and_asks_the_officer_for_a_total():
    loaded = template(HUBEI)
    assert loaded.scoring.points == "officer_total"
    assert [(band.grade, band.min) for band in loaded.scoring.grades] == [
        ("优", 90),
        ("良", 80),
        ("中", 60),
        ("差", 0),
    ]
    table = loaded.table("self_evaluation")
    rows = [entry.row for entry in table.entries() if entry.row is not None]
    assert len(rows) == 30
    assert all(row.max_points is None for row in rows)
    assert table.column("category").required
    assert table.column("category").choices == ("绩效基本型", "绩效创新型")


def test_hubei_satisfaction_may_be_left_unevaluated():
    table = template(HUBEI).table("self_evaluation")
    slots = {entry.group.key: entry.free for entry in table.entries() if entry.free is not None}
    assert slots["client_satisfaction"].not_applicable
    assert slots["peer_satisfaction"].not_applicable
    assert not slots["core_output"].not_applicable


def test_hubei_free_slots_print_their_evaluation_points():
    table = template(HUBEI).table("self_evaluation")
    hint = table.column("hint")
    slots = {entry.group.key: entry for entry in table.entries() if entry.free is not None}
    assert table.fixed_text(slots["core_output"], hint).startswith("部门职责履行及重点工作完成情况")
    assert (
        table.fixed_text(slots["social_benefit"], hint) == "部门履职对经济、社会、环境等带来的影响"
    )
    assert table.fixed_text(slots["client_satisfaction"], hint) == (
        "服务对象以及社会公众对部门履职效果的认可程度"
    )
    assert table.fixed_text(slots["core_output"], table.column("level3"), "办文办会") == "办文办会"


# --- Hebei -------------------------------------------------------------------------


def test_hebei_base_maxima_sum_to_100_outside_bonus_and_deduction():
    loaded = template(HEBEI)
    outside = {entry.group for entry in (*loaded.scoring.bonus, *loaded.scoring.deductions)}
    assert outside == {"innovation", "problems"}
    table = loaded.table("assessment")
    base = sum(entry.row.max_points for entry in table.entries() if entry.group.key not in outside)
    assert base == 100
    assert loaded.example_maxima
    assert "示例分值" in loaded.description
    assert loaded.scoring.normalization == "applicable_maximum"


def test_hebei_has_the_ten_sections_and_five_narrative_parts():
    loaded = template(HEBEI)
    sections = [group.label for group in loaded.table("assessment").groups]
    assert len(sections) == 10
    assert sections[0] == "（一）重大政策落实情况"
    assert sections[-1] == "（十）存在问题"
    assert [part.number for part in loaded.narrative] == ["一", "二", "三", "四", "五"]
    not_applicable = {
        entry.row.label
        for entry in loaded.table("assessment").entries()
        if entry.row.not_applicable
    }
    assert {"专项资金管理", "政府采购管理", "直达资金管理", "债券资金支出"} <= not_applicable


def test_hebei_points_column_prints_the_row_maximum():
    table = template(HEBEI).table("assessment")
    column = table.column("max")
    assert (column.label, column.role, column.editor) == ("分值", "max_points", "template")
    entry = table.row("three_guarantees")
    assert table.fixed_text(entry, column) == "3"


# --- the demo filings of the generic templates ----------------------------------------


def demo(name, identity):
    loaded = template(identity)
    raw_document = json.loads((DEMO / f"{name}.json").read_text(encoding="utf-8"))
    return generic_document_from_json(raw_document, loaded), loaded


def test_zengdu_filing_loads_and_lacks_only_what_the_print_lacks():
    document, loaded = demo("zengdu-2023", HUBEI)
    assert (document.department.name, document.department.jurisdiction) == (
        "曾都区人民政府办公室",
        "随州市曾都区",
    )
    assert document.header["basic_total"] == Decimal("770.84")
    assert document.header["project_total"] == Decimal("151.12")
    rows = document.tables["self_evaluation"]
    entered = [row for row in rows if row.cells]
    assert len(entered) == 33
    assert all(row.cells["category"] == "绩效基本型" for row in entered)
    score = generic_score(document, loaded)
    assert (score.normalized, score.grade, score.grade_by_bands) == (Decimal("100"), "优", "优")
    assert score.note == "单位自评填报，未按行计分"
    findings = generic_validate(document, loaded, score)
    # The print leaves 年初目标值 and 实际完成值 of 行政管理体制改革成效 empty.
    assert [(f.code, f.kind, f.where) for f in findings] == [
        ("required_missing", "error", "tables.self_evaluation[27]")
    ]
    assert rows[27].row == "admin_reform"


def test_hebei_demo_normalizes_by_the_applicable_maximum():
    document, loaded = demo("hebei-demo-2023", HEBEI)
    score = generic_score(document, loaded)
    # By hand: 不适用 专项资金管理 4, 直达资金管理 3, 债券资金支出 4, 债券管理 4 → 适用分值合计
    # 100 − 15 = 85. 考核得分 (一) 3+4+3 = 10, (二) 3+5+4 = 12, (三) 3.5+3+2+3+3+3 = 17.5,
    # (四) 3+4+3.5+4+4+3 = 21.5, (五) 4+3 = 7, (六) 0, (七) 5.5, (八) 6 → 79.5.
    # 换算得分 79.5 ÷ 85 × 100 = 93.529… → 93.53; + 加分 2 − 扣分 3 = 92.53 → 优.
    assert (score.raw_total, score.applicable_maximum) == (Decimal("79.5"), Decimal("85"))
    assert (score.bonus_total, score.deduction_total) == (Decimal("2"), Decimal("3"))
    assert score.normalized == Decimal("92.53")
    assert score.grade == "优"
    assert generic_validate(document, loaded, score) == []

from decimal import Decimal

import pytest

from evaluations.core.document import (
    Building,
    Columns,
    Contact,
    FilingDocument,
    FundLine,
    Funds,
    FundsByNature,
    FundsBySource,
    Indicator,
    Profile,
    Project,
    ProjectFunds,
    ProjectItem,
    Report,
    Staffing,
)
from evaluations.core.scoring import document_score
from evaluations.core.validation import (
    FINDING_CODES,
    Finding,
    document_validate,
    errors,
    warnings,
)
from evaluations.models import ScoringTemplate
from evaluations.services.interchange import document_from_bytes
from tests.helpers import example_bytes

D = Decimal


def example(name: str) -> FilingDocument:
    """The example filing `name` (beita or junshan) as spec/examples has it."""
    return document_from_bytes(example_bytes(f"{name}-2023"))


def template(**overrides) -> ScoringTemplate:
    return ScoringTemplate(name="测试模板", **overrides)


def row(level1="产出指标", weight="50", score=None, **kwargs) -> Indicator:
    """An indicator scored at full marks unless `score` says otherwise."""
    defaults = {"name": "测试指标", "target": "≥3", "actual": "3", "deviation": ""}
    defaults.update(kwargs)
    if score is None:
        score = weight
    return Indicator(
        level1=level1,
        weight=None if weight is None else D(weight),
        score=None if score is None else D(score),
        **defaults,
    )


def clean_indicators() -> list[Indicator]:
    """Rows matching the advisory level-1 weights 50/30/10, all at full marks."""
    return [
        row("产出指标", "50", name="产出"),
        row("效益指标", "30", name="效益"),
        row("满意度指标", "10", name="满意度"),
    ]


def clean_project() -> Project:
    return Project(
        name="区委办专项",
        funds=ProjectFunds(
            weight=D("10"),
            total=FundLine(full_year_budget=D("373"), executed=D("373")),
        ),
        indicators=clean_indicators(),
    )


def clean_document(**kwargs) -> FilingDocument:
    """A filing with no finding at all; each test breaks one rule of it."""
    return FilingDocument(
        fiscal_year=2023,
        profile=Profile(functions="负责区委日常文书的处理。"),
        funds=Funds(
            full_year_budget=D("100"),
            executed=D("100"),
            weight=D("10"),
            by_source=FundsBySource(general_budget=D("100")),
            by_nature=FundsByNature(basic=D("60"), project=D("40")),
        ),
        indicators=clean_indicators(),
        report=Report(
            budget_overview="全年预算100万元。",
            performance_conclusion="自评得分100分。",
            problems="无。",
            improvements="继续加强。",
        ),
        contact=Contact(preparer="李文静", phone="0730-8321234", head="王建国"),
        **kwargs,
    )


def validate(document, **template_overrides) -> list[Finding]:
    return document_validate(document=document, template=template(**template_overrides))


def found(findings) -> set[tuple[str, str]]:
    return {(finding.code, finding.where) for finding in findings}


def codes(findings) -> set[str]:
    return {finding.code for finding in findings}


# --- acceptance ------------------------------------------------------------------------------


def test_beita_has_exactly_the_missing_actuals_deviations_and_contact_as_errors():
    findings = validate(example("beita"))

    assert codes(errors(findings)) == {"actual_missing", "deviation_missing", "contact_missing"}
    assert [f.where for f in findings if f.code == "actual_missing"] == [
        f"indicators[{index}]" for index in (1, 3, 5, 6, 7, 8, 9)
    ]
    assert [f.where for f in findings if f.code == "deviation_missing"] == [
        "indicators[3]",
        "indicators[4]",
        "indicators[8]",
    ]
    # Its 填报信息 gives only 填表人 (唐卫红) and 填报日期.
    assert [f.where for f in findings if f.code == "contact_missing"] == [
        "contact.phone",
        "contact.head",
    ]


def test_junshan_has_one_deviation_error_per_score_table_and_a_blank_contact():
    findings = validate(example("junshan"))

    assert [(f.code, f.where) for f in errors(findings)] == [
        ("deviation_missing", "indicators[7]"),
        ("deviation_missing", "projects[0].indicators[6]"),
        ("contact_missing", "contact.preparer"),
        ("contact_missing", "contact.phone"),
        ("contact_missing", "contact.head"),
    ]


def test_examples_are_not_generous_relative_to_their_execution():
    # 北塔: r_ind = 87 ÷ 90 = 96.67 %, r_exec = 10 ÷ 10 = 100 % → (r_ind − r_exec) < 0.
    # 君山 附件2: 89 ÷ 90 = 98.89 % against 10 ÷ 10; its project: 88 ÷ 90 = 97.78 %
    # against 10 ÷ 10. Neither has a 附件1 item named like a 附件3 project
    # (北塔 has no project table, 君山 no project items).
    findings = validate(example("beita")) + validate(example("junshan"))

    assert not {"score_exceeds_execution", "project_amount_mismatch"} & codes(findings)


def test_deviation_message_names_the_row_and_its_scores():
    findings = validate(example("beita"))

    message = next(f.message for f in findings if f.where == "indicators[4]")
    assert message == (
        "附件2第5行指标“2023年目标完成情况”得分（9）低于分值（10），须填写偏差原因分析及改进措施。"
    )


def test_project_row_message_names_the_project():
    findings = validate(example("junshan"))

    assert errors(findings)[1].message.startswith("附件3项目“区委办专项”第7行指标“发展高质量经济”")


# --- general behaviour -----------------------------------------------------------------------


def test_clean_filing_has_no_findings():
    assert validate(clean_document(projects=[clean_project()])) == []


def test_errors_come_first_then_warnings_each_in_document_order():
    document = clean_document(projects=[clean_project()])
    document.funds.executed = D("120")  # execution_over_100 (warning), by_nature sum (error)
    document.indicators[0].score = D("40")  # deviation_missing (error)
    document.indicators[0].target = "≥4"  # score_differs (warning)
    document.report.problems = ""  # section_missing (error)
    document.projects[0].indicators[2].actual = ""  # actual_missing (error)

    findings = validate(document)

    assert [(f.kind, f.code, f.where) for f in findings] == [
        ("error", "sum_mismatch", "funds.by_nature"),
        ("error", "deviation_missing", "indicators[0]"),
        ("error", "actual_missing", "projects[0].indicators[2]"),
        ("error", "section_missing", "report.problems"),
        ("warning", "execution_over_100", "funds.executed"),
        ("warning", "score_differs", "indicators[0]"),
    ]


def test_every_finding_has_the_kind_of_its_code_and_a_chinese_message():
    findings = validate(example("beita")) + validate(example("junshan"))

    assert findings
    for finding in findings:
        assert finding.kind == FINDING_CODES[finding.code]
        assert finding.message.endswith("。")


def test_a_given_score_is_used_instead_of_recomputing():
    document = example("junshan")
    score = document_score(document=document, template=template())

    assert document_validate(document=document, template=template(), score=score) == validate(
        document
    )


def test_errors_and_warnings_helpers_split_by_kind():
    document = clean_document()
    document.funds.executed = D("120")

    findings = validate(document)

    assert codes(errors(findings)) == {"sum_mismatch"}
    assert codes(warnings(findings)) == {"execution_over_100"}


def test_all_seventeen_codes_are_known():
    assert set(FINDING_CODES) == {
        "budget_missing",
        "negative_amount",
        "weights_not_100",
        "score_out_of_range",
        "actual_missing",
        "deviation_missing",
        "qualitative_band",
        "sum_mismatch",
        "section_missing",
        "contact_missing",
        "score_differs",
        "actual_not_comparable",
        "level1_weight_mismatch",
        "items_mismatch",
        "execution_over_100",
        "project_amount_mismatch",
        "score_exceeds_execution",
    }


# --- budget_missing --------------------------------------------------------------------------


@pytest.mark.parametrize("budget", [None, D("0"), D("0.00")])
def test_empty_or_zero_full_year_budget_is_budget_missing(budget):
    document = clean_document()
    document.funds.full_year_budget = budget
    document.funds.by_source = FundsBySource()

    assert found(validate(document)) == {("budget_missing", "funds.full_year_budget")}


@pytest.mark.parametrize("total", [None, FundLine(), FundLine(full_year_budget=D("0"))])
def test_project_without_full_year_budget_is_budget_missing(total):
    project = clean_project()
    project.funds.total = total

    assert found(validate(clean_document(projects=[project]))) == {
        ("budget_missing", "projects[0].funds")
    }


# --- negative_amount -------------------------------------------------------------------------


def set_office_final(document):
    document.basic_data.rows["office"] = Columns(final=D("-1"))


def set_item(document):
    document.basic_data.project_items = [
        ProjectItem(name="业务工作经费"),
        ProjectItem(name="运行维护经费"),
        ProjectItem(name="其他", budget=D("-3")),
    ]


def set_building(document):
    document.basic_data.buildings = [Building(name="办公楼", actual_area=D("-1"))]


def set_staffing(document):
    document.staffing = Staffing(authorized=5, actual=-1)


def set_weight(document):
    document.indicators.append(row("成本指标", "-5", score="0", deviation="x"))


def set_project_line(document):
    project = clean_project()
    project.funds.carryover = FundLine(executed=D("-2"))
    document.projects = [project]


def set_initial_budget(document):
    document.funds.initial_budget = D("-0.01")


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (set_initial_budget, "funds.initial_budget"),
        (set_office_final, "basic_data.rows.office"),
        (set_item, "basic_data.project_items[2]"),
        (set_building, "basic_data.buildings[0]"),
        (set_staffing, "staffing.actual"),
        (set_weight, "indicators[3]"),
        (set_project_line, "projects[0].funds.carryover"),
    ],
)
def test_negative_amount_is_an_error_where_it_is(mutate, where):
    document = clean_document()
    mutate(document)

    assert ("negative_amount", where) in found(validate(document))


def test_negative_basic_budget_adjustment_is_allowed():
    document = clean_document()
    document.basic_data.rows["basic_budget_adjustment"] = Columns(
        prior_final=D("-10"), budget=D("-5"), final=D("-5")
    )

    assert validate(document) == []


def test_negative_amount_message_names_row_and_column():
    document = clean_document()
    set_office_final(document)

    [finding] = validate(document)
    assert finding.message == "附件1“其中：办公费”行“本年决算数”为负数（-1），不能小于0。"


# --- weights_not_100 -------------------------------------------------------------------------


def test_max_score_other_than_100_is_weights_not_100():
    document = clean_document()
    document.indicators[2] = row("满意度指标", "5")

    findings = validate(document)

    assert ("weights_not_100", "indicators") in found(errors(findings))


def test_weights_not_100_is_waived_when_the_template_allows_normalization():
    document = clean_document()
    document.indicators[2] = row("满意度指标", None, applicable=False, actual="")

    findings = validate(document, allow_normalization=True)

    assert "weights_not_100" not in codes(findings)


def test_not_applicable_rows_make_weights_not_100_without_normalization():
    document = clean_document()
    document.indicators[2] = row("满意度指标", None, applicable=False, actual="")

    assert ("weights_not_100", "indicators") in found(validate(document))


def test_project_weights_not_100_points_at_the_project_table():
    project = clean_project()
    project.indicators.append(row("成本指标", "5"))

    assert found(errors(validate(clean_document(projects=[project])))) == {
        ("weights_not_100", "projects[0].indicators")
    }


# --- score_out_of_range ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "out"), [("-1", True), ("51", True), ("50", False), ("0", False)]
)
def test_score_must_lie_between_0_and_weight(score, out):
    document = clean_document()
    document.indicators[0] = row("产出指标", "50", score=score, deviation="原因")

    assert (("score_out_of_range", "indicators[0]") in found(validate(document))) is out


def test_score_of_not_applicable_row_is_not_checked():
    document = clean_document()
    document.indicators.append(row("成本指标", None, score="5", applicable=False))

    assert "score_out_of_range" not in codes(validate(document, allow_normalization=True))


# --- actual_missing --------------------------------------------------------------------------


@pytest.mark.parametrize("actual", ["", "   "])
def test_applicable_row_without_actual_is_actual_missing(actual):
    document = clean_document()
    document.indicators[1].actual = actual

    assert found(validate(document)) == {("actual_missing", "indicators[1]")}


def test_not_applicable_row_needs_no_actual():
    document = clean_document()
    document.indicators.append(row("成本指标", None, applicable=False, actual=""))

    assert validate(document) == []


# --- deviation_missing -----------------------------------------------------------------------


def test_score_below_weight_without_reason_is_deviation_missing():
    document = clean_document()
    document.indicators[0] = row("产出指标", "50", score="45", target="效果明显")

    assert found(validate(document)) == {("deviation_missing", "indicators[0]")}


@pytest.mark.parametrize(
    ("score", "deviation", "required"),
    [
        ("45", "受疫情影响，部分活动延期。", True),
        ("50", "", True),
        ("45", "", False),
    ],
)
def test_no_deviation_needed_with_reason_full_score_or_lenient_template(score, deviation, required):
    document = clean_document()
    document.indicators[0] = row(
        "产出指标", "50", score=score, target="效果明显", deviation=deviation
    )

    assert validate(document, deviation_required=required) == []


def test_empty_score_counts_0_and_needs_a_reason():
    document = clean_document()
    document.indicators[0].score = None

    [finding] = validate(document)
    assert (finding.code, finding.where) == ("deviation_missing", "indicators[0]")
    assert "未填写得分（按0分计）" in finding.message


# --- qualitative_band ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "score", "outside"),
    [
        ("达成年度指标", "10", False),
        ("达成年度指标", "8", False),
        ("达成年度指标", "7.99", True),
        ("部分达成年度指标并具有一定效果", "8", True),
        ("部分达成年度指标并具有一定效果", "6", False),
        ("部分达成年度指标并具有一定效果", "5.99", True),
        ("未达成年度指标且效果较差", "6", True),
        ("未达成年度指标且效果较差", "5.99", False),
    ],
)
def test_qualitative_row_must_be_scored_in_its_band(actual, score, outside):
    document = clean_document()
    document.indicators[2] = row("满意度指标", "10", score=score, actual=actual, deviation="原因")

    assert (("qualitative_band", "indicators[2]") in found(validate(document))) is outside


# --- sum_mismatch ----------------------------------------------------------------------------


def test_three_public_must_equal_its_parts():
    document = clean_document()
    rows = document.basic_data.rows
    rows["three_public"] = Columns(prior_final=D("5.42"), final=D("2.14"))
    rows["reception"] = Columns(prior_final=D("5.42"), final=D("2.00"))

    [finding] = validate(document)
    assert (finding.code, finding.where) == ("sum_mismatch", "basic_data.rows.three_public")
    assert "本年决算数填2.14，各项合计2.00" in finding.message


def test_vehicle_must_equal_purchase_plus_operation():
    document = clean_document()
    rows = document.basic_data.rows
    rows["vehicle"] = Columns(budget=D("10"))
    rows["vehicle_purchase"] = Columns(budget=D("4"))
    rows["vehicle_operation"] = Columns(budget=D("5"))
    rows["three_public"] = Columns(budget=D("10"))

    assert found(validate(document)) == {("sum_mismatch", "basic_data.rows.vehicle")}


def test_sums_are_skipped_until_total_and_a_part_are_filled():
    document = clean_document()
    rows = document.basic_data.rows
    rows["three_public"] = Columns(budget=D("10"))  # no part filled
    rows["vehicle_purchase"] = Columns(final=D("3"))  # no total filled

    assert validate(document) == []


def test_empty_parts_count_zero_in_a_sum():
    document = clean_document()
    rows = document.basic_data.rows
    rows["three_public"] = Columns(final=D("2.14"))
    rows["reception"] = Columns(final=D("2.14"))

    assert validate(document) == []


def test_sources_must_sum_to_full_year_budget():
    document = clean_document()
    document.funds.by_source = FundsBySource(general_budget=D("90"), other=D("5"))

    assert found(validate(document)) == {("sum_mismatch", "funds.by_source")}


def test_natures_must_sum_to_executed():
    document = clean_document()
    document.funds.by_nature = FundsByNature(basic=D("60"))

    assert found(validate(document)) == {("sum_mismatch", "funds.by_nature")}


# --- section_missing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "name"),
    [
        ("profile", "functions"),
        ("report", "budget_overview"),
        ("report", "performance_conclusion"),
        ("report", "problems"),
        ("report", "improvements"),
    ],
)
@pytest.mark.parametrize("text", ["", " \n "])
def test_required_section_left_empty_is_section_missing(part, name, text):
    document = clean_document()
    setattr(getattr(document, part), name, text)

    assert found(validate(document)) == {("section_missing", f"{part}.{name}")}


def test_optional_sections_may_be_empty():
    document = clean_document()
    document.report.other = ""
    document.report.indicator_analysis = ""
    document.profile.organization = ""

    assert validate(document) == []


# --- score_differs ---------------------------------------------------------------------------


def test_score_other_than_suggested_is_score_differs_warning():
    document = clean_document()
    document.indicators[0] = row(target="≥100", actual="90", score="50", deviation="")

    [finding] = validate(document)
    assert (finding.kind, finding.code, finding.where) == (
        "warning",
        "score_differs",
        "indicators[0]",
    )
    assert finding.message == (
        "附件2第1行指标“测试指标”是正向指标（实际完成值达到或超过年度指标值得满分），"
        "按实际完成值计算的建议得分为45，填报得分为50，请核实。"
    )


def test_manual_row_never_differs():
    document = clean_document()
    document.indicators[0] = row(target="效果明显", actual="效果明显", score="50")

    assert validate(document) == []


# --- actual_not_comparable -------------------------------------------------------------------


def test_words_as_actual_of_numeric_target_are_not_comparable():
    document = clean_document()
    document.indicators[0] = row(target="100%", actual="参加单位建设提案办理经费")

    assert found(validate(document)) == {("actual_not_comparable", "indicators[0]")}


@pytest.mark.parametrize("actual", ["达成年度指标", "", "98%"])
def test_grade_empty_or_numeric_actual_is_not_incomparable(actual):
    document = clean_document()
    document.indicators[0] = row(target="100%", actual=actual, score="50")

    assert "actual_not_comparable" not in codes(validate(document))


# --- level1_weight_mismatch ------------------------------------------------------------------


def test_level1_weights_differing_from_template_warn():
    document = clean_document()
    document.indicators = [
        row("产出指标", "47"),
        row("效益指标", "30"),
        row("满意度指标", "10"),
        row("成本指标", "3"),
    ]

    findings = validate(document)

    assert found(findings) == {("level1_weight_mismatch", "indicators")}
    assert "“产出指标”分值合计47，本年度评分规则建议为50" in findings[0].message


def test_level1_weights_follow_the_template():
    findings = validate(
        clean_document(),
        output_weight=D("40"),
        benefit_weight=D("40"),
    )

    assert [(f.code, f.where) for f in findings] == [
        ("level1_weight_mismatch", "indicators"),
        ("level1_weight_mismatch", "indicators"),
    ]


def test_level1_weights_are_checked_per_project():
    project = clean_project()
    project.indicators[1].level1 = "效益"
    project.indicators[1].name = "效益"

    assert found(validate(clean_document(projects=[project]))) == {
        ("level1_weight_mismatch", "projects[0].indicators")
    }


# --- items_mismatch --------------------------------------------------------------------------


def test_project_items_not_summing_to_project_total_warn():
    document = clean_document()
    document.basic_data.rows["project_total"] = Columns(budget=D("57"))
    document.basic_data.project_items = [
        ProjectItem(name="业务工作经费", budget=D("50")),
        ProjectItem(name="业务工作经费", budget=D("5")),
    ]

    assert found(validate(document)) == {("items_mismatch", "basic_data.project_items")}


def test_project_items_summing_to_project_total_are_fine():
    document = clean_document()
    document.basic_data.rows["project_total"] = Columns(budget=D("57"), final=D("0"))
    document.basic_data.project_items = [
        ProjectItem(name="业务工作经费", budget=D("57"), final=D("0")),
        ProjectItem(name="运行维护经费", budget=D("0"), final=D("0")),
    ]

    assert validate(document) == []


def test_detail_row_above_public_funds_warns():
    document = clean_document()
    document.basic_data.rows["public_funds"] = Columns(final=D("30"))
    document.basic_data.rows["office"] = Columns(final=D("30"))
    document.basic_data.rows["meetings_training"] = Columns(final=D("30.01"))

    findings = validate(document)

    assert found(findings) == {("items_mismatch", "basic_data.rows.public_funds")}
    assert "会议费、培训费" in findings[0].message


# --- execution_over_100 ----------------------------------------------------------------------


def test_execution_rate_above_100_warns():
    document = clean_document()
    document.funds.executed = D("100.01")
    document.funds.by_nature = FundsByNature(basic=D("100.01"))

    [finding] = validate(document)
    assert (finding.kind, finding.code, finding.where) == (
        "warning",
        "execution_over_100",
        "funds.executed",
    )


def test_project_execution_rate_above_100_warns():
    project = clean_project()
    project.funds.total = FundLine(full_year_budget=D("373"), executed=D("400"))

    assert found(validate(clean_document(projects=[project]))) == {
        ("execution_over_100", "projects[0].funds")
    }


# --- plain messages --------------------------------------------------------------------------


def test_weights_not_100_says_what_to_change_in_plain_words():
    document = clean_document()
    document.indicators[2] = row("满意度指标", "5")

    [finding] = errors(validate(document))
    assert finding.message == (
        "附件2部门整体支出绩效自评表满分为95（预算执行率分值10＋指标分值合计85），应为100。"
        "本年度的评分规则不按不适用指标折算满分，请调整各指标分值，使指标分值合计为90；"
        "标为不适用的指标如需计分，请取消不适用并填写分值和得分。"
    )


@pytest.mark.parametrize(
    ("actual", "score", "band"),
    [
        ("达成年度指标", "7", "不低于8且不高于10"),
        ("部分达成年度指标并具有一定效果", "8", "不低于6且低于8"),
    ],
)
def test_qualitative_band_message_states_the_band_in_words(actual, score, band):
    document = clean_document()
    document.indicators[2] = row(
        "满意度指标", "10", score=score, target="效果明显", actual=actual, deviation="略有不足。"
    )

    [finding] = errors(validate(document))
    assert finding.message == (
        f"附件2第3行指标“测试指标”实际完成值为“{actual}”，得分应{band}，现为{score}。"
    )


# --- contact_missing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "label"), [("preparer", "填表人"), ("phone", "联系电话"), ("head", "单位负责人")]
)
@pytest.mark.parametrize("blank", ["", "  "])
def test_blank_contact_field_is_an_error_pointing_at_it(name, label, blank):
    document = clean_document()
    setattr(document.contact, name, blank)

    [finding] = validate(document)
    assert (finding.kind, finding.code, finding.where) == (
        "error",
        "contact_missing",
        f"contact.{name}",
    )
    assert finding.message == f"填报信息：请填写{label}。"


def test_filing_date_is_not_required():
    document = clean_document()
    document.contact.date = ""

    assert validate(document) == []


# --- project_amount_mismatch -----------------------------------------------------------------


def document_with_item(*items: ProjectItem) -> FilingDocument:
    """A clean filing whose 附件1 lists `items` (summing to 项目支出) beside the
    project 区委办专项 (全年执行数 373)."""
    document = clean_document(projects=[clean_project()])
    document.basic_data.project_items = list(items)
    document.basic_data.rows["project_total"] = Columns(
        final=sum((item.final or D("0") for item in items), D("0"))
    )
    return document


def test_project_final_in_basic_data_differing_from_its_executed_amount_warns():
    document = document_with_item(
        ProjectItem(name="业务工作经费", final=D("20")),
        ProjectItem(name=" 区委办专项 ", final=D("370.5")),
    )

    [finding] = validate(document)
    assert (finding.kind, finding.code, finding.where) == (
        "warning",
        "project_amount_mismatch",
        "projects[0].funds.total",
    )
    assert finding.message == (
        "附件3项目“区委办专项”年度资金总额的“全年执行数”为373.00万元，"
        "与附件1项目支出明细（第2行）“区委办专项”的“本年决算数”370.50万元不一致，请核对。"
    )


def test_project_final_equal_to_its_executed_amount_is_fine():
    assert validate(document_with_item(ProjectItem(name="区委办专项", final=D("373")))) == []


def test_items_of_the_same_name_are_added_up_before_comparing():
    document = document_with_item(
        ProjectItem(name="区委办专项", final=D("300")),
        ProjectItem(name="区委办专项", final=D("73")),
    )
    assert validate(document) == []

    document.basic_data.project_items[1].final = D("70")
    document.basic_data.rows["project_total"].final = D("370")
    [finding] = validate(document)
    assert "（第1行、第2行）" in finding.message and "370.00万元" in finding.message


@pytest.mark.parametrize(
    "item",
    [
        ProjectItem(name="业务工作经费", final=D("10")),  # no project of that name
        ProjectItem(name="区委办专项", final=None),  # 决算 not given
        ProjectItem(name="", final=D("10")),
    ],
)
def test_amounts_are_compared_only_for_a_named_project_with_both_values(item):
    assert validate(document_with_item(item)) == []


def test_project_tables_of_the_same_name_are_added_up_and_the_first_is_pointed_at():
    document = document_with_item(ProjectItem(name="区委办专项", final=D("373")))
    document.projects.append(clean_project())

    [finding] = validate(document)
    assert (finding.code, finding.where) == ("project_amount_mismatch", "projects[0].funds.total")
    assert finding.message.startswith(
        "附件3中2张同名项目表“区委办专项”年度资金总额的“全年执行数”合计为746.00万元，"
    )


def test_project_without_executed_amount_is_not_compared():
    document = document_with_item(ProjectItem(name="区委办专项", final=D("10")))
    document.projects[0].funds.total = FundLine(full_year_budget=D("373"))

    assert "project_amount_mismatch" not in codes(validate(document))


# --- score_exceeds_execution -----------------------------------------------------------------


def generous_document(*, indicator_points: str, executed: str) -> FilingDocument:
    """附件2 with indicator points out of 90 and 全年执行数 out of a budget of 100
    (执行率分值 10, so the execution points are executed ÷ 10)."""
    document = clean_document()
    document.funds.executed = D(executed)
    document.funds.by_nature = FundsByNature(basic=D(executed))
    # The first row (产出, 分值 50) takes all the points short of 90.
    first_row_points = D(indicator_points) - D("40")
    document.indicators[0] = row(
        "产出指标",
        "50",
        score=str(first_row_points),
        target="效果明显",
        actual="效果明显",
        deviation="略。",
    )
    return document


def test_indicator_rate_above_execution_rate_by_more_than_5_percent_warns():
    # r_ind = 88 ÷ 90 = 97.78 %; r_exec = 9.2 ÷ 10 = 92 %;
    # (97.78 − 92) ÷ 97.78 = 5.91 % > 5 %.
    [finding] = validate(generous_document(indicator_points="88", executed="92"))

    assert (finding.kind, finding.code, finding.where) == (
        "warning",
        "score_exceeds_execution",
        "indicators",
    )
    assert finding.message == (
        "附件2部门整体支出绩效自评表的指标得分率为97.78%（指标得分88÷指标分值90），"
        "预算执行率得分率只有92.00%（执行率得分9.2÷执行率分值10），"
        "指标得分率高出5%以上，自评得分可能偏高，请核实各指标得分。"
    )


@pytest.mark.parametrize(
    ("indicator_points", "executed"),
    [
        ("88", "93"),  # (97.78 − 93) ÷ 97.78 = 4.89 %
        ("90", "95"),  # (100 − 95) ÷ 100 = exactly 5 %: not more than 5 %
        ("88", "98"),  # 97.78 % against 98 %: the execution rate is the higher
        ("0", "10"),  # no indicator point given: no ratio to compare
    ],
)
def test_indicator_rate_within_5_percent_of_execution_rate_is_fine(indicator_points, executed):
    findings = validate(generous_document(indicator_points=indicator_points, executed=executed))

    assert "score_exceeds_execution" not in codes(findings)


def test_full_marks_with_94_percent_execution_warns():
    # (100 − 94) ÷ 100 = 6 % > 5 %.
    findings = validate(generous_document(indicator_points="90", executed="94"))

    assert "score_exceeds_execution" in codes(findings)


def test_no_execution_rate_means_no_comparison():
    document = generous_document(indicator_points="90", executed="50")
    document.funds.full_year_budget = None
    document.funds.by_source = FundsBySource()

    assert "score_exceeds_execution" not in codes(validate(document))


def test_each_project_table_is_compared_with_its_own_execution():
    # r_ind = 90 ÷ 90 = 100 %; r_exec = 8.04 ÷ 10 (300 ÷ 373 = 80.43 %) = 80.4 %.
    project = clean_project()
    project.funds.total = FundLine(full_year_budget=D("373"), executed=D("300"))

    [finding] = validate(clean_document(projects=[project]))
    assert (finding.code, finding.where) == ("score_exceeds_execution", "projects[0].indicators")
    assert finding.message.startswith(
        "附件3项目“区委办专项”自评表的指标得分率为100.00%（指标得分90÷指标分值90），"
        "预算执行率得分率只有80.40%（执行率得分8.04÷执行率分值10）"
    )

"""evaluations/core/validation.py without Django: each rule of DOMAIN.md
"Validation" on a filing that is clean but for one problem, with the findings
compared as a list — code, kind, place and the exact message — so that a
duplicate, a lost finding or a changed word shows. scripts/mutation holds these
tests to a kill rate."""

from dataclasses import FrozenInstanceError
from decimal import Decimal

import pytest

from evaluations.core.document import (
    BASIC_ROW_KEYS,
    BasicDetail,
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
from evaluations.core.params import REVERSE_RATIO, ScoringParams
from evaluations.core.scoring import document_score
from evaluations.core.validation import (
    BASIC_ROW_LABELS,
    FINDING_CODES,
    Finding,
    document_validate,
    errors,
    warnings,
)

D = Decimal
TEMPLATE = ScoringParams()

# Written out here rather than read from FINDING_CODES, so that a changed kind shows.
ERROR_CODES = {
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
}
WARNING_CODES = {
    "score_differs",
    "actual_not_comparable",
    "level1_weight_mismatch",
    "items_mismatch",
    "execution_over_100",
    "project_amount_mismatch",
    "score_exceeds_execution",
}

LEVEL1_OUTPUT = "产出指标"
LEVEL1_BENEFIT = "效益指标"
LEVEL1_SATISFACTION = "满意度指标"


def finding(code: str, where: str, message: str) -> Finding:
    kind = "error" if code in ERROR_CODES else "warning"
    assert code in ERROR_CODES | WARNING_CODES
    return Finding(code=code, kind=kind, message=message, where=where)


def row(level1=LEVEL1_OUTPUT, weight="50", score=None, **kwargs) -> Indicator:
    """An applicable indicator at full marks unless `score` says otherwise."""
    values = {"name": "测试指标", "target": "≥3", "actual": "3", "deviation": ""}
    values.update(kwargs)
    if score is None:
        score = weight
    return Indicator(
        level1=level1,
        weight=None if weight is None else D(weight),
        score=None if score in (None, "") else D(score),
        **values,
    )


def clean_rows() -> list[Indicator]:
    """Rows matching the advisory level-1 weights 50/30/10, all at full marks."""
    return [
        row(LEVEL1_OUTPUT, "50", name="产出"),
        row(LEVEL1_BENEFIT, "30", name="效益"),
        row(LEVEL1_SATISFACTION, "10", name="满意度"),
    ]


def clean_project(name="区委办专项") -> Project:
    return Project(
        name=name,
        funds=ProjectFunds(
            weight=D("10"),
            total=FundLine(full_year_budget=D("373"), executed=D("373")),
        ),
        indicators=clean_rows(),
    )


def clean_document(**kwargs) -> FilingDocument:
    """A filing with no finding at all; each test breaks one rule of it."""
    values = {
        "fiscal_year": 2023,
        "profile": Profile(functions="负责区委日常文书的处理。"),
        "funds": Funds(
            full_year_budget=D("100"),
            executed=D("100"),
            weight=D("10"),
            by_source=FundsBySource(general_budget=D("100")),
            by_nature=FundsByNature(basic=D("60"), project=D("40")),
        ),
        "indicators": clean_rows(),
        "report": Report(
            budget_overview="全年预算100万元。",
            performance_conclusion="自评得分100分。",
            problems="无。",
            improvements="继续加强。",
        ),
        "contact": Contact(preparer="李文静", phone="0730-8321234", head="王建国"),
    }
    values.update(kwargs)
    return FilingDocument(**values)


def validate(document: FilingDocument, template=TEMPLATE) -> list[Finding]:
    return document_validate(document=document, template=template)


# --- general behaviour -----------------------------------------------------------------------


def test_clean_filing_with_a_project_has_no_findings():
    assert validate(clean_document(projects=[clean_project()])) == []


def test_every_code_has_its_kind():
    assert {code for code, kind in FINDING_CODES.items() if kind == "error"} == ERROR_CODES
    assert {code for code, kind in FINDING_CODES.items() if kind == "warning"} == WARNING_CODES


def test_finding_knows_whether_it_is_an_error():
    assert finding("sum_mismatch", "funds", "x").is_error is True
    assert finding("items_mismatch", "funds", "x").is_error is False


def test_errors_come_first_then_warnings_each_in_document_order():
    document = clean_document(projects=[clean_project()])
    document.funds.executed = D("120")
    document.funds.by_nature = FundsByNature(basic=D("80"), project=D("40"))
    document.indicators[0].target = "≥4"
    document.indicators[0].score = D("40")
    document.indicators[0].weight = D("40")
    document.projects[0].indicators[2].actual = ""
    document.report.problems = " "

    findings = validate(document)

    assert findings == [
        finding(
            "weights_not_100",
            "indicators",
            "附件2部门整体支出绩效自评表满分为90（预算执行率分值10＋指标分值合计80），应为100。"
            "本年度的评分规则不按不适用指标折算满分，请调整各指标分值，使指标分值合计为90；"
            "标为不适用的指标如需计分，请取消不适用并填写分值和得分。",
        ),
        finding(
            "actual_missing",
            "projects[0].indicators[2]",
            "附件3项目“区委办专项”第3行指标“满意度”未填写实际完成值。",
        ),
        finding(
            "section_missing",
            "report.problems",
            "自评报告“七、存在的问题及原因分析”未填写。",
        ),
        finding(
            "execution_over_100",
            "funds.executed",
            "预算执行率为120.00%，超过100%（全年执行数大于全年预算数），请核实。",
        ),
        finding(
            "level1_weight_mismatch",
            "indicators",
            "附件2部门整体支出绩效自评表一级指标“产出指标”分值合计40，本年度评分规则建议为50，请核实。",
        ),
        finding(
            "score_differs",
            "indicators[0]",
            "附件2第1行指标“产出”是正向指标（实际完成值达到或超过年度指标值得满分），"
            "按实际完成值计算的建议得分为30，填报得分为40，请核实。",
        ),
    ]
    assert errors(findings) == findings[:3]
    assert warnings(findings) == findings[3:]


def test_findings_are_immutable_values():
    first = finding("sum_mismatch", "funds.by_source", "x")

    with pytest.raises(FrozenInstanceError):
        first.message = "y"
    assert len({first, finding("sum_mismatch", "funds.by_source", "x")}) == 1


def test_a_score_of_another_document_is_refused():
    longer = clean_document()
    longer.indicators.append(row("成本指标", "0", name="成本"))
    score = document_score(document=longer, template=TEMPLATE)

    with pytest.raises(ValueError):
        document_validate(document=clean_document(), template=TEMPLATE, score=score)


def test_errors_and_warnings_keep_the_order_they_are_given():
    given = [
        finding("items_mismatch", "b", "2"),
        finding("sum_mismatch", "a", "1"),
        finding("execution_over_100", "c", "3"),
        finding("budget_missing", "d", "4"),
    ]

    assert errors(given) == [given[1], given[3]]
    assert warnings(given) == [given[0], given[2]]
    assert errors(iter(given)) == [given[1], given[3]]


def test_a_given_score_is_used_instead_of_recomputing():
    over = clean_document(projects=[clean_project()])
    over.funds.executed = D("150")
    over.projects[0].funds.total.executed = D("400")
    score = document_score(document=over, template=TEMPLATE)

    findings = document_validate(
        document=clean_document(projects=[clean_project()]), template=TEMPLATE, score=score
    )

    assert findings == [
        finding(
            "execution_over_100",
            "funds.executed",
            "预算执行率为150.00%，超过100%（全年执行数大于全年预算数），请核实。",
        ),
        finding(
            "execution_over_100",
            "projects[0].funds",
            "附件3项目“区委办专项”预算执行率为107.24%，超过100%（全年执行数大于全年预算数），请核实。",
        ),
    ]


def test_score_is_computed_with_the_template_when_not_given():
    document = clean_document()
    document.indicators[1] = row(LEVEL1_BENEFIT, "30", name="效益", target="≤1", actual="1.5")

    assert validate(document, ScoringParams(reverse_formula=REVERSE_RATIO)) == [
        finding(
            "score_differs",
            "indicators[1]",
            "附件2第2行指标“效益”是反向指标（实际完成值不超过年度指标值得满分），"
            "按实际完成值计算的建议得分为20，填报得分为30，请核实。",
        ),
    ]
    assert validate(document)[0].message.endswith("建议得分为15，填报得分为30，请核实。")


# --- profile, report and contact -------------------------------------------------------------


@pytest.mark.parametrize("functions", ["", "  \n "])
def test_blank_functions_is_section_missing(functions):
    document = clean_document(profile=Profile(functions=functions))

    assert validate(document) == [
        finding("section_missing", "profile.functions", "部门基本情况“主要职能职责”未填写。")
    ]


def test_every_required_report_section_and_contact_field_is_reported_in_order():
    document = clean_document(report=Report(other="其他说明"), contact=Contact(date="2024-03-01"))

    assert validate(document) == [
        finding(
            "section_missing",
            "report.budget_overview",
            "自评报告“二、一般公共预算支出情况”的预算执行总体情况未填写。",
        ),
        finding(
            "section_missing",
            "report.performance_conclusion",
            "自评报告“六、部门整体支出绩效情况”的综合评价结论未填写。",
        ),
        finding("section_missing", "report.problems", "自评报告“七、存在的问题及原因分析”未填写。"),
        finding("section_missing", "report.improvements", "自评报告“八、下一步改进措施”未填写。"),
        finding("contact_missing", "contact.preparer", "填报信息：请填写填表人。"),
        finding("contact_missing", "contact.phone", "填报信息：请填写联系电话。"),
        finding("contact_missing", "contact.head", "填报信息：请填写单位负责人。"),
    ]


# --- staffing and funds ----------------------------------------------------------------------


def test_negative_staffing_numbers_are_negative_amounts():
    document = clean_document(
        staffing=Staffing(authorized=-1, actual=-2, retired=-3, survivor_subsidy=-4)
    )

    assert validate(document) == [
        finding(
            "negative_amount",
            "staffing.authorized",
            "财政供养人员“编制数”为负数（-1），不能小于0。",
        ),
        finding(
            "negative_amount",
            "staffing.actual",
            "财政供养人员“实际在职人数”为负数（-2），不能小于0。",
        ),
        finding(
            "negative_amount",
            "staffing.retired",
            "财政供养人员“退休人员”为负数（-3），不能小于0。",
        ),
        finding(
            "negative_amount",
            "staffing.survivor_subsidy",
            "财政供养人员“遗属补助人数”为负数（-4），不能小于0。",
        ),
    ]


def test_zero_staffing_numbers_are_fine():
    document = clean_document(staffing=Staffing(authorized=0, actual=0, retired=0))

    assert validate(document) == []


@pytest.mark.parametrize("budget", [None, D("0"), D("0.00")])
def test_empty_or_zero_full_year_budget_is_budget_missing(budget):
    document = clean_document()
    document.funds.full_year_budget = budget
    document.funds.by_source = FundsBySource()

    assert validate(document) == [
        finding(
            "budget_missing",
            "funds.full_year_budget",
            "年度资金“全年预算数”未填写或为0，无法计算预算执行率。",
        )
    ]


def test_negative_funds_are_negative_amounts_in_field_order():
    document = clean_document()
    document.funds.initial_budget = D("-0.01")
    document.funds.full_year_budget = D("-100")
    document.funds.executed = D("-7.50")
    document.funds.weight = D("-10")
    document.funds.by_source = FundsBySource()
    document.funds.by_nature = FundsByNature()

    findings = validate(document)

    assert findings[:4] == [
        finding(
            "negative_amount",
            "funds.initial_budget",
            "年度资金“年初预算数”为负数（-0.01），不能小于0。",
        ),
        finding(
            "negative_amount",
            "funds.full_year_budget",
            "年度资金“全年预算数”为负数（-100），不能小于0。",
        ),
        finding(
            "negative_amount", "funds.executed", "年度资金“全年执行数”为负数（-7.5），不能小于0。"
        ),
        finding(
            "negative_amount", "funds.weight", "年度资金“执行率分值”为负数（-10），不能小于0。"
        ),
    ]
    # The negative 分值 makes 满分 80 and the execution-score rate meaningless.
    assert [(f.code, f.where) for f in findings[4:]] == [
        ("weights_not_100", "indicators"),
        ("score_exceeds_execution", "indicators"),
    ]


def test_negative_parts_of_the_funds_are_negative_amounts():
    document = clean_document()
    document.funds.by_source = FundsBySource(
        general_budget=D("-1"), government_fund=D("-2"), special_account=D("-3"), other=D("-4")
    )
    document.funds.by_nature = FundsByNature(basic=D("-5"), project=D("-6"))
    document.funds.basic_detail = BasicDetail(personnel=D("-7"), public=D("-8"))

    assert validate(document) == [
        finding(
            "negative_amount",
            "funds.by_source.general_budget",
            "年度资金“一般公共预算”为负数（-1），不能小于0。",
        ),
        finding(
            "negative_amount",
            "funds.by_source.government_fund",
            "年度资金“政府性基金拨款”为负数（-2），不能小于0。",
        ),
        finding(
            "negative_amount",
            "funds.by_source.special_account",
            "年度资金“纳入专户管理的非税收入拨款”为负数（-3），不能小于0。",
        ),
        finding(
            "negative_amount",
            "funds.by_source.other",
            "年度资金“其他资金”为负数（-4），不能小于0。",
        ),
        finding(
            "negative_amount",
            "funds.by_nature.basic",
            "年度资金“基本支出”为负数（-5），不能小于0。",
        ),
        finding(
            "negative_amount",
            "funds.by_nature.project",
            "年度资金“项目支出”为负数（-6），不能小于0。",
        ),
        finding(
            "negative_amount",
            "funds.basic_detail.personnel",
            "年度资金“人员经费”为负数（-7），不能小于0。",
        ),
        finding(
            "negative_amount",
            "funds.basic_detail.public",
            "年度资金“公用经费”为负数（-8），不能小于0。",
        ),
        finding(
            "sum_mismatch",
            "funds.by_source",
            "按收入性质分列的资金（一般公共预算、政府性基金拨款、纳入专户管理的非税收入拨款、"
            "其他资金）合计-10.00万元，不等于全年预算数100.00万元。",
        ),
        finding(
            "sum_mismatch",
            "funds.by_nature",
            "按支出性质分列的支出（基本支出、项目支出）合计-11.00万元，不等于全年执行数100.00万元。",
        ),
    ]


def test_execution_over_100_is_a_warning_on_the_executed_amount():
    document = clean_document()
    document.funds.executed = D("100.01")
    document.funds.by_nature = FundsByNature(basic=D("60.01"), project=D("40"))

    assert validate(document) == [
        finding(
            "execution_over_100",
            "funds.executed",
            "预算执行率为100.01%，超过100%（全年执行数大于全年预算数），请核实。",
        )
    ]


def test_sources_must_add_up_to_the_full_year_budget_and_natures_to_the_executed():
    document = clean_document()
    document.funds.by_source = FundsBySource(
        general_budget=D("60"), government_fund=D("20"), special_account=D("10"), other=D("9.99")
    )
    document.funds.by_nature = FundsByNature(project=D("40.5"))

    assert validate(document) == [
        finding(
            "sum_mismatch",
            "funds.by_source",
            "按收入性质分列的资金（一般公共预算、政府性基金拨款、纳入专户管理的非税收入拨款、"
            "其他资金）合计99.99万元，不等于全年预算数100.00万元。",
        ),
        finding(
            "sum_mismatch",
            "funds.by_nature",
            "按支出性质分列的支出（基本支出、项目支出）合计40.50万元，不等于全年执行数100.00万元。",
        ),
    ]


def test_all_four_sources_count_in_their_sum():
    document = clean_document()
    document.funds.by_source = FundsBySource(
        general_budget=D("40"), government_fund=D("30"), special_account=D("20"), other=D("10")
    )

    assert validate(document) == []


def test_sums_wait_for_the_total_and_a_part():
    document = clean_document()
    document.funds.by_source = FundsBySource()
    document.funds.by_nature = FundsByNature(basic=D("1"))
    document.funds.executed = None

    # No 执行数: no execution score, and no sum to compare the natures with.
    assert [f.code for f in validate(document)] == []


# --- 附件1 ----------------------------------------------------------------------------------


def set_rows(document: FilingDocument, **rows: Columns) -> None:
    document.basic_data.rows.update(rows)


def test_negative_basic_rows_are_negative_amounts_per_column_except_the_adjustment():
    document = clean_document()
    set_rows(
        document,
        procurement=Columns(prior_final=D("-1"), budget=D("-2"), final=D("-3")),
        basic_budget_adjustment=Columns(prior_final=D("-1"), budget=D("-2"), final=D("-3")),
    )

    assert validate(document) == [
        finding(
            "negative_amount",
            "basic_data.rows.procurement",
            f"附件1“政府采购金额”行“{column}”为负数（{value}），不能小于0。",
        )
        for column, value in (("上年决算数", "-1"), ("本年预算数", "-2"), ("本年决算数", "-3"))
    ]


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("three_public", "三公经费"),
        ("vehicle", "1、公务用车购置和维护经费"),
        ("vehicle_purchase", "其中：公车购置"),
        ("vehicle_operation", "公车运行维护"),
        ("overseas", "2、出国经费"),
        ("reception", "3、公务接待"),
        ("project_total", "项目支出"),
        ("public_funds", "公用经费"),
        ("office", "其中：办公费"),
        ("utilities_travel", "水费、电费、差旅费"),
        ("meetings_training", "会议费、培训费"),
        ("procurement", "政府采购金额"),
    ],
)
def test_each_basic_row_has_its_label_in_the_negative_amount_message(key, label):
    document = clean_document()
    document.basic_data.rows = {key: Columns(budget=D("-0.5"))}

    assert validate(document)[0] == finding(
        "negative_amount",
        f"basic_data.rows.{key}",
        f"附件1“{label}”行“本年预算数”为负数（-0.5），不能小于0。",
    )


def test_basic_rows_are_labelled_as_on_the_paper_form():
    assert list(BASIC_ROW_LABELS.items()) == list(
        zip(
            BASIC_ROW_KEYS,
            (
                "三公经费",
                "1、公务用车购置和维护经费",
                "其中：公车购置",
                "公车运行维护",
                "2、出国经费",
                "3、公务接待",
                "项目支出",
                "公用经费",
                "其中：办公费",
                "水费、电费、差旅费",
                "会议费、培训费",
                "政府采购金额",
                "部门基本支出预算调整",
            ),
            strict=True,
        )
    )


def test_missing_basic_rows_count_as_empty():
    document = clean_document()
    document.basic_data.rows = {"office": Columns(final=D("5"))}

    assert validate(document) == []


def test_three_public_must_equal_its_parts_column_by_column():
    document = clean_document()
    set_rows(
        document,
        three_public=Columns(prior_final=D("10"), budget=D("8"), final=D("2.14")),
        vehicle=Columns(prior_final=D("5"), budget=D("5"), final=D("1")),
        overseas=Columns(prior_final=D("3"), budget=D("2"), final=D("0.5")),
        reception=Columns(prior_final=D("2"), final=D("0.5")),
        vehicle_purchase=Columns(prior_final=D("5"), budget=D("5"), final=D("1")),
    )

    assert validate(document) == [
        finding(
            "sum_mismatch",
            "basic_data.rows.three_public",
            "附件1“三公经费”应等于1、公务用车购置和维护经费、2、出国经费、3、公务接待之和："
            "本年预算数填8.00，各项合计7.00；本年决算数填2.14，各项合计2.00。",
        )
    ]


def test_vehicle_must_equal_purchase_plus_operation():
    document = clean_document()
    set_rows(
        document,
        three_public=Columns(prior_final=D("4")),
        vehicle=Columns(prior_final=D("4")),
        vehicle_purchase=Columns(prior_final=D("1")),
        vehicle_operation=Columns(prior_final=D("2")),
    )

    assert validate(document) == [
        finding(
            "sum_mismatch",
            "basic_data.rows.vehicle",
            "附件1“1、公务用车购置和维护经费”应等于其中：公车购置、公车运行维护之和："
            "上年决算数填4.00，各项合计3.00。",
        )
    ]


def test_basic_sums_wait_for_the_total_and_a_part():
    document = clean_document()
    set_rows(
        document,
        three_public=Columns(budget=D("8")),
        vehicle=Columns(final=D("3")),
        overseas=Columns(prior_final=D("1")),
    )

    assert validate(document) == []


def test_one_detail_row_above_public_funds_is_one_items_mismatch():
    # Earlier a flipped `if key == "public_funds"` gave twelve identical findings.
    document = clean_document()
    set_rows(
        document,
        public_funds=Columns(prior_final=D("10"), budget=D("10"), final=D("10")),
        office=Columns(prior_final=D("10"), budget=D("12"), final=D("10.01")),
    )

    assert validate(document) == [
        finding(
            "items_mismatch",
            "basic_data.rows.public_funds",
            "附件1“其中：办公费”超过了“公用经费”：本年预算数12.00大于10.00；本年决算数10.01大于10.00。",
        )
    ]


def test_each_detail_row_above_public_funds_is_its_own_items_mismatch():
    document = clean_document()
    set_rows(
        document,
        public_funds=Columns(prior_final=D("10"), final=D("10")),
        office=Columns(prior_final=D("4"), budget=D("99")),
        utilities_travel=Columns(prior_final=D("11")),
        meetings_training=Columns(final=D("10.5")),
    )

    assert validate(document) == [
        finding(
            "items_mismatch",
            "basic_data.rows.public_funds",
            "附件1“水费、电费、差旅费”超过了“公用经费”：上年决算数11.00大于10.00。",
        ),
        finding(
            "items_mismatch",
            "basic_data.rows.public_funds",
            "附件1“会议费、培训费”超过了“公用经费”：本年决算数10.50大于10.00。",
        ),
    ]


def test_project_items_negative_and_their_sum_against_project_total():
    document = clean_document()
    set_rows(document, project_total=Columns(prior_final=D("9"), budget=D("8"), final=D("7")))
    document.basic_data.project_items = [
        ProjectItem(name="业务工作经费", prior_final=D("9"), budget=D("5"), final=D("-1")),
        ProjectItem(name="运行维护经费", prior_final=D("-2"), budget=D("3")),
    ]

    assert validate(document) == [
        finding(
            "negative_amount",
            "basic_data.project_items[0]",
            "附件1项目支出第1项“业务工作经费”“本年决算数”为负数（-1），不能小于0。",
        ),
        finding(
            "negative_amount",
            "basic_data.project_items[1]",
            "附件1项目支出第2项“运行维护经费”“上年决算数”为负数（-2），不能小于0。",
        ),
        finding(
            "items_mismatch",
            "basic_data.project_items",
            "附件1项目支出明细合计与“项目支出”不符：上年决算数填9.00，各项合计7.00；"
            "本年决算数填7.00，各项合计-1.00。",
        ),
    ]


def test_matching_project_items_are_fine():
    document = clean_document()
    set_rows(document, project_total=Columns(budget=D("8")))
    document.basic_data.project_items = [
        ProjectItem(name="甲", budget=D("5")),
        ProjectItem(name="乙", budget=D("3")),
    ]

    assert validate(document) == []


def test_negative_building_figures_are_negative_amounts():
    document = clean_document()
    document.basic_data.buildings = [
        Building(name="办公楼", approved_area=D("1")),
        Building(
            name="车库",
            approved_area=D("-1"),
            actual_area=D("-2"),
            budget_investment=D("-3"),
            actual_investment=D("-4"),
        ),
    ]

    assert validate(document) == [
        finding(
            "negative_amount",
            "basic_data.buildings[1]",
            f"附件1楼堂馆所“车库”的“{label}”为负数（{value}），不能小于0。",
        )
        for label, value in (
            ("批复规模", "-1"),
            ("实际规模", "-2"),
            ("预算投资", "-3"),
            ("实际投资", "-4"),
        )
    ]


# --- weights and level-1 weights ---------------------------------------------------------------


def test_weights_not_100_is_waived_when_the_template_allows_normalization():
    document = clean_document()
    document.indicators[2].applicable = False

    assert validate(document, ScoringParams(allow_normalization=True)) == [
        finding(
            "level1_weight_mismatch",
            "indicators",
            "附件2部门整体支出绩效自评表一级指标“满意度指标”分值合计0，本年度评分规则建议为10，请核实。",
        )
    ]
    assert [f.code for f in validate(document)] == ["weights_not_100", "level1_weight_mismatch"]


def test_weights_above_100_name_the_sums_with_the_template_execution_weight():
    document = clean_document()
    document.funds.weight = None
    document.indicators.append(row("成本指标", "7.5", name="成本"))

    assert validate(document, ScoringParams(execution_weight=D("12"))) == [
        finding(
            "weights_not_100",
            "indicators",
            "附件2部门整体支出绩效自评表满分为109.5（预算执行率分值12＋指标分值合计97.5），应为100。"
            "本年度的评分规则不按不适用指标折算满分，请调整各指标分值，使指标分值合计为88；"
            "标为不适用的指标如需计分，请取消不适用并填写分值和得分。",
        )
    ]


def test_level1_weights_are_compared_with_the_template_advice():
    document = clean_document()
    document.indicators = [
        row(" 产出指标 ", "40", name="产出"),
        row(LEVEL1_OUTPUT, "10", name="产出二", applicable=False),
        row(LEVEL1_BENEFIT, "30", name="效益"),
        row(LEVEL1_SATISFACTION, None, name="满意度", score=""),
        row("成本指标", "20", name="成本"),
    ]
    template = ScoringParams(output_weight=D("40"), benefit_weight=D("35"))

    assert validate(document, template) == [
        finding(
            "level1_weight_mismatch",
            "indicators",
            "附件2部门整体支出绩效自评表一级指标“效益指标”分值合计30，本年度评分规则建议为35，请核实。",
        ),
        finding(
            "level1_weight_mismatch",
            "indicators",
            "附件2部门整体支出绩效自评表一级指标“满意度指标”分值合计0，本年度评分规则建议为10，请核实。",
        ),
    ]


# --- indicator rows ----------------------------------------------------------------------------


def one_row_document(indicator: Indicator, template=TEMPLATE) -> list[Finding]:
    """The findings of a clean filing whose 产出 row is replaced by `indicator`,
    without the table-wide findings the replacement may cause."""
    document = clean_document()
    document.indicators[0] = indicator
    return [f for f in validate(document, template) if f.where != "indicators"]


@pytest.mark.parametrize(
    ("name", "level2", "level1", "label"),
    [
        ("按时完成率", "时效指标", "产出指标", "附件2第1行指标“按时完成率”"),
        ("", "时效指标", "产出指标", "附件2第1行指标“时效指标”"),
        (" ", " ", "产出指标", "附件2第1行指标“产出指标”"),
        ("", "", "", "附件2第1行指标"),
        (" 按时 ", "", "", "附件2第1行指标“按时”"),
    ],
)
def test_row_label_uses_the_most_specific_name(name, level2, level1, label):
    indicator = row(level1, "50", name=name, level2=level2, actual="")

    assert one_row_document(indicator) == [
        finding("actual_missing", "indicators[0]", f"{label}未填写实际完成值。")
    ]


@pytest.mark.parametrize(
    ("score", "limit"),
    [("-1", "50"), ("50.01", "50"), ("51", "50")],
)
def test_score_outside_0_to_weight_is_score_out_of_range(score, limit):
    indicator = row(weight="50", score=score, name="产出", deviation="原因")

    assert one_row_document(indicator)[0] == finding(
        "score_out_of_range",
        "indicators[0]",
        f"附件2第1行指标“产出”得分{D(score).normalize():f}超出0至分值{limit}的范围。",
    )


@pytest.mark.parametrize("score", ["0", "50"])
def test_score_at_the_edges_is_in_range(score):
    indicator = row(weight="50", score=score, name="产出", deviation="原因", target="", actual="x")

    assert one_row_document(indicator) == []


def test_score_with_empty_weight_is_out_of_range_against_zero():
    indicator = row(weight=None, score="5", name="产出")

    assert one_row_document(indicator) == [
        finding(
            "score_out_of_range",
            "indicators[0]",
            "附件2第1行指标“产出”得分5超出0至分值（未填写，按0计）的范围。",
        )
    ]


def test_zero_score_with_empty_weight_is_in_range():
    indicator = row(weight=None, score="0", name="产出")

    assert one_row_document(indicator) == []


def test_negative_weight_is_a_negative_amount_even_on_a_not_applicable_row():
    document = clean_document()
    document.indicators.append(
        row("成本指标", "-5", score="", name="成本", applicable=False, actual="")
    )

    assert validate(document) == [
        finding(
            "negative_amount",
            "indicators[3]",
            "附件2第4行指标“成本”的分值为负数（-5），不能小于0。",
        )
    ]


def test_not_applicable_row_is_not_checked_further():
    indicator = row(weight="50", score="70", name="产出", actual="", applicable=False)
    document = clean_document()
    document.indicators[0] = indicator

    assert [f.code for f in validate(document)] == ["weights_not_100", "level1_weight_mismatch"]


@pytest.mark.parametrize("actual", ["", "  "])
def test_applicable_row_without_actual_is_actual_missing(actual):
    indicator = row(weight="50", name="产出", actual=actual)

    assert one_row_document(indicator) == [
        finding("actual_missing", "indicators[0]", "附件2第1行指标“产出”未填写实际完成值。")
    ]


@pytest.mark.parametrize(
    ("actual", "score", "band"),
    [
        ("达成年度指标", "39.99", "不低于40且不高于50"),
        ("部分达成年度指标并具有一定效果", "40", "不低于30且低于40"),
        ("部分达成年度指标并具有一定效果", "29.5", "不低于30且低于40"),
        ("未达成年度指标且效果较差", "30", "不低于0且低于30"),
    ],
)
def test_qualitative_score_outside_its_band_is_qualitative_band(actual, score, band):
    indicator = row(weight="50", score=score, name="产出", actual=actual, deviation="原因")

    assert one_row_document(indicator) == [
        finding(
            "qualitative_band",
            "indicators[0]",
            f"附件2第1行指标“产出”实际完成值为“{actual}”，得分应{band}，现为{score}。",
        )
    ]


@pytest.mark.parametrize(
    ("actual", "score"),
    [
        ("达成年度指标", "40"),
        ("达成年度指标", "50"),
        ("部分达成年度指标并具有一定效果", "30"),
        ("未达成年度指标且效果较差", "29.99"),
    ],
)
def test_qualitative_score_inside_its_band_is_fine(actual, score):
    indicator = row(weight="50", score=score, name="产出", actual=actual, deviation="原因")

    assert one_row_document(indicator) == []


def test_qualitative_row_with_empty_score_is_not_band_checked():
    indicator = row(weight="50", score="", name="产出", actual="达成年度指标", deviation="原因")

    assert one_row_document(indicator) == []


def test_qualitative_row_with_empty_weight_has_no_band_to_check():
    indicator = row(weight=None, score="0", name="产出", actual="达成年度指标")

    assert one_row_document(indicator) == []


def test_score_out_of_range_with_empty_weight_on_a_qualitative_row():
    indicator = row(weight=None, score="3", name="产出", actual="达成年度指标")

    assert one_row_document(indicator) == [
        finding(
            "score_out_of_range",
            "indicators[0]",
            "附件2第1行指标“产出”得分3超出0至分值（未填写，按0计）的范围。",
        )
    ]


def test_score_below_weight_without_reason_is_deviation_missing():
    indicator = row(weight="50", score="45", name="产出", target="效果明显", actual="较好")

    assert one_row_document(indicator) == [
        finding(
            "deviation_missing",
            "indicators[0]",
            "附件2第1行指标“产出”得分（45）低于分值（50），须填写偏差原因分析及改进措施。",
        )
    ]


def test_empty_score_counts_zero_and_needs_a_reason():
    indicator = row(weight="50", score="", name="产出", target="效果明显", actual="较好")

    assert one_row_document(indicator) == [
        finding(
            "deviation_missing",
            "indicators[0]",
            "附件2第1行指标“产出”未填写得分（按0分计），低于分值（50），须填写偏差原因分析及改进措施。",
        )
    ]


@pytest.mark.parametrize(
    ("weight", "score", "deviation", "required"),
    [
        ("50", "45", "受疫情影响。", True),
        ("50", "50", "", True),
        ("50", "45", "", False),
        ("50", "", "", False),
        (None, "", "", True),
        ("0", "", "", True),
    ],
)
def test_no_deviation_needed_with_a_reason_full_score_no_weight_or_a_lenient_template(
    weight, score, deviation, required
):
    indicator = row(
        weight=weight,
        score=score,
        name="产出",
        target="效果明显",
        actual="较好",
        deviation=deviation,
    )

    assert one_row_document(indicator, ScoringParams(deviation_required=required)) == []


def test_blank_deviation_is_no_reason():
    indicator = row(
        weight="50", score="45", name="产出", target="效果明显", actual="较好", deviation=" \n"
    )

    assert [f.code for f in one_row_document(indicator)] == ["deviation_missing"]


@pytest.mark.parametrize(
    ("target", "actual", "suggestion", "explanation"),
    [
        ("≥1", "0.5", "25", "正向指标（实际完成值达到或超过年度指标值得满分）"),
        ("≤1", "1.5", "25", "反向指标（实际完成值不超过年度指标值得满分）"),
        ("=2", "1", "25", "等于型指标（实际完成值达到年度指标值得满分）"),
        ("≤1", "1.25", "37.5", "反向指标（实际完成值不超过年度指标值得满分）"),
    ],
)
def test_score_other_than_suggested_is_score_differs(target, actual, suggestion, explanation):
    indicator = row(weight="50", score="50", name="产出", target=target, actual=actual)

    assert one_row_document(indicator) == [
        finding(
            "score_differs",
            "indicators[0]",
            f"附件2第1行指标“产出”是{explanation}，按实际完成值计算的建议得分为{suggestion}，"
            "填报得分为50，请核实。",
        )
    ]


def test_score_equal_to_suggestion_or_without_one_does_not_differ():
    same = row(weight="50", score="25", name="产出", target="≥1", actual="0.5", deviation="x")
    empty_score = row(weight="50", score="", name="产出", target="≥1", actual="0.5", deviation="x")

    assert one_row_document(same) == []
    assert one_row_document(empty_score) == []


def test_words_for_a_numeric_target_are_not_comparable():
    indicator = row(weight="50", score="50", name="产出", target="≥95%", actual="按期完成")

    assert one_row_document(indicator) == [
        finding(
            "actual_not_comparable",
            "indicators[0]",
            "附件2第1行指标“产出”年度指标值“≥95%”是数值，实际完成值“按期完成”却不是，"
            "无法计算建议得分；请按年度指标值的写法填写实际完成的数值。",
        )
    ]


def test_one_row_can_break_several_rules_in_a_fixed_order():
    indicator = row(weight="50", score="60", name="产出", target="≥95%", actual="按期完成")
    indicator.weight = D("-50")

    assert one_row_document(indicator) == [
        finding(
            "negative_amount",
            "indicators[0]",
            "附件2第1行指标“产出”的分值为负数（-50），不能小于0。",
        ),
        finding(
            "score_out_of_range",
            "indicators[0]",
            "附件2第1行指标“产出”得分60超出0至分值-50的范围。",
        ),
        finding(
            "actual_not_comparable",
            "indicators[0]",
            "附件2第1行指标“产出”年度指标值“≥95%”是数值，实际完成值“按期完成”却不是，"
            "无法计算建议得分；请按年度指标值的写法填写实际完成的数值。",
        ),
    ]


# --- generous scores ---------------------------------------------------------------------------


def generous(executed: str, scores=("50", "30", "10"), weight="10") -> list[Finding]:
    document = clean_document()
    document.funds.executed = None if executed is None else D(executed)
    document.funds.weight = None if weight is None else D(weight)
    document.funds.by_nature = FundsByNature()
    for indicator, score in zip(document.indicators, scores, strict=True):
        indicator.score = None if score is None else D(score)
        indicator.deviation = "原因"
        indicator.target = ""
    return [f for f in validate(document) if f.code == "score_exceeds_execution"]


def test_indicator_rate_more_than_5_percent_above_execution_rate_is_a_warning():
    # r_ind = 1, r_exec = 9.49 ÷ 10: (1 − 0.949) ÷ 1 = 5.1 % > 5 %.
    assert generous("94.9") == [
        finding(
            "score_exceeds_execution",
            "indicators",
            "附件2部门整体支出绩效自评表的指标得分率为100.00%（指标得分90÷指标分值90），"
            "预算执行率得分率只有94.90%（执行率得分9.49÷执行率分值10），"
            "指标得分率高出5%以上，自评得分可能偏高，请核实各指标得分。",
        )
    ]


def test_exactly_5_percent_above_is_not_generous():
    assert generous("95") == []


def test_generous_ratio_is_relative_to_the_indicator_rate():
    # r_ind = 45 ÷ 90 = 0.5, r_exec = 0.47: (0.5 − 0.47) ÷ 0.5 = 6 % > 5 %,
    # although the two rates differ by 3 points only.
    assert [f.message for f in generous("47", scores=("25", "15", "5"))] == [
        "附件2部门整体支出绩效自评表的指标得分率为50.00%（指标得分45÷指标分值90），"
        "预算执行率得分率只有47.00%（执行率得分4.7÷执行率分值10），"
        "指标得分率高出5%以上，自评得分可能偏高，请核实各指标得分。"
    ]
    # (0.5 − 0.48) ÷ 0.5 = 4 %.
    assert generous("48", scores=("25", "15", "5")) == []


def test_margin_is_relative_to_the_unrounded_indicator_rate():
    # r_ind = 89 ÷ 90 = 0.98888…; 5 % below it is 0.93944…. 执行率分值 20:
    # 93.95 % gives 18.79 ÷ 20 = 0.9395 (4.99 % below), 93.9 % gives 0.939 (5.04 %).
    scores = ("49", "30", "10")

    assert generous("93.95", scores=scores, weight="20") == []
    assert [f.message for f in generous("93.9", scores=scores, weight="20")] == [
        "附件2部门整体支出绩效自评表的指标得分率为98.89%（指标得分89÷指标分值90），"
        "预算执行率得分率只有93.90%（执行率得分18.78÷执行率分值20），"
        "指标得分率高出5%以上，自评得分可能偏高，请核实各指标得分。"
    ]


@pytest.mark.parametrize(
    ("executed", "scores", "weight"),
    [
        (None, ("50", "30", "10"), "10"),
        ("50", ("50", "30", "10"), "0"),
        ("50", ("0", "0", "0"), "10"),
        ("50", (None, None, None), "10"),
    ],
)
def test_generous_check_is_skipped_without_both_rates(executed, scores, weight):
    assert generous(executed, scores=scores, weight=weight) == []


def test_generous_check_works_with_less_than_one_indicator_point():
    document = clean_document()
    document.indicators = [row(LEVEL1_OUTPUT, "0.5", name="产出")]
    document.funds.executed = D("50")
    document.funds.by_nature = FundsByNature()

    assert [f for f in validate(document) if f.code == "score_exceeds_execution"] == [
        finding(
            "score_exceeds_execution",
            "indicators",
            "附件2部门整体支出绩效自评表的指标得分率为100.00%（指标得分0.5÷指标分值0.5），"
            "预算执行率得分率只有50.00%（执行率得分5÷执行率分值10），"
            "指标得分率高出5%以上，自评得分可能偏高，请核实各指标得分。",
        )
    ]


def test_generous_check_is_skipped_without_indicator_points():
    document = clean_document()
    document.indicators = [row(LEVEL1_OUTPUT, "0", name="产出")]
    document.funds.executed = D("10")
    document.funds.by_nature = FundsByNature()

    assert "score_exceeds_execution" not in [f.code for f in validate(document)]


def test_generous_check_is_skipped_with_negative_indicator_points():
    document = clean_document()
    document.indicators = [row(LEVEL1_OUTPUT, "-5", name="产出", score="-5")]
    document.funds.executed = D("10")
    document.funds.by_nature = FundsByNature()

    assert "score_exceeds_execution" not in [f.code for f in validate(document)]


# --- 附件3 projects ----------------------------------------------------------------------------


@pytest.mark.parametrize("total", [None, FundLine(), FundLine(full_year_budget=D("0"))])
def test_project_without_full_year_budget_is_budget_missing(total):
    project = clean_project()
    project.funds.total = total

    assert validate(clean_document(projects=[project])) == [
        finding(
            "budget_missing",
            "projects[0].funds",
            "附件3项目“区委办专项”年度资金总额的“全年预算数”未填写或为0，无法计算预算执行率。",
        )
    ]


def test_negative_project_funds_are_negative_amounts_per_line_and_column():
    project = clean_project()
    project.funds.weight = D("-10")
    project.funds.total = FundLine(initial_budget=D("-1"), full_year_budget=D("373"))
    project.funds.current_appropriation = FundLine(full_year_budget=D("-2"))
    project.funds.carryover = FundLine(executed=D("-3"))
    project.funds.other = FundLine(initial_budget=D("-4"), executed=D("-5"))

    findings = validate(clean_document(projects=[project]))

    assert findings[:6] == [
        finding(
            "negative_amount",
            "projects[0].funds.weight",
            "附件3项目“区委办专项”“执行率分值”为负数（-10），不能小于0。",
        ),
        finding(
            "negative_amount",
            "projects[0].funds.total",
            "附件3项目“区委办专项”年度资金总额的“年初预算数”为负数（-1），不能小于0。",
        ),
        finding(
            "negative_amount",
            "projects[0].funds.current_appropriation",
            "附件3项目“区委办专项”当年财政拨款的“全年预算数”为负数（-2），不能小于0。",
        ),
        finding(
            "negative_amount",
            "projects[0].funds.carryover",
            "附件3项目“区委办专项”上年结转资金的“全年执行数”为负数（-3），不能小于0。",
        ),
        finding(
            "negative_amount",
            "projects[0].funds.other",
            "附件3项目“区委办专项”其他资金的“年初预算数”为负数（-4），不能小于0。",
        ),
        finding(
            "negative_amount",
            "projects[0].funds.other",
            "附件3项目“区委办专项”其他资金的“全年执行数”为负数（-5），不能小于0。",
        ),
    ]
    assert [(f.code, f.where) for f in findings[6:]] == [
        ("weights_not_100", "projects[0].indicators")
    ]


def test_missing_fund_lines_are_skipped_but_the_next_ones_checked():
    project = clean_project()
    project.funds.total = None
    project.funds.carryover = FundLine(executed=D("-3"))

    assert validate(clean_document(projects=[project])) == [
        finding(
            "budget_missing",
            "projects[0].funds",
            "附件3项目“区委办专项”年度资金总额的“全年预算数”未填写或为0，无法计算预算执行率。",
        ),
        finding(
            "negative_amount",
            "projects[0].funds.carryover",
            "附件3项目“区委办专项”上年结转资金的“全年执行数”为负数（-3），不能小于0。",
        ),
    ]


def test_project_execution_over_100_is_a_warning_on_its_funds():
    project = clean_project()
    project.funds.total.executed = D("400")

    assert validate(clean_document(projects=[project])) == [
        finding(
            "execution_over_100",
            "projects[0].funds",
            "附件3项目“区委办专项”预算执行率为107.24%，超过100%（全年执行数大于全年预算数），请核实。",
        )
    ]


def test_project_tables_are_checked_like_the_filing_table():
    first = clean_project("甲")
    second = clean_project("乙")
    second.indicators[1].weight = D("20")
    second.indicators[1].score = D("20")
    second.indicators[2].actual = ""

    assert validate(clean_document(projects=[first, second])) == [
        finding(
            "weights_not_100",
            "projects[1].indicators",
            "附件3项目“乙”自评表满分为90（预算执行率分值10＋指标分值合计80），应为100。"
            "本年度的评分规则不按不适用指标折算满分，请调整各指标分值，使指标分值合计为90；"
            "标为不适用的指标如需计分，请取消不适用并填写分值和得分。",
        ),
        finding(
            "actual_missing",
            "projects[1].indicators[2]",
            "附件3项目“乙”第3行指标“满意度”未填写实际完成值。",
        ),
        finding(
            "level1_weight_mismatch",
            "projects[1].indicators",
            "附件3项目“乙”自评表一级指标“效益指标”分值合计20，本年度评分规则建议为30，请核实。",
        ),
    ]


def test_project_generous_score_names_the_project_table():
    project = clean_project()
    project.funds.total.executed = D("186.5")

    assert validate(clean_document(projects=[project])) == [
        finding(
            "score_exceeds_execution",
            "projects[0].indicators",
            "附件3项目“区委办专项”自评表的指标得分率为100.00%（指标得分90÷指标分值90），"
            "预算执行率得分率只有50.00%（执行率得分5÷执行率分值10），"
            "指标得分率高出5%以上，自评得分可能偏高，请核实各指标得分。",
        )
    ]


# --- project_amount_mismatch -----------------------------------------------------------------


def amounts_document(items, projects) -> FilingDocument:
    document = clean_document(projects=projects)
    document.basic_data.project_items = items
    return document


def amount_findings(document) -> list[Finding]:
    return [f for f in validate(document) if f.code in ("project_amount_mismatch",)]


def test_project_executed_must_match_the_items_final_of_the_same_name():
    document = amounts_document(
        [ProjectItem(name="其他", final=D("1")), ProjectItem(name=" 区委办专项 ", final=D("370"))],
        [clean_project(" 区委办专项")],
    )

    assert amount_findings(document) == [
        finding(
            "project_amount_mismatch",
            "projects[0].funds.total",
            "附件3项目“区委办专项”年度资金总额的“全年执行数”为373.00万元，"
            "与附件1项目支出明细（第2行）“区委办专项”的“本年决算数”370.00万元不一致，请核对。",
        )
    ]


def test_amounts_of_one_name_are_added_up_on_both_sides():
    first, second, other = clean_project("专项"), clean_project("专项"), clean_project("别的")
    second.funds.total = FundLine(full_year_budget=D("100"), executed=D("100"))
    document = amounts_document(
        [
            ProjectItem(name="专项", final=D("400")),
            ProjectItem(name="别的", final=D("373")),
            ProjectItem(name="专项", final=D("70")),
        ],
        [other, first, second],
    )

    assert amount_findings(document) == [
        finding(
            "project_amount_mismatch",
            "projects[1].funds.total",
            "附件3中2张同名项目表“专项”年度资金总额的“全年执行数”合计为473.00万元，"
            "与附件1项目支出明细（第1行、第3行）“专项”的“本年决算数”470.00万元不一致，请核对。",
        )
    ]


def test_projects_without_an_item_do_not_stop_the_comparison():
    document = amounts_document(
        [ProjectItem(name="乙", final=D("1"))],
        [clean_project("甲"), clean_project("乙")],
    )

    assert amount_findings(document) == [
        finding(
            "project_amount_mismatch",
            "projects[1].funds.total",
            "附件3项目“乙”年度资金总额的“全年执行数”为373.00万元，"
            "与附件1项目支出明细（第1行）“乙”的“本年决算数”1.00万元不一致，请核对。",
        )
    ]


def test_matching_amounts_of_one_name_are_fine():
    first, second = clean_project("专项"), clean_project("专项")
    document = amounts_document(
        [ProjectItem(name="专项", final=D("700")), ProjectItem(name="专项", final=D("46"))],
        [first, second],
    )

    assert amount_findings(document) == []


def test_amounts_are_compared_only_when_both_sides_have_a_value_and_a_name():
    no_executed = clean_project("甲")
    no_executed.funds.total.executed = None
    no_total = clean_project("乙")
    no_total.funds.total = None
    unnamed = clean_project(" ")
    document = amounts_document(
        [
            ProjectItem(name="甲", final=D("1")),
            ProjectItem(name="乙", final=D("1")),
            ProjectItem(name="丙"),
            ProjectItem(name=" ", final=D("1")),
        ],
        [no_executed, no_total, clean_project("丙"), unnamed, clean_project("丁")],
    )

    assert amount_findings(document) == []

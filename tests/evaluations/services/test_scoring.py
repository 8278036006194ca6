from decimal import Decimal

import pytest

from evaluations.core.document import (
    Building,
    FilingDocument,
    FundLine,
    Funds,
    Indicator,
    Project,
    ProjectFunds,
    Staffing,
)
from evaluations.core.scoring import (
    RULE_EQUAL,
    RULE_LABELS,
    RULE_MANUAL,
    RULE_NOT_APPLICABLE,
    RULE_POSITIVE,
    RULE_QUALITATIVE,
    RULE_REVERSE,
    BuildingRates,
    FilingScore,
    TableScore,
    document_score,
    indicator_suggest,
    parse_indicator_value,
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


def row(target="", actual="", weight="10", score=None, **kwargs) -> Indicator:
    return Indicator(
        level1=kwargs.pop("level1", "产出指标"),
        name=kwargs.pop("name", "测试指标"),
        target=target,
        actual=actual,
        weight=None if weight is None else D(weight),
        score=None if score is None else D(score),
        **kwargs,
    )


def suggest(target, actual, weight="10", **template_overrides):
    return indicator_suggest(
        indicator=row(target, actual, weight), template=template(**template_overrides)
    )


def filing(*, budget="100", executed="100", weight="10", indicators=(), **kwargs) -> FilingDocument:
    return FilingDocument(
        fiscal_year=2023,
        funds=Funds(
            full_year_budget=None if budget is None else D(budget),
            executed=None if executed is None else D(executed),
            weight=None if weight is None else D(weight),
        ),
        indicators=list(indicators),
        **kwargs,
    )


# --- acceptance: the reference figures of DOMAIN.md -------------------------------------------


def test_beita_scores_as_the_reference_figures():
    score = document_score(document=example("beita"), template=template())

    assert score.execution_rate == D("100.00")
    assert score.execution_score == D("10.00")
    assert score.total_score == D("97.00")
    assert score.max_score == D("100.00")
    assert score.normalized_score == D("97.00")
    assert score.grade == "优"
    assert score.staffing_control_rate == D("156.52")
    assert score.projects == []


def test_junshan_scores_as_the_reference_figures():
    score = document_score(document=example("junshan"), template=template())

    assert (score.execution_rate, score.execution_score) == (D("100.00"), D("10.00"))
    assert (score.total_score, score.max_score) == (D("99.00"), D("100.00"))
    assert score.grade == "优"
    assert score.staffing_control_rate == D("100.00")


def test_junshan_project_scores_as_the_reference_figures():
    [project] = document_score(document=example("junshan"), template=template()).projects

    assert (project.execution_rate, project.execution_score) == (D("100.00"), D("10.00"))
    assert (project.total_score, project.max_score) == (D("98.00"), D("100.00"))
    assert project.grade == "优"


def test_junshan_rules_follow_the_targets():
    document = example("junshan")
    score = document_score(document=document, template=template())

    assert document.indicators[11].target == "≧95%"
    assert parse_indicator_value(document.indicators[11].target).comparator == "ge"

    assert [result.rule for result in score.indicators] == [
        RULE_POSITIVE,  # 12次
        RULE_POSITIVE,  # 800篇、条
        RULE_POSITIVE,  # ≥60次
        RULE_POSITIVE,
        RULE_POSITIVE,
        RULE_MANUAL,  # 2023、12、31
        RULE_REVERSE,  # ≤1013.19万元
        RULE_MANUAL,  # 效果明显
        RULE_MANUAL,
        RULE_MANUAL,
        RULE_MANUAL,
        RULE_POSITIVE,  # ≧95%
    ]
    assert score.indicators[11].suggested_score == D("10.00")


def test_filing_score_is_a_table_score_with_filing_figures():
    score = document_score(document=filing(), template=template())

    assert isinstance(score, FilingScore)
    assert isinstance(score, TableScore)
    assert score.buildings == []


# --- parsing indicator values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "comparator"),
    [
        ("≥98%", "ge"),
        ("≧98%", "ge"),
        (">=98%", "ge"),
        ("＞=98%", "ge"),
        ("＞＝98%", "ge"),
        (">98%", "gt"),
        ("＞98%", "gt"),
        ("≤98%", "le"),
        ("≦98%", "le"),
        ("<=98%", "le"),
        ("＜=98%", "le"),
        ("<98%", "lt"),
        ("＜98%", "lt"),
        ("=98%", "eq"),
        ("＝98%", "eq"),
        ("==98%", "eq"),
        ("98%", None),
    ],
)
def test_every_comparator_spelling_is_recognised(text, comparator):
    parsed = parse_indicator_value(text)

    assert parsed is not None
    assert parsed.comparator == comparator
    assert parsed.number == D("98")
    assert parsed.is_percent


@pytest.mark.parametrize(
    ("text", "number", "is_percent", "unit"),
    [
        ("5", "5", False, ""),
        ("100%", "100", True, ""),
        ("100％", "100", True, ""),
        ("９８％", "98", True, ""),
        ("≤1013.19万元", "1013.19", False, "万元"),
        ("12次", "12", False, "次"),
        ("800篇、条", "800", False, "篇、条"),
        ("≥60次", "60", False, "次"),
        ("3个", "3", False, "个"),
        ("20人次", "20", False, "人次"),
        (" ≥ 98 % ", "98", True, ""),
    ],
)
def test_numbers_percentages_and_units_are_read(text, number, is_percent, unit):
    parsed = parse_indicator_value(text)

    assert parsed is not None
    assert (parsed.number, parsed.is_percent, parsed.unit) == (D(number), is_percent, unit)


@pytest.mark.parametrize(
    "text",
    [
        "2023-12-31",
        "2023、12、31",
        "2023年1月1日-2023年12月31日",
        "效果明显",
        "有效促进",
        "1,000",
        "≥",
        "%",
        "",
        None,
    ],
)
def test_dates_words_and_empty_texts_are_not_numbers(text):
    assert parse_indicator_value(text) is None


# --- suggested scores ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "actual", "weight", "expected"),
    [
        ("≥98%", "98%", "5", "5.00"),  # B = A
        ("≥98%", "100%", "5", "5.00"),  # B > A
        ("≥100", "99", "10", "9.90"),  # just below A
        ("12次", "6次", "5", "2.50"),  # a bare number is positive
        (">1", "0", "5", "0.00"),
        ("≥3", "2", "10", "6.67"),
        ("≥8", "1", "1", "0.13"),  # 0.125: 四舍五入, not banker's rounding
        ("≥0", "0", "5", "5.00"),  # A = 0
        ("≥0", "3", "5", "5.00"),
    ],
)
def test_positive_rule_scores_actual_over_target(target, actual, weight, expected):
    result = suggest(target, actual, weight)

    assert result.rule == RULE_POSITIVE
    assert result.suggested_score == D(expected)


@pytest.mark.parametrize(
    ("target", "actual", "expected"),
    [
        ("≤100", "100", "10.00"),  # B = A
        ("≤100", "90", "10.00"),  # B below A
        ("<100", "100.01", "10.00"),  # just above A: 9.999 rounds up
        ("≤100", "150", "5.00"),  # A < B < 2A
        ("≤100", "199.99", "0.00"),
        ("≤100", "200", "0.00"),  # B = 2A
        ("≤100", "250", "0.00"),  # B > 2A
        ("≤8", "11", "6.25"),
        ("≤0", "0", "10.00"),  # A = 0
        ("<0", "1", "0.00"),
        ("≤1013.19万元", "1013.19万元", "10.00"),
    ],
)
def test_reverse_rule_linear_deducts_by_excess(target, actual, expected):
    result = suggest(target, actual, "10")

    assert result.rule == RULE_REVERSE
    assert result.suggested_score == D(expected)


def test_reverse_linear_rounds_half_up():
    # (1 − (11 − 8)/8) × 1 = 0.625
    assert suggest("≤8", "11", "1").suggested_score == D("0.63")


@pytest.mark.parametrize(
    ("target", "actual", "expected"),
    [
        ("≤100", "100", "10.00"),
        ("≤100", "90", "10.00"),
        ("≤100", "150", "6.67"),
        ("≤100", "200", "5.00"),
        ("≤100", "400", "2.50"),
        ("≤0", "0", "10.00"),
        ("≤0", "1", "0.00"),
    ],
)
def test_reverse_rule_ratio_scores_target_over_actual(target, actual, expected):
    result = suggest(target, actual, "10", reverse_formula="ratio")

    assert result.rule == RULE_REVERSE
    assert result.suggested_score == D(expected)


@pytest.mark.parametrize(
    ("target", "actual", "expected"),
    [
        ("=0", "0", "5.00"),
        ("=0", "1", "0.00"),
        ("=100%", "100%", "5.00"),  # 君山's "=100%" on both sides
        ("=100%", "90%", "4.50"),
        ("=24", "30", "5.00"),  # A > 0 is scored as positive
    ],
)
def test_equal_rule(target, actual, expected):
    result = suggest(target, actual, "5")

    assert result.rule == RULE_EQUAL
    assert result.suggested_score == D(expected)


def test_actual_with_a_comparator_is_read_by_its_number():
    assert suggest("≤100%", "≤100%").suggested_score == D("10.00")


@pytest.mark.parametrize(
    ("grade", "band", "high_inclusive"),
    [
        ("达成年度指标", ("8.00", "10.00"), True),
        ("部分达成年度指标并具有一定效果", ("6.00", "8.00"), False),
        ("未达成年度指标且效果较差", ("0.00", "6.00"), False),
    ],
)
def test_qualitative_grade_gives_a_band_and_no_suggestion(grade, band, high_inclusive):
    result = suggest("效果明显", grade)

    assert result.rule == RULE_QUALITATIVE
    assert result.suggested_score is None
    assert result.band == (D(band[0]), D(band[1]))
    assert result.band_high_inclusive is high_inclusive
    assert result.grade == grade


@pytest.mark.parametrize(
    ("grade", "score", "inside"),
    [
        ("达成年度指标", "10", True),
        ("达成年度指标", "8", True),  # exactly 0.8w
        ("达成年度指标", "7.99", False),
        ("部分达成年度指标并具有一定效果", "8", False),  # 0.8w belongs to the grade above
        ("部分达成年度指标并具有一定效果", "7.99", True),
        ("部分达成年度指标并具有一定效果", "6", True),  # exactly 0.6w
        ("部分达成年度指标并具有一定效果", "5.99", False),
        ("未达成年度指标且效果较差", "6", False),
        ("未达成年度指标且效果较差", "5.99", True),
        ("未达成年度指标且效果较差", "0", True),
    ],
)
def test_qualitative_band_edges(grade, score, inside):
    assert suggest("效果明显", grade).band_contains(D(score)) is inside


def test_qualitative_grade_wins_over_a_numeric_target():
    result = suggest("≥95%", "达成年度指标")

    assert result.rule == RULE_QUALITATIVE
    assert result.comparable


def test_qualitative_band_is_shown_in_interval_notation():
    assert suggest("", "达成年度指标").band_display == "[8.00, 10.00]"
    assert suggest("", "未达成年度指标且效果较差").band_display == "[0.00, 6.00)"


@pytest.mark.parametrize(
    ("target", "actual"),
    [
        ("效果明显", "效果明显"),
        ("2023-12-31", "2023-12-31"),
        ("2023、12、31", "2023、12、31"),
        ("2023年1月1日-2023年12月31日", "1年内完成情况"),
        ("不超支", "0"),
        ("", ""),
    ],
)
def test_non_numeric_target_is_scored_manually(target, actual):
    result = suggest(target, actual)

    assert result.rule == RULE_MANUAL
    assert result.suggested_score is None
    assert result.band is None


def test_not_applicable_row_gets_no_rule_and_no_suggestion():
    indicator = row("≥98%", "100%", weight=None, applicable=False)

    result = indicator_suggest(indicator=indicator, template=template())

    assert result.rule == RULE_NOT_APPLICABLE
    assert result.suggested_score is None


def test_empty_weight_gives_no_suggestion():
    result = suggest("≥98%", "100%", weight=None)

    assert result.rule == RULE_POSITIVE
    assert result.suggested_score is None


def test_empty_actual_is_not_called_incomparable():
    result = suggest("≥98%", "")

    assert result.suggested_score is None
    assert result.comparable


def test_non_numeric_actual_of_numeric_target_is_incomparable():
    result = suggest("100%", "参加单位建设提案办理经费")

    assert result.rule == RULE_POSITIVE
    assert result.suggested_score is None
    assert not result.comparable


def test_every_rule_has_a_chinese_label():
    assert RULE_LABELS == {
        RULE_POSITIVE: "正向",
        RULE_REVERSE: "反向",
        RULE_EQUAL: "等于",
        RULE_QUALITATIVE: "定性",
        RULE_MANUAL: "人工评分",
        RULE_NOT_APPLICABLE: "不适用",
    }


# --- table scores ----------------------------------------------------------------------------


def test_execution_rate_above_100_is_kept_but_its_score_is_capped():
    score = document_score(document=filing(budget="100", executed="120"), template=template())

    assert score.execution_rate == D("120.00")
    assert score.execution_score == D("10.00")


def test_execution_score_uses_the_rounded_rate():
    # 1/7 = 14.285…% → 14.29; 50 × 14.29 / 100 = 7.145 → 7.15 (7.14 from the raw rate)
    score = document_score(
        document=filing(budget="7", executed="1", weight="50"), template=template()
    )

    assert score.execution_rate == D("14.29")
    assert score.execution_score == D("7.15")


@pytest.mark.parametrize(("budget", "executed"), [("0", "100"), (None, "100"), ("100", None)])
def test_execution_rate_is_not_computable_without_budget_or_execution(budget, executed):
    indicators = [row("≥1", "1", weight="90", score="90")]

    score = document_score(
        document=filing(budget=budget, executed=executed, indicators=indicators),
        template=template(),
    )

    assert score.execution_rate is None
    assert score.execution_score is None
    assert score.total_score == D("90.00")  # the execution part counts 0
    assert score.max_score == D("100.00")


def test_empty_execution_weight_falls_back_to_the_template():
    score = document_score(
        document=filing(budget="100", executed="50", weight=None),
        template=template(execution_weight=D("20")),
    )

    assert score.execution_weight == D("20.00")
    assert score.execution_score == D("10.00")
    assert score.max_score == D("20.00")


def test_total_and_max_count_applicable_rows_only():
    indicators = [
        row("≥1", "1", weight="50", score="45"),
        row("≥1", "1", weight="30", score=None),  # empty 得分 counts 0
        row("≥1", "", weight=None, score=None, applicable=False),
        row("≥1", "1", weight="10", score="10", applicable=False),
    ]

    score = document_score(document=filing(indicators=indicators), template=template())

    assert score.indicator_score == D("45.00")
    assert score.total_score == D("55.00")
    assert score.max_score == D("90.00")
    assert len(score.indicators) == 4
    assert score.indicators[2].rule == RULE_NOT_APPLICABLE


def test_normalized_score_scales_total_to_100_when_rows_are_not_applicable():
    indicators = [
        row("≥1", "1", weight="80", score="71"),
        row("≥1", "", weight=None, applicable=False),
    ]

    score = document_score(document=filing(indicators=indicators), template=template())

    assert (score.total_score, score.max_score) == (D("81.00"), D("90.00"))
    assert score.normalized_score == D("90.00")
    assert score.grade == "优"


@pytest.mark.parametrize(
    ("indicator_score", "grade"),
    [
        ("90", "优"),  # 换算得分 100
        ("80", "优"),  # 90
        ("79.99", "良"),  # 89.99
        ("70", "良"),  # 80
        ("69.99", "中"),  # 79.99
        ("50", "中"),  # 60
        ("49.99", "差"),  # 59.99
        ("0", "差"),
    ],
)
def test_grade_band_edges(indicator_score, grade):
    indicators = [row("效果明显", "效果明显", weight="90", score=indicator_score)]

    score = document_score(document=filing(indicators=indicators), template=template())

    assert score.normalized_score == score.total_score
    assert score.grade == grade


def test_grade_bands_come_from_the_template():
    indicators = [row("效果明显", "效果明显", weight="90", score="75")]

    score = document_score(
        document=filing(indicators=indicators),
        template=template(grade_excellent=D("85"), grade_good=D("75"), grade_pass=D("50")),
    )

    assert score.grade == "优"


def test_zero_max_score_has_no_normalized_score_and_no_grade():
    score = document_score(document=filing(weight="0"), template=template())

    assert score.max_score == D("0.00")
    assert score.normalized_score is None
    assert score.grade == ""


def test_project_is_scored_from_its_total_funds_and_own_indicators():
    project = Project(
        name="专项",
        funds=ProjectFunds(
            weight=None,
            total=FundLine(full_year_budget=D("200"), executed=D("150")),
            current_appropriation=FundLine(full_year_budget=D("999"), executed=D("1")),
        ),
        indicators=[row("≥1", "1", weight="80", score="80")],
    )

    [score] = document_score(
        document=filing(projects=[project]), template=template(execution_weight=D("20"))
    ).projects

    assert score.execution_rate == D("75.00")
    assert score.execution_score == D("15.00")
    assert (score.total_score, score.max_score) == (D("95.00"), D("100.00"))
    assert score.grade == "优"


def test_project_without_total_funds_has_no_execution_rate():
    project = Project(name="专项", funds=ProjectFunds(total=None))

    [score] = document_score(document=filing(projects=[project]), template=template()).projects

    assert score.execution_rate is None
    assert score.execution_score is None


# --- staffing and buildings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorized", "actual", "expected"),
    [(23, 36, D("156.52")), (30, 30, D("100.00")), (0, 5, None), (None, 5, None), (5, None, None)],
)
def test_staffing_control_rate(authorized, actual, expected):
    document = filing(staffing=Staffing(authorized=authorized, actual=actual))

    assert document_score(document=document, template=template()).staffing_control_rate == expected


def test_building_control_rates():
    document = filing()
    document.basic_data.buildings = [
        Building(
            name="办公楼",
            approved_area=D("3000"),
            actual_area=D("3100"),
            budget_investment=D("0"),
            actual_investment=D("12.5"),
        )
    ]

    score = document_score(document=document, template=template())

    assert score.buildings == [
        BuildingRates(area_control_rate=D("103.33"), investment_control_rate=None)
    ]

"""evaluations/core/scoring.py without Django: every rule of DOMAIN.md "Computations"
at its edges, with the figures compared as text so that a lost rounding shows
("10" is not "10.00"). scripts/mutation holds these tests to a kill rate."""

from dataclasses import FrozenInstanceError
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
from evaluations.core.params import REVERSE_LINEAR, REVERSE_RATIO, ScoringParams
from evaluations.core.scoring import (
    GRADE_ACHIEVED,
    GRADE_NOT_ACHIEVED,
    GRADE_PARTLY,
    BuildingRates,
    FilingScore,
    IndicatorResult,
    ParsedValue,
    TableScore,
    document_score,
    grade_of,
    indicator_suggest,
    parse_indicator_value,
    project_total_line,
    qualitative_grade,
    rate,
)

D = Decimal
LINEAR = ScoringParams()
RATIO = ScoringParams(reverse_formula=REVERSE_RATIO)


def suggest(target, actual, weight="10", template=LINEAR, **kwargs) -> IndicatorResult:
    indicator = Indicator(
        target=target, actual=actual, weight=None if weight is None else D(weight), **kwargs
    )
    return indicator_suggest(indicator=indicator, template=template)


def suggested(target, actual, weight="10", template=LINEAR) -> str:
    """The suggested score as text, "" when there is none."""
    score = suggest(target, actual, weight, template).suggested_score
    return "" if score is None else str(score)


def figures(table: TableScore) -> dict[str, str | None]:
    """The figures of a score table as text (None stays None)."""
    names = (
        "execution_rate",
        "execution_score",
        "execution_weight",
        "indicator_score",
        "total_score",
        "max_score",
        "normalized_score",
    )
    shown = {name: getattr(table, name) for name in names}
    shown = {name: None if value is None else str(value) for name, value in shown.items()}
    shown["grade"] = table.grade
    return shown


def indicator(weight, score, applicable=True, **kwargs) -> Indicator:
    return Indicator(
        weight=None if weight is None else D(weight),
        score=None if score is None else D(score),
        applicable=applicable,
        **kwargs,
    )


# --- parse_indicator_value -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "comparator"),
    [
        (">=95%", "ge"),
        ("=>95%", "ge"),
        ("≥95%", "ge"),
        ("≧95%", "ge"),
        ("⩾95%", "ge"),
        ("<=95%", "le"),
        ("=<95%", "le"),
        ("≤95%", "le"),
        ("≦95%", "le"),
        ("⩽95%", "le"),
        ("==95%", "eq"),
        (">95%", "gt"),
        ("<95%", "lt"),
        ("=95%", "eq"),
        ("＞＝９５％", "ge"),
        ("＜＝９５％", "le"),
        ("＞９５％", "gt"),
        ("＜９５％", "lt"),
        ("＝９５％", "eq"),
        ("95%", None),
        ("９５％", None),
    ],
)
def test_every_comparator_spelling_reads_as_its_comparator(text, comparator):
    assert parse_indicator_value(text) == ParsedValue(
        comparator=comparator, number=D("95"), is_percent=True, unit=""
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("９８．５％", ParsedValue(None, D("98.5"), True, "")),
        ("≥９８．５％", ParsedValue("ge", D("98.5"), True, "")),
        ("０１２３４５６７８９", ParsedValue(None, D("123456789"), False, "")),
        ("１０次", ParsedValue(None, D("10"), False, "次")),
        ("\u3000≤１２\u3000次\u3000", ParsedValue("le", D("12"), False, "次")),
        ("≤1013.19万元", ParsedValue("le", D("1013.19"), False, "万元")),
        ("12次", ParsedValue(None, D("12"), False, "次")),
        ("=24", ParsedValue("eq", D("24"), False, "")),
        ("  >= 95 %  ", ParsedValue("ge", D("95"), True, "")),
        (">=\t95", ParsedValue("ge", D("95"), False, "")),
        ("≥ 3 个 ", ParsedValue("ge", D("3"), False, "个")),
        ("0", ParsedValue(None, D("0"), False, "")),
        ("5：", ParsedValue(None, D("5"), False, "：")),
        ("５：", ParsedValue(None, D("5"), False, "：")),
        ("100.00%", ParsedValue(None, D("100.00"), True, "")),
        ("12／年", ParsedValue(None, D("12"), False, "／年")),
    ],
)
def test_numbers_units_and_full_width_forms_are_read(text, expected):
    parsed = parse_indicator_value(text)

    assert parsed == expected
    assert str(parsed.number) == str(expected.number)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "效果明显",
        "2023-12-31",
        "2023年1月1日-2023年12月31日",
        "-5",
        "1,000",
        "≥",
        "≥ ≥5",
        "≥=5",
        ">==5",
        ".5",
        "5.5.5",
        "12次3",
        "≥95%以上2次",
    ],
)
def test_text_that_is_not_one_number_gives_none(text):
    assert parse_indicator_value(text) is None


# --- qualitative_grade -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("达成年度指标", GRADE_ACHIEVED),
        ("达成年度指标。", GRADE_ACHIEVED),
        ("达成年度指标.", GRADE_ACHIEVED),
        ("达成年度指标．", GRADE_ACHIEVED),
        (" 达成年度指标 。 ", GRADE_ACHIEVED),
        ("部分达成年度指标并具有一定效果", GRADE_PARTLY),
        ("未达成年度指标且效果较差。", GRADE_NOT_ACHIEVED),
        ("达成", ""),
        ("已达成年度指标", ""),
        ("达成年度指标X", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_qualitative_grade_is_read_only_when_stated_exactly(text, grade):
    assert qualitative_grade(text) == grade


# --- indicator_suggest: classification ------------------------------------------------------


def test_not_applicable_row_has_no_rule_and_no_suggestion():
    result = suggest("≥3", "3", applicable=False)

    assert result == IndicatorResult(rule="not_applicable")
    assert result.rule_label == "不适用"


@pytest.mark.parametrize(
    ("actual", "band", "inclusive", "display"),
    [
        ("达成年度指标", ("8.00", "10.00"), True, "[8.00, 10.00]"),
        ("部分达成年度指标并具有一定效果。", ("6.00", "8.00"), False, "[6.00, 8.00)"),
        ("未达成年度指标且效果较差", ("0.00", "6.00"), False, "[0.00, 6.00)"),
    ],
)
def test_qualitative_actual_gives_the_band_of_its_grade(actual, band, inclusive, display):
    # A numeric target does not matter: the stated grade wins.
    result = suggest("≥95%", actual, weight="10")

    assert result.rule == "qualitative"
    assert result.rule_label == "定性"
    assert result.suggested_score is None
    assert result.comparable is True
    assert result.grade == actual.rstrip("。")
    assert tuple(str(edge) for edge in result.band) == band
    assert result.band_high_inclusive is inclusive
    assert result.band_display == display


def test_qualitative_band_is_rounded_to_two_places():
    result = suggest("", "部分达成年度指标并具有一定效果", weight="7.5")

    assert tuple(str(edge) for edge in result.band) == ("4.50", "6.00")


def test_qualitative_row_without_weight_has_no_band():
    result = suggest("", "达成年度指标", weight=None)

    assert result == IndicatorResult(
        rule="qualitative", band=None, band_high_inclusive=True, grade=GRADE_ACHIEVED
    )
    assert result.band_display == ""
    assert result.band_contains(D("-1")) is True


@pytest.mark.parametrize(
    ("actual", "score", "inside"),
    [
        ("达成年度指标", "8", True),
        ("达成年度指标", "10", True),
        ("达成年度指标", "7.99", False),
        ("达成年度指标", "10.01", False),
        ("部分达成年度指标并具有一定效果", "6", True),
        ("部分达成年度指标并具有一定效果", "7.99", True),
        ("部分达成年度指标并具有一定效果", "8", False),
        ("部分达成年度指标并具有一定效果", "5.99", False),
        ("未达成年度指标且效果较差", "0", True),
        ("未达成年度指标且效果较差", "6", False),
        ("未达成年度指标且效果较差", "-0.01", False),
    ],
)
def test_band_includes_its_low_edge_and_only_the_top_band_its_high_edge(actual, score, inside):
    assert suggest("", actual).band_contains(D(score)) is inside


@pytest.mark.parametrize(
    ("target", "actual", "applicable"),
    [("≥3", "2", True), ("效果明显", "好", True), ("≥3", "好", True), ("≥3", "3", False)],
)
def test_rows_that_are_not_qualitative_have_no_band_and_no_grade(target, actual, applicable):
    result = suggest(target, actual, applicable=applicable)

    assert result.band is None
    assert result.band_high_inclusive is False
    assert result.grade == ""
    assert result.band_display == ""
    assert result.band_contains(D("99")) is True


def test_non_numeric_target_is_manual():
    result = suggest("效果明显", "3")

    assert result == IndicatorResult(rule="manual")
    assert result.rule_label == "人工评分"


@pytest.mark.parametrize(
    ("target", "rule", "label"),
    [
        ("≥3", "positive", "正向"),
        (">3", "positive", "正向"),
        ("3", "positive", "正向"),
        ("≤3", "reverse", "反向"),
        ("<3", "reverse", "反向"),
        ("=3", "equal", "等于"),
    ],
)
def test_comparator_of_the_target_gives_the_rule(target, rule, label):
    result = suggest(target, "")

    assert result == IndicatorResult(rule=rule)
    assert result.rule_label == label


@pytest.mark.parametrize("actual", ["", "   ", "\u3000"])
def test_empty_actual_gives_no_suggestion_but_stays_comparable(actual):
    assert suggest("≥3", actual) == IndicatorResult(rule="positive", comparable=True)


def test_non_numeric_actual_is_not_comparable():
    assert suggest("≤3", "按期完成") == IndicatorResult(rule="reverse", comparable=False)


def test_row_without_weight_gets_no_suggestion():
    assert suggest("≥3", "2", weight=None) == IndicatorResult(rule="positive")


# --- indicator_suggest: formulas -------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "actual", "score"),
    [
        ("≥1", "0.5", "5.00"),
        ("≥1", "1", "10.00"),
        ("≥1", "1.5", "10.00"),
        ("≥1", "0", "0.00"),
        ("≥3", "2", "6.67"),
        ("≥8", "1", "1.25"),
        ("≥0", "0", "10.00"),
        ("≥0", "3", "10.00"),
        (">90%", "89.1%", "9.90"),
        ("12次", "11次", "9.17"),
    ],
)
def test_positive_rule_gives_actual_over_target_of_the_weight(target, actual, score):
    assert suggested(target, actual) == score


@pytest.mark.parametrize("template", [LINEAR, RATIO])
@pytest.mark.parametrize(
    ("target", "actual"),
    [("≤1", "0.5"), ("≤1", "1"), ("≤1", "0"), ("<5%", "4.99%"), ("≤0", "0")],
)
def test_reverse_rule_gives_full_marks_up_to_the_target(target, actual, template):
    assert suggested(target, actual, template=template) == "10.00"


@pytest.mark.parametrize(
    ("target", "actual", "score"),
    [
        ("≤1", "1.5", "5.00"),
        ("≤1", "1.25", "7.50"),
        ("≤1", "1.99", "0.10"),
        ("≤1", "2", "0.00"),
        ("≤1", "2.5", "0.00"),
        ("≤1", "3.5", "0.00"),
        ("≤3", "4", "6.67"),
        ("≤4", "5", "7.50"),
        ("≤0", "1", "0.00"),
        ("≤0", "0.01", "0.00"),
    ],
)
def test_linear_reverse_rule_loses_the_weight_as_the_actual_reaches_twice_the_target(
    target, actual, score
):
    assert suggested(target, actual, template=LINEAR) == score


@pytest.mark.parametrize(
    ("target", "actual", "score"),
    [
        ("≤1", "1.5", "6.67"),
        ("≤1", "2", "5.00"),
        ("≤1", "3", "3.33"),
        ("≤1", "8", "1.25"),
        ("≤4", "5", "8.00"),
        ("≤0", "1", "0.00"),
    ],
)
def test_ratio_reverse_rule_gives_target_over_actual_of_the_weight(target, actual, score):
    assert suggested(target, actual, template=RATIO) == score


def test_reverse_formula_constants_are_the_template_values():
    assert (REVERSE_LINEAR, REVERSE_RATIO) == ("linear", "ratio")
    assert ScoringParams().reverse_formula == "linear"


@pytest.mark.parametrize(
    ("target", "actual", "score"),
    [
        ("=0", "0", "10.00"),
        ("=0", "1", "0.00"),
        ("=0", "0.01", "0.00"),
        ("=24", "24", "10.00"),
        ("=24", "30", "10.00"),
        ("=24", "12", "5.00"),
        ("=1", "0.5", "5.00"),
    ],
)
def test_equal_rule_scores_zero_targets_strictly_and_others_as_positive(target, actual, score):
    assert suggested(target, actual) == score


def test_suggestion_is_rounded_half_up_within_the_weight():
    # ROUND_HALF_UP: 0.875 → 0.88, 0.125 → 0.13 and 0.025 → 0.03 (banker's would give 0.12, 0.02).
    assert suggested("≥8", "1", weight="7") == "0.88"
    assert suggested("≥8", "1", weight="1") == "0.13"
    assert suggested("≥2", "1", weight="0.05") == "0.03"


def test_negative_weight_suggestion_is_the_weight():
    assert suggested("≥1", "2", weight="-10") == "-10.00"


# --- rate and grade_of ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (D("1"), D("3"), "33.33"),
        (D("2"), D("3"), "66.67"),
        (D("1"), D("8"), "12.50"),
        (D("1"), D("800"), "0.13"),
        (D("120"), D("100"), "120.00"),
        (3, 4, "75.00"),
        (0, 4, "0.00"),
    ],
)
def test_rate_is_part_over_whole_in_percent_rounded(part, whole, expected):
    assert str(rate(part, whole)) == expected


@pytest.mark.parametrize(
    ("part", "whole"), [(None, D("3")), (D("1"), None), (D("1"), D("0")), (1, 0), (None, None)]
)
def test_rate_is_none_when_not_computable(part, whole):
    assert rate(part, whole) is None


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", "优"),
        ("90", "优"),
        ("89.99", "良"),
        ("80", "良"),
        ("79.99", "中"),
        ("60", "中"),
        ("59.99", "差"),
        ("0", "差"),
    ],
)
def test_grade_bands_include_their_lower_edge(score, grade):
    assert grade_of(D(score), LINEAR) == grade


@pytest.mark.parametrize(
    ("score", "grade"),
    [("95", "优"), ("94.99", "良"), ("85", "良"), ("84.99", "中"), ("70", "中"), ("69.99", "差")],
)
def test_grade_bands_come_from_the_template(score, grade):
    template = ScoringParams(grade_excellent=D("95"), grade_good=D("85"), grade_pass=D("70"))

    assert grade_of(D(score), template) == grade


def test_grade_of_nothing_is_empty():
    assert grade_of(None, LINEAR) == ""


# --- document_score --------------------------------------------------------------------------


def full_marks_rows() -> list[Indicator]:
    return [
        indicator("50", "50", target="≥3", actual="3"),
        indicator("30", "30", target="≤1", actual="1.5"),
        indicator("10", "10", target="达成", actual="达成年度指标"),
    ]


def test_filing_score_adds_execution_and_indicator_scores():
    document = FilingDocument(
        fiscal_year=2023,
        funds=Funds(full_year_budget=D("200"), executed=D("150"), weight=D("10")),
        indicators=[
            indicator("50", "45"),
            indicator("30", "30"),
            indicator("10", "7.5"),
        ],
    )

    score = document_score(document=document, template=LINEAR)

    assert figures(score) == {
        "execution_rate": "75.00",
        "execution_score": "7.50",
        "execution_weight": "10.00",
        "indicator_score": "82.50",
        "total_score": "90.00",
        "max_score": "100.00",
        "normalized_score": "90.00",
        "grade": "优",
    }
    assert score.execution_over_100 is False


def test_suggestions_come_per_row_in_row_order_including_not_applicable_rows():
    document = FilingDocument(
        fiscal_year=2023,
        indicators=[
            indicator("50", "50", target="≥4", actual="3"),
            indicator("30", None, target="≤1", actual="1.5", applicable=False),
            indicator("10", "10", target="≤1", actual="1.5"),
        ],
    )

    results = document_score(document=document, template=RATIO).indicators

    assert results == [
        IndicatorResult(rule="positive", suggested_score=D("37.50")),
        IndicatorResult(rule="not_applicable"),
        IndicatorResult(rule="reverse", suggested_score=D("6.67")),
    ]


def test_execution_weight_comes_from_the_funds_or_else_the_template():
    indicators = [indicator("80", "80")]
    own = FilingDocument(
        fiscal_year=2023,
        funds=Funds(full_year_budget=D("100"), executed=D("50"), weight=D("20")),
        indicators=indicators,
    )
    default = FilingDocument(
        fiscal_year=2023,
        funds=Funds(full_year_budget=D("100"), executed=D("50")),
        indicators=indicators,
    )

    own_score = document_score(document=own, template=LINEAR)
    default_score = document_score(
        document=default, template=ScoringParams(execution_weight=D("12.5"))
    )

    assert (own_score.execution_weight, own_score.execution_score) == (D("20"), D("10"))
    assert figures(own_score)["max_score"] == "100.00"
    assert figures(default_score)["execution_weight"] == "12.50"
    assert figures(default_score)["execution_score"] == "6.25"
    assert figures(default_score)["max_score"] == "92.50"


def test_execution_score_is_capped_at_the_weight_and_at_zero():
    over = FilingDocument(
        fiscal_year=2023, funds=Funds(full_year_budget=D("100"), executed=D("120.005"))
    )
    negative = FilingDocument(
        fiscal_year=2023, funds=Funds(full_year_budget=D("100"), executed=D("-5"))
    )

    over_score = document_score(document=over, template=LINEAR)
    negative_score = document_score(document=negative, template=LINEAR)

    assert (over_score.execution_rate, str(over_score.execution_score)) == (D("120.01"), "10.00")
    assert over_score.execution_over_100 is True
    assert (str(negative_score.execution_rate), str(negative_score.execution_score)) == (
        "-5.00",
        "0.00",
    )
    assert negative_score.execution_over_100 is False


def test_execution_score_is_computed_from_the_rounded_rate():
    # 1 ÷ 7 = 14.2857… % → 14.29 %; 14.29 % of 50 = 7.145 → 7.15 (the unrounded
    # rate would give 7.14).
    document = FilingDocument(
        fiscal_year=2023,
        funds=Funds(full_year_budget=D("7"), executed=D("1"), weight=D("50")),
    )

    score = document_score(document=document, template=LINEAR)

    assert (str(score.execution_rate), str(score.execution_score)) == ("14.29", "7.15")


@pytest.mark.parametrize("executed", [D("100"), D("100.004")])
def test_execution_rate_of_100_is_not_over_100(executed):
    document = FilingDocument(
        fiscal_year=2023, funds=Funds(full_year_budget=D("100"), executed=executed)
    )

    assert document_score(document=document, template=LINEAR).execution_over_100 is False


@pytest.mark.parametrize(
    "funds",
    [
        Funds(full_year_budget=None, executed=D("5")),
        Funds(full_year_budget=D("5"), executed=None),
        Funds(full_year_budget=D("0"), executed=D("5")),
    ],
)
def test_execution_part_counts_zero_when_not_computable(funds):
    document = FilingDocument(
        fiscal_year=2023, funds=funds, indicators=[indicator("90", "81", target="≥1")]
    )

    score = document_score(document=document, template=LINEAR)

    assert figures(score) == {
        "execution_rate": None,
        "execution_score": None,
        "execution_weight": "10.00",
        "indicator_score": "81.00",
        "total_score": "81.00",
        "max_score": "100.00",
        "normalized_score": "81.00",
        "grade": "良",
    }
    assert score.execution_over_100 is False


def test_not_applicable_rows_and_empty_cells_do_not_count():
    document = FilingDocument(
        fiscal_year=2023,
        funds=Funds(full_year_budget=D("10"), executed=D("10")),
        indicators=[
            indicator("40", "30"),
            indicator("20", "20", applicable=False),
            indicator("10", None),
            indicator(None, "5"),
        ],
    )

    score = document_score(document=document, template=LINEAR)

    # 总分 10 + 30 + 0 + 5 = 45; 满分 10 + 40 + 10 + 0 = 60; 换算 45 ÷ 60 = 75.
    assert figures(score) == {
        "execution_rate": "100.00",
        "execution_score": "10.00",
        "execution_weight": "10.00",
        "indicator_score": "35.00",
        "total_score": "45.00",
        "max_score": "60.00",
        "normalized_score": "75.00",
        "grade": "中",
    }


def test_normalized_score_is_rounded_half_up():
    document = FilingDocument(
        fiscal_year=2023,
        funds=Funds(weight=D("0")),
        indicators=[indicator("3", "2"), indicator("5", "0.005")],
    )

    score = document_score(document=document, template=LINEAR)

    # 2.005 → 2.01 (the 得分 sum is rounded); 2.01 ÷ 8 × 100 = 25.125 → 25.13.
    assert figures(score)["indicator_score"] == "2.01"
    assert figures(score)["normalized_score"] == "25.13"
    assert figures(score)["max_score"] == "8.00"


def test_table_without_points_has_no_normalized_score_and_no_grade():
    document = FilingDocument(fiscal_year=2023, funds=Funds(weight=D("0")))

    score = document_score(document=document, template=LINEAR)

    assert figures(score) == {
        "execution_rate": None,
        "execution_score": None,
        "execution_weight": "0.00",
        "indicator_score": "0.00",
        "total_score": "0.00",
        "max_score": "0.00",
        "normalized_score": None,
        "grade": "",
    }
    assert score.indicators == []


def test_each_project_is_scored_from_its_total_line_and_its_own_weight():
    first = Project(
        name="甲",
        funds=ProjectFunds(
            weight=D("20"),
            total=FundLine(full_year_budget=D("400"), executed=D("300")),
            current_appropriation=FundLine(full_year_budget=D("1"), executed=D("1")),
        ),
        indicators=[indicator("80", "60", target="≥4", actual="3")],
    )
    second = Project(name="乙", indicators=[indicator("90", "90")])
    document = FilingDocument(
        fiscal_year=2023,
        funds=Funds(full_year_budget=D("100"), executed=D("100")),
        indicators=full_marks_rows(),
        projects=[first, second],
    )

    score = document_score(document=document, template=RATIO)

    assert [figures(project) for project in score.projects] == [
        {
            "execution_rate": "75.00",
            "execution_score": "15.00",
            "execution_weight": "20.00",
            "indicator_score": "60.00",
            "total_score": "75.00",
            "max_score": "100.00",
            "normalized_score": "75.00",
            "grade": "中",
        },
        {
            "execution_rate": None,
            "execution_score": None,
            "execution_weight": "10.00",
            "indicator_score": "90.00",
            "total_score": "90.00",
            "max_score": "100.00",
            "normalized_score": "90.00",
            "grade": "优",
        },
    ]
    assert score.projects[0].indicators == [
        IndicatorResult(rule="positive", suggested_score=D("60.00"))
    ]
    assert figures(score)["total_score"] == "100.00"
    assert score.indicators[1] == IndicatorResult(rule="reverse", suggested_score=D("20.00"))


def test_missing_total_line_is_an_empty_line():
    line = FundLine(full_year_budget=D("1"))

    assert project_total_line(None) == FundLine()
    assert project_total_line(line) is line


def test_staffing_and_building_control_rates():
    document = FilingDocument(
        fiscal_year=2023,
        staffing=Staffing(authorized=30, actual=29),
        funds=Funds(full_year_budget=D("1"), executed=D("1")),
    )
    document.basic_data.buildings = [
        Building(
            name="办公楼",
            approved_area=D("1200"),
            actual_area=D("1180.5"),
            budget_investment=D("800"),
            actual_investment=D("820"),
        ),
        Building(name="车库", approved_area=D("0"), actual_area=D("10")),
    ]

    score = document_score(document=document, template=LINEAR)

    assert str(score.staffing_control_rate) == "96.67"
    assert score.buildings == [
        BuildingRates(area_control_rate=D("98.38"), investment_control_rate=D("102.50")),
        BuildingRates(area_control_rate=None, investment_control_rate=None),
    ]
    assert str(score.buildings[0].investment_control_rate) == "102.50"
    assert score.projects == []


def test_staffing_rate_is_none_without_authorized_posts():
    document = FilingDocument(fiscal_year=2023, staffing=Staffing(actual=3))

    assert document_score(document=document, template=LINEAR).staffing_control_rate is None


def test_results_are_immutable_values():
    document = FilingDocument(fiscal_year=2023, indicators=[Indicator(target="≥1", actual="1")])
    document.basic_data.buildings = [Building(name="办公楼")]
    score = document_score(document=document, template=LINEAR)
    values = [
        parse_indicator_value("≥1"),
        score.indicators[0],
        score.buildings[0],
        score,
    ]

    for value in values:
        with pytest.raises(FrozenInstanceError):
            value.unit = "x"
    assert len({parse_indicator_value("≥1"), parse_indicator_value("≥1")}) == 1
    assert len({IndicatorResult(rule="manual"), IndicatorResult(rule="manual")}) == 1
    assert len({BuildingRates(None, None), BuildingRates(None, None)}) == 1


def test_filing_score_without_extra_figures_has_none_of_them():
    table = document_score(document=FilingDocument(fiscal_year=2023), template=LINEAR)
    fields = {name: getattr(table, name) for name in TableScore.__dataclass_fields__}

    first, second = FilingScore(**fields), FilingScore(**fields)

    assert first.staffing_control_rate is None
    assert first.buildings == []
    assert first.projects == []
    assert first.buildings is not second.buildings
    assert first.projects is not second.projects

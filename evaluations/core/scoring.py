"""Scoring of a filing (spec/DOMAIN.md, "Computations").

Everything here is a pure function of a `FilingDocument` and its `ScoringSettings`:
no database access, so the same numbers come out for a saved filing, a JSON file
being imported and a workbook being previewed. All arithmetic is `Decimal` and
every stored figure goes through `document.quantize` (2 places, 四舍五入).

The officer's own 得分 is what counts (it is a *self*-evaluation); the suggested
score per row is only a cross-check that validation turns into `score_differs`.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from .document import FilingDocument, FundLine, Indicator, quantize
from .params import REVERSE_RATIO, ScoringSettings

RULE_POSITIVE = "positive"
RULE_REVERSE = "reverse"
RULE_EQUAL = "equal"
RULE_QUALITATIVE = "qualitative"
RULE_MANUAL = "manual"
RULE_NOT_APPLICABLE = "not_applicable"

RULE_LABELS = {
    RULE_POSITIVE: "正向",
    RULE_REVERSE: "反向",
    RULE_EQUAL: "等于",
    RULE_QUALITATIVE: "定性",
    RULE_MANUAL: "人工评分",
    RULE_NOT_APPLICABLE: "不适用",
}

COMPARATOR_GE = "ge"
COMPARATOR_GT = "gt"
COMPARATOR_LE = "le"
COMPARATOR_LT = "lt"
COMPARATOR_EQ = "eq"

GRADE_ACHIEVED = "达成年度指标"
GRADE_PARTLY = "部分达成年度指标并具有一定效果"
GRADE_NOT_ACHIEVED = "未达成年度指标且效果较差"
QUALITATIVE_GRADES = (GRADE_ACHIEVED, GRADE_PARTLY, GRADE_NOT_ACHIEVED)

# Band of each qualitative grade as fractions of the weight: (low, high).
# Only the top band includes its upper edge (DOMAIN.md: [0.8w, w], [0.6w, 0.8w), [0, 0.6w)).
_GRADE_BANDS = {
    GRADE_ACHIEVED: (Decimal("0.8"), Decimal("1")),
    GRADE_PARTLY: (Decimal("0.6"), Decimal("0.8")),
    GRADE_NOT_ACHIEVED: (Decimal("0"), Decimal("0.6")),
}

GRADE_EXCELLENT = "优"
GRADE_GOOD = "良"
GRADE_PASS = "中"
GRADE_FAIL = "差"

HUNDRED = Decimal("100")
ZERO = Decimal("0")

# Officers type comparators with whatever their input method gives them; 君山
# writes "≧95%" (U+2267). Longest spellings first so ">=" is not read as ">".
_COMPARATOR_SPELLINGS = (
    (">=", COMPARATOR_GE),
    ("=>", COMPARATOR_GE),
    ("≥", COMPARATOR_GE),
    ("≧", COMPARATOR_GE),
    ("⩾", COMPARATOR_GE),
    ("<=", COMPARATOR_LE),
    ("=<", COMPARATOR_LE),
    ("≤", COMPARATOR_LE),
    ("≦", COMPARATOR_LE),
    ("⩽", COMPARATOR_LE),
    ("==", COMPARATOR_EQ),
    (">", COMPARATOR_GT),
    ("<", COMPARATOR_LT),
    ("=", COMPARATOR_EQ),
)

# Full-width forms (全角) are mapped to ASCII before matching, so "＞＝９５％"
# reads like ">=95%".
_FULL_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
        "％": "%",
        "．": ".",
        "＞": ">",
        "＜": "<",
        "＝": "=",
        "\u3000": " ",
    }
)

_VALUE_PATTERN = re.compile(
    r"""
    (?P<number>\d+(?:\.\d+)?)   # no sign, no thousands separator
    \s*(?P<percent>%)?
    \s*(?P<unit>\D*)            # a unit never holds a digit: "2023-12-31" is no number
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class ParsedValue:
    """A number read out of a 年度指标值 / 实际完成值 text.

    `comparator` is one of "ge", "gt", "le", "lt", "eq", or None for a bare
    number; `unit` is the text after the number ("次", "万元", "" …).
    """

    comparator: str | None
    number: Decimal
    is_percent: bool
    unit: str


@dataclass(frozen=True)
class IndicatorResult:
    """What the scoring rules say about one indicator row.

    `suggested_score` is None for qualitative, manual and 不适用 rows, and when it
    cannot be computed (empty weight, empty or non-numeric actual).

    `band` is set for qualitative rows only: the allowed (low, high) score range
    of the row's grade. The range includes `low`; it includes `high` only when
    `band_high_inclusive` is true, which is the case for the top grade
    (达成年度指标, [0.8w, w]); the other two bands are half-open
    ([0.6w, 0.8w) and [0, 0.6w)). Use `band_contains` rather than comparing by
    hand.

    `comparable` is False when the target is numeric but the non-empty actual is
    neither a number nor a qualitative grade (the `actual_not_comparable` case).
    """

    rule: str
    suggested_score: Decimal | None = None
    band: tuple[Decimal, Decimal] | None = None
    comparable: bool = True
    band_high_inclusive: bool = False
    grade: str = ""  # the qualitative grade found in the actual, "" otherwise

    @property
    def rule_label(self) -> str:
        return RULE_LABELS[self.rule]

    def band_contains(self, score: Decimal) -> bool:
        """Whether `score` lies in the qualitative band; True when there is no band."""
        if self.band is None:
            return True
        low, high = self.band
        if score < low:
            return False
        return score <= high if self.band_high_inclusive else score < high

    @property
    def band_display(self) -> str:
        """The band in interval notation, e.g. "[8.00, 10.00]" or "[6.00, 8.00)"."""
        if self.band is None:
            return ""
        low, high = self.band
        closing = "]" if self.band_high_inclusive else ")"
        return f"[{low}, {high}{closing}"


@dataclass(frozen=True)
class TableScore:
    """The score of one score table: 附件2 of the filing or one 附件3 project.

    `execution_rate` and `execution_score` are None when 全年预算数 or 全年执行数 is
    empty, or 全年预算数 is 0 (not computable); the execution part then counts
    as 0 in `total_score`. `normalized_score` is None and `grade` is "" when
    `max_score` is 0. `indicators` has one result per row, in row order.
    """

    execution_rate: Decimal | None
    execution_score: Decimal | None
    execution_weight: Decimal
    indicator_score: Decimal
    total_score: Decimal
    max_score: Decimal
    normalized_score: Decimal | None
    grade: str
    indicators: list[IndicatorResult]

    @property
    def execution_over_100(self) -> bool:
        return self.execution_rate is not None and self.execution_rate > HUNDRED


@dataclass(frozen=True)
class BuildingRates:
    """楼堂馆所 control rates of one building (same order as basic_data.buildings)."""

    area_control_rate: Decimal | None
    investment_control_rate: Decimal | None


@dataclass(frozen=True)
class FilingScore(TableScore):
    """The filing's 附件2 score plus the figures computed outside the score tables."""

    staffing_control_rate: Decimal | None = None
    buildings: list[BuildingRates] = field(default_factory=list)
    projects: list[TableScore] = field(default_factory=list)


def parse_indicator_value(text: str | None) -> ParsedValue | None:
    """Read "≥98%", "≤1013.19万元", "12次", "=24" as comparator, number, %, unit.

    Rule: the whole text (trimmed) must be an optional comparator, a number
    without sign or thousands separator, an optional "%", and an optional unit
    that contains no digit. Full-width digits, "％" and comparators count like
    their ASCII forms. Anything else — dates such as "2023-12-31" or
    "2023年1月1日-2023年12月31日", words such as "效果明显" — gives None.
    Never raises.
    """
    if not text:
        return None
    rest = text.translate(_FULL_WIDTH).strip()
    comparator = None
    for spelling, name in _COMPARATOR_SPELLINGS:
        if rest.startswith(spelling):
            comparator = name
            rest = rest[len(spelling) :].lstrip()
            break
    match = _VALUE_PATTERN.fullmatch(rest)
    if match is None:
        return None
    return ParsedValue(
        comparator=comparator,
        number=Decimal(match["number"]),
        is_percent=match["percent"] is not None,
        unit=match["unit"].strip(),
    )


def qualitative_grade(text: str | None) -> str:
    """The qualitative grade the text states exactly (ignoring a final "。"), or ""."""
    if not text:
        return ""
    cleaned = text.strip().rstrip("。.．").strip()
    return cleaned if cleaned in QUALITATIVE_GRADES else ""


def indicator_suggest(*, indicator: Indicator, template: ScoringSettings) -> IndicatorResult:
    """Classify one indicator row and suggest its score (DOMAIN.md table).

    A = number of the target, B = number of the actual, w = weight:
    - 不适用 row → not_applicable, no suggestion.
    - actual is one of the three qualitative grades → qualitative, with the
      grade's band; this wins even over a numeric target.
    - target ≥, > or bare number → positive: B ≥ A → w, else B/A × w.
    - target ≤, < → reverse. Template 'linear': B ≤ A → w, A < B < 2A →
      (1 − (B − A)/A) × w, B ≥ 2A → 0. Template 'ratio': B ≤ A → w, else A/B × w.
      A = 0: B ≤ 0 → w, else 0.
    - target = → equal: A = 0: B ≤ 0 → w, else 0; A > 0 as positive.
    - target not numeric → manual, no suggestion.
    The suggestion is rounded to 2 places and kept within [0, w]; it is None
    when w is empty or the actual is empty or not numeric (the latter also sets
    `comparable` False). Never raises.
    """
    if not indicator.applicable:
        return IndicatorResult(rule=RULE_NOT_APPLICABLE)
    weight = indicator.weight
    grade = qualitative_grade(indicator.actual)
    if grade:
        band = None
        if weight is not None:
            low, high = _GRADE_BANDS[grade]
            band = (quantize(low * weight), quantize(high * weight))
        return IndicatorResult(
            rule=RULE_QUALITATIVE,
            band=band,
            band_high_inclusive=grade == GRADE_ACHIEVED,
            grade=grade,
        )
    target = parse_indicator_value(indicator.target)
    if target is None:
        return IndicatorResult(rule=RULE_MANUAL)
    rule = _rule_of(target.comparator)
    actual_text = (indicator.actual or "").strip()
    if not actual_text:
        # Not comparable only describes an actual that is there but unreadable;
        # an empty one is the actual_missing error instead.
        return IndicatorResult(rule=rule)
    actual = parse_indicator_value(actual_text)
    if actual is None:
        return IndicatorResult(rule=rule, comparable=False)
    if weight is None:
        return IndicatorResult(rule=rule)
    suggested = rule_score(
        rule=rule,
        target=target.number,
        actual=actual.number,
        weight=weight,
        reverse_formula=template.reverse_formula,
    )
    return IndicatorResult(rule=rule, suggested_score=suggested)


def _rule_of(comparator: str | None) -> str:
    if comparator in (COMPARATOR_LE, COMPARATOR_LT):
        return RULE_REVERSE
    if comparator == COMPARATOR_EQ:
        return RULE_EQUAL
    return RULE_POSITIVE


def rule_score(
    *, rule: str, target: Decimal, actual: Decimal, weight: Decimal, reverse_formula: str
) -> Decimal:
    """The score `rule` (positive, reverse or equal) gives target A, actual B
    and weight w, by the table of DOMAIN.md (see indicator_suggest), rounded
    and kept within [0, w]. Form templates name a row's rule themselves
    (core.generic); the Hunan rows take it from the target's comparator."""
    a, b, w = target, actual, weight
    if rule == RULE_REVERSE:
        if b <= a:
            raw = w
        elif a == 0:
            raw = ZERO
        elif reverse_formula == REVERSE_RATIO:
            raw = a * w / b
        elif b >= 2 * a:
            raw = ZERO
        else:
            # (1 − (B − A)/A) × w written with a single division so that the
            # only rounding is the final quantize.
            raw = (2 * a - b) * w / a
    elif rule == RULE_EQUAL and a == 0:
        raw = w if b <= 0 else ZERO
    elif b >= a:
        raw = w
    elif a == 0:
        raw = ZERO
    else:
        raw = b * w / a
    return quantize(min(max(raw, ZERO), w))


def rate(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    """part / whole × 100 rounded to 2 places; None when either is empty or whole is 0."""
    if part is None or whole is None or whole == 0:
        return None
    return quantize(Decimal(part) * HUNDRED / Decimal(whole))


def grade_of(normalized_score: Decimal | None, template: ScoringSettings) -> str:
    """等次 of a 换算得分 by the template's bands (each lower edge inclusive); "" for None."""
    if normalized_score is None:
        return ""
    if normalized_score >= template.grade_excellent:
        return GRADE_EXCELLENT
    if normalized_score >= template.grade_good:
        return GRADE_GOOD
    if normalized_score >= template.grade_pass:
        return GRADE_PASS
    return GRADE_FAIL


def _table_score(
    *,
    budget: Decimal | None,
    executed: Decimal | None,
    weight: Decimal | None,
    indicators: Iterable[Indicator],
    template: ScoringSettings,
) -> dict:
    indicators = list(indicators)
    execution_weight = weight if weight is not None else template.execution_weight
    execution_rate = rate(executed, budget)
    execution_score = None
    if execution_rate is not None:
        capped = min(max(execution_rate, ZERO), HUNDRED)
        execution_score = quantize(execution_weight * capped / HUNDRED)
    applicable = [row for row in indicators if row.applicable]
    indicator_score = quantize(sum((row.score or ZERO for row in applicable), ZERO))
    total_score = quantize((execution_score or ZERO) + indicator_score)
    max_score = quantize(execution_weight + sum((row.weight or ZERO for row in applicable), ZERO))
    normalized_score = quantize(total_score * HUNDRED / max_score) if max_score else None
    return {
        "execution_rate": execution_rate,
        "execution_score": execution_score,
        "execution_weight": quantize(execution_weight),
        "indicator_score": indicator_score,
        "total_score": total_score,
        "max_score": max_score,
        "normalized_score": normalized_score,
        "grade": grade_of(normalized_score, template),
        "indicators": [indicator_suggest(indicator=row, template=template) for row in indicators],
    }


def project_total_line(line: FundLine | None) -> FundLine:
    """The 年度资金总额 line of a project, an empty line when it is missing."""
    return line if line is not None else FundLine()


def document_score(*, document: FilingDocument, template: ScoringSettings) -> FilingScore:
    """Compute every figure of a filing (DOMAIN.md "Computations").

    - 执行率 = 全年执行数 / 全年预算数 × 100 (may exceed 100); None when either is
      empty or 全年预算数 is 0.
    - 执行率得分 = 分值 × min(执行率, 100) / 100 from the rounded 执行率; 分值 is
      funds.weight, or the template's execution_weight when empty. None when the
      rate is None, and then 0 in 总分.
    - 总分 = 执行率得分 + Σ 得分 of applicable rows (empty 得分 counts 0);
      满分 = 执行率分值 + Σ 分值 of applicable rows; 换算得分 = 总分 / 满分 × 100;
      等次 from 换算得分 by the template's bands.
    - Each 附件3 project is scored the same way from its 年度资金总额
      (funds.total) and its own weight (or the template's).
    - 在职人员控制率 = 实际在职人数 / 编制数 × 100; per building 规模控制率 =
      实际规模 / 批复规模 × 100 and 投资概算控制率 = 实际投资 / 预算投资 × 100;
      each None when not computable.
    Every figure is rounded to 2 places, 四舍五入. Never raises on incomplete
    data: a draft is scored as far as it goes; validation reports what is wrong.
    """
    funds = document.funds
    filing_table = _table_score(
        budget=funds.full_year_budget,
        executed=funds.executed,
        weight=funds.weight,
        indicators=document.indicators,
        template=template,
    )
    projects = []
    for project in document.projects:
        total = project_total_line(project.funds.total)
        projects.append(
            TableScore(
                **_table_score(
                    budget=total.full_year_budget,
                    executed=total.executed,
                    weight=project.funds.weight,
                    indicators=project.indicators,
                    template=template,
                )
            )
        )
    buildings = [
        BuildingRates(
            area_control_rate=rate(building.actual_area, building.approved_area),
            investment_control_rate=rate(building.actual_investment, building.budget_investment),
        )
        for building in document.basic_data.buildings
    ]
    return FilingScore(
        **filing_table,
        staffing_control_rate=rate(document.staffing.actual, document.staffing.authorized),
        buildings=buildings,
        projects=projects,
    )

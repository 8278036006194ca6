"""Validation of a filing: findings with stable codes (spec/DOMAIN.md, "Validation").

Errors block submission, warnings do not. Like scoring, this works on the
`FilingDocument`, so an import or an uploaded workbook can be checked before
anything is written. Nothing here changes the document: a messy draft is
accepted as it is and every problem is pointed at, never silently fixed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from evaluations.models import ScoringTemplate

from .document import (
    BASIC_ROW_KEYS,
    Columns,
    FilingDocument,
    FundLine,
    Indicator,
    Project,
    quantize,
)
from .scoring import (
    HUNDRED,
    RULE_LABELS,
    RULE_QUALITATIVE,
    ZERO,
    FilingScore,
    IndicatorResult,
    TableScore,
    document_score,
    project_total_line,
)

ERROR = "error"
WARNING = "warning"

# Every finding code with its kind; the codes are part of the interchange format.
FINDING_CODES = {
    "budget_missing": ERROR,
    "negative_amount": ERROR,
    "weights_not_100": ERROR,
    "score_out_of_range": ERROR,
    "actual_missing": ERROR,
    "deviation_missing": ERROR,
    "qualitative_band": ERROR,
    "sum_mismatch": ERROR,
    "section_missing": ERROR,
    "score_differs": WARNING,
    "actual_not_comparable": WARNING,
    "level1_weight_mismatch": WARNING,
    "items_mismatch": WARNING,
    "execution_over_100": WARNING,
}

COLUMN_LABELS = {"prior_final": "上年决算数", "budget": "本年预算数", "final": "本年决算数"}
COLUMNS = tuple(COLUMN_LABELS)

BASIC_ROW_LABELS = {
    "three_public": "三公经费",
    "vehicle": "1、公务用车购置和维护经费",
    "vehicle_purchase": "其中：公车购置",
    "vehicle_operation": "公车运行维护",
    "overseas": "2、出国经费",
    "reception": "3、公务接待",
    "project_total": "项目支出",
    "public_funds": "公用经费",
    "office": "其中：办公费",
    "utilities_travel": "水费、电费、差旅费",
    "meetings_training": "会议费、培训费",
    "procurement": "政府采购金额",
    "basic_budget_adjustment": "部门基本支出预算调整",
}

# The adjustment of the basic budget is a difference and may be negative (DOMAIN.md 附件1).
SIGNED_BASIC_ROWS = {"basic_budget_adjustment"}

# 三公经费 and 公务用车 are totals of the rows below them.
BASIC_ROW_PARTS = {
    "three_public": ("vehicle", "overseas", "reception"),
    "vehicle": ("vehicle_purchase", "vehicle_operation"),
}

# The 其中 rows of 公用经费 are not exhaustive: each may only not exceed it.
PUBLIC_FUNDS_DETAIL = ("office", "utilities_travel", "meetings_training")

STAFFING_LABELS = {
    "authorized": "编制数",
    "actual": "实际在职人数",
    "retired": "退休人员",
    "survivor_subsidy": "遗属补助人数",
}
FUNDS_LABELS = {
    "initial_budget": "年初预算数",
    "full_year_budget": "全年预算数",
    "executed": "全年执行数",
    "weight": "执行率分值",
}
BY_SOURCE_LABELS = {
    "general_budget": "一般公共预算",
    "government_fund": "政府性基金拨款",
    "special_account": "纳入专户管理的非税收入拨款",
    "other": "其他资金",
}
BY_NATURE_LABELS = {"basic": "基本支出", "project": "项目支出"}
BASIC_DETAIL_LABELS = {"personnel": "人员经费", "public": "公用经费"}
BUILDING_LABELS = {
    "approved_area": "批复规模",
    "actual_area": "实际规模",
    "budget_investment": "预算投资",
    "actual_investment": "实际投资",
}
PROJECT_FUND_LINES = {
    "total": "年度资金总额",
    "current_appropriation": "当年财政拨款",
    "carryover": "上年结转资金",
    "other": "其他资金",
}
FUND_LINE_LABELS = {
    "initial_budget": "年初预算数",
    "full_year_budget": "全年预算数",
    "executed": "全年执行数",
}

# Required report sections besides 主要职能职责, in document order: (field, label).
REQUIRED_REPORT_SECTIONS = (
    ("budget_overview", "自评报告“二、一般公共预算支出情况”的预算执行总体情况"),
    ("performance_conclusion", "自评报告“六、部门整体支出绩效情况”的综合评价结论"),
    ("problems", "自评报告“七、存在的问题及原因分析”"),
    ("improvements", "自评报告“八、下一步改进措施”"),
)


@dataclass(frozen=True)
class Finding:
    """One problem of a filing.

    `code` is one of FINDING_CODES, `kind` "error" (blocks submission) or
    "warning", `message` a Simplified Chinese sentence naming the row or field,
    `where` a path into the document as in FILING_FORMAT.md
    ("funds.by_source", "indicators[4]", "projects[0].indicators[6]").
    """

    code: str
    kind: str
    message: str
    where: str

    @property
    def is_error(self) -> bool:
        return self.kind == ERROR


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that block submission."""
    return [finding for finding in findings if finding.kind == ERROR]


def warnings(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that do not block submission."""
    return [finding for finding in findings if finding.kind == WARNING]


def document_validate(
    *, document: FilingDocument, template: ScoringTemplate, score: FilingScore | None = None
) -> list[Finding]:
    """Check a filing against every rule of DOMAIN.md and return the findings.

    `score` is the document's `document_score` for `template`; it is computed
    when not given. The result lists all errors, then all warnings, each in
    document order (profile, staffing, funds, 附件1, 附件2 indicators, 附件3
    projects, report); within one place the codes come in a fixed order.
    Empty cells are not errors in themselves (a draft may be incomplete) except
    where a rule says so: 全年预算数 (budget_missing), 实际完成值 of an applicable
    row (actual_missing), a missing 偏差原因 (deviation_missing) and the required
    narrative sections (section_missing). Sums are compared only when the total
    and at least one part are filled; empty parts count 0. Never raises.
    """
    if score is None:
        score = document_score(document=document, template=template)
    collector = _Collector()
    _check_profile(collector, document)
    _check_staffing(collector, document)
    _check_funds(collector, document, score)
    _check_basic_data(collector, document)
    _check_table(
        collector,
        indicators=document.indicators,
        table=score,
        template=template,
        where="indicators",
        title="部门整体支出绩效自评表",
        row_prefix="",
    )
    for index, project in enumerate(document.projects):
        _check_project(collector, index, project, score.projects[index], template)
    _check_report(collector, document)
    return errors(collector.findings) + warnings(collector.findings)


class _Collector:
    def __init__(self):
        self.findings: list[Finding] = []

    def add(self, code: str, where: str, message: str) -> None:
        self.findings.append(
            Finding(code=code, kind=FINDING_CODES[code], message=message, where=where)
        )


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _number(value: Decimal | int) -> str:
    """A score or count as written on the form: "9", "7.5" (no trailing zeros)."""
    return f"{Decimal(value).normalize():f}"


def _amount(value: Decimal) -> str:
    """An amount in 万元 or a rate, always with 2 places: "1007.30"."""
    return str(quantize(value))


def _check_negative(collector: _Collector, where: str, label: str, value) -> None:
    if value is not None and value < 0:
        collector.add("negative_amount", where, f"{label}为负数（{_number(value)}），不能小于0。")


def _check_profile(collector: _Collector, document: FilingDocument) -> None:
    if _blank(document.profile.functions):
        collector.add("section_missing", "profile.functions", "部门基本情况“主要职能职责”未填写。")


def _check_staffing(collector: _Collector, document: FilingDocument) -> None:
    for name, label in STAFFING_LABELS.items():
        value = getattr(document.staffing, name)
        _check_negative(collector, f"staffing.{name}", f"财政供养人员“{label}”", value)


def _check_funds(collector: _Collector, document: FilingDocument, score: FilingScore) -> None:
    funds = document.funds
    for name, label in FUNDS_LABELS.items():
        where = f"funds.{name}"
        value = getattr(funds, name)
        if name == "full_year_budget" and not value:
            collector.add(
                "budget_missing", where, "年度资金“全年预算数”未填写或为0，无法计算预算执行率。"
            )
        _check_negative(collector, where, f"年度资金“{label}”", value)
        if name == "executed" and score.execution_over_100:
            collector.add(
                "execution_over_100",
                where,
                f"预算执行率为{score.execution_rate}%，超过100%（全年执行数大于全年预算数），"
                "请核实。",
            )
    for group, labels in (
        ("by_source", BY_SOURCE_LABELS),
        ("by_nature", BY_NATURE_LABELS),
        ("basic_detail", BASIC_DETAIL_LABELS),
    ):
        parts = getattr(funds, group)
        for name, label in labels.items():
            _check_negative(
                collector, f"funds.{group}.{name}", f"年度资金“{label}”", getattr(parts, name)
            )
    _check_sum(
        collector,
        where="funds.by_source",
        total=funds.full_year_budget,
        parts=[getattr(funds.by_source, name) for name in BY_SOURCE_LABELS],
        message=(
            f"按收入性质分列的资金（{'、'.join(BY_SOURCE_LABELS.values())}）合计{{sum}}万元，"
            "不等于全年预算数{total}万元。"
        ),
    )
    _check_sum(
        collector,
        where="funds.by_nature",
        total=funds.executed,
        parts=[getattr(funds.by_nature, name) for name in BY_NATURE_LABELS],
        message=(
            f"按支出性质分列的支出（{'、'.join(BY_NATURE_LABELS.values())}）合计{{sum}}万元，"
            "不等于全年执行数{total}万元。"
        ),
    )


def _sum_differs(total: Decimal | None, parts: list[Decimal | None]) -> Decimal | None:
    """The sum of the parts when it is comparable with the total and differs, else None."""
    if total is None or all(part is None for part in parts):
        return None
    part_sum = sum((part for part in parts if part is not None), ZERO)
    return None if part_sum == total else part_sum


def _check_sum(
    collector: _Collector,
    *,
    where: str,
    total: Decimal | None,
    parts: list[Decimal | None],
    message: str,
) -> None:
    part_sum = _sum_differs(total, parts)
    if part_sum is not None:
        collector.add(
            "sum_mismatch", where, message.format(sum=_amount(part_sum), total=_amount(total))
        )


def _column_differences(total: Columns, parts: list[Columns]) -> list[str]:
    """ "本年决算数填2.14，各项合计2.00" for each column where total ≠ Σ parts."""
    differences = []
    for column in COLUMNS:
        part_sum = _sum_differs(getattr(total, column), [getattr(part, column) for part in parts])
        if part_sum is not None:
            differences.append(
                f"{COLUMN_LABELS[column]}填{_amount(getattr(total, column))}，"
                f"各项合计{_amount(part_sum)}"
            )
    return differences


def _check_basic_data(collector: _Collector, document: FilingDocument) -> None:
    basic = document.basic_data
    rows = {key: basic.rows.get(key) or Columns() for key in BASIC_ROW_KEYS}
    for key in BASIC_ROW_KEYS:
        where = f"basic_data.rows.{key}"
        row = rows[key]
        if key not in SIGNED_BASIC_ROWS:
            for column, column_label in COLUMN_LABELS.items():
                _check_negative(
                    collector,
                    where,
                    f"附件1“{BASIC_ROW_LABELS[key]}”行“{column_label}”",
                    getattr(row, column),
                )
        if key in BASIC_ROW_PARTS:
            part_keys = BASIC_ROW_PARTS[key]
            differences = _column_differences(row, [rows[part] for part in part_keys])
            if differences:
                part_names = "、".join(BASIC_ROW_LABELS[part] for part in part_keys)
                collector.add(
                    "sum_mismatch",
                    where,
                    f"附件1“{BASIC_ROW_LABELS[key]}”应等于{part_names}之和："
                    f"{'；'.join(differences)}。",
                )
        if key == "public_funds":
            _check_public_funds_detail(collector, rows)
    for index, item in enumerate(basic.project_items):
        for column, column_label in COLUMN_LABELS.items():
            _check_negative(
                collector,
                f"basic_data.project_items[{index}]",
                f"附件1项目支出第{index + 1}项“{item.name}”“{column_label}”",
                getattr(item, column),
            )
    if basic.project_items:
        differences = _column_differences(rows["project_total"], basic.project_items)
        if differences:
            collector.add(
                "items_mismatch",
                "basic_data.project_items",
                f"附件1项目支出明细合计与“项目支出”不符：{'；'.join(differences)}。",
            )
    for index, building in enumerate(basic.buildings):
        for name, label in BUILDING_LABELS.items():
            _check_negative(
                collector,
                f"basic_data.buildings[{index}]",
                f"附件1楼堂馆所“{building.name}”的“{label}”",
                getattr(building, name),
            )


def _check_public_funds_detail(collector: _Collector, rows: dict[str, Columns]) -> None:
    public = rows["public_funds"]
    for key in PUBLIC_FUNDS_DETAIL:
        excesses = []
        for column, column_label in COLUMN_LABELS.items():
            total = getattr(public, column)
            part = getattr(rows[key], column)
            if total is not None and part is not None and part > total:
                excesses.append(f"{column_label}{_amount(part)}大于{_amount(total)}")
        if excesses:
            collector.add(
                "items_mismatch",
                "basic_data.rows.public_funds",
                f"附件1“{BASIC_ROW_LABELS[key]}”超过了“公用经费”：{'；'.join(excesses)}。",
            )


def _check_project(
    collector: _Collector,
    index: int,
    project: Project,
    table: TableScore,
    template: ScoringTemplate,
) -> None:
    prefix = f"projects[{index}]"
    title = f"项目“{project.name}”"
    funds = project.funds
    total = project_total_line(funds.total)
    if not total.full_year_budget:
        collector.add(
            "budget_missing",
            f"{prefix}.funds",
            f"{title}年度资金总额的“全年预算数”未填写或为0，无法计算预算执行率。",
        )
    _check_negative(collector, f"{prefix}.funds.weight", f"{title}“执行率分值”", funds.weight)
    for line_name, line_label in PROJECT_FUND_LINES.items():
        line: FundLine | None = getattr(funds, line_name)
        if line is None:
            continue
        for name, label in FUND_LINE_LABELS.items():
            _check_negative(
                collector,
                f"{prefix}.funds.{line_name}",
                f"{title}{line_label}的“{label}”",
                getattr(line, name),
            )
    if table.execution_over_100:
        collector.add(
            "execution_over_100",
            f"{prefix}.funds",
            f"{title}预算执行率为{table.execution_rate}%，超过100%（全年执行数大于全年预算数），"
            "请核实。",
        )
    _check_table(
        collector,
        indicators=project.indicators,
        table=table,
        template=template,
        where=f"{prefix}.indicators",
        title=f"{title}自评表",
        row_prefix=title,
    )


def _check_table(
    collector: _Collector,
    *,
    indicators: list[Indicator],
    table: TableScore,
    template: ScoringTemplate,
    where: str,
    title: str,
    row_prefix: str,
) -> None:
    if table.max_score != HUNDRED and not template.allow_normalization:
        indicator_weights = table.max_score - table.execution_weight
        collector.add(
            "weights_not_100",
            where,
            f"{title}满分为{_number(table.max_score)}（预算执行率分值{_number(table.execution_weight)}"
            f"＋指标分值合计{_number(indicator_weights)}），应为100；"
            "评分模板不允许按不适用指标折算。",
        )
    for level1, advisory in template.advisory_level1_weights.items():
        actual = sum(
            (
                row.weight or ZERO
                for row in indicators
                if row.applicable and (row.level1 or "").strip() == level1
            ),
            ZERO,
        )
        if actual != advisory:
            collector.add(
                "level1_weight_mismatch",
                where,
                f"{title}一级指标“{level1}”分值合计{_number(actual)}，"
                f"评分模板建议为{_number(advisory)}。",
            )
    for index, (row, result) in enumerate(zip(indicators, table.indicators, strict=True)):
        _check_row(
            collector,
            row=row,
            result=result,
            template=template,
            where=f"{where}[{index}]",
            label=_row_label(row_prefix, index, row),
        )


def _row_label(prefix: str, index: int, row: Indicator) -> str:
    name = (row.name or row.level2 or row.level1 or "").strip()
    named = f"“{name}”" if name else ""
    return f"{prefix}第{index + 1}行指标{named}"


def _check_row(
    collector: _Collector,
    *,
    row: Indicator,
    result: IndicatorResult,
    template: ScoringTemplate,
    where: str,
    label: str,
) -> None:
    # A negative 分值 is a wrong amount; a negative 得分 is the "得分 < 0" case of
    # score_out_of_range and is reported there only.
    _check_negative(collector, where, f"{label}的分值", row.weight)
    if not row.applicable:
        return
    weight, score = row.weight, row.score
    if score is not None and (score < 0 or score > (weight or ZERO)):
        limit = _number(weight) if weight is not None else "（未填写，按0计）"
        collector.add(
            "score_out_of_range",
            where,
            f"{label}得分{_number(score)}超出0至分值{limit}的范围。",
        )
    if _blank(row.actual):
        collector.add("actual_missing", where, f"{label}未填写实际完成值。")
    if (
        result.rule == RULE_QUALITATIVE
        and score is not None
        and result.band is not None
        and not result.band_contains(score)
    ):
        collector.add(
            "qualitative_band",
            where,
            f"{label}实际完成值为“{result.grade}”，得分应在{result.band_display}之间，"
            f"现为{_number(score)}。",
        )
    if (
        template.deviation_required
        and weight is not None
        and (score or ZERO) < weight
        and _blank(row.deviation)
    ):
        entered = f"得分（{_number(score)}）" if score is not None else "未填写得分（按0分计），"
        collector.add(
            "deviation_missing",
            where,
            f"{label}{entered}低于分值（{_number(weight)}），须填写偏差原因分析及改进措施。",
        )
    if score is not None and result.suggested_score is not None and score != result.suggested_score:
        collector.add(
            "score_differs",
            where,
            f"{label}按{RULE_LABELS[result.rule]}指标规则建议得分{_number(result.suggested_score)}，"
            f"填报得分为{_number(score)}。",
        )
    if not result.comparable:
        collector.add(
            "actual_not_comparable",
            where,
            f"{label}年度指标值“{row.target}”是数值，实际完成值“{row.actual}”却不是，"
            "无法计算建议得分。",
        )


def _check_report(collector: _Collector, document: FilingDocument) -> None:
    for name, label in REQUIRED_REPORT_SECTIONS:
        if _blank(getattr(document.report, name)):
            collector.add("section_missing", f"report.{name}", f"{label}未填写。")

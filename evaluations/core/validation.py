"""Validation of a filing: findings with stable codes (spec/DOMAIN.md, "Validation").

Errors block submission, warnings do not. Like scoring, this works on the
`FilingDocument`, so an import or an uploaded workbook can be checked before
anything is written. Nothing here changes the document: a messy draft is
accepted as it is and every problem is pointed at, never silently fixed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .document import (
    BASIC_ROW_KEYS,
    Columns,
    FilingDocument,
    FundLine,
    Indicator,
    Project,
    quantize,
)
from .hunan import BASIC_ROW_LABELS as BASIC_ROW_LABELS
from .hunan import REQUIRED_REPORT_SECTIONS as REQUIRED_REPORT_SECTIONS
from .hunan import SIGNED_BASIC_ROWS as SIGNED_BASIC_ROWS
from .params import ScoringSettings
from .scoring import (
    HUNDRED,
    RULE_EQUAL,
    RULE_POSITIVE,
    RULE_QUALITATIVE,
    RULE_REVERSE,
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
    "contact_missing": ERROR,
    "score_differs": WARNING,
    "actual_not_comparable": WARNING,
    "level1_weight_mismatch": WARNING,
    "items_mismatch": WARNING,
    "execution_over_100": WARNING,
    "project_amount_mismatch": WARNING,
    "score_exceeds_execution": WARNING,
}

COLUMN_LABELS = {"prior_final": "上年决算数", "budget": "本年预算数", "final": "本年决算数"}
COLUMNS = tuple(COLUMN_LABELS)

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

# 填报信息 the officer signs with; required for submission: (field, label).
REQUIRED_CONTACT_FIELDS = (("preparer", "填表人"), ("phone", "联系电话"), ("head", "单位负责人"))

# The Ministry's system warns when the indicator score rate exceeds the
# execution-score rate by more than this share of the indicator score rate.
GENEROUS_SCORE_MARGIN = Decimal("0.05")

# What each suggestion rule means, in the words of the form (score_differs).
RULE_EXPLANATIONS = {
    RULE_POSITIVE: "正向指标（实际完成值达到或超过年度指标值得满分）",
    RULE_REVERSE: "反向指标（实际完成值不超过年度指标值得满分）",
    RULE_EQUAL: "等于型指标（实际完成值达到年度指标值得满分）",
}


@dataclass(frozen=True)
class Finding:
    """One problem of a filing.

    `code` is one of FINDING_CODES, `kind` "error" (blocks submission) or
    "warning", `message` a Simplified Chinese sentence naming the row or field,
    `where` a path into the document as in docs/filing-format.md
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
    *, document: FilingDocument, template: ScoringSettings, score: FilingScore | None = None
) -> list[Finding]:
    """Check a filing against every rule of DOMAIN.md and return the findings.

    `score` is the document's `document_score` for `template`; it is computed
    when not given. The result lists all errors, then all warnings, each in
    document order (profile, staffing, funds, 附件1, 附件2 indicators, 附件3
    projects, report, 填报信息); within one place the codes come in a fixed order.
    Empty cells are not errors in themselves (a draft may be incomplete) except
    where a rule says so: 全年预算数 (budget_missing), 实际完成值 of an applicable
    row (actual_missing), a missing 偏差原因 (deviation_missing), the required
    narrative sections (section_missing) and 填表人, 联系电话, 单位负责人
    (contact_missing). Sums are compared only when the total and at least one
    part are filled; empty parts count 0. Never raises.
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
        title="附件2部门整体支出绩效自评表",
        row_prefix="附件2",
    )
    for index, project in enumerate(document.projects):
        _check_project(collector, index, project, score.projects[index], template)
    _check_project_amounts(collector, document)
    _check_report(collector, document)
    _check_contact(collector, document)
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
    template: ScoringSettings,
) -> None:
    prefix = f"projects[{index}]"
    title = f"附件3项目“{project.name}”"
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
    template: ScoringSettings,
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
            f"＋指标分值合计{_number(indicator_weights)}），应为100。"
            "本年度的评分规则不按不适用指标折算满分，请调整各指标分值，"
            f"使指标分值合计为{_number(HUNDRED - table.execution_weight)}；"
            "标为不适用的指标如需计分，请取消不适用并填写分值和得分。",
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
                f"本年度评分规则建议为{_number(advisory)}，请核实。",
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
    _check_generous_score(collector, table=table, where=where, title=title)


def _check_generous_score(
    collector: _Collector, *, table: TableScore, where: str, title: str
) -> None:
    """score_exceeds_execution: the rule of the Ministry's own system.

    r_ind = Σ 得分 ÷ Σ 分值 of the applicable indicator rows, r_exec = 执行率得分 ÷
    执行率分值; warn when (r_ind − r_exec) ÷ r_ind > 5 %. The ratios are compared
    unrounded; only the message rounds them. Skipped while either ratio cannot be
    computed (no 执行率得分, a 分值 of 0) or no indicator point was given.
    """
    indicator_max = table.max_score - table.execution_weight
    if table.execution_score is None or not table.execution_weight or indicator_max <= 0:
        return
    indicator_rate = table.indicator_score / indicator_max
    execution_rate = table.execution_score / table.execution_weight
    if indicator_rate <= 0:
        return
    if (indicator_rate - execution_rate) / indicator_rate <= GENEROUS_SCORE_MARGIN:
        return
    collector.add(
        "score_exceeds_execution",
        where,
        f"{title}的指标得分率为{_amount(indicator_rate * HUNDRED)}%"
        f"（指标得分{_number(table.indicator_score)}÷指标分值{_number(indicator_max)}），"
        f"预算执行率得分率只有{_amount(execution_rate * HUNDRED)}%"
        f"（执行率得分{_number(table.execution_score)}÷执行率分值{_number(table.execution_weight)}），"
        "指标得分率高出5%以上，自评得分可能偏高，请核实各指标得分。",
    )


def _row_label(prefix: str, index: int, row: Indicator) -> str:
    # A 三级指标 of blanks names nothing: fall back to the 二级, then the 一级指标.
    name = next(
        (text.strip() for text in (row.name, row.level2, row.level1) if text and text.strip()), ""
    )
    named = f"“{name}”" if name else ""
    return f"{prefix}第{index + 1}行指标{named}"


def _check_row(
    collector: _Collector,
    *,
    row: Indicator,
    result: IndicatorResult,
    template: ScoringSettings,
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
            f"{label}实际完成值为“{result.grade}”，得分应{_band_text(result)}，"
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
            f"{label}是{RULE_EXPLANATIONS[result.rule]}，按实际完成值计算的建议得分为"
            f"{_number(result.suggested_score)}，填报得分为{_number(score)}，请核实。",
        )
    if not result.comparable:
        collector.add(
            "actual_not_comparable",
            where,
            f"{label}年度指标值“{row.target}”是数值，实际完成值“{row.actual}”却不是，"
            "无法计算建议得分；请按年度指标值的写法填写实际完成的数值。",
        )


def _band_text(result: IndicatorResult) -> str:
    """A qualitative band in words: "不低于8且不高于10", "不低于6且低于8"."""
    low, high = result.band
    upper = "不高于" if result.band_high_inclusive else "低于"
    return f"不低于{_number(low)}且{upper}{_number(high)}"


def _check_project_amounts(collector: _Collector, document: FilingDocument) -> None:
    """project_amount_mismatch: 附件1's 本年决算数 of a project against the
    全年执行数 of the 附件3 table of the same name (names trimmed).

    One finding per project name, placed on the 附件3 年度资金总额 row: 附件1's
    决算 comes from the department's final accounts, so the 执行数 typed into
    the project table is the figure to correct, and it drives that table's
    执行率 and score. The message names the 附件1 rows and value. Names may
    repeat on either side; the values of one name are added up. Compared only
    when both sides have a value.
    """
    items: dict[str, list[tuple[int, Decimal]]] = {}
    for index, item in enumerate(document.basic_data.project_items):
        name = (item.name or "").strip()
        if name and item.final is not None:
            items.setdefault(name, []).append((index, item.final))
    projects: dict[str, list[tuple[int, Decimal]]] = {}
    for index, project in enumerate(document.projects):
        name = (project.name or "").strip()
        executed = project_total_line(project.funds.total).executed
        if name and executed is not None:
            projects.setdefault(name, []).append((index, executed))
    for name, lines in projects.items():
        if name not in items:
            continue
        executed = sum((value for _, value in lines), ZERO)
        final = sum((value for _, value in items[name]), ZERO)
        if executed == final:
            continue
        rows = "、".join(f"第{index + 1}行" for index, _ in items[name])
        tables = "项目" if len(lines) == 1 else f"中{len(lines)}张同名项目表"
        collector.add(
            "project_amount_mismatch",
            f"projects[{lines[0][0]}].funds.total",
            f"附件3{tables}“{name}”年度资金总额的“全年执行数”"
            f"{'合计' if len(lines) > 1 else ''}为{_amount(executed)}万元，"
            f"与附件1项目支出明细（{rows}）“{name}”的“本年决算数”{_amount(final)}万元不一致，"
            "请核对。",
        )


def _check_report(collector: _Collector, document: FilingDocument) -> None:
    for name, label in REQUIRED_REPORT_SECTIONS:
        if _blank(getattr(document.report, name)):
            collector.add("section_missing", f"report.{name}", f"{label}未填写。")


def _check_contact(collector: _Collector, document: FilingDocument) -> None:
    for name, label in REQUIRED_CONTACT_FIELDS:
        if _blank(getattr(document.contact, name)):
            collector.add("contact_missing", f"contact.{name}", f"填报信息：请填写{label}。")

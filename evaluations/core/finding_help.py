"""What each validation finding means, in the words of a finance officer.

The 填报说明 page lists every code of `validation.FINDING_CODES` with its entry
here, so the page cannot drift from the validator: a code without an entry
fails tests/evaluations/services/test_finding_help.py. The codes themselves are
never shown to users; each entry has a short title and a plain explanation of
when the finding appears and what to do.
"""

from dataclasses import dataclass

from .validation import ERROR, FINDING_CODES


@dataclass(frozen=True)
class FindingHelp:
    title: str
    meaning: str


FINDING_HELP = {
    "budget_missing": FindingHelp(
        "全年预算数未填写",
        "年度资金（或附件3某个项目的年度资金总额）的“全年预算数”为空或为0，"
        "无法计算预算执行率和执行率得分。请填写全年预算数。",
    ),
    "negative_amount": FindingHelp(
        "金额为负数",
        "某个金额或人数小于0。除附件1“部门基本支出预算调整”可以为负数外，其余金额都不能为负数。",
    ),
    "weights_not_100": FindingHelp(
        "满分不等于100",
        "自评表的满分（预算执行率分值＋适用指标的分值合计）不等于100。"
        "请调整指标分值，使满分为100；只有评分规则允许将指标标为不适用时，"
        "满分才可以不是100，此时按换算得分评定等次。",
    ),
    "score_out_of_range": FindingHelp(
        "得分超出范围",
        "某行指标的得分小于0或大于该行分值。得分应在0到分值之间。",
    ),
    "actual_missing": FindingHelp(
        "实际完成值未填写",
        "某行适用的指标没有填写实际完成值。请填写实际完成情况；确实不适用的指标，"
        "在评分规则允许时可标为不适用。",
    ),
    "deviation_missing": FindingHelp(
        "偏差原因未填写",
        "某行指标的得分低于分值（未得满分），但没有填写偏差原因分析及改进措施。请说明扣分原因。",
    ),
    "qualitative_band": FindingHelp(
        "定性指标得分与评价不符",
        "实际完成值为“达成年度指标”“部分达成年度指标并具有一定效果”或"
        "“未达成年度指标且效果较差”的定性指标，得分应分别在分值的80%～100%、"
        "60%～80%（不含80%）、0～60%（不含60%）之间。请调整得分或实际完成值。",
    ),
    "sum_mismatch": FindingHelp(
        "合计数不相等",
        "应当相等的合计与分项不一致，例如附件1“三公”经费不等于各分项之和，"
        "年度资金按收入性质分列的合计不等于全年预算数，按支出性质分列的合计不等于全年执行数。"
        "信息中列出了相差的数额，请核对。",
    ),
    "section_missing": FindingHelp(
        "必填内容未填写",
        "部门基本情况的“主要职能职责”，或自评报告的必填部分（二、预算执行总体情况；"
        "六、综合评价结论；七、存在的问题及原因分析；八、下一步改进措施）为空。",
    ),
    "contact_missing": FindingHelp(
        "填报信息未填写",
        "填报信息中的填表人、联系电话或单位负责人为空。报送前须填写齐全。",
    ),
    "score_differs": FindingHelp(
        "得分与建议得分不同",
        "系统根据年度指标值和实际完成值按计分规则算出了建议得分，而填写的得分与之不同。"
        "自评以填写的得分为准，请确认是否有意为之。",
    ),
    "actual_not_comparable": FindingHelp(
        "实际完成值无法与指标值比较",
        "年度指标值是数值，但实际完成值不是可以比较的数值（例如写成了文字），"
        "系统无法给出建议得分。请尽量填写与指标值同一单位的数值。",
    ),
    "level1_weight_mismatch": FindingHelp(
        "一级指标分值与建议不同",
        "产出、效益、满意度等一级指标的分值合计与评分规则建议的分值不同。仅作提醒，不影响报送。",
    ),
    "items_mismatch": FindingHelp(
        "明细与合计不符",
        "附件1项目支出明细的合计与“项目支出”不一致，或“其中”各项"
        "（办公费，水费、电费、差旅费，会议费、培训费）超过了公用经费。",
    ),
    "execution_over_100": FindingHelp(
        "预算执行率超过100%",
        "全年执行数大于全年预算数。执行率得分最多按100%计算，请核实两项金额。",
    ),
    "project_amount_mismatch": FindingHelp(
        "项目执行数与附件1决算数不一致",
        "附件3某个项目年度资金总额的“全年执行数”与附件1项目支出明细中同名项目的"
        "“本年决算数”不一致。附件1的数字来自决算，请核对附件3的执行数。",
    ),
    "score_exceeds_execution": FindingHelp(
        "自评得分可能偏高",
        "指标得分率（指标得分合计 ÷ 适用指标分值合计）比预算执行率得分率"
        "（执行率得分 ÷ 执行率分值）高出5%以上（按指标得分率计算的相对差）。"
        "钱没有花完而指标几乎满分，请核实各指标得分。",
    ),
}


@dataclass(frozen=True)
class FindingHelpRow:
    title: str
    meaning: str
    blocks_submission: bool


def finding_help_rows() -> list[FindingHelpRow]:
    """Every finding the validator can report, errors first, in the order of
    FINDING_CODES. Raises KeyError for a code without an entry here."""
    rows = [
        FindingHelpRow(
            title=FINDING_HELP[code].title,
            meaning=FINDING_HELP[code].meaning,
            blocks_submission=kind == ERROR,
        )
        for code, kind in FINDING_CODES.items()
    ]
    return sorted(rows, key=lambda row: not row.blocks_submission)

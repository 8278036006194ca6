"""Is a filing complete? What it still lacks before its 等次 means anything.

Pure: reads the document and its validation findings, imports no Django, so
the stored figures of every save (services.persistence), the pages and the
workbook preview agree on what is missing.
"""

from dataclasses import dataclass

from .scoring import project_total_line

# The required narrative sections (section_missing) as the list of missing
# parts names them, by the path of their finding.
_SECTION_LABELS = {
    "profile.functions": "部门基本情况：主要职能职责",
    "report.budget_overview": "自评报告：二、一般公共预算支出情况",
    "report.performance_conclusion": "自评报告：六、综合评价结论",
    "report.problems": "自评报告：七、存在的问题及原因分析",
    "report.improvements": "自评报告：八、下一步改进措施",
}


@dataclass(frozen=True)
class MissingPart:
    """Something a complete filing has and this one lacks.

    `label` names it in Chinese ("年度资金：全年预算数"), `where` is the
    document path of the place to fill in (as in a finding), `project` the
    index of the 附件3 table it belongs to, None for the filing's own parts.
    """

    label: str
    where: str
    project: int | None = None


def _table_missing(*, indicators, findings, where, title, project=None) -> list[MissingPart]:
    applicable = [index for index, row in enumerate(indicators) if row.applicable]
    if not applicable:
        return [MissingPart(f"{title}：绩效指标（没有计分的指标行）", where, project)]
    missing = []
    no_score = [index for index in applicable if indicators[index].score is None]
    if no_score:
        label = f"{title}：{len(no_score)} 行指标的得分"
        missing.append(MissingPart(label, f"{where}[{no_score[0]}]", project))
    return missing


def document_missing_parts(*, document, findings) -> list[MissingPart]:
    """What the filing still lacks before its 等次 means anything, in document
    order; empty when it is complete.

    Missing are: a required narrative section (the section_missing findings),
    全年预算数 (budget_missing) or 全年执行数 of the filing or of a 附件3 table,
    a score table without any applicable indicator row, applicable rows
    without 得分. Most of these leave
    the score computed as if they were 0 (or the 满分 of a table without rows),
    so a grade shown meanwhile would mislead. The 填报信息 (填表人 …) is not
    counted: it signs the filing and changes no figure; nor is a row's blank
    实际完成值 once the row has its 得分 (actual_missing blocks submission,
    but filling it in changes no figure: the 等次 shown is already the one
    the filing will have, as for the published 北塔 filing). Other errors (a sum
    that does not add up, a score out of its band) are wrong values, not
    missing ones, and stay in the list of findings. `findings` are the document's validation
    findings (anything with `code` and `where`). Never raises.
    """
    findings = list(findings)
    found = {(finding.code, finding.where) for finding in findings}
    missing = []
    if ("section_missing", "profile.functions") in found:
        missing.append(MissingPart(_SECTION_LABELS["profile.functions"], "profile.functions"))
    if ("budget_missing", "funds.full_year_budget") in found:
        missing.append(MissingPart("年度资金：全年预算数", "funds.full_year_budget"))
    if document.funds.executed is None:
        missing.append(MissingPart("年度资金：全年执行数", "funds.executed"))
    missing += _table_missing(
        indicators=document.indicators,
        findings=findings,
        where="indicators",
        title="附件2 自评表",
    )
    for index, project in enumerate(document.projects):
        prefix = f"projects[{index}]"
        title = f"附件3 项目“{project.name}”"
        if ("budget_missing", f"{prefix}.funds") in found:
            missing.append(MissingPart(f"{title}：全年预算数", f"{prefix}.funds", index))
        if project_total_line(project.funds.total).executed is None:
            missing.append(MissingPart(f"{title}：全年执行数", f"{prefix}.funds", index))
        missing += _table_missing(
            indicators=project.indicators,
            findings=findings,
            where=f"{prefix}.indicators",
            title=title,
            project=index,
        )
    for name in ("budget_overview", "performance_conclusion", "problems", "improvements"):
        where = f"report.{name}"
        if ("section_missing", where) in found:
            missing.append(MissingPart(_SECTION_LABELS[where], where))
    return missing

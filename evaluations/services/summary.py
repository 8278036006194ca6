"""The score summary stored on a filing for lists and the reviewer dashboard,
and the copy of its content that the filing pages read.

Every service that changes the content of a filing calls
`filing_summary_refresh` in its own transaction. It reads the filing once and
stores (a) 总分, 等次, 执行率 and the finding counts on the filing row, and (b)
the filing's content in document form with the keys of its rows
(`FilingCache`), labelled with the filing's version. A filing page then reads
one row instead of the seven queries of `filing_document`, and scores and
validates that document itself (well under a millisecond), so a change of the
scoring template shows at once.
"""

from dataclasses import dataclass, field, fields, replace

from django.db import DatabaseError, transaction

from evaluations.core import document as doc
from evaluations.core.scoring import document_score, project_total_line
from evaluations.core.validation import document_validate
from evaluations.models import (
    BasicDataRow,
    Building,
    Filing,
    FilingCache,
    Funds,
    Indicator,
    Profile,
    Project,
    ProjectItem,
    Report,
)

# Bumped when the stored form changes; an older copy is then read anew.
CACHE_FORMAT = 1


@dataclass(frozen=True)
class RowKeys:
    """Primary keys of the rows a document lists, in the document's order."""

    indicators: list[int] = field(default_factory=list)  # the filing's own (附件2)
    projects: list[int] = field(default_factory=list)
    project_indicators: dict[int, list[int]] = field(default_factory=dict)


def filing_summary_refresh(*, filing: Filing) -> Filing:
    """Recompute 总分, 等次, 执行率, the error and warning counts and the number
    of missing parts of `filing`
    from what is saved, store them on the row, and store the filing's content
    for the pages (`FilingCache`). Nothing else is written.

    Every service that changes the content of a filing calls this in its own
    transaction, after bumping the version (`filing.version` must be the
    row's), so neither a list nor a page shows figures older than the last
    save.
    """
    from evaluations.services.interchange import filing_document_read

    document, keys = filing_document_read(filing=filing)
    template = filing.scoring_template
    score = document_score(document=document, template=template)
    findings = document_validate(document=document, template=template, score=score)
    filing.total_score = score.total_score
    filing.grade = score.grade
    filing.execution_rate = score.execution_rate
    filing.error_count = sum(1 for finding in findings if finding.kind == "error")
    filing.warning_count = sum(1 for finding in findings if finding.kind == "warning")
    filing.missing_count = len(document_missing_parts(document=document, findings=findings))
    Filing.objects.filter(pk=filing.pk).update(
        total_score=filing.total_score,
        grade=filing.grade,
        execution_rate=filing.execution_rate,
        error_count=filing.error_count,
        warning_count=filing.warning_count,
        missing_count=filing.missing_count,
    )
    # A copy labelled with an older version than the row's is never read.
    _cache_store(filing_pk=filing.pk, version=filing.version, document=document, keys=keys)
    return filing


def _cache_store(*, filing_pk: int, version: int, document, keys: RowKeys) -> None:
    from evaluations.services.interchange import document_to_dict

    data = {
        "format": CACHE_FORMAT,
        "document": document_to_dict(document=document),
        "indicators": keys.indicators,
        "projects": keys.projects,
        # JSON object keys are strings; a list of pairs keeps the project pks ints.
        "project_indicators": list(keys.project_indicators.items()),
    }
    FilingCache.objects.bulk_create(
        [FilingCache(filing_id=filing_pk, version=version, data=data)],
        update_conflicts=True,
        unique_fields=["filing"],
        update_fields=["version", "data"],
    )


def filing_cache_carry_over(*, filing: Filing, from_version: int) -> None:
    """Label the stored copy of `from_version` with `filing.version`, for a
    change that bumped the version without touching the content (a status
    move). A copy of any other version is left to be read anew."""
    FilingCache.objects.filter(pk=filing.pk, version=from_version).update(version=filing.version)


def _cache_read(filing: Filing):
    """(document, keys) from the stored copy of `filing`'s current version, or
    None when there is none, it is of another version or format, or it does
    not read back."""
    from evaluations.services.interchange import DocumentError, document_from_json

    try:
        cache = filing.cache  # select_related by the page's selector; else one query
    except FilingCache.DoesNotExist:
        return None
    data = cache.data
    if (
        cache.version != filing.version
        or not isinstance(data, dict)
        or data.get("format") != CACHE_FORMAT
    ):
        return None
    try:
        document = document_from_json(data["document"])
        keys = RowKeys(
            indicators=list(data["indicators"]),
            projects=list(data["projects"]),
            project_indicators={int(pk): list(pks) for pk, pks in data["project_indicators"]},
        )
    except (DocumentError, KeyError, TypeError, ValueError):
        return None
    # Names the filing shows but does not own: read them live.
    document = replace(
        document,
        department=doc.Department(
            name=filing.department.name,
            jurisdiction=filing.department.jurisdiction.name,
            code=filing.department.code,
        ),
        fiscal_year=filing.fiscal_year.year,
        template=filing.template.name if filing.template else None,
    )
    return document, keys


def filing_document_current(*, filing: Filing):
    """(document, row keys) of the saved `filing`: from its stored copy when that
    is of the filing's version, else read from its rows (and stored again)."""
    from evaluations.services.interchange import filing_document_read

    cached = _cache_read(filing)
    if cached is not None:
        return cached
    document, keys = filing_document_read(filing=filing)
    try:
        with transaction.atomic():
            _cache_store(filing_pk=filing.pk, version=filing.version, document=document, keys=keys)
    except DatabaseError:
        # A page that could not store its copy still shows what it read.
        pass
    return document, keys


def filing_document_saved(*, filing: Filing, project: Project | None = None):
    """(document, row keys) of the saved `filing`, like `filing_document_current`
    but never writing: a preview must not store anything, not even the pages'
    copy. Read from the rows when the stored copy is not current or does not
    list `project` (the 附件3 table a page edits)."""
    from evaluations.services.interchange import filing_document_read

    cached = _cache_read(filing)
    if cached is not None and (project is None or project.pk in cached[1].projects):
        return cached
    return filing_document_read(filing=filing)


# --- the document with one page's unsaved forms ---------------------------------


def _same_named(cls, instance):
    """A document dataclass from the model attributes of the same names."""
    return cls(**{item.name: getattr(instance, item.name) for item in fields(cls)})


def _funds_document(funds: Funds) -> doc.Funds:
    return doc.Funds(
        initial_budget=funds.initial_budget,
        full_year_budget=funds.full_year_budget,
        executed=funds.executed,
        weight=funds.weight,
        by_source=_same_named(doc.FundsBySource, funds),
        by_nature=_same_named(doc.FundsByNature, funds),
        basic_detail=_same_named(doc.BasicDetail, funds),
    )


def _columns(instance) -> dict:
    return {"prior_final": instance.prior_final, "budget": instance.budget, "final": instance.final}


def document_with_page(*, document, keys: RowKeys, forms=(), formsets=(), project=None):
    """`document` (the saved filing) as it would read if the valid bound
    `forms` and `formsets` of one filing page were saved, computed in memory:
    nothing is written, locked or opened as a transaction. The rows of a
    formset are taken in the order a save would give them (顺序, blank rows
    last), without the rows marked 删除; `project` is the 附件3 table the page
    edits (None for the filing's own pages). For the live preview, which
    scores and validates the result like a saved filing."""
    document = replace(document)
    index = keys.projects.index(project.pk) if project is not None else None
    if index is not None:
        document.projects = list(document.projects)
    for form in forms:
        instance = form.instance  # the posted values, applied by is_valid()
        if isinstance(instance, Profile):
            document.profile = _same_named(doc.Profile, instance)
            document.staffing = _same_named(doc.Staffing, instance)
        elif isinstance(instance, Funds):
            document.funds = _funds_document(instance)
        elif isinstance(instance, Report):
            document.report = _same_named(doc.Report, instance)
        elif isinstance(instance, Project) and index is not None:
            # The one mapping of a project's columns to its document (it also
            # reads the saved indicator rows, which are kept unless posted).
            from evaluations.services.interchange import _project_document

            document.projects[index] = replace(
                _project_document(instance), indicators=document.projects[index].indicators
            )
        elif isinstance(instance, Filing):
            document.overall_goal = doc.Goal(
                expected=instance.goal_expected, actual=instance.goal_actual
            )
            document.basic_data = replace(
                document.basic_data, austerity_measures=instance.austerity_measures
            )
            document.contact = doc.Contact(
                preparer=instance.preparer,
                phone=instance.phone,
                date=instance.filled_on.isoformat() if instance.filled_on else "",
                head=instance.head,
            )
    for formset in formsets:
        if formset.model is BasicDataRow:
            rows = dict(document.basic_data.rows)
            for form in formset.initial_forms:
                rows[form.instance.key] = doc.Columns(**_columns(form.instance))
            document.basic_data = replace(document.basic_data, rows=rows)
            continue
        instances = [form.instance for form in formset.ordered_forms]
        if formset.model is ProjectItem:
            items = [doc.ProjectItem(name=row.name, **_columns(row)) for row in instances]
            document.basic_data = replace(document.basic_data, project_items=items)
        elif formset.model is Building:
            buildings = [_same_named(doc.Building, row) for row in instances]
            document.basic_data = replace(document.basic_data, buildings=buildings)
        elif formset.model is Indicator:
            rows = [_same_named(doc.Indicator, row) for row in instances]
            if index is None:
                document.indicators = rows
            else:
                document.projects[index] = replace(document.projects[index], indicators=rows)
    return document


# --- is the filing complete? ----------------------------------------------------

NORMALIZED_SCORE_RULE = (
    "换算得分 = 总分 ÷ 满分 × 100；满分 = 预算执行率分值 + 适用指标的分值合计，"
    "不适用指标的分值不计入满分。"
)

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

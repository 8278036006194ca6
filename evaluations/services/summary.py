"""The score summary stored on a filing for lists and the reviewer dashboard,
the copy of its content that the filing pages read, and a filing page's
unsaved forms as a document.

Every content write (services.persistence) stores (a) 总分, 等次, 执行率 and
the finding counts on the filing row, and (b) the filing's content in
document form with the keys of its rows (`FilingCache`), labelled with the
filing's version. A filing page then reads one row instead of the seven
queries of `filing_document`, and scores and validates that document itself
(well under a millisecond), so a change of the scoring template shows at once.
"""

from dataclasses import fields, replace

from django.db import DatabaseError, transaction

from evaluations.core import document as doc
from evaluations.core.completeness import MissingPart, document_missing_parts
from evaluations.models import (
    BasicDataRow,
    Building,
    Filing,
    FilingCache,
    FormTemplate,
    Funds,
    Indicator,
    Profile,
    Project,
    ProjectItem,
    Report,
)
from evaluations.services.interchange import DocumentError, document_from_json
from evaluations.services.persistence import (
    CACHE_FORMAT,
    RowKeys,
    filing_cache_store,
    filing_document_read,
    filing_summary_store,
    project_document,
)

__all__ = [
    "CACHE_FORMAT",
    "NORMALIZED_SCORE_RULE",
    "MissingPart",
    "RowKeys",
    "document_missing_parts",
    "document_with_page",
    "filing_cache_carry_over",
    "filing_document_current",
    "filing_document_saved",
    "filing_summary_refresh",
]


def filing_summary_refresh(*, filing: Filing) -> Filing:
    """Recompute 总分, 等次, 执行率, the error and warning counts and the number
    of missing parts of `filing` from its rows, store them on the row, and
    store the filing's content for the pages (`FilingCache`). Nothing else is
    written: no version, no revision.

    Content writes do this themselves (services.persistence); this is for
    what changes the figures without changing the content (a script, a test
    that set rows directly). `filing.version` must be the row's. A filing
    on a generic form template is refreshed from its template's scoring
    (services.generic_persistence.generic_summary_refresh).
    """
    if filing.layout == FormTemplate.Layout.GENERIC:
        from evaluations.services.generic_persistence import generic_summary_refresh

        return generic_summary_refresh(filing=filing)
    document, keys = filing_document_read(filing=filing)
    return filing_summary_store(filing=filing, document=document, keys=keys)


def filing_cache_carry_over(*, filing: Filing, from_version: int) -> None:
    """Label the stored copy of `from_version` with `filing.version`, for a
    change that bumped the version without touching the content (a status
    move). A copy of any other version is left to be read anew."""
    FilingCache.objects.filter(pk=filing.pk, version=from_version).update(version=filing.version)


def _cache_read(filing: Filing):
    """(document, keys) from the stored copy of `filing`'s current version, or
    None when there is none, it is of another version or format, or it does
    not read back."""
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
    cached = _cache_read(filing)
    if cached is not None:
        return cached
    document, keys = filing_document_read(filing=filing)
    try:
        with transaction.atomic():
            filing_cache_store(
                filing_pk=filing.pk, version=filing.version, document=document, keys=keys
            )
    except DatabaseError:
        # A page that could not store its copy still shows what it read.
        pass
    return document, keys


def filing_document_saved(*, filing: Filing, project: Project | None = None):
    """(document, row keys) of the saved `filing`, like `filing_document_current`
    but never writing: a preview must not store anything, not even the pages'
    copy. Read from the rows when the stored copy is not current or does not
    list `project` (the 附件3 table a page edits)."""
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
            # The one mapping of a project's columns to its document; its
            # saved indicator rows are kept unless posted.
            document.projects[index] = replace(
                project_document(instance, indicators=[]),
                indicators=document.projects[index].indicators,
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

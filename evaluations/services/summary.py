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

from dataclasses import dataclass, field, replace

from django.db import DatabaseError, transaction

from evaluations.models import Filing, FilingCache
from evaluations.services import document as doc
from evaluations.services.scoring import document_score
from evaluations.services.validation import document_validate

# Bumped when the stored form changes; an older copy is then read anew.
CACHE_FORMAT = 1


@dataclass(frozen=True)
class RowKeys:
    """Primary keys of the rows a document lists, in the document's order."""

    indicators: list[int] = field(default_factory=list)  # the filing's own (附件2)
    projects: list[int] = field(default_factory=list)
    project_indicators: dict[int, list[int]] = field(default_factory=dict)


def filing_summary_refresh(*, filing: Filing) -> Filing:
    """Recompute 总分, 等次, 执行率 and the error and warning counts of `filing`
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
    Filing.objects.filter(pk=filing.pk).update(
        total_score=filing.total_score,
        grade=filing.grade,
        execution_rate=filing.execution_rate,
        error_count=filing.error_count,
        warning_count=filing.warning_count,
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

"""The score summary stored on a filing for lists and the reviewer dashboard."""

from evaluations.models import Filing
from evaluations.services.scoring import document_score
from evaluations.services.validation import document_validate


def filing_summary_refresh(*, filing: Filing, document=None) -> Filing:
    """Recompute 总分, 等次, 执行率 and the error and warning counts of `filing`
    and store them on the row (nothing else is written).

    Every service that changes the content of a filing calls this in its own
    transaction, so a list never shows figures older than the last save. Pass
    `document` when the filing has been read already.
    """
    from evaluations.services.interchange import filing_document

    if document is None:
        document = filing_document(filing=filing)
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
    return filing

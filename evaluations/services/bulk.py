"""Approving many submitted filings at once from the reviewer dashboard."""

from dataclasses import dataclass

from departments.selectors import jurisdictions_reviewed_by
from evaluations.models import Filing
from evaluations.services.workflow import (
    TransitionError,
    filing_blocking_errors,
    filing_transition,
)

APPROVED_MESSAGE = "已审核"
NOT_FOUND_MESSAGE = "没有找到该填报，或不在您的审核范围内。"


@dataclass(frozen=True)
class BulkResult:
    filing_id: int
    # "" for a filing the actor may not see: its department is not leaked.
    department_name: str
    approved: bool
    message: str  # "已审核", or the reason in Chinese


def filings_bulk_approve(*, filing_ids: list[int], actor) -> list[BulkResult]:
    """Approve each of `filing_ids` on behalf of `actor`, one at a time, and
    report a result per id in the order given (duplicates once).

    A filing is refused, without stopping the others, when it is outside the
    jurisdictions the actor reviews (reported as not found), still has blocking
    errors (rechecked here because the workflow only checks them on
    submission), or when the workflow refuses the move (not submitted, no
    permission, changed meanwhile, or the actor is an officer of the filing's
    department: separation of duties holds in bulk too). Each approval is its own transaction
    through `filing_transition`, so one failure rolls back nothing else.
    Raises nothing for a refused filing. Called by reviewers and administrators.
    """
    ids = list(dict.fromkeys(filing_ids))
    filings = Filing.objects.filter(
        pk__in=ids, department__jurisdiction__in=jurisdictions_reviewed_by(user=actor)
    ).select_related("department__jurisdiction", "fiscal_year", "template")
    found = {filing.pk: filing for filing in filings}
    results = []
    for filing_id in ids:
        filing = found.get(filing_id)
        if filing is None:
            results.append(
                BulkResult(
                    filing_id=filing_id,
                    department_name="",
                    approved=False,
                    message=NOT_FOUND_MESSAGE,
                )
            )
            continue
        results.append(_approve_one(filing=filing, actor=actor))
    return results


def _approve_one(*, filing: Filing, actor) -> BulkResult:
    def result(*, approved: bool, message: str) -> BulkResult:
        return BulkResult(
            filing_id=filing.pk,
            department_name=filing.department.name,
            approved=approved,
            message=message,
        )

    if filing.status != Filing.Status.SUBMITTED:
        # Approving from 已公开 would be the unpublish move of the table: a
        # stale dashboard must never take a report off 信息公开.
        return result(
            approved=False,
            message=f"当前状态为“{filing.get_status_display()}”，只有已报送的填报可以审核通过。",
        )
    blocking = filing_blocking_errors(filing=filing)
    if blocking:
        return result(approved=False, message=f"该填报还有 {len(blocking)} 项错误，不能审核通过。")
    try:
        filing_transition(filing=filing, to=Filing.Status.APPROVED, actor=actor)
    except TransitionError as refused:
        return result(approved=False, message=refused.message)
    return result(approved=True, message=APPROVED_MESSAGE)

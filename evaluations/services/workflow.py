"""The one door for status changes of a filing (DOMAIN.md "Filing life cycle").

草稿 --submit--> 已报送 --approve--> 已审核 --publish--> 已公开
已报送 --return--> 已退回 --submit--> 已报送;  已审核 --reopen--> 已退回;
已公开 --unpublish--> 已审核.
"""

from dataclasses import dataclass

from django.db import transaction

from departments.selectors import user_is_officer_of, user_is_reviewer_of
from evaluations.models import Filing, FilingTransition
from evaluations.services.summary import filing_cache_carry_over

Status = Filing.Status

OFFICER = "officer"
REVIEWER = "reviewer"
MIN_REASON_LENGTH = 5


@dataclass(frozen=True)
class Move:
    action: str  # a verb for messages and buttons
    label: str
    actor_role: str
    reason_required: bool = False
    blocked_by_errors: bool = False
    keeps_snapshot: bool = False


# (from, to) → the move. Anything not in this table is illegal.
TRANSITIONS: dict[tuple[str, str], Move] = {
    (Status.DRAFT, Status.SUBMITTED): Move("submit", "报送", OFFICER, blocked_by_errors=True),
    (Status.RETURNED, Status.SUBMITTED): Move(
        "submit", "重新报送", OFFICER, blocked_by_errors=True
    ),
    (Status.SUBMITTED, Status.RETURNED): Move(
        "return", "退回", REVIEWER, reason_required=True, keeps_snapshot=True
    ),
    (Status.SUBMITTED, Status.APPROVED): Move("approve", "审核通过", REVIEWER),
    (Status.APPROVED, Status.RETURNED): Move(
        "reopen", "取消审核", REVIEWER, reason_required=True, keeps_snapshot=True
    ),
    (Status.APPROVED, Status.PUBLISHED): Move("publish", "公开", REVIEWER),
    (Status.PUBLISHED, Status.APPROVED): Move("unpublish", "取消公开", REVIEWER),
}


class TransitionError(Exception):
    """A move that is illegal, not allowed to this actor, or not ready.

    `findings` lists the blocking errors when a submission is refused."""

    def __init__(self, message, *, findings=()):
        super().__init__(message)
        self.message = message
        self.findings = list(findings)


def move_for(*, filing: Filing, to: str) -> Move | None:
    return TRANSITIONS.get((filing.status, to))


def actor_may_make(*, move: Move, filing: Filing, actor) -> bool:
    if move.actor_role == OFFICER:
        return user_is_officer_of(user=actor, department=filing.department)
    return user_is_reviewer_of(user=actor, jurisdiction=filing.department.jurisdiction)


def moves_available(*, filing: Filing, actor) -> list[tuple[str, Move]]:
    """The moves `actor` may attempt from the filing's current status, for buttons."""
    return [
        (to, move)
        for (from_status, to), move in TRANSITIONS.items()
        if from_status == filing.status and actor_may_make(move=move, filing=filing, actor=actor)
    ]


def filing_blocking_errors(*, filing: Filing):
    from evaluations.services.interchange import filing_document
    from evaluations.services.validation import document_validate

    findings = document_validate(
        document=filing_document(filing=filing), template=filing.scoring_template
    )
    return [finding for finding in findings if finding.kind == "error"]


def filing_transition(*, filing: Filing, to: str, actor, comment: str = "") -> Filing:
    """Move `filing` to status `to` on behalf of `actor`.

    The move must be in TRANSITIONS from the filing's current status, read under
    a row lock and equal to the status the caller saw in `filing` (so two
    reviewers or a double click cannot both act), the actor
    must hold the move's role for the filing (officer of its department;
    reviewer of its jurisdiction or administrator), a return or reopen needs a
    reason of at least 5 characters, and a submission is refused while the
    filing has blocking errors. Writes a FilingTransition row and bumps the
    version; after the commit it sends the notices and, on approval, queues
    the render of the frozen report. A reopen discards the frozen report.

    Raises TransitionError with a Chinese message. Returns the updated filing.
    """
    comment = (comment or "").strip()
    with transaction.atomic():
        locked = (
            Filing.objects.select_for_update()
            .select_related("department__jurisdiction", "fiscal_year")
            .get(pk=filing.pk)
        )
        if locked.status != filing.status:
            # The caller decided on what it saw; another user moved the filing
            # meanwhile (e.g. approved it while this one was returning it).
            raise TransitionError(
                f"该填报的状态已被他人变更为“{locked.get_status_display()}”，请刷新后重试。"
            )
        move = move_for(filing=locked, to=to)
        if move is None:
            raise TransitionError(
                f"当前状态为“{locked.get_status_display()}”，不能变更为“{Status(to).label}”。"
                if to in Status.values
                else f"未知的目标状态“{to}”。"
            )
        if not actor_may_make(move=move, filing=locked, actor=actor):
            raise TransitionError(f"您没有权限执行“{move.label}”操作。")
        if move.reason_required and len(comment) < MIN_REASON_LENGTH:
            raise TransitionError(f"请填写{move.label}原因（至少 {MIN_REASON_LENGTH} 个字）。")
        if move.blocked_by_errors:
            blocking = filing_blocking_errors(filing=locked)
            if blocking:
                raise TransitionError(
                    f"该填报还有 {len(blocking)} 项错误，修正后才能报送。", findings=blocking
                )
        snapshot = None
        if move.keeps_snapshot:
            from evaluations.services.interchange import document_to_dict, filing_document

            snapshot = document_to_dict(document=filing_document(filing=locked))
        from_status = locked.status
        if (from_status, to) == (Status.APPROVED, Status.RETURNED):
            from evaluations.services.reports import report_discard

            report_discard(filing=locked)
        locked.status = to
        locked.version += 1
        locked.save(update_fields=["status", "version", "updated_at"])
        # A move changes no content: the pages' copy holds for the new version.
        filing_cache_carry_over(filing=locked, from_version=locked.version - 1)
        transition = FilingTransition.objects.create(
            filing=locked,
            from_status=from_status,
            to_status=to,
            actor=actor,
            comment=comment,
            snapshot=snapshot,
        )
        transaction.on_commit(lambda: _after_transition(transition_pk=transition.pk))
    return locked


def _after_transition(*, transition_pk: int) -> None:
    from evaluations.services.notifications import transition_notify
    from evaluations.tasks import freeze_report

    transition = FilingTransition.objects.get(pk=transition_pk)
    if (transition.from_status, transition.to_status) == (Status.SUBMITTED, Status.APPROVED):
        # The render takes a while: a worker does it, never the web request.
        freeze_report.enqueue(filing_id=transition.filing_id)
    transition_notify(transition=transition)

"""The one door for status changes of a filing (DOMAIN.md "Filing life cycle").

草稿 --submit--> 已报送 --approve--> 已审核 --publish--> 已公开
已报送 --return--> 已退回 --submit--> 已报送;  已审核 --reopen--> 已退回;
已公开 --unpublish--> 已审核.
any status but 已撤销 --withdraw--> 已撤销 --restore--> the status before (see
`restore_target`).

Separation of duties (不相容岗位相分离): whoever files for a department never
makes a bureau move on its filing, whatever roles the account holds.
"""

from dataclasses import dataclass

from django.db import transaction

from departments.selectors import user_is_admin, user_is_officer_of, user_is_reviewer_of
from evaluations.models import Filing, FilingTransition
from evaluations.services.summary import filing_cache_carry_over

Status = Filing.Status

OFFICER = "officer"
REVIEWER = "reviewer"
ADMINISTRATOR = "administrator"
MIN_REASON_LENGTH = 5


@dataclass(frozen=True)
class Move:
    action: str  # a verb for messages and buttons
    label: str
    actor_role: str
    reason_required: bool = False
    blocked_by_errors: bool = False
    keeps_snapshot: bool = False
    needs_frozen_report: bool = False
    # Its target is not chosen by the caller but read from the history.
    restores: bool = False


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
    (Status.APPROVED, Status.PUBLISHED): Move(
        "publish", "公开", REVIEWER, needs_frozen_report=True
    ),
    (Status.PUBLISHED, Status.APPROVED): Move("unpublish", "取消公开", REVIEWER),
    # A filing that must go away is withdrawn, never deleted (DOMAIN.md: it is
    # the record). The reason is kept on its transition and shown on its page.
    **{
        (source, Status.WITHDRAWN): Move("withdraw", "撤销", ADMINISTRATOR, reason_required=True)
        for source in Status.values
        if source != Status.WITHDRAWN
    },
    **{
        (Status.WITHDRAWN, target): Move(
            "restore", "恢复", ADMINISTRATOR, reason_required=True, restores=True
        )
        for target in (Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED)
    },
}


# Why 公开 waits: the public may only ever download the report frozen at approval.
REPORT_PENDING_REASON = "审核版报告正在生成，生成后才能公开"
DUTY_CONFLICT_REASONS = {
    REVIEWER: "您是该部门的填报人，不能审核本部门的填报（填报与审核须由不同的人担任）。",
    ADMINISTRATOR: "您是该部门的填报人，不能撤销或恢复本部门的填报（填报与审核须由不同的人担任）。",
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


def restore_target(*, filing: Filing) -> str:
    """The status a withdrawn `filing` is restored to: the one it had when it
    was withdrawn (its latest transition to 已撤销), so that restoring undoes
    the withdrawal and nothing else — an approval, and the report frozen with
    it, come back as they were, a draft stays a draft.

    Except 已公开, which comes back as 已审核: putting a report back in front
    of the public must be its own deliberate 公开 (the button is there, the
    frozen report is kept), not a side effect of undoing a withdrawal. A
    withdrawn filing without such a transition (set through the database) comes
    back as 已退回: its officers can see and correct it, and the bureau
    reviews it again before anything is approved."""
    before = (
        filing.transitions.filter(to_status=Status.WITHDRAWN)
        .order_by("-created_at", "-pk")
        .values_list("from_status", flat=True)
        .first()
    )
    if before is None:
        return Status.RETURNED
    if before == Status.PUBLISHED:
        return Status.APPROVED
    return before


def move_for_action(*, filing: Filing, action: str) -> tuple[str | None, Move | None]:
    """(target status, move) of the button `action` from the filing's current
    status, or (None, None) when there is no such move from it."""
    if filing.status == Status.WITHDRAWN and action == "restore":
        to = restore_target(filing=filing)
        return to, TRANSITIONS[(Status.WITHDRAWN, to)]
    for (from_status, to), move in TRANSITIONS.items():
        if from_status == filing.status and move.action == action:
            return to, move
    return None, None


def _holds_role(*, move: Move, filing: Filing, actor) -> bool:
    if move.actor_role == OFFICER:
        return user_is_officer_of(user=actor, department=filing.department)
    if move.actor_role == ADMINISTRATOR:
        return user_is_admin(user=actor)
    return user_is_reviewer_of(user=actor, jurisdiction=filing.department.jurisdiction)


def duty_conflict(*, move: Move, filing: Filing, actor) -> str:
    """Why `actor` may not make a bureau move on `filing` although holding the
    role: they are an officer of its department. Granting such a combination is
    refused (departments.services), but accounts may hold one from before or
    from the database, so the workflow refuses the move itself. "" if none."""
    if move.actor_role != OFFICER and user_is_officer_of(user=actor, department=filing.department):
        return DUTY_CONFLICT_REASONS[move.actor_role]
    return ""


def actor_may_make(*, move: Move, filing: Filing, actor) -> bool:
    return _holds_role(move=move, filing=filing, actor=actor) and not duty_conflict(
        move=move, filing=filing, actor=actor
    )


def move_waiting_reason(*, filing: Filing, move: Move) -> str:
    """Why `move` has to wait although the actor may make it (公开 before the
    report frozen at approval exists), for the button and the refusal; ""
    when nothing holds it back."""
    if move.needs_frozen_report and not filing.report_sha256:
        return REPORT_PENDING_REASON
    return ""


def moves_available(*, filing: Filing, actor) -> list[tuple[str, Move]]:
    """The moves `actor` may attempt from the filing's current status, for
    buttons; of a withdrawn filing only the restore to `restore_target`."""
    moves = [
        (to, move)
        for (from_status, to), move in TRANSITIONS.items()
        if from_status == filing.status and actor_may_make(move=move, filing=filing, actor=actor)
    ]
    if any(move.restores for _to, move in moves):
        target = restore_target(filing=filing)
        moves = [(to, move) for to, move in moves if not move.restores or to == target]
    return moves


def filing_blocking_errors(*, filing: Filing):
    from evaluations.core.validation import document_validate
    from evaluations.services.interchange import filing_document

    if filing.layout == "generic":
        return [finding for finding in _generic_findings(filing) if finding.kind == "error"]
    findings = document_validate(
        document=filing_document(filing=filing), template=filing.scoring_template
    )
    return [finding for finding in findings if finding.kind == "error"]


def _generic_findings(filing: Filing):
    """The findings of a filing on a generic-layout form template (core.generic)."""
    from evaluations.core.generic import generic_validate
    from evaluations.services.form_templates import filing_form_template
    from evaluations.services.generic_persistence import generic_document_read

    template = filing_form_template(filing).template()
    return generic_validate(generic_document_read(filing), template)


def _snapshot(filing: Filing) -> dict:
    """The filing's content as its document (perfeval-filing/1, or /2 for a
    generic-layout form template), kept on a return."""
    if filing.layout == "generic":
        from evaluations.core.generic import generic_document_to_json
        from evaluations.services.generic_persistence import generic_document_read

        return generic_document_to_json(generic_document_read(filing))
    from evaluations.services.interchange import document_to_dict, filing_document

    return document_to_dict(document=filing_document(filing=filing))


def filing_transition(*, filing: Filing, to: str, actor, comment: str = "") -> Filing:
    """Move `filing` to status `to` on behalf of `actor`.

    The move must be in TRANSITIONS from the filing's current status, read under
    a row lock and equal to the status the caller saw in `filing` (so two
    reviewers or a double click cannot both act), the actor
    must hold the move's role for the filing (officer of its department;
    reviewer of its jurisdiction or administrator; administrator for 撤销 and
    恢复) and, for any move but 报送, must not be an officer of its department
    (separation of duties), a return, reopen, withdrawal or restore needs a
    reason of at least 5 characters, a restore goes only to `restore_target`,
    a submission is refused while the filing has blocking errors, and
    publishing is refused until the report frozen at approval exists (the
    public gets exactly that file). Writes a
    FilingTransition row and bumps the version; after the commit it sends the
    notices and, on approval, queues the render of the frozen report. A reopen
    discards the frozen report; a withdrawal keeps it.

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
        if not _holds_role(move=move, filing=locked, actor=actor):
            raise TransitionError(f"您没有权限执行“{move.label}”操作。")
        conflict = duty_conflict(move=move, filing=locked, actor=actor)
        if conflict:
            raise TransitionError(conflict)
        if move.restores and to != restore_target(filing=locked):
            raise TransitionError(
                f"已撤销的填报只能恢复为撤销前的状态“{Status(restore_target(filing=locked)).label}”。"
            )
        if move.reason_required and len(comment) < MIN_REASON_LENGTH:
            raise TransitionError(f"请填写{move.label}原因（至少 {MIN_REASON_LENGTH} 个字）。")
        if move.blocked_by_errors:
            blocking = filing_blocking_errors(filing=locked)
            if blocking:
                raise TransitionError(
                    f"该填报还有 {len(blocking)} 项错误，修正后才能报送。", findings=blocking
                )
        if move_waiting_reason(filing=locked, move=move):
            raise TransitionError(f"{REPORT_PENDING_REASON}，请稍后再试。")
        snapshot = None
        if move.keeps_snapshot:
            snapshot = _snapshot(locked)
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

    transition = FilingTransition.objects.select_related("filing").get(pk=transition_pk)
    moved = (transition.from_status, transition.to_status)
    if moved == (Status.SUBMITTED, Status.APPROVED) or (
        # Withdrawn before its render ran: the render was dropped meanwhile.
        moved == (Status.WITHDRAWN, Status.APPROVED) and not transition.filing.report_sha256
    ):
        # The render takes a while: a worker does it, never the web request.
        freeze_report.enqueue(filing_id=transition.filing_id)
    if Status.WITHDRAWN in moved:
        # The notices tell officers and reviewers about the review; a
        # withdrawal or restore is the administrators' act, announced on the
        # filing's page, and the review texts would misdescribe it.
        return
    transition_notify(transition=transition)

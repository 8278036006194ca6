"""Status changes, history and changes since the last return of a filing.

The transition view parses the button's form and calls the workflow service,
the one door for status changes; every refusal (an illegal move, a move the
user may not make, a missing reason, blocking errors, a status changed by
someone else meanwhile) comes back from the service as a TransitionError and
is shown with HTTP 409. Reads go through the permission-aware selectors, so a
filing the user may not see is a 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from evaluations import selectors
from evaluations.forms import TransitionForm
from evaluations.services.workflow import (
    TRANSITIONS,
    TransitionError,
    filing_transition,
    move_for_action,
)
from evaluations.views import generic
from evaluations.views.filing import CONFLICT, page_context

ACTIONS = {move.action for move in TRANSITIONS.values()}
HISTORY_PAGE_SIZE = 100


def _move_label(action: str) -> str:
    """The first label of `action` in TRANSITIONS (报送 before 重新报送), for an
    action that is not a move from the filing's status."""
    return next((move.label for move in TRANSITIONS.values() if move.action == action), action)


def _row_path(path: str) -> str:
    """A field of a table row links to its row, the element the page marks:
    "indicators[7].score" → "indicators[7]"."""
    end = path.rfind("]")
    return path[: end + 1] if end != -1 else path


def _next_url(request, filing) -> str:
    target = request.POST.get("next", "")
    # Only a path of this site: redirect() takes a bare word ("12") for a
    # view name, and a control character has no place in a Location.
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return filing.get_absolute_url()


@require_POST
def filing_transition_view(request, pk, action):
    """POST: move the filing by `action` (submit, return, approve, reopen,
    publish, unpublish, withdraw, restore) with the comment of the form; the
    target status follows from the filing's current status (and, for a
    restore, its history) through the workflow service."""
    if action not in ACTIONS:
        raise Http404("没有这个操作。")
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    form = TransitionForm(request.POST)
    form.is_valid()  # only parses: the rules (who, when, reason length) are the service's
    comment = form.cleaned_data.get("comment", "")
    to, move = move_for_action(filing=filing, action=action)
    try:
        if form.errors:  # e.g. a reason longer than any text field holds
            raise TransitionError(" ".join(next(iter(form.errors.values()))))
        seen_status = form.cleaned_data.get("status") or filing.status
        if seen_status != filing.status:
            # The button was on a page showing another status: someone moved
            # the filing since (the service checks the same under its lock).
            raise TransitionError(
                f"该填报的状态已被他人变更为“{filing.get_status_display()}”，请刷新后重试。"
            )
        if to is None:
            raise TransitionError(
                f"当前状态为“{filing.get_status_display()}”，不能执行“{_move_label(action)}”操作。"
            )
        filing = filing_transition(filing=filing, to=to, actor=request.user, comment=comment)
    except TransitionError as error:
        filing = selectors.filing_get_for_user(user=request.user, pk=pk)
        context = page_context(
            request,
            filing,
            None,
            refused_action=action,
            # The move as the user saw it: 报送 of a draft, 重新报送 of a returned filing.
            refused_label=move.label if move else _move_label(action),
            refusal=error.message,
            blocking=selectors.finding_links(filing=filing, findings=error.findings),
            reason_required=bool(move and move.reason_required),
            transition_form=form,
            next_url=_next_url(request, filing),
        )
        return render(request, "evaluations/transition_refused.html", context, status=CONFLICT)
    messages.success(request, f"已{move.label}：{filing}。")
    return redirect(_next_url(request, filing))


@require_GET
def filing_history(request, pk):
    """历史记录: status changes and field changes of the filing, newest first."""
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    entries = selectors.filing_history(filing=filing)
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = page_context(request, filing, None, history=page)
    return render(request, "evaluations/history.html", context)


@require_GET
def filing_changes(request, pk):
    """自上次退回以来的修改: each field that differs between the filing as it
    was returned and the filing now."""
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    if generic.filing_is_generic(filing):
        return generic.filing_changes_page(request, filing)
    last_return, changes = selectors.filing_changes_since_return(filing=filing)
    project_pks = list(filing.projects.order_by("position", "pk").values_list("pk", flat=True))
    rows = [
        (
            change,
            selectors.where_location(
                _row_path(change.path), filing_pk=filing.pk, project_pks=project_pks
            )[2],
        )
        for change in changes
    ]
    context = page_context(request, filing, None, since_return=last_return, changes=rows)
    return render(request, "evaluations/changes.html", context)

"""The report frozen at approval: rendered once, stored with its SHA-256, and
served byte for byte to reviewers, officers and the public."""

import hashlib
import logging
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from evaluations.models import Filing, FilingTransition

logger = logging.getLogger(__name__)

Status = Filing.Status
FROZEN_STATUSES = {Status.APPROVED, Status.PUBLISHED}

# The longest a background render may take. The 200-indicator report takes
# about 1.5 s on a 2-core machine (docs/benchmarks.md) and the real ones a
# tenth of that, so two minutes leaves room for a loaded machine and still
# frees the worker from a render that will never end.
RENDER_TIME_LIMIT = 120
# A render task running longer than this has lost its worker (killed, machine
# restarted) or hangs where the time limit cannot reach it (inside C code).
RENDER_STUCK_AFTER = timedelta(seconds=RENDER_TIME_LIMIT + 60)
# Renders of one approval that failed or were abandoned before recovery stops
# queueing more (a report that always fails needs a person, not a loop).
MAX_RENDER_ATTEMPTS = 3
FREEZE_TASK_PATH = "evaluations.tasks.freeze_report"


class ReportRenderTimeout(Exception):
    """The render took longer than its time limit."""


class ReportRenderAbandoned(Exception):
    """Recorded on a render task whose worker never finished it."""


@contextmanager
def _wall_clock_limit(seconds: float | None):
    """Raise ReportRenderTimeout in the block after `seconds` of wall-clock
    time. A signal is the only way to interrupt a render without a second
    process, and Python delivers signals to the main thread only: that is
    where `db_worker --no-reload` runs tasks. Elsewhere (a reloading worker,
    the immediate backend in a request thread) the block runs unlimited, and
    recovery still catches a render that never ends (RENDER_STUCK_AFTER)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise ReportRenderTimeout(f"报告生成超过 {seconds:g} 秒，已中止。")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def report_filename(*, filing: Filing) -> str:
    return f"{filing.fiscal_year.year}年度{filing.department.name}部门整体支出绩效自评报告.pdf"


def _latest_approval_pk(filing_id: int) -> int | None:
    return (
        FilingTransition.objects.filter(
            filing_id=filing_id, from_status=Status.SUBMITTED, to_status=Status.APPROVED
        )
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


def report_pending_since(*, filing: Filing) -> datetime | None:
    """When the frozen report of `filing` started to be awaited: the time of
    its latest approval, while it is approved or published without a frozen
    report; None otherwise (nothing is awaited)."""
    if filing.status not in FROZEN_STATUSES or filing.report_sha256:
        return None
    return (
        FilingTransition.objects.filter(
            filing_id=filing.pk, from_status=Status.SUBMITTED, to_status=Status.APPROVED
        )
        .order_by("-pk")
        .values_list("created_at", flat=True)
        .first()
    )


@dataclass(frozen=True)
class ReportWait:
    """What a reader of a report that is not there yet is told."""

    status_label: str
    since: datetime | None  # the approval the report is awaited for
    waited: timedelta | None
    overdue: bool  # longer than any render takes: recovery will queue it again

    @property
    def waited_text(self) -> str:
        if self.waited is None:
            return ""
        seconds = max(int(self.waited.total_seconds()), 0)
        if seconds < 60:
            return f"{seconds} 秒"
        minutes = seconds // 60
        if minutes < 60:
            return f"{minutes} 分钟"
        hours, minutes = divmod(minutes, 60)
        if hours < 24:
            return f"{hours} 小时 {minutes} 分钟" if minutes else f"{hours} 小时"
        return f"{hours // 24} 天"


def report_wait(*, filing: Filing) -> ReportWait:
    """How long the frozen report of `filing` has been awaited (since its
    latest approval) and whether that is longer than a render ever takes.
    `since` is None when nothing is awaited: the filing is not approved (or
    its report exists)."""
    since = report_pending_since(filing=filing)
    waited = timezone.now() - since if since else None
    return ReportWait(
        status_label=filing.get_status_display(),
        since=since,
        waited=waited,
        overdue=waited is not None and waited > RENDER_STUCK_AFTER,
    )


def filing_render_pdf(*, filing: Filing) -> bytes:
    """A fresh render of the report of `filing`: the Hunan report
    (services.pdf), or for a filing on a generic-layout form template its form
    as printed (services.generic_pdf)."""
    if filing.layout == "generic":
        from evaluations.core.generic import generic_score
        from evaluations.services.form_templates import filing_form_template
        from evaluations.services.generic_pdf import generic_report_pdf
        from evaluations.services.generic_persistence import generic_document_read

        template = filing_form_template(filing).template()
        document = generic_document_read(filing)
        return generic_report_pdf(
            template=template,
            document=document,
            score=generic_score(document, template),
            department_name=filing.department.name,
            fiscal_year=filing.fiscal_year.year,
            # As services.pdf.filing_report_pdf: 草稿 unless approved or published.
            draft=filing.status not in FROZEN_STATUSES,
        )
    from evaluations.services.pdf import filing_report_pdf

    return filing_report_pdf(filing=filing)


def report_freeze(*, filing_id: int, time_limit: float | None = None) -> Filing | None:
    """Render the report of an approved or published filing that has no frozen
    PDF yet, and store it with its SHA-256 and size.

    Rendering happens outside any transaction (it takes a while); the result is
    stored only if, under a row lock, the filing is still approved/published,
    still unfrozen and still under the approval that was rendered — otherwise
    the render is dropped (a reopen, a new approval or another freeze won the
    race; publishing does not change what is frozen). Returns the filing,
    or None when there was nothing to freeze. With `time_limit` (seconds) a
    render that takes longer raises ReportRenderTimeout and stores nothing
    (see _wall_clock_limit for where the limit applies). Called by the
    background task queued on approval and by `render_reports`.
    """
    filing = Filing.objects.select_related("department", "fiscal_year").get(pk=filing_id)
    if filing.status not in FROZEN_STATUSES or filing.report_sha256:
        return None
    approval = _latest_approval_pk(filing_id)
    with _wall_clock_limit(time_limit):
        data = filing_render_pdf(filing=filing)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        locked = Filing.objects.select_for_update().get(pk=filing_id)
        if (
            locked.status not in FROZEN_STATUSES
            or locked.report_sha256
            or _latest_approval_pk(filing_id) != approval
        ):
            logger.info("报告冻结已放弃：填报 %s 在生成期间已变化。", filing_id)
            return None
        locked.report_pdf.save(
            f"filing-{filing_id}-{digest[:12]}.pdf", ContentFile(data), save=False
        )
        locked.report_sha256 = digest
        locked.report_size = len(data)
        locked.report_rendered_at = timezone.now()
        locked.save(
            update_fields=["report_pdf", "report_sha256", "report_size", "report_rendered_at"]
        )
    return locked


def report_discard(*, filing: Filing) -> None:
    """Forget the frozen report of `filing` (a reopened filing must be rendered
    again when it is approved again). Clears the fields in the caller's
    transaction; the file is deleted after the commit."""
    if not filing.report_pdf and not filing.report_sha256:
        return
    name = filing.report_pdf.name
    storage = filing.report_pdf.storage
    filing.report_pdf = ""
    filing.report_sha256 = ""
    filing.report_size = None
    filing.report_rendered_at = None
    filing.save(update_fields=["report_pdf", "report_sha256", "report_size", "report_rendered_at"])
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def report_pdf_bytes(*, filing: Filing) -> bytes | None:
    """The bytes to serve for `filing`'s report: the frozen file of an approved
    or published filing (None while its background render is pending), or a
    fresh render (with the 草稿 watermark unless approved) for any other
    status. A withdrawn filing that had been approved keeps its frozen file,
    and that is what it serves. The caller checks that the user may see the
    filing."""
    if filing.status == Status.WITHDRAWN and filing.report_sha256:
        with filing.report_pdf.open("rb") as handle:
            return handle.read()
    if filing.status in FROZEN_STATUSES:
        if not filing.report_sha256:
            return None
        with filing.report_pdf.open("rb") as handle:
            return handle.read()
    return filing_render_pdf(filing=filing)


@dataclass
class RecoveryResult:
    queued: list[int] = field(default_factory=list)  # filings whose render was queued again
    abandoned_tasks: int = 0  # running tasks found stuck and marked failed
    given_up: list[int] = field(default_factory=list)  # filings out of attempts


def reports_recover(*, stuck_after: timedelta = RENDER_STUCK_AFTER) -> RecoveryResult:
    """Queue again the render of every approved or published filing that has
    no frozen report and no live render task: none queued, none running for
    less than `stuck_after`. A task still marked running after that long lost
    its worker (`kill -9`, a crash, a power cut: the task row stays RUNNING
    forever) and is marked failed first; `stuck_after=0` declares every
    running render dead, which is right only when no worker is running (at
    the start of the only worker). Only the tasks queued since the filing's
    latest approval count, and after MAX_RENDER_ATTEMPTS of them the filing
    is left for a person (logged as an error; `render_reports` renders it).

    Run by the `recover_reports` command before each worker starts and
    periodically (scripts/run, deploy/systemd). Safe to run twice at once:
    report_freeze stores one render of an approval and drops the others.
    """
    from django_tasks_db.models import DBTaskResult

    from evaluations.tasks import freeze_report

    result = RecoveryResult()
    now = timezone.now()
    pending = Filing.objects.filter(status__in=FROZEN_STATUSES, report_sha256="").order_by("pk")
    for filing in pending:
        tasks = DBTaskResult.objects.filter(
            task_path=FREEZE_TASK_PATH, args_kwargs__kwargs__filing_id=filing.pk
        )
        since = report_pending_since(filing=filing)
        if since is not None:
            tasks = tasks.filter(enqueued_at__gte=since)
        live = tasks.running().filter(started_at__gt=now - stuck_after)
        if tasks.ready().exists() or live.exists():
            continue
        for stuck in tasks.running():
            stuck.set_failed(
                ReportRenderAbandoned(
                    f"生成任务自 {timezone.localtime(stuck.started_at):%Y-%m-%d %H:%M:%S} "
                    "起未完成，其工作进程已退出或卡住。"
                )
            )
            result.abandoned_tasks += 1
        if tasks.count() >= MAX_RENDER_ATTEMPTS:
            logger.error(
                "填报 %s 的审核版报告已生成失败 %s 次，不再自动重试，请检查后运行 render_reports。",
                filing.pk,
                MAX_RENDER_ATTEMPTS,
            )
            result.given_up.append(filing.pk)
            continue
        freeze_report.enqueue(filing_id=filing.pk)
        result.queued.append(filing.pk)
    return result

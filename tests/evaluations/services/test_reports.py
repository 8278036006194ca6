import hashlib
import io
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader
from weasyprint import HTML

from evaluations.core.scoring import document_score
from evaluations.models import Filing, FilingTransition
from evaluations.services.interchange import filing_document
from evaluations.services.pdf import BASE_URL, SafeURLFetcher, report_html
from evaluations.services.reports import (
    FREEZE_TASK_PATH,
    MAX_RENDER_ATTEMPTS,
    RENDER_TIME_LIMIT,
    RecoveryResult,
    ReportRenderTimeout,
    report_freeze,
    report_pdf_bytes,
    report_wait,
    reports_recover,
)
from evaluations.services.workflow import filing_transition
from tests.factories import UserFactory, officer_of, reviewer_of
from tests.helpers import import_example, make_submittable, run_the_worker_until_the_queue_is_empty

Status = Filing.Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    filing = make_submittable(import_example("junshan-2023"))
    return (
        filing,
        officer_of(filing.department),
        reviewer_of(filing.department.jurisdiction),
    )


def approve(filing, officer, reviewer, capture):
    with capture(execute=True):
        filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
        filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    return Filing.objects.get(pk=filing.pk)


def test_approval_freezes_the_report_after_commit_with_its_hash(
    people, django_capture_on_commit_callbacks
):
    filing = approve(*people, django_capture_on_commit_callbacks)
    data = report_pdf_bytes(filing=filing)
    assert data.startswith(b"%PDF")
    assert filing.report_sha256 == hashlib.sha256(data).hexdigest()
    assert filing.report_size == len(data)
    assert filing.report_rendered_at is not None


def test_downloads_of_an_approved_filing_return_exactly_the_frozen_bytes(
    people, django_capture_on_commit_callbacks
):
    filing = approve(*people, django_capture_on_commit_callbacks)
    first = report_pdf_bytes(filing=filing)
    # A change of the template or the code after approval must not change the
    # published file: the bytes come from storage, not from a new render.
    Filing.objects.filter(pk=filing.pk).update(preparer="改动")
    assert report_pdf_bytes(filing=Filing.objects.get(pk=filing.pk)) == first
    assert report_freeze(filing_id=filing.pk) is None


def test_publishing_keeps_the_frozen_report(people, django_capture_on_commit_callbacks):
    filing, officer, reviewer = people
    filing = approve(filing, officer, reviewer, django_capture_on_commit_callbacks)
    digest = filing.report_sha256
    filing = filing_transition(filing=filing, to=Status.PUBLISHED, actor=reviewer)
    filing.refresh_from_db()
    assert filing.report_sha256 == digest


def test_reopening_discards_the_frozen_report(people, django_capture_on_commit_callbacks):
    filing, officer, reviewer = people
    filing = approve(filing, officer, reviewer, django_capture_on_commit_callbacks)
    name = filing.report_pdf.name
    storage = filing.report_pdf.storage
    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_transition(
            filing=filing, to=Status.RETURNED, actor=reviewer, comment="执行数需要更正"
        )
    filing.refresh_from_db()
    assert (filing.report_sha256, filing.report_size, filing.report_pdf.name) == ("", None, "")
    assert not storage.exists(name)


def test_a_draft_report_is_rendered_fresh_with_a_watermark(people):
    filing, _, _ = people
    data = report_pdf_bytes(filing=filing)
    assert data.startswith(b"%PDF")
    assert not Filing.objects.get(pk=filing.pk).report_sha256


def test_render_reports_freezes_approved_filings_without_a_report(people, capsys):
    filing, officer, reviewer = people
    # Approved without running the queued task, as when no worker was up.
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    assert not Filing.objects.get(pk=filing.pk).report_sha256

    call_command("render_reports", "--year", "2023")

    assert Filing.objects.get(pk=filing.pk).report_sha256
    output = capsys.readouterr().out
    assert "待生成 1 份，已生成 1 份" in output
    call_command("render_reports", "--year", "2023", "--jurisdiction", "岳阳市君山区")
    assert "待生成 0 份" in capsys.readouterr().out


# --- time limit and recovery of renders that never finish ----------------------------


def approve_leaving_the_render_queued(filing, officer, reviewer, capture):
    """Approve with tasks going to the database queue, as with scripts/run;
    returns the filing and the queued task row."""
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    with capture(execute=True):
        filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    return filing, DBTaskResult.objects.get()


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_render_over_its_time_limit_is_stopped_and_stores_nothing(people):
    filing, officer, reviewer = people
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    # The report takes about half a second to render: a twentieth is too short.
    with pytest.raises(ReportRenderTimeout, match=r"报告生成超过 0\.05 秒，已中止。"):
        report_freeze(filing_id=filing.pk, time_limit=0.05)
    assert not Filing.objects.get(pk=filing.pk).report_sha256
    assert report_freeze(filing_id=filing.pk, time_limit=RENDER_TIME_LIMIT) is not None


@pytest.mark.django_db(transaction=True)
def test_recovery_requeues_a_render_whose_worker_died(
    people, database_queue, django_capture_on_commit_callbacks
):
    filing, task = approve_leaving_the_render_queued(*people, django_capture_on_commit_callbacks)
    assert task.status == "READY" and task.task_path == FREEZE_TASK_PATH
    task.claim("killed-worker")  # the worker took it, then died with kill -9

    # Running for less than the limit: maybe alive, left alone.
    assert reports_recover() == RecoveryResult()
    assert DBTaskResult.objects.get().status == "RUNNING"

    result = reports_recover(stuck_after=timedelta(0))
    assert result == RecoveryResult(queued=[filing.pk], abandoned_tasks=1)
    task.refresh_from_db()
    assert task.status == "FAILED"
    assert task.exception_class_path.endswith("ReportRenderAbandoned")
    assert "其工作进程已退出或卡住" in task.traceback
    assert DBTaskResult.objects.ready().count() == 1
    # Queued again: a second run leaves it to the worker.
    assert reports_recover(stuck_after=timedelta(0)) == RecoveryResult()

    run_the_worker_until_the_queue_is_empty()
    filing.refresh_from_db()
    with filing.report_pdf.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == filing.report_sha256
    assert reports_recover(stuck_after=timedelta(0)) == RecoveryResult()


@pytest.mark.django_db(transaction=True)
def test_recovery_queues_an_approval_whose_render_was_never_queued(people, database_queue):
    filing, officer, reviewer = people
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    # Transactional test: the commit enqueues; lose the task as if the queue
    # had been emptied (a restored backup, a pruned table).
    filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    DBTaskResult.objects.all().delete()
    assert reports_recover().queued == [filing.pk]
    run_the_worker_until_the_queue_is_empty()
    assert Filing.objects.get(pk=filing.pk).report_sha256


@pytest.mark.django_db(transaction=True)
def test_recovery_gives_up_after_three_failed_renders_of_one_approval(
    people, database_queue, capsys
):
    filing, officer, reviewer = people
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    for attempt in range(MAX_RENDER_ATTEMPTS):
        task = DBTaskResult.objects.ready().get()
        task.claim("worker")
        task.set_failed(ReportRenderTimeout("报告生成超过 120 秒，已中止。"))
        if attempt < MAX_RENDER_ATTEMPTS - 1:
            assert reports_recover().queued == [filing.pk]
    call_command("recover_reports")
    out, err = capsys.readouterr()
    assert "重新排队 0 份" in out and "多次失败不再重试 1 份" in out
    assert f"编号 {filing.pk}" in err and "render_reports" in err
    assert not DBTaskResult.objects.ready().exists()


def test_the_wait_is_counted_from_the_latest_approval(people):
    filing, officer, reviewer = people
    assert report_wait(filing=filing).since is None  # a draft awaits nothing
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    approval = filing.transitions.get(to_status=Status.APPROVED)
    FilingTransition.objects.filter(pk=approval.pk).update(
        created_at=timezone.now() - timedelta(hours=2, minutes=3)
    )
    wait = report_wait(filing=filing)
    assert (wait.status_label, wait.waited_text, wait.overdue) == ("已审核", "2 小时 3 分钟", True)
    report_freeze(filing_id=filing.pk)
    assert report_wait(filing=Filing.objects.get(pk=filing.pk)).since is None


# --- reports frozen before the PDF/UA renderer ----------------------------------------


def untagged_report(filing) -> bytes:
    """The report of `filing` as the renderer made it before PDF/UA: its
    HTML through WeasyPrint without a pdf_variant, so no structure tree."""
    document = filing_document(filing=filing)
    html = report_html(
        document=document,
        score=document_score(document=document, template=filing.scoring_template),
        draft=False,
        generated_on=date(2024, 8, 1),
    )
    return HTML(string=html, base_url=BASE_URL, url_fetcher=SafeURLFetcher()).write_pdf()


def is_pdf_ua(data: bytes) -> bool:
    reader = PdfReader(io.BytesIO(data))
    catalog = reader.trailer["/Root"]
    return (
        "/StructTreeRoot" in catalog
        and "/Metadata" in catalog
        and b'pdfuaid:part="1"' in catalog["/Metadata"].get_data()
    )


def frozen_before_pdf_ua(filing, officer, reviewer):
    """Approve `filing` and store the old renderer's report as its frozen
    file, as an approval before PDF/UA left it. Returns the filing and the bytes."""
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    # The render task is queued on commit, which never comes in this test.
    filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    data = untagged_report(filing)
    digest = hashlib.sha256(data).hexdigest()
    filing.report_pdf.save(f"filing-{filing.pk}-{digest[:12]}.pdf", ContentFile(data), save=False)
    filing.report_sha256 = digest
    filing.report_size = len(data)
    filing.report_rendered_at = timezone.now() - timedelta(days=120)
    filing.save(update_fields=["report_pdf", "report_sha256", "report_size", "report_rendered_at"])
    return filing, data


def test_a_report_frozen_before_pdf_ua_is_served_unchanged_by_every_path_that_keeps_it(
    people, client, django_capture_on_commit_callbacks, capsys
):
    filing, officer, reviewer = people
    filing, old = frozen_before_pdf_ua(filing, officer, reviewer)
    assert not is_pdf_ua(old)
    administrator = UserFactory(is_superuser=True)

    def assert_still_the_old_file():
        current = Filing.objects.get(pk=filing.pk)
        assert (current.report_sha256, current.report_size) == (
            hashlib.sha256(old).hexdigest(),
            len(old),
        )
        assert report_pdf_bytes(filing=current) == old

    def downloads():
        client.force_login(officer)
        by_officer = client.get(reverse("evaluations:filing_report", args=[filing.pk])).content
        client.logout()
        by_public = client.get(reverse("public:report_pdf", args=[filing.pk])).content
        return by_officer, by_public

    assert report_freeze(filing_id=filing.pk) is None
    call_command("render_reports", "--year", "2023")
    assert "待生成 0 份" in capsys.readouterr().out
    call_command("recover_reports")
    assert "重新排队 0 份" in capsys.readouterr().out
    assert_still_the_old_file()

    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_transition(filing=filing, to=Status.PUBLISHED, actor=reviewer)
    assert_still_the_old_file()
    assert downloads() == (old, old)

    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
        filing = filing_transition(
            filing=filing, to=Status.WITHDRAWN, actor=administrator, comment="重复填报需撤销"
        )
        filing = filing_transition(
            filing=filing, to=Status.APPROVED, actor=administrator, comment="误撤销，予以恢复"
        )
        filing = filing_transition(filing=filing, to=Status.PUBLISHED, actor=reviewer)
    assert_still_the_old_file()
    assert downloads() == (old, old)
    assert report_freeze(filing_id=filing.pk) is None


def test_a_new_approval_freezes_a_pdf_ua_report(people, django_capture_on_commit_callbacks):
    filing = approve(*people, django_capture_on_commit_callbacks)

    assert is_pdf_ua(report_pdf_bytes(filing=filing))


def test_reopening_an_old_report_and_approving_again_freezes_a_pdf_ua_report(
    people, django_capture_on_commit_callbacks
):
    filing, officer, reviewer = people
    filing, old = frozen_before_pdf_ua(filing, officer, reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_transition(
            filing=filing, to=Status.RETURNED, actor=reviewer, comment="执行数需要更正"
        )
    filing = approve(
        Filing.objects.get(pk=filing.pk), officer, reviewer, django_capture_on_commit_callbacks
    )

    data = report_pdf_bytes(filing=filing)
    assert data != old and is_pdf_ua(data)
    assert filing.report_sha256 == hashlib.sha256(data).hexdigest()

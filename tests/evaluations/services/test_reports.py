import hashlib

import pytest
from django.core.management import call_command

from evaluations.models import Filing
from evaluations.services.reports import report_freeze, report_pdf_bytes
from evaluations.services.workflow import filing_transition
from tests.factories import officer_of, reviewer_of
from tests.helpers import import_example, make_submittable

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

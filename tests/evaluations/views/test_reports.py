import re

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.models import Filing
from evaluations.services.workflow import filing_transition
from tests.factories import JurisdictionFactory, officer_of, reviewer_of
from tests.helpers import import_example, make_submittable

Status = Filing.Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def filing():
    return make_submittable(import_example("junshan-2023"))


def report_url(filing):
    return reverse("evaluations:filing_report", args=[filing.pk])


def test_officer_downloads_the_draft_report_of_their_filing(client, filing):
    client.force_login(officer_of(filing.department))
    response = client.get(report_url(filing))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_reviewer_downloads_the_frozen_report(client, filing, django_capture_on_commit_callbacks):
    officer = officer_of(filing.department)
    reviewer = reviewer_of(filing.department.jurisdiction)
    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
        filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    filing.refresh_from_db()
    client.force_login(reviewer)
    response = client.get(report_url(filing))
    assert response.status_code == 200
    assert response["ETag"] == f'"{filing.report_sha256}"'
    with filing.report_pdf.open("rb") as handle:
        assert response.content == handle.read()


def test_an_approved_filing_whose_render_is_pending_says_so(client, filing):
    officer = officer_of(filing.department)
    reviewer = reviewer_of(filing.department.jurisdiction)
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    client.force_login(officer)
    response = client.get(report_url(filing))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "报告正在生成" in page
    assert "当前状态：<strong>已审核</strong>" in page
    approved_at = filing.transitions.get(to_status=Status.APPROVED).created_at
    assert f"{timezone.localtime(approved_at):%Y-%m-%d %H:%M:%S} 审核通过" in page
    assert re.search(r'已等待 <strong id="report-waited">\d+ 秒</strong>', page)
    assert "生成时间已超过预期" not in page
    # The page reloads itself (a script of our own: no inline script).
    assert 'data-report-pending="5"' in page and "js/report-wait.js" in page
    assert "<script>" not in page


def test_others_get_404(client, filing):
    client.force_login(reviewer_of(JurisdictionFactory(name="别的区")))
    assert client.get(report_url(filing)).status_code == 404


def test_officer_prints_blank_forms_for_their_department(client, filing):
    client.force_login(officer_of(filing.department))
    url = reverse("evaluations:blank_forms_pdf", args=[filing.department_id, 2024])
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_blank_forms_of_another_department_are_404(client, filing):
    client.force_login(reviewer_of(JurisdictionFactory(name="别的区")))
    url = reverse("evaluations:blank_forms_pdf", args=[filing.department_id, 2024])
    assert client.get(url).status_code == 404

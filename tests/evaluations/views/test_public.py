from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.models import Filing, FilingTransition
from evaluations.services.workflow import filing_transition
from tests.factories import UserFactory, officer_of, reviewer_of
from tests.helpers import import_example, make_submittable

Status = Filing.Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(django_capture_on_commit_callbacks):
    filing = make_submittable(import_example("junshan-2023"))
    officer = officer_of(filing.department)
    reviewer = reviewer_of(filing.department.jurisdiction)
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    with django_capture_on_commit_callbacks(execute=True):  # the render task
        filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    filing = filing_transition(filing=filing, to=Status.PUBLISHED, actor=reviewer)
    return Filing.objects.get(pk=filing.pk)


def test_anyone_lists_published_reports_without_logging_in(client, published):
    response = client.get(reverse("public:reports"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "中共岳阳市君山区委办公室" in page
    assert "99.00" in page and "优" in page
    assert reverse("public:report_pdf", args=[published.pk]) in page


def test_the_public_download_is_the_frozen_file(client, published):
    response = client.get(reverse("public:report_pdf", args=[published.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    with published.report_pdf.open("rb") as handle:
        assert response.content == handle.read()


def test_search_filters_by_department_and_year(client, published):
    page = client.get(reverse("public:reports"), {"q": "教育局"}).content.decode()
    assert "中共岳阳市君山区委办公室" not in page
    page = client.get(reverse("public:reports"), {"q": "区委办", "year": "2023"}).content.decode()
    assert "中共岳阳市君山区委办公室" in page
    page = client.get(reverse("public:reports"), {"year": "2024"}).content.decode()
    assert "中共岳阳市君山区委办公室" not in page


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.RETURNED, Status.WITHDRAWN]
)
def test_unpublished_filings_are_not_shown_and_their_pdf_is_404(client, published, status):
    Filing.objects.filter(pk=published.pk).update(status=status)
    assert "中共岳阳市君山区委办公室" not in client.get(reverse("public:reports")).content.decode()
    assert client.get(reverse("public:report_pdf", args=[published.pk])).status_code == 404


def test_a_filing_that_does_not_exist_is_404(client):
    assert client.get(reverse("public:report_pdf", args=[999999])).status_code == 404


def test_the_public_page_shows_nothing_else_of_a_filing(client, published):
    page = client.get(reverse("public:reports")).content.decode()
    # The narrative and indicator texts are only in the PDF.
    assert "服务经济社会发展" not in page
    assert reverse("evaluations:filing_part", args=[published.pk, "overview"]) not in page


def test_a_published_report_still_rendering_says_since_when_instead_of_404(client, published):
    # Published before 公开 waited for the report (or its file was lost and is
    # being rendered again): the reader is told what is happening.
    approval = published.transitions.get(to_status=Status.APPROVED)
    FilingTransition.objects.filter(pk=approval.pk).update(
        created_at=timezone.now() - timedelta(minutes=7, seconds=5)
    )
    Filing.objects.filter(pk=published.pk).update(report_sha256="", report_pdf="")
    response = client.get(reverse("public:report_pdf", args=[published.pk]))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "当前状态：<strong>已公开</strong>" in page
    assert '已等待 <strong id="report-waited">7 分钟</strong>' in page
    assert "生成时间已超过预期" in page
    assert 'data-report-pending="5"' in page and "js/report-wait.js" in page


def test_a_withdrawn_report_leaves_the_public_pages_and_its_file_stays(client, published):
    admin = UserFactory(is_superuser=True)
    frozen = published.report_pdf.name
    filing_transition(
        filing=published, to=Status.WITHDRAWN, actor=admin, comment="该部门已撤并，报告作废。"
    )

    page = client.get(reverse("public:reports")).content.decode()
    assert "中共岳阳市君山区委办公室" not in page
    assert reverse("public:report_pdf", args=[published.pk]) not in page
    assert client.get(reverse("public:report_pdf", args=[published.pk])).status_code == 404
    withdrawn = Filing.objects.get(pk=published.pk)
    assert withdrawn.report_pdf.name == frozen and withdrawn.report_pdf.storage.exists(frozen)

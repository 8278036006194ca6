"""The reviewer dashboard and bulk approval, through the test client."""

import datetime
import re
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from departments.models import Department, Membership
from evaluations.models import Filing, FilingTransition
from evaluations.selectors import DASHBOARD_STATUSES
from evaluations.services.summary import filing_summary_refresh
from evaluations.services.workflow import filing_transition
from tests.evaluations.pages import accessibility_problems
from tests.factories import (
    DepartmentFactory,
    FiscalYearFactory,
    JurisdictionFactory,
    UserFactory,
    blank_filing,
    officer_of,
    reviewer_of,
)
from tests.helpers import import_example, make_submittable

pytestmark = pytest.mark.django_db

Status = Filing.Status
DASHBOARD = reverse("evaluations:dashboard")
BULK = reverse("evaluations:bulk_approve")
PAST = timezone.localdate() - datetime.timedelta(days=1)
FUTURE = timezone.localdate() + datetime.timedelta(days=30)


def filing_in(department, status, *, score=None, grade="", errors=0, missing=0, fiscal_year=None):
    """A filing as the dashboard reads it: its status and stored summary."""
    return Filing.objects.create(
        department=department,
        fiscal_year=fiscal_year or FiscalYearFactory(year=2023),
        status=status,
        total_score=None if score is None else Decimal(score),
        grade=grade,
        error_count=errors,
        missing_count=missing,
    )


def shown(response):
    return [row.department_name for row in response.context["rows"]]


def dashboard(client, **params):
    response = client.get(DASHBOARD, params)
    assert response.status_code == 200
    return response


@pytest.fixture
def district():
    return JurisdictionFactory(name="邵阳市北塔区")


@pytest.fixture
def reviewer(district, client):
    user = reviewer_of(district)
    client.force_login(user)
    return user


@pytest.fixture
def year():
    return FiscalYearFactory(year=2023, deadline=PAST)


@pytest.fixture
def departments(district, year):
    """One department per status of the year, plus one that has not started.
    Each with its stored (errors, missing parts)."""
    made = {}
    for name, status, score, grade, errors, missing in [
        ("财政局", Status.DRAFT, "55.00", "差", 3, 2),
        ("教育局", Status.SUBMITTED, "92.50", "优", 0, 0),
        ("卫健局", Status.SUBMITTED, "70.00", "中", 2, 1),
        ("民政局", Status.RETURNED, "81.00", "良", 1, 1),
        ("水利局", Status.APPROVED, "97.00", "优", 0, 0),
        ("文旅局", Status.PUBLISHED, "88.00", "良", 0, 0),
    ]:
        department = DepartmentFactory(name=name, jurisdiction=district)
        made[name] = filing_in(
            department,
            status,
            score=score,
            grade=grade,
            errors=errors,
            missing=missing,
            fiscal_year=year,
        )
    made["交通局"] = DepartmentFactory(name="交通局", jurisdiction=district)
    return made


# --- who sees what ------------------------------------------------------------


def test_dashboard_lists_every_department_including_those_not_started(
    client, reviewer, departments
):
    response = dashboard(client)
    assert sorted(shown(response)) == sorted(departments)
    not_started = next(row for row in response.context["rows"] if row.department_name == "交通局")
    assert not_started.status_label == "未开始"
    assert not_started.filing_url == ""
    assert "未开始" in response.content.decode()


def test_reviewer_does_not_see_departments_of_another_jurisdiction(client, reviewer, departments):
    elsewhere = DepartmentFactory(name="岳阳君山区委办", jurisdiction=JurisdictionFactory())
    filing_in(elsewhere, Status.SUBMITTED, score="99.00", grade="优")
    response = dashboard(client)
    assert "岳阳君山区委办" not in shown(response)
    assert "岳阳君山区委办" not in response.content.decode()


def test_administrator_sees_every_jurisdiction(client, departments):
    DepartmentFactory(name="岳阳君山区委办", jurisdiction=JurisdictionFactory())
    admin = UserFactory()
    Membership.objects.create(user=admin, role=Membership.Role.ADMIN)
    client.force_login(admin)
    assert "岳阳君山区委办" in shown(dashboard(client))


def test_officer_gets_404_for_the_dashboard_and_bulk_approval(client, departments):
    client.force_login(officer_of(Department.objects.get(name="教育局")))
    assert client.get(DASHBOARD).status_code == 404
    submitted = departments["教育局"]
    assert client.post(BULK, {"filing": [submitted.pk]}).status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_anonymous_visitor_is_sent_to_the_login(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- the rows -----------------------------------------------------------------


def test_each_started_row_links_to_its_filing_overview(client, reviewer, departments):
    response = dashboard(client)
    html = response.content.decode()
    for name in ("教育局", "水利局"):
        url = reverse("evaluations:filing_part", args=[departments[name].pk, "overview"])
        assert f'href="{url}"' in html


def test_dashboard_fields_are_labelled_and_tables_have_headers(client, reviewer, departments):
    assert accessibility_problems(dashboard(client).content.decode()) == []


def test_department_names_are_escaped(client, reviewer, district, year):
    DepartmentFactory(name="<script>alert(1)</script>局", jurisdiction=district)
    html = dashboard(client).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;局" in html


def test_rows_show_the_stored_score_and_grade(client, reviewer, departments):
    row = next(r for r in dashboard(client).context["rows"] if r.department_name == "教育局")
    assert (row.total_score, row.grade, row.status_label) == (Decimal("92.50"), "优", "已报送")


def test_submission_and_approval_dates_come_from_the_transitions(client, reviewer, departments):
    approved = departments["水利局"]
    submitted_at = timezone.make_aware(datetime.datetime(2024, 3, 5, 10, 0))
    approved_at = timezone.make_aware(datetime.datetime(2024, 3, 20, 16, 0))
    for from_status, to_status, moment in [
        (Status.DRAFT, Status.SUBMITTED, submitted_at),
        (Status.SUBMITTED, Status.APPROVED, approved_at),
    ]:
        transition = FilingTransition.objects.create(
            filing=approved, from_status=from_status, to_status=to_status, actor=reviewer
        )
        FilingTransition.objects.filter(pk=transition.pk).update(created_at=moment)
    response = dashboard(client)
    row = next(r for r in response.context["rows"] if r.department_name == "水利局")
    assert (row.submitted_on, row.approved_on) == (
        datetime.date(2024, 3, 5),
        datetime.date(2024, 3, 20),
    )
    assert "2024-03-05" in response.content.decode()


def test_departments_not_submitted_after_the_deadline_are_overdue(client, reviewer, departments):
    rows = {row.department_name: row.overdue for row in dashboard(client).context["rows"]}
    assert {name for name, overdue in rows.items() if overdue} == {"交通局", "财政局", "民政局"}


def test_nothing_is_overdue_before_the_deadline(client, reviewer, departments, year):
    year.deadline = FUTURE
    year.save()
    assert not any(row.overdue for row in dashboard(client).context["rows"])


def test_it_opens_on_the_newest_year_with_submitted_filings_of_the_jurisdiction(
    client, reviewer, departments
):
    newer = FiscalYearFactory(year=2024)
    filing_in(Department.objects.get(name="教育局"), Status.DRAFT, fiscal_year=newer)
    # Submitted elsewhere: not the reviewer's work.
    filing_in(DepartmentFactory(name="外区局"), Status.SUBMITTED, fiscal_year=newer)
    assert dashboard(client).context["fiscal_year"].year == 2023

    filing_in(Department.objects.get(name="交通局"), Status.SUBMITTED, fiscal_year=newer)
    assert dashboard(client).context["fiscal_year"] == newer


def test_without_submitted_filings_it_opens_on_the_newest_open_year(client, reviewer, district):
    FiscalYearFactory(year=2023)
    open_year = FiscalYearFactory(year=2024)
    FiscalYearFactory(year=2025, is_open=False)
    filing_in(DepartmentFactory(jurisdiction=district), Status.DRAFT, fiscal_year=open_year)
    assert dashboard(client).context["fiscal_year"] == open_year


def test_a_year_asked_for_is_shown(client, reviewer, departments):
    newer = FiscalYearFactory(year=2024)
    filing_in(Department.objects.get(name="教育局"), Status.SUBMITTED, fiscal_year=newer)
    response = dashboard(client, year=2023)
    assert response.context["fiscal_year"].year == 2023
    assert client.get(DASHBOARD, {"year": "1999"}).status_code == 404


def test_every_count_link_keeps_the_year_and_the_other_filters(client, reviewer, departments):
    FiscalYearFactory(year=2024)  # open, but without submitted filings
    html = dashboard(client, q="局", grade="优", status="draft").content.decode()
    counts = re.search(r'<ul class="list-unstyled mb-0 status-counts">(.*?)</ul>', html, re.S)
    links = [
        parse_qs(urlsplit(unescape(link)).query)
        for link in re.findall(r'href="([^"]*)"', counts.group(1))
    ]
    assert len(links) == 9  # 全部部门, seven statuses, 逾期未报送
    for query in links:
        assert (query["year"], query["q"], query["grade"]) == (["2023"], ["局"], ["优"])
    assert "status" not in links[0] and "overdue" not in links[0]
    assert [query["status"] for query in links[1:8]] == [[key] for key, _ in DASHBOARD_STATUSES]
    assert links[8]["overdue"] == ["1"] and "status" not in links[8]
    next_url = re.search(r'name="next" value="([^"]*)"', html).group(1)
    assert parse_qs(urlsplit(unescape(next_url)).query)["year"] == ["2023"]


# --- filters, search, sort, counts and charts -----------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "submitted"}, {"教育局", "卫健局"}),
        ({"status": "not_started"}, {"交通局"}),
        ({"grade": "优"}, {"教育局", "水利局"}),
        ({"grade": "none"}, {"交通局"}),
        ({"grade": "incomplete"}, {"财政局", "卫健局", "民政局"}),
        ({"overdue": "1"}, {"交通局", "财政局", "民政局"}),
        ({"q": "教育"}, {"教育局"}),
        ({"status": "submitted", "grade": "优"}, {"教育局"}),
        ({"status": "bogus"}, None),
    ],
)
def test_filters_narrow_the_rows(client, reviewer, departments, params, expected):
    names = set(shown(dashboard(client, **params)))
    assert names == (expected if expected is not None else set(departments))


def test_sort_by_score_puts_rows_without_a_score_last(client, reviewer, departments):
    descending = shown(dashboard(client, sort="-score"))
    assert descending == ["水利局", "教育局", "文旅局", "民政局", "卫健局", "财政局", "交通局"]
    ascending = shown(dashboard(client, sort="score"))
    assert ascending == ["财政局", "卫健局", "民政局", "文旅局", "教育局", "水利局", "交通局"]


def test_counts_per_status_cover_all_departments_whatever_the_filter(client, reviewer, departments):
    response = dashboard(client, status="approved")
    counts = {count.key: count.count for count in response.context["status_counts"]}
    assert counts == {
        "not_started": 1,
        "draft": 1,
        "submitted": 2,
        "returned": 1,
        "approved": 1,
        "published": 1,
        "withdrawn": 0,
    }
    assert response.context["total"] == 7
    assert response.context["overdue_count"] == 3


def test_charts_are_inline_svg_images_without_script(client, reviewer, departments):
    response = dashboard(client)
    charts = re.findall(r"<svg role=\"img\".*?</svg>", response.content.decode(), re.S)
    assert len(charts) == 2
    assert "<title>2023年度各状态部门数</title>" in charts[0]
    assert "<title>2023年度等次分布（已开始填报的部门）</title>" in charts[1]
    assert (
        "<desc>未开始 1，草稿 1，已报送 2，已退回 1，已审核 1，已公开 1，已撤销 0</desc>"
        in charts[0]
    )
    assert not any("<script" in chart or "href" in chart for chart in charts)
    assert "<desc>优 2，良 1，中 0，差 0，未完成 3，未评定 0</desc>" in charts[1]
    grades = {c.key: c.count for c in response.context["grade_counts"]}
    assert grades == {"优": 2, "良": 1, "中": 0, "差": 0, "incomplete": 3, "none": 0}


def test_a_filing_with_parts_missing_shows_unfinished_instead_of_a_grade(
    client, reviewer, departments, district, year
):
    wrong_sum = DepartmentFactory(name="公安局", jurisdiction=district)
    filing_in(wrong_sum, Status.DRAFT, score="85.00", grade="良", errors=1, fiscal_year=year)
    html = dashboard(client).content.decode()
    rows = dict(re.findall(r'<tr[^>]*>.*?<a href="[^"]*">([^<]*)</a>(.*?)</tr>', html, re.S))
    assert "未完成" in rows["财政局"] and ">差<" not in rows["财政局"]
    assert "未完成" in rows["卫健局"] and ">中<" not in rows["卫健局"]
    assert "<td>优</td>" in rows["教育局"] and "未完成" not in rows["教育局"]
    # A wrong sum is an error to fix, but the filing's 等次 is shown as its pages show it.
    assert "<td>良</td>" in rows["公安局"] and "未完成" not in rows["公安局"]
    assert "换算得分 = 总分 ÷ 满分 × 100" in html


def test_only_submitted_filings_without_errors_get_a_checkbox(client, reviewer, departments):
    html = dashboard(client).content.decode()
    assert f'name="filing" value="{departments["教育局"].pk}"' in html
    assert f'name="filing" value="{departments["卫健局"].pk}"' not in html
    assert f'name="filing" value="{departments["水利局"].pk}"' not in html


# --- the number of queries ----------------------------------------------------


def _queries_for(client, count):
    jurisdiction = JurisdictionFactory(name=f"规模区{count}")
    year = FiscalYearFactory(year=2023, deadline=PAST)
    departments = Department.objects.bulk_create(
        Department(name=f"部门{index:04d}", jurisdiction=jurisdiction) for index in range(count)
    )
    statuses = [Status.DRAFT, Status.SUBMITTED, Status.APPROVED, None]
    filings = Filing.objects.bulk_create(
        Filing(
            department=department,
            fiscal_year=year,
            status=statuses[index % 4],
            total_score=Decimal("85.00"),
            grade="良",
        )
        for index, department in enumerate(departments)
        if statuses[index % 4] is not None
    )
    FilingTransition.objects.bulk_create(
        FilingTransition(filing=filing, from_status=Status.DRAFT, to_status=Status.SUBMITTED)
        for filing in filings
        if filing.status != Status.DRAFT
    )
    client.force_login(reviewer_of(jurisdiction))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert len(response.context["rows"]) == count
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_the_departments(client):
    assert _queries_for(client, 10) == _queries_for(client, 200)


# --- bulk approval --------------------------------------------------------------


@pytest.fixture
def junshan_submitted():
    """君山 without its two errors, submitted by its officer."""
    filing = make_submittable(import_example("junshan-2023"))
    filing_summary_refresh(filing=filing)
    officer = officer_of(filing.department)
    return filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)


def _submitted_with_errors(jurisdiction):
    filing = blank_filing(department=DepartmentFactory(name="有错误局", jurisdiction=jurisdiction))
    # Set up directly: the workflow would refuse to submit a filing with errors,
    # but one can still have some, e.g. after its template changed.
    Filing.objects.filter(pk=filing.pk).update(status=Status.SUBMITTED)
    filing.refresh_from_db()
    return filing


def test_bulk_approve_approves_error_free_filings_and_reports_each_failure(
    client, junshan_submitted
):
    jurisdiction = junshan_submitted.department.jurisdiction
    reviewer = reviewer_of(jurisdiction)
    client.force_login(reviewer)
    with_errors = _submitted_with_errors(jurisdiction)
    draft = blank_filing(department=DepartmentFactory(name="草稿局", jurisdiction=jurisdiction))
    foreign = blank_filing(department=DepartmentFactory(name="外区局"))
    Filing.objects.filter(pk=foreign.pk).update(status=Status.SUBMITTED)

    response = client.post(
        BULK,
        {"filing": [with_errors.pk, draft.pk, junshan_submitted.pk, foreign.pk]},
        follow=True,
    )

    assert response.redirect_chain[-1][0].startswith(DASHBOARD)
    statuses = dict(Filing.objects.values_list("pk", "status"))
    assert statuses[junshan_submitted.pk] == Status.APPROVED
    assert statuses[with_errors.pk] == Status.SUBMITTED
    assert statuses[draft.pk] == Status.DRAFT
    assert statuses[foreign.pk] == Status.SUBMITTED
    approval = FilingTransition.objects.get(filing=junshan_submitted, to_status=Status.APPROVED)
    assert approval.actor == reviewer

    texts = [str(message) for message in response.context["messages"]]
    department = junshan_submitted.department.name
    assert f"{department}：已审核" in texts
    assert any(text.startswith("有错误局：该填报还有") and "错误" in text for text in texts)
    assert "草稿局：当前状态为“草稿”，只有已报送的填报可以审核通过。" in texts
    assert f"填报 {foreign.pk}：没有找到该填报，或不在您的审核范围内。" in texts
    assert "外区局" not in response.content.decode()
    assert "批量审核：1 份已审核，3 份未通过。" in texts


def test_bulk_approve_without_a_selection_says_so(client, reviewer):
    response = client.post(BULK, {}, follow=True)
    assert "请先勾选要审核通过的填报。" in response.content.decode()


def test_bulk_approve_refuses_ids_that_are_not_numbers(client, reviewer):
    response = client.post(BULK, {"filing": ["abc"]}, follow=True)
    assert "“abc”不是有效的填报编号。" in response.content.decode()


def test_bulk_approve_returns_to_the_filtered_dashboard(client, reviewer):
    back = f"{DASHBOARD}?year=2023&status=submitted"
    response = client.post(BULK, {"filing": ["999999"], "next": back})
    assert response["Location"] == back
    response = client.post(BULK, {"filing": ["999999"], "next": "https://evil.example/"})
    assert response["Location"] == DASHBOARD

import pytest
from django.http import Http404

from departments.models import Membership
from evaluations.models import Indicator
from evaluations.selectors import (
    departments_for_user,
    filing_get_for_user,
    filing_summary,
    filings_for_user,
    indicator_groups,
    user_is_bureau_staff,
    where_location,
)
from tests.factories import (
    DepartmentFactory,
    JurisdictionFactory,
    UserFactory,
    blank_filing,
    officer_of,
    reviewer_of,
)

pytestmark = pytest.mark.django_db


def test_an_officer_sees_only_the_filings_of_their_department():
    own = blank_filing()
    blank_filing()
    officer = officer_of(own.department)
    assert list(filings_for_user(user=officer)) == [own]
    assert list(departments_for_user(user=officer)) == [own.department]
    assert filing_get_for_user(user=officer, pk=own.pk) == own


def test_another_departments_filing_does_not_exist_for_an_officer():
    other = blank_filing()
    officer = officer_of(DepartmentFactory())
    with pytest.raises(Http404):
        filing_get_for_user(user=officer, pk=other.pk)


def test_a_reviewer_sees_the_filings_of_their_jurisdiction_only():
    jurisdiction = JurisdictionFactory(name="邵阳市北塔区")
    inside = blank_filing(department=DepartmentFactory(jurisdiction=jurisdiction))
    outside = blank_filing()
    reviewer = reviewer_of(jurisdiction)
    assert list(filings_for_user(user=reviewer)) == [inside]
    with pytest.raises(Http404):
        filing_get_for_user(user=reviewer, pk=outside.pk)
    assert list(departments_for_user(user=reviewer)) == []


def test_administrators_and_superusers_see_every_filing():
    filings = {blank_filing(), blank_filing()}
    admin = UserFactory()
    Membership.objects.create(user=admin, role=Membership.Role.ADMIN)
    assert set(filings_for_user(user=admin)) == filings
    assert set(filings_for_user(user=UserFactory(is_superuser=True))) == filings


def test_bureau_staff_are_reviewers_administrators_and_superusers():
    jurisdiction = JurisdictionFactory()
    assert user_is_bureau_staff(user=reviewer_of(jurisdiction))
    assert user_is_bureau_staff(user=UserFactory(is_superuser=True))
    assert not user_is_bureau_staff(user=officer_of(DepartmentFactory()))


@pytest.mark.parametrize(
    ("where", "part", "anchor"),
    [
        ("funds.full_year_budget", "funds", "funds-full_year_budget"),
        ("funds.by_source", "funds", "funds-by_source"),
        ("basic_data.rows.vehicle", "basic", "basic_data-rows-vehicle"),
        ("basic_data.project_items", "basic", "basic_data-project_items"),
        ("indicators[4]", "scores", "indicators-4"),
        ("indicators", "scores", "indicators"),
        ("report.problems", "report", "report-problems"),
        ("profile.functions", "profile", "profile-functions"),
        ("staffing.actual", "profile", "staffing-actual"),
        ("contact.phone", "contact", "contact-phone"),
        ("nonsense", "overview", "findings"),
    ],
)
def test_a_finding_path_leads_to_its_page_and_anchor(where, part, anchor):
    found_part, found_anchor, url = where_location(where, filing_pk=7, project_pks=[])
    assert (found_part, found_anchor) == (part, anchor)
    assert url == f"/filings/7/{part}/#{anchor}"


def test_a_project_finding_path_leads_to_that_projects_page():
    part, anchor, url = where_location("projects[1].indicators[6]", filing_pk=7, project_pks=[3, 9])
    assert (part, anchor, url) == (
        "projects",
        "indicators-6",
        "/filings/7/projects/9/#indicators-6",
    )
    assert where_location("projects[0].funds", filing_pk=7, project_pks=[3])[2] == (
        "/filings/7/projects/3/#funds"
    )


def test_summary_attaches_suggested_scores_to_the_saved_rows():
    filing = blank_filing()
    row = Indicator.objects.create(
        filing=filing,
        position=0,
        level1="产出指标",
        name="督查",
        target="≥10次",
        actual="5次",
        weight=10,
        score=10,
    )
    summary = filing_summary(filing=filing)
    assert summary.indicator_results[row.pk].rule == "positive"
    assert str(summary.indicator_results[row.pk].suggested_score) == "5.00"
    assert any(finding.code == "budget_missing" for finding in summary.errors)
    assert any(finding.code == "score_differs" for finding in summary.warnings)


def test_indicator_groups_merge_equal_level_cells():
    rows = [
        Indicator(level1="产出指标", level2="数量指标"),
        Indicator(level1="产出指标", level2="数量指标"),
        Indicator(level1="产出指标", level2="质量指标"),
        Indicator(level1="效益指标", level2="质量指标"),
    ]
    spans = [(row["level1_span"], row["level2_span"]) for row in indicator_groups(rows)]
    assert spans == [(3, 2), (0, 0), (0, 1), (1, 1)]


def test_the_last_return_is_looked_up_only_for_a_filing_once_returned(
    django_assert_num_queries,
):
    from evaluations.models import Filing
    from evaluations.selectors import filing_last_return
    from evaluations.services.workflow import filing_transition
    from tests.helpers import import_example, make_submittable

    filing = make_submittable(import_example("junshan-2023"))
    officer = officer_of(filing.department)
    reviewer = reviewer_of(filing.department.jurisdiction)
    page_filing = filing_get_for_user(user=officer, pk=filing.pk)
    with django_assert_num_queries(0):
        assert filing_last_return(filing=page_filing) is None

    filing = filing_transition(filing=filing, to=Filing.Status.SUBMITTED, actor=officer)
    filing_transition(
        filing=filing, to=Filing.Status.RETURNED, actor=reviewer, comment="请补充偏差原因说明。"
    )
    page_filing = filing_get_for_user(user=officer, pk=filing.pk)
    last_return = filing_last_return(filing=page_filing)
    assert last_return.comment == "请补充偏差原因说明。"
    assert last_return.actor == reviewer

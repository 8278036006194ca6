from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations.models import Filing, Indicator, ProjectItem
from evaluations.services.filings import filing_create
from tests.factories import DepartmentFactory, FiscalYearFactory, officer_of
from tests.helpers import import_example, make_submittable

pytestmark = pytest.mark.django_db

INDICATOR_PLAN = ("level1", "level2", "name", "target", "weight")


def rows(queryset):
    return [
        tuple(getattr(row, name) for name in INDICATOR_PLAN)
        for row in queryset.order_by("position", "pk")
    ]


@pytest.fixture
def last_year():
    """君山 2023 with its 填报信息 filled and one 附件1 project item."""
    filing = make_submittable(import_example("junshan-2023"))
    ProjectItem.objects.create(
        filing=filing, position=0, name="区委办专项", budget=Decimal("373"), final=Decimal("370.50")
    )
    return filing


def start_next_year(previous):
    return filing_create(department=previous.department, fiscal_year=FiscalYearFactory(year=2024))


def test_indicator_rows_carry_over_without_what_was_achieved(last_year):
    filing = start_next_year(last_year)

    copied = filing.indicators.filter(project__isnull=True)
    assert rows(copied) == rows(last_year.indicators.filter(project__isnull=True))
    assert len(rows(copied)) == 12
    assert set(copied.values_list("actual", "score", "deviation")) == {("", None, "")}


def test_projects_carry_over_with_their_indicator_rows_but_no_funds(last_year):
    filing = start_next_year(last_year)

    [old], [new] = last_year.projects.all(), filing.projects.all()
    assert (new.name, new.department_in_charge, new.implementer, new.weight) == (
        old.name,
        old.department_in_charge,
        old.implementer,
        old.weight,
    )
    assert rows(new.indicators) == rows(old.indicators)
    assert len(rows(new.indicators)) == 11
    assert set(new.indicators.values_list("actual", "score")) == {("", None)}
    assert (new.total_full_year_budget, new.total_executed, new.goal_actual) == (None, None, "")


def test_contact_carries_over_but_not_the_filing_date(last_year):
    last_year.filled_on = "2024-07-30"
    last_year.save()

    filing = start_next_year(last_year)

    assert (filing.preparer, filing.phone, filing.head) == ("李文静", "0730-8321234", "王建国")
    assert filing.filled_on is None


def test_project_items_keep_their_names_with_last_years_final_as_prior_final(last_year):
    filing = start_next_year(last_year)

    [item] = filing.project_items.all()
    assert (item.name, item.prior_final, item.budget, item.final) == (
        "区委办专项",
        Decimal("370.50"),
        None,
        None,
    )


def test_the_filing_records_the_year_it_was_prefilled_from(last_year):
    assert start_next_year(last_year).prefilled_from_year == 2023


def test_without_last_years_filing_nothing_is_copied():
    filing = filing_create(department=DepartmentFactory(), fiscal_year=FiscalYearFactory(year=2024))

    assert filing.prefilled_from_year is None
    assert not Indicator.objects.filter(filing=filing).exists()
    assert not filing.projects.exists()


def test_prefill_can_be_declined(last_year):
    filing = filing_create(
        department=last_year.department, fiscal_year=FiscalYearFactory(year=2024), prefill=False
    )

    assert filing.prefilled_from_year is None
    assert not Indicator.objects.filter(filing=filing).exists()
    assert filing.preparer == ""


NOTICE = "已按 2023 年度填报预填，请逐项核对"


def test_pages_ask_to_check_the_prefilled_rows_until_first_submitted(client, last_year):
    filing = start_next_year(last_year)
    client.force_login(officer_of(filing.department))
    pages = [
        reverse("evaluations:filing_part", args=[filing.pk, part])
        for part in ("overview", "scores", "contact")
    ]
    pages.append(reverse("evaluations:project_edit", args=[filing.pk, filing.projects.get().pk]))

    for url in pages:
        assert NOTICE in client.get(url).content.decode()

    # Once submitted (here: submitted and returned) the rows are the officer's own.
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.RETURNED)
    for url in pages:
        assert NOTICE not in client.get(url).content.decode()


def test_a_filing_not_prefilled_shows_no_notice(client, last_year):
    client.force_login(officer_of(last_year.department))

    page = client.get(reverse("evaluations:filing_part", args=[last_year.pk, "overview"]))

    assert "年度填报预填" not in page.content.decode()

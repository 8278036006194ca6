"""Creating a filing with all its parts, pre-filled from the year before."""

from django.db import transaction

from departments.models import Department
from evaluations.models import (
    BasicDataRow,
    Filing,
    FiscalYear,
    Funds,
    Profile,
    Report,
)
from evaluations.services.summary import filing_summary_refresh


class FilingClosedError(Exception):
    """The fiscal year is closed, so no new filing may be started in it."""


def filing_create(
    *, department: Department, fiscal_year: FiscalYear, prefill: bool = True
) -> Filing:
    """Create the draft filing of `department` for `fiscal_year` with every part.

    Every 附件1 row exists from the start, so the forms always show the full
    official table. With `prefill`, the profile texts are copied from the
    department's filing of the year before, and that filing's 本年决算数 becomes
    this year's 上年决算数. Raises IntegrityError if the filing exists already;
    callers that may race use `filing_get_or_create`.
    """
    with transaction.atomic():
        filing = Filing.objects.create(department=department, fiscal_year=fiscal_year)
        previous = None
        if prefill:
            previous = (
                Filing.objects.filter(department=department, fiscal_year__year=fiscal_year.year - 1)
                .select_related("profile")
                .first()
            )
        profile = Profile(filing=filing)
        if previous is not None and hasattr(previous, "profile"):
            for name in ("organization", "functions", "goal_setting"):
                setattr(profile, name, getattr(previous.profile, name))
        profile.save()
        Funds.objects.create(filing=filing)
        Report.objects.create(filing=filing)
        prior_finals = {}
        if previous is not None:
            prior_finals = {row.key: row.final for row in previous.basic_rows.all()}
        BasicDataRow.objects.bulk_create(
            BasicDataRow(
                filing=filing, key=key, position=position, prior_final=prior_finals.get(key)
            )
            for position, key in enumerate(BasicDataRow.Key.values)
        )
        filing_summary_refresh(filing=filing)
    return filing


def filing_get_or_create(*, department: Department, fiscal_year: FiscalYear) -> tuple[Filing, bool]:
    """Return the department's filing for the year, creating it (pre-filled) on
    first visit while the year is open. Raises FilingClosedError when it does
    not exist and the year is closed."""
    filing = Filing.objects.filter(department=department, fiscal_year=fiscal_year).first()
    if filing is not None:
        return filing, False
    if not fiscal_year.is_open:
        raise FilingClosedError(f"{fiscal_year.year}年度已关闭填报，无法新建。")
    return filing_create(department=department, fiscal_year=fiscal_year), True

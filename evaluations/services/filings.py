"""Creating a filing with all its parts, pre-filled from the year before."""

from django.db import transaction

from departments.models import Department
from evaluations.models import (
    BasicDataRow,
    Filing,
    FiscalYear,
    Funds,
    Indicator,
    Profile,
    Project,
    ProjectItem,
    Report,
)
from evaluations.services.summary import filing_summary_refresh

# What carries over from last year's filing: what the department plans and who
# signs, never what it achieved (实际完成值, 得分, 偏差原因 and the amounts are
# this year's facts).
CONTACT_FIELDS = ("preparer", "phone", "head")
PROJECT_FIELDS = ("name", "department_in_charge", "implementer", "weight")
INDICATOR_FIELDS = ("level1", "level2", "name", "target", "weight")


class FilingClosedError(Exception):
    """The fiscal year is closed, so no new filing may be started in it."""


def filing_create(
    *, department: Department, fiscal_year: FiscalYear, prefill: bool = True
) -> Filing:
    """Create the draft filing of `department` for `fiscal_year` with every part.

    Every 附件1 row exists from the start, so the forms always show the full
    official table. With `prefill`, from the department's filing of the year
    before (any status): the profile texts; its 本年决算数 as this year's
    上年决算数, 附件1 project items included (by name); the 附件2 indicator rows
    and the 附件3 projects (name, 主管部门, 实施单位, 执行率分值) with their
    indicator rows, each row with 一级/二级/三级指标, 年度指标值 and 分值 but no
    实际完成值, 得分 or 偏差原因; and 填表人, 联系电话, 单位负责人. The filing then
    records that year in `prefilled_from_year`, so the pages ask for a check of
    every copied row until it is first submitted. Raises IntegrityError if the
    filing exists already; callers that may race use `filing_get_or_create`.
    """
    with transaction.atomic():
        previous = None
        if prefill:
            previous = (
                Filing.objects.filter(department=department, fiscal_year__year=fiscal_year.year - 1)
                .select_related("profile", "fiscal_year")
                .first()
            )
        filing = Filing(department=department, fiscal_year=fiscal_year)
        if previous is not None:
            filing.prefilled_from_year = previous.fiscal_year.year
            for name in CONTACT_FIELDS:
                setattr(filing, name, getattr(previous, name))
        filing.save()
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
        if previous is not None:
            _copy_plans(previous=previous, filing=filing)
        filing_summary_refresh(filing=filing)
    return filing


def _copy_plans(*, previous: Filing, filing: Filing) -> None:
    ProjectItem.objects.bulk_create(
        ProjectItem(filing=filing, position=position, name=item.name, prior_final=item.final)
        for position, item in enumerate(previous.project_items.order_by("position", "pk"))
    )
    projects = {}
    for position, project in enumerate(previous.projects.order_by("position", "pk")):
        projects[project.pk] = Project.objects.create(
            filing=filing,
            position=position,
            **{name: getattr(project, name) for name in PROJECT_FIELDS},
        )
    Indicator.objects.bulk_create(
        Indicator(
            filing=filing,
            project=projects[row.project_id] if row.project_id else None,
            position=row.position,
            **{name: getattr(row, name) for name in INDICATOR_FIELDS},
        )
        for row in previous.indicators.order_by("project_id", "position", "pk")
    )


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

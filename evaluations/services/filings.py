"""Creating a filing with all its parts, pre-filled from the year before."""

from departments.models import Department
from evaluations.core import document as doc
from evaluations.core.document import FilingDocument
from evaluations.models import Filing, FilingRevision, FiscalYear, FormTemplate
from evaluations.services.form_templates import form_template_for
from evaluations.services.generic_persistence import generic_filing_create
from evaluations.services.persistence import filing_document, filing_document_create

# What carries over from last year's filing: what the department plans and who
# signs, never what it achieved (实际完成值, 得分, 偏差原因 and the amounts are
# this year's facts).
CONTACT_FIELDS = ("preparer", "phone", "head")
INDICATOR_FIELDS = ("level1", "level2", "name", "target", "weight")


class FilingClosedError(Exception):
    """The fiscal year is closed, so no new filing may be started in it."""


def filing_create(
    *, department: Department, fiscal_year: FiscalYear, prefill: bool = True, actor=None
) -> Filing:
    """Create the draft filing of `department` for `fiscal_year` with every part,
    through the one write path: version 1, recorded as made by `actor` (None:
    系统).

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

    A filing whose jurisdiction's year uses a generic-layout form template
    (services.form_templates.form_template_for) starts blank on that template
    (services.generic_persistence.generic_filing_create), without pre-filling.
    """
    form_template = form_template_for(department=department, fiscal_year=fiscal_year)
    if form_template.layout != FormTemplate.Layout.HUNAN:
        return generic_filing_create(
            department=department,
            fiscal_year=fiscal_year,
            form_template=form_template,
            actor=actor,
            source=FilingRevision.Source.CREATE,
        ).filing
    previous = None
    if prefill:
        previous = (
            Filing.objects.filter(department=department, fiscal_year__year=fiscal_year.year - 1)
            .select_related("fiscal_year")
            .first()
        )
    document = FilingDocument(fiscal_year=fiscal_year.year)
    if previous is not None:
        document = _plans_of(filing_document(filing=previous), year=fiscal_year.year)
    return filing_document_create(
        department=department,
        fiscal_year=fiscal_year,
        document=document,
        actor=actor,
        source=FilingRevision.Source.PREFILL if previous else FilingRevision.Source.CREATE,
        prefilled_from_year=previous.fiscal_year.year if previous else None,
        form_template=form_template,
    ).filing


def _planned(row: doc.Indicator) -> doc.Indicator:
    return doc.Indicator(**{name: getattr(row, name) for name in INDICATOR_FIELDS})


def _plans_of(previous: FilingDocument, *, year: int) -> FilingDocument:
    """The new year's document carrying over the plans of `previous`."""
    rows = previous.basic_data.rows
    return FilingDocument(
        fiscal_year=year,
        profile=previous.profile,
        basic_data=doc.BasicData(
            rows={key: doc.Columns(prior_final=columns.final) for key, columns in rows.items()},
            project_items=[
                doc.ProjectItem(name=item.name, prior_final=item.final)
                for item in previous.basic_data.project_items
            ],
        ),
        indicators=[_planned(row) for row in previous.indicators],
        projects=[
            doc.Project(
                name=project.name,
                department_in_charge=project.department_in_charge,
                implementer=project.implementer,
                funds=doc.ProjectFunds(weight=project.funds.weight),
                indicators=[_planned(row) for row in project.indicators],
            )
            for project in previous.projects
        ],
        contact=doc.Contact(**{name: getattr(previous.contact, name) for name in CONTACT_FIELDS}),
    )


def filing_get_or_create(
    *, department: Department, fiscal_year: FiscalYear, actor=None
) -> tuple[Filing, bool]:
    """Return the department's filing for the year, creating it (pre-filled,
    by `actor`) on first visit while the year is open. Raises
    FilingClosedError when it does not exist and the year is closed."""
    filing = Filing.objects.filter(department=department, fiscal_year=fiscal_year).first()
    if filing is not None:
        return filing, False
    if not fiscal_year.is_open:
        raise FilingClosedError(f"{fiscal_year.year}年度已关闭填报，无法新建。")
    return filing_create(department=department, fiscal_year=fiscal_year, actor=actor), True

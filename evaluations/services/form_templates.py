"""Form templates in the database: installing them, and which one a filing is
made on.

A template is installed from its `perfeval-form-template/1` file (the
`form_template_load` command, `load_demo`, the data migration for the Hunan
one) and never changed afterwards: `code@version` is its identity, and a
changed form is a new version. Which template a new filing uses is decided
once, when the filing is created (`form_template_for`), and kept with it.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction

from departments.models import Department, Jurisdiction
from evaluations.core.template import (
    FormTemplate as CoreTemplate,
)
from evaluations.core.template import (
    TemplateError,
    TemplateProblem,
    template_from_bytes,
)
from evaluations.form_templates import shipped_template_bytes
from evaluations.models import (
    Filing,
    FiscalYear,
    FormTemplate,
    JurisdictionYearTemplate,
)

# The forms of every filing made before templates were data, and of every
# fiscal year that names none.
DEFAULT_TEMPLATE = ("hunan-overall", "2023")


class FormTemplateError(Exception):
    """A template that cannot be installed or assigned; `problems` lists every
    (path, message) found, the path "$" for the file as a whole."""

    def __init__(self, problems: list[TemplateProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def canonical_sha256(content) -> str:
    """SHA-256 of `content` written as canonical JSON (keys sorted, no
    spacing, UTF-8): a file saved again with other spacing or key order has
    the same, any other content another."""
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _refuse_constant(name):
    raise ValueError(name)


def _content_of(data: bytes) -> tuple[CoreTemplate, dict]:
    """The checked template of the file `data` and the file as loaded."""
    template = template_from_bytes(data)  # refuses a file that is not a template
    try:
        content = json.loads(data.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except ValueError as error:
        # NaN or Infinity, accepted by the json module but by no database.
        raise FormTemplateError(
            [TemplateProblem("$", f"模板文件中有无法保存的数值 {error}，请删除。")]
        ) from None
    return template, content


@dataclass(frozen=True)
class TemplateSize:
    """How much a template holds, as `form_template_load` reports it."""

    tables: int
    rows: int  # fixed rows of all tables
    free_slots: int  # groups where the officer adds rows


def form_template_size(template: CoreTemplate) -> TemplateSize:
    entries = [entry for table in template.tables for entry in table.entries()]
    return TemplateSize(
        tables=len(template.tables),
        rows=sum(1 for entry in entries if entry.row is not None),
        free_slots=sum(1 for entry in entries if entry.free is not None),
    )


def form_template_install(*, data: bytes, actor) -> FormTemplate:
    """Install the template file `data` (UTF-8 JSON) as installed by `actor`
    (a user, or None for the system) and return it.

    The file is read and checked by the core loader; a refused file raises
    FormTemplateError listing every problem with its path. When the same
    code@version is installed already with the same content (compared as
    canonical JSON) nothing is written and the installed one is returned;
    with other content the install is refused: a template in use must keep
    meaning what it meant, so a changed form needs a new version. Nothing is
    half installed: one row, written in one transaction. For administrators
    (the `form_template_load` command) and the server itself (`load_demo`,
    the default template).
    """
    try:
        template, content = _content_of(data)
    except TemplateError as error:
        raise FormTemplateError(error.problems) from None
    sha256 = canonical_sha256(content)
    try:
        with transaction.atomic():
            installed = (
                FormTemplate.objects.select_for_update()
                .filter(code=template.code, version=template.version)
                .first()
            )
            if installed is None:
                return FormTemplate.objects.create(
                    code=template.code,
                    version=template.version,
                    title=template.title,
                    region=template.region,
                    layout=template.layout,
                    content=content,
                    sha256=sha256,
                    installed_by=actor,
                )
    except IntegrityError:
        # Another install of the same identity committed first.
        installed = FormTemplate.objects.get(code=template.code, version=template.version)
    if installed.sha256 != sha256:
        raise FormTemplateError(
            [
                TemplateProblem(
                    "$",
                    f"模板 {template.identity} 已安装且内容不同：修改模板须使用新版本号。",
                )
            ]
        )
    return installed


def form_template_install_shipped(*, identity: str, actor=None) -> FormTemplate:
    """Install the template `identity` ("code@version") that perfeval ships
    (evaluations/form_templates/), as `form_template_install` does."""
    return form_template_install(data=shipped_template_bytes(identity), actor=actor)


def form_template_get(*, code: str, version: str) -> FormTemplate | None:
    """The installed template code@version, or None."""
    return FormTemplate.objects.filter(code=code, version=version).first()


def form_template_default() -> FormTemplate:
    """hunan-overall@2023, the template of a fiscal year that names none;
    installed from its shipped file when missing (a database emptied by a
    test, for instance: the data migration installed it once)."""
    code, version = DEFAULT_TEMPLATE
    return form_template_get(code=code, version=version) or form_template_install_shipped(
        identity=f"{code}@{version}"
    )


def form_template_for(*, department: Department, fiscal_year: FiscalYear) -> FormTemplate:
    """The template a new filing of `department` for `fiscal_year` is made
    on: the one its jurisdiction names for the year, else the year's, else
    the default (hunan-overall@2023). Any caller may ask."""
    assigned = (
        JurisdictionYearTemplate.objects.filter(
            jurisdiction_id=department.jurisdiction_id, fiscal_year=fiscal_year
        )
        .select_related("form_template")
        .first()
    )
    if assigned is not None:
        return assigned.form_template
    if fiscal_year.form_template_id is not None:
        return fiscal_year.form_template
    return form_template_default()


def filing_form_template(filing: Filing) -> FormTemplate:
    """The template `filing` is made on (the default for a row made outside
    the services, which names none)."""
    return filing.form_template if filing.form_template_id else form_template_default()


def form_template_assignment_refusal(
    *, jurisdiction: Jurisdiction, fiscal_year: FiscalYear, form_template: FormTemplate
) -> str:
    """Why `form_template_assign` would refuse this assignment, or ""."""
    others = (
        Filing.objects.filter(department__jurisdiction=jurisdiction, fiscal_year=fiscal_year)
        .exclude(form_template=form_template)
        .count()
    )
    if not others:
        return ""
    return (
        f"{jurisdiction.name}{fiscal_year.year}年度已有 {others} 份自评使用其他表式，"
        f"不能改用 {form_template.identity}：自评始终使用其新建时的表式。"
    )


def fiscal_year_template_refusal(
    *, fiscal_year: FiscalYear, form_template: FormTemplate | None
) -> str:
    """Why `fiscal_year` may not name `form_template` (None: the default) for
    the jurisdictions that name none, or "": some of their filings of the
    year are on another template, and a filing keeps its forms. For the
    admin's fiscal year form."""
    if fiscal_year.pk is None:
        return ""
    wanted = form_template or form_template_default()
    others = (
        Filing.objects.filter(fiscal_year=fiscal_year)
        .exclude(
            department__jurisdiction__form_templates__fiscal_year=fiscal_year,
        )
        .exclude(form_template=wanted)
        .count()
    )
    if not others:
        return ""
    return (
        f"{fiscal_year.year}年度已有 {others} 份自评使用其他表式，不能改用 {wanted.identity}："
        "自评始终使用其新建时的表式；如需让某个行政区划改用其他表式，请在“行政区划年度表式”中指定。"
    )


@transaction.atomic
def form_template_assign(
    *, jurisdiction: Jurisdiction, fiscal_year: FiscalYear, form_template: FormTemplate
) -> JurisdictionYearTemplate:
    """Make `form_template` the one the filings of `jurisdiction` for
    `fiscal_year` are made on, in place of the year's.

    Refused (FormTemplateError) when the jurisdiction has filings of that year
    on another template: a filing keeps the forms it was made on, and one
    jurisdiction's year on two forms could not be compared. For
    administrators and `load_demo`.
    """
    refusal = form_template_assignment_refusal(
        jurisdiction=jurisdiction, fiscal_year=fiscal_year, form_template=form_template
    )
    if refusal:
        raise FormTemplateError([TemplateProblem("$", refusal)])
    assigned, _ = JurisdictionYearTemplate.objects.update_or_create(
        jurisdiction=jurisdiction,
        fiscal_year=fiscal_year,
        defaults={"form_template": form_template},
    )
    return assigned


# --- blank forms of any template ---------------------------------------------------------


def _blank_year(template: CoreTemplate) -> int:
    """The year printed on a template's blank forms: its version when that is
    a year (hunan-overall@2023), else the current year."""
    version = template.version
    return int(version) if version.isdigit() and len(version) == 4 else date.today().year


def blank_forms_pdf_of(template: CoreTemplate) -> bytes:
    """The blank forms of `template` as PDF, for an administrator to check
    before assigning it: drawn from the template for a generic one, the
    hand-made Hunan forms (附件1–3) for the Hunan layout."""
    if template.layout == FormTemplate.Layout.GENERIC:
        from evaluations.services.generic_pdf import blank_template_pdf

        return blank_template_pdf(template)
    from evaluations.services.pdf import blank_forms_pdf

    return blank_forms_pdf(department_name="", year=_blank_year(template))


def blank_workbook_of(template: CoreTemplate) -> bytes:
    """The blank workbook of `template` (see blank_forms_pdf_of)."""
    if template.layout == FormTemplate.Layout.GENERIC:
        from evaluations.services.generic_excel import blank_template_workbook

        return blank_template_workbook(template)
    from evaluations.core.document import FilingDocument
    from evaluations.services.excel import workbook_from_document

    # No score: a form not yet filled in shows no 总分 and no 等次.
    return workbook_from_document(
        document=FilingDocument(fiscal_year=_blank_year(template)), score=None
    )

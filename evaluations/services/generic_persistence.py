"""Generic filings (form templates of layout "generic") ↔ rows: reading,
writing with revisions, creating, the stored figures, and their
`perfeval-filing/2` import and export.

Storage: one FilingRow per table row (in print order; fixed rows by key, the
officer's rows by the group of their free slot), everything else of the
document in `Filing.values` (header, narrative, officer total) and the
filing's contact columns. The write follows the Hunan one
(services.persistence): the filing row locked, its version checked, only what
differs written, the version bumped and a FilingRevision stored — holding the
`perfeval-filing/2` document — or nothing at all when nothing differs. It
reuses that module's lock (`filing_lock`), `RowWriter` and `actor_name`.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from departments.models import Department, Jurisdiction
from evaluations.core import document as doc
from evaluations.core.document import quantize
from evaluations.core.generic import (
    LABEL_CELL,
    DocumentError,
    GenericDocument,
    GenericRow,
    OfficerTotal,
    generic_document_from_json,
    generic_document_to_json,
    generic_missing_parts,
    generic_score,
    generic_validate,
    value_json,
)
from evaluations.core.template import NUMBER_TYPES, FormTemplate, Table, TemplateProblem
from evaluations.models import Filing, FilingRevision, FilingRow, FiscalYear
from evaluations.models import FormTemplate as FormTemplateRow
from evaluations.services.form_templates import filing_form_template, form_template_for
from evaluations.services.interchange import DocumentError as ImportRefused
from evaluations.services.interchange import (
    Problem,
    import_rights_check,
    scoring_template_default,
)
from evaluations.services.persistence import (
    RowKeys,
    RowWriter,
    WriteResult,
    actor_name,
    filing_lock,
)

__all__ = [
    "DocumentError",
    "generic_content_write",
    "generic_document_blank",
    "generic_document_read",
    "generic_document_write",
    "generic_filing_computed",
    "generic_filing_create",
    "generic_filing_export_json",
    "generic_filing_import",
    "generic_summary_refresh",
    "generic_version_finish",
]


# --- values as stored ---------------------------------------------------------------


def _stored(value):
    """A typed value as the row stores it: numbers with 2 places as text
    ("5.00"), so a document read back equals the one written and a file
    imported again compares equal."""
    if isinstance(value, Decimal):
        return value_json(quantize(value))
    return value


def _typed(kind: str | None, raw):
    """A stored value back in its column type (numbers as Decimal)."""
    if kind in NUMBER_TYPES and isinstance(raw, str):
        return Decimal(raw)
    return raw


def _review_key(table: Table) -> str | None:
    column = table.column_for_role("review_score")
    return column.key if column is not None else None


def _row_values(table: Table, row: GenericRow) -> dict:
    """The FilingRow columns of document row `row` (position excepted)."""
    review_key = _review_key(table)
    cells = {key: _stored(value) for key, value in row.cells.items() if key != review_key}
    review = row.cells.get(review_key) if review_key else None
    return {
        "row": row.row or "",
        "group": row.group or "",
        "cells": cells,
        "not_applicable": row.not_applicable,
        "reason": row.reason,
        "review_score": quantize(review) if isinstance(review, Decimal) else None,
    }


def _document_row(table: Table, stored: FilingRow) -> GenericRow:
    cells = {}
    for key, raw in stored.cells.items():
        column = table.column(key)
        cells[key] = raw if key == LABEL_CELL else _typed(column and column.type, raw)
    review_key = _review_key(table)
    if review_key and stored.review_score is not None:
        cells[review_key] = stored.review_score
    return GenericRow(
        row=stored.row or None,
        group=stored.group or None,
        cells=cells,
        not_applicable=stored.not_applicable,
        reason=stored.reason,
    )


def _filing_values(template: FormTemplate, document: GenericDocument) -> dict:
    """The Filing columns holding what of `document` is not a table row."""
    total = document.officer_total
    contact = document.contact
    return {
        "values": {
            "header": {key: _stored(value) for key, value in document.header.items()},
            "narrative": dict(document.narrative),
            "officer_total": None
            if total is None
            else {"score": _stored(quantize(total.score)), "grade": total.grade},
        },
        "preparer": contact.preparer,
        "phone": contact.phone,
        "filled_on": date.fromisoformat(contact.date) if contact.date else None,
        "head": contact.head,
    }


# --- rows → document ----------------------------------------------------------------


def generic_document_read(filing: Filing) -> GenericDocument:
    """The saved content of the generic filing `filing` as a GenericDocument
    (its department and year the filing's own), in two queries. Any caller
    that holds the filing (permission checked) may use it."""
    filing = Filing.objects.select_related(
        "department__jurisdiction", "fiscal_year", "form_template"
    ).get(pk=filing.pk)
    template = filing_form_template(filing).template()
    stored = {}
    for row in FilingRow.objects.filter(filing=filing).order_by("table", "position"):
        stored.setdefault(row.table, []).append(row)
    values = filing.values or {}
    header = {}
    for key, raw in (values.get("header") or {}).items():
        item = template.header_field(key)
        header[key] = _typed(item and item.type, raw)
    total = values.get("officer_total")
    return GenericDocument(
        fiscal_year=filing.fiscal_year.year,
        template_code=template.code,
        template_version=template.version,
        department=doc.Department(
            name=filing.department.name,
            jurisdiction=filing.department.jurisdiction.name,
            code=filing.department.code,
        ),
        header=header,
        tables={
            table.key: [_document_row(table, row) for row in stored.get(table.key, [])]
            for table in template.tables
        },
        narrative=dict(values.get("narrative") or {}),
        officer_total=None
        if total is None
        else OfficerTotal(score=_typed("points", total.get("score")), grade=total.get("grade", "")),
        contact=doc.Contact(
            preparer=filing.preparer,
            phone=filing.phone,
            date=filing.filled_on.isoformat() if filing.filled_on else "",
            head=filing.head,
        ),
    )


def generic_document_blank(*, template: FormTemplate, fiscal_year: int) -> GenericDocument:
    """A new filing of `template`: every fixed row present and empty."""
    return generic_document_from_json(
        {
            "format": "perfeval-filing/2",
            "form_template": {"code": template.code, "version": template.version},
            "fiscal_year": fiscal_year,
        },
        template,
    )


# --- figures -----------------------------------------------------------------------


def _figures(template: FormTemplate, document: GenericDocument) -> dict:
    """总分 (the 换算得分), 等次, 执行率, the finding counts and the number of
    missing parts of `document`, as Filing columns."""
    score = generic_score(document, template)
    findings = generic_validate(document, template, score)
    return {
        "total_score": score.normalized,
        "grade": score.grade,
        "execution_rate": score.execution_rate,
        "error_count": sum(1 for finding in findings if finding.kind == "error"),
        "warning_count": sum(1 for finding in findings if finding.kind == "warning"),
        "missing_count": len(generic_missing_parts(document, template, findings)),
    }


def generic_summary_refresh(*, filing: Filing) -> Filing:
    """Recompute and store the figures of the generic filing `filing` from its
    rows (services.summary.filing_summary_refresh for this layout). Nothing
    else is written."""
    document = generic_document_read(filing)
    figures = _figures(filing_form_template(filing).template(), document)
    for name, value in figures.items():
        setattr(filing, name, value)
    Filing.objects.filter(pk=filing.pk).update(**figures)
    return filing


# --- the write -----------------------------------------------------------------------


def _checked(template: FormTemplate, document: GenericDocument) -> GenericDocument:
    """`document` as its perfeval-filing/2 JSON reads back: every bound and
    type of the template checked for every entry path (a document built in
    Python has not been through the reader). Raises DocumentError."""
    if (document.template_code, document.template_version) != (template.code, template.version):
        raise DocumentError(
            [
                TemplateProblem(
                    "form_template",
                    f"文件使用的表式为 {document.template_code}@{document.template_version}，"
                    f"该自评使用 {template.identity}。",
                )
            ]
        )
    return generic_document_from_json(generic_document_to_json(document), template)


def _as_written(filing: Filing, document: GenericDocument) -> GenericDocument:
    """`document` with the filing's own department and year."""
    return replace(
        document,
        fiscal_year=filing.fiscal_year.year,
        department=doc.Department(
            name=filing.department.name,
            jurisdiction=filing.department.jurisdiction.name,
            code=filing.department.code,
        ),
    )


def generic_content_write(
    *, filing: Filing, template: FormTemplate, document: GenericDocument, saved: list[FilingRow]
) -> bool:
    """Write what of `document` (checked against `template`, the filing's)
    differs from the columns of `filing` and its `saved` rows (all of them,
    in table and position order); whether anything was written. The version
    is not touched: the caller (a write of this module or of
    services.generic_review) holds the filing row locked in its transaction
    and, when something was written, bumps the version and calls
    `generic_version_finish`."""
    writer = RowWriter(filing)
    writer.update(filing, _filing_values(template, document))
    new = []
    by_table = {}
    for row in saved:
        by_table.setdefault(row.table, []).append(row)
    for table in template.tables:
        rows = [_row_values(table, row) for row in document.tables.get(table.key, [])]
        _kept, added = writer.table(FilingRow, by_table.get(table.key, []), rows, table=table.key)
        new += added
    gone = [row.pk for key, rows in by_table.items() if template.table(key) is None for row in rows]
    if gone:
        FilingRow.objects.filter(pk__in=gone).delete()
        writer.changed = True
    writer.insert(FilingRow, new)
    return writer.changed


def generic_version_finish(
    *, filing: Filing, template: FormTemplate, document: GenericDocument, actor, source: str
) -> WriteResult:
    """Store the figures and the FilingRevision (the perfeval-filing/2
    `document`, by `actor` through `source`) of the version `filing.version`
    just written by `generic_content_write`, in the caller's transaction."""
    figures = _figures(template, document)
    for name, value in figures.items():
        setattr(filing, name, value)
    filing.updated_at = timezone.now()
    Filing.objects.filter(pk=filing.pk).update(
        version=filing.version, updated_at=filing.updated_at, **figures
    )
    revision = FilingRevision.objects.create(
        filing=filing,
        version=filing.version,
        document=generic_document_to_json(document),
        actor=actor,
        actor_name=actor_name(actor),
        source=source,
    )
    return WriteResult(filing=filing, changed=True, keys=RowKeys(), revision=revision)


def generic_document_write(
    *,
    filing: Filing,
    document: GenericDocument,
    actor,
    expected_version: int | None,
    source: str,
) -> WriteResult:
    """Make the saved content of the generic filing `filing` equal to
    `document`, writing only what differs, as the new version of the filing
    by `actor` (a user, or None for the system) through `source` (a
    FilingRevision.Source).

    In one transaction with the filing row locked: refused with
    FilingNotEditable unless the filing is a draft or returned, with
    StaleFiling when its version is not `expected_version` (None is always
    stale), and with DocumentError (every problem with its path) when
    `document` is of another template than the filing's or breaks a bound or
    type of the template; nothing is written then. The document's department
    and fiscal year are not written (a filing keeps its own).

    When nothing differs nothing is written and `changed` is False.
    Otherwise the differing rows and columns are written, the version goes up
    by one and a FilingRevision holding the perfeval-filing/2 document of the
    new version is stored, with the figures. The caller has checked that
    `actor` may write the filing.
    """
    with transaction.atomic():
        locked = filing_lock(filing=filing, expected_version=expected_version)
        target = Filing.objects.select_related(
            "department__jurisdiction", "fiscal_year", "form_template"
        ).get(pk=locked.pk)
        template = filing_form_template(target).template()
        document = _as_written(target, _checked(template, document))
        saved = list(FilingRow.objects.filter(filing=target).order_by("table", "position"))
        if not generic_content_write(
            filing=target, template=template, document=document, saved=saved
        ):
            return WriteResult(filing=target, changed=False, keys=RowKeys())
        target.version = locked.version + 1
        return generic_version_finish(
            filing=target, template=template, document=document, actor=actor, source=source
        )


def generic_filing_create(
    *,
    department: Department,
    fiscal_year: FiscalYear,
    form_template: FormTemplateRow,
    actor,
    source: str,
    document: GenericDocument | None = None,
) -> WriteResult:
    """Create the draft filing of `department` for `fiscal_year` on the
    generic template `form_template`, with `document` as its content (a blank
    one when None): version 1, with its FilingRevision and figures. The
    document's department and year are not read.

    Raises DocumentError when `document` does not fit the template, and
    IntegrityError (nothing written) when the filing exists already.
    """
    template = form_template.template()
    if document is None:
        document = generic_document_blank(template=template, fiscal_year=fiscal_year.year)
    document = _checked(template, document)
    with transaction.atomic():
        filing = Filing(department=department, fiscal_year=fiscal_year, form_template=form_template)
        filing.save()
        filing = Filing.objects.select_related(
            "department__jurisdiction", "fiscal_year", "form_template"
        ).get(pk=filing.pk)
        document = _as_written(filing, document)
        generic_content_write(filing=filing, template=template, document=document, saved=[])
        return generic_version_finish(
            filing=filing, template=template, document=document, actor=actor, source=source
        )


# --- perfeval-filing/2 import and export -----------------------------------------------


def generic_filing_computed(*, filing: Filing, document: GenericDocument | None = None) -> dict:
    """The `computed` key of an exported generic filing: 自评得分合计, 适用分值合计,
    换算得分 and 等次 (decimals as text with 2 places, null when there is none),
    the note of an officer's own total, and the findings split into errors
    and warnings."""
    template = filing_form_template(filing).template()
    if document is None:
        document = generic_document_read(filing)
    score = generic_score(document, template)
    findings = generic_validate(document, template, score)

    def text(value):
        return value_json(quantize(value)) if value is not None else None

    def finding(item):
        return {"code": item.code, "message": str(item.message), "where": item.where}

    return {
        "total_score": text(score.raw_total),
        "max_score": text(score.applicable_maximum),
        "normalized_score": text(score.normalized),
        "grade": score.grade,
        "execution_rate": text(score.execution_rate),
        "note": score.note,
        "errors": [finding(item) for item in findings if item.kind == "error"],
        "warnings": [finding(item) for item in findings if item.kind == "warning"],
    }


def generic_filing_export_json(*, filing: Filing) -> dict:
    """The exported perfeval-filing/2 document of a saved generic filing,
    `computed` included (ignored when the file is imported again). The
    caller checks that the user may see the filing."""
    document = generic_document_read(filing)
    return {
        **generic_document_to_json(document),
        "computed": generic_filing_computed(filing=filing, document=document),
    }


def generic_filing_import(
    *,
    document: GenericDocument,
    replace: bool = False,
    actor=None,
    author=None,
    source: str = FilingRevision.Source.JSON,
) -> Filing:
    """Save the generic `document` (as read by interchange.document_from_json)
    as a filing; services.interchange.filing_import with the same rules and
    arguments hands a generic document here.

    The filing must be (or, when new, its jurisdiction's year must be
    assigned to) the document's template, else DocumentError at
    "form_template": a filing keeps the forms it was made on. A web import
    (`actor`) stays within the reviewer's rights and creates nothing but the
    filing; the server's import (no actor) creates a missing jurisdiction,
    department or fiscal year. A file equal to the saved filing writes
    nothing. Everything happens in one transaction; raises DocumentError
    (interchange's, each problem with its path) for any refusal.
    """
    identity = f"{document.template_code}@{document.template_version}"
    label = f"{document.department.name} {document.fiscal_year}年度的自评"
    exists = f"{label}已存在；如需覆盖，请选择覆盖导入（命令行加 --replace）。"
    with transaction.atomic():
        filing = (
            Filing.objects.select_for_update(of=("self",))
            .filter(
                department__name=document.department.name,
                department__jurisdiction__name=document.department.jurisdiction,
                fiscal_year__year=document.fiscal_year,
            )
            .first()
        )
        if actor is not None:
            import_rights_check(document=document, actor=actor, filing=filing)
        recorded = actor if actor is not None else author
        if filing is not None:
            if not replace:
                raise ImportRefused("$", exists)
            if actor is not None and filing.status != Filing.Status.RETURNED:
                raise ImportRefused(
                    "$",
                    f"{label}状态为“{filing.get_status_display()}”：导入只能覆盖已退回的自评；"
                    "草稿可能正由部门填写，已报送/已审核/已公开的需先退回。",
                )
            if not filing.is_editable:
                raise ImportRefused(
                    "$",
                    f"{label}状态为“{filing.get_status_display()}”：已报送/已审核/已公开的自评"
                    "不能覆盖，需先退回。",
                )
            used = filing_form_template(filing)
            if used.identity != identity:
                raise ImportRefused(
                    "form_template", f"{label}使用表式 {used.identity}，文件为 {identity}。"
                )
            try:
                return generic_document_write(
                    filing=filing,
                    document=document,
                    actor=recorded,
                    expected_version=filing.version,
                    source=source,
                ).filing
            except DocumentError as error:
                raise ImportRefused.of(
                    [Problem(p.path, p.message) for p in error.problems]
                ) from None

        if actor is None:
            jurisdiction, _ = Jurisdiction.objects.get_or_create(
                name=document.department.jurisdiction
            )
            department, _ = Department.objects.get_or_create(
                jurisdiction=jurisdiction,
                name=document.department.name,
                defaults={"code": document.department.code},
            )
            fiscal_year = FiscalYear.objects.filter(year=document.fiscal_year).first()
            if fiscal_year is None:
                fiscal_year = FiscalYear.objects.create(
                    year=document.fiscal_year,
                    is_open=True,
                    default_template=scoring_template_default(),
                )
        else:
            department = Department.objects.get(
                jurisdiction__name=document.department.jurisdiction,
                name=document.department.name,
            )
            fiscal_year = FiscalYear.objects.get(year=document.fiscal_year)
        form_template = form_template_for(department=department, fiscal_year=fiscal_year)
        if form_template.identity != identity:
            raise ImportRefused(
                "form_template",
                f"{department.jurisdiction.name}{fiscal_year.year}年度的自评使用表式 "
                f"{form_template.identity}，文件为 {identity}；请由系统管理员在后台"
                "“行政区划年度表式”中指定。",
            )
        try:
            with transaction.atomic():
                return generic_filing_create(
                    department=department,
                    fiscal_year=fiscal_year,
                    form_template=form_template,
                    actor=recorded,
                    source=source,
                    document=document,
                ).filing
        except IntegrityError:
            raise ImportRefused("$", exists) from None
        except DocumentError as error:
            raise ImportRefused.of([Problem(p.path, p.message) for p in error.problems]) from None

"""评定分数: the reviewer's own column of a generic filing, written while it is
under review.

The officer's content is frozen once a filing is submitted (the one write
path, generic_persistence.generic_document_write, refuses anything but a draft
or a returned filing). The bureau's 评定分数 (the column of role
`review_score`, FORMS.md: 自评分数 and 评定分数 side by side) is written exactly
while the officer's is not: by a reviewer who may approve the filing, while
it is 已报送. Nothing but that column changes; the write is a new version with
its FilingRevision, like any other.
"""

from dataclasses import replace
from decimal import Decimal

from django.db import transaction

from evaluations.core.generic import DocumentError, GenericDocument
from evaluations.core.template import TemplateProblem, number_text
from evaluations.models import Filing, FilingRevision, FilingRow
from evaluations.services.form_templates import filing_form_template
from evaluations.services.generic_persistence import (
    generic_content_write,
    generic_document_read,
    generic_version_finish,
)
from evaluations.services.persistence import (
    RowKeys,
    StaleFiling,
    WriteResult,
    filing_not_editable,
)
from evaluations.services.workflow import TRANSITIONS, actor_may_make

APPROVE = TRANSITIONS[(Filing.Status.SUBMITTED, Filing.Status.APPROVED)]


class ReviewNotAllowed(Exception):
    """The actor may not review this filing (not its jurisdiction's reviewer,
    or an officer of its department)."""


def _review_cells(template, saved: GenericDocument, posted: GenericDocument) -> GenericDocument:
    """`saved` with the 评定分数 of `posted`, row by row (the same row at the
    same place); every other cell stays as saved. Raises DocumentError for a
    评定分数 below 0 or above the row's maximum."""
    problems = []
    tables = {}
    for table in template.tables:
        column = table.column_for_role("review_score")
        rows = saved.tables.get(table.key, [])
        if column is None:
            tables[table.key] = rows
            continue
        new_rows = []
        posted_rows = posted.tables.get(table.key, [])
        for index, row in enumerate(rows):
            other = posted_rows[index] if index < len(posted_rows) else None
            same = other is not None and (other.row, other.group) == (row.row, row.group)
            value = other.cells.get(column.key) if same else row.cells.get(column.key)
            cells = {key: cell for key, cell in row.cells.items() if key != column.key}
            if value is not None:
                cells[column.key] = value
                problem = _out_of_range(table, row, index, value, column.label)
                if problem:
                    problems.append(TemplateProblem(f"tables.{table.key}[{index}]", problem))
            new_rows.append(replace(row, cells=cells))
        tables[table.key] = new_rows
    if problems:
        raise DocumentError(problems)
    return replace(saved, tables=tables)


def _out_of_range(table, row, index: int, value, label: str) -> str:
    entry = table.row(row.row) if row.row else None
    maximum = entry.row.max_points if entry is not None else None
    if maximum is None:
        column = table.column_for_role("max_points")
        entered = row.cells.get(column.key) if column is not None else None
        maximum = entered if isinstance(entered, Decimal) else None
    if isinstance(value, Decimal) and (value < 0 or (maximum is not None and value > maximum)):
        limit = f"0至{number_text(maximum)}" if maximum is not None else "不小于0"
        name = entry.row.label if entry is not None else f"第{index + 1}行"
        return f"{table.title}“{name}”的{label}应在{limit}之间，现为{number_text(value)}。"
    return ""


def generic_review_scores_write(
    *, filing: Filing, document: GenericDocument, actor, expected_version: int | None
) -> WriteResult:
    """Write the 评定分数 cells of `document` into the generic filing `filing`,
    nothing else, as a new version by `actor` (FilingRevision source 网页填报).

    In one transaction with the filing row locked. Refused with
    FilingNotEditable unless the filing is 已报送, ReviewNotAllowed unless
    `actor` may approve it (a reviewer of its jurisdiction who is not one of
    its officers), StaleFiling when its version is not `expected_version`,
    and DocumentError for a 评定分数 below 0 or above its row's maximum;
    nothing is written then. Equal scores write nothing (`changed` False).
    """
    with transaction.atomic():
        locked = (
            # Only the filing's row is locked: PostgreSQL cannot lock the
            # nullable side of the outer join to its form template.
            Filing.objects.select_for_update(of=("self",))
            .select_related("department__jurisdiction", "fiscal_year", "form_template")
            .get(pk=filing.pk)
        )
        if locked.status != Filing.Status.SUBMITTED:
            error = filing_not_editable(locked)
            raise type(error)(
                f"该填报当前状态为“{locked.get_status_display()}”，"
                "只有已报送（审核中）的填报可以填写评定分数。"
            )
        if not actor_may_make(move=APPROVE, filing=locked, actor=actor):
            raise ReviewNotAllowed("只有该填报所属地区的审核人可以填写评定分数（填报人不能）。")
        if locked.version != expected_version:
            raise StaleFiling(expected_version=expected_version, current_version=locked.version)
        template = filing_form_template(locked).template()
        saved = generic_document_read(locked)
        new = _review_cells(template, saved, document)
        rows = list(FilingRow.objects.filter(filing=locked).order_by("table", "position"))
        if not generic_content_write(filing=locked, template=template, document=new, saved=rows):
            return WriteResult(filing=locked, changed=False, keys=RowKeys())
        locked.version += 1
        return generic_version_finish(
            filing=locked,
            template=template,
            document=new,
            actor=actor,
            source=FilingRevision.Source.PAGE,
        )

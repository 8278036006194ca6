"""Workbooks saved again by an office suite: every exported and blank workbook
of every shipped form template, opened and saved as .xlsx by LibreOffice
Calc (as an officer who fills the form in LibreOffice or WPS would), imports
back with no change — and keeps what makes it a form: the protection, the
drop-down lists and the hidden row names of the generic layout."""

import io

import openpyxl
import pytest

from evaluations.core.generic import generic_score
from evaluations.form_templates import shipped_template_bytes
from evaluations.services.excel import blank_workbook, document_from_workbook, filing_workbook
from evaluations.services.form_templates import filing_form_template, form_template_install
from evaluations.services.generic_excel import (
    INFO_SHEET,
    blank_template_workbook,
    generic_document_from_workbook,
    generic_workbook,
)
from evaluations.services.generic_persistence import generic_document_read
from evaluations.services.interchange import document_to_dict
from evaluations.services.persistence import filing_document
from tests.evaluations.views.test_generic_pages import HEBEI, HUBEI, generic_filing
from tests.helpers import import_example
from tests.office import needs_soffice, soffice_convert

pytestmark = [pytest.mark.django_db, needs_soffice]

HUNAN_EXAMPLES = ("beita-2023", "junshan-2023")
GENERIC_EXAMPLES = (HUBEI, HEBEI)


def through_libreoffice(data: bytes) -> bytes:
    return soffice_convert(data, to="xlsx")


def read_hunan(data: bytes, filing):
    return document_to_dict(
        document=document_from_workbook(
            data=data,
            department_name=filing.department.name,
            jurisdiction_name=filing.department.jurisdiction.name,
            year=filing.fiscal_year.year,
        )
    )


def form_properties(data: bytes) -> dict:
    """What makes each sheet a form, as openpyxl reads it: protection, the
    drop-down lists (by the cells they cover), merged ranges, hidden columns,
    which cells are unlocked for the officer, and how it prints (area,
    repeated rows, page breaks, paper, scale, footer)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    properties = {}
    for sheet in book.worksheets:
        properties[sheet.title] = {
            "protected": sheet.protection.sheet,
            "lists": sorted(
                (str(validation.sqref), validation.formula1)
                for validation in sheet.data_validations.dataValidation
            ),
            "merged": sorted(str(merged) for merged in sheet.merged_cells.ranges),
            "hidden": sorted(
                letter for letter, column in sheet.column_dimensions.items() if column.hidden
            ),
            "unlocked": sorted(
                cell.coordinate
                for row in sheet.iter_rows()
                for cell in row
                if cell.protection.locked is False
            ),
            "print": (
                sheet.print_area,
                sheet.print_title_rows,
                sorted(brk.id for brk in sheet.row_breaks.brk),
                sheet.page_setup.paperSize,
                sheet.page_setup.orientation,
                sheet.page_setup.scale,
                sheet.oddFooter.left.text,
                sheet.oddFooter.center.text,
                sheet.oddFooter.right.text,
            ),
        }
    return properties


@pytest.mark.parametrize("name", HUNAN_EXAMPLES)
def test_hunan_workbook_saved_by_libreoffice_imports_back_unchanged(name):
    filing = import_example(name)
    data = filing_workbook(filing=filing)

    saved = through_libreoffice(data)

    assert read_hunan(saved, filing) == document_to_dict(document=filing_document(filing=filing))
    assert form_properties(saved) == form_properties(data)


def test_blank_hunan_workbook_saved_by_libreoffice_reads_as_the_blank_one():
    filing = import_example("junshan-2023")
    data = blank_workbook(department=filing.department, fiscal_year=filing.fiscal_year)

    saved = through_libreoffice(data)

    assert read_hunan(saved, filing) == read_hunan(data, filing)
    assert form_properties(saved) == form_properties(data)


@pytest.mark.parametrize("example", GENERIC_EXAMPLES, ids=lambda example: example[1])
def test_generic_workbook_saved_by_libreoffice_imports_back_unchanged(example):
    filing = generic_filing(example)
    template = filing_form_template(filing).template()
    document = generic_document_read(filing)
    data = generic_workbook(
        template=template, document=document, score=generic_score(document, template)
    )

    saved = through_libreoffice(data)

    assert generic_document_from_workbook(saved, template=template) == document
    assert form_properties(saved) == form_properties(data)


@pytest.mark.parametrize("example", GENERIC_EXAMPLES, ids=lambda example: example[1])
def test_blank_generic_workbook_saved_by_libreoffice_reads_as_the_blank_one(example):
    template = form_template_install(data=shipped_template_bytes(example[1]), actor=None).template()
    data = blank_template_workbook(template)
    # The officer names the department and year first, as the form asks.
    book = openpyxl.load_workbook(io.BytesIO(data))
    info = book[INFO_SHEET]
    for row in range(1, info.max_row + 1):
        key = info[f"A{row}"].value
        if key == "department:name":
            info[f"C{row}"] = "某局"
        elif key == "fiscal_year":
            info[f"C{row}"] = 2024
    named = io.BytesIO()
    book.save(named)
    data = named.getvalue()

    saved = through_libreoffice(data)

    assert generic_document_from_workbook(saved, template=template) == (
        generic_document_from_workbook(data, template=template)
    )
    assert form_properties(saved) == form_properties(data)

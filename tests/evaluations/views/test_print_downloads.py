"""What a user downloads through the pages prints as issue 13 asks: the
workbooks (a filing's, the blank one, a generic filing's) carry the print set-up
of services.workbook_print, and the report and blank forms are tagged PDF/UA
naming the department as author."""

import io

import openpyxl
import pytest
from django.urls import reverse
from pypdf import PdfReader

from evaluations.services.excel import SHEET_SCORE
from tests.evaluations.views.test_generic_pages import HEBEI, generic_filing
from tests.factories import officer_of
from tests.helpers import import_example

pytestmark = pytest.mark.django_db

PAGE_NUMBERS = "第 &P 页 共 &N 页"


def printable(data: bytes, department: str):
    """The workbook of `data`, every sheet of which prints on A4 with its
    header row repeated and a footer naming `department`, in SimSun."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4), sheet.title
        assert sheet.print_area and sheet.print_title_rows, sheet.title
        footer = sheet.oddFooter
        assert (footer.left.text, footer.center.text, footer.right.text) == (
            department,
            "&A",
            PAGE_NUMBERS,
        ), sheet.title
        fonts = {cell.font.name for row in sheet.iter_rows() for cell in row if cell.value}
        assert fonts == {"SimSun"}, sheet.title
    return book


def tagged(data: bytes, author: str) -> None:
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    assert "/StructTreeRoot" in root
    assert reader.metadata.author == author
    assert "pdfuaid" in reader.xmp_metadata.rdf_root.toxml()


def test_an_officers_workbook_and_report_download_print_ready_and_tagged(client):
    filing = import_example("junshan-2023")
    name = filing.department.name
    client.force_login(officer_of(filing.department))

    workbook = client.get(reverse("evaluations:filing_export_xlsx", args=[filing.pk]))
    report = client.get(reverse("evaluations:filing_report", args=[filing.pk]))

    book = printable(workbook.content, name)
    assert book[SHEET_SCORE].page_setup.orientation == "landscape"
    tagged(report.content, name)


def test_the_blank_workbook_and_forms_download_print_ready_without_a_score(client):
    filing = import_example("junshan-2023")
    name = filing.department.name
    client.force_login(officer_of(filing.department))
    args = [filing.department.pk, 2024]

    workbook = client.get(reverse("evaluations:blank_workbook", args=args))
    forms = client.get(reverse("evaluations:blank_forms_pdf", args=args))

    score = printable(workbook.content, name)[SHEET_SCORE]
    total = next(row for row in range(1, score.max_row + 1) if score[f"A{row}"].value == "总分")
    assert [score[f"H{row}"].value for row in range(total, total + 3)] == [None, None, None]
    tagged(forms.content, name)


def test_a_generic_filings_workbook_downloads_print_ready(client):
    filing = generic_filing(HEBEI)
    client.force_login(officer_of(filing.department))

    workbook = client.get(reverse("evaluations:generic_export_xlsx", args=[filing.pk]))

    assert workbook.status_code == 200
    printable(workbook.content, filing.department.name)

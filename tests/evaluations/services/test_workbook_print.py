"""Every workbook prints legibly on A4 (services.workbook_print): the Hunan
workbook exported and blank, each generic template's exported and blank, and
two long filings that run over several pages. What openpyxl reads is checked
first (print area, repeated rows, footer, fonts, heights, row breaks); then
each workbook is printed once by LibreOffice (tests/office.py) and its PDF
must have the planned pages, the header row on every page, nothing under
9 pt, Noto Serif CJK only, every text within its row and the totals with
table rows above them."""

import copy
import io
import json
import re
import subprocess
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from xml.etree import ElementTree

import openpyxl
import pytest
import weasyprint
from openpyxl.utils import get_column_letter
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTCurve, LTFigure, LTLine, LTRect, LTTextContainer
from PIL import Image, ImageChops, ImageOps, ImageStat

from evaluations.core.document import Building, Department, FilingDocument, ProjectItem
from evaluations.core.generic import generic_document_from_json, generic_score
from evaluations.core.scoring import document_score
from evaluations.core.template import template_from_bytes
from evaluations.form_templates import shipped_template_bytes
from evaluations.models import ScoringTemplate
from evaluations.services.excel import (
    SHEET_BASIC,
    SHEET_SCORE,
    blank_workbook,
    workbook_from_document,
)
from evaluations.services.generic_excel import blank_template_workbook, generic_workbook
from evaluations.services.interchange import document_from_bytes
from evaluations.services.workbook_print import (
    BODY_SIZE,
    MAX_ROW_HEIGHT,
    UNNAMED,
    cell_font,
    cell_height,
    page_breaks,
    planned_pages,
)
from tests.helpers import EXAMPLES, example_bytes, import_example
from tests.office import (
    needs_soffice,
    pdf_font_names,
    pdf_pages_text,
    pdf_printed_sizes,
    soffice_convert,
)

HUBEI = "hubei-suizhou-overall@2023"
HEBEI = "hebei-baoding-assessment@2023"
BLANKS = ("junshan-blank", "hubei-blank", "hebei-blank")
# Table rows the totals and the signature line never leave (issue 13).
ROWS_ABOVE = 3


# The workbooks ------------------------------------------------------------------------


def hunan(document):
    score = document_score(document=document, template=ScoringTemplate())
    return workbook_from_document(document=document, score=score)


def hunan_long():
    """君山 with five times its indicators, some with long deviation texts, three
    projects of four times theirs, thirty project items, twenty-five
    buildings and a long 主要职能职责."""
    document = document_from_bytes(example_bytes("junshan-2023"))
    document.indicators = [copy.deepcopy(row) for row in document.indicators * 5]
    # Taking as many rows as fit would leave 总分 at the top of 附件2's last page.
    for row in document.indicators[::5]:
        row.deviation = "受年中政策调整影响，部分任务延后至下年度完成。" * 3
    project = document.projects[0]
    project.indicators = [copy.deepcopy(row) for row in project.indicators * 4]
    document.projects = [copy.deepcopy(project) for _ in range(3)]
    document.basic_data.project_items = [
        ProjectItem(name=f"专项业务经费（第{number + 1}项）", budget=Decimal("12.5"))
        for number in range(30)
    ]
    document.basic_data.buildings = [
        Building(
            name=f"办公用房维修改造工程第{number + 1}期",
            approved_area=Decimal(1200),
            actual_area=Decimal(1150),
            budget_investment=Decimal(300),
            actual_investment=Decimal("298.5"),
        )
        for number in range(25)
    ]
    document.profile.functions = "负责全区综合协调、督查督办、机要保密和信息化建设工作。" * 24
    return hunan(document)


def generic_template(identity):
    return template_from_bytes(shipped_template_bytes(identity))


def generic(name, identity, extra_rows=0):
    """The demo filing `name`; `extra_rows` more rows in each free slot of
    the 整体绩效自评表 (up to its max_rows) make it long."""
    template = generic_template(identity)
    raw = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    rows = raw["tables"].get("self_evaluation", [])
    for group in ("core_output", "economic_benefit", "social_benefit", "client_satisfaction"):
        for number in range(extra_rows):
            cells = {
                "label": f"自设指标{number + 1}：重点工作任务按期完成情况",
                "target": "按时完成年度计划任务，质量达到验收标准",
                "actual": "已完成",
                "category": "绩效基本型",
            }
            rows.append({"group": group, "cells": cells, "not_applicable": False, "reason": ""})
    document = generic_document_from_json(raw, template)
    return generic_workbook(
        template=template, document=document, score=generic_score(document, template)
    )


BUILDERS = {
    "beita": lambda: hunan(document_from_bytes(example_bytes("beita-2023"))),
    "junshan": lambda: hunan(document_from_bytes(example_bytes("junshan-2023"))),
    "junshan-blank": lambda: workbook_from_document(
        document=FilingDocument(
            fiscal_year=2023,
            department=Department(name="中共岳阳市君山区委办公室", jurisdiction="岳阳市君山区"),
        ),
        score=None,
    ),
    "hunan-long": hunan_long,
    "zengdu": lambda: generic("zengdu-2023", HUBEI),
    "hebei-demo": lambda: generic("hebei-demo-2023", HEBEI),
    "hubei-blank": lambda: blank_template_workbook(generic_template(HUBEI)),
    "hebei-blank": lambda: blank_template_workbook(generic_template(HEBEI)),
    "hubei-long": lambda: generic("zengdu-2023", HUBEI, extra_rows=14),
}
NAMES = list(BUILDERS)


@pytest.fixture(scope="module")
def workbooks():
    return {name: build() for name, build in BUILDERS.items()}


@pytest.fixture(scope="module")
def pdfs(workbooks):
    """Each workbook printed once by LibreOffice (each call has a profile of
    its own, so they run side by side)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        printed = pool.map(soffice_convert, workbooks.values())
        return dict(zip(workbooks, printed, strict=True))


def book(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def title_row_cells(sheet):
    first, last = (int(part) for part in sheet.print_title_rows.replace("$", "").split(":"))
    return [
        cell
        for row in sheet.iter_rows(min_row=first, max_row=last)
        for cell in row
        if isinstance(cell.value, str) and cell.value.strip()
        and not sheet.column_dimensions[cell.column_letter].hidden
    ]  # fmt: skip


def sheet_pages(workbook):
    """(sheet, first row, last row) of each page the workbook prints, in order."""
    return [(sheet, *page) for sheet in workbook.worksheets for page in planned_pages(sheet)]


def department(name):
    return {
        "beita": "邵阳市北塔区人民政府办公室",
        "zengdu": "曾都区人民政府办公室",
        "hubei-long": "曾都区人民政府办公室",
        "hebei-demo": "示例县示例局",
        "hubei-blank": UNNAMED,
        "hebei-blank": UNNAMED,
    }.get(name, "中共岳阳市君山区委办公室")


# What openpyxl reads ------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_sheet_prints_on_a4_at_a_fixed_legible_scale(workbooks, name):
    for sheet in book(workbooks[name]).worksheets:
        setup = sheet.page_setup
        assert int(setup.paperSize) == int(sheet.PAPERSIZE_A4), sheet.title
        assert not sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert setup.scale * BODY_SIZE / 100 >= 9, sheet.title
        first = "B" if sheet.column_dimensions["A"].hidden else "A"
        last = get_column_letter(sheet.max_column)
        assert sheet.print_area == f"'{sheet.title}'!${first}$1:${last}${sheet.max_row}"


@pytest.mark.parametrize("name", NAMES)
def test_the_table_header_repeats_and_the_footer_names_department_sheet_and_page(workbooks, name):
    for sheet in book(workbooks[name]).worksheets:
        headers = title_row_cells(sheet)
        assert headers, sheet.title
        assert all(cell.font.b for cell in headers), sheet.title
        footer = sheet.oddFooter
        assert (footer.left.text, footer.center.text, footer.right.text) == (
            department(name),
            "&A",
            "第 &P 页 共 &N 页",
        )
        assert {footer.left.font, footer.center.font, footer.right.font} == {"SimSun,Regular"}


def test_the_indicator_and_fund_headers_are_the_repeated_rows(workbooks):
    workbook = book(workbooks["junshan"])

    assert workbook[SHEET_SCORE].print_title_rows == "$12:$12"
    assert workbook["附件3-1"].print_title_rows == "$11:$11"
    assert workbook[SHEET_BASIC]["A5"].value == "经费控制情况（万元）"
    assert workbook[SHEET_BASIC].print_title_rows == "$5:$5"


@pytest.mark.parametrize("name", NAMES)
def test_every_cell_and_the_default_style_name_simsun(workbooks, name):
    data = workbooks[name]
    for sheet in book(data).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.font.name == "SimSun", (sheet.title, cell.coordinate)
    assert normal_style_font(data) == "SimSun"


def normal_style_font(data):
    """The font name of the workbook's Normal cell style, read from styles.xml."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    fonts = styles.find(f"{main}fonts").findall(f"{main}font")
    normal = next(s for s in styles.iter(f"{main}cellStyle") if s.get("builtinId") == "0")
    xf = styles.find(f"{main}cellStyleXfs").findall(f"{main}xf")[int(normal.get("xfId"))]
    return fonts[int(xf.get("fontId"))].find(f"{main}name").get("val")


@pytest.mark.parametrize("name", NAMES)
def test_every_row_has_an_explicit_height_that_holds_its_cells(workbooks, name):
    for sheet in book(workbooks[name]).worksheets:
        heights = {row: sheet.row_dimensions[row].height for row in range(1, sheet.max_row + 1)}
        assert None not in heights.values(), sheet.title
        spans = {(m.min_row, m.min_col): m for m in sheet.merged_cells.ranges}
        for row in sheet.iter_rows():
            for cell in row:
                merged = spans.get((cell.row, cell.column))
                rows = range(cell.row, (merged.max_row if merged else cell.row) + 1)
                needed = min(cell_height(sheet, cell), MAX_ROW_HEIGHT)
                assert sum(heights[r] for r in rows) >= needed, (sheet.title, cell.coordinate)


@pytest.mark.parametrize(
    ("name", "sheets"),
    [("hunan-long", [SHEET_BASIC, SHEET_SCORE, "附件3-3"]), ("hubei-long", ["整体绩效自评表"])],
)
def test_a_long_filing_is_broken_into_pages_by_hand(workbooks, name, sheets):
    workbook = book(workbooks[name])
    for title in sheets:
        breaks = workbook[title].row_breaks.brk
        assert len(breaks) >= 2, title
        assert all(brk.man for brk in breaks), title


@pytest.mark.parametrize("name", ["junshan", "hunan-long", "hubei-long", "zengdu", "hebei-demo"])
def test_the_totals_start_on_a_page_below_table_rows(workbooks, name):
    workbook = book(workbooks[name])
    for sheet, first, last in sheet_pages(workbook):
        labels = [sheet[f"A{row}"].value for row in range(first, last + 1)]
        for closing in ("总分", "#total"):
            if closing in labels:
                assert labels.index(closing) >= ROWS_ABOVE, (sheet.title, first)


def test_blank_hunan_workbook_shows_no_figure_of_a_score():
    data = BUILDERS["junshan-blank"]()
    workbook = book(data)
    score = workbook[SHEET_SCORE]
    total = next(row for row in range(1, score.max_row + 1) if score[f"A{row}"].value == "总分")

    computed = [
        workbook["年度资金"]["F3"],
        workbook["年度资金"]["G3"],
        workbook[SHEET_BASIC]["D4"],
        *(score[f"{column}4"] for column in "GHI"),
        *(score[f"K{row}"] for row in range(13, total)),
        score[f"G{total}"],
        score[f"H{total}"],
        score[f"H{total + 1}"],
        score[f"H{total + 2}"],
    ]
    assert [cell.value for cell in computed] == [None] * len(computed)


@pytest.mark.django_db
def test_blank_workbook_of_a_department_shows_no_score_either():
    filing = import_example("junshan-2023")
    workbook = book(blank_workbook(department=filing.department, fiscal_year=filing.fiscal_year))
    score = workbook[SHEET_SCORE]
    total = next(row for row in range(1, score.max_row + 1) if score[f"A{row}"].value == "总分")

    assert [score[f"H{row}"].value for row in range(total, total + 3)] == [None, None, None]
    assert workbook["年度资金"]["G3"].value is None


@pytest.mark.parametrize("name", ["hubei-blank", "hebei-blank"])
def test_blank_generic_workbook_shows_no_total_or_grade(workbooks, name):
    totals = [
        (sheet[f"B{row}"].value, sheet.cell(row=row, column=sheet.max_column).value)
        for sheet in book(workbooks[name]).worksheets[1:]
        for row in range(1, sheet.max_row + 1)
        if sheet[f"A{row}"].value == "#total" and sheet[f"B{row}"].value not in ("说明", "计算方法")
    ]

    assert "等次" in dict(totals)
    assert totals == [(label, None) for label, _ in totals]


# How LibreOffice prints them --------------------------------------------------------------


@needs_soffice
@pytest.mark.parametrize("name", NAMES)
def test_libreoffice_prints_the_planned_pages_each_with_the_header_row(workbooks, pdfs, name):
    workbook = book(workbooks[name])
    pages = sheet_pages(workbook)
    texts = raw_pages_text(pdfs[name])

    assert len(pdf_pages_text(pdfs[name])) == len(pages)
    assert len(texts) == len(pages)
    for number, ((sheet, first, _), text) in enumerate(zip(pages, texts, strict=True), 1):
        flat = re.sub(r"\s", "", text)
        for cell in title_row_cells(sheet):
            assert re.sub(r"\s", "", cell.value) in flat, (sheet.title, first, cell.value)
        assert f"第{number}页共{len(pages)}页" in flat


def raw_pages_text(pdf):
    """Each page's text in the order LibreOffice drew it (pdftotext -raw):
    the lines of a wrapped cell stay together."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        text = subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", file.name, "-"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


@needs_soffice
@pytest.mark.parametrize("name", NAMES)
def test_libreoffice_prints_nothing_under_9_points_in_noto_serif_cjk_only(pdfs, name):
    sizes = pdf_printed_sizes(pdfs[name])

    assert all(size >= 9 for size, _ in sizes), sizes
    fonts = pdf_font_names(pdfs[name])
    assert fonts and all(font.startswith("NotoSerifCJK") for font in fonts), fonts


@needs_soffice
@pytest.mark.parametrize("name", NAMES)
def test_every_printed_text_stays_within_its_row(pdfs, name):
    """A row too low for its text shows it cut in LibreOffice's PDF: the
    glyphs of a line then cross the border under or above it."""
    crossing = [
        (number, line.text)
        for number, page in enumerate(pdf_layout(pdfs[name]), 1)
        for line in page.lines
        if any(
            rule.x0 < line.x1 - 1 and rule.x1 > line.x0 + 1 and line.y0 + 1 < rule.y < line.y1 - 1
            for rule in page.rules
        )
    ]

    assert crossing == []


@needs_soffice
@pytest.mark.parametrize("name", ["junshan", "hunan-long", "zengdu", "hebei-demo", "hubei-long"])
def test_the_page_of_the_totals_also_holds_rows_of_the_table(workbooks, pdfs, name):
    """On the page printing 总分 (Hunan), the generic totals or the 附件1
    signature line, at least ROWS_ABOVE table rows stand between the
    repeated header row and it: ROWS_ABOVE + 1 row borders."""
    workbook = book(workbooks[name])
    found = 0
    for (sheet, _, _), page in zip(sheet_pages(workbook), pdf_layout(pdfs[name]), strict=True):
        label = closing_label(sheet)
        closing = label and page.line(label)
        if not closing:
            continue
        found += 1
        top = page.header_bottom([cell.value for cell in title_row_cells(sheet)])
        borders = {round(rule.y) for rule in page.rules if closing.y1 < rule.y < top}
        assert len(borders) >= ROWS_ABOVE + 1, (sheet.title, label, sorted(borders))
    assert found


def closing_label(sheet):
    """The first label of the rows that close `sheet`'s table: 总分 (附件2,
    附件3), 厉行节约保障措施 (附件1, whose closing block starts with the
    buildings' table where it fits), a generic table's first total."""
    if sheet.title == SHEET_BASIC:
        return "厉行节约保障措施"
    for row in range(1, sheet.max_row + 1):
        if sheet[f"A{row}"].value == "总分":
            return "总分"
        if sheet[f"A{row}"].value == "#total":
            return sheet[f"B{row}"].value
    return None


@needs_soffice
@pytest.mark.parametrize("name", BLANKS)
def test_libreoffice_prints_no_score_or_grade_on_a_blank_form(pdfs, name):
    text = layout_text(pdfs[name])
    for line in text.splitlines():
        words = line.split()
        if words and words[0] in ("等次", "总分", "换算得分", "单位自评得分（总分）"):
            assert len(words) == 1 or not re.search(r"\d|^[优良中差]$", words[-1]), line
    if name == "junshan-blank":
        assert "0.00" not in text


def layout_text(pdf):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        return subprocess.run(
            ["pdftotext", "-layout", "-enc", "UTF-8", file.name, "-"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()


class Box:
    def __init__(self, x0, y0, x1, y1, text=""):
        self.x0, self.y0, self.x1, self.y1, self.text = x0, y0, x1, y1, text
        self.y = (y0 + y1) / 2


class Page:
    """A PDF page as pdfminer reads it: its horizontal rules (cell borders)
    and its lines of text with the box of their glyphs."""

    def __init__(self):
        self.rules: list[Box] = []
        self.lines: list[Box] = []

    def line(self, start):
        """The first line starting with `start` (pdfminer joins the texts of
        neighbouring cells into one line)."""
        return next((line for line in self.lines if line.text.startswith(start)), None)

    def header_bottom(self, headers):
        """The lower edge of the header row: of the topmost line holding the
        longest of `headers` printed on one line (short ones such as 得分
        recur in the table)."""
        for header in sorted((re.sub(r"\s", "", text) for text in headers), key=len, reverse=True):
            found = [line.y0 for line in self.lines if header in line.text]
            if found:
                return max(found)
        raise AssertionError(f"no header of {headers} on the page")


def pdf_layout(pdf) -> list[Page]:
    pages = []
    for layout in extract_pages(io.BytesIO(pdf)):
        page = Page()
        _collect(layout, page)
        pages.append(page)
    return pages


def _collect(container, page):
    for element in container:
        if isinstance(element, LTRect | LTLine | LTCurve):
            x0, y0, x1, y1 = element.bbox
            if y1 - y0 < 1.5 and x1 - x0 > 2:
                page.rules.append(Box(x0, y0, x1, y1))
        elif isinstance(element, LTFigure):
            _collect(element, page)
        elif isinstance(element, LTTextContainer):
            for line in element:
                chars = [c for c in line if isinstance(c, LTChar) and c.get_text().strip()]
                if chars:
                    page.lines.append(
                        Box(
                            min(c.x0 for c in chars),
                            min(c.y0 for c in chars),
                            max(c.x1 for c in chars),
                            max(c.y1 for c in chars),
                            re.sub(r"\s", "", line.get_text()),
                        )
                    )


# Planning pages ------------------------------------------------------------------------


def test_each_page_takes_the_rows_that_fit():
    heights = dict.fromkeys(range(1, 11), 30.0)

    assert page_breaks(heights, page=100) == [3, 6, 9]


def test_the_repeated_title_rows_take_room_from_every_later_page():
    heights = dict.fromkeys(range(1, 11), 30.0)

    assert page_breaks(heights, page=100, title_rows=(1, 1)) == [3, 5, 7, 9]


def test_a_heading_is_never_last_on_a_page():
    heights = dict.fromkeys(range(1, 11), 30.0)

    assert page_breaks(heights, page=100, headings={3}) == [2, 5, 8]


def test_the_closing_block_keeps_its_table_rows():
    heights = dict.fromkeys(range(1, 13), 30.0)

    # Rows 11–12 close the sheet: rows 8–10 go with them.
    assert page_breaks(heights, page=160, closing=(11,)) == [5, 7]


def test_an_outer_closing_block_too_long_for_a_page_gives_way_to_the_inner_one():
    heights = dict.fromkeys(range(1, 20), 30.0)

    # Rows 1–19 cannot share a page; rows 15–19 can.
    assert page_breaks(heights, page=160, closing=(4, 18)) == [5, 10, 14]


def test_a_short_merged_range_is_not_cut_when_an_earlier_break_is_near():
    heights = dict.fromkeys(range(1, 21), 20.0)

    assert page_breaks(heights, page=200, spans=[(9, 12)]) == [8, 18]


def test_blank_workbook_of_the_hunan_template_in_the_admin_shows_no_score_either():
    from evaluations.services.form_templates import blank_workbook_of

    workbook = book(blank_workbook_of(generic_template("hunan-overall@2023")))
    score = workbook[SHEET_SCORE]
    total = next(row for row in range(1, score.max_row + 1) if score[f"A{row}"].value == "总分")

    assert [score[f"H{row}"].value for row in range(total, total + 3)] == [None, None, None]
    assert workbook["年度资金"]["G3"].value is None


def glyph_image(pdf: bytes):
    """The first page's ink, cropped and scaled to a fixed box, in grey."""
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/page"
        with open(f"{path}.pdf", "wb") as file:
            file.write(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "100", "-png", "-singlefile", f"{path}.pdf", path],
            check=True,
            timeout=60,
        )
        page = Image.open(f"{path}.png").convert("L")
        page.load()
    ink = ImageOps.invert(page).getbbox()
    return page.crop(ink).resize((300, 100))


def difference(one, other) -> float:
    return ImageStat.Stat(ImageChops.difference(one, other)).mean[0]


@needs_soffice
def test_libreoffice_prints_simsun_with_the_simplified_chinese_glyphs():
    """Noto CJK's Japanese and Chinese faces share one font file, and the
    PDF's font name says "jp" for both: only the shapes tell. 直, 骨 and 角
    differ between the two; LibreOffice's print must match the SC face."""
    text = "直骨角"
    sheet = openpyxl.Workbook()
    cell = sheet.active["A1"]
    cell.value = text
    cell.font = cell_font(size=48)
    sheet.active.column_dimensions["A"].width = 40
    sheet.active.row_dimensions[1].height = 80
    data = io.BytesIO()
    sheet.save(data)
    printed = glyph_image(soffice_convert(data.getvalue()))

    def face(region):
        style = f"font: 48pt 'Noto Serif CJK {region}'"
        return glyph_image(weasyprint.HTML(string=f'<p style="{style}">{text}</p>').write_pdf())

    simplified, japanese = face("SC"), face("JP")

    assert difference(printed, simplified) < difference(printed, japanese) / 3

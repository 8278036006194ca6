"""How our workbooks print: legibly on A4, and the same from Excel, WPS and
LibreOffice (services.excel and services.generic_excel write every sheet
through here).

Left to itself an office suite prints a form badly: fit-to-width shrinks a
wide table to 6 pt, a row holding merged cells keeps a height too small for
its wrapped text, a font without Chinese glyphs falls back to whatever the
program finds, and automatic page breaks leave the 总分 row or the signature
line alone on a last page. So nothing is left to the program:

- Font: every cell, the workbook's Normal style and the footer name SimSun
  (宋体) — Excel and WPS know it by that name, and LibreOffice in a Chinese
  locale maps it to Noto Serif CJK SC (it maps "宋体" to a sans). The Normal
  style's font is also the unit of column widths: one digit of SimSun 11 pt,
  8 px = 6 pt in Excel and WPS, 6.15 pt in LibreOffice.
- Scale: every sheet prints at SCALE % (never fit-to-page), so 11 pt text
  prints at 9.35 pt. Each writer gives its columns at most
  `width_budget(orientation)` units, which are one page wide in every
  program at that scale; a wider sheet (a form template with many columns)
  is printed smaller so it stays one page wide.
- Row heights: every row written gets an explicit height, so all three
  programs lay the page out alike. Each cell's text is wrapped in that
  cell's own width (merged columns summed; CJK characters one em, Latin
  ones narrower, lines 1.45 em apart as Noto CJK sets them — SimSun's are
  closer — plus padding), rounded up to whole pixels (0.75 pt) so Excel
  does not round them. Excel cannot make a row taller than 409 pt: a
  longer text stays whole in its cell but prints cut (the report PDF
  prints it all).
- Pages: the row breaks are planned here from those heights and the page's
  printable height at the scale, less the repeated title rows and a safety
  margin, so no program adds a break of its own and the page count is
  known. A heading row is never last on a page, a range merged over a few
  rows is not cut where a break a little earlier avoids it, and the closing
  block (totals, 等次, signature line) stays with at least KEEP_BEFORE rows
  of the table above it.
- Print area, the table's header rows repeated on every page, and a footer:
  the department, the sheet's name (the &A code, so a copied 附件3 sheet
  names itself) and 第 &P 页 共 &N 页.
"""

import math
import re
from collections.abc import Iterable, Sequence, Set

from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.worksheet import Worksheet

FONT_NAME = "SimSun"
# GB2312: Excel takes the Chinese face even where the system locale is not Chinese.
FONT_CHARSET = 134
BODY_SIZE = 11
TITLE_SIZE = 16
# Percent; BODY_SIZE × SCALE / 100 = 9.35 pt printed.
SCALE = 85
# Table rows that stay on the page of the closing block.
KEEP_BEFORE = 3
# The footer of a form not yet filled in.
UNNAMED = "填报单位：______________"

PORTRAIT, LANDSCAPE = "portrait", "landscape"
_A4 = {PORTRAIT: (595.28, 841.89), LANDSCAPE: (841.89, 595.28)}  # points
_INCH = 72
# Inches. The footer sits 0.3 in from the bottom edge, below the body.
_MARGINS = {"left": 0.5, "right": 0.5, "top": 0.5, "bottom": 0.7, "header": 0.3, "footer": 0.3}
# A page's body is planned this much shorter and narrower than it is, for
# what the programs round differently.
_SAFETY = 0.03

# Points per unit of column width: the widest program (LibreOffice, 6.15)
# for what fits across a page, the narrowest (Excel and WPS, 6.0) for wrapping.
_UNIT_WIDEST = 6.2
_UNIT_NARROWEST = 6.0
# Left and right padding of a cell's text, in points; one indent level, three
# spaces of the Normal font in Excel, counted as three digits.
_CELL_PADDING = 4.0
_INDENT = 3 * _UNIT_NARROWEST
_LINE_HEIGHT = 1.45  # em
_ROW_PADDING = 4.5  # points
_PIXEL = 0.75  # points
# Excel's largest row height, in points.
MAX_ROW_HEIGHT = 409
# The widths of an unset column (Excel's default) and of bold text.
_DEFAULT_WIDTH = 8.43
_BOLD = 1.06

# Punctuation a line may not start with, and may not end with.
_CLOSING = set("，。、；：？！）》」』】〕”’…%,.;:?!)]}")
_OPENING = set("（《「『【〔“‘([{")
# A run of Latin letters and digits breaks only at a space; anything else anywhere.
_TOKEN = re.compile(r"[!-~]+ ?|.", re.DOTALL)


def cell_font(*, size: float = BODY_SIZE, bold: bool = False) -> Font:
    """The one font of our workbooks, at `size` points."""
    return Font(name=FONT_NAME, charset=FONT_CHARSET, size=size, bold=bold)


def workbook_use_font(workbook: Workbook) -> None:
    """Make SimSun the default font of a new `workbook`: the Normal style's
    (Excel measures column widths with it) and font 0, which cells without a
    font of their own use. openpyxl has no API for either."""
    body = cell_font()
    workbook._fonts = IndexedList([body])
    workbook._named_styles["Normal"].font = body


# Widths and heights -----------------------------------------------------------------


def width_budget(orientation: str) -> float:
    """Column width units that print one page wide at SCALE in every program."""
    return _printable(orientation)[0] * (1 - _SAFETY) * 100 / (SCALE * _UNIT_WIDEST)


def _printable(orientation: str) -> tuple[float, float]:
    """The body of an A4 page in points: (width, height)."""
    width, height = _A4[orientation]
    margin = {key: inches * _INCH for key, inches in _MARGINS.items()}
    return (
        width - margin["left"] - margin["right"],
        height - margin["top"] - margin["bottom"],
    )


def _em(char: str) -> float:
    """A character's advance in em: CJK (and anything not ASCII) one em, Latin
    letters and digits about half that (SimSun's are exactly half, Noto's
    proportional: wide capitals are counted wide)."""
    if not char.isascii():
        return 1.0
    if char.isupper() or char in "mwMW%@&":
        return 0.85
    return 0.6


def _tokens(paragraph: str) -> list[str]:
    """Units a line is not broken within: a Latin word, a CJK character, with
    closing punctuation kept on the line of what precedes it and opening
    punctuation on the line of what follows."""
    tokens: list[str] = []
    for token in _TOKEN.findall(paragraph):
        if tokens and (token[0] in _CLOSING or tokens[-1][-1] in _OPENING):
            tokens[-1] += token
        else:
            tokens.append(token)
    return tokens


def text_lines(text: str, width: float, *, size: float = BODY_SIZE, bold: bool = False) -> int:
    """How many lines `text` takes wrapped in a cell `width` column units wide."""
    available = width * _UNIT_NARROWEST * (1 - _SAFETY) - _CELL_PADDING
    em = size * (_BOLD if bold else 1)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for token in _tokens(paragraph):
            advance = sum(_em(char) for char in token) * em
            if used + advance <= available:
                used += advance
            elif advance <= available:
                lines, used = lines + 1, advance
            else:  # longer than a line: broken anywhere
                for char in token:
                    step = _em(char) * em
                    if used and used + step > available:
                        lines, used = lines + 1, 0.0
                    used += step
    return lines


def lines_height(lines: int, *, size: float = BODY_SIZE) -> float:
    """The row height in points that shows `lines` lines of `size` points."""
    return _pixels(lines * _LINE_HEIGHT * size + _ROW_PADDING)


def _pixels(points: float) -> float:
    return math.ceil(round(points / _PIXEL, 6)) * _PIXEL


def _column_width(ws: Worksheet, column: int) -> float:
    """The width of `column` in units, 0 when hidden (it does not print)."""
    dimension = ws.column_dimensions.get(get_column_letter(column))
    if dimension is None:
        return _DEFAULT_WIDTH
    return 0.0 if dimension.hidden else dimension.width or _DEFAULT_WIDTH


def cell_height(ws: Worksheet, cell: Cell) -> float:
    """The height in points `cell`'s text needs in its own (merged) width; 0
    for an empty cell or one in a hidden column."""
    value = cell.value
    if value is None or value == "":
        return 0.0
    first, last = cell.column, cell.column
    for merged in ws.merged_cells.ranges:
        if merged.min_row == cell.row and merged.min_col == cell.column:
            last = merged.max_col
            break
    width = sum(_column_width(ws, column) for column in range(first, last + 1))
    if not width:
        return 0.0
    size = cell.font.sz or BODY_SIZE
    text = str(value)
    if isinstance(value, str) and cell.alignment.wrap_text:
        indent = (cell.alignment.indent or 0) * _INDENT / _UNIT_NARROWEST
        lines = text_lines(text, width - indent, size=size, bold=bool(cell.font.b))
    else:
        lines = text.count("\n") + 1
    return lines_height(lines, size=size)


def sheet_fit_rows(ws: Worksheet, coordinates: Iterable[str]) -> None:
    """Give every row of `ws` an explicit height that shows the wrapped text
    of its written cells (`coordinates`). A range merged over several rows
    gets what it lacks on its first row: aligned to the top (as the writers
    align one that may cross a page break, which would cut a centred text)
    its text then stays within that row. Never below one line or a height
    the writer set already, never above Excel's 409 pt."""
    spans = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges if m.max_row > m.min_row}
    heights = {
        row: max(lines_height(1), ws.row_dimensions[row].height or 0)
        for row in range(1, ws.max_row + 1)
    }
    tall = []
    for coordinate in coordinates:
        cell = ws[coordinate]
        needed = cell_height(ws, cell)
        merged = spans.get((cell.row, cell.column))
        if merged is not None:
            tall.append((merged.min_row, merged.max_row, needed))
        else:
            heights[cell.row] = max(heights[cell.row], needed)
    for top, bottom, needed in sorted(tall, key=lambda span: span[1] - span[0]):
        lacking = needed - sum(heights[row] for row in range(top, bottom + 1))
        if lacking > 0:
            heights[top] = _pixels(heights[top] + lacking)
    for row, height in heights.items():
        ws.row_dimensions[row].height = min(height, MAX_ROW_HEIGHT)


# Pages -------------------------------------------------------------------------------


def sheet_print(
    ws: Worksheet,
    *,
    footer: str,
    orientation: str = PORTRAIT,
    title_rows: tuple[int, int] | None = None,
    headings: Iterable[int] = (),
    closing: Sequence[int] = (),
) -> None:
    """Set up `ws`, whose rows have their heights (`sheet_fit_rows`), to print
    on A4 in `orientation`: its used range as print area, `title_rows`
    (first, last) repeated on every page, the footer (`footer` names the
    department; empty, a line to fill in), the scale, and the row breaks of
    `page_breaks` (see there for `headings` and `closing`)."""
    setup = ws.page_setup
    setup.paperSize = ws.PAPERSIZE_A4
    setup.orientation = orientation
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    setup.fitToWidth = setup.fitToHeight = None
    for side, inches in _MARGINS.items():
        setattr(ws.page_margins, side, inches)
    ws.print_options.horizontalCentered = True

    columns = [column for column in range(1, ws.max_column + 1) if _column_width(ws, column)]
    units = sum(_column_width(ws, column) for column in columns)
    width, height = _printable(orientation)
    fits = math.floor(width * (1 - _SAFETY) * 100 / (units * _UNIT_WIDEST))
    setup.scale = scale = max(10, min(SCALE, fits))  # OOXML allows 10 % at least

    last = ws.max_row
    ws.print_area = f"{get_column_letter(columns[0])}1:{get_column_letter(columns[-1])}{last}"
    if title_rows is not None:
        ws.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
    _footer(ws, footer or UNNAMED)

    heights = {row: ws.row_dimensions[row].height for row in range(1, last + 1)}
    spans = [(m.min_row, m.max_row) for m in ws.merged_cells.ranges if m.max_row > m.min_row]
    ws.row_breaks = RowBreak()
    for row in page_breaks(
        heights,
        page=height * (1 - _SAFETY) * 100 / scale,
        title_rows=title_rows,
        headings=set(headings),
        closing=closing,
        spans=spans,
    ):
        ws.row_breaks.append(Break(id=row))


def _footer(ws: Worksheet, department: str) -> None:
    # No size code: the footer takes the Normal style's 11 pt, which Excel and
    # WPS print unscaled and LibreOffice at the sheet's scale (9.35 pt). A size
    # code would not survive a save by LibreOffice, which writes the footer
    # again without its codes.
    ws.HeaderFooter.scaleWithDoc = False
    footer = ws.oddFooter
    parts = (
        (footer.left, department.replace("&", "&&")),
        (footer.center, "&A"),
        (footer.right, "第 &P 页 共 &N 页"),
    )
    for part, text in parts:
        part.text = text
        part.font = f"{FONT_NAME},Regular"


def page_breaks(
    heights: dict[int, float],
    *,
    page: float,
    title_rows: tuple[int, int] | None = None,
    headings: Set[int] = frozenset(),
    closing: Sequence[int] = (),
    spans: Iterable[tuple[int, int]] = (),
) -> list[int]:
    """The rows after which a page ends, for rows 1..N of `heights` (points)
    on pages `page` points high; a page after the title rows holds that much
    less.

    Each page takes as many rows as fit, then gives back rows from its end
    while its last row is one of `headings`, or lies within KEEP_BEFORE rows
    of the closing block or in it, or (by a quarter page at most) lies inside
    a range of `spans` (merged ranges, (first, last) rows) shorter than half
    a page. The closing block runs from a row of `closing` to the end: the
    first of them (outermost first, e.g. a last table and the signature line
    under it) whose block fits on one page with its KEEP_BEFORE rows."""
    last = max(heights)
    titles = _sum(heights, *title_rows) if title_rows else 0
    keep = next(
        (
            row - KEEP_BEFORE
            for row in closing
            if _sum(heights, max(1, row - KEEP_BEFORE), last) <= page - titles
        ),
        None,
    )
    spans = [(top, bottom) for top, bottom in spans if _sum(heights, top, bottom) < page / 2]

    def allowed(row: int, *, strict: bool) -> bool:
        if row in headings or (keep is not None and keep <= row < last):
            return False
        return not strict or not any(top <= row < bottom for top, bottom in spans)

    breaks: list[int] = []
    start = 1
    while True:
        room = page - (titles if title_rows and start > title_rows[1] else 0)
        end, used = start - 1, 0.0
        while end < last and used + heights[end + 1] <= room:
            end += 1
            used += heights[end]
        if end == last:
            return breaks
        end = max(end, start)  # a row taller than a page takes a page of its own
        strict = (
            row
            for row in range(end, start - 1, -1)
            if _sum(heights, row + 1, end) <= page / 4 and allowed(row, strict=True)
        )
        loose = (row for row in range(end, start - 1, -1) if allowed(row, strict=False))
        chosen = next(strict, None) or next(loose, end)
        breaks.append(chosen)
        start = chosen + 1


def _sum(heights: dict[int, float], first: int, last: int) -> float:
    return sum(heights[row] for row in range(first, last + 1))


def planned_pages(ws: Worksheet) -> list[tuple[int, int]]:
    """The (first, last) rows of each page `ws` prints on, from its row breaks."""
    last = ws.max_row
    pages, start = [], 1
    for row in sorted(brk.id for brk in ws.row_breaks.brk):
        pages.append((start, row))
        start = row + 1
    pages.append((start, last))
    return pages

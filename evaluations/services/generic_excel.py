"""A generic-layout form template as an Excel workbook, and back
(layout `perfeval-generic-xlsx/1`).

Sheets, in order: 基本信息 (表式, department, year, the header fields, the
officer's own total where the template has one, the narrative and the
contact lines), then one sheet per table of the template, named by its
title, laid out by services.generic_render as the PDF is: the same columns,
merged 一/二/三级 cells, group headings and 小计, and the free slots'
rows followed by spare lines. A table whose rows may be 不适用 has two more
columns, 是否适用 and 不适用原因.

Column A of every sheet is hidden and locked: it names what each line holds
(`row:<key>` a fixed row, `free:<group>` a line of a free slot,
`header:<key>` … on 基本信息, `#…` lines that are only shown), so reading
finds every value by its name, never by its position. The 表式 line names
the template's code@version and a workbook of another template is refused.

Every sheet prints on A4 (services.workbook_print): 基本信息 upright, the
tables landscape with their header row on every page and the totals kept
with the rows above them. A table's columns get widths by what they hold,
the text columns narrowed together until the table is one page wide at the
legible scale; a table too wide even so prints smaller.

Cells an officer fills are unlocked and yellow; labels, the template's text,
reviewer columns and computed figures are locked under sheet protection
without a password (it guards against slips). Computed cells hold values,
never formulas, and are ignored on reading. Reviewer columns (评定分数) are
read back too, so a workbook round-trips; whoever imports decides whether
the uploader may change them.

Reading treats the file as hostile with services.excel's own checks (zip
container, part counts and defusedxml before openpyxl parses anything) and
its cell reader (formulas, error values, text in number cells); the values
then pass through `generic_document_from_json`, so a workbook obeys exactly
the rules of a `perfeval-filing/2` file, and every bad cell is listed by
sheet and cell in one refusal.
"""

import io
import math
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from evaluations.core.generic import (
    CONTACT_LABELS,
    FORMAT,
    DocumentError,
    GenericDocument,
    GenericScore,
    generic_document_from_json,
    generic_score,
)
from evaluations.core.template import LABEL_CELL, FormTemplate, number_text

from .excel import (
    AMOUNT_FORMAT,
    COUNT_FORMAT,
    LAYOUT_NAME,
    LAYOUT_VERSION,
    LOCKED,
    TEXT_FORMAT,
    CellAddress,
    SheetReader,
    SheetWriter,
    WorkbookError,
    WorkbookProblem,
    cell_decimal,
    cell_of_path,
    check_openpyxl_uses_defusedxml,
    normalized_text,
    plain_number,
    problem_reading_order,
    shortened,
    workbook_check_container,
    workbook_load,
)
from .generic_render import (
    EXAMPLE_MAXIMA_NOTE,
    NOT_APPLICABLE,
    ColumnView,
    LineView,
    TableView,
    blank_document,
    document_views,
    rule_text,
)
from .workbook_print import LANDSCAPE, lines_height, width_budget, workbook_use_font

GENERIC_LAYOUT_VERSION = "perfeval-generic-xlsx/1"
INFO_SHEET = "基本信息"
APPLICABLE = "适用"
APPLICABLE_HEADER = "是否适用"
REASON_HEADER = "不适用原因"
# Spare lines under each free slot's rows, so an officer can add rows without
# unprotecting the sheet (never beyond the slot's max_rows).
SPARE_FREE_LINES = 5
HEADER_ROW = 3
FIRST_LINE = HEADER_ROW + 1
KEY_COLUMN = "A"
PERCENT_FORMAT = '0.00"%"'

_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_NUMBER_FORMATS = {"amount": AMOUNT_FORMAT, "points": AMOUNT_FORMAT, "percent": PERCENT_FORMAT}
_CENTER = Alignment(wrap_text=True, horizontal="center", vertical="center")
# A level cell merged down its rows may cross a page break: its name stays at
# the top, where the break cannot cut it (services.workbook_print).
_TOP = Alignment(wrap_text=True, horizontal="center", vertical="top")
_INFO_KEY, _INFO_LABEL, _INFO_VALUE = "A", "B", "C"


def sheet_names(template: FormTemplate) -> list[str]:
    """The names of the table sheets, in table order: each table's title, cut
    to Excel's 31 characters without the characters Excel refuses, numbered
    where two would be the same."""
    names, taken = [], {INFO_SHEET}
    for table in template.tables:
        base = _SHEET_NAME_BAD.sub("", table.title)[:31] or table.key[:31]
        name, number = base, 2
        while name in taken:
            suffix = f"（{number}）"
            name, number = base[: 31 - len(suffix)] + suffix, number + 1
        taken.add(name)
        names.append(name)
    return names


# --- writing ------------------------------------------------------------------------------


def blank_template_workbook(template: FormTemplate) -> bytes:
    """The forms of a generic-layout `template` as an empty workbook: fixed
    rows with their labels, 评价要点 and 分值, spare lines under each free
    slot, a note where the maxima are examples. Department and year are left
    for the officer to fill in. Raises ValueError for another layout."""
    _require_generic(template)
    document = blank_document(template, fiscal_year=0)
    return _workbook(template, document, generic_score(document, template), blank=True)


def generic_workbook(
    *, template: FormTemplate, document: GenericDocument, score: GenericScore
) -> bytes:
    """The .xlsx bytes of `document` (a filing of `template`) in layout
    perfeval-generic-xlsx/1; `score` (`generic_score`) fills the locked
    小计 and totals, which reading ignores. Texts are always string cells
    (a text starting with "=" never becomes a formula); numbers are numeric
    cells. Pure; callers check permissions. Raises ValueError for another
    layout."""
    _require_generic(template)
    return _workbook(template, document, score, blank=False)


def _workbook(template, document, score, *, blank: bool) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook_use_font(workbook)
    workbook.defined_names[LAYOUT_NAME] = DefinedName(
        LAYOUT_NAME, attr_text=f'"{GENERIC_LAYOUT_VERSION}"'
    )
    workbook.properties.creator = "perfeval"
    workbook.properties.title = f"{template.title}（{template.identity}）"
    _write_info(SheetWriter(workbook.create_sheet(INFO_SHEET)), template, document)
    views = document_views(template, document, score, free_lines=SPARE_FREE_LINES, blank=blank)
    summed = [i for i, view in enumerate(views) if view.table.key in template.scoring.sum_tables]
    closing = summed[-1] if summed else len(views) - 1
    for index, (view, name) in enumerate(zip(views, sheet_names(template), strict=True)):
        writer = SheetWriter(workbook.create_sheet(name))
        totals = score if index == closing else None
        _write_table(writer, template, view, totals, blank, document.department.name)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _key(w: SheetWriter, row: int, key: str) -> None:
    w._put(f"{KEY_COLUMN}{row}", key, border=False)


def _hide_keys(w: SheetWriter) -> None:
    w.ws.column_dimensions[KEY_COLUMN].hidden = True
    w.ws.column_dimensions[KEY_COLUMN].width = 14


def _value(w: SheetWriter, coord: str, kind: str, value, *, editable: bool) -> None:
    """A typed value: numbers as numeric cells, everything else as text."""
    if kind in _NUMBER_FORMATS or kind == "integer":
        number_format = _NUMBER_FORMATS.get(kind, COUNT_FORMAT)
        if editable:
            w.amount(coord, value)
            w.ws[coord].number_format = number_format
        else:
            w.shown(coord, value, number_format=number_format)
        return
    text = "" if value is None else str(value)
    if editable:
        w.text(coord, text)
    else:
        w.label(coord, text)


def _write_info(w: SheetWriter, template: FormTemplate, document: GenericDocument):
    _hide_keys(w)
    w.widths(B=22, C=72)
    year = f"{document.fiscal_year}年度" if document.fiscal_year else ""
    w.title("B1:C1", f"{year}{template.title}")
    w.header("B2", "项目")
    w.header("C2", "内容")
    row = HEADER_ROW

    def line(key, label, kind, value, *, editable=True):
        nonlocal row
        _key(w, row, key)
        w.label(f"{_INFO_LABEL}{row}", label)
        _value(w, f"{_INFO_VALUE}{row}", kind, value, editable=editable)
        row += 1

    line("#template", "表式编号（请勿修改）", "text", template.identity, editable=False)
    line(
        "#template_title",
        "表式",
        "text",
        f"{template.region} {template.title}".strip(),
        editable=False,
    )
    if template.example_maxima:
        line("#note", "注意", "text", EXAMPLE_MAXIMA_NOTE, editable=False)
    department = document.department
    # What the filing already knows is shown locked; a blank form leaves it to the officer.
    line(
        "department:name", "部门（单位）名称", "text", department.name, editable=not department.name
    )
    line(
        "department:jurisdiction",
        "所属区划",
        "text",
        department.jurisdiction,
        editable=not department.jurisdiction,
    )
    line("department:code", "单位编码", "text", department.code, editable=not department.code)
    line(
        "fiscal_year",
        "年度",
        "integer",
        document.fiscal_year or None,
        editable=not document.fiscal_year,
    )
    for item in template.header:
        label = f"{item.label}（{item.unit}）" if item.unit else item.label
        value = document.header.get(item.key)
        line(f"header:{item.key}", label, item.type, value)
        if item.type == "enum":
            _choices(w, f"{_INFO_VALUE}{row - 1}", item.choices)
    if template.scoring.points == "officer_total":
        total = document.officer_total
        line(
            "officer_total:score", "单位自评得分（总分）", "points", total.score if total else None
        )
        line("officer_total:grade", "单位自评等次", "enum", total.grade if total else "")
        _choices(w, f"{_INFO_VALUE}{row - 1}", [band.grade for band in template.scoring.grades])
        line("#note", "说明", "text", "单位自评填报，未按行计分", editable=False)
    for section in template.narrative:
        title = f"{section.number}、{section.title}" if section.number else section.title
        text = document.narrative.get(section.key, "")
        line(f"narrative:{section.key}", title, "text", text)
        # Room to write by hand on a printed blank form.
        w.ws.row_dimensions[row - 1].height = lines_height(4)
    contact = row
    for key, label in CONTACT_LABELS.items():
        line(f"contact:{key}", label, "text", getattr(document.contact, key))
    w.ws.freeze_panes = f"A{HEADER_ROW}"
    w.finish(footer=document.department.name, title_rows=(2, 2), closing=(contact,))


def _choices(w: SheetWriter, coord: str, choices) -> None:
    formula = '"' + ",".join(choices) + '"'
    if len(formula) > 257:  # Excel's limit on a literal list
        return
    validation = DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showDropDown=False,
        showErrorMessage=True,
        error="请从列表中选择。",
    )
    validation.add(coord)
    w.ws.add_data_validation(validation)


def _letters(view: TableView) -> list[str]:
    """Column letters: B onwards for the table's columns, then 是否适用 and
    不适用原因 where rows may be 不适用."""
    count = len(view.columns) + (2 if view.not_applicable else 0)
    return [get_column_letter(2 + i) for i in range(count)]


# Column widths in units (services.workbook_print): what a column holds sets
# its width; the text columns give way when the table is too wide.
_NUMBER_WIDTH = 9
_CHOICE_WIDTH = 11
_APPLICABLE_WIDTH = 8
_NARROWEST_TEXT = 9


def _natural_width(column: ColumnView) -> float:
    if column.is_number:
        return _NUMBER_WIDTH
    if column.type in ("enum", "date"):
        return _CHOICE_WIDTH
    if column.column is None or column.key.startswith("level"):
        return 12
    if column.editor == "template":
        return 30
    return 18


def _widths(view: TableView) -> list[float]:
    """The widths of the table's columns, in letter order: natural widths,
    the text columns then narrowed by the same share of what they have
    above _NARROWEST_TEXT until the table fits width_budget(LANDSCAPE)."""
    widths = [_natural_width(column) for column in view.columns]
    text = [i for i, column in enumerate(view.columns) if widths[i] > _CHOICE_WIDTH]
    if view.not_applicable:
        widths += [_APPLICABLE_WIDTH, 18]
        text.append(len(widths) - 1)
    excess = sum(widths) - width_budget(LANDSCAPE)
    room = sum(widths[i] - _NARROWEST_TEXT for i in text)
    if excess > 0 and room > 0:
        share = min(1.0, excess / room)
        for i in text:
            # Rounded down to a tenth, so the sum stays within the budget.
            widths[i] = math.floor((widths[i] - (widths[i] - _NARROWEST_TEXT) * share) * 10) / 10
    return widths


def _write_table(
    w: SheetWriter, template, view: TableView, score, blank: bool, department: str
) -> None:
    ws = w.ws
    _hide_keys(w)
    letters = _letters(view)
    last = letters[-1]
    w.widths(**dict(zip(letters, _widths(view), strict=True)))
    w.title(f"B1:{last}1", view.table.title)
    note = "黄色单元格由单位填写。"
    if template.example_maxima:
        note += EXAMPLE_MAXIMA_NOTE
    w.note(f"B2:{last}2", note)
    headers = [column.label for column in view.columns]
    if view.not_applicable:
        headers += [APPLICABLE_HEADER, REASON_HEADER]
    for letter, header in zip(letters, headers, strict=True):
        w.header(f"{letter}{HEADER_ROW}", header)
    row = FIRST_LINE
    first_input = row
    for line in view.lines:
        if line.kind == "row":
            _write_line(w, view, letters, row, line)
        else:
            _write_figures_line(w, view, letters, row, line)
            if line.kind == "heading":
                w.headings.add(row)
        row += 1
    _merge_level_cells(w, view, letters)
    if view.not_applicable:
        _applicable_list(w, letters[-2], first_input, row - 1)
    for position, column in enumerate(view.columns):
        if column.type == "enum" and column.column is not None and column.editor != "template":
            _choices(
                w,
                f"{letters[position]}{first_input}:{letters[position]}{row - 1}",
                column.column.choices,
            )
    # The totals follow an empty line, which goes with them to a new page.
    closing = ()
    if score is not None and score.points != "none":
        closing = (row,)
        _write_totals(w, template, score, letters, row + 1, blank)
    ws.freeze_panes = f"A{FIRST_LINE}"
    w.finish(
        footer=department,
        orientation=LANDSCAPE,
        title_rows=(HEADER_ROW, HEADER_ROW),
        closing=closing,
    )


def _write_line(w: SheetWriter, view: TableView, letters, row: int, line: LineView) -> None:
    _key(w, row, f"free:{line.key}" if line.is_free else f"row:{line.key}")
    for letter, column, cell in zip(letters, view.columns, line.cells, strict=False):
        coord = f"{letter}{row}"
        if cell.rowspan == 0:
            continue
        if cell.field is None:
            if column.is_number and cell.text:
                w.shown(
                    coord,
                    cell_decimal(cell.text),
                    number_format=_NUMBER_FORMATS.get(column.type, COUNT_FORMAT),
                )
            else:
                w.label(coord, cell.text)
                if column.key.startswith("level") or column.column is None:
                    ws_cell = w.ws[coord]
                    ws_cell.alignment = _CENTER
        else:
            editable = column.column is None or column.editor in ("officer", "reviewer")
            officer = column.column is None or column.editor == "officer"
            _value(w, coord, column.type, cell.value, editable=editable)
            if not officer:
                # A reviewer's column: shown, locked for the officer.
                w.ws[coord].protection = LOCKED
    if view.not_applicable:
        applicable, reason = letters[-2], letters[-1]
        if line.may_be_not_applicable:
            state = (
                NOT_APPLICABLE
                if line.not_applicable
                else (APPLICABLE if line.row is not None else "")
            )
            w.text(f"{applicable}{row}", state)
            w.ws[f"{applicable}{row}"].alignment = _CENTER
            w.text(f"{reason}{row}", line.reason)
        else:
            w.blank(f"{applicable}{row}")
            w.blank(f"{reason}{row}")


def _write_figures_line(w: SheetWriter, view: TableView, letters, row: int, line: LineView) -> None:
    """A heading or 小计: the title across the columns before the first
    figure, the figures locked and grey."""
    _key(w, row, f"#{line.kind}")
    first = next(
        (i for i, c in enumerate(view.columns) if c.key in line.figures), len(view.columns)
    )
    first = max(first, 1)
    merge = f"{letters[0]}{row}:{letters[first - 1]}{row}" if first > 1 else None
    w.label(f"{letters[0]}{row}", line.title, merge=merge, bold=True)
    for position in range(first, len(letters)):
        column = view.columns[position] if position < len(view.columns) else None
        text = line.figures.get(column.key, "") if column is not None else ""
        w.shown(f"{letters[position]}{row}", cell_decimal(text) if text else None)


def _merge_level_cells(w: SheetWriter, view: TableView, letters) -> None:
    for position in range(len(view.columns)):
        for offset, line in enumerate(view.lines):
            if line.kind != "row":
                continue
            cell = line.cells[position]
            if cell.rowspan > 1:
                row = FIRST_LINE + offset
                letter = letters[position]
                w.ws.merge_cells(f"{letter}{row}:{letter}{row + cell.rowspan - 1}")
                w.ws[f"{letter}{row}"].alignment = _TOP


def _applicable_list(w: SheetWriter, letter: str, first: int, last: int) -> None:
    validation = DataValidation(
        type="list",
        formula1=f'"{APPLICABLE},{NOT_APPLICABLE}"',
        allow_blank=True,
        showDropDown=False,
        showErrorMessage=True,
        errorTitle=APPLICABLE_HEADER,
        error="请选择“适用”或“不适用”；空白视为适用。",
    )
    validation.add(f"{letter}{first}:{letter}{last}")
    w.ws.add_data_validation(validation)


def _write_totals(
    w: SheetWriter, template, score: GenericScore, letters, row: int, blank: bool
) -> None:
    """The totals under the last summed table: label across, figure at the
    end; an explanation (说明, 计算方法) across all but the first column."""
    label_end, value = letters[-2], letters[-1]
    if score.points == "officer_total":
        figures = [
            ("单位自评得分（总分）", None if blank else score.normalized),
            ("等次", "" if blank else score.grade),
        ]
        explanation = ("说明", score.note)
    else:
        figures = [
            ("自评得分合计", None if blank else score.raw_total),
            ("适用分值合计", None if blank else score.applicable_maximum),
        ]
        for word, sections in (("加分", score.bonus), ("扣分", score.deductions)):
            for section in sections:
                label = f"{word}：{section.label}（上限 {number_text(section.max_points)} 分）"
                figures.append((label, None if blank else section.applied))
        figures.append(("换算得分", None if blank else score.normalized))
        figures.append(("等次", "" if blank else score.grade))
        explanation = ("计算方法", rule_text(template))
    for label, figure in figures:
        _key(w, row, "#total")
        w.label(f"{letters[0]}{row}", label, merge=f"{letters[0]}{row}:{label_end}{row}", bold=True)
        if isinstance(figure, str):
            w.shown(f"{value}{row}", figure, number_format=TEXT_FORMAT)
        else:
            w.shown(f"{value}{row}", figure)
        row += 1
    label, text = explanation
    _key(w, row, "#total")
    w.label(f"{letters[0]}{row}", label, bold=True)
    w.label(f"{letters[1]}{row}", text, merge=f"{letters[1]}{row}:{value}{row}")


def _require_generic(template: FormTemplate) -> None:
    if template.layout != "generic":
        raise ValueError(f"表式 {template.identity} 不是通用版式，不能按通用版式导出工作簿。")


# --- reading ------------------------------------------------------------------------------


def generic_document_from_workbook(data: bytes, *, template: FormTemplate) -> GenericDocument:
    """Read an uploaded workbook of `template` (layout perfeval-generic-xlsx/1).

    Refused with a WorkbookError: everything services.excel refuses of the
    file itself (size, .xls, encryption, zip bombs, macros, entity expansion,
    too many parts, rows, cells, ranges …, checked before openpyxl reads it);
    another layout ("此工作簿属于表式 X，不是 Y" for a workbook of another
    template); a missing sheet or a moved header row. Bad values do not stop
    the reading: a formula or an error value, text in a number cell, a value
    `generic_document_from_json` refuses (type, decimals, choices, dates,
    length, 不适用 where it is not allowed, too many free rows), a line whose
    name in column A is unknown — each is listed by sheet and cell in one
    refusal, in reading order.

    Spare lines left empty are ignored, so are computed cells. The department
    and year are read from 基本信息: the caller checks that they are the
    filing's. Nothing is written.
    """
    if not check_openpyxl_uses_defusedxml():
        raise WorkbookError("服务器未启用安全的 XML 解析（defusedxml），暂不能导入工作簿。")
    data = bytes(data)
    workbook_check_container(data)
    workbook = workbook_load(data)
    _check_layout(workbook, template)
    where: dict[str, CellAddress] = {}
    problems: list[WorkbookProblem] = []
    raw = {"format": FORMAT, "form_template": {"code": template.code, "version": template.version}}
    _read_info(SheetReader(workbook[INFO_SHEET], where, problems), raw, template)
    raw["tables"] = {}
    for table_view, name in zip(_layout_views(template), sheet_names(template), strict=True):
        sheet = _sheet(workbook, name)
        reader = SheetReader(sheet, where, problems)
        raw["tables"][table_view.table.key] = _read_table(reader, table_view)
    try:
        document = generic_document_from_json(raw, template)
    except DocumentError as error:
        refused = {(problem.sheet, problem.cell) for problem in problems}
        for problem in error.problems:
            place = cell_of_path(where, problem.path)
            found = WorkbookProblem(problem.message, *((place.sheet, place.cell) if place else ()))
            if found.sheet is None or (found.sheet, found.cell) not in refused:
                problems.append(found)
    if problems:
        order = {name: index for index, name in enumerate(workbook.sheetnames)}
        raise WorkbookError.of(sorted(problems, key=lambda p: problem_reading_order(p, order)))
    return document


def _check_layout(workbook, template: FormTemplate) -> None:
    layout = workbook.defined_names.get(LAYOUT_NAME)
    version = layout.attr_text.strip('"') if layout is not None else ""
    if version == LAYOUT_VERSION:
        raise WorkbookError(
            f"此工作簿属于表式 hunan-overall（湖南表式），不是 {template.identity}。"
        )
    if version != GENERIC_LAYOUT_VERSION:
        shown = shortened(version) if version else "未标明"
        raise WorkbookError(
            f"工作簿版本为 {shown}，本系统读取 {GENERIC_LAYOUT_VERSION}，请重新下载工作簿填写。"
        )
    info = _sheet(workbook, INFO_SHEET)
    for row in range(HEADER_ROW, min(info.max_row, 20) + 1):
        if info[f"{KEY_COLUMN}{row}"].value == "#template":
            named = info[f"{_INFO_VALUE}{row}"].value
            if normalized_text(named) != normalized_text(template.identity):
                raise WorkbookError(
                    f"此工作簿属于表式 {shortened(named or '（未标明）')}，"
                    f"不是 {template.identity}，请下载本表式的工作簿填写。",
                    INFO_SHEET,
                    f"{_INFO_VALUE}{row}",
                )
            return
    raise WorkbookError("找不到表式编号（请勿删除或移动行），请重新下载工作簿填写。", INFO_SHEET)


def _sheet(workbook, name: str) -> Worksheet:
    if name not in workbook.sheetnames:
        raise WorkbookError("缺少此工作表（请勿删除或重命名工作表），请重新下载工作簿填写。", name)
    sheet = workbook[name]
    if not isinstance(sheet, Worksheet):
        raise WorkbookError("应为普通工作表。", name)
    return sheet


def _layout_views(template: FormTemplate) -> list[TableView]:
    """The column layout of each table (the lines are read by their names)."""
    document = blank_document(template, fiscal_year=0)
    return document_views(template, document, generic_score(document, template), free_lines=0)


def _keys(r: SheetReader):
    """(row, name in column A) of every line that has a name."""
    for row in range(HEADER_ROW, r.ws.max_row + 1):
        key = r.value(f"{KEY_COLUMN}{row}")
        if isinstance(key, str) and key.strip():
            yield row, key.strip()


def _read_info(r: SheetReader, raw: dict, template: FormTemplate) -> None:
    fields = {f"header:{item.key}": item for item in template.header}
    narrative = {f"narrative:{section.key}": section for section in template.narrative}
    for row, key in _keys(r):
        coord = f"{_INFO_VALUE}{row}"
        label = normalized_text(r.value(f"{_INFO_LABEL}{row}")) or key
        if key.startswith("#"):
            continue
        if key in ("department:name", "department:jurisdiction", "department:code"):
            name = key.split(":")[1]
            raw.setdefault("department", {})[name] = r.text(coord, label, f"department.{name}")
        elif key == "fiscal_year":
            raw["fiscal_year"] = _read_number(r, coord, label, "fiscal_year", "integer")
        elif key in fields:
            item = fields[key]
            path = f"header.{item.key}"
            raw.setdefault("header", {})[item.key] = _read_typed(r, coord, label, path, item.type)
        elif key in narrative:
            path = f"narrative.{narrative[key].key}"
            raw.setdefault("narrative", {})[narrative[key].key] = r.text(coord, label, path)
        elif key in ("officer_total:score", "officer_total:grade"):
            name = key.split(":")[1]
            kind = "points" if name == "score" else "text"
            total = raw.setdefault("officer_total", {})
            total[name] = _read_typed(r, coord, label, f"officer_total.{name}", kind) or ""
        elif key.startswith("contact:") and key[8:] in CONTACT_LABELS:
            name = key[8:]
            raw.setdefault("contact", {})[name] = r.text(coord, label, f"contact.{name}")
        else:
            r.problem(
                f"{KEY_COLUMN}{row}",
                f"无法识别的行“{shortened(key)}”（请勿插入或改动行），请重新下载工作簿填写。",
            )
    if raw.get("officer_total", {}).get("score") == "":
        raw["officer_total"]["score"] = None


def _read_typed(r: SheetReader, coord: str, label: str, path: str, kind: str):
    """A cell as the JSON document would hold it: numbers as their text
    ("3.5"), text as typed, None when empty."""
    if kind in ("amount", "points", "percent", "integer"):
        return _read_number(r, coord, label, path, kind)
    return r.text(coord, label, path) or None


def _read_number(r: SheetReader, coord: str, label: str, path: str, kind: str):
    """A number cell: its exact decimal as text (a percent typed with Excel's
    % format, stored as 0.95, reads "95"); a text is passed on as typed, for
    the document reader to accept ("95%") or name."""
    cell = r._cell(coord, label, "数值")
    r.where[path] = CellAddress(r.name, coord)
    value = cell.value if cell is not None else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, int | float):
        r.problem(coord, f"{label}不是数字。")
        return None
    number = cell_decimal(value)
    if number is None:
        r.problem(coord, f"{label}不是有效的数值。")
        return None
    if kind == "percent" and "%" in re.sub(r'"[^"]*"', "", cell.number_format or ""):
        number *= 100
    if kind == "integer" and number == number.to_integral_value():
        return int(number)
    return plain_number(number)


def _read_table(r: SheetReader, view: TableView) -> list[dict]:
    letters = _letters(view)
    headers = [column.label for column in view.columns]
    if view.not_applicable:
        headers += [APPLICABLE_HEADER, REASON_HEADER]
    for letter, header in zip(letters, headers, strict=True):
        r.expect(f"{letter}{HEADER_ROW}", header)
    fixed = {e.row.key: e for e in view.table.entries() if e.row is not None}
    free = {e.group.key: e for e in view.table.entries() if e.free is not None}
    rows: list[dict] = []
    seen: set[str] = set()
    for row, key in _keys(r):
        if row < FIRST_LINE or key.startswith("#"):
            continue
        kind, _, name = key.partition(":")
        entry = fixed.get(name) if kind == "row" else free.get(name) if kind == "free" else None
        if entry is None or (kind == "row" and name in seen):
            r.problem(
                f"{KEY_COLUMN}{row}",
                f"无法识别的行“{shortened(key)}”（请勿插入、复制或改动行），请重新下载工作簿填写。",
            )
            continue
        seen.add(name)
        # The index the row takes if it is kept; a spare line left empty is dropped.
        path = f"tables.{view.table.key}[{len(rows)}]"
        item = _read_line(r, view, letters, row, entry, path)
        if item is not None:
            rows.append(item)
    return rows


def _read_line(r: SheetReader, view: TableView, letters, row: int, entry, path: str):
    """One line as a `perfeval-filing/2` row; None for an empty free line."""
    item = {"cells": {}, "not_applicable": False, "reason": ""}
    if entry.row is not None:
        item["row"] = entry.row.key
    else:
        item["group"] = entry.group.key
    for letter, column in zip(letters, view.columns, strict=False):
        coord = f"{letter}{row}"
        if column.shows_name(entry):
            if entry.free is not None:
                value = r.text(coord, column.label, f"{path}.cells.{LABEL_CELL}")
                if value:
                    item["cells"][LABEL_CELL] = value
            continue
        if column.editor not in ("officer", "reviewer"):
            continue
        declared = entry.row or entry.free
        if column.column.role == "max_points" and declared.max_points is not None:
            continue  # shown, fixed by the template
        value = _read_typed(r, coord, column.label, f"{path}.cells.{column.key}", column.type)
        if value is not None:
            item["cells"][column.key] = value
    # Read on every line, so a 不适用 where the template allows none is named.
    if view.not_applicable:
        applicable, reason = f"{letters[-2]}{row}", f"{letters[-1]}{row}"
        state = normalized_text(r.text(applicable, APPLICABLE_HEADER, f"{path}.not_applicable"))
        if state == NOT_APPLICABLE:
            item["not_applicable"] = True
        elif state not in ("", APPLICABLE):
            r.problem(
                applicable,
                f"{APPLICABLE_HEADER}应为“{APPLICABLE}”或“{NOT_APPLICABLE}”，实际为“{shortened(state)}”。",
            )
        item["reason"] = r.text(reason, REASON_HEADER, f"{path}.reason")
    if (
        entry.free is not None
        and not item["cells"]
        and not item["not_applicable"]
        and not item["reason"].strip()
    ):
        return None
    return item

"""The official tables as an Excel workbook, and back (layout `perfeval-xlsx/1`).

Finance officers work in Excel, so a filing goes out as a workbook holding the
paper forms and comes back as one. Sheets, in order:

- 部门基本情况: department, year, profile texts, 退休/遗属 counts, the report
  narrative (sections 二 to 十) and the contact lines;
- 年度资金: 年初预算数 / 全年预算数 / 全年执行数 / 分值, by source, by nature and
  the basic-expenditure detail; the one place where these are typed;
- 附件1 基础数据表: staffing, the 附件1 rows, project items, buildings and
  厉行节约保障措施, with the paper form's rows, columns and merged cells;
- 附件2 自评表: the funds block (shown from 年度资金, locked), 年度总体目标 and
  the indicator table;
- 附件3-1, 附件3-2 …: one 项目支出绩效自评表 per project. Copying a 附件3 sheet
  and naming the copy 附件3-N adds a project; a sheet left empty is ignored.

Input cells are unlocked; labels, headers and computed figures (控制率, 执行率,
执行率得分, 总分, 等次, 建议得分) are locked under sheet protection without a
password: protection guards against slips, not against the officer. Computed
cells hold values, never formulas, and are ignored on import, where everything
is recomputed by the scoring service. A blank form leaves them empty.

Every sheet prints legibly on A4, alike from Excel, WPS and LibreOffice: a
fixed scale, explicit row heights, planned page breaks, the table header
repeated and a footer naming department, sheet and page
(services.workbook_print).

Reading treats the file as hostile: the zip container is checked before
openpyxl opens it — every entry is inflated once in chunks (encryption,
compression method, CRC and sizes checked) and everything openpyxl would
expand into objects is counted from the raw XML of the parts it would read
(rows, cells, merged, hyperlink and comment ranges, validations, conditional
formats, defined names, sheets, elements) against bounds derived from the
forms (MAX_* below) — openpyxl parses XML through defusedxml, and every cell
is checked against the layout. A moved layout stops the reading at once; bad
values do not: every bad cell is collected so one refusal lists them all.
Values then pass through the interchange reader (`document_from_json`), so
the workbook obeys exactly the rules of a `perfeval-filing/1` file. A
formula in an input cell is refused: its cached result may be missing (files
written by openpyxl have none) or disagree with the formula, and the filing
must hold the figure the officer signs.

An upload into a saved filing is previewed before it is written:
`filing_workbook_read` parses it for that filing, `filing_workbook_preview`
lists the fields that would change and the findings the filing would have,
and `filing_workbook_import` writes, only when something changed and only if
nobody saved the filing since the preview. `summary_workbook` is the bureau's
overview of a year: one row per department and every error and warning.

openpyxl was chosen because it reads and writes .xlsx (styles, merged cells,
protection, data validation) in pure Python and uses defusedxml when present.
"""

import io
import math
import posixpath
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException
from django.conf import settings
from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl import xml as openpyxl_xml
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.worksheet import Worksheet

from departments.models import Department
from evaluations.core import document as doc
from evaluations.core.document import FilingDocument, quantize
from evaluations.core.hunan import (
    BASIC_ROW_INDENT,
    BASIC_ROW_KEYS,
    BASIC_ROW_LABELS,
    SIGNED_BASIC_ROWS,
)
from evaluations.core.scoring import QUALITATIVE_GRADES, FilingScore, document_score
from evaluations.core.validation import ERROR, WARNING, Finding, document_validate
from evaluations.models import (
    GRADE_INCOMPLETE,
    Filing,
    FilingRevision,
    FiscalYear,
    ScoringTemplate,
)
from evaluations.services.changes import Change, document_changes, path_label
from evaluations.services.interchange import (
    MAX_AMOUNT,
    DocumentError,
    ProblemsError,
    document_from_json,
    document_to_dict,
    filing_document,
)
from evaluations.services.persistence import filing_document_write
from evaluations.services.summary import document_missing_parts
from evaluations.services.workbook_print import (
    LANDSCAPE,
    TITLE_SIZE,
    cell_font,
    sheet_fit_rows,
    sheet_print,
    workbook_use_font,
)

LAYOUT_VERSION = "perfeval-xlsx/1"
# A workbook-level defined name holding the layout version as a string constant;
# Excel, WPS and LibreOffice keep it when they save the file.
LAYOUT_NAME = "perfeval_layout"

SHEET_PROFILE = "部门基本情况"
SHEET_FUNDS = "年度资金"
SHEET_BASIC = "附件1 基础数据表"
SHEET_SCORE = "附件2 自评表"
PROJECT_SHEET_PREFIX = "附件3-"
REQUIRED_SHEETS = (SHEET_PROFILE, SHEET_FUNDS, SHEET_BASIC, SHEET_SCORE)

# Empty input rows below the filled ones, so an officer can add indicators,
# project items and buildings without unprotecting the sheet.
SPARE_ROWS = 10
MIN_INDICATOR_ROWS = 20

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_ROWS = 5000
# The widest sheet uses 11 columns; cells beyond rows × this many are refused
# before openpyxl builds an object per cell.
MAX_COLUMNS = 26
# Bounds on everything openpyxl expands into Python objects while loading,
# checked on the raw zip before it does (`workbook_check_container`). They come from
# the forms: an export holds 4 sheets plus one 附件3 per project, each of a few
# dozen rows × 11 columns (about 400 cells), ~30 merged header ranges covering
# ~160 cells, 2 data validations, no conditional format, one defined name,
# and 13 zip parts plus one per project; its largest part other than a sheet
# (theme, styles) is about 10 KB. Each bound leaves ample room above that for
# what Excel or WPS add when they save, and keeps a worst accepted file to a
# few hundred MB of worker memory at most (scripts/bench_excel_import.py).
#
# A department files 附件3 for its key projects: a few, rarely a few dozen.
MAX_SHEETS = 4 + 100
# Cells of all sheets together, merged cells included: 100 project sheets of
# ~1,000 cells (60 indicator rows) each. openpyxl spends about 50 µs and
# 1 KB per cell, so the largest accepted workbook reads in seconds, not
# minutes (scripts/bench_excel_import.py).
MAX_CELLS = 100_000
# Cells one sheet's merged ranges may cover (and, separately, its hyperlinks
# and its comments): openpyxl creates an object for each covered cell, so one
# range "E40:XFD5000" would be 81 million objects.
MAX_RANGE_CELLS = 10_000
# Per sheet; copying and pasting cells in Excel can split the form's 2 data
# validations into several.
MAX_VALIDATIONS = 50
MAX_CONDITIONAL_FORMATS = 50
# Ranges listed in one sheet's data-validation and conditional-format sqrefs.
MAX_RANGE_LISTS = 500
# The layout name, and Excel's print areas and titles (two per sheet).
MAX_DEFINED_NAMES = 500
# XML elements in all parts together: a real export has about 4 per cell
# (the cell, its value, the row, the style), so 5 × MAX_CELLS. Every other
# bound concerns something openpyxl multiplies; this one caps whatever else
# a part may repeat (page breaks, column specs, styles) to a known total.
MAX_ELEMENTS = 5 * MAX_CELLS
# Zip parts: per sheet Excel writes the sheet, its relationships and printer
# settings, plus some twenty parts for the workbook.
MAX_ZIP_ENTRIES = 3 * MAX_SHEETS + 100
# Any part other than a sheet or the shared strings (those may use the whole
# uncompressed allowance): 100 × the largest a real export has.
MAX_PART_BYTES = 1024 * 1024

AMOUNT_FORMAT = "0.00"
RATE_FORMAT = '0.00"%"'
COUNT_FORMAT = "0"
TEXT_FORMAT = "@"

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

APPLICABLE = "适用"
NOT_APPLICABLE = "不适用"


@dataclass(frozen=True)
class WorkbookProblem:
    """One reason a workbook is refused: `message` in Chinese; `sheet` and
    `cell` (a coordinate such as "G7" or a range such as "A1:K1") say where,
    or are None for reasons about the whole file."""

    message: str
    sheet: str | None = None
    cell: str | None = None

    def __str__(self):
        if self.sheet and self.cell:
            return f"工作表“{self.sheet}”单元格 {self.cell}：{self.message}"
        if self.sheet:
            return f"工作表“{self.sheet}”：{self.message}"
        return self.message


class WorkbookError(ProblemsError):
    """An uploaded workbook that cannot be read.

    `problems` lists every bad cell found (a file that cannot be opened, or
    whose layout moved, has one problem: nothing after it can be trusted);
    `message`, `sheet` and `cell` are the first one's.
    """

    def __init__(
        self,
        message: str,
        sheet: str | None = None,
        cell: str | None = None,
        *,
        problems: list[WorkbookProblem] | None = None,
    ):
        self.problems = problems or [WorkbookProblem(message, sheet, cell)]
        first = self.problems[0]
        self.message, self.sheet, self.cell = first.message, first.sheet, first.cell
        super().__init__(str(self))

    @classmethod
    def of(cls, problems: list[WorkbookProblem]) -> "WorkbookError":
        return cls(problems[0].message, problems=problems)


def check_openpyxl_uses_defusedxml() -> bool:
    """True when openpyxl parses XML through defusedxml (entity expansion and
    external entities refused). Uploaded workbooks are not read otherwise; the
    app's start-up check calls this."""
    return bool(openpyxl_xml.DEFUSEDXML)


# Layout ----------------------------------------------------------------------------
#
# One description of each sheet serves both the writer and the reader, so the
# two cannot drift apart. Paths are paths into the `perfeval-filing/1` JSON form.

_INFO, _SECTION, _TEXT, _COUNT, _DATE = "info", "section", "text", "count", "date"

_PROFILE_ROWS = (
    ("department.name", "预算单位名称", _INFO),
    ("department.jurisdiction", "行政区划", _INFO),
    ("department.code", "部门代码", _INFO),
    ("fiscal_year", "年度", _INFO),
    ("template", "评分模板", _INFO),
    (None, "一、部门（单位）基本情况", _SECTION),
    ("profile.organization", "（一）机构设置情况", _TEXT),
    ("staffing.retired", "退休人员（人）", _COUNT),
    ("staffing.survivor_subsidy", "遗属补助人数（人）", _COUNT),
    ("profile.functions", "（二）主要职能职责", _TEXT),
    ("profile.goal_setting", "（三）绩效目标设定情况", _TEXT),
    (None, "二、一般公共预算支出情况", _SECTION),
    ("report.budget_overview", "（一）预算执行、使用、管理总体情况", _TEXT),
    ("report.basic_expenditure", "（二）基本支出情况", _TEXT),
    ("report.project_expenditure", "（三）项目支出情况", _TEXT),
    ("report.government_fund", "三、政府性基金预算支出情况", _TEXT),
    ("report.state_capital", "四、国有资本经营预算支出情况", _TEXT),
    ("report.social_insurance", "五、社会保险基金预算支出情况", _TEXT),
    (None, "六、部门整体支出绩效情况", _SECTION),
    ("report.performance_conclusion", "（一）综合评价结论", _TEXT),
    ("report.indicator_analysis", "（二）评价指标分析", _TEXT),
    ("report.problems", "七、存在的问题及原因分析", _TEXT),
    ("report.improvements", "八、下一步改进措施", _TEXT),
    ("report.result_application", "九、部门整体支出绩效自评结果拟应用和公开情况", _TEXT),
    ("report.other", "十、其他需要说明的情况", _TEXT),
    (None, "填报信息", _SECTION),
    ("contact.preparer", "填表人", _TEXT),
    ("contact.phone", "联系电话", _TEXT),
    ("contact.date", "填报日期（如 2024-07-30）", _DATE),
    ("contact.head", "单位负责人", _TEXT),
)
_PROFILE_FIRST_ROW = 3

_FUND_COLUMNS = (
    ("B", "年初预算数", "initial_budget"),
    ("C", "全年预算数", "full_year_budget"),
    ("D", "全年执行数", "executed"),
)
_FUNDS_GROUPS = (
    (
        "按收入性质分",
        "合计应等于全年预算数",
        (
            ("funds.by_source.general_budget", "一般公共预算"),
            ("funds.by_source.government_fund", "政府性基金拨款"),
            ("funds.by_source.special_account", "纳入专户管理的非税收入拨款"),
            ("funds.by_source.other", "其他资金"),
        ),
    ),
    (
        "按支出性质分",
        "合计应等于全年执行数",
        (("funds.by_nature.basic", "基本支出"), ("funds.by_nature.project", "项目支出")),
    ),
    (
        "基本支出明细",
        "",
        (
            ("funds.basic_detail.personnel", "人员经费"),
            ("funds.basic_detail.public", "公用经费"),
        ),
    ),
)

# The project items follow 项目支出; the rows after them start at 公用经费.
_BASIC_HEAD_KEYS = BASIC_ROW_KEYS[: BASIC_ROW_KEYS.index("project_total") + 1]
_BASIC_TAIL_KEYS = BASIC_ROW_KEYS[len(_BASIC_HEAD_KEYS) :]
_BASIC_COLUMNS = (("B", "prior_final"), ("C", "budget"), ("D", "final"))
_BUILDINGS_LABEL = "楼堂馆所控制情况（完工项目名称）"
_BUILDING_COLUMNS = (
    ("B", "批复规模（㎡）", "approved_area"),
    ("C", "实际规模（㎡）", "actual_area"),
    ("D", "规模控制率", None),
    ("E", "预算投资（万元）", "budget_investment"),
    ("F", "实际投资（万元）", "actual_investment"),
    ("G", "投资概算控制率", None),
)
_AUSTERITY_LABEL = "厉行节约保障措施"

# Indicator tables of 附件2 and 附件3: column A carries the merged 绩效指标 label.
_INDICATOR_COLUMNS = (
    ("B", "一级指标", "level1"),
    ("C", "二级指标", "level2"),
    ("D", "三级指标", "name"),
    ("E", "年度指标值", "target"),
    ("F", "实际完成值", "actual"),
    ("G", "分值", "weight"),
    ("H", "得分", "score"),
    ("I", "偏差原因分析及改进措施", "deviation"),
    ("J", "是否适用", "applicable"),
    ("K", "建议得分", None),
)
_INDICATOR_TEXTS = ("level1", "level2", "name", "target", "actual", "deviation")
_INDICATOR_AMOUNTS = ("weight", "score")
_TOTAL_LABEL = "总分"

_SCORE_FUNDS_HEADERS = (
    ("D", "年初预算数"),
    ("E", "全年预算数"),
    ("F", "全年执行数"),
    ("G", "分值"),
    ("H", "执行率"),
    ("I", "得分"),
)
_SCORE_SOURCES = (
    ("一般公共预算", "funds.by_source.general_budget"),
    ("政府性基金拨款", "funds.by_source.government_fund"),
    ("纳入专户管理的非税收入拨款", "funds.by_source.special_account"),
    ("其他资金", "funds.by_source.other"),
)
_SCORE_NATURES = (("基本支出", "funds.by_nature.basic"), ("项目支出", "funds.by_nature.project"))
_SCORE_INDICATOR_HEADER = 12

_PROJECT_LINES = (
    (5, "年度资金总额", "total"),
    (6, "其中：当年财政拨款", "current_appropriation"),
    (7, "上年结转资金", "carryover"),
    (8, "其他资金", "other"),
)
_PROJECT_INDICATOR_HEADER = 11

_SCORE_MERGES = ("A1:K1", "A3:A9", "A10:A11", "B10:F10", "G10:K10", "B11:F11", "G11:K11")
_PROJECT_MERGES = (
    "A1:K1",
    "D2:K2",
    "D3:F3",
    "I3:K3",
    "A4:A8",
    "A9:A10",
    "B9:F9",
    "G9:K9",
    "B10:F10",
    "G10:K10",
)

_QUALITATIVE_LIST = '"' + ",".join(QUALITATIVE_GRADES) + '"'


# Styles ----------------------------------------------------------------------------

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")
_COMPUTED_FILL = PatternFill("solid", fgColor="EDEDED")
# Public: the generic workbook (services.generic_excel) locks its cells alike.
LOCKED = Protection(locked=True)
_UNLOCKED = Protection(locked=False)
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTER = Alignment(wrap_text=True, horizontal="center", vertical="center")
# A label merged down a table that may cross a page break: at the top, where
# the break cannot cut it (services.workbook_print).
_TOP = Alignment(wrap_text=True, horizontal="center", vertical="top")


# Writing ---------------------------------------------------------------------------


def workbook_from_document(*, document: FilingDocument, score: FilingScore | None) -> bytes:
    """The .xlsx bytes of `document` in layout perfeval-xlsx/1.

    `score` is `document_score(document=document, template=…)`; its figures fill
    the locked computed cells (they are for reading only; import recomputes).
    None leaves them empty, for a blank form: an empty form's 总分 0 and 等次
    差 mean nothing. Every sheet prints on A4 (services.workbook_print).
    Amounts are numeric cells with format 0.00; texts are always string cells,
    so a text starting with = + - @ never becomes a formula. Characters Excel
    cannot store (C0 control characters other than tab and newlines) are
    dropped. Pure function; callers check permissions.
    """
    data = document_to_dict(document=document)
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook_use_font(workbook)
    workbook.defined_names[LAYOUT_NAME] = DefinedName(LAYOUT_NAME, attr_text=f'"{LAYOUT_VERSION}"')
    workbook.properties.creator = "perfeval"
    workbook.properties.title = (
        f"{document.department.name} {document.fiscal_year}年度部门整体支出绩效自评"
    )

    _write_profile(SheetWriter(workbook.create_sheet(SHEET_PROFILE)), data)
    _write_funds(SheetWriter(workbook.create_sheet(SHEET_FUNDS)), data, score)
    _write_basic(SheetWriter(workbook.create_sheet(SHEET_BASIC)), data, score)
    _write_score(SheetWriter(workbook.create_sheet(SHEET_SCORE)), data, score)
    for index, project in enumerate(data["projects"]):
        sheet = workbook.create_sheet(f"{PROJECT_SHEET_PREFIX}{index + 1}")
        _write_project(SheetWriter(sheet), data, project, score and score.projects[index])

    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def filing_workbook(*, filing: Filing) -> bytes:
    """The workbook of a saved filing, scored with its scoring template.

    Called by the export view and `filing_export --format xlsx`; the caller
    checks that the user may see the filing.
    """
    document = filing_document(filing=filing)
    score = document_score(document=document, template=filing.scoring_template)
    return workbook_from_document(document=document, score=score)


def blank_workbook(*, department: Department, fiscal_year: FiscalYear | int) -> bytes:
    """An empty workbook for `department` and `fiscal_year`, pre-filled with
    what is known already: the department and jurisdiction names, the year,
    and from the department's filing of the year before (when there is one)
    the profile texts, each 附件1 row's 本年决算数 as this year's 上年决算数, and
    the project items by name with their 上年决算数. Computed cells (控制率,
    执行率, 总分, 等次 …) stay empty.

    `fiscal_year` is a FiscalYear or a year number. Called by the download view
    of a department that has not started its filing; the caller checks the
    user belongs to the department.
    """
    year = fiscal_year if isinstance(fiscal_year, int) else fiscal_year.year
    document = FilingDocument(
        fiscal_year=year,
        department=doc.Department(
            name=department.name,
            jurisdiction=department.jurisdiction.name,
            code=department.code,
        ),
    )
    previous = Filing.objects.filter(department=department, fiscal_year__year=year - 1).first()
    if previous is not None:
        before = filing_document(filing=previous)
        document.profile = doc.Profile(
            organization=before.profile.organization,
            functions=before.profile.functions,
            goal_setting=before.profile.goal_setting,
        )
        for key in BASIC_ROW_KEYS:
            document.basic_data.rows[key].prior_final = before.basic_data.rows[key].final
        document.basic_data.project_items = [
            doc.ProjectItem(name=item.name, prior_final=item.final)
            for item in before.basic_data.project_items
        ]
    return workbook_from_document(document=document, score=None)


class SheetWriter:
    """Writes cells with the workbook's styles: headers and labels locked,
    inputs unlocked, computed values locked and grey, all in the one font.
    Shared with services.generic_excel, so both layouts look, protect and
    print alike. A cell without a font of its own takes the workbook's,
    SimSun 11 pt (workbook_print.workbook_use_font). It remembers the cells
    written and the heading rows (a title's, a header's) for `finish`, which
    sizes the rows and sets up the printing."""

    def __init__(self, sheet: Worksheet):
        self.ws = sheet
        self.written: list[str] = []
        self.headings: set[int] = set()
        sheet.protection.sheet = True
        # Protected by default once the sheet is protected; resizing rows and
        # columns to read long texts is harmless.
        sheet.protection.formatRows = False
        sheet.protection.formatColumns = False

    def widths(self, **widths):
        for column, width in widths.items():
            self.ws.column_dimensions[column].width = width

    def _put(
        self,
        coord,
        value,
        *,
        merge=None,
        font=None,
        fill=None,
        alignment=_WRAP,
        protection=LOCKED,
        number_format=None,
        border=True,
    ):
        cell = self.ws[coord]
        self.written.append(coord)
        if isinstance(value, str):
            _set_text(cell, value)
        else:
            cell.value = value
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if border:
            cell.border = _BORDER
        cell.alignment = alignment
        cell.protection = protection
        if number_format is not None:
            cell.number_format = number_format
        if merge:
            # openpyxl copies the top-left cell's border to the range's edges
            # when merging, so the cell is styled first.
            self.ws.merge_cells(merge)
        return cell

    def title(self, merge, text):
        coord = merge.split(":")[0]
        cell = self._put(
            coord,
            text,
            merge=merge,
            font=cell_font(size=TITLE_SIZE, bold=True),
            alignment=_CENTER,
            border=False,
        )
        self.headings.add(cell.row)

    def note(self, merge, text):
        self._put(merge.split(":")[0], text, merge=merge, border=False)

    def header(self, coord, text, *, merge=None):
        bold = cell_font(bold=True)
        cell = self._put(coord, text, merge=merge, font=bold, fill=_HEADER_FILL, alignment=_CENTER)
        self.headings.add(cell.row)

    def label(self, coord, text, *, merge=None, indent=0, bold=False):
        alignment = Alignment(wrap_text=True, vertical="center", indent=indent)
        font = cell_font(bold=True) if bold else None
        self._put(coord, text, merge=merge, alignment=alignment, font=font)

    def blank(self, coord, *, merge=None):
        self._put(coord, None, merge=merge)

    def text(self, coord, value, *, merge=None):
        self._put(
            coord,
            value or None,
            merge=merge,
            fill=_INPUT_FILL,
            protection=_UNLOCKED,
            number_format=TEXT_FORMAT,
        )

    def amount(self, coord, value):
        self._put(
            coord,
            _decimal(value),
            fill=_INPUT_FILL,
            protection=_UNLOCKED,
            number_format=AMOUNT_FORMAT,
            alignment=Alignment(vertical="center"),
        )

    def count(self, coord, value):
        self._put(
            coord,
            value,
            fill=_INPUT_FILL,
            protection=_UNLOCKED,
            number_format=COUNT_FORMAT,
            alignment=Alignment(vertical="center"),
        )

    def shown(self, coord, value, *, number_format=AMOUNT_FORMAT, merge=None):
        """A computed or mirrored value: locked, grey, ignored on import."""
        if isinstance(value, str) and not value:
            value = None
        self._put(
            coord,
            value,
            merge=merge,
            fill=_COMPUTED_FILL,
            number_format=number_format,
            alignment=_CENTER,
        )

    def finish(self, *, footer, orientation="portrait", title_rows=None, closing=()):
        """Size every row to its wrapped text and set the sheet up to print
        (services.workbook_print.sheet_print): `footer` names the department,
        `title_rows` (first, last) repeat on every page, the rows from a row
        of `closing` (outermost first) to the end stay on one page with the
        table rows above them."""
        sheet_fit_rows(self.ws, self.written)
        sheet_print(
            self.ws,
            footer=footer,
            orientation=orientation,
            title_rows=title_rows,
            headings=self.headings,
            closing=closing,
        )


def _set_text(cell, value):
    # openpyxl reads a str starting with "=" as a formula; a user's text must
    # stay text, so the type is forced back to string. quotePrefix makes Excel
    # keep it literal when the cell is edited again.
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = value
    cell.data_type = "s"
    if value[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True


def _decimal(value):
    return None if value is None else Decimal(value)


def _get(data, path):
    value = data
    for part in path.split("."):
        value = value[part]
    return value


def _signature(data):
    contact = data["contact"]
    return (
        f"填表人：{contact['preparer'] or ''}　　填报日期：{contact['date'] or ''}　　"
        f"联系电话：{contact['phone'] or ''}　　单位负责人签字：{contact['head'] or ''}"
    )


def _department(data):
    return data["department"]["name"]


# Column widths keep each sheet within workbook_print.width_budget: 96 units
# portrait, 141 landscape. `score` is None on a blank form, so a computed
# cell is written as `score and score.…`: empty there.


def _write_profile(w, data):
    w.widths(A=22, B=24, C=24, D=24)
    w.title("A1:D1", f"{data['fiscal_year']}年度 {data['department']['name']} 部门基本情况")
    w.header("A2", "项目")
    w.header("B2", "内容", merge="B2:D2")
    closing = None
    for row, (path, label, kind) in enumerate(_PROFILE_ROWS, start=_PROFILE_FIRST_ROW):
        merge = f"B{row}:D{row}"
        if kind == _SECTION:
            w.header(f"A{row}", label, merge=f"A{row}:D{row}")
            # The last section, 填报信息: the contact lines the head signs under.
            closing = row
            continue
        w.label(f"A{row}", label)
        value = _get(data, path)
        if kind == _INFO:
            w.shown(
                f"B{row}",
                "" if value is None else value,
                merge=merge,
                number_format=COUNT_FORMAT if path == "fiscal_year" else TEXT_FORMAT,
            )
            w.ws[f"B{row}"].alignment = _WRAP
        elif kind == _COUNT:
            w.count(f"B{row}", value)
        else:
            w.text(f"B{row}", value, merge=merge)
    w.finish(footer=_department(data), title_rows=(2, 2), closing=(closing,))


def _write_funds(w, data, score):
    funds = data["funds"]
    w.widths(A=24, B=13, C=13, D=13, E=9, F=11, G=11)
    w.title("A1:G1", f"{data['fiscal_year']}年度资金（万元）")
    w.header("A2", "项目")
    for column, header, _ in _FUND_COLUMNS:
        w.header(f"{column}2", header)
    w.header("E2", "分值")
    w.header("F2", "执行率")
    w.header("G2", "执行率得分")
    w.label("A3", "年度资金总额", bold=True)
    for column, _, key in _FUND_COLUMNS:
        w.amount(f"{column}3", funds[key])
    w.amount("E3", funds["weight"])
    w.shown("F3", score and score.execution_rate, number_format=RATE_FORMAT)
    w.shown("G3", score and score.execution_score)
    w.note("A4:G4", "分值为空时按评分模板计分（默认 10 分）。执行率、执行率得分由系统计算。")
    row = 5
    for title, hint, lines in _FUNDS_GROUPS:
        w.header(f"A{row}", title)
        w.header(f"B{row}", "金额（万元）")
        if hint:
            w.note(f"C{row}:G{row}", hint)
        for path, label in lines:
            row += 1
            w.label(f"A{row}", label, indent=1)
            w.amount(f"B{row}", _get(data, path))
        row += 2
    w.finish(footer=_department(data), title_rows=(2, 2))


def _write_basic(w, data, score):
    year = data["fiscal_year"]
    basic = data["basic_data"]
    w.widths(A=24, B=12, C=12, D=12, E=12, F=12, G=12)
    w.title("A1:G1", f"{year}年度部门整体支出绩效评价基础数据表")
    w.note("A2:G2", f"填报单位：{data['department']['name']}")
    w.header("A3", "财政供养人员情况（人）", merge="A3:A4")
    for column, header in zip("BCD", _staffing_headers(year), strict=True):
        w.header(f"{column}3", header)
    w.count("B4", data["staffing"]["authorized"])
    w.count("C4", data["staffing"]["actual"])
    w.shown("D4", score and score.staffing_control_rate, number_format=RATE_FORMAT)
    w.header("A5", "经费控制情况（万元）")
    for column, header in zip("BCD", _basic_headers(year), strict=True):
        w.header(f"{column}5", header)

    row = 6
    for key in _BASIC_HEAD_KEYS:
        _write_basic_row(w, row, key, basic["rows"][key])
        row += 1
    items = basic["project_items"]
    for index in range(len(items) + SPARE_ROWS):
        item = items[index] if index < len(items) else None
        w.text(f"A{row}", item and item["name"])
        w.ws[f"A{row}"].alignment = Alignment(wrap_text=True, vertical="center", indent=2)
        for column, key in _BASIC_COLUMNS:
            w.amount(f"{column}{row}", item and item[key])
        row += 1
    for key in _BASIC_TAIL_KEYS:
        _write_basic_row(w, row, key, basic["rows"][key])
        row += 1

    buildings_header = row
    w.header(f"A{row}", _BUILDINGS_LABEL)
    for column, header, _ in _BUILDING_COLUMNS:
        w.header(f"{column}{row}", header)
    buildings = basic["buildings"]
    for index in range(len(buildings) + SPARE_ROWS):
        row += 1
        building = buildings[index] if index < len(buildings) else None
        rates = score.buildings[index] if building and score else None
        w.text(f"A{row}", building and building["name"])
        for column, _, key in _BUILDING_COLUMNS:
            if key is not None:
                w.amount(f"{column}{row}", building and building[key])
        w.shown(f"D{row}", rates and rates.area_control_rate, number_format=RATE_FORMAT)
        w.shown(f"G{row}", rates and rates.investment_control_rate, number_format=RATE_FORMAT)
    row += 1
    w.label(f"A{row}", _AUSTERITY_LABEL, bold=True)
    w.text(f"B{row}", basic["austerity_measures"], merge=f"B{row}:G{row}")
    w.note(f"A{row + 1}:G{row + 1}", _signature(data))
    w.note(
        f"A{row + 2}:G{row + 2}",
        "说明：“项目支出”需要填报基本支出以外的所有项目支出情况，“公用经费”填报基本支出中的"
        "一般商品和服务支出。空行不导入。",
    )
    # The buildings' table has its own header: it starts a page rather than
    # continue under the repeated 经费控制 header, where that fits.
    w.finish(footer=_department(data), title_rows=(5, 5), closing=(buildings_header, row + 1))


def _staffing_headers(year):
    return ("编制数", f"{year}年实际在职人数", "控制率")


def _basic_headers(year):
    return (f"{year - 1}年决算数", f"{year}年预算数", f"{year}年决算数")


def _write_basic_row(w, row, key, columns):
    indent = BASIC_ROW_INDENT[key]
    w.label(f"A{row}", BASIC_ROW_LABELS[key], indent=indent, bold=indent == 0)
    for column, name in _BASIC_COLUMNS:
        w.amount(f"{column}{row}", columns[name])


def _write_score(w, data, score):
    funds = data["funds"]
    _indicator_widths(w)
    w.title("A1:K1", f"{data['fiscal_year']}年度部门整体支出绩效自评表")
    w.label("A2", "预算单位名称", merge="A2:C2", bold=True)
    w.shown("D2", data["department"]["name"], merge="D2:K2", number_format=TEXT_FORMAT)
    w.header("A3", "年度预算申请（万元）", merge="A3:A9")
    w.blank("B3", merge="B3:C3")
    for column, header in _SCORE_FUNDS_HEADERS:
        w.header(f"{column}3", header)
    w.blank("J3", merge="J3:K3")
    w.label("B4", "年度资金总额", merge="B4:C4")
    w.shown("D4", _decimal(funds["initial_budget"]))
    w.shown("E4", _decimal(funds["full_year_budget"]))
    w.shown("F4", _decimal(funds["executed"]))
    w.shown("G4", score and score.execution_weight)
    w.shown("H4", score and score.execution_rate, number_format=RATE_FORMAT)
    w.shown("I4", score and score.execution_score)
    w.note("J4:K9", f"本栏数据取自“{SHEET_FUNDS}”工作表，请在该表填写。")
    w.label("B5", "按收入性质分：", merge="B5:E5")
    w.label("F5", "按支出性质分：", merge="F5:I5")
    for offset, (label, path) in enumerate(_SCORE_SOURCES):
        row = 6 + offset
        w.label(f"B{row}", ("其中：" if offset == 0 else "") + label, merge=f"B{row}:D{row}")
        w.shown(f"E{row}", _decimal(_get(data, path)))
        if offset < len(_SCORE_NATURES):
            label, path = _SCORE_NATURES[offset]
            w.label(f"F{row}", ("其中：" if offset == 0 else "") + label, merge=f"F{row}:H{row}")
            w.shown(f"I{row}", _decimal(_get(data, path)))
        else:
            w.blank(f"F{row}", merge=f"F{row}:H{row}")
            w.blank(f"I{row}")
    _write_goal(w, 10, data["overall_goal"])
    header = _SCORE_INDICATOR_HEADER
    total = _write_indicators(w, header, data["indicators"], score, _signature(data))
    _finish_indicators(w, data, header, total)


def _write_project(w, data, project, score):
    _indicator_widths(w)
    w.title("A1:K1", f"{data['fiscal_year']}年度项目支出绩效自评表")
    w.label("A2", "项目支出名称", merge="A2:C2", bold=True)
    w.text("D2", project["name"], merge="D2:K2")
    w.label("A3", "主管部门", merge="A3:C3", bold=True)
    w.text("D3", project["department_in_charge"], merge="D3:F3")
    w.label("G3", "实施单位", merge="G3:H3", bold=True)
    w.text("I3", project["implementer"], merge="I3:K3")
    w.header("A4", "项目资金（万元）", merge="A4:A8")
    w.blank("B4", merge="B4:C4")
    for column, header in _SCORE_FUNDS_HEADERS:
        w.header(f"{column}4", header)
    w.blank("J4", merge="J4:K4")
    funds = project["funds"]
    for row, label, key in _PROJECT_LINES:
        w.label(f"B{row}", label, merge=f"B{row}:C{row}", bold=key == "total")
        line = funds[key] or {}
        for column, name in zip(
            "DEF", ("initial_budget", "full_year_budget", "executed"), strict=True
        ):
            w.amount(f"{column}{row}", line.get(name))
        if key == "total":
            w.amount(f"G{row}", funds["weight"])
            w.shown(f"H{row}", score and score.execution_rate, number_format=RATE_FORMAT)
            w.shown(f"I{row}", score and score.execution_score)
        else:
            for column in "GHI":
                w.blank(f"{column}{row}")
        w.blank(f"J{row}", merge=f"J{row}:K{row}")
    _write_goal(w, 9, project["goal"])
    signature = "备注：一个一级项目支出一张表。" + _signature(data)
    header = _PROJECT_INDICATOR_HEADER
    total = _write_indicators(w, header, project["indicators"], score, signature)
    _finish_indicators(w, data, header, total)


def _finish_indicators(w, data, header_row, total):
    """附件2 and 附件3 print landscape, the indicator header on every page."""
    w.finish(
        footer=_department(data),
        orientation=LANDSCAPE,
        title_rows=(header_row, header_row),
        closing=(total,),
    )


def _indicator_widths(w):
    w.widths(A=8, B=10, C=12, D=24, E=14, F=14, G=8, H=8, I=23, J=8, K=9)


def _write_goal(w, row, goal):
    w.header(f"A{row}", "年度总体目标", merge=f"A{row}:A{row + 1}")
    w.header(f"B{row}", "预期目标", merge=f"B{row}:F{row}")
    w.header(f"G{row}", "实际完成情况", merge=f"G{row}:K{row}")
    w.text(f"B{row + 1}", goal["expected"], merge=f"B{row + 1}:F{row + 1}")
    w.text(f"G{row + 1}", goal["actual"], merge=f"G{row + 1}:K{row + 1}")


def _write_indicators(w, header_row, indicators, score, signature):
    """The indicator table from `header_row`, then 总分, 换算得分, 等次 and the
    `signature` line; returns the 总分 row."""
    ws = w.ws
    count = max(len(indicators) + SPARE_ROWS, MIN_INDICATOR_ROWS)
    first, last = header_row + 1, header_row + count
    w.header(f"A{header_row}", "绩效指标", merge=f"A{header_row}:A{last}")
    ws[f"A{header_row}"].alignment = _TOP
    for column, header, _ in _INDICATOR_COLUMNS:
        w.header(f"{column}{header_row}", header)
    for offset in range(count):
        row = first + offset
        indicator = indicators[offset] if offset < len(indicators) else None
        for column, _, key in _INDICATOR_COLUMNS:
            coord = f"{column}{row}"
            if key is None:
                figures = score and indicator and score.indicators[offset]
                w.shown(coord, figures and figures.suggested_score)
            elif key in _INDICATOR_AMOUNTS:
                w.amount(coord, indicator and indicator[key])
            elif key == "applicable":
                value = None
                if indicator:
                    value = APPLICABLE if indicator["applicable"] else NOT_APPLICABLE
                w.text(coord, value)
                ws[coord].alignment = _CENTER
            else:
                w.text(coord, indicator and indicator[key])

    # OOXML's showDropDown="1" *hides* the in-cell arrow, so it stays False.
    # Actuals are often numbers, so any value is allowed (no error message).
    actual = DataValidation(
        type="list",
        formula1=_QUALITATIVE_LIST,
        allow_blank=True,
        showDropDown=False,
        showErrorMessage=False,
        showInputMessage=True,
        promptTitle="实际完成值",
        prompt="填写实际数值，定性指标可从列表选择等级。",
    )
    applicable = DataValidation(
        type="list",
        formula1=f'"{APPLICABLE},{NOT_APPLICABLE}"',
        allow_blank=True,
        showDropDown=False,
        showErrorMessage=True,
        errorTitle="是否适用",
        error="请选择“适用”或“不适用”；空白视为适用。",
    )
    actual.add(f"F{first}:F{last}")
    applicable.add(f"J{first}:J{last}")
    ws.add_data_validation(actual)
    ws.add_data_validation(applicable)

    total = last + 1
    w.label(f"A{total}", _TOTAL_LABEL, merge=f"A{total}:F{total}", bold=True)
    w.shown(f"G{total}", score and score.max_score)
    w.shown(f"H{total}", score and score.total_score)
    w.note(f"I{total}:K{total}", "分值列为满分，得分列为总分（含执行率得分）。")
    w.label(f"A{total + 1}", "换算得分（总分 ÷ 满分 × 100）", merge=f"A{total + 1}:F{total + 1}")
    w.blank(f"G{total + 1}")
    w.shown(f"H{total + 1}", score and score.normalized_score)
    w.label(f"A{total + 2}", "等次", merge=f"A{total + 2}:F{total + 2}")
    w.blank(f"G{total + 2}")
    w.shown(f"H{total + 2}", score and score.grade, number_format=TEXT_FORMAT)
    w.note(f"A{total + 3}:K{total + 3}", signature)
    return total


# Reading: the container -------------------------------------------------------------


def _setting(name, default):
    return int(getattr(settings, name, default))


def _megabytes(size):
    return f"{size / (1024 * 1024):.1f} MB"


def workbook_max_bytes() -> int:
    """The largest workbook accepted (settings.PERFEVAL_XLSX_MAX_BYTES)."""
    return _setting("PERFEVAL_XLSX_MAX_BYTES", DEFAULT_MAX_BYTES)


def workbook_check_size(*, size: int) -> None:
    """Refuse a workbook of `size` bytes over `workbook_max_bytes()` with a
    WorkbookError. The upload view calls it before reading the file."""
    max_bytes = workbook_max_bytes()
    if size > max_bytes:
        raise WorkbookError(
            f"文件过大（{_megabytes(size)}），工作簿不能超过 {_megabytes(max_bytes)}。"
        )


def workbook_check_container(data: bytes) -> None:
    """Refuse files that are not a plain .xlsx, or that would make openpyxl
    build more objects than any real filing needs, before any XML is parsed.

    Every zip entry is inflated once here, in chunks and whatever its name, so
    an encrypted entry, a compression Excel never writes, a corrupt deflate
    stream, a bad CRC or a size that lies are refused cleanly; the sheet parts
    (found as openpyxl finds them: content types → workbook → relationships)
    are counted as they stream past, see `_PartCounts`.
    """
    workbook_check_size(size=len(data))
    if data[:8] == OLE2_MAGIC:
        raise WorkbookError(
            "这是旧版 Excel 97-2003 工作簿（.xls）、WPS 表格文件（.et）或加密的工作簿，"
            "不能读取：请在 Excel 或 WPS 表格中打开（有密码的先取消密码），"
            "“另存为”Excel 工作簿（.xlsx）后上传。"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise WorkbookError(
            "文件不是有效的 Excel 工作簿（.xlsx），请用 Excel 或 WPS 表格另存为 .xlsx。"
        ) from None
    with archive:
        entries = [entry for entry in archive.infolist() if not entry.is_dir()]
        _check_entries(entries)
        names = {entry.filename.lower() for entry in entries}
        content_types = _small_part(archive, "[Content_Types].xml")
        lowered = content_types.lower()
        if b"sheet.binary" in lowered:
            raise WorkbookError("不接受二进制工作簿（.xlsb），请另存为 .xlsx 后上传。")
        if any(name.endswith("vbaproject.bin") for name in names) or b"macroenabled" in lowered:
            raise WorkbookError("不接受启用宏的工作簿（.xlsm），请另存为 .xlsx（不含宏）后上传。")
        package = _Package.read(archive, content_types)
        sheet_counts = {}
        other_counts = _PartCounts(sheet=False)
        for entry in entries:
            is_sheet = entry.filename in package.sheets
            counts = _PartCounts(sheet=is_sheet) if is_sheet else other_counts
            _scan_entry(
                archive,
                entry,
                counts,
                where=package.label(entry.filename),
                limit=_part_limit(entry.filename, package),
            )
            if is_sheet:
                sheet_counts[entry.filename] = counts
        package.check(sheet_counts, other_counts)


def _check_entries(entries):
    """Bounds read from the zip directory alone: how many parts, and how large
    they say they are once inflated (zipfile never inflates an entry beyond its
    declared size, and `_scan_entry` refuses one that inflates to less)."""
    if len(entries) > MAX_ZIP_ENTRIES:
        raise WorkbookError(
            f"工作簿包含的部件过多（{len(entries)} 个，上限 {MAX_ZIP_ENTRIES} 个），拒绝读取。"
        )
    max_uncompressed = _setting(
        "PERFEVAL_XLSX_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED_BYTES
    )
    declared = sum(entry.file_size for entry in entries)
    if declared > max_uncompressed:
        raise WorkbookError(
            f"工作簿解压后达 {_megabytes(declared)}，超过上限 {_megabytes(max_uncompressed)}"
            "（疑似压缩炸弹），拒绝读取。"
        )
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise WorkbookError(
                f"工作簿部件 {shortened(entry.filename)} 已加密，无法读取。"
                "请在 Excel 或 WPS 表格中取消密码并另存为 .xlsx 后上传。"
            )
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookError(
                f"工作簿部件 {shortened(entry.filename)} 使用了 Excel 不使用的压缩方式，"
                "无法读取。请用 Excel 或 WPS 表格另存为 .xlsx 后上传。"
            )


def _part_limit(name, package):
    """Cell contents (sheets, shared strings) may fill the whole uncompressed
    allowance; every other part is bounded by MAX_PART_BYTES."""
    if name in package.sheets or name == package.shared_strings:
        return None
    return MAX_PART_BYTES


def _small_part(archive, name):
    """A part that is read whole before the scan (content types, workbook,
    relationships): refused above MAX_PART_BYTES, empty when absent."""
    for entry in archive.infolist():
        if entry.filename.lower() == name.lower():
            if entry.file_size > MAX_PART_BYTES:
                _refuse_part_size(entry.filename, entry.file_size)
            try:
                return archive.read(entry)
            except _ZIP_ERRORS:
                _refuse_damaged(entry.filename)
    return b""


# What a damaged entry raises while it is inflated: a corrupt deflate stream
# (zlib.error), a bad CRC (BadZipFile), a stream shorter than its declared size
# (EOFError), an unreadable header (ValueError, OSError), encryption
# (RuntimeError), a compression zipfile lacks (NotImplementedError).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    ValueError,
    OSError,
    RuntimeError,
    NotImplementedError,
)


def _refuse_damaged(part):
    raise WorkbookError(
        f"工作簿已损坏（部件 {shortened(part)} 无法解压或校验不符），"
        "请用 Excel 打开并重新保存为 .xlsx 后上传。"
    )


def _refuse_part_size(part, size):
    raise WorkbookError(
        f"工作簿部件 {shortened(part)} 解压后达 {_megabytes(size)}，"
        f"超过上限 {_megabytes(MAX_PART_BYTES)}，拒绝读取。"
    )


_TAG_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
# One pass over each part finds every element whose count openpyxl turns into
# objects; the attributes are read only for the few kinds that need them.
_ELEMENT = re.compile(
    rb"<"
    + _TAG_PREFIX
    + rb"(dimension|row|c|mergeCell|hyperlink|dataValidation|conditionalFormatting|cfRule"
    rb"|definedName|comment|si|sheet)(?=[\s/>])([^>]*)"
)
_REF = re.compile(rb"\bref\s*=\s*[\"']([^\"']*)[\"']")
_SQREF = re.compile(rb"\bsqref\s*=\s*[\"']([^\"']*)[\"']")
_ROW_NUMBER = re.compile(rb"\br\s*=\s*[\"'](\d+)[\"']")
_CHUNK = 1024 * 1024
# The largest sheet Excel allows, for ranges with open ends ("A:A", "3:3").
_EXCEL_ROWS, _EXCEL_COLUMNS = 1_048_576, 16_384


@dataclass
class _PartCounts:
    """What a sheet part, or all other parts together, hold that openpyxl will
    expand into objects. Rows, cells, ranges, validations and formats count
    only in sheets: openpyxl never reads other parts as sheets."""

    sheet: bool = False
    rows: int = 0
    row_elements: int = 0
    cells: int = 0
    merged_cells: int = 0
    hyperlink_cells: int = 0
    comment_cells: int = 0
    validations: int = 0
    formats: int = 0
    format_rules: int = 0
    range_lists: int = 0
    defined_names: int = 0
    strings: int = 0
    sheets: int = 0
    elements: int = 0

    @property
    def row_count(self):
        return max(self.rows, self.row_elements)


def _area(ref: bytes) -> int:
    """How many cells a range such as "E40:XFD5000" covers; an open end counts
    to the edge of the sheet, and a range that cannot be read counts as one
    cell (openpyxl then refuses the file itself)."""
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode("ascii").strip().upper())
    except (ValueError, TypeError, UnicodeDecodeError):
        return 1
    min_col, max_col = min_col or 1, max_col or _EXCEL_COLUMNS
    min_row, max_row = min_row or 1, max_row or _EXCEL_ROWS
    return max(0, max_col - min_col + 1) * max(0, max_row - min_row + 1)


def _count(counts: _PartCounts, kind: bytes, attributes: bytes) -> None:
    if kind == b"c":
        counts.cells += 1
    elif kind == b"row":
        counts.row_elements += 1
        number = _ROW_NUMBER.search(attributes)
        if number:
            counts.rows = max(counts.rows, int(number.group(1)))
    elif kind == b"dimension":
        ref = _REF.search(attributes)
        if ref:
            counts.rows = max(counts.rows, _last_row(ref.group(1)))
    elif kind in (b"mergeCell", b"hyperlink", b"comment"):
        ref = _REF.search(attributes)
        area = _area(ref.group(1)) if ref else 0
        if kind == b"mergeCell":
            counts.merged_cells += area
        elif kind == b"hyperlink":
            counts.hyperlink_cells += area
        else:
            counts.comment_cells += area
    elif kind in (b"dataValidation", b"conditionalFormatting"):
        if kind == b"dataValidation":
            counts.validations += 1
        else:
            counts.formats += 1
        sqref = _SQREF.search(attributes)
        if sqref:
            counts.range_lists += len(sqref.group(1).split())
    elif kind == b"cfRule":
        counts.format_rules += 1
    elif kind == b"definedName":
        counts.defined_names += 1
    elif kind == b"si":
        counts.strings += 1
    elif kind == b"sheet":
        counts.sheets += 1


def _scan_entry(archive, entry, counts, *, where, limit):
    """Inflate `entry` in chunks, counting its elements into `counts` and
    refusing as soon as a bound of `_check_counts` is crossed, so a sheet
    claiming a million rows costs milliseconds. An entry that inflates to
    other than its declared size is damaged (zipfile checks the CRC only)."""
    if limit is not None and entry.file_size > limit:
        _refuse_part_size(entry.filename, entry.file_size)
    inflated = 0
    try:
        with archive.open(entry) as stream:
            pending = b""
            while True:
                chunk = stream.read(_CHUNK)
                inflated += len(chunk)
                buffer = pending + chunk
                # Keep an unfinished tag for the next round so no tag is split;
                # a "tag" longer than two chunks is nothing counted and is let go.
                cut = buffer.rfind(b"<") if chunk else -1
                if cut < 0 or len(buffer) - cut > 2 * _CHUNK:
                    cut = len(buffer)
                complete, pending = buffer[:cut], buffer[cut:]
                for match in _ELEMENT.finditer(complete):
                    _count(counts, match.group(1), match.group(2))
                # Start tags: every "<" but those of end tags, comments,
                # declarations and processing instructions.
                counts.elements += (
                    complete.count(b"<")
                    - complete.count(b"</")
                    - complete.count(b"<!")
                    - complete.count(b"<?")
                )
                _check_counts(counts, where, finished=not chunk)
                if not chunk:
                    break
    except _ZIP_ERRORS:
        _refuse_damaged(entry.filename)
    if inflated != entry.file_size:
        _refuse_damaged(entry.filename)


def _check_counts(counts: _PartCounts, where: str, *, finished: bool) -> None:
    """Refuse a part holding more of anything than `workbook_check_container` allows;
    before the part is `finished` the counts are only lower bounds."""
    if counts.sheet:
        _check_sheet_counts(counts, where, finished)
    _check_covered(counts.comment_cells, where, "批注")
    for number, limit, what in (
        (counts.defined_names, MAX_DEFINED_NAMES, "定义的名称"),
        (counts.strings, MAX_CELLS, "共享字符串"),
        (counts.sheets, MAX_SHEETS, "工作表"),
    ):
        if number > limit:
            raise WorkbookError(f"{where}的{what}过多（{number} 个，上限 {limit} 个），拒绝读取。")


def _check_covered(covered: int, where: str, what: str) -> None:
    """Refuse ranges (merged cells, hyperlinks, comments) covering more cells
    than MAX_RANGE_CELLS: openpyxl creates an object for every one of them."""
    if covered > MAX_RANGE_CELLS:
        raise WorkbookError(
            f"{where}的{what}共覆盖 {covered} 个单元格，超过上限 {MAX_RANGE_CELLS} 个，拒绝读取。"
        )


def _check_sheet_counts(counts: _PartCounts, where: str, finished: bool) -> None:
    max_rows = _setting("PERFEVAL_XLSX_MAX_ROWS", DEFAULT_MAX_ROWS)
    rows = counts.row_count
    if rows > max_rows:
        has = "有" if finished else "至少有"
        raise WorkbookError(f"{where}{has} {rows} 行，超过上限 {max_rows} 行，拒绝读取。")
    if counts.cells > max_rows * MAX_COLUMNS:
        raise WorkbookError(f"{where}的单元格过多（超过 {counts.cells} 个），拒绝读取。")
    _check_covered(counts.merged_cells, where, "合并单元格")
    _check_covered(counts.hyperlink_cells, where, "超链接")
    for number, limit, what in (
        (counts.validations, MAX_VALIDATIONS, "数据验证规则"),
        (counts.formats, MAX_CONDITIONAL_FORMATS, "条件格式"),
        (counts.format_rules, MAX_CONDITIONAL_FORMATS, "条件格式规则"),
        (counts.range_lists, MAX_RANGE_LISTS, "数据验证和条件格式引用的区域"),
    ):
        if number > limit:
            raise WorkbookError(f"{where}的{what}过多（{number} 个，上限 {limit} 个），拒绝读取。")


def _last_row(ref):
    match = re.search(rb"(\d+)\s*$", ref)
    return int(match.group(1)) if match else 0


_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# The workbook content types openpyxl looks for, in its order (xltm, xltx,
# xlsm, xlsx); .xlsm is refused above.
_WORKBOOK_TYPES = (
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
)
_SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)


def _parse_xml(data: bytes):
    """A small package part (at most MAX_PART_BYTES) parsed with defusedxml."""
    try:
        return SafeElementTree.fromstring(data)
    except DefusedXmlException:
        raise WorkbookError("文件包含不安全的 XML（实体扩展），拒绝读取。") from None
    except Exception:  # any other parse failure means a damaged file
        raise WorkbookError(
            "工作簿已损坏或不是 Excel 2007 及以上版本的 .xlsx 文件，无法读取。"
        ) from None


@dataclass
class _Package:
    """The parts openpyxl will read as the workbook, its sheets and its shared
    strings, found the way openpyxl finds them (content types, then the
    workbook's relationships), never by file name."""

    workbook: str
    sheets: dict[str, str]
    sheet_refs: list[str]
    shared_strings: str | None

    @classmethod
    def read(cls, archive, content_types: bytes) -> "_Package":
        types = _parse_xml(content_types) if content_types else None
        overrides = {}
        defaults = set()
        if types is not None:
            for item in types.iter(f"{_CONTENT_TYPES}Override"):
                overrides.setdefault(item.get("ContentType", ""), item.get("PartName", ""))
            defaults = {item.get("ContentType") for item in types.iter(f"{_CONTENT_TYPES}Default")}
        workbook = next((overrides[kind] for kind in _WORKBOOK_TYPES if overrides.get(kind)), None)
        if workbook is None and defaults & set(_WORKBOOK_TYPES):
            workbook = "/xl/workbook.xml"
        if workbook is None:
            raise WorkbookError("文件不是有效的 Excel 工作簿（缺少工作簿部件）。")
        workbook = workbook.lstrip("/")
        shared = overrides.get(_SHARED_STRINGS_TYPE)
        names = set(archive.namelist())
        if workbook not in names:
            raise WorkbookError("文件不是有效的 Excel 工作簿（缺少 xl/workbook.xml）。")
        folder, base = posixpath.split(workbook)
        root = _parse_xml(_small_part(archive, workbook))
        rels_xml = _small_part(archive, posixpath.join(folder, "_rels", base + ".rels"))
        relations = _parse_xml(rels_xml) if rels_xml else []
        targets = {}
        for rel in relations:
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            targets[rel.get("Id")] = posixpath.normpath(part)
        sheets = {}
        refs = []
        for sheet in root.iter(f"{_MAIN}sheet"):
            part = targets.get(sheet.get(_RELATIONSHIP_ID))
            if part in names:
                sheets.setdefault(part, sheet.get("name", ""))
                refs.append(part)
        return cls(
            workbook=workbook,
            sheets=sheets,
            sheet_refs=refs,
            shared_strings=shared.lstrip("/") if shared else None,
        )

    def label(self, part: str) -> str:
        if part == self.workbook:
            return "工作簿"
        if part in self.sheets:
            return f"工作表“{self.sheets[part]}”"
        return f"工作簿部件 {shortened(part)} "

    def check(self, sheets: dict[str, _PartCounts], others: _PartCounts) -> None:
        """Bounds over the whole workbook: openpyxl reads a part once for each
        <sheet> naming it, so the cells are summed over those."""
        if len(self.sheet_refs) > MAX_SHEETS:
            raise WorkbookError(
                f"工作簿的工作表过多（{len(self.sheet_refs)} 个，上限 {MAX_SHEETS} 个），拒绝读取。"
            )
        cells = sum(
            sheets[part].cells + sheets[part].merged_cells + sheets[part].hyperlink_cells
            for part in self.sheet_refs
        )
        if cells > MAX_CELLS:
            raise WorkbookError(
                f"工作簿的单元格过多（共 {cells} 个，上限 {MAX_CELLS} 个），拒绝读取。"
            )
        elements = others.elements + sum(sheets[part].elements for part in self.sheet_refs)
        if elements > MAX_ELEMENTS:
            raise WorkbookError(
                f"工作簿的 XML 元素过多（共 {elements} 个，上限 {MAX_ELEMENTS} 个），拒绝读取。"
            )


def workbook_load(data):
    """The openpyxl workbook of `data`, which workbook_check_container has
    accepted. Raises WorkbookError (one Chinese sentence) for unsafe XML or a
    damaged file."""
    try:
        with warnings.catch_warnings():
            # openpyxl warns about extensions it drops (e.g. LibreOffice's data
            # validation extensions); nothing read from the workbook is in them.
            warnings.simplefilter("ignore", UserWarning)
            return load_workbook(
                io.BytesIO(data), data_only=False, keep_links=False, rich_text=False
            )
    except Exception as error:
        # openpyxl wraps what its parser raised in a ValueError, so the cause
        # is looked for along the chain.
        cause = error
        while cause is not None:
            if isinstance(cause, DefusedXmlException):
                raise WorkbookError("文件包含不安全的 XML（实体扩展），拒绝读取。") from None
            cause = cause.__cause__ or cause.__context__
        # Anything else (KeyError, ValueError, TypeError, ParseError …) means a
        # damaged file; the officer needs one answer.
        raise WorkbookError(
            "工作簿已损坏或不是 Excel 2007 及以上版本的 .xlsx 文件，无法读取。"
        ) from None


# Reading: cells ---------------------------------------------------------------------

_NUMBER_TEXT = re.compile(r"[+-]?\d+(?:\.\d+)?")


def normalized_text(value):
    """A cell's text without any whitespace, for comparing labels."""
    return "" if value is None else re.sub(r"\s+", "", str(value))


def shortened(value):
    """A cell's text cut to 30 characters, for quoting it in a message."""
    text = str(value)
    return text if len(text) <= 30 else text[:30] + "…"


@dataclass
class CellAddress:
    """Where a document path was read from: sheet name and cell (e.g. "A1")."""

    sheet: str
    cell: str


class SheetReader:
    """Reads one worksheet against the layout. A moved header or a missing
    fixed row raises a WorkbookError at once (the cells after it cannot be
    located); a bad value is added to `problems` and read as empty, so one
    upload lists every bad cell."""

    def __init__(self, sheet: Worksheet, where: dict[str, CellAddress], problems: list):
        self.ws = sheet
        self.name = sheet.title
        self.where = where
        self.problems = problems
        max_rows = _setting("PERFEVAL_XLSX_MAX_ROWS", DEFAULT_MAX_ROWS)
        if sheet.max_row > max_rows:
            raise WorkbookError(f"有 {sheet.max_row} 行，超过上限 {max_rows} 行。", self.name)

    def fail(self, coord, message):
        raise WorkbookError(message, sheet=self.name, cell=coord)

    def problem(self, coord, message):
        self.problems.append(WorkbookProblem(message, self.name, coord))

    def value(self, coord):
        return self.ws[coord].value

    def expect(self, coord, expected):
        actual = self.value(coord)
        if normalized_text(actual) != normalized_text(expected):
            shown = f"“{shortened(actual)}”" if normalized_text(actual) else "空"
            self.fail(
                coord,
                f"应为“{expected}”，实际为{shown}。表格结构与导出时不一致"
                "（请勿插入、删除或移动行列），请重新下载模板填写。",
            )

    def expect_merged(self, *refs):
        merged = {str(item) for item in self.ws.merged_cells.ranges}
        for ref in refs:
            if ref not in merged:
                self.fail(ref, "表头的合并单元格缺失或被移动（请勿合并、拆分或移动表头单元格）。")

    def _cell(self, coord, label, instead):
        """The cell, or None (a problem noted) when it holds a formula or an
        error value."""
        cell = self.ws[coord]
        if cell.data_type == "f" or isinstance(cell.value, ArrayFormula | DataTableFormula):
            self.problem(coord, f"{label}含公式，请改为{instead}。")
            return None
        if cell.data_type == "e":
            self.problem(coord, f"{label}为错误值 {cell.value}，请改为{instead}。")
            return None
        return cell

    def is_blank(self, coord):
        value = self.ws[coord].value
        return value is None or (isinstance(value, str) and not value.strip())

    def text(self, coord, label, path=None):
        """A text cell as str ("" when empty). Numbers and dates typed into a
        text cell are read as they are shown."""
        cell = self._cell(coord, label, "文字")
        if path is not None:
            self.where[path] = CellAddress(self.name, coord)
        value = cell.value if cell is not None else None
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, datetime):
            return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
        if isinstance(value, date | time):
            return value.isoformat()
        if isinstance(value, timedelta):
            return str(value)
        if isinstance(value, int | float | Decimal):
            number = cell_decimal(value)
            if number is None:
                self.problem(coord, f"{label}不是有效的数值。")
                return ""
            if "%" in (cell.number_format or ""):
                return plain_number(number * 100) + "%"
            return plain_number(number)
        self.problem(coord, f"{label}无法识别，请改为文字。")
        return ""

    def amount(self, coord, label, path, *, allow_negative=False):
        """An amount (万元, 分值, 得分, ㎡) as a decimal string, or None when
        empty: a number with at most 2 decimals, not negative unless allowed."""
        number = self._number(coord, label, path)
        if number is None:
            return None
        if number != quantize(number):
            self.problem(coord, f"{label}最多两位小数，实际为 {plain_number(number)}。")
            return None
        if number < 0 and not allow_negative:
            self.problem(coord, f"{label}不能为负数，实际为 {plain_number(number)}。")
            return None
        return str(quantize(number))

    def count(self, coord, label, path):
        """A number of people: a whole number ≥ 0, or None when empty."""
        number = self._number(coord, label, path)
        if number is None:
            return None
        if number != number.to_integral_value():
            self.problem(coord, f"{label}应为整数，实际为 {plain_number(number)}。")
            return None
        if number < 0:
            self.problem(coord, f"{label}不能为负数，实际为 {plain_number(number)}。")
            return None
        return int(number)

    def _number(self, coord, label, path):
        """The cell's number, or None when it is empty or bad (a problem noted)."""
        cell = self._cell(coord, label, "数值")
        self.where[path] = CellAddress(self.name, coord)
        value = cell.value if cell is not None else None
        if value is None:
            return None
        number = None
        if isinstance(value, bool):
            self.problem(coord, f"{label}不是数字（逻辑值 {value}）。")
        elif isinstance(value, datetime | date | time | timedelta):
            self.problem(coord, f"{label}不是数字（单元格为日期或时间）。")
        elif isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if _NUMBER_TEXT.fullmatch(text):
                number = Decimal(text)
            else:
                self.problem(coord, f"{label}不是数字：“{shortened(value)}”。")
        elif isinstance(value, int | float | Decimal):
            number = cell_decimal(value)
            if number is None:
                self.problem(coord, f"{label}不是有效的数值。")
        else:
            self.problem(coord, f"{label}不是数字。")
        if number is None:
            return None
        if abs(number) >= MAX_AMOUNT:
            self.problem(coord, f"{label}数值过大：{shortened(value)}。")
            return None
        # "-0" would read back as "-0.00".
        return abs(number) if number == 0 else number


def cell_decimal(value):
    """The exact decimal a cell holds: openpyxl returns floats, whose shortest
    repr is the text stored in the file (so 1007.3 stays 1007.3)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def plain_number(number: Decimal) -> str:
    """A decimal as people write it: no exponent, no trailing zeros."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


# Reading: the sheets ----------------------------------------------------------------


def document_from_workbook(
    *, data: bytes, department_name: str, jurisdiction_name: str, year: int
) -> FilingDocument:
    """Read an uploaded workbook (layout perfeval-xlsx/1) into a FilingDocument
    for `department_name` in `jurisdiction_name`, fiscal year `year`.

    Refused, with a WorkbookError naming the sheet and cell where there is one:
    files over settings.PERFEVAL_XLSX_MAX_BYTES (10 MB); .xls and encrypted
    files; anything not a zip; more than PERFEVAL_XLSX_MAX_UNCOMPRESSED_BYTES
    (50 MB) declared uncompressed size; an encrypted, damaged (deflate, CRC,
    size) or not deflated zip entry; more of any part, sheet, cell, merged,
    hyperlink or comment range, validation, conditional format, defined name
    or XML element than the MAX_* bounds; macros (.xlsm) and .xlsb; XML with
    entity declarations (billion laughs, external entities); a sheet with more
    than PERFEVAL_XLSX_MAX_ROWS (5000) rows; another layout version; a missing
    sheet; header cells or header merges that moved (inserted or deleted
    columns/rows); a workbook of another department or year; a formula or an
    error value in an input cell; text in a number cell; more than 2 decimals;
    a negative amount (except 部门基本支出预算调整); and whatever the
    `perfeval-filing/1` reader refuses (missing 一级指标 or names, too long
    texts, a bad date, 分值/得分 on a 不适用 row, more rows, projects or table
    text than services/limits.py allows). Bad values are all
    collected: the error's `problems` list every one, by sheet, row and
    column; a refusal about the file or its layout is a single problem.

    Empty rows are ignored; computed cells are ignored. Nothing is written:
    the caller saves the document (e.g. with `filing_import(replace=True)`)
    after checking the user may edit the filing.
    """
    if not check_openpyxl_uses_defusedxml():
        raise WorkbookError("服务器未启用安全的 XML 解析（defusedxml），暂不能导入工作簿。")
    data = bytes(data)
    workbook_check_container(data)
    workbook = workbook_load(data)

    layout = workbook.defined_names.get(LAYOUT_NAME)
    if layout is not None and layout.attr_text.strip('"') != LAYOUT_VERSION:
        raise WorkbookError(
            f"工作簿版本为 {shortened(layout.attr_text)}，本系统读取 {LAYOUT_VERSION}，"
            "请重新下载模板填写。"
        )
    for name in REQUIRED_SHEETS:
        if name not in workbook.sheetnames:
            raise WorkbookError(
                "缺少此工作表（请勿删除或重命名工作表），请重新下载模板填写。", name
            )
        if not isinstance(workbook[name], Worksheet):
            raise WorkbookError("应为普通工作表。", name)

    where: dict[str, CellAddress] = {}
    problems: list[WorkbookProblem] = []
    raw = {
        "format": "perfeval-filing/1",
        "fiscal_year": year,
        "department": {"name": department_name, "jurisdiction": jurisdiction_name},
    }
    _read_profile(
        SheetReader(workbook[SHEET_PROFILE], where, problems),
        raw,
        department_name=department_name,
        jurisdiction_name=jurisdiction_name,
        year=year,
    )
    _read_funds(SheetReader(workbook[SHEET_FUNDS], where, problems), raw)
    _read_basic(SheetReader(workbook[SHEET_BASIC], where, problems), raw, year)
    _read_score(SheetReader(workbook[SHEET_SCORE], where, problems), raw)
    raw["projects"] = []
    for sheet in _project_sheets(workbook):
        reader = SheetReader(sheet, where, problems)
        project = _read_project(reader, f"projects[{len(raw['projects'])}]")
        if project is not None:
            raw["projects"].append(project)

    try:
        document = document_from_json(raw)
    except DocumentError as error:
        # A cell already refused was read as empty; what the JSON reader says
        # of that emptiness (e.g. 缺少一级指标) would name the same cell twice.
        refused = {(problem.sheet, problem.cell) for problem in problems}
        for problem in error.problems:
            place = cell_of_path(where, problem.path)
            found = WorkbookProblem(problem.message, *((place.sheet, place.cell) if place else ()))
            if (found.sheet, found.cell) not in refused or found.sheet is None:
                problems.append(found)
    if problems:
        order = {name: index for index, name in enumerate(workbook.sheetnames)}
        raise WorkbookError.of(
            sorted(problems, key=lambda problem: problem_reading_order(problem, order))
        )
    return document


def problem_reading_order(problem, sheet_order):
    """Sort key of a WorkbookProblem: whole-file problems first, then by
    sheet (its index in `sheet_order`), row and column."""
    if problem.sheet is None:
        return (-1, 0, 0)
    row, column = 0, 0
    match = re.match(r"([A-Z]+)(\d+)", problem.cell or "")
    if match:
        row, column = int(match.group(2)), column_index_from_string(match.group(1))
    return (sheet_order.get(problem.sheet, len(sheet_order)), row, column)


def cell_of_path(where, path):
    """The CellAddress of a document path in `where`, or of its nearest parent
    that has one; None when none has."""
    while path:
        if path in where:
            return where[path]
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            return None
        path = path[:cut]
    return None


def _project_sheets(workbook):
    """Sheets named 附件3-N (N a number), in the order of N."""
    numbered = []
    for sheet in workbook.worksheets:
        if sheet.title.startswith(PROJECT_SHEET_PREFIX):
            number = sheet.title[len(PROJECT_SHEET_PREFIX) :]
            if not number.isdigit():
                raise WorkbookError(
                    f"项目表的工作表名称应为“{PROJECT_SHEET_PREFIX}序号”，如“{PROJECT_SHEET_PREFIX}2”。",
                    sheet.title,
                )
            numbered.append((int(number), sheet))
    return [sheet for _, sheet in sorted(numbered, key=lambda pair: pair[0])]


def _put(raw, path, value):
    parts = path.split(".")
    target = raw
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _read_profile(r, raw, *, department_name, jurisdiction_name, year):
    r.expect("A2", "项目")
    r.expect("B2", "内容")
    r.expect_merged("A1:D1", "B2:D2")
    expected = {
        "department.name": department_name,
        "department.jurisdiction": jurisdiction_name,
        "fiscal_year": year,
    }
    for row, (path, label, kind) in enumerate(_PROFILE_ROWS, start=_PROFILE_FIRST_ROW):
        r.expect(f"A{row}", label)
        coord = f"B{row}"
        if kind == _SECTION:
            continue
        if kind == _INFO:
            if path in expected:
                found = r.value(coord)
                if normalized_text(found) != normalized_text(expected[path]):
                    r.fail(
                        coord,
                        f"工作簿的{label}为“{shortened(found or '')}”，与要导入的"
                        f"“{department_name} {year}年度”不符，请下载本部门本年度的模板。",
                    )
            elif path == "department.code":
                _put(raw, path, r.text(coord, label, path))
            else:
                _put(raw, path, r.text(coord, label, path) or None)
        elif kind == _COUNT:
            _put(raw, path, r.count(coord, label, path))
        else:
            _put(raw, path, r.text(coord, label, path))


def _read_funds(r, raw):
    r.expect("A2", "项目")
    for column, header, _ in _FUND_COLUMNS:
        r.expect(f"{column}2", header)
    r.expect("E2", "分值")
    r.expect_merged("A1:G1")
    r.expect("A3", "年度资金总额")
    for column, header, key in _FUND_COLUMNS:
        _put(raw, f"funds.{key}", r.amount(f"{column}3", header, f"funds.{key}"))
    _put(raw, "funds.weight", r.amount("E3", "分值", "funds.weight"))
    row = 5
    for title, _, lines in _FUNDS_GROUPS:
        r.expect(f"A{row}", title)
        r.expect(f"B{row}", "金额（万元）")
        for path, label in lines:
            row += 1
            r.expect(f"A{row}", label)
            _put(raw, path, r.amount(f"B{row}", label, path))
        row += 2


def _read_basic(r, raw, year):
    r.expect("A3", "财政供养人员情况（人）")
    for column, header in zip("BCD", _staffing_headers(year), strict=True):
        r.expect(f"{column}3", header)
    r.expect("A5", "经费控制情况（万元）")
    headers = _basic_headers(year)
    for column, header in zip("BCD", headers, strict=True):
        r.expect(f"{column}5", header)
    r.expect_merged("A1:G1", "A3:A4")
    _put(raw, "staffing.authorized", r.count("B4", "编制数", "staffing.authorized"))
    _put(raw, "staffing.actual", r.count("C4", "实际在职人数", "staffing.actual"))

    rows = {}
    row = 6
    for key in _BASIC_HEAD_KEYS:
        rows[key] = _read_basic_row(r, row, key, headers)
        row += 1
    _table_at(r, "basic_data.project_items", f"A{row}")
    tail = _find_rows(r, row, [BASIC_ROW_LABELS[key] for key in _BASIC_TAIL_KEYS[:2]])
    items = []
    for item_row in range(row, tail):
        if all(r.is_blank(f"{column}{item_row}") for column in "ABCD"):
            continue
        path = f"basic_data.project_items[{len(items)}]"
        item = {"name": r.text(f"A{item_row}", "项目名称", f"{path}.name")}
        for (column, key), header in zip(_BASIC_COLUMNS, headers, strict=True):
            item[key] = r.amount(f"{column}{item_row}", header, f"{path}.{key}")
        items.append(item)
    row = tail
    for key in _BASIC_TAIL_KEYS:
        rows[key] = _read_basic_row(r, row, key, headers)
        row += 1

    r.expect(f"A{row}", _BUILDINGS_LABEL)
    for column, header, _ in _BUILDING_COLUMNS:
        r.expect(f"{column}{row}", header)
    # Where a refusal of the whole list (too many rows, limits.py) points.
    _table_at(r, "basic_data.buildings", f"A{row}")
    austerity = _find_rows(r, row + 1, [_AUSTERITY_LABEL])
    buildings = []
    for building_row in range(row + 1, austerity):
        inputs = ["A"] + [column for column, _, key in _BUILDING_COLUMNS if key]
        if all(r.is_blank(f"{column}{building_row}") for column in inputs):
            continue
        path = f"basic_data.buildings[{len(buildings)}]"
        building = {"name": r.text(f"A{building_row}", "楼堂馆所名称", f"{path}.name")}
        for column, header, key in _BUILDING_COLUMNS:
            if key:
                building[key] = r.amount(f"{column}{building_row}", header, f"{path}.{key}")
        buildings.append(building)
    r.expect_merged(f"B{austerity}:G{austerity}")
    raw["basic_data"] = {
        "rows": rows,
        "project_items": items,
        "buildings": buildings,
        "austerity_measures": r.text(
            f"B{austerity}", _AUSTERITY_LABEL, "basic_data.austerity_measures"
        ),
    }


def _read_basic_row(r, row, key, headers):
    label = BASIC_ROW_LABELS[key]
    r.expect(f"A{row}", label)
    return {
        name: r.amount(
            f"{column}{row}",
            f"{label}·{header}",
            f"basic_data.rows.{key}.{name}",
            allow_negative=key in SIGNED_BASIC_ROWS,
        )
        for (column, name), header in zip(_BASIC_COLUMNS, headers, strict=True)
    }


def _find_rows(r, start, labels, column="A"):
    """The first row from `start` where `labels` stand in consecutive rows of
    `column` (two labels in a row cannot be mistaken for a typed name)."""
    wanted = [normalized_text(label) for label in labels]
    for row in range(start, r.ws.max_row + 1):
        if all(
            normalized_text(r.value(f"{column}{row + offset}")) == label
            for offset, label in enumerate(wanted)
        ):
            return row
    r.fail(f"{column}{start}", f"找不到“{labels[0]}”行（请勿删除或改写表格的固定行）。")


def _read_score(r, raw):
    # Header texts first: after an inserted column they say more than a
    # merged range that moved with it.
    r.expect("A2", "预算单位名称")
    r.expect("A3", "年度预算申请（万元）")
    for column, header in _SCORE_FUNDS_HEADERS:
        r.expect(f"{column}3", header)
    r.expect("B4", "年度资金总额")
    _expect_goal(r, 10)
    _expect_indicator_headers(r, _SCORE_INDICATOR_HEADER)
    r.expect_merged(*_SCORE_MERGES)
    raw["overall_goal"] = _read_goal(r, 10, "overall_goal")
    raw["indicators"] = _read_indicators(r, _SCORE_INDICATOR_HEADER, "indicators")


def _read_project(r, path):
    r.expect("A2", "项目支出名称")
    r.expect("A3", "主管部门")
    r.expect("G3", "实施单位")
    r.expect("A4", "项目资金（万元）")
    for column, header in _SCORE_FUNDS_HEADERS:
        r.expect(f"{column}4", header)
    for row, label, _ in _PROJECT_LINES:
        r.expect(f"B{row}", label)
    _expect_goal(r, 9)
    _expect_indicator_headers(r, _PROJECT_INDICATOR_HEADER)
    r.expect_merged(*_PROJECT_MERGES)
    project = {
        "name": r.text("D2", "项目支出名称", f"{path}.name"),
        "department_in_charge": r.text("D3", "主管部门", f"{path}.department_in_charge"),
        "implementer": r.text("I3", "实施单位", f"{path}.implementer"),
        "funds": {"weight": r.amount("G5", "分值", f"{path}.funds.weight")},
    }
    for row, label, key in _PROJECT_LINES:
        line_path = f"{path}.funds.{key}"
        project["funds"][key] = {
            name: r.amount(f"{column}{row}", f"{label}·{header}", f"{line_path}.{name}")
            for column, header, name in (
                ("D", "年初预算数", "initial_budget"),
                ("E", "全年预算数", "full_year_budget"),
                ("F", "全年执行数", "executed"),
            )
        }
    project["goal"] = _read_goal(r, 9, f"{path}.goal")
    project["indicators"] = _read_indicators(r, _PROJECT_INDICATOR_HEADER, f"{path}.indicators")
    if _project_is_empty(project):
        return None
    return project


def _project_is_empty(project):
    texts = (project["name"], project["department_in_charge"], project["implementer"])
    amounts = [project["funds"]["weight"]]
    for key in ("total", "current_appropriation", "carryover", "other"):
        amounts += project["funds"][key].values()
    return (
        not any(text.strip() for text in texts)
        and all(amount is None for amount in amounts)
        and not any(text.strip() for text in project["goal"].values())
        and not project["indicators"]
    )


def _expect_goal(r, row):
    r.expect(f"A{row}", "年度总体目标")
    r.expect(f"B{row}", "预期目标")
    r.expect(f"G{row}", "实际完成情况")


def _read_goal(r, row, path):
    return {
        "expected": r.text(f"B{row + 1}", "预期目标", f"{path}.expected"),
        "actual": r.text(f"G{row + 1}", "实际完成情况", f"{path}.actual"),
    }


def _expect_indicator_headers(r, header_row):
    r.expect(f"A{header_row}", "绩效指标")
    for column, header, _ in _INDICATOR_COLUMNS:
        r.expect(f"{column}{header_row}", header)


def _table_at(r, path, coord):
    r.where[path] = CellAddress(r.name, coord)


def _read_indicators(r, header_row, path):
    _table_at(r, path, f"A{header_row}")
    total = _find_rows(r, header_row + 1, [_TOTAL_LABEL])
    inputs = [column for column, _, key in _INDICATOR_COLUMNS if key and key != "applicable"]
    indicators = []
    for row in range(header_row + 1, total):
        applicable_text = normalized_text(r.value(f"J{row}"))
        if all(r.is_blank(f"{column}{row}") for column in inputs) and applicable_text in (
            "",
            APPLICABLE,
        ):
            continue
        row_path = f"{path}[{len(indicators)}]"
        indicator = {}
        for column, header, key in _INDICATOR_COLUMNS:
            coord = f"{column}{row}"
            if key in _INDICATOR_TEXTS:
                indicator[key] = r.text(coord, header, f"{row_path}.{key}")
            elif key in _INDICATOR_AMOUNTS:
                indicator[key] = r.amount(coord, header, f"{row_path}.{key}")
        applicable = r.text(f"J{row}", "是否适用", f"{row_path}.applicable").strip()
        if applicable not in ("", APPLICABLE, NOT_APPLICABLE):
            r.problem(
                f"J{row}",
                f"是否适用应为“{APPLICABLE}”或“{NOT_APPLICABLE}”，实际为“{shortened(applicable)}”。",
            )
        indicator["applicable"] = applicable != NOT_APPLICABLE
        if not indicator["applicable"]:
            for column, key, header in (("G", "weight", "分值"), ("H", "score", "得分")):
                if indicator[key] is not None:
                    r.problem(
                        f"{column}{row}", f"不适用的指标不能填写{header}，请清空或改为“适用”。"
                    )
                    indicator[key] = None
        indicators.append(indicator)
    return indicators


# What an import would change ------------------------------------------------------

# Not written by an import: the filing's department and year are fixed, and
# the write (services.persistence) keeps the department's stored code.
_NOT_IMPORTED = ("department", "fiscal_year")


def _as_imported(data: dict) -> dict:
    """A JSON form as an import compares it: without what it never changes,
    and with line breaks as Excel stores them (LF, where browsers send CR LF)."""
    return {key: _lf(value) for key, value in data.items() if key not in _NOT_IMPORTED}


def _lf(value):
    if isinstance(value, dict):
        return {key: _lf(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_lf(item) for item in value]
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


# Import: read, preview, write -------------------------------------------------------


class FilingNotImportable(Exception):
    """The filing's status refuses imports: only 草稿 and 已退回 filings take one."""


class FilingChanged(Exception):
    """The filing was saved by someone else after the preview was shown."""

    def __init__(self):
        super().__init__("该填报已被他人修改，请刷新后重试")


@dataclass(frozen=True)
class PlacedFinding:
    """A validation finding with the place it concerns in the workbook's words."""

    code: str
    kind: str
    message: str
    where: str
    place: str

    @property
    def kind_label(self) -> str:
        return "错误" if self.kind == ERROR else "警告"


def findings_placed(*, findings: list[Finding], data: dict) -> list[PlacedFinding]:
    """`findings` of the document whose JSON form is `data`, each with its place."""
    return [
        PlacedFinding(
            code=finding.code,
            kind=finding.kind,
            message=str(finding.message),
            where=finding.where,
            place=path_label(finding.where, context=(data,)),
        )
        for finding in findings
    ]


@dataclass
class WorkbookImport:
    """What importing a workbook into a filing changes (preview) or changed.

    `version` is the filing's version the comparison was made against; the
    findings and score are those the filing has after the import.
    """

    filing: Filing
    document: FilingDocument
    version: int
    changes: list[Change]
    score: FilingScore
    findings: list[PlacedFinding]
    written: bool = False

    @property
    def grade_shown(self) -> str:
        """等次 as the preview shows it: 未完成 while parts would be missing."""
        missing = document_missing_parts(document=self.document, findings=self.findings)
        return GRADE_INCOMPLETE if missing else self.score.grade

    @property
    def errors(self) -> list[PlacedFinding]:
        return [finding for finding in self.findings if finding.kind == ERROR]

    @property
    def warnings(self) -> list[PlacedFinding]:
        return [finding for finding in self.findings if finding.kind == WARNING]


def filing_check_importable(*, filing: Filing) -> None:
    """Raise FilingNotImportable unless `filing` is a draft or returned."""
    if not filing.is_editable:
        raise FilingNotImportable(
            f"该填报当前状态为“{filing.get_status_display()}”，不能导入工作簿；"
            "只有草稿或已退回的填报可以导入。"
        )


_TEMPLATE_CELL = f"B{_PROFILE_FIRST_ROW + [row[0] for row in _PROFILE_ROWS].index('template')}"


def _import_template(*, filing: Filing, document: FilingDocument) -> ScoringTemplate:
    """The scoring template the filing is scored with after importing
    `document`. The 评分模板 cell is shown, not typed: the bureau assigns the
    template, so a workbook naming another one (the sheet unprotected and
    the cell edited) is refused with a WorkbookError."""
    current = filing.template.name if filing.template_id else None
    if document.template != current:
        raise WorkbookError(
            f"评分模板由财政局设定，不能在工作簿中修改（本填报为“{current or '年度默认模板'}”），"
            "请恢复此格或重新下载工作簿。",
            SHEET_PROFILE,
            _TEMPLATE_CELL,
        )
    return filing.scoring_template


def filing_workbook_read(*, filing: Filing, data: bytes) -> FilingDocument:
    """Read an uploaded workbook as the new content of `filing` (its
    department, jurisdiction and year must be the workbook's).

    Raises FilingNotImportable when the filing is not a draft or returned
    (checked before the file is read), and WorkbookError, naming sheet and
    cell, for whatever `document_from_workbook` refuses and for a 评分模板
    other than the filing's. Nothing is written; the caller checks that the
    user may edit the filing.
    """
    filing_check_importable(filing=filing)
    document = document_from_workbook(
        data=data,
        department_name=filing.department.name,
        jurisdiction_name=filing.department.jurisdiction.name,
        year=filing.fiscal_year.year,
    )
    _import_template(filing=filing, document=document)
    return document


def filing_workbook_preview(*, filing: Filing, document: FilingDocument) -> WorkbookImport:
    """What importing `document` into `filing` would do: every field that
    changes (old and new value, labelled), and the score and findings the
    filing would have. Nothing is written. Raises WorkbookError for a
    评分模板 other than the filing's."""
    template = _import_template(filing=filing, document=document)
    before = _as_imported(document_to_dict(document=filing_document(filing=filing)))
    after = _as_imported(document_to_dict(document=document))
    score = document_score(document=document, template=template)
    findings = document_validate(document=document, template=template, score=score)
    return WorkbookImport(
        filing=filing,
        document=document,
        version=filing.version,
        changes=document_changes(before=before, after=after),
        score=score,
        findings=findings_placed(findings=findings, data=after),
    )


@transaction.atomic
def filing_workbook_import(
    *,
    filing: Filing,
    document: FilingDocument,
    expected_version: int | None = None,
    actor=None,
    source: str = FilingRevision.Source.EXCEL,
) -> WorkbookImport:
    """Import `document` (read from a workbook for this filing) into `filing`.

    The filing row is locked; the import is refused with FilingNotImportable
    unless it is a draft or returned, with FilingChanged when
    `expected_version` (the version the officer previewed) is given and the
    filing has been saved since, and with WorkbookError when the document is
    not this filing's or names another 评分模板. When nothing changes,
    nothing is written (the version stays); otherwise the one write path
    (services.persistence) writes what differs, bumps the version and records
    the revision by `actor` (None: 系统) from `source`, all in this one
    transaction. Returns the preview with `written` set and the filing as
    saved. The caller checks that the user may edit the filing (its officers,
    superusers; the command line is trusted).
    """
    locked = Filing.objects.select_for_update().get(pk=filing.pk)
    filing_check_importable(filing=locked)
    if expected_version is not None and locked.version != expected_version:
        raise FilingChanged()
    expected = (
        locked.department.name,
        locked.department.jurisdiction.name,
        locked.fiscal_year.year,
    )
    found = (document.department.name, document.department.jurisdiction, document.fiscal_year)
    if found != expected:
        raise WorkbookError(
            f"工作簿属于“{found[0]} {found[2]}年度”，"
            f"与本填报“{expected[0]} {expected[2]}年度”不符。"
        )
    result = filing_workbook_preview(filing=locked, document=document)
    if result.changes:
        written = filing_document_write(
            filing=locked,
            document=document,
            actor=actor,
            expected_version=locked.version,
            source=source,
        )
        result.filing = written.filing
        result.written = written.changed
    return result


# The bureau's summary workbook --------------------------------------------------------

SUMMARY_SHEET = "部门汇总"
FINDINGS_SHEET = "检查结果"
NOT_STARTED = "未开始"

_SUMMARY_COLUMNS = (
    ("序号", 6, COUNT_FORMAT),
    ("行政区划", 16, TEXT_FORMAT),
    ("预算部门", 32, TEXT_FORMAT),
    ("部门代码", 12, TEXT_FORMAT),
    ("状态", 10, TEXT_FORMAT),
    ("全年预算数（万元）", 16, AMOUNT_FORMAT),
    ("全年执行数（万元）", 16, AMOUNT_FORMAT),
    ("执行率", 10, RATE_FORMAT),
    ("总分", 10, AMOUNT_FORMAT),
    ("等次", 8, TEXT_FORMAT),
    ("错误", 8, COUNT_FORMAT),
    ("警告", 8, COUNT_FORMAT),
)
_FINDINGS_COLUMNS = (
    ("序号", 6, COUNT_FORMAT),
    ("行政区划", 16, TEXT_FORMAT),
    ("预算部门", 28, TEXT_FORMAT),
    ("类型", 8, TEXT_FORMAT),
    ("说明", 60, TEXT_FORMAT),
    ("位置", 40, TEXT_FORMAT),
)


def _table_sheet(workbook, name, title, columns):
    sheet = workbook.create_sheet(name)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].value = title
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = _CENTER
    sheet.row_dimensions[1].height = 30
    for index, (header, width, _) in enumerate(columns, start=1):
        cell = sheet.cell(row=2, column=index, value=header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = _CENTER
        cell.border = _BORDER
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A3"
    return sheet


def _table_row(sheet, row, columns, values):
    for index, ((_, _, number_format), value) in enumerate(zip(columns, values, strict=True), 1):
        cell = sheet.cell(row=row, column=index)
        if isinstance(value, str):
            # Department names and messages hold typed text: never a formula.
            _set_text(cell, value)
        else:
            cell.value = value
        cell.number_format = number_format
        cell.border = _BORDER
        cell.alignment = _WRAP


def summary_workbook(*, jurisdictions, fiscal_year: FiscalYear) -> bytes:
    """The bureau's overview of `fiscal_year` as .xlsx bytes.

    Sheet 部门汇总: one row per department of `jurisdictions` (a queryset or
    list of Jurisdiction), those without a filing included as 未开始, with
    status, 全年预算数, 全年执行数, 执行率, 总分, 等次 (未完成 while parts are
    missing, as on the filing pages) and the numbers of errors and warnings.
    Sheet 检查结果: every error and warning of every filing with department,
    kind, message and where it is, in the workbook's words. Each filing is
    scored and validated afresh with its scoring template, so both sheets agree
    with the filing pages. Texts are written as text cells (never formulas).
    The caller passes only the jurisdictions the user reviews.
    """

    departments = list(
        Department.objects.filter(jurisdiction__in=jurisdictions)
        .select_related("jurisdiction")
        .order_by("jurisdiction__name", "name")
    )
    filings = {
        filing.department_id: filing
        for filing in Filing.objects.filter(
            fiscal_year=fiscal_year, department__in=[department.pk for department in departments]
        ).select_related("template", "fiscal_year__default_template")
    }
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.creator = "perfeval"
    year = fiscal_year.year
    overview = _table_sheet(
        workbook, SUMMARY_SHEET, f"{year}年度部门整体支出绩效自评汇总表", _SUMMARY_COLUMNS
    )
    problems = _table_sheet(
        workbook, FINDINGS_SHEET, f"{year}年度部门整体支出绩效自评检查结果", _FINDINGS_COLUMNS
    )
    finding_row = 3
    for number, department in enumerate(departments, start=1):
        names = [department.jurisdiction.name, department.name]
        filing = filings.get(department.pk)
        if filing is None:
            values = [number, *names, department.code, NOT_STARTED, *([None] * 7)]
            _table_row(overview, number + 2, _SUMMARY_COLUMNS, values)
            continue
        document = filing_document(filing=filing)
        template = filing.scoring_template
        score = document_score(document=document, template=template)
        findings = findings_placed(
            findings=document_validate(document=document, template=template, score=score),
            data=document_to_dict(document=document),
        )
        error_count = sum(1 for finding in findings if finding.kind == ERROR)
        unfinished = document_missing_parts(document=document, findings=findings)
        values = [
            number,
            *names,
            department.code,
            str(filing.get_status_display()),
            document.funds.full_year_budget,
            document.funds.executed,
            score.execution_rate,
            score.total_score,
            GRADE_INCOMPLETE if unfinished else score.grade or "",
            error_count,
            len(findings) - error_count,
        ]
        _table_row(overview, number + 2, _SUMMARY_COLUMNS, values)
        for finding in findings:
            values = [
                finding_row - 2,
                *names,
                finding.kind_label,
                finding.message,
                finding.place,
            ]
            _table_row(problems, finding_row, _FINDINGS_COLUMNS, values)
            finding_row += 1
    for sheet in (overview, problems):
        sheet.auto_filter.ref = f"A2:{get_column_letter(sheet.max_column)}{sheet.max_row}"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()

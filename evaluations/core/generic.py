"""The generic filing document (`perfeval-filing/2`, layout "generic"): reading,
scoring, validation, missing parts and change lists, all driven by a form
template (core.template), so a new province's forms need no code.

The document holds what people typed: header values, table rows (fixed rows by
their key, the officer's own rows by their group), narrative, the officer's own
total (templates without points on the print), contact. Scoring follows
docs/form-templates.md: Decimal throughout, every figure rounded to 2 places
四舍五入 (core.document.quantize). Pure: no Django.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import NamedTuple

from .document import Contact, Department, Indicator, quantize
from .params import ScoringParams
from .scoring import (
    HUNDRED,
    ZERO,
    IndicatorResult,
    indicator_suggest,
    parse_indicator_value,
    qualitative_grade,
    rate,
    rule_score,
)
from .template import (
    CHECK_KINDS,
    DEFAULT_CELL_LENGTH,
    DEFAULT_HEADER_LENGTH,
    DEFAULT_NARRATIVE_LENGTH,
    ERROR,
    LABEL_CELL,
    RULE_KINDS,
    WARNING,
    Bonus,
    Column,
    FormTemplate,
    FreeSlot,
    Group,
    Row,
    Rule,
    Table,
    TableEntry,
    TemplateError,
    TemplateProblem,
    number_text,
)
from .validation import Finding

FORMAT = "perfeval-filing/2"
# Amounts fit DecimalField(max_digits=14, decimal_places=2).
MAX_NUMBER = Decimal("1000000000000")
CONTACT_LABELS = {
    "preparer": "填表人",
    "phone": "联系电话",
    "date": "填报日期",
    "head": "单位负责人",
}
REQUIRED_CONTACT = ("preparer", "phone", "head")
DEPARTMENT_KEYS = ("name", "jurisdiction", "code")
UNTRACEABLE_NOTE = "单位自评填报，未按行计分"

Value = Decimal | int | str


class DocumentError(TemplateError):
    """A `perfeval-filing/2` document that does not fit its template; `problems`
    lists every problem with its JSON path."""


@dataclass
class GenericRow:
    """One row of a table: a fixed row (`row` = its key) or one of the
    officer's own rows (`group` = the key of the group holding the free slot;
    its name is the cell "label")."""

    row: str | None = None
    group: str | None = None
    cells: dict[str, Value] = field(default_factory=dict)
    not_applicable: bool = False
    reason: str = ""

    @property
    def applicable(self) -> bool:
        return not self.not_applicable


@dataclass
class OfficerTotal:
    score: Decimal | None = None
    grade: str = ""


@dataclass
class GenericDocument:
    """A generic filing. `tables` holds every table of the template, each in
    print order with every fixed row present (a fixed row missing from the file
    is an empty row) and the free rows of a group after its fixed rows."""

    fiscal_year: int
    template_code: str
    template_version: str
    department: Department = field(default_factory=Department)
    header: dict[str, Value] = field(default_factory=dict)
    tables: dict[str, list[GenericRow]] = field(default_factory=dict)
    narrative: dict[str, str] = field(default_factory=dict)
    officer_total: OfficerTotal | None = None
    contact: Contact = field(default_factory=Contact)


# --- reading ----------------------------------------------------------------------


class _Problems:
    def __init__(self):
        self.problems: list[TemplateProblem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(TemplateProblem(path, message))

    def mapping(self, raw, path: str, keys: tuple[str, ...]) -> dict:
        if not isinstance(raw, dict):
            self.add(path, "应为对象（{…}）。")
            return {}
        for key in raw:
            if key not in keys:
                self.add(f"{path}.{key}" if path else key, f"未知的键“{key}”。")
        return raw

    def text(self, raw: dict, key: str, path: str, limit: int) -> str:
        value = raw.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.add(path, "应为文字。")
            return ""
        if len(value) > limit:
            self.add(path, f"文字为 {len(value)} 字，超过上限 {limit} 字。")
        return value


def parse_value(kind: str, raw, *, choices=(), max_length=None) -> tuple[Value | None, str]:
    """A cell or header value of column type `kind`: (value, "") or (None, message).

    Empty (None or "") is None. text: at most `max_length` characters; enum: one
    of `choices`; date: YYYY-MM-DD; amount/points: a number of at most 2 decimal
    places ("770.84"); percent: the same, "%" allowed ("95%" is 95); integer: a
    whole number. Numbers may be JSON numbers or strings; signs are allowed
    here (a negative amount is a finding, not a reading error).
    """
    if raw is None or raw == "":
        return None, ""
    if kind in ("text", "enum", "date"):
        return _parse_text(kind, raw, choices, max_length)
    if kind == "integer":
        text = str(raw).strip() if not isinstance(raw, bool) else ""
        if isinstance(raw, int | str) and re.fullmatch(r"-?\d{1,12}", text):
            return int(text), ""
        return None, f"应为整数，实际为“{raw}”。"
    return _parse_number(kind, raw)


def _parse_text(kind: str, raw, choices, max_length) -> tuple[str | None, str]:
    if not isinstance(raw, str):
        return None, f"应为文字，实际为“{raw}”。"
    if kind == "enum" and raw not in choices:
        return None, f"“{raw}”不是可选项；可选：{'、'.join(choices)}。"
    if kind == "date":
        try:
            date.fromisoformat(raw)
        except ValueError:
            return None, f"日期应写作 YYYY-MM-DD，实际为“{raw}”。"
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return None, f"日期应写作 YYYY-MM-DD，实际为“{raw}”。"
    limit = max_length or DEFAULT_CELL_LENGTH
    if kind == "text" and len(raw) > limit:
        return None, f"文字为 {len(raw)} 字，超过上限 {limit} 字。"
    return raw, ""


def _parse_number(kind: str, raw) -> tuple[Decimal | None, str]:
    if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal | float):
        return None, f"应为数字，实际为“{raw}”。"
    text = repr(raw) if isinstance(raw, float) else str(raw).strip()
    if kind == "percent" and text.endswith(("%", "％")):
        text = text[:-1].strip()
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        what = {"amount": "金额", "percent": "百分比", "points": "分数"}[kind]
        return None, f"{what}应为数字，实际为“{raw}”。"
    number = Decimal(text)
    if -number.as_tuple().exponent > 2:
        return None, f"最多两位小数，实际为“{raw}”。"
    if abs(number) >= MAX_NUMBER:
        return None, f"数值过大：“{raw}”。"
    return number, ""


def value_json(value: Value | None):
    """A value as the document writes it: numbers as text ("770.84"), whole
    numbers of integer columns as JSON integers."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return value


def generic_document_from_json(raw: dict, template: FormTemplate) -> GenericDocument:
    """Read a `perfeval-filing/2` document of a generic-layout template.

    Refuses (DocumentError listing every problem with its JSON path): another
    format or template; an unknown header field, table, row key, group,
    column or narrative section; a value that is not of its column's type
    (amount, percent, points, integer, date, choice); text over its
    max_length; a fixed row given twice; more free rows in a group than its
    max_rows; 不适用 on a row that may not be; a cell of a template or computed
    column; a max_points cell on a row whose maximum the template fixes;
    officer_total in a template that scores rows.
    """
    problems = _Problems()
    if isinstance(raw, dict):
        # A file of another form is refused for that alone: its keys would
        # only add a list of "unknown" ones that says nothing more.
        _check_template_reference(problems, raw.get("form_template"), template)
        if problems.problems:
            raise DocumentError(problems.problems)
    obj = problems.mapping(
        raw,
        "",
        (
            "format",
            "form_template",
            "fiscal_year",
            "department",
            "header",
            "tables",
            "narrative",
            "officer_total",
            "contact",
            "computed",
        ),
    )
    if obj.get("format") != FORMAT:
        problems.add("format", f"格式应为 {FORMAT}，实际为“{obj.get('format')}”。")
    document = GenericDocument(
        fiscal_year=_read_year(problems, obj.get("fiscal_year")),
        template_code=template.code,
        template_version=template.version,
        department=Department(**_read_strings(problems, obj, "department", DEPARTMENT_KEYS)),
        header=_read_header(problems, obj.get("header"), template),
        tables=_read_tables(problems, obj.get("tables"), template),
        narrative=_read_narrative(problems, obj.get("narrative"), template),
        officer_total=_read_officer_total(problems, obj, template),
        contact=Contact(**_read_strings(problems, obj, "contact", tuple(CONTACT_LABELS))),
    )
    if document.contact.date:
        _, message = parse_value("date", document.contact.date)
        if message:
            problems.add("contact.date", message)
    _check_table_text(problems, document)
    if problems.problems:
        raise DocumentError(problems.problems)
    return document


def _check_table_text(problems: _Problems, document: GenericDocument) -> None:
    """The tables' text of one filing together stays within the bound of
    core.limits (the Hunan tables' bound: it keeps the report's PDF fast); each
    cell is already within its column's max_length."""
    # core.limits reads the Hunan document, whose constants come from the
    # Hunan template: imported here, when every module is loaded.
    from .limits import MAX_TABLE_TEXT

    rows = [row for table_rows in document.tables.values() for row in table_rows]
    text = sum(len(row.reason) for row in rows) + sum(
        len(value) for row in rows for value in row.cells.values() if isinstance(value, str)
    )
    if text > MAX_TABLE_TEXT:
        problems.add(
            "tables",
            f"表格中的文字合计 {text} 字，超过上限 {MAX_TABLE_TEXT} 字；请精简后再导入。",
        )


def _check_template_reference(problems: _Problems, raw, template: FormTemplate) -> None:
    if not isinstance(raw, dict):
        problems.add("form_template", f"缺少表式 form_template（应为 {template.identity}）。")
        return
    named = f"{raw.get('code')}@{raw.get('version')}"
    if named != template.identity:
        problems.add("form_template", f"文件使用的表式为 {named}，与 {template.identity} 不符。")


def _read_year(problems: _Problems, raw) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1990 <= raw <= 2100:
        problems.add("fiscal_year", f"年度应为1990至2100之间的整数，实际为“{raw}”。")
        return 0
    return raw


def _read_strings(problems: _Problems, obj: dict, key: str, keys: tuple[str, ...]) -> dict:
    raw = problems.mapping(obj.get(key, {}), key, keys)
    return {name: problems.text(raw, name, f"{key}.{name}", 200) for name in keys}


def _read_header(problems: _Problems, raw, template: FormTemplate) -> dict[str, Value]:
    values = {}
    for key, value in (raw or {}).items() if isinstance(raw, dict) else ():
        item = template.header_field(key)
        if item is None:
            problems.add(f"header.{key}", f"表头没有字段“{key}”。")
            continue
        parsed, message = parse_value(
            item.type,
            value,
            choices=item.choices,
            max_length=item.max_length or DEFAULT_HEADER_LENGTH,
        )
        if message:
            problems.add(f"header.{key}", f"{item.label}：{message}")
        elif parsed is not None:
            values[key] = parsed
    if raw is not None and not isinstance(raw, dict):
        problems.add("header", "应为对象（{…}）。")
    return values


def _read_narrative(problems: _Problems, raw, template: FormTemplate) -> dict[str, str]:
    texts = {}
    if raw is not None and not isinstance(raw, dict):
        problems.add("narrative", "应为对象（{…}）。")
        return texts
    for key in raw or {}:
        section = template.narrative_section(key)
        if section is None:
            problems.add(f"narrative.{key}", f"没有叙述部分“{key}”。")
            continue
        limit = section.max_length or DEFAULT_NARRATIVE_LENGTH
        text = problems.text(raw, key, f"narrative.{key}", limit)
        if text:
            texts[key] = text
    return texts


def _read_officer_total(problems: _Problems, obj: dict, template: FormTemplate):
    raw = obj.get("officer_total")
    if template.scoring.points != "officer_total":
        if raw:
            problems.add("officer_total", "本表式按行计分或不计分，不能填写单位自评总分。")
        return None
    item = problems.mapping(raw or {}, "officer_total", ("score", "grade"))
    score, message = parse_value("points", item.get("score"))
    if message:
        problems.add("officer_total.score", f"单位自评得分：{message}")
    return OfficerTotal(score=score, grade=problems.text(item, "grade", "officer_total.grade", 20))


def _read_tables(problems: _Problems, raw, template: FormTemplate) -> dict[str, list[GenericRow]]:
    if raw is not None and not isinstance(raw, dict):
        problems.add("tables", "应为对象（{…}）。")
        raw = {}
    raw = raw or {}
    for key in raw:
        if template.table(key) is None:
            problems.add(f"tables.{key}", f"表式中没有表“{key}”。")
    return {
        table.key: _read_table_rows(problems, raw.get(table.key), table)
        for table in template.tables
    }


def _read_table_rows(problems: _Problems, raw, table: Table) -> list[GenericRow]:
    path = f"tables.{table.key}"
    if raw is not None and not isinstance(raw, list):
        problems.add(path, "应为行的列表（[…]）。")
        raw = []
    fixed: dict[str, GenericRow] = {}
    free: dict[str, list[GenericRow]] = {}
    for index, item in enumerate(raw or []):
        _read_table_row(problems, item, f"{path}[{index}]", table, fixed, free)
    rows = []
    for entry in table.entries():
        if entry.row is not None:
            rows.append(fixed.get(entry.row.key) or GenericRow(row=entry.row.key))
        else:
            rows.extend(free.get(entry.group.key, []))
    return rows


def _read_table_row(problems, item, path: str, table: Table, fixed: dict, free: dict) -> None:
    item = problems.mapping(item, path, ("row", "group", "cells", "not_applicable", "reason"))
    if not item:
        return
    if ("row" in item) == ("group" in item):
        problems.add(
            path, "每行须有 row（固定行的键）或 group（自填行所属分组的键），且只能有其一。"
        )
        return
    if "row" in item:
        entry = table.row(item["row"]) if isinstance(item["row"], str) else None
        if entry is None:
            problems.add(f"{path}.row", f"表“{table.title}”中没有键为“{item['row']}”的固定行。")
            return
        if entry.row.key in fixed:
            problems.add(f"{path}.row", f"固定行“{entry.row.label}”出现了两次。")
            return
        fixed[entry.row.key] = _read_row_values(problems, item, path, table, entry)
        return
    group_path = table.group(item["group"]) if isinstance(item["group"], str) else None
    if group_path is None or group_path[-1].free is None:
        problems.add(f"{path}.group", f"表“{table.title}”中没有可自填行的分组“{item['group']}”。")
        return
    entry = TableEntry(path=group_path, free=group_path[-1].free)
    rows = free.setdefault(entry.group.key, [])
    if len(rows) >= entry.free.max_rows:
        problems.add(
            path,
            f"“{entry.group.label}”的自填行超过上限 {entry.free.max_rows} 行。",
        )
        return
    rows.append(_read_row_values(problems, item, path, table, entry))


def _read_row_values(problems, item: dict, path: str, table: Table, entry: TableEntry):
    declared = entry.row or entry.free
    not_applicable = item.get("not_applicable", False)
    if not isinstance(not_applicable, bool):
        problems.add(f"{path}.not_applicable", "应为 true 或 false。")
        not_applicable = False
    if not_applicable and not declared.not_applicable:
        problems.add(f"{path}.not_applicable", "该行不允许标记为不适用。")
    return GenericRow(
        row=entry.row.key if entry.row is not None else None,
        group=None if entry.row is not None else entry.group.key,
        cells=_read_cells(problems, item.get("cells"), f"{path}.cells", table, entry),
        not_applicable=not_applicable,
        reason=problems.text(item, "reason", f"{path}.reason", DEFAULT_CELL_LENGTH),
    )


def _read_cells(problems, raw, path: str, table: Table, entry: TableEntry) -> dict[str, Value]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add(path, "应为对象（{…}）。")
        return {}
    cells = {}
    for key, value in raw.items():
        where = f"{path}.{key}"
        if key == LABEL_CELL:
            if entry.row is not None:
                problems.add(where, "固定行的名称由表式规定，不能填写。")
            elif value not in (None, ""):
                text, message = parse_value("text", value, max_length=DEFAULT_CELL_LENGTH)
                if message:
                    problems.add(where, f"名称：{message}")
                else:
                    cells[key] = text
            continue
        column = table.column(key)
        message = _cell_refusal(column, key, entry, value)
        if not message and column is not None:
            parsed, message = parse_value(
                column.type, value, choices=column.choices, max_length=column.max_length
            )
            if parsed is not None and not message:
                cells[key] = parsed
        if message:
            problems.add(where, message if column is None else f"{column.label}：{message}")
    return cells


def _cell_refusal(column: Column | None, key: str, entry: TableEntry, value) -> str:
    """Why a document may not hold this cell, or ""."""
    if column is None:
        return f"表中没有列“{key}”。"
    if column.editor in ("template", "computed"):
        return "该列由表式或系统给出，不能填写。"
    declared = entry.row or entry.free
    if column.role == "max_points" and declared.max_points is not None:
        parsed, _ = parse_value("points", value)
        if parsed is not None and parsed != declared.max_points:
            return f"该行分值由表式规定为 {number_text(declared.max_points)}，不能改为 {value}。"
    return ""


def generic_document_to_json(document: GenericDocument) -> dict:
    """The document as `perfeval-filing/2` JSON (every fixed row written, in
    print order); `generic_document_from_json` of it gives the same document."""
    data = {
        "format": FORMAT,
        "form_template": {"code": document.template_code, "version": document.template_version},
        "fiscal_year": document.fiscal_year,
        "department": {key: getattr(document.department, key) for key in DEPARTMENT_KEYS},
        "header": {key: value_json(value) for key, value in document.header.items()},
        "tables": {key: [_row_json(row) for row in rows] for key, rows in document.tables.items()},
        "narrative": dict(document.narrative),
        "contact": {key: getattr(document.contact, key) for key in CONTACT_LABELS},
    }
    if document.officer_total is not None:
        data["officer_total"] = {
            "score": value_json(document.officer_total.score),
            "grade": document.officer_total.grade,
        }
    return data


def _row_json(row: GenericRow) -> dict:
    data = {"row": row.row} if row.row is not None else {"group": row.group}
    data["cells"] = {key: value_json(value) for key, value in row.cells.items()}
    data["not_applicable"] = row.not_applicable
    data["reason"] = row.reason
    return data


# --- walking a document against its template ----------------------------------------


@dataclass(frozen=True)
class PlacedRow:
    """A document row with its template place: `entry` (fixed row or free slot),
    its index in the document's table and its number within its free slot."""

    table: Table
    index: int
    row: GenericRow
    entry: TableEntry
    free_number: int = 0  # 1, 2 … for free rows; 0 for fixed rows

    @property
    def where(self) -> str:
        return f"tables.{self.table.key}[{self.index}]"

    @property
    def declared(self) -> Row | FreeSlot:
        return self.entry.row or self.entry.free

    @property
    def label(self) -> str:
        if self.entry.row is not None:
            return self.entry.row.label
        return str(self.row.cells.get(LABEL_CELL, "")).strip()

    @property
    def title(self) -> str:
        """How a message names the row: "整体绩效自评表第3行“公用经费控制率”"."""
        named = f"“{self.label}”" if self.label else ""
        if self.entry.row is None:
            slot = self.entry.free.label or self.entry.group.label
            return (
                f"{self.table.title}第{self.index + 1}行（{slot}自填第{self.free_number}行）{named}"
            )
        return f"{self.table.title}第{self.index + 1}行{named}"

    def value(self, role: str) -> Value | None:
        column = self.table.column_for_role(role)
        return self.row.cells.get(column.key) if column is not None else None

    def max_points(self) -> Decimal | None:
        """The template's maximum, else (when it leaves it open) the entered one."""
        if self.declared.max_points is not None:
            return self.declared.max_points
        entered = self.value("max_points")
        return entered if isinstance(entered, Decimal) else None


def placed_rows(document: GenericDocument, table: Table) -> Iterator[PlacedRow]:
    """The rows of `table` in the document, each with its template place."""
    fixed = {entry.row.key: entry for entry in table.entries() if entry.row is not None}
    counts: dict[str, int] = {}
    for index, row in enumerate(document.tables.get(table.key, [])):
        if row.row is not None:
            yield PlacedRow(table=table, index=index, row=row, entry=fixed[row.row])
            continue
        path = table.group(row.group)
        counts[row.group] = counts.get(row.group, 0) + 1
        entry = TableEntry(path=path, free=path[-1].free)
        yield PlacedRow(
            table=table, index=index, row=row, entry=entry, free_number=counts[row.group]
        )


# --- scoring ----------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """What a row's rule suggests: `score` (None when it cannot say), or for a
    qualitative row the allowed `band` (low, high; high included only when
    `band_high_inclusive`). `comparable` is False when the target is a number
    and the actual is not."""

    rule: str
    score: Decimal | None = None
    band: tuple[Decimal, Decimal] | None = None
    band_high_inclusive: bool = False
    comparable: bool = True
    grade: str = ""

    def band_contains(self, score: Decimal) -> bool:
        if self.band is None:
            return True
        low, high = self.band
        return low <= score and (score <= high if self.band_high_inclusive else score < high)


@dataclass(frozen=True)
class RowScore:
    """One row: its maximum, whether it counts, the officer's and the reviewer's
    score, the rule's suggestion, and `section` — "" for a row of the base
    total, else the key of the bonus or deduction section it belongs to."""

    table: str
    index: int
    where: str
    label: str
    max_points: Decimal | None
    applicable: bool
    score: Decimal | None
    review_score: Decimal | None
    suggestion: Suggestion | None
    section: str = ""


@dataclass(frozen=True)
class GroupScore:
    """Subtotals of one group (all its rows, at any depth): Σ max_points of
    all rows, of the applicable rows, and Σ score of the applicable rows."""

    table: str
    key: str
    label: str
    level: int
    maximum: Decimal
    applicable_maximum: Decimal
    score: Decimal


@dataclass(frozen=True)
class SectionScore:
    """A bonus or deduction section: the entered Σ and the part applied (≤ max)."""

    key: str
    label: str
    max_points: Decimal
    entered: Decimal
    applied: Decimal
    after_normalization: bool


@dataclass(frozen=True)
class GenericScore:
    """Every figure of a generic filing.

    `points` is the template's mode. For "rows": `raw_total` (自评得分合计),
    `applicable_maximum` (适用分值合计), bonus and deduction sections,
    `normalized` (换算得分) and `grade`. For "officer_total": `normalized` and
    `grade` are the officer's entered figures, `traceable` is False and
    `grade_by_bands` is the grade the bands give the entered total. For "none":
    no totals. `execution_*` are set when the template has an execution block.
    """

    points: str
    rows: list[RowScore]
    groups: list[GroupScore]
    raw_total: Decimal | None = None
    applicable_maximum: Decimal | None = None
    bonus: list[SectionScore] = field(default_factory=list)
    deductions: list[SectionScore] = field(default_factory=list)
    normalized: Decimal | None = None
    grade: str = ""
    traceable: bool = True
    grade_by_bands: str = ""
    execution_rate: Decimal | None = None
    execution_score: Decimal | None = None
    execution_weight: Decimal | None = None

    @property
    def bonus_total(self) -> Decimal:
        return quantize(sum((section.applied for section in self.bonus), ZERO))

    @property
    def deduction_total(self) -> Decimal:
        return quantize(sum((section.applied for section in self.deductions), ZERO))

    @property
    def note(self) -> str:
        """What every display of an untraceable total must say."""
        return "" if self.traceable else UNTRACEABLE_NOTE

    def row(self, table: str, index: int) -> RowScore:
        return next(row for row in self.rows if row.table == table and row.index == index)


def generic_score(document: GenericDocument, template: FormTemplate) -> GenericScore:
    """Score a generic filing (docs/form-templates.md, 计分).

    - A row counts when it is applicable (not 不适用); an empty score counts 0.
    - 自评得分合计 = Σ score of applicable rows of `sum_tables` outside bonus and
      deduction groups, + the execution score (weight × min(rate, cap) ÷ 100).
    - 适用分值合计 = Σ max_points of the same rows, + the execution weight.
    - Each bonus (deduction) section adds (subtracts) min(Σ its scores, max).
    - normalization "applicable_maximum": 换算得分 = (合计 ± sections applied
      before normalization) ÷ 适用分值合计 × 100, then ± the sections after;
      "none": the same without the division. Never below 0; None when the
      applicable maximum is 0.
    - grade: the first band whose min ≤ 换算得分.
    Every figure is rounded to 2 places, 四舍五入. Never raises.
    """
    rows = _row_scores(document, template)
    groups = _group_scores(document, template, rows)
    scoring = template.scoring
    if scoring.points == "none":
        return GenericScore(points="none", rows=rows, groups=groups, traceable=False)
    if scoring.points == "officer_total":
        entered = document.officer_total or OfficerTotal()
        score = quantize(entered.score)
        return GenericScore(
            points="officer_total",
            rows=rows,
            groups=groups,
            normalized=score,
            grade=entered.grade,
            traceable=False,
            grade_by_bands=scoring.grade_of(score),
        )
    return _rows_total(document, template, rows, groups)


def _rows_total(document, template, rows, groups) -> GenericScore:
    scoring = template.scoring
    execution_rate, execution_score, execution_weight = _execution(document, template)
    base = [
        row
        for row in rows
        if row.applicable and not row.section and row.table in scoring.sum_tables
    ]
    raw_total = quantize(sum((row.score or ZERO for row in base), execution_score or ZERO))
    maximum = quantize(sum((row.max_points or ZERO for row in base), execution_weight or ZERO))
    bonus = [_section(entry, rows) for entry in scoring.bonus]
    deductions = [_section(entry, rows) for entry in scoring.deductions]
    normalized = _normalize(scoring.normalization, raw_total, maximum, bonus, deductions)
    return GenericScore(
        points="rows",
        rows=rows,
        groups=groups,
        raw_total=raw_total,
        applicable_maximum=maximum,
        bonus=bonus,
        deductions=deductions,
        normalized=normalized,
        grade=scoring.grade_of(normalized),
        execution_rate=execution_rate,
        execution_score=execution_score,
        execution_weight=execution_weight,
    )


def _normalize(normalization, raw_total, maximum, bonus, deductions) -> Decimal | None:
    """换算得分: sections before, the division, sections after; never below 0."""

    def adjustment(after: bool) -> Decimal:
        added = sum((s.applied for s in bonus if s.after_normalization == after), ZERO)
        taken = sum((s.applied for s in deductions if s.after_normalization == after), ZERO)
        return added - taken

    value = raw_total + adjustment(after=False)
    if normalization == "applicable_maximum":
        if maximum == 0:
            return None
        value = quantize(value * HUNDRED / maximum)
    return quantize(max(value + adjustment(after=True), ZERO))


def _section(entry: Bonus, rows: list[RowScore]) -> SectionScore:
    entered = quantize(
        sum(
            (row.score or ZERO for row in rows if row.section == entry.key and row.applicable),
            ZERO,
        )
    )
    return SectionScore(
        key=entry.key,
        label=entry.label,
        max_points=entry.max_points,
        entered=entered,
        applied=quantize(min(max(entered, ZERO), entry.max_points)),
        after_normalization=entry.after_normalization,
    )


def _execution(document: GenericDocument, template: FormTemplate):
    """(rate, score, weight) of the execution block; all None without one."""
    execution = template.scoring.execution
    if execution is None:
        return None, None, None
    budget = document.header.get(execution.budget.removeprefix("header."))
    executed = document.header.get(execution.executed.removeprefix("header."))
    execution_rate = rate(executed, budget)
    score = None
    if execution_rate is not None:
        capped = min(max(execution_rate, ZERO), execution.cap_percent)
        score = quantize(execution.weight * capped / HUNDRED)
    return execution_rate, score, quantize(execution.weight)


def _sections_of(template: FormTemplate) -> dict[tuple[str, str], str]:
    """(table, group key) → section key of every bonus and deduction group."""
    entries = (*template.scoring.bonus, *template.scoring.deductions)
    return {(entry.table, entry.group): entry.key for entry in entries}


def _row_scores(document: GenericDocument, template: FormTemplate) -> list[RowScore]:
    sections = _sections_of(template)
    scores = []
    for table in template.tables:
        for placed in placed_rows(document, table):
            section = next(
                (
                    sections[(table.key, g.key)]
                    for g in placed.entry.path
                    if (table.key, g.key) in sections
                ),
                "",
            )
            maximum = placed.max_points()
            score = placed.value("score")
            review = placed.value("review_score")
            scores.append(
                RowScore(
                    table=table.key,
                    index=placed.index,
                    where=placed.where,
                    label=placed.label,
                    max_points=maximum,
                    applicable=placed.row.applicable,
                    score=score if isinstance(score, Decimal) else None,
                    review_score=review if isinstance(review, Decimal) else None,
                    suggestion=suggest(placed, maximum) if placed.row.applicable else None,
                    section=section,
                )
            )
    return scores


def _group_scores(document, template, rows: list[RowScore]) -> list[GroupScore]:
    by_place = {(row.table, row.index): row for row in rows}
    totals: dict[tuple[str, str], list] = {}
    for table in template.tables:
        for placed in placed_rows(document, table):
            row = by_place[(table.key, placed.index)]
            for group in placed.entry.path:
                totals.setdefault((table.key, group.key), []).append(row)
    groups = []
    for table in template.tables:
        for group in _all_groups(table.groups):
            members = totals.get((table.key, group.key), [])
            applicable = [row for row in members if row.applicable]
            groups.append(
                GroupScore(
                    table=table.key,
                    key=group.key,
                    label=group.label,
                    level=group.level,
                    maximum=quantize(sum((r.max_points or ZERO for r in members), ZERO)),
                    applicable_maximum=quantize(
                        sum((r.max_points or ZERO for r in applicable), ZERO)
                    ),
                    score=quantize(sum((r.score or ZERO for r in applicable), ZERO)),
                )
            )
    return groups


def _all_groups(groups: tuple[Group, ...]) -> Iterator[Group]:
    for group in groups:
        yield group
        yield from _all_groups(group.groups)


# --- rules -----------------------------------------------------------------------------


def suggest(placed: PlacedRow, maximum: Decimal | None) -> Suggestion | None:
    """The suggestion of the row's rule (None when the row has no rule).

    positive / reverse / equal: DOMAIN.md's formulas on A (target) and B
    (actual), whatever comparator A is written with; auto: the rule A's
    comparator and B's text imply (core.scoring.indicator_suggest);
    qualitative: the band of B's grade; manual: nothing; bands and
    deduct_per_unit: see `_bands` and `_deduct`. No score without a maximum.
    """
    rule = placed.declared.rule
    if rule is None:
        return None
    if rule.kind in ("auto", "qualitative"):
        result = _indicator_result(placed, maximum, rule)
        if rule.kind == "qualitative" and result.rule != "qualitative":
            return Suggestion(rule="qualitative")
        return _from_indicator(result)
    if rule.kind in ("positive", "reverse", "equal"):
        return _forced(placed, maximum, rule)
    if rule.kind == "bands":
        return _bands(placed, rule)
    if rule.kind == "deduct_per_unit":
        return _deduct(placed, maximum, rule)
    return Suggestion(rule="manual")


def _text_of(placed: PlacedRow, role_or_key: str) -> str:
    """A cell as the Hunan rules read it: text as typed, a percent column as "95%"."""
    column = placed.table.column(role_or_key) or placed.table.column_for_role(role_or_key)
    if column is None:
        return ""
    value = placed.row.cells.get(column.key)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}%" if column.type == "percent" else f"{value:f}"
    return str(value)


def _indicator_result(placed: PlacedRow, maximum, rule: Rule) -> IndicatorResult:
    indicator = Indicator(
        target=_text_of(placed, "target"), actual=_text_of(placed, "actual"), weight=maximum
    )
    return indicator_suggest(
        indicator=indicator, template=ScoringParams(reverse_formula=rule.reverse_formula)
    )


def _from_indicator(result: IndicatorResult) -> Suggestion:
    return Suggestion(
        rule=result.rule,
        score=result.suggested_score,
        band=result.band,
        band_high_inclusive=result.band_high_inclusive,
        comparable=result.comparable,
        grade=result.grade,
    )


def _forced(placed: PlacedRow, maximum, rule: Rule) -> Suggestion:
    target = parse_indicator_value(_text_of(placed, "target"))
    actual_text = _text_of(placed, "actual").strip()
    actual = parse_indicator_value(actual_text)
    if target is None or not actual_text:
        return Suggestion(rule=rule.kind)
    if actual is None:
        return Suggestion(rule=rule.kind, comparable=bool(qualitative_grade(actual_text)))
    if maximum is None:
        return Suggestion(rule=rule.kind)
    score = rule_score(
        rule=rule.kind,
        target=target.number,
        actual=actual.number,
        weight=maximum,
        reverse_formula=rule.reverse_formula,
    )
    return Suggestion(rule=rule.kind, score=score)


def _number_of(placed: PlacedRow, name: str) -> tuple[Decimal | None, bool]:
    """(value, comparable) of the column a rule's `of` names: a number column's
    value, or the number written in a text ("95%", "≥90")."""
    column = placed.table.column(name) or placed.table.column_for_role(name)
    value = placed.row.cells.get(column.key) if column is not None else None
    if value is None or value == "":
        return None, True
    if isinstance(value, Decimal | int):
        return Decimal(value), True
    parsed = parse_indicator_value(str(value))
    return (parsed.number, True) if parsed is not None else (None, False)


def _bands(placed: PlacedRow, rule: Rule) -> Suggestion:
    """bands: the points of the first band (descending) whose min ≤ value; 0
    below every band."""
    value, comparable = _number_of(placed, rule.of)
    if value is None:
        return Suggestion(rule="bands", comparable=comparable)
    points = next((band.points for band in rule.bands if value >= band.min), ZERO)
    return Suggestion(rule="bands", score=quantize(points))


def _deduct(placed: PlacedRow, maximum, rule: Rule) -> Suggestion:
    """deduct_per_unit: max(0, max − ⌈excess ÷ unit⌉ × points), excess = value −
    limit ("above") or limit − value ("below"); no excess → the maximum."""
    value, comparable = _number_of(placed, rule.of)
    if value is None or maximum is None:
        return Suggestion(rule="deduct_per_unit", comparable=comparable)
    excess = value - rule.limit if rule.direction == "above" else rule.limit - value
    units = (excess / rule.unit).to_integral_value(rounding=ROUND_CEILING) if excess > 0 else 0
    return Suggestion(
        rule="deduct_per_unit", score=quantize(max(maximum - units * rule.points, ZERO))
    )


# --- validation ---------------------------------------------------------------------


class _Findings:
    """Collects the findings of the checks the template switches on."""

    def __init__(self, template: FormTemplate):
        self.enabled = set(template.checks)
        self.findings: list[Finding] = []

    def add(self, code: str, where: str, message: str) -> None:
        if code in self.enabled:
            self.findings.append(
                Finding(code=code, kind=CHECK_KINDS[code], message=message, where=where)
            )


def generic_validate(
    document: GenericDocument, template: FormTemplate, score: GenericScore | None = None
) -> list[Finding]:
    """The findings of the template's named checks (docs/form-templates.md, 检查):
    errors first, then warnings, each in document order (header, execution,
    tables row by row, bonus and deduction sections, narrative, officer total,
    contact). Only checks listed in the template's `checks` are run. `score` is
    computed when not given. Never raises.
    """
    if score is None:
        score = generic_score(document, template)
    found = _Findings(template)
    _check_header(found, document, template)
    _check_execution(found, document, template, score)
    for table in template.tables:
        _check_table(found, document, template, table, score)
    _check_sections(found, document, template, score)
    for section in template.narrative:
        if section.required and not document.narrative.get(section.key, "").strip():
            found.add(
                "required_missing",
                f"narrative.{section.key}",
                f"请填写“{_section_title(section)}”。",
            )
    _check_officer_total(found, document, template, score)
    for key in REQUIRED_CONTACT:
        if not getattr(document.contact, key).strip():
            found.add(
                "contact_missing", f"contact.{key}", f"填报信息：请填写{CONTACT_LABELS[key]}。"
            )
    findings = found.findings
    return [f for f in findings if f.kind == ERROR] + [f for f in findings if f.kind == WARNING]


def _section_title(section) -> str:
    return f"{section.number}、{section.title}" if section.number else section.title


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_header(found: _Findings, document: GenericDocument, template: FormTemplate) -> None:
    for item in template.header:
        value = document.header.get(item.key)
        where = f"header.{item.key}"
        if item.required and _blank(value):
            found.add("required_missing", where, f"表头：请填写{item.label}。")
        if item.type == "amount" and not item.allow_negative and value is not None and value < 0:
            found.add("amount_negative", where, f"表头{item.label}为负数：{number_text(value)}。")


def _check_execution(found, document, template, score: GenericScore) -> None:
    execution = template.scoring.execution
    if execution is None or template.scoring.points != "rows":
        return
    budget_key = execution.budget.removeprefix("header.")
    budget = document.header.get(budget_key)
    if budget is None or budget == 0:
        label = template.header_field(budget_key).label
        found.add(
            "budget_missing",
            execution.budget,
            f"请填写{label}（不能为0），否则无法计算预算执行率。",
        )
    if score.execution_rate is not None and score.execution_rate > HUNDRED:
        found.add(
            "execution_over_100",
            execution.executed,
            f"预算执行率为 {number_text(score.execution_rate)}%，超过100%，计分按100%计。",
        )


def _check_table(found, document, template, table: Table, score: GenericScore) -> None:
    counts: dict[str, int] = {}
    for placed in placed_rows(document, table):
        if placed.entry.free is not None:
            counts[placed.entry.group.key] = counts.get(placed.entry.group.key, 0) + 1
        _check_amounts(found, placed)
        if placed.row.not_applicable:
            if not placed.row.reason.strip():
                found.add(
                    "not_applicable_reason_missing",
                    placed.where,
                    f"{placed.title}标记为不适用，请说明原因。",
                )
            continue
        _check_required(found, placed)
        _check_score(found, placed, score.row(table.key, placed.index), template)
    for entry in table.entries():
        if entry.free is not None and counts.get(entry.group.key, 0) < entry.free.min_rows:
            found.add(
                "free_rows_missing",
                f"tables.{table.key}",
                f"{table.title}“{entry.group.label}”至少要填写 {entry.free.min_rows} 行，"
                f"现有 {counts.get(entry.group.key, 0)} 行。",
            )


def _check_amounts(found: _Findings, placed: PlacedRow) -> None:
    for column in placed.table.columns:
        value = placed.row.cells.get(column.key)
        signed = column.allow_negative or (
            placed.entry.row is not None and placed.entry.row.allow_negative
        )
        if column.type == "amount" and not signed and value is not None and value < 0:
            found.add(
                "amount_negative",
                placed.where,
                f"{placed.title}的{column.label}为负数：{number_text(value)}。",
            )


def _check_required(found: _Findings, placed: PlacedRow) -> None:
    if placed.entry.free is not None and not placed.label:
        found.add("required_missing", placed.where, f"{placed.title}请填写名称。")
    for column in placed.table.columns:
        if (
            column.required
            and column.editor == "officer"
            and _blank(placed.row.cells.get(column.key))
        ):
            found.add("required_missing", placed.where, f"{placed.title}请填写{column.label}。")
    actual = placed.table.column_for_role("actual")
    if actual is not None and _blank(placed.row.cells.get(actual.key)):
        found.add("actual_missing", placed.where, f"{placed.title}未填写{actual.label}。")


def _check_score(found: _Findings, placed: PlacedRow, row: RowScore, template) -> None:
    if placed.table.column_for_role("score") is None:
        return
    maximum, entered = row.max_points, row.score
    if entered is None:
        if maximum is not None and template.scoring.points == "rows":
            found.add("score_missing", placed.where, f"{placed.title}未填写得分。")
        return
    if entered < 0 or entered > (maximum or ZERO):
        limit = number_text(maximum) if maximum is not None else "（未填写，按0计）"
        found.add(
            "score_out_of_range",
            placed.where,
            f"{placed.title}得分{number_text(entered)}超出0至分值{limit}的范围。",
        )
    suggestion = row.suggestion
    if suggestion is None:
        return
    if suggestion.band is not None and not suggestion.band_contains(entered):
        low, high = suggestion.band
        upper = "不高于" if suggestion.band_high_inclusive else "低于"
        found.add(
            "qualitative_band",
            placed.where,
            f"{placed.title}实际完成值为“{suggestion.grade}”，得分应不低于{number_text(low)}"
            f"且{upper}{number_text(high)}，现为{number_text(entered)}。",
        )
    if suggestion.score is not None and suggestion.score != entered:
        found.add(
            "score_differs",
            placed.where,
            f"{placed.title}按计分规则（{_rule_name(suggestion.rule)}）的建议得分为"
            f"{number_text(suggestion.score)}，填报得分为{number_text(entered)}，请核实。",
        )
    if not suggestion.comparable:
        found.add(
            "actual_not_comparable",
            placed.where,
            f"{placed.title}的实际完成值不是数值，无法按计分规则计算建议得分。",
        )


def _rule_name(kind: str) -> str:
    return RULE_KINDS.get(kind, kind).split("：")[0]


def _check_sections(found, document, template, score: GenericScore) -> None:
    for code, entries, sections, word in (
        ("bonus_over_maximum", template.scoring.bonus, score.bonus, "加分"),
        ("deduction_over_maximum", template.scoring.deductions, score.deductions, "扣分"),
    ):
        for entry, section in zip(entries, sections, strict=True):
            if section.entered > section.max_points:
                found.add(
                    code,
                    f"tables.{entry.table}",
                    f"“{entry.label}”{word}合计 {number_text(section.entered)} 分，"
                    f"超过上限 {number_text(section.max_points)} 分，"
                    f"按 {number_text(section.applied)} 分计。",
                )


def _check_officer_total(found, document, template, score: GenericScore) -> None:
    if template.scoring.points != "officer_total":
        return
    entered = document.officer_total or OfficerTotal()
    if entered.score is None:
        found.add("score_missing", "officer_total.score", "请填写单位自评得分（总分）。")
    if not entered.grade.strip():
        found.add("score_missing", "officer_total.grade", "请填写单位自评等次。")
        return
    grades = [band.grade for band in template.scoring.grades]
    if entered.grade not in grades:
        found.add(
            "grade_mismatch",
            "officer_total.grade",
            f"自评等次“{entered.grade}”不是本表式的等次（{'、'.join(grades)}）。",
        )
    elif score.grade_by_bands and entered.grade != score.grade_by_bands:
        found.add(
            "grade_mismatch",
            "officer_total.grade",
            f"自评得分 {number_text(entered.score)} 按等次标准应为“{score.grade_by_bands}”，"
            f"填报的等次为“{entered.grade}”，请核实。",
        )


# --- what is missing ----------------------------------------------------------------


@dataclass(frozen=True)
class MissingPart:
    """Something a complete filing has and this one lacks: its Chinese `label`
    and the document path `where` of the place to fill in."""

    label: str
    where: str


def generic_missing_parts(
    document: GenericDocument, template: FormTemplate, findings
) -> list[MissingPart]:
    """What the filing still lacks before its 等次 means anything, in document
    order; empty when it is complete.

    Missing are: required header fields and narrative sections (the
    required_missing findings on header.* and narrative.*), the execution
    block's budget (budget_missing) and executed amount, a summed table
    without any applicable row with a maximum, applicable rows with a maximum
    but no score, and for an officer total its score and grade. Wrong values
    (a score out of range) are findings, not missing parts. Never raises.
    """
    found = {(finding.code, finding.where) for finding in findings}
    missing = [
        MissingPart(f"表头：{item.label}", f"header.{item.key}")
        for item in template.header
        if ("required_missing", f"header.{item.key}") in found
    ]
    missing += _execution_missing(document, template, found)
    if template.scoring.points == "rows":
        for key in template.scoring.sum_tables:
            missing += _table_missing(document, template.table(key))
    missing += [
        MissingPart(_section_title(section), f"narrative.{section.key}")
        for section in template.narrative
        if ("required_missing", f"narrative.{section.key}") in found
    ]
    if template.scoring.points == "officer_total":
        entered = document.officer_total or OfficerTotal()
        if entered.score is None:
            missing.append(MissingPart("单位自评得分", "officer_total.score"))
        if not entered.grade.strip():
            missing.append(MissingPart("单位自评等次", "officer_total.grade"))
    return missing


def _execution_missing(document, template, found) -> list[MissingPart]:
    execution = template.scoring.execution
    if execution is None or template.scoring.points != "rows":
        return []
    missing = []
    for path in (execution.budget, execution.executed):
        key = path.removeprefix("header.")
        absent = document.header.get(key) is None or ("budget_missing", path) in found
        if absent:
            missing.append(MissingPart(f"表头：{template.header_field(key).label}", path))
    return missing


def _table_missing(document: GenericDocument, table: Table) -> list[MissingPart]:
    scored = [
        placed
        for placed in placed_rows(document, table)
        if placed.row.applicable and placed.max_points() is not None
    ]
    if not scored:
        return [MissingPart(f"{table.title}：没有计分的行", f"tables.{table.key}")]
    no_score = [placed for placed in scored if not isinstance(placed.value("score"), Decimal)]
    if not no_score:
        return []
    return [MissingPart(f"{table.title}：{len(no_score)} 行的得分", no_score[0].where)]


# --- changes ------------------------------------------------------------------------

CHANGED = "changed"
ADDED = "added"
REMOVED = "removed"


class Change(NamedTuple):
    """One field (or, for kind added/removed, one row) that differs; `old` and
    `new` are display texts, None for empty."""

    path: str
    label: str
    old: str | None
    new: str | None
    kind: str = CHANGED


def generic_changes(
    before: GenericDocument, after: GenericDocument, template: FormTemplate
) -> list[Change]:
    """Every difference between two versions of a generic filing, in document
    order, labelled from the template ("整体绩效自评表 公用经费控制率 实际完成值").

    Fixed rows compare by key; free rows by group and position within it (a
    row present on one side only is one added or removed change). Numbers
    compare by value ("10" equals "10.00"); texts ignore surrounding white
    space. Paths are those of `after` (of `before` for a removed row).
    """
    changes: list[Change] = []
    for item in template.header:
        _compare(
            changes,
            f"header.{item.key}",
            item.label,
            before.header.get(item.key),
            after.header.get(item.key),
        )
    for table in template.tables:
        _compare_table(changes, table, before, after)
    for section in template.narrative:
        _compare(
            changes,
            f"narrative.{section.key}",
            _section_title(section),
            before.narrative.get(section.key),
            after.narrative.get(section.key),
        )
    old_total, new_total = (
        before.officer_total or OfficerTotal(),
        after.officer_total or OfficerTotal(),
    )
    _compare(changes, "officer_total.score", "单位自评得分", old_total.score, new_total.score)
    _compare(changes, "officer_total.grade", "单位自评等次", old_total.grade, new_total.grade)
    for key, label in CONTACT_LABELS.items():
        _compare(
            changes,
            f"contact.{key}",
            label,
            getattr(before.contact, key),
            getattr(after.contact, key),
        )
    return changes


def _display(value) -> str | None:
    if value is None or value is False:
        return None
    if value is True:
        return "是"
    if isinstance(value, Decimal):
        return number_text(value)
    text = str(value).strip()
    return text or None


def _same(old, new) -> bool:
    if isinstance(old, Decimal | int) and isinstance(new, Decimal | int):
        return Decimal(old) == Decimal(new)
    return _display(old) == _display(new)


def _compare(changes: list[Change], path: str, label: str, old, new) -> None:
    if not _same(old, new):
        changes.append(Change(path, label, _display(old), _display(new)))


def _compare_table(changes: list[Change], table: Table, before, after) -> None:
    old_rows = _rows_by_place(before, table)
    new_rows = _rows_by_place(after, table)
    for place in dict.fromkeys([*new_rows, *old_rows]):
        old, new = old_rows.get(place), new_rows.get(place)
        if old is None or new is None:
            present = new or old
            kind = ADDED if old is None else REMOVED
            label = f"{table.title} {_place_label(present)}"
            text = present.label or None
            changes.append(
                Change(
                    present.where,
                    label,
                    None if kind == ADDED else text,
                    text if kind == ADDED else None,
                    kind,
                )
            )
            continue
        _compare_row(changes, table, old, new)


def _rows_by_place(document: GenericDocument, table: Table) -> dict[tuple, PlacedRow]:
    return {
        (placed.row.row, placed.row.group, placed.free_number): placed
        for placed in placed_rows(document, table)
    }


def _place_label(placed: PlacedRow) -> str:
    if placed.entry.row is not None:
        return placed.entry.row.label
    slot = placed.entry.free.label or placed.entry.group.label
    return f"{slot}第{placed.free_number}行"


def _compare_row(changes: list[Change], table: Table, old: PlacedRow, new: PlacedRow) -> None:
    prefix = f"{table.title} {_place_label(new)}"
    if new.entry.free is not None:
        _compare(
            changes,
            f"{new.where}.cells.label",
            f"{prefix} 名称",
            old.row.cells.get(LABEL_CELL),
            new.row.cells.get(LABEL_CELL),
        )
    for column in table.columns:
        if column.editor in ("template", "computed"):
            continue
        _compare(
            changes,
            f"{new.where}.cells.{column.key}",
            f"{prefix} {column.label}",
            old.row.cells.get(column.key),
            new.row.cells.get(column.key),
        )
    _compare(
        changes,
        f"{new.where}.not_applicable",
        f"{prefix} 不适用",
        old.row.not_applicable,
        new.row.not_applicable,
    )
    _compare(changes, f"{new.where}.reason", f"{prefix} 不适用原因", old.row.reason, new.row.reason)

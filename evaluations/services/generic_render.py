"""How a generic-layout form template prints: its tables as lines of cells.

The PDF (services.generic_pdf) and the workbook (services.generic_excel) of a
generic template show the same rows, columns and merged cells, so both read
this one layout. A table is printed in one of two ways, decided by its columns:

- with level columns (a `template` column keyed level1…level5, as the Hubei
  整体绩效自评表): every row carries its 一级/二级/三级 labels in those columns,
  consecutive rows of one group share one merged cell, and a scored table
  closes each 一级 group with a 小计 line;
- without (as the Hebei 考核自评表): each group is a heading line spanning the
  table, carrying the group's 分值 and 得分 where the table scores, and the
  row's own name sits in a first 项目 column (序号 for a table of free rows
  only). A table of one group without sub-groups prints no heading.

Free slots print the officer's rows followed by empty lines (a few on a blank
form, the spare lines a workbook offers). Every figure comes from
core.generic's scoring; nothing is computed here.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from evaluations.core.document import quantize
from evaluations.core.generic import (
    GenericDocument,
    GenericRow,
    GenericScore,
    GroupScore,
    PlacedRow,
    generic_score,
    placed_rows,
)
from evaluations.core.template import (
    LABEL_CELL,
    Column,
    FormTemplate,
    Group,
    Table,
    TableEntry,
    number_text,
)

# Empty lines a blank form prints for each free slot (more when it demands more).
BLANK_FREE_LINES = 3
NOT_APPLICABLE = "不适用"
EXAMPLE_MAXIMA_NOTE = (
    "本表式的分值为示例分值，仅供参考：须由财政局按本地考核办法规定的分值替换后再用于填报。"
)

_LEVEL_KEY = re.compile(r"level([1-5])")


@dataclass(frozen=True)
class ColumnView:
    """A printed column: one of the table's, or the implicit name column
    (`column` None, key LABEL_CELL) of a table whose columns do not show the
    rows' names."""

    key: str
    label: str
    type: str
    column: Column | None = None
    level: int | None = None  # the level a level column shows

    def shows_name(self, entry: TableEntry) -> bool:
        """Whether this column holds the name of the rows of `entry`."""
        return self.column is None or self.level == entry.level

    @property
    def editor(self) -> str:
        return self.column.editor if self.column is not None else "template"

    @property
    def is_number(self) -> bool:
        return self.type in ("amount", "percent", "points", "integer")


@dataclass
class CellView:
    """One cell of a line. `field` is the document cell an officer (or a
    reviewer) fills here, None for text the template or scoring gives;
    `value` is that cell's typed value. `rowspan` 0 means merged into the
    cell above."""

    text: str = ""
    field: str | None = None
    value: object = None
    rowspan: int = 1


@dataclass
class LineView:
    """A line of a printed table.

    kind "row": a fixed row, an officer's row or an empty free line (`row` is
    None for an empty line; `index` is the row's place in the document's
    table). kind "heading": a group heading (heading layout), kind "subtotal":
    a 一级 group's 小计 (level layout, groups of more than one line); both
    carry `group` and, where the table scores, `figures` (column key → text)."""

    kind: str
    cells: list[CellView] = field(default_factory=list)
    entry: TableEntry | None = None
    row: GenericRow | None = None
    index: int | None = None
    group: Group | None = None
    title: str = ""
    figures: dict[str, str] = field(default_factory=dict)
    level: int = 1

    @property
    def key(self) -> str:
        """The row key of a fixed row, the group key of a free line."""
        if self.entry is None:
            return ""
        return self.entry.row.key if self.entry.row is not None else self.entry.group.key

    @property
    def is_free(self) -> bool:
        return self.entry is not None and self.entry.free is not None

    @property
    def may_be_not_applicable(self) -> bool:
        declared = self.entry.row or self.entry.free
        return declared.not_applicable

    @property
    def not_applicable(self) -> bool:
        return self.row is not None and self.row.not_applicable

    @property
    def reason(self) -> str:
        return self.row.reason if self.row is not None else ""


@dataclass
class TableView:
    table: Table
    columns: list[ColumnView]
    lines: list[LineView]
    leveled: bool  # level layout (merged level columns) or heading layout
    scored: bool  # the table's rows are summed into the total
    not_applicable: bool  # some row or free slot may be marked 不适用


# --- formatting --------------------------------------------------------------------------


def value_text(value, kind: str) -> str:
    """An entered value as printed: amounts and points with 2 places, a
    percent with its sign, texts as typed; "" when empty."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        if kind == "percent":
            return f"{number_text(value)}%"
        return f"{quantize(value):f}"
    return str(value)


def figure(value: Decimal | None) -> str:
    """A computed figure: 2 places, "—" when it cannot be computed."""
    return "—" if value is None else f"{quantize(value):f}"


def rule_text(template: FormTemplate) -> str:
    """How 换算得分 follows from the totals, in one line, e.g.
    "换算得分 = 自评得分合计 ÷ 适用分值合计 × 100 + 加分 − 扣分"."""
    scoring = template.scoring

    def terms(after: bool) -> str:
        text = ""
        if any(entry.after_normalization == after for entry in scoring.bonus):
            text += " + 加分"
        if any(entry.after_normalization == after for entry in scoring.deductions):
            text += " − 扣分"
        return text

    numerator = f"自评得分合计{terms(after=False)}"
    if scoring.normalization != "applicable_maximum":
        return f"换算得分 = {numerator}{terms(after=True)}"
    if numerator != "自评得分合计":
        numerator = f"（{numerator}）"
    return f"换算得分 = {numerator} ÷ 适用分值合计 × 100{terms(after=True)}"


def blank_document(template: FormTemplate, *, fiscal_year: int) -> GenericDocument:
    """The empty filing of `template`: every fixed row present and empty."""
    tables = {
        table.key: [
            GenericRow(row=entry.row.key) for entry in table.entries() if entry.row is not None
        ]
        for table in template.tables
    }
    return GenericDocument(
        fiscal_year=fiscal_year,
        template_code=template.code,
        template_version=template.version,
        tables=tables,
    )


# --- the layout ------------------------------------------------------------------------


def _level_columns(table: Table) -> dict[int, Column]:
    levels = {}
    for column in table.columns:
        match = _LEVEL_KEY.fullmatch(column.key)
        if match and column.editor == "template":
            levels[int(match[1])] = column
    return levels


def _columns(table: Table, levels: dict[int, Column]) -> list[ColumnView]:
    """The table's columns, led by the name column when no level column shows
    the rows' own names."""
    deepest = max((entry.level for entry in table.entries()), default=1)
    level_of = {column.key: level for level, column in levels.items()}
    columns = [ColumnView(c.key, c.label, c.type, c, level_of.get(c.key)) for c in table.columns]
    if not levels or max(levels) < deepest:
        label = "序号" if table.rows == "free" else "项目"
        columns.insert(len(levels), ColumnView(LABEL_CELL, label, "text"))
    return columns


def _shows_headings(table: Table) -> bool:
    return not (len(table.groups) == 1 and not table.groups[0].groups)


def table_view(
    template: FormTemplate,
    table: Table,
    document: GenericDocument,
    score: GenericScore,
    *,
    free_lines: int,
    fill_to: int = 0,
    subtotals: bool = True,
    blank: bool = False,
) -> TableView:
    """The lines of `table` for `document` scored as `score`.

    Each free slot prints the officer's rows, then `free_lines` empty lines
    (never beyond its max_rows), and at least `fill_to` (or its min_rows)
    lines in all. With `subtotals`, a scored table shows each group's 分值
    and 得分 (the applicable maximum and the score of a filed form; the
    maximum alone on a `blank` one)."""
    levels = _level_columns(table)
    columns = _columns(table, levels)
    scored = template.scoring.points == "rows" and table.key in template.scoring.sum_tables
    groups = {(g.table, g.key): g for g in score.groups}
    builder = _Builder(table, columns, levels, subtotal_figures=None)
    if subtotals and scored:
        builder.subtotal_figures = lambda group: _group_figures(
            table, groups.get((table.key, group.key)), blank=blank
        )
    by_entry: dict[str, list[PlacedRow]] = {}
    for placed in placed_rows(document, table):
        by_entry.setdefault(_entry_key(placed.entry), []).append(placed)
    for entry in table.entries():
        builder.enter(entry)
        placed = by_entry.get(_entry_key(entry), [])
        for item in placed:
            builder.line(entry, item)
        if entry.free is not None:
            wanted = max(len(placed) + free_lines, fill_to, entry.free.min_rows)
            for _ in range(min(wanted, entry.free.max_rows) - len(placed)):
                builder.line(entry, None)
    builder.close()
    _merge_levels(builder.lines, columns)
    return TableView(
        table=table,
        columns=columns,
        lines=builder.lines,
        leveled=bool(levels),
        scored=scored,
        not_applicable=any((e.row or e.free).not_applicable for e in table.entries()),
    )


def _entry_key(entry: TableEntry) -> str:
    return f"row:{entry.row.key}" if entry.row is not None else f"free:{entry.group.key}"


def _group_figures(table: Table, group: GroupScore | None, *, blank: bool) -> dict[str, str]:
    """Column key → the group's 分值 (under the max column) and 得分."""
    if group is None:
        return {}
    figures = {}
    for column in table.columns:
        if column.role == "score":
            figures[column.key] = "" if blank else figure(group.score)
        elif column.role == "max_points":
            figures[column.key] = number_text(group.maximum if blank else group.applicable_maximum)
    return figures


class _Builder:
    """Appends the lines of a table in print order, opening headings (heading
    layout) and closing 小计 lines (level layout) as groups start and end."""

    def __init__(self, table, columns, levels, subtotal_figures):
        self.table = table
        self.columns = columns
        self.levels = levels
        self.subtotal_figures = subtotal_figures
        self.headings = not levels and _shows_headings(table)
        self.lines: list[LineView] = []
        self.open: tuple[Group, ...] = ()
        self.rows_in_group = 0  # lines of the open 一级 group

    def enter(self, entry: TableEntry) -> None:
        common = 0
        while (
            common < min(len(self.open), len(entry.path))
            and self.open[common] is entry.path[common]
        ):
            common += 1
        self._leave(common)
        if self.headings:
            for depth in range(common, len(entry.path)):
                group = entry.path[depth]
                self.lines.append(
                    LineView(
                        kind="heading",
                        group=group,
                        title=group.label,
                        level=depth + 1,
                        figures=self._figures(group),
                    )
                )
        self.open = entry.path

    def close(self) -> None:
        self._leave(0)

    def _leave(self, depth: int) -> None:
        """Close the open groups below `depth`: a level layout's scored table
        ends each 一级 group with its 小计."""
        if (
            self.levels
            and depth == 0
            and self.open
            and self.subtotal_figures is not None
            and self.rows_in_group > 1
        ):
            group = self.open[0]
            self.lines.append(
                LineView(
                    kind="subtotal",
                    group=group,
                    title=f"{group.label}小计",
                    figures=self._figures(group),
                )
            )
        if depth == 0:
            self.rows_in_group = 0
        self.open = self.open[:depth]

    def _figures(self, group: Group) -> dict[str, str]:
        return self.subtotal_figures(group) if self.subtotal_figures is not None else {}

    def line(self, entry: TableEntry, placed: PlacedRow | None) -> None:
        row = placed.row if placed is not None else None
        label = str(row.cells.get(LABEL_CELL, "")) if row is not None else ""
        cells = [self._cell(entry, column, row, label) for column in self.columns]
        self.rows_in_group += 1
        self.lines.append(
            LineView(
                kind="row",
                cells=cells,
                entry=entry,
                row=row,
                index=placed.index if placed is not None else None,
                level=len(entry.path) + 1,
            )
        )

    def _cell(self, entry, view: ColumnView, row, label) -> CellView:
        column = view.column
        if view.shows_name(entry):
            # The row's own name: fixed for a template row, typed on a free one.
            if entry.free is not None:
                return CellView(text=label, field=LABEL_CELL, value=label or None)
            return CellView(text=entry.row.label)
        if column.editor == "template":
            return CellView(text=self.table.fixed_text(entry, column, label))
        if column.editor == "computed":
            return CellView()
        value = row.cells.get(column.key) if row is not None else None
        if value is None and column.role == "max_points":
            # A fixed maximum shows in the editable 分值 column too.
            declared = entry.row or entry.free
            if declared.max_points is not None:
                return CellView(text=number_text(declared.max_points))
        return CellView(text=value_text(value, column.type), field=column.key, value=value)


def _merge_levels(lines: list[LineView], columns: list[ColumnView]) -> None:
    """Merge each level column's cells down runs of rows of one group, as the
    paper merges 一级 and 二级 labels. A row's own name is never merged."""
    for position, view in enumerate(columns):
        level = view.level
        if level is None:
            continue
        head = None
        for line in lines:
            if line.kind != "row" or len(line.entry.path) < level:
                head = None
                continue
            group = line.entry.path[level - 1]
            if head is not None and head[0] is group:
                head[1].rowspan += 1
                line.cells[position].rowspan = 0
            else:
                head = (group, line.cells[position])


def document_views(
    template: FormTemplate,
    document: GenericDocument,
    score: GenericScore | None = None,
    *,
    free_lines: int,
    fill_to: int = 0,
    subtotals: bool = True,
    blank: bool = False,
) -> list[TableView]:
    """`table_view` of every table of the template, in order."""
    score = score if score is not None else generic_score(document, template)
    return [
        table_view(
            template,
            table,
            document,
            score,
            free_lines=free_lines,
            fill_to=fill_to,
            subtotals=subtotals,
            blank=blank,
        )
        for table in template.tables
    ]

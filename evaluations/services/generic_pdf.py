"""PDF of a generic-layout form template: the blank forms, and a filed form.

The tables are laid out by services.generic_render (the same rows, merged
cells and subtotals as the workbook) and printed on A4 landscape pages as on
paper: header block, table(s), the totals, the narrative, 备注 and the
signature line. Rendering reuses services.pdf: Django's autoescaping template
engine, WeasyPrint reading through `SafeURLFetcher` (data: URLs and our static
files only), the system's Noto CJK fonts, the page numbers "第 X 页 共 Y 页"
of report.css, the zero-width breaks that keep long unbroken runs fast, and
its tagged PDF/UA-1 output with the 草稿 watermark as an artifact.
A caller that renders in a worker bounds the time as services.reports does.
"""

from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone

from evaluations.core.generic import GenericDocument, GenericScore, generic_score
from evaluations.core.template import FormTemplate, Narrative, number_text
from evaluations.core.validation import ERROR, Finding

from .generic_render import (
    BLANK_FREE_LINES,
    EXAMPLE_MAXIMA_NOTE,
    NOT_APPLICABLE,
    ColumnView,
    LineView,
    TableView,
    blank_document,
    document_views,
    figure,
    rule_text,
    value_text,
)
from .pdf import (
    STYLESHEET,
    breakable_text,
    chinese_date,
    html_to_pdf,
    pdf_metadata,
    static_url,
    text_paragraphs,
)

REPORT_TEMPLATE = "evaluations/generic/report.html"
# Header texts longer than this take a line of their own.
SHORT_TEXT = 100
# A 一级 group of at most this many lines is kept on one page where it fits.
KEEP_LINES = 12

# Relative widths of the printed columns by kind; a template text column (评价要点,
# 评分标准) reads widest.
_WIDTHS = {
    "level": 1.0,
    "fixed_text": 2.2,
    "long_text": 1.6,
    "text": 1.2,
    "enum": 1.0,
    "date": 1.0,
    "number": 0.75,
}


@dataclass
class PrintedCell:
    text: str = ""
    rowspan: int = 1
    colspan: int = 1
    css: str = "text"
    header: bool = False  # a <th scope="row">: the title of a heading or 小计 line


@dataclass
class PrintedLine:
    kind: str
    cells: list[PrintedCell] = field(default_factory=list)


def _width(view: ColumnView) -> float:
    if view.is_number:
        return _WIDTHS["number"]
    if view.column is None or view.key.startswith("level"):
        return _WIDTHS["level"]
    if view.type in ("enum", "date"):
        return _WIDTHS[view.type]
    if view.editor == "template":
        return _WIDTHS["fixed_text"]
    if (view.column.max_length or 500) > 200:
        return _WIDTHS["long_text"]
    return _WIDTHS["text"]


def _column_widths(columns: list[ColumnView]) -> list[str]:
    weights = [_width(view) for view in columns]
    total = sum(weights)
    return [f"{weight * 100 / total:.2f}%" for weight in weights]


def _css(view: ColumnView) -> str:
    if view.is_number:
        return "num"
    if view.key.startswith("level") or view.type in ("enum", "date"):
        return "level"
    return "text"


def _editable(view: ColumnView) -> bool:
    return view.editor in ("officer", "reviewer", "computed")


def _row_line(view: TableView, line: LineView) -> PrintedLine:
    """A row's cells; on a 不适用 row the editable columns from the first one
    on merge into one cell saying so, with the reason."""
    printed = PrintedLine(kind="empty" if line.row is None else "row")
    columns = view.columns
    merge_from = merge_to = None
    if line.not_applicable:
        first = next((i for i, c in enumerate(columns) if _editable(c)), None)
        if first is not None:
            merge_from = merge_to = first
            while merge_to + 1 < len(columns) and _editable(columns[merge_to + 1]):
                merge_to += 1
    for position, (column, cell) in enumerate(zip(columns, line.cells, strict=True)):
        if merge_from is not None and merge_from <= position <= merge_to:
            if position == merge_from:
                reason = breakable_text(line.reason.strip())
                printed.cells.append(
                    PrintedCell(
                        text=f"{NOT_APPLICABLE}：{reason}" if reason else NOT_APPLICABLE,
                        colspan=merge_to - merge_from + 1,
                        css="na",
                    )
                )
            continue
        if cell.rowspan == 0:
            continue
        printed.cells.append(
            PrintedCell(text=breakable_text(cell.text), rowspan=cell.rowspan, css=_css(column))
        )
    return printed


def _figures_line(view: TableView, line: LineView) -> PrintedLine:
    """A heading or 小计: its title across the columns before the first
    figure, then the figures under their columns."""
    columns = view.columns
    first = next((i for i, c in enumerate(columns) if c.key in line.figures), len(columns))
    css = "heading" if line.kind == "heading" else "subtotal"
    printed = PrintedLine(kind=line.kind)
    printed.cells.append(PrintedCell(text=line.title, colspan=max(first, 1), css=css, header=True))
    for column in columns[max(first, 1) :]:
        printed.cells.append(PrintedCell(text=line.figures.get(column.key, ""), css="num strong"))
    return printed


def _blocks(view: TableView) -> list[dict]:
    """The lines in blocks of one 一级 group each (with its heading or 小计),
    one <tbody> apiece, kept on one page where a block is short enough."""
    blocks: list[dict] = []
    current = None
    for line in view.lines:
        group = line.entry.path[0] if line.entry is not None else line.group
        starts = line.kind == "heading" and line.level == 1
        if current is None or starts or (line.kind == "row" and group is not current["group"]):
            current = {"group": group, "lines": []}
            blocks.append(current)
        printed = _row_line(view, line) if line.kind == "row" else _figures_line(view, line)
        current["lines"].append(printed)
    for block in blocks:
        block["keep"] = len(block["lines"]) <= KEEP_LINES
    return blocks


def _printed_table(view: TableView, totals: dict | None) -> dict:
    return {
        "title": view.table.title,
        "headers": [column.label for column in view.columns],
        "widths": _column_widths(view.columns),
        "blocks": _blocks(view),
        "totals": totals,
    }


def _header_rows(template: FormTemplate, document: GenericDocument) -> list[list[dict]]:
    """表头 fields as lines of label/value pairs: two short fields a line, a
    long text alone on its line."""
    rows, pending = [], []
    for item in template.header:
        text = value_text(document.header.get(item.key), item.type)
        label = f"{item.label}（{item.unit}）" if item.unit else item.label
        cell = {"label": label, "text": breakable_text(text)}
        if item.type == "text" and (item.max_length or 2000) > SHORT_TEXT:
            if pending:
                rows.append(pending)
                pending = []
            rows.append([cell])
            continue
        pending.append(cell)
        if len(pending) == 2:
            rows.append(pending)
            pending = []
    if pending:
        rows.append(pending)
    return rows


def _totals(template: FormTemplate, score: GenericScore, *, blank: bool) -> dict | None:
    """The figures closing the tables: label/value lines, the rule, the note."""
    if score.points == "none":
        return None
    if score.points == "officer_total":
        return {
            "lines": [
                ("单位自评得分（总分）", "" if blank else figure(score.normalized)),
                ("等次", "" if blank else (score.grade or "—")),
            ],
            "rule": "",
            "note": score.note,
        }
    lines = [
        ("自评得分合计", "" if blank else figure(score.raw_total)),
        ("适用分值合计", "" if blank else figure(score.applicable_maximum)),
    ]
    if score.execution_weight is not None:
        rate = "—" if score.execution_rate is None else f"{figure(score.execution_rate)}%"
        lines.insert(
            0,
            (
                f"预算执行率得分（分值 {figure(score.execution_weight)}，执行率 {rate}）",
                "" if blank else figure(score.execution_score),
            ),
        )
    for word, sections in (("加分", score.bonus), ("扣分", score.deductions)):
        for section in sections:
            value = figure(section.applied)
            if section.entered != section.applied:
                value = f"{value}（填报 {figure(section.entered)}，按上限计）"
            label = f"{word}：{section.label}（上限 {number_text(section.max_points)} 分）"
            lines.append((label, "" if blank else value))
    lines.append(("换算得分", "" if blank else figure(score.normalized)))
    lines.append(("等次", "" if blank else (score.grade or "—")))
    return {"lines": lines, "rule": rule_text(template), "note": ""}


def _narrative(template: FormTemplate, document: GenericDocument) -> list[dict]:
    return [
        {
            "title": _section_title(section),
            "paragraphs": [
                breakable_text(p) for p in text_paragraphs(document.narrative.get(section.key))
            ],
            "required": section.required,
        }
        for section in template.narrative
    ]


def _section_title(section: Narrative) -> str:
    return f"{section.number}、{section.title}" if section.number else section.title


def _contact(document: GenericDocument) -> dict:
    contact = document.contact
    return {
        "preparer": contact.preparer,
        "date": chinese_date(contact.date),
        "phone": contact.phone,
        "head": contact.head,
    }


def _findings(findings: list[Finding] | None) -> list[dict]:
    """Findings as the reader sees them: 错误 or 提示 and the message, no code."""
    return [
        {"kind": "错误" if finding.kind == ERROR else "提示", "message": finding.message}
        for finding in findings or []
    ]


def _render(
    *,
    template: FormTemplate,
    document: GenericDocument,
    score: GenericScore,
    department_name: str,
    fiscal_year: int | None,
    blank: bool,
    draft: bool = False,
    findings: list[Finding] | None = None,
) -> bytes:
    views = document_views(
        template,
        document,
        score,
        free_lines=BLANK_FREE_LINES if blank else 0,
        fill_to=1,
        blank=blank,
    )
    totals = _totals(template, score, blank=blank)
    # The totals close the last table they sum (or the last table).
    summed = [i for i, view in enumerate(views) if view.table.key in template.scoring.sum_tables]
    closing = summed[-1] if summed else len(views) - 1
    year = f"{fiscal_year}年度" if fiscal_year else ""
    context = {
        "title": f"{year}{department_name}{template.title}{'（空白）' if blank else ''}",
        # Blank forms have no department: the region that issued the template
        # is their author.
        "metadata": pdf_metadata(
            author=department_name or template.region, created=timezone.localdate()
        ),
        "heading": f"{year}{template.title}",
        "template": template,
        "department_name": department_name,
        "blank": blank,
        "draft": draft,
        "header_rows": _header_rows(template, document),
        "tables": [
            _printed_table(view, totals if index == closing else None)
            for index, view in enumerate(views)
        ],
        "narrative": _narrative(template, document),
        "footer_notes": template.footer_notes,
        "example_note": EXAMPLE_MAXIMA_NOTE if template.example_maxima else "",
        "contact": _contact(document),
        "findings": _findings(findings),
        "stylesheet_url": static_url(STYLESHEET),
    }
    return html_to_pdf(render_to_string(REPORT_TEMPLATE, context))


def blank_template_pdf(template: FormTemplate) -> bytes:
    """The forms of a generic-layout `template` with empty cells, for an
    administrator to read before assigning it or for filling in by hand.

    Fixed rows show their labels, 评价要点 and 分值; each free slot a few empty
    lines; scored tables the 分值 of each group; a template whose maxima are
    examples says so above the tables. Nothing is scored. Raises ValueError for
    a template of another layout (the Hunan forms have their own PDF)."""
    _require_generic(template)
    document = blank_document(template, fiscal_year=0)
    return _render(
        template=template,
        document=document,
        score=generic_score(document, template),
        department_name="",
        fiscal_year=None,
        blank=True,
    )


def generic_report_pdf(
    *,
    template: FormTemplate,
    document: GenericDocument,
    score: GenericScore,
    findings: list[Finding] | None = None,
    department_name: str,
    fiscal_year: int,
    draft: bool,
) -> bytes:
    """The filed form of `document` as on paper: header block, the tables with
    their merged 一/二/三级 cells, 不适用 rows marked with their reason, group
    subtotals, the totals (自评得分合计, 适用分值合计, 换算得分, 等次 and the rule
    in one line; for an officer's own total, that total and grade with
    "单位自评填报，未按行计分"), the narrative, 备注 and the signature line.

    `score` is `generic_score(document, template)`; `findings`, when given,
    are listed at the end by their Chinese messages. A `draft` (any filing not
    approved or published) carries the 草稿 watermark on every page, as the
    Hunan report does; the render frozen at approval has none. Filing text is
    escaped. Callers check that the user may see the filing. Raises ValueError
    for a template of another layout."""
    _require_generic(template)
    return _render(
        template=template,
        document=document,
        score=score,
        department_name=department_name,
        fiscal_year=fiscal_year,
        blank=False,
        draft=draft,
        findings=findings,
    )


def _require_generic(template: FormTemplate) -> None:
    if template.layout != "generic":
        raise ValueError(f"表式 {template.identity} 不是通用版式，不能按通用版式打印。")

"""PDF rendering of a filing's 自评报告 and of the blank official forms.

The report is HTML rendered by Django's template engine (autoescaped, so a
filing's text can never become markup) and laid out by WeasyPrint. The tables
are the official 附件1, 附件2 and 附件3 with the paper's rows, columns and merged
cells; every rate and score comes from the scoring service, none is computed
here.

WeasyPrint would fetch any URL the HTML names (file://, http://, …). Every
render goes through `SafeURLFetcher`, which reads only `data:` URLs and our own
static files (`perfeval-static:` URLs, found by the staticfiles finders), so a
report can neither read the server's files nor make it call out.

Fonts are the system's Noto CJK families, found by fontconfig; nothing is
downloaded.

Every PDF is tagged PDF/UA-1 (WeasyPrint's pdf_variant): the HTML elements
become the structure tree (H1–H3, P, Table/TR/TH/TD, …) in document order, the
<title> the displayed document title, <html lang> the language, and
<meta name="author"> and <meta name="dcterms.created"> the Info dictionary and
the XMP metadata. Borders and backgrounds, the 草稿 watermark among them
(report.css), are drawn as artifacts, outside the structure: a screen reader
reads the text and the tables, not the decoration.
"""

import copy
import dataclasses
import gc
import mimetypes
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib import request
from urllib.parse import unquote

from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from evaluations.core.document import (
    Building,
    Columns,
    FilingDocument,
    FundLine,
    Goal,
    Indicator,
    Project,
    ProjectItem,
    quantize,
)
from evaluations.core.hunan import BASIC_ROW_INDENT, BASIC_ROW_LABELS
from evaluations.core.scoring import (
    RULE_LABELS,
    FilingScore,
    IndicatorResult,
    TableScore,
    document_score,
)
from evaluations.models import Filing, ScoringTemplate

from .interchange import filing_document

STATIC_SCHEME = "perfeval-static"
# WeasyPrint resolves relative URLs against this; urllib does not join paths
# under an unknown scheme, so a relative URL stays relative and is refused.
BASE_URL = f"{STATIC_SCHEME}:"
STYLESHEET = "css/report.css"

# The PDF variant of every render: tagged, with the metadata PDF/UA-1 asks for.
# A report frozen at approval keeps the bytes it was rendered with
# (services.reports), so reports frozen before this variant stay untagged.
PDF_VARIANT = "pdf/ua-1"
# The author named in the metadata of a PDF no department wrote (the blank
# forms of a template, before anyone fills them in).
FALLBACK_AUTHOR = "perfeval"

REPORT_TEMPLATE = "evaluations/pdf/report.html"
BLANK_FORMS_TEMPLATE = "evaluations/pdf/blank_forms.html"

PUBLIC_STATUSES = {Filing.Status.APPROVED, Filing.Status.PUBLISHED}

# How the report numbers its pages (the cover carries none): "第 X 页 共 Y 页",
# or GB/T 9704's "— X —". The Chinese form stays the default: GB/T 9704 is the
# format of 公文 (版头, 版记, 35 mm margins, numbers at the outer edge for
# double-sided binding), which this report is not, while "共 Y 页" lets the reader
# of a published PDF or a printout see that no page is missing, and a year's
# reports keep one look whether they were approved before or after the option.
PAGE_NUMBERS_CHINESE = "chinese"
PAGE_NUMBERS_GBT9704 = "gbt9704"
PAGE_NUMBER_STYLES = (PAGE_NUMBERS_CHINESE, PAGE_NUMBERS_GBT9704)

NUMERALS = "一二三四五六七八九十"

_SCHEME_PATTERN = re.compile(r"^([a-zA-Z][a-zA-Z0-9.+-]*):")

# 附件1 rows in the official order (core.hunan); the project items are listed
# after "project_total", whose label the paper ends with a colon.
BASIC_ROWS = tuple(
    (key, f"{label}：" if key == "project_total" else label, BASIC_ROW_INDENT[key])
    for key, label in BASIC_ROW_LABELS.items()
)

# The printed form lists these items under 项目支出 before anything is filled in.
BLANK_PROJECT_ITEMS = (
    "业务工作经费",
    "运行维护经费",
    "市级专项资金（一个专项一行）",
    "其他事业类发展资金",
)

# 一级/二级指标 of the printed 附件2 and 附件3, each with its number of empty rows.
BLANK_INDICATOR_SKELETON = (
    ("产出指标", "数量指标", 2),
    ("产出指标", "质量指标", 2),
    ("产出指标", "时效指标", 1),
    ("产出指标", "成本指标", 1),
    ("效益指标", "经济效益指标", 1),
    ("效益指标", "社会效益指标", 1),
    ("效益指标", "生态效益指标", 1),
    ("效益指标", "可持续影响指标", 1),
    ("满意度指标", "服务对象满意度指标", 1),
)


# --- URL fetching ---------------------------------------------------------------


def static_url(path: str) -> str:
    """The URL under which the PDF renderer may read the static file `path`."""
    return f"{STATIC_SCHEME}:{path}"


def safe_url_fetcher(url: str, timeout=10, ssl_context=None) -> URLFetcherResponse:
    """Fetch `url` for WeasyPrint if it is a `data:` URL or one of our static files.

    Static files are named `perfeval-static:<path>` and found by the staticfiles
    finders; a path with "..", an empty or "." segment, a backslash or a NUL is
    refused, so is a path no finder knows. Every other URL (file://, http://,
    https://, relative ones) raises ValueError, which WeasyPrint logs before
    leaving the resource out. Nothing is fetched over a network and nothing is
    redirected. `timeout` and `ssl_context` are accepted for the signature of
    WeasyPrint's own fetcher and unused.
    """
    match = _SCHEME_PATTERN.match(url)
    scheme = match[1].lower() if match else ""
    if scheme == "data":
        return _data_response(url)
    if scheme == STATIC_SCHEME:
        return _static_response(url, url[match.end() :])
    raise ValueError(f"Refused to fetch {url[:200]!r}: only data: and static files are allowed")


def _data_response(url):
    with request.DataHandler().data_open(request.Request(url)) as response:
        body = response.read()
        content_type = response.headers.get("Content-Type", "text/plain")
    return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})


def _static_response(url, rest):
    path = unquote(rest.split("?", 1)[0].split("#", 1)[0]).lstrip("/")
    segments = path.split("/")
    if (
        not path
        or "\\" in path
        or "\x00" in path
        or any(segment in ("", ".", "..") for segment in segments)
    ):
        raise ValueError(f"Refused static path {path[:200]!r}")
    try:
        found = finders.find(path)
    except SuspiciousFileOperation as error:
        raise ValueError(f"Refused static path {path[:200]!r}") from error
    if not found or not Path(found).is_file():
        raise ValueError(f"No static file {path[:200]!r}")
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    return URLFetcherResponse(
        url, body=Path(found).read_bytes(), headers={"Content-Type": content_type}
    )


class SafeURLFetcher(URLFetcher):
    """WeasyPrint's fetcher class (v63+ takes an instance) reading through `safe_url_fetcher`."""

    def __init__(self):
        super().__init__(allow_redirects=False, fail_on_errors=False)

    def fetch(self, url, headers=None):
        return safe_url_fetcher(url)


# --- formatting ------------------------------------------------------------------

# A run of characters without a break opportunity (Latin letters, digits, URLs;
# CJK text may break between any two characters) is laid out by WeasyPrint in
# time quadratic in its length when it is wider than its box: a 5000-character
# run in a table cell takes seconds. A zero-width space every BREAK_EVERY
# characters of a run longer than LONG_RUN gives the line breaker places to
# break, short enough for the narrowest column; it draws no glyph, so the
# PDF's text (copy, search, pdftotext) is unchanged. Ordinary words, numbers
# and phone numbers are shorter than LONG_RUN and left alone.
LONG_RUN = 40
BREAK_EVERY = 8
ZERO_WIDTH_SPACE = "\u200b"
_LONG_RUN = re.compile(
    rf"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]{{{LONG_RUN + 1},}}"
)


def breakable_text(text: str) -> str:
    """`text` with a zero-width space every BREAK_EVERY characters of a long
    unbroken run (a URL, a number string), so WeasyPrint can wrap it in a
    table cell without a slow line-breaking search. Shared with generic_pdf."""

    def split(match):
        run = match[0]
        return ZERO_WIDTH_SPACE.join(
            run[start : start + BREAK_EVERY] for start in range(0, len(run), BREAK_EVERY)
        )

    return _LONG_RUN.sub(split, text)


def _breakable_copy(obj):
    """A deep copy of a document (or any dataclass tree) with `breakable_text` texts."""
    obj = copy.deepcopy(obj)
    _make_breakable(obj)
    return obj


def _make_breakable(obj):
    for item in dataclasses.fields(obj):
        value = getattr(obj, item.name)
        if isinstance(value, str):
            setattr(obj, item.name, breakable_text(value))
            continue
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            children = [value]
        for child in children:
            if dataclasses.is_dataclass(child):
                _make_breakable(child)


def _amount(value: Decimal | None) -> str:
    """An entered amount, weight or score: 2 places, empty when not filled in."""
    return "" if value is None else f"{quantize(Decimal(value)):f}"


def _computed(value: Decimal | None) -> str:
    """A computed figure: 2 places, "—" when it cannot be computed."""
    return "—" if value is None else f"{quantize(Decimal(value)):f}"


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{quantize(Decimal(value)):f}%"


def _plain(value: Decimal) -> str:
    """A weight as people write it in a label: "50", "7.5"."""
    text = f"{quantize(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _count(value: int | None) -> str:
    return "" if value is None else str(value)


def chinese_date(value: date | str | None) -> str:
    """A date (or an ISO date text) as 2025年3月1日; "" for none, and a text
    that is not an ISO date unchanged."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return f"{value.year}年{value.month}月{value.day}日"


# --- view models -------------------------------------------------------------------


@dataclass
class IndicatorCell:
    level1: str
    level1_rowspan: int  # 0: merged into the row above
    level1_weight: str
    level2: str
    level2_rowspan: int
    name: str
    target: str
    actual: str
    weight: str
    score: str
    deviation: str
    applicable: bool
    note: str = ""  # draft only: the suggested score when it differs


@dataclass
class IndicatorGroup:
    """The rows of one 一级指标: one <tbody>, kept on one page where it fits."""

    rows: list[IndicatorCell] = field(default_factory=list)
    weight: Decimal | None = None  # Σ 分值 of its applicable rows, shown under the name


def _indicator_note(row: Indicator, result: IndicatorResult | None) -> str:
    if result is None or not row.applicable or row.score is None:
        return ""
    rule = RULE_LABELS.get(result.rule, result.rule)
    if result.suggested_score is not None and result.suggested_score != quantize(row.score):
        return f"参考得分 {_amount(result.suggested_score)}（{rule}）"
    if result.band is not None and not result.band_contains(row.score):
        return f"定性区间 {result.band_display}"
    return ""


def _indicator_groups(
    indicators: list[Indicator], results: list[IndicatorResult] | None, *, notes: bool
) -> list[IndicatorGroup]:
    """Rows grouped like the paper: consecutive rows with the same 一级指标 share
    one merged cell, and inside it consecutive rows with the same (non-empty)
    二级指标 share one. Rows keep their order."""
    groups: list[IndicatorGroup] = []
    previous = None
    for index, row in enumerate(indicators):
        if previous is None or row.level1 != previous.level1:
            groups.append(IndicatorGroup())
        group = groups[-1]
        previous = row
        if row.applicable and row.weight is not None:
            group.weight = (group.weight or Decimal(0)) + row.weight
        result = results[index] if results and index < len(results) else None
        group.rows.append(
            IndicatorCell(
                level1=row.level1,
                level1_rowspan=0,
                level1_weight="",
                level2=row.level2,
                level2_rowspan=1,
                name=row.name,
                target=row.target,
                actual=row.actual,
                weight=_amount(row.weight),
                score=_amount(row.score),
                deviation=row.deviation,
                applicable=row.applicable,
                note=_indicator_note(row, result) if notes else "",
            )
        )
    for group in groups:
        head = group.rows[0]
        head.level1_rowspan = len(group.rows)
        if group.weight is not None:
            head.level1_weight = f"（{_plain(group.weight)}分）"
        run_head = None
        for cell in group.rows:
            if run_head is not None and cell.level2 and cell.level2 == run_head.level2:
                run_head.level2_rowspan += 1
                cell.level2_rowspan = 0
            else:
                run_head = cell
    return groups


def _fund_line(label: str, line: FundLine | None) -> dict:
    line = line or FundLine()
    return {
        "label": label,
        "initial_budget": _amount(line.initial_budget),
        "full_year_budget": _amount(line.full_year_budget),
        "executed": _amount(line.executed),
    }


def _score_figures(score: TableScore | None) -> dict:
    if score is None:
        return dict.fromkeys(
            ("weight", "rate", "execution_score", "max_score", "total_score", "grade"), ""
        )
    grade = score.grade or "—"
    if score.normalized_score is not None and score.max_score != Decimal(100):
        grade = f"{grade}（换算得分 {_computed(score.normalized_score)}）"
    return {
        "weight": _amount(score.execution_weight),
        "rate": _percent(score.execution_rate),
        "execution_score": _computed(score.execution_score),
        "max_score": _computed(score.max_score),
        "total_score": _computed(score.total_score),
        "grade": grade,
    }


def _attachment1(document: FilingDocument, score: FilingScore | None) -> dict:
    basic = document.basic_data
    rows = []
    for key, label, level in BASIC_ROWS:
        columns = basic.rows.get(key) or Columns()
        rows.append({"label": label, "level": level, "columns": _columns(columns)})
        if key == "project_total":
            rows.extend(
                {"label": f"{number}、{item.name}", "level": 1, "columns": _columns(item)}
                for number, item in enumerate(basic.project_items, start=1)
            )
    buildings = []
    for index, building in enumerate(basic.buildings):
        rates = score.buildings[index] if score and index < len(score.buildings) else None
        buildings.append(
            {
                "name": building.name,
                "approved_area": _amount(building.approved_area),
                "actual_area": _amount(building.actual_area),
                "area_rate": _percent(rates.area_control_rate) if rates else "",
                "budget_investment": _amount(building.budget_investment),
                "actual_investment": _amount(building.actual_investment),
                "investment_rate": _percent(rates.investment_control_rate) if rates else "",
            }
        )
    staffing = document.staffing
    return {
        "rows": rows,
        "buildings": buildings,
        "austerity_measures": basic.austerity_measures,
        "authorized": _count(staffing.authorized),
        "actual": _count(staffing.actual),
        "control_rate": _percent(score.staffing_control_rate) if score else "",
    }


def _columns(columns: Columns) -> list[str]:
    return [_amount(columns.prior_final), _amount(columns.budget), _amount(columns.final)]


def _split_rows(funds) -> list[tuple[str, str]]:
    """按收入性质分 beside 按支出性质分, one "其中：" clause per line as on paper."""
    sources = [
        ("其中：一般公共预算", funds.by_source.general_budget),
        ("政府性基金拨款", funds.by_source.government_fund),
        ("纳入专户管理的非税收入拨款", funds.by_source.special_account),
        ("其他资金", funds.by_source.other),
    ]
    natures = [
        ("其中：基本支出", funds.by_nature.basic),
        ("项目支出", funds.by_nature.project),
    ]
    rows = []
    for index, (label, value) in enumerate(sources):
        right = ""
        if index < len(natures):
            right = f"{natures[index][0]}：{_amount(natures[index][1])}"
        rows.append((f"{label}：{_amount(value)}", right))
    return rows


def _attachment2(document: FilingDocument, score: FilingScore | None, *, notes: bool) -> dict:
    funds = document.funds
    return {
        "total": _fund_line("年度资金总额", funds),
        "figures": _score_figures(score),
        "split_rows": _split_rows(funds),
        "goal": document.overall_goal,
        "groups": _indicator_groups(
            document.indicators, score.indicators if score else None, notes=notes
        ),
    }


def _attachment3(project: Project, score: TableScore | None, *, notes: bool) -> dict:
    funds = project.funds
    return {
        "project": project,
        "lines": [
            _fund_line("年度资金总额", funds.total),
            _fund_line("其中：当年财政拨款", funds.current_appropriation),
            _fund_line("上年结转资金", funds.carryover),
            _fund_line("其他资金", funds.other),
        ],
        "figures": _score_figures(score),
        "groups": _indicator_groups(
            project.indicators, score.indicators if score else None, notes=notes
        ),
    }


def _contact(document: FilingDocument) -> dict:
    contact = document.contact
    return {
        "preparer": contact.preparer,
        "date": chinese_date(contact.date),
        "phone": contact.phone,
        "head": contact.head,
    }


def _staffing_text(document: FilingDocument, score: FilingScore) -> str:
    staffing = document.staffing
    people = [
        ("编制人数", staffing.authorized),
        ("实际人数", staffing.actual),
        ("退休人员", staffing.retired),
        ("遗属补助人数", staffing.survivor_subsidy),
    ]
    clauses = [f"{label}{value}人" for label, value in people if value is not None]
    if not clauses:
        return ""
    text = document.department.name + "，".join(clauses) + "。"
    if score.staffing_control_rate is not None:
        text += f"在职人员控制率为{_percent(score.staffing_control_rate)}。"
    return text


def _budget_text(document: FilingDocument, score: FilingScore) -> str:
    funds = document.funds
    figures = [
        ("全年预算数为", funds.full_year_budget),
        ("年初预算数为", funds.initial_budget),
        ("全年执行数为", funds.executed),
    ]
    clauses = [f"{label}{_amount(value)}万元" for label, value in figures if value is not None]
    if score.execution_rate is not None:
        clauses.append(f"预算执行率为{_percent(score.execution_rate)}")
    if not clauses:
        return ""
    return f"{document.fiscal_year}年度" + "，".join(clauses) + "。"


def text_paragraphs(text: str) -> list[str]:
    """Newlines separate paragraphs (docs/filing-format.md); blank lines are dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _part(title: str, text: str, *, required: bool = False, lead: str = "") -> dict:
    """One titled text of the narrative. `required` marks what validation demands
    (section_missing): an empty one reads 未填写, any other empty one 无."""
    return {"title": title, "paragraphs": text_paragraphs(text), "required": required, "lead": lead}


def _numbered(title: str, subsections: list[dict]) -> dict:
    for number, subsection in zip(NUMERALS, subsections, strict=False):
        subsection["title"] = f"（{number}）{subsection['title']}"
    return {"title": title, "subsections": subsections}


def _sections(document: FilingDocument, score: FilingScore) -> list[dict]:
    """The narrative 一 to 十 in DOMAIN.md order, each a text or numbered subsections."""
    report = document.report
    profile = document.profile
    conclusion_lead = ""
    if score.grade:
        conclusion_lead = (
            f"经自评，{document.fiscal_year}年度部门整体支出绩效自评总分"
            f"{_computed(score.total_score)}分（满分{_computed(score.max_score)}分），"
            f"等次为“{score.grade}”。"
        )
    sections = [
        _numbered(
            "部门（单位）基本情况",
            [
                _part("机构设置情况", profile.organization),
                _part("人员编制情况", _staffing_text(document, score)),
                _part("主要职能职责", profile.functions, required=True),
                _part("绩效目标设定情况", profile.goal_setting),
            ],
        ),
        _numbered(
            "一般公共预算支出情况",
            [
                _part(
                    "预算执行、使用、管理总体情况",
                    report.budget_overview or _budget_text(document, score),
                    required=True,
                ),
                _part("基本支出情况", report.basic_expenditure),
                _part("项目支出情况", report.project_expenditure),
            ],
        ),
        _part("政府性基金预算支出情况", report.government_fund),
        _part("国有资本经营预算支出情况", report.state_capital),
        _part("社会保险基金预算支出情况", report.social_insurance),
        _numbered(
            "部门整体支出绩效情况",
            [
                _part(
                    "综合评价结论",
                    report.performance_conclusion,
                    required=True,
                    lead=conclusion_lead,
                ),
                _part("评价指标分析", report.indicator_analysis),
            ],
        ),
        _part("存在的问题及原因分析", report.problems, required=True),
        _part("下一步改进措施", report.improvements, required=True),
        _part("部门整体支出绩效自评结果拟应用和公开情况", report.result_application),
        _part("其他需要说明的情况", report.other),
    ]
    for number, section in zip(NUMERALS, sections, strict=True):
        section["title"] = f"{number}、{section['title']}"
    return sections


def _forms_context(document: FilingDocument, score: FilingScore | None, *, notes: bool) -> dict:
    projects = document.projects
    return {
        "document": document,
        "year": document.fiscal_year,
        "prior_year": document.fiscal_year - 1,
        "attachment1": _attachment1(document, score),
        "attachment2": _attachment2(document, score, notes=notes),
        "attachment3": [
            _attachment3(
                project,
                score.projects[index] if score and index < len(score.projects) else None,
                notes=notes,
            )
            for index, project in enumerate(projects)
        ],
        "contact": _contact(document),
        "stylesheet_url": static_url(STYLESHEET),
    }


# --- services ------------------------------------------------------------------------


def report_html(
    *,
    document: FilingDocument,
    score: FilingScore,
    draft: bool,
    generated_on: date,
    page_numbers: str = PAGE_NUMBERS_CHINESE,
) -> str:
    """The report of `document` as HTML for WeasyPrint: cover, narrative 一 to
    十, 附件1, 附件2 and one 附件3 per project.

    `score` is `document_score` of the same document. A draft carries a 草稿
    watermark on every page and, next to an entered 得分 that differs from the
    rules, the suggested score. `page_numbers` is one of PAGE_NUMBER_STYLES.
    All filing text is escaped. Pure; never raises on incomplete data, raises
    ValueError for an unknown `page_numbers`.
    """
    if page_numbers not in PAGE_NUMBER_STYLES:
        raise ValueError(f"Unknown page number style {page_numbers!r}")
    # The document's own title and author (PDF metadata) keep the text as it is.
    title = f"{document.fiscal_year}年度{document.department.name}部门整体支出绩效自评报告"
    author = document.department.name
    document = _breakable_copy(document)
    context = _forms_context(document, score, notes=draft)
    context.update(
        {
            "title": title,
            "metadata": pdf_metadata(author=author, created=generated_on),
            "heading": (
                f"{document.fiscal_year}年度{document.department.name}部门整体支出绩效自评报告"
            ),
            "draft": draft,
            "page_numbers": page_numbers,
            "score": score,
            "figures": _score_figures(score),
            "sections": _sections(document, score),
            "report_date": chinese_date(document.contact.date) or chinese_date(generated_on),
            "generated_on": chinese_date(generated_on),
        }
    )
    return render_to_string(REPORT_TEMPLATE, context)


def pdf_metadata(*, author: str, created: date) -> dict:
    """The <meta> values of a PDF's author and creation date (base.html).

    The creation date is the day of the render, the one the report's cover
    prints after 生成于: a draft carries the day it was downloaded, a report
    frozen at approval the day it was frozen, for good, since its bytes are
    stored and served unchanged. A day, not a time: the PDF states nothing
    more precise than its cover. An empty author falls back to
    FALLBACK_AUTHOR. Shared with generic_pdf."""
    return {"author": author or FALLBACK_AUTHOR, "created": created.isoformat()}


_local = threading.local()


def _font_config() -> FontConfiguration:
    # Loading fontconfig's configuration is a good part of a small render; our
    # documents add no @font-face, so one configuration per thread (Pango's
    # font maps are not thread-safe) can serve every render.
    if getattr(_local, "font_config", None) is None:
        _local.font_config = FontConfiguration()
    return _local.font_config


@contextmanager
def _fewer_collections():
    # A render builds hundreds of thousands of short-lived objects, and the
    # cyclic collector's default pace (every 700 allocations) costs about a
    # fifth of a report's time (measured: 北塔 0.49 s → 0.42 s). Collection
    # only runs less often meanwhile; the threshold is process-wide, so an
    # interleaved render in another thread at worst restores it early.
    previous = gc.get_threshold()
    gc.set_threshold(50_000, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def html_to_pdf(html: str) -> bytes:
    """The tagged PDF/UA-1 of a report's HTML, laid out by WeasyPrint through
    SafeURLFetcher (data: URLs and our static files only) with the system's
    fonts."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=SafeURLFetcher())
    with _fewer_collections():
        return document.write_pdf(font_config=_font_config(), pdf_variant=PDF_VARIANT)


def report_pdf(
    *,
    document: FilingDocument,
    template: ScoringTemplate,
    draft: bool,
    page_numbers: str = PAGE_NUMBERS_CHINESE,
) -> bytes:
    """Score `document` with `template` and render its report (see `report_html`)
    as PDF, dated today. Resources other than data: URLs and our static files are
    refused; WeasyPrint logs each refusal and renders without it."""
    score = document_score(document=document, template=template)
    html = report_html(
        document=document,
        score=score,
        draft=draft,
        generated_on=timezone.localdate(),
        page_numbers=page_numbers,
    )
    return html_to_pdf(html)


def filing_report_pdf(*, filing: Filing, page_numbers: str = PAGE_NUMBERS_CHINESE) -> bytes:
    """The PDF report of a saved filing, scored with its template.

    It is marked 草稿 unless the filing is approved or published. Callers check
    that the user may see the filing; the approval step stores the result once.
    `page_numbers` is one of PAGE_NUMBER_STYLES.
    """
    return report_pdf(
        document=filing_document(filing=filing),
        template=filing.scoring_template,
        draft=filing.status not in PUBLIC_STATUSES,
        page_numbers=page_numbers,
    )


def _blank_indicators(prior: list[Indicator] | None) -> list[Indicator]:
    if prior:
        return [
            Indicator(level1=row.level1, level2=row.level2, name=row.name, applicable=True)
            for row in prior
        ]
    return [
        Indicator(level1=level1, level2=level2)
        for level1, level2, count in BLANK_INDICATOR_SKELETON
        for _ in range(count)
    ]


def _blank_document(
    *, department_name: str, year: int, prior: FilingDocument | None
) -> FilingDocument:
    document = FilingDocument(fiscal_year=year)
    document.department.name = department_name
    basic = document.basic_data
    if prior is None:
        basic.project_items = [ProjectItem(name=name) for name in BLANK_PROJECT_ITEMS]
        document.indicators = _blank_indicators(None)
        document.projects = [Project(indicators=_blank_indicators(None))]
        return document
    # Last year's 本年决算数 is this year's 上年决算数; the lists keep their names.
    for key, columns in prior.basic_data.rows.items():
        basic.rows[key] = Columns(prior_final=columns.final)
    basic.project_items = [
        ProjectItem(name=item.name, prior_final=item.final)
        for item in prior.basic_data.project_items
    ] or [ProjectItem(name=name) for name in BLANK_PROJECT_ITEMS]
    basic.buildings = [Building(name=building.name) for building in prior.basic_data.buildings]
    document.indicators = _blank_indicators(prior.indicators)
    document.projects = [
        Project(
            name=project.name,
            department_in_charge=project.department_in_charge,
            implementer=project.implementer,
            goal=Goal(),
            indicators=_blank_indicators(project.indicators),
        )
        for project in prior.projects
    ] or [Project(indicators=_blank_indicators(None))]
    return document


def blank_forms_pdf(
    *, department_name: str, year: int, prior_document: FilingDocument | None = None
) -> bytes:
    """附件1, 附件2 and 附件3 for `department_name` and `year` with empty cells, for
    filling in by hand.

    With `prior_document` (the department's filing of year − 1), 附件1's 上年决算数
    holds last year's 本年决算数 and the project items, buildings, indicator
    names and projects are listed as last year; otherwise the printed form's
    standard rows are shown. Nothing is scored. The PDF's author is the
    department, FALLBACK_AUTHOR for an empty `department_name`.
    """
    document = _breakable_copy(
        _blank_document(department_name=department_name, year=year, prior=prior_document)
    )
    context = _forms_context(document, None, notes=False)
    context.update(
        {
            "blank": True,
            "title": f"{year}年度部门整体支出绩效自评表（空白）",
            "metadata": pdf_metadata(author=department_name, created=timezone.localdate()),
        }
    )
    return html_to_pdf(render_to_string(BLANK_FORMS_TEMPLATE, context))

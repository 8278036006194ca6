"""Every PDF is tagged PDF/UA-1 (services/pdf.py, services/generic_pdf.py).

Read back with pypdf, as a screen reader or a checker would read it: the
structure tree (headings, tables, reading order), the catalog and metadata,
and the marked content of each page's content stream — the text of a
structure element is the text shown inside its marked-content sequences
(MCIDs), and whatever is drawn inside /Artifact is decoration: the borders,
and the 草稿 watermark of a draft.
"""

import io
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from xml.etree import ElementTree

import pytest
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import ContentStream

from evaluations.core.generic import generic_score
from evaluations.core.template import template_from_bytes
from evaluations.form_templates import SHIPPED
from evaluations.models import Filing
from evaluations.services.form_templates import blank_forms_pdf_of, filing_form_template
from evaluations.services.generic_pdf import generic_report_pdf
from evaluations.services.generic_persistence import generic_document_read
from evaluations.services.pdf import FALLBACK_AUTHOR, blank_forms_pdf, chinese_date
from evaluations.services.reports import report_freeze, report_pdf_bytes
from tests.evaluations.views.test_generic_pages import HEBEI, HUBEI, generic_filing
from tests.helpers import import_example

# Operators that paint a path or an XObject: only decoration is painted here.
PAINTING = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "sh", "Do"}
XMP_NAMES = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://www.aiim.org/pdfua/ns/id/": "pdfuaid",
}
TABLE_PARTS = {"THead", "TBody", "TFoot"}
BEITA = "邵阳市北塔区人民政府办公室"
BEITA_TITLE = f"2023年度{BEITA}部门整体支出绩效自评报告"
# The 北塔 report's headings as printed: the cover's title, the narrative's
# title, its sections 一 to 十 and their parts, then the forms' titles.
BEITA_HEADINGS = [
    ("H1", BEITA_TITLE),
    ("H1", BEITA_TITLE),
    ("H2", "一、部门（单位）基本情况"),
    ("H3", "（一）机构设置情况"),
    ("H3", "（二）人员编制情况"),
    ("H3", "（三）主要职能职责"),
    ("H3", "（四）绩效目标设定情况"),
    ("H2", "二、一般公共预算支出情况"),
    ("H3", "（一）预算执行、使用、管理总体情况"),
    ("H3", "（二）基本支出情况"),
    ("H3", "（三）项目支出情况"),
    ("H2", "三、政府性基金预算支出情况"),
    ("H2", "四、国有资本经营预算支出情况"),
    ("H2", "五、社会保险基金预算支出情况"),
    ("H2", "六、部门整体支出绩效情况"),
    ("H3", "（一）综合评价结论"),
    ("H3", "（二）评价指标分析"),
    ("H2", "七、存在的问题及原因分析"),
    ("H2", "八、下一步改进措施"),
    ("H2", "九、部门整体支出绩效自评结果拟应用和公开情况"),
    ("H2", "十、其他需要说明的情况"),
    ("H2", "2023年度部门整体支出绩效评价基础数据表"),
    ("H2", "2023年度部门整体支出绩效自评表"),
]
HEBEI_HEADINGS = [
    ("H1", "2023年度部门绩效管理考核自评表"),
    ("H2", "部门绩效管理考核自评表"),
    ("H2", "部门职能与年度工作目标"),
    ("H2", "部门整体绩效目标实现情况"),
    ("H2", "一、部门基本情况"),
    ("H2", "二、部门绩效考核自评情况"),
    ("H2", "三、部门整体绩效目标实现情况"),
    ("H2", "四、绩效自评发现的问题"),
    ("H2", "五、改进措施及相关建议"),
]

pytestmark = pytest.mark.django_db


# --- reading a tagged PDF -------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """The text of one Tj/TJ, on page `page` (0-based) at baseline `y`
    (downwards, as WeasyPrint places text), inside the marked-content
    sequences `marks`: (tag, MCID or None), outermost first."""

    page: int
    text: str
    marks: tuple
    y: float

    @property
    def artifact(self) -> bool:
        return any(tag == "/Artifact" for tag, _ in self.marks)

    @property
    def mcid(self) -> int | None:
        return next((mcid for _, mcid in reversed(self.marks) if mcid is not None), None)


@dataclass
class Element:
    """A structure element; `kids` are Elements and (page, MCID) pairs in order."""

    tag: str
    kids: list = field(default_factory=list)

    def walk(self, parent=None):
        yield self, parent
        for kid in self.kids:
            if isinstance(kid, Element):
                yield from kid.walk(self)


def _unicode_map(font) -> tuple[int, dict[bytes, str]]:
    """The code width and code → text of a font's ToUnicode CMap."""
    cmap = font["/ToUnicode"].get_data().decode("latin-1")
    width = len(re.search(r"begincodespacerange\s*<(\w+)>", cmap)[1]) // 2
    mapping = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(r"<(\w+)>\s*<(\w+)>", block):
            mapping[bytes.fromhex(code)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, text in re.findall(r"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
            for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                mapping[code.to_bytes(width, "big")] = chr(int(text, 16) + offset)
    return width, mapping


class TaggedPdf:
    """A PDF read back: its text runs and paints by marked content, the text
    of each MCID, and its structure tree (`roots`)."""

    def __init__(self, data: bytes):
        self.reader = PdfReader(io.BytesIO(data))
        self.catalog = self.reader.trailer["/Root"]
        self.page_numbers = {
            page.indirect_reference.idnum: number for number, page in enumerate(self.reader.pages)
        }
        self.runs: list[Run] = []
        self.paints: list[tuple[int, str, tuple]] = []  # page, operator, marks
        for index, page in enumerate(self.reader.pages):
            self._read(page.get_contents(), page["/Resources"], index, ())
        self.mcid_text = defaultdict(str)
        self.mcid_y = {}
        for run in self.runs:
            if run.mcid is not None and not run.artifact:
                self.mcid_text[(run.page, run.mcid)] += run.text
                self.mcid_y.setdefault((run.page, run.mcid), run.y)
        root = self.catalog["/StructTreeRoot"]
        self.roots = [self._element(kid, None) for kid in _array(root.raw_get("/K"))]

    def _read(self, content, resources, page, marks):
        """Collect the runs and paints of a content stream, following Form
        XObjects (a background image is drawn in one) with the marks around
        their Do."""
        fonts, font, y = {}, None, None
        for operands, operator in ContentStream(content, self.reader).operations:
            operator = operator.decode("latin-1")
            if operator in ("BDC", "BMC"):
                properties = operands[1] if operator == "BDC" else {}
                mcid = properties.get("/MCID") if hasattr(properties, "get") else None
                marks = (*marks, (str(operands[0]), mcid))
            elif operator == "EMC":
                marks = marks[:-1]
            elif operator == "Tf":
                if operands[0] not in fonts:
                    fonts[operands[0]] = _unicode_map(resources["/Font"][operands[0]])
                font = fonts[operands[0]]
            elif operator == "Tm":
                y = float(operands[5])
            elif operator in ("Tj", "TJ"):
                strings = operands[0] if operator == "TJ" else operands[:1]
                text = "".join(
                    _decode(font, string.original_bytes)
                    for string in strings
                    if hasattr(string, "original_bytes")
                )
                self.runs.append(Run(page, text, marks, y))
            if operator in PAINTING:
                self.paints.append((page, operator, marks))
            if operator == "Do":
                xobject = resources["/XObject"][operands[0]]
                if xobject["/Subtype"] == "/Form":
                    self._read(xobject, xobject.get("/Resources", resources), page, marks)

    def _element(self, reference, page) -> Element:
        element = reference.get_object()
        if "/Pg" in element:
            page = self.page_numbers[element.raw_get("/Pg").idnum]
        result = Element(str(element["/S"])[1:])
        for kid in _array(element.get("/K")):
            if isinstance(kid, int):
                result.kids.append((page, kid))
            elif kid.get_object().get("/Type") != "/OBJR":  # an annotation's reference
                result.kids.append(self._element(kid, page))
        return result

    def elements(self):
        """(element, parent) of the whole tree, in the tree's (reading) order."""
        for root in self.roots:
            yield from root.walk()

    def text(self, element: Element) -> str:
        return "".join(
            self.text(kid) if isinstance(kid, Element) else self.mcid_text[kid]
            for kid in element.kids
        ).replace("\u200b", "")

    def leaves(self, element: Element):
        for kid in element.kids:
            yield from self.leaves(kid) if isinstance(kid, Element) else [kid]

    def headings(self) -> list[tuple[str, str]]:
        return [
            (element.tag, self.text(element))
            for element, _ in self.elements()
            if re.fullmatch(r"H[1-6]", element.tag)
        ]

    def artifact_text(self, page: int) -> str:
        return "".join(run.text for run in self.runs if run.page == page and run.artifact)

    def xmp(self) -> dict[str, list[str]]:
        """The XMP packet's properties by prefixed name: attributes of its
        rdf:Description elements, and the texts of the property elements
        (each rdf:li of a list or alternative)."""
        packet = ElementTree.fromstring(self.catalog["/Metadata"].get_data())
        found = defaultdict(list)
        for description in packet.iter(f"{{{_namespace('rdf')}}}Description"):
            for name, value in description.attrib.items():
                found[_prefixed(name)].append(value)
            for prop in description:
                items = [item.text for item in prop.iter() if item.tag.endswith("}li")]
                found[_prefixed(prop.tag)].extend(items or [prop.text])
        return found


def _array(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _decode(font, raw: bytes) -> str:
    width, mapping = font
    return "".join(mapping.get(raw[i : i + width], "\ufffd") for i in range(0, len(raw), width))


def _namespace(prefix: str) -> str:
    return next(uri for uri, name in XMP_NAMES.items() if name == prefix)


def _prefixed(name: str) -> str:
    uri, local = name[1:].split("}")
    return f"{XMP_NAMES.get(uri, uri)}:{local}"


# --- what every tagged PDF of ours holds -------------------------------------------------


def assert_pdf_ua(pdf: TaggedPdf, *, title: str, author: str, created: date):
    """Catalog, Info and XMP as PDF/UA-1 asks, one Document at the root,
    headings starting at H1 and never skipping a level, well-formed tables,
    every text run tagged or an artifact, every painted path an artifact."""
    catalog = pdf.catalog
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/Lang"] == "zh-CN"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True

    info = pdf.reader.metadata
    assert (info.title, info.author) == (title, author)
    assert info.creation_date.date() == created
    xmp = pdf.xmp()
    assert xmp["pdfuaid:part"] == ["1"]
    assert xmp["dc:title"] == [title]
    assert xmp["dc:creator"] == [author]
    assert xmp["xmp:CreateDate"] == [created.isoformat()]

    assert [root.tag for root in pdf.roots] == ["Document"]
    levels = [int(tag[1]) for tag, _ in pdf.headings()]
    assert levels[0] == 1
    assert all(level <= before + 1 for before, level in itertools.pairwise(levels))

    tables = [element for element, _ in pdf.elements() if element.tag == "Table"]
    assert tables
    for element, parent in pdf.elements():
        if element.tag == "TR":
            assert parent.tag in {"Table", *TABLE_PARTS}
            assert element.kids and {kid.tag for kid in element.kids} <= {"TH", "TD"}
        if element.tag in ("TH", "TD"):
            assert parent.tag == "TR"
    assert any(element.tag == "TH" for element, _ in pdf.elements())

    assert all(run.artifact or run.mcid is not None for run in pdf.runs)
    assert pdf.paints and all(
        any(tag == "/Artifact" for tag, _ in marks) for _, _, marks in pdf.paints
    )


def assert_paper_order(pdf: TaggedPdf):
    """The tree reads as the paper does: its headings and paragraphs go down
    the pages, and so do the rows of each table (a row starts at its highest
    cell: a merged cell's text sits lower, in the middle of its rows)."""
    blocks = [
        element
        for element, _ in pdf.elements()
        if re.fullmatch(r"H[1-6]|P", element.tag) and pdf.text(element).strip()
    ]
    assert_descending([position(pdf, element) for element in blocks])
    for element, _ in pdf.elements():
        if element.tag == "Table":
            rows = [row for row, _ in element.walk() if row.tag == "TR" and pdf.text(row)]
            assert_descending([position(pdf, row) for row in rows])


def position(pdf: TaggedPdf, element: Element) -> tuple[int, float]:
    return min(
        (page, pdf.mcid_y[page, mcid])
        for page, mcid in pdf.leaves(element)
        if (page, mcid) in pdf.mcid_y
    )


def assert_descending(positions: list[tuple[int, float]]):
    # The "附件N" label shares its title's line with a smaller font: a line's
    # baselines differ by a few units.
    for before, after in itertools.pairwise(positions):
        assert after[0] > before[0] or (after[0] == before[0] and after[1] > before[1] - 8), (
            before,
            after,
        )


def assert_watermark_only_as_artifact(pdf: TaggedPdf, *, draft: bool):
    """草稿 is drawn on every page of a draft inside /Artifact, in no
    structure element; a final PDF has no artifact text at all."""
    pages = len(pdf.reader.pages)
    expected = "草稿" if draft else ""
    assert [pdf.artifact_text(page) for page in range(pages)] == [expected] * pages
    assert all(run.mcid is None for run in pdf.runs if run.artifact)
    assert "草稿" not in pdf.mcid_text.values()


def table_headers(pdf: TaggedPdf) -> set[str]:
    return {pdf.text(element) for element, _ in pdf.elements() if element.tag == "TH"}


# --- the Hunan report ------------------------------------------------------------------


def test_a_draft_hunan_report_is_tagged_with_its_watermark_an_artifact_on_every_page():
    filing = import_example("beita-2023")

    pdf = TaggedPdf(report_pdf_bytes(filing=filing))

    today = timezone.localdate()
    assert_pdf_ua(pdf, title=BEITA_TITLE, author=BEITA, created=today)
    assert pdf.headings() == BEITA_HEADINGS
    assert_paper_order(pdf)
    assert_watermark_only_as_artifact(pdf, draft=True)
    # The cover says in words that this is a draft: that is text.
    drafts = [text for text in pdf.mcid_text.values() if "草稿" in text]
    assert drafts == [f"草稿，生成于{chinese_date(today)}"]
    assert {"部门名称", "一级指标", "三级指标", "年度资金总额", "总分", "等次"} <= table_headers(
        pdf
    )


def test_the_frozen_report_of_an_approved_filing_is_tagged_and_dated_when_it_was_frozen():
    filing = import_example("beita-2023")
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.APPROVED)

    frozen = report_freeze(filing_id=filing.pk)
    pdf = TaggedPdf(report_pdf_bytes(filing=frozen))

    rendered_on = timezone.localdate(frozen.report_rendered_at)
    assert_pdf_ua(pdf, title=BEITA_TITLE, author=BEITA, created=rendered_on)
    assert pdf.headings() == BEITA_HEADINGS
    assert_paper_order(pdf)
    assert_watermark_only_as_artifact(pdf, draft=False)
    assert not any("草稿" in text for text in pdf.mcid_text.values())
    cover = [
        element
        for element, _ in pdf.elements()
        if element.tag == "P" and "生成于" in pdf.text(element)
    ]
    assert [pdf.text(element) for element in cover] == [f"生成于{chinese_date(rendered_on)}"]


def test_a_table_header_row_is_made_of_th_cells_and_the_data_of_td_cells():
    pdf = TaggedPdf(report_pdf_bytes(filing=import_example("beita-2023")))

    heads = [
        element
        for element, parent in pdf.elements()
        if element.tag == "TR" and parent.tag == "THead"
    ]
    assert heads
    for row in heads:
        assert [kid.tag for kid in row.kids] == ["TH"] * 9
        assert pdf.text(row).startswith("绩效指标一级指标二级指标三级指标")
    totals = next(
        element
        for element, _ in pdf.elements()
        if element.tag == "TR" and pdf.text(element).startswith("年度资金总额")
    )
    assert [kid.tag for kid in totals.kids] == ["TH"] + ["TD"] * 6
    assert [pdf.text(kid) for kid in totals.kids][1:4] == ["755.89", "1007.30", "1007.30"]


# --- the generic templates -------------------------------------------------------------


@pytest.mark.parametrize("example", [HEBEI, HUBEI], ids=["hebei", "hubei"])
@pytest.mark.parametrize("draft", [True, False], ids=["draft", "final"])
def test_a_generic_report_is_tagged_and_a_drafts_watermark_is_an_artifact(example, draft):
    filing = generic_filing(example)
    template = filing_form_template(filing).template()
    document = generic_document_read(filing)
    department = filing.department.name

    data = generic_report_pdf(
        template=template,
        document=document,
        score=generic_score(document, template),
        department_name=department,
        fiscal_year=2023,
        draft=draft,
    )

    pdf = TaggedPdf(data)
    assert_pdf_ua(
        pdf,
        title=f"2023年度{department}{template.title}",
        author=department,
        created=timezone.localdate(),
    )
    assert pdf.headings()[0] == ("H1", f"2023年度{template.title}")
    assert_paper_order(pdf)
    assert_watermark_only_as_artifact(pdf, draft=draft)
    columns = {column.label for table in template.tables for column in table.columns}
    assert table_headers(pdf) & columns


def test_the_hebei_report_reads_its_headings_and_subtotal_lines_by_their_titles():
    filing = generic_filing(HEBEI)
    template = filing_form_template(filing).template()
    document = generic_document_read(filing)

    pdf = TaggedPdf(
        generic_report_pdf(
            template=template,
            document=document,
            score=generic_score(document, template),
            department_name=filing.department.name,
            fiscal_year=2023,
            draft=True,
        )
    )

    assert pdf.headings() == HEBEI_HEADINGS
    subtotals = [
        element
        for element, _ in pdf.elements()
        if element.tag == "TR" and pdf.text(element).startswith("（一）重大政策落实情况小计")
    ]
    assert [[kid.tag for kid in row.kids][:3] for row in subtotals] == [["TH", "TD", "TD"]]


# --- blank forms ---------------------------------------------------------------------------


def test_the_blank_forms_of_a_department_name_it_as_their_author():
    pdf = TaggedPdf(blank_forms_pdf(department_name="某某区财政局", year=2024))

    assert_pdf_ua(
        pdf,
        title="2024年度部门整体支出绩效自评表（空白）",
        author="某某区财政局",
        created=timezone.localdate(),
    )
    # No report title above them: each form's title is a top heading.
    assert pdf.headings() == [
        ("H1", "2024年度部门整体支出绩效评价基础数据表"),
        ("H1", "2024年度部门整体支出绩效自评表"),
        ("H1", "2024年度项目支出绩效自评表"),
    ]
    assert_paper_order(pdf)
    assert_watermark_only_as_artifact(pdf, draft=False)


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_the_blank_forms_of_every_shipped_template_are_tagged(path):
    template = template_from_bytes(path.read_bytes())

    pdf = TaggedPdf(blank_forms_pdf_of(template))

    generic = template.layout == "generic"
    title = (
        f"{template.title}（空白）"
        if generic
        else f"{template.version}年度部门整体支出绩效自评表（空白）"
    )
    # A generic template's forms name the region that issued it; the Hunan
    # forms are printed without a template, by this application.
    author = template.region if generic else FALLBACK_AUTHOR
    assert_pdf_ua(pdf, title=title, author=author, created=timezone.localdate())
    assert_paper_order(pdf)
    assert_watermark_only_as_artifact(pdf, draft=False)

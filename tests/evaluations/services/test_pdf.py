import dataclasses
import logging
import re
import subprocess
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from weasyprint import HTML

from evaluations.core.document import (
    Building,
    FilingDocument,
    FundLine,
    Indicator,
    Project,
    ProjectItem,
)
from evaluations.core.scoring import document_score
from evaluations.models import Filing, ScoringTemplate
from evaluations.services import pdf
from evaluations.services.interchange import document_from_bytes
from evaluations.services.pdf import (
    SafeURLFetcher,
    blank_forms_pdf,
    filing_report_pdf,
    report_html,
    report_pdf,
    safe_url_fetcher,
)
from tests.helpers import example_bytes, import_example

HOSTILE = (
    '<img src="file:///etc/passwd">'
    '<link rel=stylesheet href="http://127.0.0.1:9/x.css">'
    "<style>body{background:url(http://127.0.0.1:9/y.png)}</style>"
    "url(file:///etc/passwd)"
)
UNBROKEN = "0123456789abcdef" * 312 + "01234567"  # 5000 characters, no break opportunity


def example(name: str) -> FilingDocument:
    return document_from_bytes(example_bytes(name))


def pdf_text(data: bytes, tmp_path, *, name="out") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def squeeze(text: str) -> str:
    """pdftotext breaks lines where the PDF does: compare without any whitespace."""
    return "".join(text.split())


def fill_text_fields(obj, value: str):
    """Set every str field of a document (nested dataclasses, lists, dicts) to value."""
    for item in dataclasses.fields(obj):
        current = getattr(obj, item.name)
        if isinstance(current, str) or item.name == "template":
            setattr(obj, item.name, value)
            continue
        children = current.values() if isinstance(current, dict) else current
        if dataclasses.is_dataclass(current):
            fill_text_fields(current, value)
        elif isinstance(current, (list, dict)):
            for child in children:
                if dataclasses.is_dataclass(child):
                    fill_text_fields(child, value)


@pytest.fixture
def weasyprint_warnings(caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")
    return lambda: [
        record.getMessage() for record in caplog.records if record.name.startswith("weasyprint")
    ]


@pytest.fixture
def fetched_urls(monkeypatch):
    """Every URL WeasyPrint asks our fetcher for."""
    urls = []
    original = pdf.safe_url_fetcher

    def recording(url, *args, **kwargs):
        urls.append(url)
        return original(url, *args, **kwargs)

    monkeypatch.setattr(pdf, "safe_url_fetcher", recording)
    return urls


# --- the two example filings ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "total", "control_rate"),
    [("beita-2023", "97.00", "156.52%"), ("junshan-2023", "99.00", "100.00%")],
)
def test_example_filing_renders_with_department_indicators_control_rate_and_total(
    name, total, control_rate, tmp_path, weasyprint_warnings
):
    filing = import_example(name)

    data = filing_report_pdf(filing=filing)

    assert data.startswith(b"%PDF-")
    text = squeeze(pdf_text(data, tmp_path))
    document = example(name)
    assert squeeze(document.department.name) in text
    for indicator in document.indicators + [i for p in document.projects for i in p.indicators]:
        assert squeeze(indicator.name) in text
    assert "在职人员控制率" in text
    assert control_rate in text
    assert total in text
    assert not weasyprint_warnings()


@pytest.mark.django_db
def test_rendering_the_examples_logs_no_weasyprint_warning_such_as_missing_glyphs(
    weasyprint_warnings,
):
    for name in ("beita-2023", "junshan-2023"):
        report_pdf(document=example(name), template=ScoringTemplate(), draft=True)
        blank_forms_pdf(department_name=example(name).department.name, year=2024)

    assert weasyprint_warnings() == []


def test_a_character_no_font_has_is_reported_as_a_weasyprint_warning(weasyprint_warnings):
    # The check above relies on this: WeasyPrint 70 logs every .notdef glyph.
    document = FilingDocument(fiscal_year=2023)
    document.department.name = "测试部门\ue000"

    report_pdf(document=document, template=ScoringTemplate(), draft=False)

    assert any(".notdef glyph" in message for message in weasyprint_warnings())


def test_report_uses_only_the_noto_cjk_fonts(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(
        report_pdf(document=example("junshan-2023"), template=ScoringTemplate(), draft=True)
    )

    fonts = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]

    names = {line.split()[0].split("+", 1)[1] for line in fonts}
    assert names == {"Noto-Serif-CJK-SC", "Noto-Sans-CJK-SC-Bold"}


# --- the narrative and the tables ----------------------------------------------------


def render(document, *, draft=False):
    score = document_score(document=document, template=ScoringTemplate())
    return report_html(document=document, score=score, draft=draft, generated_on=date(2024, 8, 1))


def test_narrative_sections_one_to_ten_come_in_domain_order():
    html = render(example("junshan-2023"))

    titles = [
        "一、部门（单位）基本情况",
        "（一）机构设置情况",
        "（二）人员编制情况",
        "（三）主要职能职责",
        "（四）绩效目标设定情况",
        "二、一般公共预算支出情况",
        "（一）预算执行、使用、管理总体情况",
        "（二）基本支出情况",
        "（三）项目支出情况",
        "三、政府性基金预算支出情况",
        "四、国有资本经营预算支出情况",
        "五、社会保险基金预算支出情况",
        "六、部门整体支出绩效情况",
        "（一）综合评价结论",
        "（二）评价指标分析",
        "七、存在的问题及原因分析",
        "八、下一步改进措施",
        "九、部门整体支出绩效自评结果拟应用和公开情况",
        "十、其他需要说明的情况",
        "附件1",
        "附件2",
        "附件3",
    ]
    positions = [html.index(title) for title in titles]
    assert positions == sorted(positions)


def test_staffing_sentence_is_built_from_the_staffing_figures():
    html = render(example("beita-2023"))

    assert (
        "邵阳市北塔区人民政府办公室编制人数23人，实际人数36人，退休人员20人，遗属补助人数0人。"
        "在职人员控制率为156.52%。"
    ) in html


def test_empty_budget_overview_is_replaced_by_a_sentence_from_the_funds():
    document = example("beita-2023")
    document.report.budget_overview = ""

    html = render(document)

    assert (
        "2023年度全年预算数为1007.30万元，年初预算数为755.89万元，"
        "全年执行数为1007.30万元，预算执行率为100.00%。"
    ) in html


def test_indicator_levels_are_merged_cells_as_on_the_paper_form():
    html = render(example("junshan-2023"))
    attachment2 = html[html.index("附件2") : html.index("附件3")]

    assert re.search(r'rowspan="7">产出指标', attachment2)
    assert re.search(r'rowspan="4">效益指标', attachment2)
    assert re.search(r'rowspan="1">满意度指标', attachment2)
    assert re.search(r'rowspan="3">数量指标', attachment2)
    assert re.search(r'rowspan="2">质量指标', attachment2)
    assert attachment2.count("<thead>") == 1
    assert attachment2.count('<tbody class="group">') == 3


def test_every_attachment_ends_with_the_signature_line():
    html = render(example("junshan-2023"))

    assert html.count("单位负责人签字") == 3  # 附件1, 附件2, one 附件3


def test_project_items_are_listed_under_project_expenditure_and_buildings_get_rates():
    document = example("beita-2023")
    document.basic_data.buildings = [
        Building(
            name="办公楼",
            approved_area=Decimal("1000"),
            actual_area=Decimal("950"),
            budget_investment=Decimal("200"),
            actual_investment=Decimal("210"),
        )
    ]

    html = render(document)

    items = html.index("1、业务工作经费"), html.index("4、其他事业类发展资金")
    assert html.index("项目支出：") < items[0] < items[1] < html.index("公用经费</th>")
    assert "95.00%" in html
    assert "105.00%" in html


def test_filing_text_is_escaped():
    document = example("junshan-2023")
    document.report.problems = "<script>alert(1)</script>"

    html = render(document).replace("\u200b", "")  # break opportunities in long runs

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- pagination and page numbers -----------------------------------------------------------

# The page number sits in the bottom page margin, 13 mm on the landscape forms and
# 20 mm on portrait pages; no text of the body reaches into the lowest 13 mm.
PAGE_NUMBER_ZONE = 13 * 72 / 25.4  # points
# A page that runs on to a next page of the same part (narrative, 附件N) must be
# filled at least this far down: the old layout moved the indicator table of
# 附件2 to its own page and left the budget block above the middle of an
# otherwise empty page. The last page of a part may be short: every 附件 starts
# on a new page, as the paper forms do.
MIN_FILL = Decimal("0.66")


@pytest.fixture(scope="module")
def rendered_examples(tmp_path_factory):
    """北塔 and 君山 as approved reports, each rendered once for this module."""
    directory = tmp_path_factory.mktemp("examples")
    paths = {}
    for name in ("beita-2023", "junshan-2023"):
        paths[name] = directory / f"{name}.pdf"
        paths[name].write_bytes(
            report_pdf(document=example(name), template=ScoringTemplate(), draft=False)
        )
    return paths


def text_pages(path) -> list[str]:
    """The squeezed text of each page, in order."""
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [squeeze(page) for page in text.split("\f")[:-1]]


def page_layout(path) -> list[dict]:
    """For each page: the words of its first line and how far down (a share of
    the page height) its body text reaches, the page number left out."""
    pages = []
    for page in words_by_page(path):
        height = Decimal(page.get("height"))
        words = [
            word
            for word in page.iter("{http://www.w3.org/1999/xhtml}word")
            if Decimal(word.get("yMin")) < height - Decimal(PAGE_NUMBER_ZONE)
        ]
        top = min(Decimal(word.get("yMin")) for word in words)
        bottom = max(Decimal(word.get("yMax")) for word in words)
        # "附件N" and the larger form title beside it share the first line.
        first_line = [word.text for word in words if Decimal(word.get("yMin")) < top + 12]
        pages.append({"first_line": first_line, "fill": bottom / height})
    return pages


def page_with(pages: list[str], title: str, name: str) -> str:
    matches = [page for page in pages if squeeze(title) in page and squeeze(name) in page]
    assert len(matches) == 1, f"{title} {name}: on {len(matches)} pages"
    return matches[0]


@pytest.mark.parametrize("name", ["beita-2023", "junshan-2023"])
def test_attachment2_title_goal_and_first_indicator_row_are_on_one_page(name, rendered_examples):
    document = example(name)
    pages = text_pages(rendered_examples[name])

    page = page_with(pages, "附件2", "2023年度部门整体支出绩效自评表")

    assert "年度总体目标" in page
    assert squeeze(document.overall_goal.expected) in page
    assert "三级指标" in page
    first = document.indicators[0]
    assert squeeze(first.level1) + "（" in page
    assert squeeze(first.name) + squeeze(first.target) in page


def test_each_attachment3_title_goal_and_first_indicator_row_are_on_one_page(rendered_examples):
    document = example("junshan-2023")
    pages = text_pages(rendered_examples["junshan-2023"])

    assert document.projects
    for project in document.projects:
        page = page_with(pages, "2023年度项目支出绩效自评表", project.name)
        assert squeeze(project.goal.expected) in page
        first = project.indicators[0]
        assert squeeze(first.name) + squeeze(first.target) in page


@pytest.mark.parametrize("name", ["beita-2023", "junshan-2023"])
def test_no_page_of_the_report_is_left_mostly_empty(name, rendered_examples):
    layout = page_layout(rendered_examples[name])

    # The cover stands alone; a page followed by the start of a 附件 ends its part.
    runs_on = [
        number
        for number, following in enumerate(layout[1:], start=1)
        if number > 1 and not any(word.startswith("附件") for word in following["first_line"])
    ]
    assert runs_on, "no page runs on to the next"
    for number in runs_on:
        assert layout[number - 1]["fill"] >= MIN_FILL, (
            f"page {number} ends at {layout[number - 1]['fill']:.2f} of its height"
        )


def test_the_tables_of_a_long_report_run_on_with_their_header_repeated(tmp_path):
    document = example("junshan-2023")
    document.indicators = document.indicators * 4
    path = tmp_path / "long.pdf"
    path.write_bytes(report_pdf(document=document, template=ScoringTemplate(), draft=False))

    pages = text_pages(path)
    start = next(i for i, page in enumerate(pages) if "2023年度部门整体支出绩效自评表" in page)
    attachment2 = pages[start : next(i for i, p in enumerate(pages) if "附件3" in p)]

    assert len(attachment2) >= 3
    for page in attachment2:
        assert "三级指标" in page and "偏差原因分析及改进措施" in page
    assert all(layout["fill"] >= MIN_FILL for layout in page_layout(path)[start : start + 2])
    assert "总分" in attachment2[-1] and "单位负责人签字" in attachment2[-1]


def test_page_numbers_read_page_x_of_y_by_default_and_none_on_the_cover(rendered_examples):
    pages = text_pages(rendered_examples["junshan-2023"])

    assert f"第2页共{len(pages)}页" in pages[1]
    assert f"第{len(pages)}页共{len(pages)}页" in pages[-1]
    assert "第1页" not in pages[0]


def test_gbt9704_page_numbers_print_dashes_around_the_number_from_page_two(tmp_path):
    path = tmp_path / "gbt9704.pdf"
    path.write_bytes(
        report_pdf(
            document=example("junshan-2023"),
            template=ScoringTemplate(),
            draft=False,
            page_numbers=pdf.PAGE_NUMBERS_GBT9704,
        )
    )

    pages = text_pages(path)

    assert pages[1].endswith("—2—")
    assert pages[-1].endswith(f"—{len(pages)}—")
    assert "—1—" not in pages[0]
    assert not any("页共" in page for page in pages)


def test_an_unknown_page_number_style_is_refused():
    with pytest.raises(ValueError):
        report_pdf(
            document=example("junshan-2023"),
            template=ScoringTemplate(),
            draft=False,
            page_numbers="roman",
        )


# --- draft watermark ---------------------------------------------------------------------


@pytest.mark.django_db
def test_draft_filing_pdf_carries_the_draft_watermark_and_an_approved_one_does_not(tmp_path):
    filing = import_example("junshan-2023")

    draft_text = pdf_text(filing_report_pdf(filing=filing), tmp_path, name="draft")
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.APPROVED)
    filing.refresh_from_db()
    final_text = pdf_text(filing_report_pdf(filing=filing), tmp_path, name="final")

    assert "草稿" in draft_text
    assert "草稿" not in final_text


@pytest.mark.django_db
def test_published_filing_pdf_has_no_draft_watermark(tmp_path):
    filing = import_example("beita-2023")
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.PUBLISHED)
    filing.refresh_from_db()

    assert "草稿" not in pdf_text(filing_report_pdf(filing=filing), tmp_path)


# --- blank forms -------------------------------------------------------------------------


def test_blank_forms_show_the_three_forms_with_headers_and_the_department(tmp_path):
    text = squeeze(pdf_text(blank_forms_pdf(department_name="某某区财政局", year=2024), tmp_path))

    for expected in (
        "附件1",
        "2024年度部门整体支出绩效评价基础数据表",
        "附件2",
        "2024年度部门整体支出绩效自评表",
        "附件3",
        "2024年度项目支出绩效自评表",
        "某某区财政局",
        "2023年决算数",
        "编制数",
        "楼堂馆所控制情况",
        "厉行节约保障措施",
        "年初预算数",
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "偏差原因分析及改进措施",
        "数量指标",
        "满意度指标",
        "总分",
        "填表人",
        "单位负责人签字",
    ):
        assert expected in text, expected


def test_blank_forms_carry_last_years_finals_items_indicators_and_projects(tmp_path):
    prior = example("junshan-2023")

    text = squeeze(
        pdf_text(
            blank_forms_pdf(department_name=prior.department.name, year=2024, prior_document=prior),
            tmp_path,
        )
    )

    assert "2023年决算数" in text
    assert "254.77" in text  # last year's 公用经费 本年决算数
    assert "1105.56" not in text  # nothing of last year's budget
    assert "区委办专项" in text
    for indicator in prior.indicators:
        assert squeeze(indicator.name) in text
    assert "20次" not in text  # last year's actuals are not copied


# --- security and robustness ---------------------------------------------------------------


def test_filing_text_cannot_make_the_renderer_fetch_anything(tmp_path, fetched_urls):
    document = example("junshan-2023")
    document.basic_data.project_items.append(ProjectItem(name="项目"))
    document.basic_data.buildings.append(Building(name="楼"))
    fill_text_fields(document, HOSTILE)

    data = report_pdf(document=document, template=ScoringTemplate(), draft=False)

    assert fetched_urls == [pdf.static_url(pdf.STYLESHEET)]
    text = squeeze(pdf_text(data, tmp_path))
    assert text.count(squeeze(HOSTILE)) > 50
    assert "file:///etc/passwd" in text


def test_very_long_unbroken_text_in_every_field_renders_inside_the_page(tmp_path, fetched_urls):
    # One row of each kind keeps the page count (and the time) down: every text
    # field of the document still holds the 5000 characters.
    document = example("junshan-2023")
    document.indicators = document.indicators[:1]
    document.projects[0].indicators = document.projects[0].indicators[:1]
    document.projects[0].funds.carryover = FundLine(initial_budget=Decimal("1"))
    document.basic_data.project_items = [ProjectItem(name="项目")]
    document.basic_data.buildings = [Building(name="楼")]
    document.indicators.append(Indicator(level1="效益指标", applicable=False))
    document.projects.append(Project())
    fill_text_fields(document, HOSTILE + UNBROKEN)

    data = report_pdf(document=document, template=ScoringTemplate(), draft=False)

    assert all(url.startswith(("perfeval-static:", "data:")) for url in fetched_urls)
    path = tmp_path / "long.pdf"
    path.write_bytes(data)
    text = squeeze(pdf_text(data, tmp_path, name="long-text"))
    assert UNBROKEN in text
    assert "file:///etc/passwd" in text
    for page in words_by_page(path):
        width = float(page.get("width"))
        for word in page.iter("{http://www.w3.org/1999/xhtml}word"):
            assert 0 <= float(word.get("xMin")) <= float(word.get("xMax")) <= width, word.text


def words_by_page(path):
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return ElementTree.fromstring(xml).iter("{http://www.w3.org/1999/xhtml}page")


def test_a_stylesheet_or_image_on_a_forbidden_url_is_left_out_and_logged(caplog):
    caplog.set_level(logging.ERROR, logger="weasyprint")
    html = (
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        '<img src="file:///etc/passwd"><p style="background: url(https://example.com/y.png)">x</p>'
    )

    HTML(string=html, base_url=pdf.BASE_URL, url_fetcher=SafeURLFetcher()).write_pdf()

    messages = " ".join(record.getMessage() for record in caplog.records)
    for url in ("http://127.0.0.1:9/x.css", "file:///etc/passwd", "https://example.com/y.png"):
        assert url in messages


# --- safe_url_fetcher ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.com/report.css",
        "ftp://example.com/x",
        "css/report.css",
        "/etc/passwd",
        "../perfeval/settings.py",
        "perfeval-static:../perfeval/settings.py",
        "perfeval-static:css/../../perfeval/settings.py",
        "perfeval-static:%2e%2e/perfeval/settings.py",
        "perfeval-static:/etc/passwd",
        "perfeval-static:css/missing.css",
        "perfeval-static:",
    ],
)
def test_safe_url_fetcher_refuses_anything_but_data_and_our_static_files(url):
    with pytest.raises(ValueError):
        safe_url_fetcher(url)


def test_safe_url_fetcher_reads_our_stylesheet_from_the_static_files():
    response = safe_url_fetcher(pdf.static_url("css/report.css"))

    assert b"@page" in response.read()
    assert response.content_type == "text/css"


def test_safe_url_fetcher_decodes_data_urls():
    response = safe_url_fetcher("data:text/plain;base64,5rWL6K+V")

    assert response.read().decode() == "测试"
    assert response.content_type == "text/plain"

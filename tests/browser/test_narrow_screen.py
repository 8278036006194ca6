"""Every part of a filing on a 390-pixel-wide phone screen, and the wide
indicator tables on a 1366 × 768 office screen.

On a phone the page itself never scrolls sideways (wide official tables scroll
inside their own .table-responsive box), the navigation opens from its toggler,
the save button can be pressed, and a value typed at that width is saved. At
1366 × 768 附件2 and a 附件3 project of 30 indicators need no sideways scroll
at all, and no 二级指标 is cut off.
"""

import json

import pytest
from playwright.sync_api import expect

from evaluations.services.interchange import document_from_bytes, filing_import
from tests.factories import officer_of
from tests.helpers import example_bytes, import_example

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 390, "height": 844}
OFFICE = {"width": 1366, "height": 768}
# Sub-pixel rounding may add a pixel; a real sideways scroll is far wider.
TOLERANCE = 1
EDITABLE_PARTS = ["profile", "funds", "basic", "scores", "report", "contact"]


def page_width(page):
    return page.evaluate("() => document.documentElement.scrollWidth")


def assert_fits(person, name):
    width = page_width(person.page)
    assert width <= PHONE["width"] + TOLERANCE, f"{name}: the page is {width}px wide"
    person.screenshot(f"narrow-{name}")


def assert_save_button_usable(page):
    button = page.get_by_role("button", name="保存草稿")
    expect(button).to_be_visible()
    button.click(trial=True)  # scrolled to, visible, enabled and not covered


def test_every_part_fits_a_390_pixel_screen_and_can_be_saved(open_browser):
    filing = import_example("junshan-2023")
    officer_of(filing.department, username="phone")
    project = filing.projects.get()
    phone = open_browser(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.page
    phone.log_in("phone")
    assert_fits(phone, "my-filings")

    # The menu folds behind its toggler and opens from it.
    menu = page.get_by_role("navigation", name="主导航")
    expect(menu.get_by_role("link", name="我的填报")).to_be_hidden()
    menu.get_by_role("button", name="展开导航").click()
    expect(menu.get_by_role("link", name="我的填报")).to_be_visible()

    phone.goto(f"/filings/{filing.pk}/overview/")
    assert_fits(phone, "part-overview")
    # 报送, or while errors block it the link to them that stands in its place.
    expect(page.locator("#workflow :is(button, a)").filter(has_text="报送").first).to_be_visible()
    phone.goto(f"/filings/{filing.pk}/projects/")
    assert_fits(phone, "part-projects")
    for part in EDITABLE_PARTS:
        phone.goto(f"/filings/{filing.pk}/{part}/")
        assert_fits(phone, f"part-{part}")
        assert_save_button_usable(page)
    phone.goto(f"/filings/{filing.pk}/projects/{project.pk}/")
    assert_fits(phone, "part-project-table")
    assert_save_button_usable(page)
    phone.goto(f"/filings/{filing.pk}/history/")
    assert_fits(phone, "history")

    # Save at this width: a cell deep in the wide 附件2 table, and 填报信息.
    phone.goto(f"/filings/{filing.pk}/scores/")
    page.get_by_label("第8行 偏差原因分析及改进措施", exact=True).fill("招商项目落地晚于计划。")
    phone.save()
    assert_fits(phone, "part-scores-saved")
    phone.goto(f"/filings/{filing.pk}/contact/")
    page.get_by_label("联系电话").fill("0730-7654321")
    phone.save()
    expect(page.get_by_label("联系电话")).to_have_value("0730-7654321")
    filing.refresh_from_db()
    assert filing.phone == "0730-7654321"
    deviations = filing.indicators.filter(project=None).order_by("position")
    assert deviations[7].deviation == "招商项目落地晚于计划。"


# Every box that could scroll sideways, and how far it would.
SIDEWAYS_JS = """() => [
  ["页面", document.documentElement.scrollWidth, document.documentElement.clientWidth],
  ...[...document.querySelectorAll(".table-responsive")].map((box) => [
    "表格 " + box.querySelector("caption, th").textContent.trim(),
    box.scrollWidth,
    box.clientWidth,
  ]),
]"""
# An input cannot wrap: a name longer than its box is cut off.
CUT_LEVEL2_JS = """() => [...document.querySelectorAll("#indicators input[name$='-level2']")]
  .filter((input) => input.value && input.scrollWidth > input.clientWidth + 1)
  .map((input) => input.value)"""
# The text lines a header's words fill.
HEADER_LINES_JS = """(cell) => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
}"""


def assert_no_sideways_scroll(page, name):
    boxes = page.evaluate(SIDEWAYS_JS)
    assert len(boxes) > 1, f"{name}: no table found"
    wide = [box for box in boxes if box[1] > box[2] + TOLERANCE]
    assert wide == [], f"{name}: scrolls sideways (box, scrollWidth, clientWidth): {wide}"
    assert page.evaluate(CUT_LEVEL2_JS) == [], f"{name}: 二级指标 cut off"


def project_of_30_indicators():
    """君山's filing whose one project has 30 indicator rows, the longest
    二级指标 names among them."""
    data = json.loads(example_bytes("junshan-2023"))
    rows = data["projects"][0]["indicators"]
    names = ["服务对象满意度指标", "可持续影响指标", "社会效益指标", "经济效益指标", "数量指标"]
    data["projects"][0]["indicators"] = [
        {**rows[index % len(rows)], "level2": names[index % len(names)], "name": f"指标{index + 1}"}
        for index in range(30)
    ]
    return filing_import(document=document_from_bytes(json.dumps(data).encode()))


def test_indicator_tables_fit_a_1366_pixel_screen(open_browser):
    filing = project_of_30_indicators()
    officer_of(filing.department, username="office")
    project = filing.projects.get()
    assert project.indicators.count() == 30
    officer = open_browser(viewport=OFFICE)
    page = officer.page
    officer.log_in("office")

    officer.goto(f"/filings/{filing.pk}/scores/")
    assert_no_sideways_scroll(page, "附件2")
    officer.screenshot("office-part-scores")
    # A repeated 一级指标 is an ordinary value, as legible as the first one.
    first = page.locator("#indicators-0 input[name$='-level1']")
    repeated = page.locator("#indicators-1 input[name$='-level1']")
    assert page.locator("#indicators-1 td.continued").count() >= 1
    colour = "(element) => getComputedStyle(element).color"
    assert repeated.evaluate(colour) == first.evaluate(colour)

    officer.goto(f"/filings/{filing.pk}/projects/{project.pk}/")
    expect(page.get_by_label("第30行 三级指标", exact=True)).to_have_value("指标30")
    assert_no_sideways_scroll(page, "附件3")
    officer.screenshot("office-project-30-indicators")

    # The row a finding links to stands out from its neighbours.
    officer.goto(f"/filings/{filing.pk}/scores/#indicators-3")
    background = "(cell) => getComputedStyle(cell).backgroundColor"
    target = page.locator("#indicators-3 > td").nth(2).evaluate(background)
    assert target != page.locator("#indicators-4 > td").nth(2).evaluate(background)


def test_the_annual_funds_header_of_the_scores_table_stays_on_one_line_on_a_phone(open_browser):
    filing = import_example("junshan-2023")
    officer_of(filing.department, username="phone")
    phone = open_browser(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.log_in("phone")
    phone.goto(f"/filings/{filing.pk}/scores/")
    header = phone.page.get_by_role("rowheader", name="年度资金总额")
    assert header.evaluate(HEADER_LINES_JS) == 1
    assert_fits(phone, "part-scores-funds-header")

"""An officer who cannot use a mouse fills a table with the keyboard alone.

Tab reaches the first cell from the top of the page, moves through the cells in
the order of the paper form, and ends on 保存草稿; Enter saves. Wherever Tab
lands, the field is in full view: never under the sticky save bar (WCAG 2.4.11),
at 100 % and at 200 % zoom.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from evaluations.models import Funds
from tests.factories import blank_filing, officer_of
from tests.helpers import import_example

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# 年度资金 in reading order: the total row, then the two columns side by side
# (按收入性质分 | 按支出性质分), row by row as on paper.
FUNDS_BY_KEYBOARD = [
    ("initial_budget", "800"),
    ("full_year_budget", "1000"),
    ("executed", "960.5"),
    ("weight", "10"),
    ("general_budget", "900"),
    ("basic", "850"),
    ("government_fund", "100"),
    ("project", "110.5"),
    ("special_account", "0"),
    ("personnel", "600"),
    ("other", "0"),
    ("public", "250"),
]
MOST_TABS_TO_THE_TABLE = 60


def focused_id(page):
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def test_the_funds_table_is_filled_and_saved_with_the_keyboard_only(open_browser):
    filing = blank_filing()
    officer_of(filing.department, username="keyboard")
    officer = open_browser()
    page = officer.page
    officer.log_in("keyboard")
    officer.goto(f"/filings/{filing.pk}/funds/")

    # From the top of the page, Tab until the first cell of the table.
    first = f"id_funds-{FUNDS_BY_KEYBOARD[0][0]}"
    for _ in range(MOST_TABS_TO_THE_TABLE):
        page.keyboard.press("Tab")
        if focused_id(page) == first:
            break
    else:
        pytest.fail(f"{MOST_TABS_TO_THE_TABLE} presses of Tab never reached {first}")

    for index, (field, value) in enumerate(FUNDS_BY_KEYBOARD):
        assert focused_id(page) == f"id_funds-{field}", f"Tab #{index} landed elsewhere"
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="保存草稿")).to_be_focused()
    expect(officer.figure("execution_rate")).to_have_text("96.05%")  # previewed, not saved
    with page.expect_navigation():
        page.keyboard.press("Enter")
    officer.check_page()

    expect(page.get_by_role("alert").filter(has_text="已保存（草稿）。")).to_be_visible()
    expect(officer.figure("execution_rate")).to_have_text("96.05%")
    expect(officer.figure("execution_score")).to_have_text("9.61")
    funds = Funds.objects.get(filing=filing)
    for field, value in FUNDS_BY_KEYBOARD:
        assert getattr(funds, field) == Decimal(value), field
        expect(page.locator(f"#id_funds-{field}")).to_have_value(f"{Decimal(value):.2f}")
    officer.screenshot("keyboard-funds")


def test_an_indicator_row_is_added_and_filled_with_the_keyboard_only(open_browser):
    filing = blank_filing()
    # A template that allows 不适用, so that its box is in the row's Tab order too.
    filing.scoring_template.allow_normalization = True
    filing.scoring_template.save()
    officer_of(filing.department, username="keyboard")
    officer = open_browser()
    page = officer.page
    officer.log_in("keyboard")
    officer.goto(f"/filings/{filing.pk}/scores/")
    blank_rows = page.locator("tbody[data-formset=indicators] tr").count()

    add = page.get_by_role("button", name="＋ 增加指标行")
    add.focus()
    page.keyboard.press("Enter")
    new_row = page.locator(f"#indicators-{blank_rows}")
    expect(new_row.get_by_label("新增行 一级指标")).to_be_focused()  # the script moves focus there
    for value in ("产出指标", "数量指标", "督促检查", "≥60次", "70次", "30", "30"):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    expect(new_row.get_by_label("新增行 偏差原因分析及改进措施")).to_be_focused()
    page.keyboard.press("Tab")
    expect(new_row.get_by_label("新增行 不适用")).to_be_focused()
    page.keyboard.press("Tab")  # leave 不适用 unticked
    expect(new_row.get_by_label("新增行 顺序")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the form, like any text field
    officer.check_page()

    expect(page.get_by_role("alert").filter(has_text="已保存（草稿）。")).to_be_visible()
    saved = filing.indicators.get()
    assert (saved.name, saved.weight, saved.score) == ("督促检查", Decimal("30"), Decimal("30"))
    expect(page.get_by_label("第1行 三级指标", exact=True)).to_have_value("督促检查")


# 1366 × 768 at 100 % and at 200 % zoom: the page is laid out for half the CSS
# pixels, each drawn as two device pixels.
SCREENS = {
    "100%": {"viewport": {"width": 1366, "height": 768}},
    "200%": {"viewport": {"width": 683, "height": 384}, "device_scale_factor": 2},
}
MOST_FIELDS = 1000
# Resolves once nothing has scrolled for three frames: Bootstrap makes the page
# scroll smoothly, so a field reached by Tab comes into view over a few frames.
SCROLL_SETTLED_JS = """() => new Promise((resolve) => {
  const boxes = [document.scrollingElement, ...document.querySelectorAll(".table-responsive")];
  let last = "", still = 0;
  const tick = () => {
    const now = boxes.map((box) => box.scrollLeft + "," + box.scrollTop).join(";");
    still = now === last ? still + 1 : 0;
    last = now;
    if (still >= 3) { resolve(); } else { requestAnimationFrame(tick); }
  };
  requestAnimationFrame(tick);
})"""
# What keeps the focused element from being seen whole: the edges of the window,
# a scroll box it lies in, or the save bar lying over it.
FOCUS_HIDDEN_JS = """() => {
  const field = document.activeElement;
  const box = field.getBoundingClientRect();
  const name = field.labels && field.labels.length ? field.labels[0].textContent.trim()
    : field.getAttribute("aria-label") || field.textContent.trim();
  const problems = [];
  const slack = 0.5;
  if (box.top < -slack || box.left < -slack || box.bottom > innerHeight + slack
      || box.right > innerWidth + slack) {
    problems.push("outside the window");
  }
  for (let parent = field.parentElement; parent; parent = parent.parentElement) {
    const style = getComputedStyle(parent);
    if (style.overflowX === "visible" && style.overflowY === "visible") { continue; }
    const clip = parent.getBoundingClientRect();
    if (box.left < clip.left - slack || box.right > clip.left + parent.clientWidth + slack
        || box.top < clip.top - slack || box.bottom > clip.top + parent.clientHeight + slack) {
      problems.push("cut off by its scroll box");
    }
  }
  const bar = document.querySelector(".save-bar").getBoundingClientRect();
  if (!field.closest(".save-bar") && box.bottom > bar.top && box.top < bar.bottom
      && box.right > bar.left && box.left < bar.right) {
    problems.push("under the save bar");
  }
  return {name, problems};
}"""


@pytest.mark.parametrize("zoom", SCREENS)
def test_tab_never_hides_a_field_of_the_scores_table_under_the_save_bar(open_browser, zoom):
    filing = import_example("junshan-2023")
    assert filing.indicators.filter(project=None).count() >= 10
    officer_of(filing.department, username="keyboard")
    officer = open_browser(**SCREENS[zoom])
    page = officer.page
    officer.log_in("keyboard")
    officer.goto(f"/filings/{filing.pk}/scores/")

    page.locator("#part-form").get_by_role("textbox").first.focus()
    hidden, seen = [], 0
    for _ in range(MOST_FIELDS):
        page.evaluate(SCROLL_SETTLED_JS)
        focus = page.evaluate(FOCUS_HIDDEN_JS)
        seen += 1
        if focus["problems"]:
            hidden.append(focus)
        if focus["name"] == "保存草稿":
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail(f"{MOST_FIELDS} presses of Tab never reached 保存草稿")
    # Every cell of 12 indicator rows at least, each hidden one named.
    assert seen > 12 * 8
    assert hidden == []

"""Every part of a filing on a 390-pixel-wide phone screen.

The page itself never scrolls sideways (wide official tables scroll inside
their own .table-responsive box), the navigation opens from its toggler, the
save button can be pressed, and a value typed at that width is saved.
"""

import pytest
from playwright.sync_api import expect

from tests.factories import officer_of
from tests.helpers import import_example

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 390, "height": 844}
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
    expect(page.locator("#workflow").get_by_role("button", name="报送")).to_be_visible()
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

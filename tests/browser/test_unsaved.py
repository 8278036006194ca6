"""Nothing typed is lost: leaving a filing page with changes not yet saved asks
first (js/unsaved.js), and saving the page does not.

`Person` accepts every dialog by itself; these tests work in a second tab of
the same browser context (same login), whose dialogs they record and answer
themselves.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from evaluations.models import Report
from tests.factories import blank_filing, officer_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

QUESTION = "本页有未保存的修改，确定离开吗？"
TEXT = "本年度预算执行总体良好，资金使用规范。"
SECTION = "（一）预算执行、使用、管理总体情况"


class Dialogs:
    """Every dialog a page opens, answered with `answer` (True accepts)."""

    def __init__(self, page):
        self.seen = []
        self.answer = True
        page.on("dialog", self.handle)

    def handle(self, dialog):
        self.seen.append((dialog.type, dialog.message))
        if self.answer:
            dialog.accept()
        else:
            dialog.dismiss()


def officer_tab(open_browser, username):
    """A signed-in officer's own tab, without Person's accept-everything handler."""
    officer = open_browser()
    officer.log_in(username)
    first = officer.page
    officer.page = officer.context.new_page()
    officer.page.on("pageerror", lambda error: officer.script_errors.append(str(error)))
    first.close()
    return officer, Dialogs(officer.page)


def path_of(page):
    return urlsplit(page.url).path


def type_into_report(officer, filing):
    officer.goto(f"/filings/{filing.pk}/report/")
    field = officer.page.get_by_label(SECTION, exact=True)
    field.click()  # a real click and keystrokes, as the browser asks only after a gesture
    officer.page.keyboard.type(TEXT)
    return field


def test_leaving_by_a_tab_asks_and_dismissing_keeps_the_text(open_browser):
    filing = blank_filing()
    officer_of(filing.department, username="unsaved")
    officer, dialogs = officer_tab(open_browser, "unsaved")
    page = officer.page
    field = type_into_report(officer, filing)
    tab = page.get_by_role("navigation", name="填报各部分").get_by_role(
        "link", name="附件2 自评表", exact=True
    )

    dialogs.answer = False
    tab.click()
    assert dialogs.seen == [("confirm", QUESTION)]
    assert path_of(page) == f"/filings/{filing.pk}/report/"
    expect(field).to_have_value(TEXT)

    dialogs.answer = True
    with page.expect_navigation():
        tab.click()
    officer.check_page()
    # Asked once more, and the beforeunload guard did not ask a second time.
    assert dialogs.seen == [("confirm", QUESTION), ("confirm", QUESTION)]
    assert path_of(page) == f"/filings/{filing.pk}/scores/"
    assert Report.objects.get(filing=filing).budget_overview == ""


def test_closing_the_window_with_unsaved_text_asks_first(open_browser):
    filing = blank_filing()
    officer_of(filing.department, username="closer")
    officer, dialogs = officer_tab(open_browser, "closer")
    page = officer.page
    field = type_into_report(officer, filing)

    dialogs.answer = False
    page.close(run_before_unload=True)
    expect(field).to_have_value(TEXT)  # still open: the officer chose to stay
    assert dialogs.seen == [("beforeunload", "")]
    assert not page.is_closed()

    dialogs.answer = True
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    assert [kind for kind, _ in dialogs.seen] == ["beforeunload", "beforeunload"]


def test_saving_the_page_does_not_ask(open_browser):
    filing = blank_filing()
    officer_of(filing.department, username="saver")
    officer, dialogs = officer_tab(open_browser, "saver")
    page = officer.page
    type_into_report(officer, filing)

    officer.save()
    assert dialogs.seen == []
    assert Report.objects.get(filing=filing).budget_overview == TEXT

    # Saved: nothing is left to lose, so a tab leaves without asking.
    officer.open_part("附件2 自评表")
    assert dialogs.seen == []
    assert path_of(page) == f"/filings/{filing.pk}/scores/"


def test_a_page_without_changes_leaves_without_asking(open_browser):
    filing = blank_filing()
    officer_of(filing.department, username="reader")
    officer, dialogs = officer_tab(open_browser, "reader")
    officer.goto(f"/filings/{filing.pk}/report/")
    field = officer.page.get_by_label(SECTION, exact=True)
    field.click()
    officer.page.keyboard.type("临时")
    for _ in "临时":
        officer.page.keyboard.press("Backspace")  # typed, then taken back
    officer.open_part("年度资金")
    assert dialogs.seen == []

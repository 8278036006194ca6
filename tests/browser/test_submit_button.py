"""报送 explains before it confirms: with blocking errors the button is a link
to the list of them; without, it asks for confirmation and submits."""

import re

import pytest
from playwright.sync_api import expect

from evaluations.services.workflow import filing_blocking_errors
from tests.factories import officer_of
from tests.helpers import import_example, make_submittable

pytestmark = pytest.mark.browser


def test_the_submit_button_counts_the_errors_and_leads_to_them(open_browser):
    filing = import_example("junshan-2023")  # deviation reasons missing
    officer_of(filing.department, username="tangweihong")
    errors = len(filing_blocking_errors(filing=filing))
    officer = open_browser()
    page = officer.page
    officer.log_in("tangweihong")
    officer.goto(f"/filings/{filing.pk}/funds/")
    workflow = page.locator("#workflow")
    expect(workflow.get_by_role("button", name="报送")).to_have_count(0)
    blocked = workflow.get_by_role("link", name=f"有 {errors} 个错误，暂不能报送")
    blocked.click()
    expect(page).to_have_url(re.compile(r"#findings$"))
    expect(page.locator("#findings")).to_be_in_viewport()
    officer.screenshot("submit-blocked")

    make_submittable(filing)
    officer.goto(f"/filings/{filing.pk}/overview/")
    questions = []
    page.on("dialog", lambda dialog: questions.append(dialog.message))
    officer.submit(workflow.get_by_role("button", name="报送"))
    assert questions == ["报送后将不能再修改，确定报送吗？"]
    expect(page.get_by_title("状态")).to_have_text("已报送")

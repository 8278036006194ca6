"""年度资金 in a real browser: amounts typed as people type them, and beside
each total the sum of the splits that must equal it, kept up to date as the
officer types (js/funds.js)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from evaluations.models import Funds
from tests.factories import blank_filing, officer_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_the_sums_beside_the_totals_follow_what_is_typed_and_are_saved(open_browser):
    filing = blank_filing()
    officer_of(filing.department, username="sums")
    officer = open_browser()
    page = officer.page
    officer.log_in("sums")
    officer.goto(f"/filings/{filing.pk}/funds/")
    by_source = page.locator('[data-sum-total="by_source"]')
    by_nature = page.locator('[data-sum-total="by_nature"]')
    expect(by_source).to_be_hidden()  # nothing typed in the splits yet

    def type_in(field, value):
        page.locator(f"#id_funds-{field}").fill(value)

    type_in("full_year_budget", "1,000.00")
    type_in("general_budget", "９００")  # full-width digits
    type_in("government_fund", "80万元")
    expect(by_source).to_have_text("按收入性质分合计 980.00，比全年预算数少 20.00")
    type_in("other", "20")
    expect(by_source).to_have_text("按收入性质分合计 1000.00，与全年预算数一致")

    type_in("basic", "850")
    expect(by_nature).to_have_text("按支出性质分合计 850.00（全年执行数未填）")
    type_in("executed", "９６０．５")
    type_in("project", "110.5元")  # yuan, not 万元: no sum until corrected
    expect(by_nature).to_have_text("按支出性质分中有无法识别的金额，暂不能合计")
    type_in("project", " 110.5 ")
    expect(by_nature).to_have_text("按支出性质分合计 960.50，与全年执行数一致")
    type_in("project", "1,110.5")
    expect(by_nature).to_have_text("按支出性质分合计 1960.50，比全年执行数多 1000.00")
    type_in("project", "110.5")

    officer.save()
    funds = Funds.objects.get(filing=filing)
    assert (funds.full_year_budget, funds.general_budget, funds.government_fund) == (
        Decimal("1000.00"),
        Decimal("900.00"),
        Decimal("80.00"),
    )
    assert (funds.executed, funds.basic, funds.project) == (
        Decimal("960.50"),
        Decimal("850.00"),
        Decimal("110.50"),
    )
    # Shown again from what was saved, the sums agree at once.
    expect(by_source).to_have_text("按收入性质分合计 1000.00，与全年预算数一致")
    expect(by_nature).to_have_text("按支出性质分合计 960.50，与全年执行数一致")


def test_a_refused_amount_names_the_form_expected_and_keeps_what_was_typed(open_browser):
    filing = blank_filing()
    officer_of(filing.department, username="typo")
    officer = open_browser()
    page = officer.page
    officer.log_in("typo")
    officer.goto(f"/filings/{filing.pk}/funds/")
    page.locator("#id_funds-full_year_budget").fill("一千")
    officer.submit(page.get_by_role("button", name="保存草稿"))
    expect(page.locator("#id_funds-full_year_budget-error")).to_have_text(
        "请输入金额（万元），如 1380.50。"
    )
    expect(page.locator("#id_funds-full_year_budget")).to_have_value("一千")
    assert Funds.objects.get(filing=filing).full_year_budget is None

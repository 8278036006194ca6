"""The “＋ 增加指标行” button stops at the table's limit (MAX_NUM_FORMS of the
formset, evaluations/services/limits.py) and says why, rather than letting an
officer type rows the server would refuse."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from evaluations.core.limits import MAX_INDICATOR_ROWS
from evaluations.models import Indicator
from evaluations.services.summary import filing_summary_refresh
from tests.factories import blank_filing, officer_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

LIMIT_NOTE = f"此表最多 {MAX_INDICATOR_ROWS} 行，不能再增加"


def test_the_add_row_button_stops_at_the_table_limit(open_browser):
    filing = blank_filing()
    saved = MAX_INDICATOR_ROWS - 3
    Indicator.objects.bulk_create(
        Indicator(
            filing=filing,
            position=position,
            level1="产出指标",
            level2="数量指标",
            name=f"任务{position + 1}",
            target="≥1次",
            actual="1次",
            weight=Decimal("1.00"),
            score=Decimal("1.00"),
        )
        for position in range(saved)
    )
    filing_summary_refresh(filing=filing)
    officer_of(filing.department, username="rowlimit")
    officer = open_browser()
    page = officer.page
    officer.log_in("rowlimit")
    officer.goto(f"/filings/{filing.pk}/scores/")
    rows = page.locator("tbody[data-formset=indicators] tr.formset-row")
    add = page.get_by_role("button", name="＋ 增加指标行")
    # The saved rows and two blank ones: one row short of the limit.
    expect(rows).to_have_count(MAX_INDICATOR_ROWS - 1)
    expect(add).to_be_enabled()

    add.click()

    expect(rows).to_have_count(MAX_INDICATOR_ROWS)
    expect(add).to_be_disabled()
    expect(page.get_by_role("status").filter(has_text=LIMIT_NOTE)).to_be_visible()
    new_row = page.locator(f"#indicators-{MAX_INDICATOR_ROWS - 1}")
    new_row.get_by_label("新增行 一级指标").fill("产出指标")
    new_row.get_by_label("新增行 三级指标").fill("最后一行")
    officer.save()
    assert filing.indicators.count() == saved + 1
    # Back from the save: saved rows and blank ones fill the table already.
    expect(add).to_be_disabled()
    expect(page.get_by_role("status").filter(has_text=LIMIT_NOTE)).to_be_visible()

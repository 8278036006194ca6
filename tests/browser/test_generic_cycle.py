"""A Hubei and a Hebei filing (generic-layout form templates) through their
whole life in a real browser: the officer changes cells, marks a Hebei item
不适用 and watches 换算得分 move before saving, saves and submits; the reviewer
returns it, the officer fixes it and resubmits; the reviewer enters 评定分数
and approves; the worker renders the frozen PDF; the reviewer publishes and
anyone downloads that PDF. The Excel export downloads, and axe finds nothing
on the page.
"""

import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from departments.models import Jurisdiction
from evaluations.form_templates import shipped_template_bytes
from evaluations.models import Filing, FilingRow
from evaluations.services.form_templates import form_template_assign, form_template_install
from evaluations.services.interchange import document_from_bytes, filing_import
from tests.browser.test_accessibility import AXE, assert_accessible
from tests.factories import FiscalYearFactory, officer_of, reviewer_of
from tests.helpers import run_the_worker_until_the_queue_is_empty

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

DEMO = Path(settings.BASE_DIR) / "evaluations" / "fixtures" / "demo"
HUBEI = ("zengdu-2023", "hubei-suizhou-overall@2023", "随州市曾都区")
HEBEI = ("hebei-demo-2023", "hebei-baoding-assessment@2023", "保定市示例县")
REASON = "请补充“三保”支出保障的佐证材料，并核实自评分数。"


@pytest.fixture
def tasks_in_the_database_queue(settings):
    """What scripts/run runs: approval only queues the render; a worker renders."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def generic_filing(example):
    name, identity, jurisdiction_name = example
    form_template = form_template_install(data=shipped_template_bytes(identity), actor=None)
    jurisdiction, _ = Jurisdiction.objects.get_or_create(name=jurisdiction_name)
    form_template_assign(
        jurisdiction=jurisdiction,
        fiscal_year=FiscalYearFactory(year=2023),
        form_template=form_template,
    )
    return filing_import(document=document_from_bytes((DEMO / f"{name}.json").read_bytes()))


def downloaded(person, name):
    with person.page.expect_download() as download:
        person.page.get_by_role("link", name=name, exact=True).click()
    return Path(download.value.path()).read_bytes()


def public_pdf(visitor, department):
    """The bytes of the published PDF as Chromium received them."""
    visitor.goto("/gongkai/")
    row = visitor.page.locator("tr", has_text=department)
    received = []

    def keep_the_file(route):
        response = route.fetch()
        received.append((response.status, response.headers["content-type"], response.body()))
        route.fulfill(response=response)

    visitor.page.route(re.compile(r"/gongkai/\d+/report\.pdf$"), keep_the_file)
    with visitor.page.expect_navigation(url=re.compile(r"/gongkai/\d+/report\.pdf$")):
        row.get_by_role("link", name="下载 PDF").click()
    [(status, content_type, pdf)] = received
    assert (status, content_type) == (200, "application/pdf")
    return pdf


def review_and_publish(reviewer, filing, *, review_cell, review_score):
    """Approve after entering one 评定分数; the worker renders; publish."""
    page = reviewer.page
    reviewer.goto(f"/filings/{filing.pk}/overview/")
    page.get_by_label(review_cell, exact=True).fill(review_score)
    reviewer.submit(page.get_by_role("button", name="保存评定分数"))
    expect(page.get_by_role("alert").filter(has_text="已保存评定分数。")).to_be_visible()
    reviewer.submit(page.locator("#workflow").get_by_role("button", name="审核通过"))
    expect(page.get_by_title("状态")).to_have_text("已审核")
    page.route("**/*", lambda route: route.continue_())
    run_the_worker_until_the_queue_is_empty(worker_id="generic-browser-test")
    filing.refresh_from_db()
    assert filing.report_sha256
    publish = page.locator("#transition-publish").get_by_role("button", name="公开")
    expect(publish).to_be_enabled(timeout=15_000)
    reviewer.submit(publish)
    expect(page.get_by_title("状态")).to_have_text("已公开")


def return_and_fix(officer, reviewer, filing, fix):
    """The reviewer returns the filing; the officer reads why, fixes, resubmits."""
    review = reviewer.page
    reviewer.goto(f"/filings/{filing.pk}/overview/")
    review.locator("#workflow summary", has_text="退回").click()
    review.get_by_label(re.compile("^退回原因")).fill(REASON)
    reviewer.submit(review.get_by_role("button", name="确认退回"))
    expect(review.get_by_title("状态")).to_have_text("已退回")
    officer.goto(f"/filings/{filing.pk}/overview/")
    expect(officer.page.locator("#return-reason")).to_contain_text(REASON)
    fix()
    officer.save()
    officer.submit(officer.page.locator("#workflow").get_by_role("button", name="重新报送"))
    expect(officer.page.get_by_title("状态")).to_have_text("已报送")


def test_a_hebei_filing_goes_from_draft_to_the_public_pdf(
    open_browser, tasks_in_the_database_queue
):
    filing = generic_filing(HEBEI)
    officer_of(filing.department, username="hebei-officer")
    reviewer_of(filing.department.jurisdiction, username="hebei-reviewer")

    officer = open_browser(bypass_csp=True)
    page = officer.page
    officer.log_in("hebei-officer")
    officer.goto(f"/filings/{filing.pk}/overview/")
    assert_accessible(officer, "generic-hebei", AXE)
    maximum = Decimal(officer.figure("applicable_maximum").inner_text())
    normalized = officer.figure("normalized_score").inner_text()

    # 不适用 with a reason: the item leaves 适用分值合计 and 换算得分 moves, unsaved.
    page.get_by_label("政府采购管理 不适用", exact=True).check()
    page.get_by_label("政府采购管理 不适用原因").fill("本年度无政府采购事项。")
    officer.wait_for_preview()
    expect(officer.figure("applicable_maximum")).to_have_text(f"{maximum - 3:.2f}")
    expect(officer.figure("normalized_score")).not_to_have_text(normalized)
    expect(page.locator("[data-preview-note]")).to_contain_text("尚未保存")
    page.get_by_label("落实过紧日子要求 自评分数").fill("3.5")
    page.get_by_label("落实过紧日子要求 佐证材料").fill("一般性支出压减台账")
    officer.wait_for_preview()
    officer.save()
    expect(officer.figure("applicable_maximum")).to_have_text(f"{maximum - 3:.2f}")
    row = FilingRow.objects.get(filing=filing, row="procurement")
    assert row.not_applicable and row.reason == "本年度无政府采购事项。"

    workbook = downloaded(officer, "下载 Excel")
    assert workbook.startswith(b"PK")
    expect(officer.figure("errors")).to_have_text("0")
    officer.submit(page.locator("#workflow").get_by_role("button", name="报送"))
    expect(page.get_by_title("状态")).to_have_text("已报送")
    expect(page.get_by_role("button", name="保存草稿")).to_have_count(0)

    reviewer = open_browser()
    reviewer.log_in("hebei-reviewer")

    def fix():
        page.get_by_label("“三保”支出保障 佐证材料").fill("2023年工资、运转支出保障台账及拨付凭证")

    return_and_fix(officer, reviewer, filing, fix)
    review_and_publish(reviewer, filing, review_cell="“三保”支出保障 评定分数", review_score="2.5")
    assert FilingRow.objects.get(filing=filing, row="three_guarantees").review_score == Decimal(
        "2.50"
    )
    visitor = open_browser()
    pdf = public_pdf(visitor, filing.department.name)
    filing.refresh_from_db()
    assert filing.status == Filing.Status.PUBLISHED
    assert hashlib.sha256(pdf).hexdigest() == filing.report_sha256


def test_a_hubei_filing_goes_from_draft_to_the_public_pdf(
    open_browser, tasks_in_the_database_queue
):
    filing = generic_filing(HUBEI)
    officer_of(filing.department, username="hubei-officer")
    reviewer_of(filing.department.jurisdiction, username="hubei-reviewer")

    officer = open_browser(bypass_csp=True)
    page = officer.page
    officer.log_in("hubei-officer")
    officer.goto(f"/filings/{filing.pk}/overview/")
    assert_accessible(officer, "generic-hubei", AXE)
    expect(page.locator("#summary")).to_contain_text("单位自评填报，未按行计分")

    # Change a cell, add a free row under 核心业务产出, fill the contact lines.
    page.get_by_label("公用经费控制率 实际完成值（B）").fill("98%")
    page.get_by_role("button", name="＋ 增加“核心业务产出”行").click()
    added = page.locator('tbody[data-formset="f-core_output"] tr').last
    added.get_by_label(re.compile("三级指标$")).fill("企业改制遗留问题处理")
    added.get_by_label(re.compile("指标分类$")).select_option("绩效基本型")
    added.get_by_label(re.compile("实际完成值（B）$")).fill("全部完成")
    for label, value in (
        ("填表人", "王填报"),
        ("联系电话", "0722-1234567"),
        ("单位负责人", "李负责"),
    ):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("单位自评得分", exact=True).fill("96")
    officer.wait_for_preview()
    # The one error left links to its cell: 实际完成值 of a row the demo left blank.
    finding = page.locator("#findings a", has_text="行政管理体制改革成效")
    expect(finding).to_have_attribute("href", re.compile("#id_r-admin_reform-c_actual$"))
    finding.click()
    expect(page).to_have_url(re.compile("#id_r-admin_reform-c_actual$"))
    page.get_by_label("行政管理体制改革成效 实际完成值（B）").fill("机构职能进一步理顺")
    officer.wait_for_preview()
    expect(officer.figure("errors")).to_have_text("0")
    expect(officer.figure("normalized_score")).to_have_text("96.00")
    officer.save()
    labels = [
        row.cells.get("label")
        for row in FilingRow.objects.filter(filing=filing, group="core_output")
    ]
    assert "企业改制遗留问题处理" in labels

    workbook = downloaded(officer, "下载 Excel")
    assert workbook.startswith(b"PK")
    expect(officer.figure("errors")).to_have_text("0")
    officer.submit(page.locator("#workflow").get_by_role("button", name="报送"))
    expect(page.get_by_title("状态")).to_have_text("已报送")

    reviewer = open_browser()
    reviewer.log_in("hubei-reviewer")

    def fix():
        page.get_by_label("公用经费控制率 实际完成值（B）").fill("100%")

    return_and_fix(officer, reviewer, filing, fix)
    review_and_publish(reviewer, filing, review_cell="公用经费控制率 评定分数", review_score="5")
    visitor = open_browser()
    pdf = public_pdf(visitor, filing.department.name)
    filing.refresh_from_db()
    assert hashlib.sha256(pdf).hexdigest() == filing.report_sha256

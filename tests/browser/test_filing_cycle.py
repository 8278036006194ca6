"""The whole life of a filing in a real browser, from a blank page to the public PDF.

An officer logs in with a password, fills every part of a new filing (adding
and removing indicator rows, project expenditure items and a project table),
watches the score change as they type and save, and submits. A reviewer
returns it with a reason; the officer fixes it and resubmits; the reviewer
sees exactly what changed, approves and publishes; a visitor without an
account downloads the frozen PDF from 信息公开.
"""

import hashlib
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from evaluations.models import Filing
from tests.factories import DepartmentFactory, FiscalYearFactory, officer_of, reviewer_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),  # live_server sees only committed rows
]

DEPARTMENT = "测试县人民政府办公室"
# 附件1 rows: 上年决算数, 本年预算数, 本年决算数 (万元); each total equals its parts.
BASIC_ROWS = {
    "三公经费": ("6.00", "5.00", "4.00"),
    "1、公务用车购置和维护经费": ("2.00", "2.00", "1.50"),
    "其中：公车购置": ("0", "0", "0"),
    "公车运行维护": ("2.00", "2.00", "1.50"),
    "2、出国经费": ("0", "0", "0"),
    "3、公务接待": ("4.00", "3.00", "2.50"),
    "项目支出": ("140.00", "150.00", "150.00"),
    "公用经费": ("260.00", "250.00", "250.00"),
    "其中：办公费": ("40.00", "38.00", "38.00"),
    "水费、电费、差旅费": ("3.00", "2.60", "2.60"),
    "会议费、培训费": ("20.00", "7.00", "7.00"),
    "政府采购金额": ("90.00", "99.00", "99.00"),
    "部门基本支出预算调整": ("", "-12.50", "-12.50"),
}
COLUMNS = ("上年决算数", "本年预算数", "本年决算数")
# 一级, 二级, 三级指标, 年度指标值, 实际完成值, 分值, 得分
INDICATORS = [
    ("产出指标", "数量指标", "督促检查", "≥60次", "70次", "30", "30"),
    ("产出指标", "质量指标", "稿件合格率", "≥98%", "100%", "20", "20"),
    ("效益指标", "社会效益指标", "服务经济社会发展", "效果明显", "达成年度指标", "30", "30"),
    ("满意度指标", "服务对象满意度指标", "社会公众满意度", "≥95%", "98%", "10", "10"),
]
SURPLUS_INDICATOR = ("产出指标", "数量指标", "多余的一行", "1次", "1次", "5", "5")
PROJECT_INDICATORS = [
    ("产出指标", "数量指标", "开展专项督查", "≥12次", "12次", "40", "40"),
    ("效益指标", "社会效益指标", "提高为民服务水平", "有效增强", "达成年度指标", "40", "40"),
    ("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥95%", "96%", "10", "10"),
]
INDICATOR_COLUMNS = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分")
REASON = "附件2第2行“稿件合格率”的实际完成值请按年度统计报表填写（99.5%）。"


def fill_indicator_row(page, index, values):
    """Type one indicator row; rows added by the script are labelled 新增行."""
    row = page.locator(f"#indicators-{index}")
    for column, value in zip(INDICATOR_COLUMNS, values, strict=True):
        row.get_by_label(re.compile(f" {column}$")).fill(value)


def fill_indicators(person, rows, start=0):
    """Fill the blank rows from `start`, pressing ＋ 增加指标行 when they run out."""
    page = person.page
    for index, values in enumerate(rows, start=start):
        if not page.locator(f"#indicators-{index}").count():
            page.get_by_role("button", name="＋ 增加指标行").click()
            expect(page.locator(f"#indicators-{index}")).to_be_visible()
        fill_indicator_row(page, index, values)


def test_a_filing_goes_from_a_blank_page_to_a_published_pdf(open_browser):
    department = DepartmentFactory(name=DEPARTMENT)
    FiscalYearFactory(year=2023, is_open=True)
    officer_of(department, username="tangweihong", first_name="唐卫红")
    reviewer_of(department.jurisdiction, username="lishenhe", first_name="李审核")

    officer = open_browser()
    page = officer.page
    officer.log_in("tangweihong")
    officer.screenshot("my-filings")
    officer.submit(page.get_by_role("button", name="开始填报2023年度"))
    filing = Filing.objects.get(department=department, fiscal_year__year=2023)
    assert int(officer.figure("errors").inner_text()) > 0
    expect(officer.figure("total_score")).to_have_text("0.00")

    # 部门基本情况: the control rate follows the two head counts.
    officer.open_part("部门基本情况")
    page.get_by_label("（一）机构设置").fill(
        "内设股室6个：秘书股、综合股、督查股、信息股、机要股、财务股。"
    )
    for label, value in (("编制数", "23"), ("实际在职人数", "23"), ("退休人员", "20")):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("遗属补助人数", exact=True).fill("0")
    page.get_by_label("（三）主要职能职责").fill("1、负责县政府会议的组织协调。\n2、负责政务督查。")
    page.get_by_label("（四）绩效目标设定情况").fill("围绕县委县政府决策部署，提升“三服务”水平。")
    officer.save()
    expect(officer.figure("staffing_control_rate")).to_have_text("100.00%")
    officer.screenshot("part-profile")

    # 年度资金: the execution rate is previewed while typing, before the save.
    officer.open_part("年度资金")
    funds = {
        "年度资金总额 年初预算数": "800.00",
        "年度资金总额 全年预算数": "1000.00",
        "年度资金总额 全年执行数": "950.00",
        "执行率分值": "10",
        "一般公共预算": "1000",
        "政府性基金拨款": "0",
        "纳入专户管理的非税收入拨款": "0",
        "其他资金": "0",
        "基本支出": "850",
        "项目支出": "150",
        "人员经费": "600",
        "公用经费": "250",
    }
    for label, value in funds.items():
        page.get_by_label(label, exact=True).fill(value)
    officer.wait_for_preview()
    expect(officer.figure("execution_rate")).to_have_text("95.00%")
    expect(page.locator("[data-preview-note]")).to_contain_text("尚未保存")
    # The findings list is previewed with the figures: 全年预算数 is no longer missing.
    expect(page.locator("#missing-parts")).not_to_contain_text("全年预算数")
    page.get_by_label("年度资金总额 全年执行数", exact=True).fill("1000.00")
    officer.wait_for_preview()
    expect(officer.figure("execution_rate")).to_have_text("100.00%")
    officer.save()
    expect(officer.figure("execution_score")).to_have_text("10.00")
    expect(officer.figure("total_score")).to_have_text("10.00")
    officer.screenshot("part-funds")

    # 附件1: every fixed row, two project items, then one added with the
    # button and one removed, and a building.
    officer.open_part("附件1 基础数据表")
    for row, amounts in BASIC_ROWS.items():
        for column, amount in zip(COLUMNS, amounts, strict=True):
            page.get_by_label(f"{row} {column}", exact=True).fill(amount)
    items = page.locator("#basic_data-project_items")
    for index, (name, amounts) in enumerate(
        [("业务工作经费", ("100", "120", "120")), ("运行维护经费", ("40", "30", "30"))], start=1
    ):
        page.get_by_label(f"项目支出明细第{index}行 名称", exact=True).fill(name)
        for column, amount in zip(COLUMNS, amounts, strict=True):
            page.get_by_label(f"项目支出明细第{index}行 {column}", exact=True).fill(amount)
    building = "楼堂馆所第1行"
    page.get_by_label(f"{building} 名称", exact=True).fill("办公楼维修")
    page.get_by_label(f"{building} 批复规模（㎡）", exact=True).fill("1200")
    page.get_by_label(f"{building} 实际规模（㎡）", exact=True).fill("1150")
    page.get_by_label(f"{building} 预算投资（万元）", exact=True).fill("80")
    page.get_by_label(f"{building} 实际投资（万元）", exact=True).fill("78")
    page.get_by_label("厉行节约保障措施").fill("严格执行中央八项规定，压减一般性支出。")
    officer.save()
    expect(page.locator("#basic_data-buildings")).to_contain_text("95.83%")  # 1150 ÷ 1200

    page.get_by_role("button", name="＋ 增加项目支出明细行").click()
    added = items.locator("tr").last
    expect(added.get_by_label("项目支出明细新增行 名称")).to_be_focused()
    page.keyboard.type("县级专项资金")
    for column, amount in zip(COLUMNS, ("40", "30", "30"), strict=True):
        added.get_by_label(f"项目支出明细新增行 {column}").fill(amount)
    items.locator("tr", has=page.locator('input[value="运行维护经费"]')).get_by_label(
        "删除"
    ).check()
    officer.save()
    assert list(filing.project_items.values_list("name", "budget")) == [
        ("业务工作经费", Decimal("120.00")),
        ("县级专项资金", Decimal("30.00")),
    ]
    expect(page.get_by_label("项目支出明细第2行 名称", exact=True)).to_have_value("县级专项资金")
    officer.screenshot("part-basic")

    # 附件2: the total moves with every row typed, added and removed.
    officer.open_part("附件2 自评表")
    page.get_by_label("年度总体目标 预期目标").fill("全面完成年度工作任务，提高财政资金使用绩效。")
    page.get_by_label("年度总体目标 实际完成情况").fill("各项目标任务全面完成。")
    fill_indicators(officer, INDICATORS[:2])
    officer.wait_for_preview()
    expect(officer.figure("total_score")).to_have_text("60.00")  # 10 + 30 + 20, not yet saved
    fill_indicators(officer, [*INDICATORS[2:], SURPLUS_INDICATOR], start=2)
    officer.wait_for_preview()
    expect(officer.figure("total_score")).to_have_text("105.00")
    # The previewed findings agree with the previewed figures: 满分 105.
    weights = page.locator('#findings [data-code="weights_not_100"]')
    expect(weights).to_contain_text("满分为105")
    officer.save()
    expect(officer.figure("total_score")).to_have_text("105.00")
    expect(officer.figure("max_score")).to_have_text("105.00")
    expect(weights).to_have_count(1)
    expect(page.locator("#findings")).not_to_contain_text("weights_not_100")  # no codes shown
    page.locator("#indicators-4").get_by_label("删除").check()
    officer.wait_for_preview()
    expect(weights).to_have_count(0)
    officer.save()
    expect(officer.figure("total_score")).to_have_text("100.00")
    # 优 by its figures, but the narrative report is still blank.
    expect(officer.figure("grade")).to_have_text("未完成")
    expect(page.locator("#missing-parts")).to_contain_text("自评报告：七、存在的问题及原因分析")
    assert list(filing.indicators.filter(project=None).values_list("name", flat=True)) == [
        row[2] for row in INDICATORS
    ]
    officer.screenshot("part-scores")

    # 附件3: two project tables added, one removed, the other filled.
    officer.open_part("附件3 项目支出")
    for name in ("临时项目", "县委办专项"):
        page.get_by_label("新增项目的项目名称").fill(name)
        officer.submit(page.get_by_role("button", name="＋ 新增项目支出绩效自评表"))
        expect(page.get_by_label("项目支出名称")).to_have_value(name)
        officer.submit(page.get_by_role("link", name="← 返回项目列表"))
    projects = page.locator("#projects")
    temporary = projects.locator("tr", has=page.get_by_role("link", name="临时项目"))
    officer.submit(temporary.get_by_role("button", name="删除"))  # after 确定删除…吗？
    expect(page.get_by_role("alert").filter(has_text="已删除项目“临时项目”")).to_be_visible()
    expect(projects.locator("tbody tr")).to_have_count(1)
    officer.screenshot("part-projects")
    officer.submit(projects.get_by_role("link", name="填写"))
    for label, value in {
        "主管部门": DEPARTMENT,
        "实施单位": DEPARTMENT,
        "执行率分值": "10",
        "年度资金总额 年初预算数": "150",
        "年度资金总额 全年预算数": "150",
        "年度资金总额 全年执行数": "150",
        "其中：当年财政拨款 年初预算数": "150",
        "其中：当年财政拨款 全年预算数": "150",
        "其中：当年财政拨款 全年执行数": "150",
        "项目年度总体目标 预期目标": "完成专项督查和改革会议。",
        "项目年度总体目标 实际完成情况": "全部完成。",
    }.items():
        page.get_by_label(label, exact=True).fill(value)
    fill_indicators(officer, PROJECT_INDICATORS)
    officer.wait_for_preview()
    expect(page.locator('[data-figure="project_total_score"]')).to_have_text("100.00")
    officer.save()
    expect(page.locator('[data-figure="project_total_score"]')).to_have_text("100.00")
    officer.screenshot("part-project-table")
    assert filing.projects.get().indicators.count() == 3

    # 自评报告: every section of the narrative report.
    officer.open_part("自评报告")
    sections = page.locator("#part-form textarea")
    for index in range(sections.count()):
        sections.nth(index).fill(f"第{index + 1}部分：本年度情况说明。")
    officer.save()
    officer.screenshot("part-report")

    # 填报信息.
    officer.open_part("填报信息")
    page.get_by_label("填表人").fill("张三")
    page.get_by_label("填报日期").fill("2024-07-30")
    page.get_by_label("联系电话").fill("0730-1234567")
    page.get_by_label("单位负责人").fill("李四")
    officer.save()
    officer.screenshot("part-contact")

    # 概览: nothing left to fix; the officer submits (and confirms).
    officer.open_part("概览")
    expect(officer.figure("errors")).to_have_text("0")
    expect(page.locator("#findings")).to_contain_text("没有阻止报送的错误")
    expect(officer.figure("total_score")).to_have_text("100.00")
    expect(officer.figure("grade")).to_have_text("优")
    expect(page.locator("#missing-parts")).to_have_count(0)
    officer.screenshot("part-overview")
    officer.submit(page.locator("#workflow").get_by_role("button", name="报送"))
    expect(page.get_by_title("状态")).to_have_text("已报送")
    expect(page.get_by_role("button", name="保存草稿")).to_have_count(0)

    # The reviewer returns it with a reason.
    reviewer = open_browser()
    review = reviewer.page
    reviewer.log_in("lishenhe")
    reviewer.submit(review.get_by_role("link", name="审核工作台"))
    expect(review.locator("main table").last).to_contain_text("已报送")
    reviewer.screenshot("dashboard")
    reviewer.submit(review.get_by_role("link", name=DEPARTMENT))
    review.locator("#workflow summary", has_text="退回").click()
    review.get_by_label(re.compile("^退回原因")).fill(REASON)
    reviewer.submit(review.get_by_role("button", name="确认退回"))
    expect(review.get_by_title("状态")).to_have_text("已退回")

    # The officer reads the reason, fixes the value and resubmits.
    officer.goto("/filings/")
    officer.submit(page.get_by_role("link", name="继续填报"))
    expect(page.locator("#return-reason")).to_contain_text(REASON)
    expect(page.locator("#return-reason")).to_contain_text("李审核")
    officer.open_part("附件2 自评表")
    page.get_by_label("第2行 实际完成值", exact=True).fill("99.5%")
    officer.save()
    officer.open_part("概览")
    officer.submit(page.locator("#workflow").get_by_role("button", name="重新报送"))
    expect(page.get_by_title("状态")).to_have_text("已报送")

    # The reviewer sees exactly that change, approves and publishes.
    reviewer.goto(f"/filings/{filing.pk}/overview/")
    reviewer.submit(review.get_by_role("link", name="自上次退回以来的修改"))
    changes = review.locator("#changes tbody tr")
    expect(changes).to_have_count(1)
    expect(changes).to_contain_text("附件2 第2行 实际完成值")
    expect(changes.locator(".change-old")).to_have_text("100%")
    expect(changes.locator(".change-new")).to_have_text("99.5%")
    reviewer.screenshot("changes")
    reviewer.submit(review.get_by_role("link", name="历史记录"))
    expect(review.locator("#history")).to_contain_text("已报送 → 已退回")
    expect(review.locator("#history")).to_contain_text(REASON)
    reviewer.screenshot("history")
    reviewer.submit(review.get_by_role("button", name="审核通过"))
    expect(review.get_by_title("状态")).to_have_text("已审核")
    reviewer.submit(review.get_by_role("button", name="公开", exact=True))
    expect(review.get_by_title("状态")).to_have_text("已公开")

    # Anyone downloads the report frozen at approval from 信息公开.
    filing.refresh_from_db()
    assert filing.status == Filing.Status.PUBLISHED and filing.report_sha256
    visitor = open_browser()
    visitor.goto("/gongkai/")
    row = visitor.page.locator("tr", has_text=DEPARTMENT)
    expect(row).to_contain_text("100.00")
    expect(row).to_contain_text("优")
    visitor.screenshot("public")
    # Chromium opens the PDF in its own viewer; keep the bytes it received.
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
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == filing.report_sha256

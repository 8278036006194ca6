"""Acceptance: an officer fills a whole filing in the browser, page by page.

Only the web forms are used (the Django test client posting what the pages
render), from the first visit of a brand-new department until the overview
shows no error and the filing scores 100 / 优.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations.core.document import REPORT_KEYS
from evaluations.core.validation import document_validate
from evaluations.models import Filing, Indicator
from evaluations.services.interchange import filing_document
from tests.evaluations.pages import PageForm
from tests.factories import DepartmentFactory, FiscalYearFactory, officer_of

pytestmark = pytest.mark.django_db


def page_url(filing, part):
    return reverse("evaluations:filing_part", args=[filing.pk, part])


def open_form(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return PageForm(response.content.decode())


def save(client, url, form):
    response = client.post(url, form.data)
    if response.status_code != 302:
        errors = re.findall(r"invalid-feedback[^>]*>([^<]+)<", response.content.decode())
        pytest.fail(f"POST {url} was not saved: {response.status_code} {errors}")
    assert response["Location"] == url
    return client.get(url)


def error_count(client, filing):
    html = client.get(page_url(filing, "overview")).content.decode()
    return int(re.search(r'data-figure="errors">(\d+)<', html).group(1)), html


def fill_indicators(form, rows):
    """Fill the page's blank indicator rows, adding rows like the 增加 button."""
    start = form.initial("indicators")
    for offset, row in enumerate(rows):
        index = start + offset
        if index >= form.total("indicators"):
            form.add_row("indicators")
        level1, level2, name, target, actual, weight, score = row
        form.fill(
            "indicators",
            index,
            level1=level1,
            level2=level2,
            name=name,
            target=target,
            actual=actual,
            weight=weight,
            score=score,
        )


FILING_INDICATORS = [
    ("产出指标", "数量指标", "督促检查", "≥60次", "70次", "10", "10"),
    ("产出指标", "数量指标", "起草文稿", "≥800篇", "850篇", "10", "10"),
    ("产出指标", "质量指标", "稿件合格率", "≥98%", "100%", "10", "10"),
    ("产出指标", "时效指标", "按时完成率", "=100%", "100%", "10", "10"),
    ("产出指标", "成本指标", "支出不超过预算", "≤1000万元", "1000万元", "10", "10"),
    ("效益指标", "社会效益指标", "服务经济社会发展", "效果明显", "达成年度指标", "15", "15"),
    ("效益指标", "可持续影响指标", "工作质量持续提升", "效果明显", "达成年度指标", "15", "15"),
    ("满意度指标", "服务对象满意度指标", "社会公众满意度", "≥95%", "98%", "10", "10"),
]
PROJECT_INDICATORS = [
    ("产出指标", "数量指标", "开展专项督查", "≥12次", "12次", "20", "20"),
    ("产出指标", "质量指标", "督查及时性", "=100%", "100%", "15", "15"),
    ("产出指标", "时效指标", "经费支出时效性", "≥100%", "100%", "15", "15"),
    ("效益指标", "社会效益指标", "提高为民服务水平", "有效增强", "达成年度指标", "30", "30"),
    ("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥95%", "96%", "10", "10"),
]


def test_officer_fills_a_blank_filing_entirely_through_the_web_forms(client):
    department = DepartmentFactory(name="测试县人民政府办公室")
    FiscalYearFactory(year=2023, is_open=True)
    client.force_login(officer_of(department))

    # 我的填报 offers to start the open year; starting creates the filing.
    home = client.get(reverse("evaluations:my_filings")).content.decode()
    start_url = reverse("evaluations:filing_start", args=[department.pk, 2023])
    assert start_url in home
    response = client.post(start_url)
    filing = Filing.objects.get(department=department, fiscal_year__year=2023)
    assert response["Location"] == page_url(filing, "overview")
    assert error_count(client, filing)[0] > 0

    # 部门基本情况 and 人员编制.
    url = page_url(filing, "profile")
    form = open_form(client, url)
    form.set(
        **{
            "profile-organization": "内设股室6个：秘书股、综合股、督查股、信息股、机要股、财务股。",
            "profile-functions": "1、负责县政府会议的组织协调。\n2、负责政务督查。",
            "profile-goal_setting": "围绕县委县政府决策部署，提升“三服务”水平。",
            "profile-authorized": "23",
            "profile-actual": "23",
            "profile-retired": "20",
            "profile-survivor_subsidy": "0",
        }
    )
    page = save(client, url, form).content.decode()
    assert "100.00%" in page  # 在职人员控制率

    # 年度资金.
    url = page_url(filing, "funds")
    form = open_form(client, url)
    form.set(
        **{
            "funds-initial_budget": "800.00",
            "funds-full_year_budget": "1000.00",
            "funds-executed": "1000.00",
            "funds-weight": "10",
            "funds-general_budget": "1000",
            "funds-government_fund": "0",
            "funds-special_account": "0",
            "funds-other": "0",
            "funds-basic": "850",
            "funds-project": "150",
            "funds-personnel": "600",
            "funds-public": "250",
        }
    )
    save(client, url, form)

    # 附件1: the fixed rows, two project items in the blank rows, then one
    # more added and one removed, and a building.
    url = page_url(filing, "basic")
    form = open_form(client, url)
    columns = {
        "three_public": ("6.00", "5.00", "4.00"),
        "vehicle": ("2.00", "2.00", "1.50"),
        "vehicle_purchase": ("0", "0", "0"),
        "vehicle_operation": ("2.00", "2.00", "1.50"),
        "overseas": ("0", "0", "0"),
        "reception": ("4.00", "3.00", "2.50"),
        "project_total": ("140.00", "150.00", "150.00"),
        "public_funds": ("260.00", "250.00", "250.00"),
        "office": ("40.00", "38.00", "38.00"),
        "utilities_travel": ("3.00", "2.60", "2.60"),
        "meetings_training": ("20.00", "7.00", "7.00"),
        "procurement": ("90.00", "99.00", "99.00"),
        "basic_budget_adjustment": ("", "-12.50", "-12.50"),
    }
    html = client.get(url).content.decode()
    keys = re.findall(r'id="basic_data-rows-([a-z_]+)"', html)
    assert keys[:13] == list(columns)
    for index, key in enumerate(keys[:13]):
        prior, budget, final = columns[key]
        form.fill("rows", index, prior_final=prior, budget=budget, final=final)
    assert form.total("items") >= 2
    form.fill("items", 0, name="业务工作经费", prior_final="100", budget="100", final="100")
    form.fill("items", 1, name="运行维护经费", prior_final="40", budget="20", final="20")
    form.fill("buildings", 0, name="办公楼维修", approved_area="1200", actual_area="1150")
    form.fill("buildings", 0, budget_investment="80", actual_investment="78")
    form.set(**{"austerity-austerity_measures": "严格执行中央八项规定，压减一般性支出。"})
    page = save(client, url, form).content.decode()
    assert "95.83%" in page  # 规模控制率 1150/1200

    form = open_form(client, url)
    extra = form.add_row("items")
    form.fill("items", extra, name="县级专项资金", prior_final="0", budget="30", final="30")
    form.fill("items", 1, DELETE=True)  # 运行维护经费 goes
    form.fill("items", 1 + 1, name="其他事业类发展资金", budget="0", final="0")
    save(client, url, form)
    items = list(filing.project_items.order_by("position").values_list("name", "position"))
    assert items == [("业务工作经费", 0), ("其他事业类发展资金", 1), ("县级专项资金", 2)]
    # The removed item leaves a sum mismatch warning, not an error: fix it anyway.
    form = open_form(client, url)
    form.fill("items", 1, DELETE=True)
    form.fill("items", 2, final="50", budget="50", prior_final="40")
    save(client, url, form)
    assert [item.name for item in filing.project_items.all()] == ["业务工作经费", "县级专项资金"]

    # 附件2: goal and indicators, added over several saves, one removed,
    # one deducted without a reason (an error) and then corrected.
    url = page_url(filing, "scores")
    form = open_form(client, url)
    form.set(
        **{
            "goal-goal_expected": "全面完成年度工作任务，提高财政资金使用绩效。",
            "goal-goal_actual": "各项目标任务全面完成。",
        }
    )
    fill_indicators(form, FILING_INDICATORS[:2])
    save(client, url, form)
    form = open_form(client, url)
    fill_indicators(
        form,
        [*FILING_INDICATORS[2:], ("产出指标", "数量指标", "多余的一行", "1次", "1次", "5", "5")],
    )
    save(client, url, form)
    assert filing.indicators.count() == 9
    form = open_form(client, url)
    form.fill("indicators", 8, DELETE=True)
    form.fill("indicators", 1, score="8")  # below 分值, no 偏差原因
    page = save(client, url, form).content.decode()
    assert filing.indicators.count() == 8
    assert "deviation_missing" in page
    assert f'href="/filings/{filing.pk}/scores/#indicators-1"' in page
    form = open_form(client, url)
    form.fill("indicators", 1, score="10")
    save(client, url, form)

    # 附件3: two project tables added, one removed, the other filled.
    projects_url = page_url(filing, "projects")
    for name in ("县委办专项", "临时项目"):
        form = PageForm(client.get(projects_url).content.decode(), "project-add-form")
        form.set(name=name)
        response = client.post(reverse("evaluations:project_add", args=[filing.pk]), form.data)
        assert response.status_code == 302
    temporary = filing.projects.get(name="临时项目")
    form = PageForm(client.get(projects_url).content.decode(), f"project-delete-{temporary.pk}")
    delete_url = reverse("evaluations:project_delete", args=[filing.pk, temporary.pk])
    response = client.post(delete_url, form.data)
    assert response["Location"] == projects_url
    project = filing.projects.get()
    assert "县委办专项" in client.get(projects_url).content.decode()
    url = reverse("evaluations:project_edit", args=[filing.pk, project.pk])
    form = open_form(client, url)
    form.set(
        **{
            "project-department_in_charge": "测试县人民政府办公室",
            "project-implementer": "测试县人民政府办公室",
            "project-weight": "10",
            "project-total_initial_budget": "150",
            "project-total_full_year_budget": "150",
            "project-total_executed": "150",
            "project-current_initial_budget": "150",
            "project-current_full_year_budget": "150",
            "project-current_executed": "150",
            "project-goal_expected": "完成专项督查和改革会议。",
            "project-goal_actual": "全部完成。",
        }
    )
    fill_indicators(form, PROJECT_INDICATORS[:2])
    save(client, url, form)
    form = open_form(client, url)
    fill_indicators(form, PROJECT_INDICATORS[2:])
    page = save(client, url, form).content.decode()
    assert project.indicators.count() == 5
    assert set(project.indicators.values_list("filing_id", flat=True)) == {filing.pk}

    # 自评报告.
    url = page_url(filing, "report")
    form = open_form(client, url)
    for name in REPORT_KEYS:
        form.set(**{f"report-{name}": f"{name}：本年度情况说明。"})
    save(client, url, form)

    # 填报信息.
    url = page_url(filing, "contact")
    form = open_form(client, url)
    form.set(
        **{
            "contact-preparer": "张三",
            "contact-filled_on": "2024-07-30",
            "contact-phone": "0730-1234567",
            "contact-head": "李四",
        }
    )
    save(client, url, form)

    errors, overview = error_count(client, filing)
    assert errors == 0, re.findall(r'class="link-danger">([^<]+)<', overview)
    assert "没有阻止报送的错误" in overview
    assert 'data-figure="total_score">100.00<' in overview
    assert 'data-figure="max_score">100.00<' in overview
    assert 'data-figure="grade" class="grade grade-优">优<' in overview
    assert 'data-figure="execution_rate" data-unit="%">100.00%<' in overview

    filing.refresh_from_db()
    document = filing_document(filing=filing)
    findings = document_validate(document=document, template=filing.scoring_template)
    assert [finding for finding in findings if finding.kind == "error"] == []
    assert document.basic_data.rows["basic_budget_adjustment"].final == Decimal("-12.50")
    assert [row.name for row in document.indicators][:2] == ["督促检查", "起草文稿"]
    assert Indicator.objects.filter(filing=filing, project__isnull=True).count() == 8
    assert filing.status == Filing.Status.DRAFT

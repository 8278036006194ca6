"""The filing pages through the test client: who sees what, what a save does,
and how a refused value comes back."""

import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from departments.models import Membership
from evaluations.models import BasicDataRow, Filing, FilingCache, Indicator, Project
from evaluations.services.summary import filing_summary_refresh
from evaluations.validators import MAX_TEXT_LENGTH
from tests.evaluations.pages import PageForm, accessibility_problems
from tests.factories import (
    DepartmentFactory,
    FiscalYearFactory,
    JurisdictionFactory,
    UserFactory,
    blank_filing,
    officer_of,
    reviewer_of,
)
from tests.helpers import example_bytes

pytestmark = pytest.mark.django_db

PARTS = ["overview", "profile", "funds", "basic", "scores", "projects", "report", "contact"]


def part_url(filing, part):
    return reverse("evaluations:filing_part", args=[filing.pk, part])


def page_form(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return PageForm(response.content.decode())


def add_indicators(filing, rows, project=None):
    """Write indicator rows as a service would, refreshing the stored summary
    and the copy the pages read."""
    for position, (name, weight, score) in enumerate(rows):
        Indicator.objects.create(
            filing=filing,
            project=project,
            position=position,
            level1="产出指标",
            level2="数量指标",
            name=name,
            target="≥1次",
            actual="2次",
            weight=Decimal(weight),
            score=Decimal(score),
        )
    filing_summary_refresh(filing=filing)


@pytest.fixture
def filing():
    return blank_filing()


@pytest.fixture
def officer(filing):
    return officer_of(filing.department)


@pytest.fixture
def project(filing):
    return Project.objects.create(filing=filing, position=0, name="区委办专项")


# --- who sees what --------------------------------------------------------------


@pytest.mark.parametrize("part", PARTS)
def test_each_part_opens_for_the_departments_officer(client, filing, officer, part):
    client.force_login(officer)
    response = client.get(part_url(filing, part))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-CN">' in html
    assert "总分" in html and "等次" in html and "在职人员控制率" in html


@pytest.mark.parametrize("part", PARTS)
def test_every_input_has_a_label_and_every_table_headers_and_no_external_url(
    client, filing, officer, project, part
):
    add_indicators(filing, [("督促检查", "5", "4")])
    client.force_login(officer)
    html = client.get(part_url(filing, part)).content.decode()
    assert accessibility_problems(html) == []
    assert "http://" not in html and "https://" not in html
    assert "//cdn" not in html


def test_the_other_pages_are_labelled_too(client, filing, officer, project):
    pages = [reverse("login")]
    client.force_login(officer)
    pages += [
        reverse("evaluations:my_filings"),
        reverse("evaluations:project_edit", args=[filing.pk, project.pk]),
    ]
    for url in pages:
        assert accessibility_problems(client.get(url).content.decode()) == [], url
    client.force_login(reviewer_of(filing.department.jurisdiction))
    for url in (reverse("evaluations:my_filings"), reverse("evaluations:filing_import")):
        assert accessibility_problems(client.get(url).content.decode()) == [], url


def test_project_page_opens_for_the_departments_officer(client, filing, officer, project):
    client.force_login(officer)
    response = client.get(reverse("evaluations:project_edit", args=[filing.pk, project.pk]))
    assert response.status_code == 200
    assert "区委办专项" in response.content.decode()


@pytest.mark.parametrize("part", PARTS)
def test_another_departments_officer_gets_404(client, filing, part):
    client.force_login(officer_of(DepartmentFactory()))
    assert client.get(part_url(filing, part)).status_code == 404


def test_another_departments_officer_can_neither_post_nor_download(client, filing, project):
    client.force_login(officer_of(DepartmentFactory()))
    assert client.post(part_url(filing, "funds"), {}).status_code == 404
    assert client.get(reverse("evaluations:filing_export", args=[filing.pk])).status_code == 404
    project_url = reverse("evaluations:project_edit", args=[filing.pk, project.pk])
    assert client.get(project_url).status_code == 404
    delete_url = reverse("evaluations:project_delete", args=[filing.pk, project.pk])
    assert client.post(delete_url).status_code == 404
    assert Project.objects.filter(pk=project.pk).exists()


def test_anonymous_visitor_is_sent_to_the_login_page(client, filing):
    for url in (reverse("evaluations:my_filings"), part_url(filing, "scores")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_login_page_is_in_chinese(client):
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="zh-CN">' in html
    assert "用户名" in html and "密码" in html


def test_reviewer_reads_the_jurisdictions_filings_but_cannot_save(client, filing):
    reviewer = reviewer_of(filing.department.jurisdiction)
    client.force_login(reviewer)
    home = client.get(reverse("evaluations:my_filings")).content.decode()
    assert filing.department.name in home
    assert "导入 JSON 填报" in home
    page = client.get(part_url(filing, "funds"))
    assert page.status_code == 200
    assert "<fieldset disabled>" in page.content.decode()
    response = client.post(part_url(filing, "funds"), {"funds-executed": "1"})
    assert response.status_code == 403


def test_reviewer_of_another_jurisdiction_gets_404(client, filing):
    client.force_login(reviewer_of(JurisdictionFactory(name="别的区")))
    assert client.get(part_url(filing, "overview")).status_code == 404


def test_my_filings_shows_score_and_grade_and_offers_open_years(client, filing, officer):
    FiscalYearFactory(year=2024, is_open=True)
    client.force_login(officer)
    html = client.get(reverse("evaluations:my_filings")).content.decode()
    assert "2023年度" in html and "草稿" in html
    assert reverse("evaluations:filing_start", args=[filing.department.pk, 2024]) in html
    assert reverse("evaluations:filing_start", args=[filing.department.pk, 2023]) not in html


def test_my_filings_shows_unfinished_instead_of_the_grade_of_a_blank_filing(client, officer):
    blank = blank_filing(department=officer.memberships.get().department, year=2024)
    client.force_login(officer)
    html = client.get(reverse("evaluations:my_filings")).content.decode()
    row = re.search(r"<tr[^>]*>\s*<t[hd][^>]*>2024年度.*?</tr>", html, re.S).group(0)
    assert blank.missing_count > 0
    assert "未完成" in row and ">差<" not in row


# --- starting a filing ------------------------------------------------------------


def test_first_visit_creates_the_filing_prefilled_from_the_year_before(client):
    department = DepartmentFactory()
    previous = blank_filing(department=department, year=2022)
    previous.profile.functions = "负责全县政务督查。"
    previous.profile.organization = "内设股室6个。"
    previous.profile.save()
    BasicDataRow.objects.filter(filing=previous, key="office").update(final=Decimal("39.11"))
    FiscalYearFactory(year=2023, is_open=True)
    client.force_login(officer_of(department))

    response = client.post(reverse("evaluations:filing_start", args=[department.pk, 2023]))

    filing = Filing.objects.get(department=department, fiscal_year__year=2023)
    assert response["Location"] == part_url(filing, "overview")
    assert filing.profile.functions == "负责全县政务督查。"
    assert filing.basic_rows.get(key="office").prior_final == Decimal("39.11")
    profile_page = client.get(part_url(filing, "profile")).content.decode()
    assert "负责全县政务督查。" in profile_page
    # A second visit opens the same filing.
    client.post(reverse("evaluations:filing_start", args=[department.pk, 2023]))
    assert Filing.objects.filter(department=department).count() == 2


def test_a_closed_year_cannot_be_started(client):
    department = DepartmentFactory()
    FiscalYearFactory(year=2019, is_open=False)
    client.force_login(officer_of(department))
    response = client.post(
        reverse("evaluations:filing_start", args=[department.pk, 2019]), follow=True
    )
    assert "已关闭填报" in response.content.decode()
    assert not Filing.objects.filter(department=department).exists()


def test_an_officer_cannot_start_another_departments_filing(client):
    FiscalYearFactory(year=2023)
    other = DepartmentFactory()
    client.force_login(officer_of(DepartmentFactory()))
    response = client.post(reverse("evaluations:filing_start", args=[other.pk, 2023]))
    assert response.status_code == 404
    assert not Filing.objects.filter(department=other).exists()


# --- saving --------------------------------------------------------------------------


def test_saving_a_part_bumps_the_version_and_keeps_the_status(client, filing, officer):
    client.force_login(officer)
    url = part_url(filing, "funds")
    form = page_form(client, url)
    form.set(**{"funds-full_year_budget": "1007.30", "funds-executed": "1007.30"})
    response = client.post(url, form.data)
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.version == 2
    assert filing.status == Filing.Status.DRAFT
    assert filing.funds.full_year_budget == Decimal("1007.30")
    page = client.get(url).content.decode()
    assert "已保存" in page
    assert "100.00%" in page  # 执行率


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "请输入金额（万元），如 1380.50"),
        ("-5", "金额不能为负数"),
        ("1.234", "最多两位小数"),
    ],
)
def test_a_bad_amount_is_refused_on_its_field_and_nothing_is_lost(
    client, filing, officer, value, message
):
    client.force_login(officer)
    url = part_url(filing, "funds")
    form = page_form(client, url)
    form.set(**{"funds-executed": value, "funds-full_year_budget": "1007.30"})
    response = client.post(url, form.data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'id="id_funds-executed-error"' in html
    assert 'value="1007.30"' in html  # the other posted value is kept
    assert f'value="{value}"' in html  # and so is the refused one
    filing.refresh_from_db()
    assert filing.version == 1
    assert filing.funds.full_year_budget is None


def test_only_the_budget_adjustment_row_may_be_negative(client, filing, officer):
    client.force_login(officer)
    url = part_url(filing, "basic")
    keys = list(filing.basic_rows.order_by("position").values_list("key", flat=True))
    form = page_form(client, url)
    form.fill("rows", keys.index("basic_budget_adjustment"), final="-12.50")
    assert client.post(url, form.data).status_code == 302
    assert filing.basic_rows.get(key="basic_budget_adjustment").final == Decimal("-12.50")

    form = page_form(client, url)
    form.fill("rows", keys.index("office"), final="-1")
    response = client.post(url, form.data)
    assert response.status_code == 200
    assert "金额不能为负数" in response.content.decode()
    assert filing.basic_rows.get(key="office").final is None


def test_a_score_above_its_weight_is_refused_on_the_row(client, filing, officer):
    add_indicators(filing, [("督促检查", "5", "5")])
    client.force_login(officer)
    url = part_url(filing, "scores")
    form = page_form(client, url)
    form.fill("indicators", 0, score="6", actual="3次")
    form.set(**{"goal-goal_expected": "完成年度目标"})
    response = client.post(url, form.data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "得分不能超过分值（5.00）" in html
    assert 'id="id_indicators-0-score-error"' in html
    assert "完成年度目标" in html and 'value="3次"' in html
    indicator = filing.indicators.get()
    assert indicator.score == Decimal("5") and indicator.actual == "2次"
    assert Filing.objects.get(pk=filing.pk).goal_expected == ""


def test_an_overlong_text_is_refused_with_a_chinese_message(client, filing, officer):
    client.force_login(officer)
    url = part_url(filing, "report")
    form = page_form(client, url)
    form.set(**{"report-problems": "问" * 30000, "report-improvements": "加强预算执行监控。"})
    response = client.post(url, form.data)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"文字过长：最多 {MAX_TEXT_LENGTH} 个字符，当前 30000 个" in html
    assert "加强预算执行监控。" in html
    filing.report.refresh_from_db()
    assert filing.report.improvements == ""


def test_a_date_outside_the_accepted_years_is_refused(client, filing, officer):
    client.force_login(officer)
    url = part_url(filing, "contact")
    form = page_form(client, url)
    form.set(**{"contact-filled_on": "1999-07-30", "contact-preparer": "唐卫红"})
    response = client.post(url, form.data)
    assert response.status_code == 200
    assert "年份须在 2000 至 2100 之间" in response.content.decode()
    assert Filing.objects.get(pk=filing.pk).preparer == ""


def test_a_not_applicable_indicator_keeps_no_weight_or_score(client, filing, officer):
    add_indicators(filing, [("督促检查", "5", "5")])
    # 不适用 is offered only where the scoring template allows it.
    filing.scoring_template.allow_normalization = True
    filing.scoring_template.save()
    client.force_login(officer)
    url = part_url(filing, "scores")
    form = page_form(client, url)
    form.fill("indicators", 0, not_applicable=True)
    assert client.post(url, form.data).status_code == 302
    indicator = filing.indicators.get()
    assert indicator.applicable is False
    assert indicator.weight is None and indicator.score is None
    form = page_form(client, url)
    assert "indicators-0-not_applicable" in form.data


def test_reordering_indicators_persists(client, filing, officer):
    add_indicators(filing, [("甲", "5", "5"), ("乙", "5", "5"), ("丙", "5", "5")])
    client.force_login(officer)
    url = part_url(filing, "scores")
    form = page_form(client, url)
    form.fill("indicators", 0, ORDER="3")
    form.fill("indicators", 1, ORDER="1")
    form.fill("indicators", 2, ORDER="2")
    assert client.post(url, form.data).status_code == 302
    names = list(filing.indicators.order_by("position").values_list("name", "position"))
    assert names == [("乙", 0), ("丙", 1), ("甲", 2)]


def test_saving_one_changed_indicator_writes_only_that_row(client, filing, officer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    add_indicators(filing, [("甲", "5", "5"), ("乙", "5", "5"), ("丙", "5", "5")])
    client.force_login(officer)
    url = part_url(filing, "scores")
    form = page_form(client, url)
    form.fill("indicators", 1, score="4")

    with CaptureQueriesContext(connection) as queries:
        assert client.post(url, form.data).status_code == 302

    updates = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("UPDATE") and "evaluations_indicator" in query["sql"]
    ]
    assert len(updates) == 1
    assert filing.indicators.get(name="乙").score == Decimal("4.00")


def test_saving_a_table_reads_its_rows_a_fixed_number_of_times(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def indicator_reads(rows):
        filing = blank_filing(department=DepartmentFactory())
        add_indicators(filing, [(f"指标{number}", "5", "5") for number in range(rows)])
        client.force_login(officer_of(filing.department))
        url = part_url(filing, "scores")
        form = page_form(client, url)
        form.fill("indicators", 1, score="4")
        with CaptureQueriesContext(connection) as queries:
            assert client.post(url, form.data).status_code == 302
        return sum(
            query["sql"].startswith('SELECT "evaluations_indicator"."id"')
            for query in queries.captured_queries
        )

    # Not one query per row (Django's own formset id field would make it so).
    assert indicator_reads(2) == indicator_reads(9)


def test_a_row_of_another_filing_is_refused(client, filing, officer):
    other = blank_filing(department=DepartmentFactory(jurisdiction=filing.department.jurisdiction))
    add_indicators(other, [("别的部门的指标", "5", "5")])
    add_indicators(filing, [("督促检查", "5", "5")])
    foreign = other.indicators.get()
    client.force_login(officer)
    url = part_url(filing, "scores")
    form = page_form(client, url)
    form.set(**{"indicators-0-id": str(foreign.pk)})
    form.fill("indicators", 0, name="改写别人的行")
    response = client.post(url, form.data)
    assert response.status_code == 200
    assert "表中有一行已不存在（可能已被删除），请刷新页面后重新填写。" in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.name == "别的部门的指标"
    assert filing.indicators.get().name == "督促检查"


def test_project_indicators_are_added_to_their_own_table(client, filing, officer, project):
    client.force_login(officer)
    url = reverse("evaluations:project_edit", args=[filing.pk, project.pk])
    form = page_form(client, url)
    form.fill("indicators", 0, level1="产出指标", name="专项督查", target="≥12次", actual="12次")
    form.fill("indicators", 0, weight="10", score="10")
    form.set(**{"project-total_full_year_budget": "373", "project-total_executed": "373"})
    assert client.post(url, form.data).status_code == 302
    indicator = Indicator.objects.get(name="专项督查")
    assert (indicator.filing_id, indicator.project_id) == (filing.pk, project.pk)
    assert not filing.indicators.filter(project__isnull=True).exists()
    page = client.get(url).content.decode()
    assert 'data-figure="project_execution_rate" data-unit="%">100.00%<' in page


def test_a_submitted_filing_refuses_every_write_with_409(client, filing, officer, project):
    Filing.objects.filter(pk=filing.pk).update(status="submitted")
    client.force_login(officer)
    url = part_url(filing, "funds")
    page = client.get(url)
    assert "只能查看" in page.content.decode()
    form = PageForm(page.content.decode())
    form.set(**{"funds-executed": "100"})
    response = client.post(url, form.data)
    assert response.status_code == 409
    assert "不能修改" in response.content.decode()
    add = client.post(reverse("evaluations:project_add", args=[filing.pk]), {"name": "新项目"})
    assert add.status_code == 409
    delete = client.post(reverse("evaluations:project_delete", args=[filing.pk, project.pk]))
    assert delete.status_code == 409
    filing.refresh_from_db()
    assert filing.version == 1
    assert filing.funds.executed is None
    assert list(filing.projects.values_list("name", flat=True)) == ["区委办专项"]


def test_findings_link_to_the_page_and_row_they_concern(client, filing, officer, project):
    add_indicators(filing, [("督促检查", "5", "4")])
    add_indicators(filing, [("专项督查", "10", "8")], project=project)
    client.force_login(officer)
    html = client.get(part_url(filing, "contact")).content.decode()
    assert f'href="/filings/{filing.pk}/scores/#indicators-0"' in html
    assert f'href="/filings/{filing.pk}/projects/{project.pk}/#indicators-0"' in html
    assert f'href="/filings/{filing.pk}/funds/#funds-full_year_budget"' in html
    assert f'href="/filings/{filing.pk}/report/#report-problems"' in html
    scores = client.get(part_url(filing, "scores")).content.decode()
    assert 'id="indicators-0"' in scores


def test_preview_computes_without_saving(client, filing, officer):
    client.force_login(officer)
    url = part_url(filing, "funds")
    form = page_form(client, url)
    form.set(**{"funds-full_year_budget": "200", "funds-executed": "150", "funds-weight": "10"})
    response = client.post(
        reverse("evaluations:part_preview", args=[filing.pk, "funds"]), form.data
    )
    assert response.status_code == 200
    figures = response.json()["figures"]
    assert figures["execution_rate"] == "75.00"
    assert figures["execution_score"] == "7.50"
    filing.refresh_from_db()
    assert filing.version == 1
    assert filing.funds.executed is None


def test_preview_of_a_bad_value_reports_it_without_figures(client, filing, officer):
    client.force_login(officer)
    form = page_form(client, part_url(filing, "funds"))
    form.set(**{"funds-executed": "abc"})
    response = client.post(
        reverse("evaluations:part_preview", args=[filing.pk, "funds"]), form.data
    )
    assert response.json() == {"valid": False, "invalid_fields": 1}


def writes_during(callable_):
    """Run `callable_` and return what it sent the database beyond reading:
    writes, transactions (savepoints) and row locks."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = callable_()
    sent = [query["sql"] for query in queries.captured_queries]
    changes = [
        sql
        for sql in sent
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "BEGIN"))
        or "FOR UPDATE" in sql.upper()
    ]
    return result, changes


@pytest.mark.parametrize("cached", [True, False])
def test_a_preview_writes_locks_and_opens_nothing(client, filing, officer, cached):
    add_indicators(filing, [("督促检查", "90", "90")])
    client.force_login(officer)
    form = page_form(client, part_url(filing, "scores"))
    if not cached:  # the pages' copy is missing: the preview must not store one
        FilingCache.objects.filter(filing=filing).delete()
    form.fill("indicators", 0, score="80")
    url = reverse("evaluations:part_preview", args=[filing.pk, "scores"])
    version = filing.version

    response, changes = writes_during(lambda: client.post(url, form.data))

    assert response.status_code == 200
    assert changes == []
    assert response.json()["figures"]["total_score"] == "80.00"  # 0 + 80 (no funds yet)
    filing.refresh_from_db()
    assert filing.version == version
    assert filing.indicators.get().score == Decimal("90.00")
    assert FilingCache.objects.filter(filing=filing).exists() is cached


def test_a_preview_returns_the_findings_of_the_figures_it_shows(client, filing, officer):
    add_indicators(filing, [("督促检查", "90", "90")])
    client.force_login(officer)
    form = page_form(client, part_url(filing, "scores"))
    form.fill("indicators", 0, score="80")  # below 分值 without a 偏差原因
    response = client.post(
        reverse("evaluations:part_preview", args=[filing.pk, "scores"]), form.data
    )
    data = response.json()
    html = data["findings_html"]
    # The list is rendered by the panel's own include, with its links, and
    # counts the same errors as the figures.
    assert 'data-code="deviation_missing"' in html
    assert f'href="/filings/{filing.pk}/scores/#indicators-0"' in html
    assert html.count('class="finding finding-error"') == data["figures"]["errors"]
    assert f'<span data-figure="errors">{data["figures"]["errors"]}</span>' in html
    assert "deviation_missing<" not in html
    # Nothing saved: the page itself still has no such finding.
    saved = client.get(part_url(filing, "scores")).content.decode()
    assert 'data-code="deviation_missing"' not in saved


def test_a_preview_of_a_project_table_scores_the_typed_rows(client, filing, officer, project):
    client.force_login(officer)
    url = reverse("evaluations:project_edit", args=[filing.pk, project.pk])
    form = page_form(client, url)
    form.set(**{"project-total_full_year_budget": "100", "project-total_executed": "100"})
    form.set(**{"project-weight": "10"})
    form.fill(
        "indicators",
        0,
        level1="产出指标",
        name="专项督查",
        target="≥1次",
        actual="2次",
        weight="90",
        score="90",
    )
    preview = reverse("evaluations:project_preview", args=[filing.pk, project.pk])
    response, changes = writes_during(lambda: client.post(preview, form.data))
    assert changes == []
    table = response.json()["figures"]["projects"][str(project.pk)]
    assert (table["total_score"], table["max_score"], table["grade"]) == ("100.00", "100.00", "优")
    assert project.indicators.count() == 0


def test_an_unfinished_filing_shows_what_is_missing_instead_of_a_grade(client, filing, officer):
    add_indicators(filing, [("督促检查", "90", "90")])
    client.force_login(officer)
    html = client.get(part_url(filing, "overview")).content.decode()
    assert re.search(r'data-figure="grade"[^>]*>未完成<', html)
    assert 'id="missing-parts"' in html
    assert (
        f'<a href="/filings/{filing.pk}/funds/#funds-full_year_budget">年度资金：全年预算数</a>'
        in (html)
    )
    assert "换算得分 = 总分 ÷ 满分 × 100" in html
    # Typing the missing amounts into the funds page previews a grade.
    form = page_form(client, part_url(filing, "funds"))
    form.set(**{"funds-full_year_budget": "100", "funds-executed": "100", "funds-weight": "10"})
    response = client.post(
        reverse("evaluations:part_preview", args=[filing.pk, "funds"]), form.data
    )
    data = response.json()
    assert data["figures"]["grade"] == "未完成"  # the report sections are still blank
    assert "年度资金：全年预算数" not in data["findings_html"]
    assert "自评报告：七、存在的问题及原因分析" in data["findings_html"]


# --- a refused save ------------------------------------------------------------------


def test_a_refused_save_lists_each_error_with_a_link_to_its_field(client, filing, officer):
    add_indicators(filing, [("督促检查", "10", "10")])
    client.force_login(officer)
    url = part_url(filing, "scores")
    form = page_form(client, url)
    form.set(**{"goal-goal_expected": "全面完成年度工作任务。"})
    form.fill("indicators", 0, score="12")  # above its 分值
    response = client.post(url, form.data)
    html = response.content.decode()
    assert "本页未保存" in html
    assert (
        '<a href="#id_indicators-0-score" class="alert-link">绩效指标第 1 行 得分：'
        "得分不能超过分值（10.00）。</a>"
    ) in html
    assert 'value="12"' in html  # the refused value is kept
    assert "全面完成年度工作任务。" in html  # and so is every other posted value
    filing.refresh_from_db()
    assert filing.goal_expected == ""
    assert filing.indicators.get().score == Decimal("10.00")


def test_a_refused_amount_is_named_by_its_label(client, filing, officer):
    client.force_login(officer)
    url = part_url(filing, "funds")
    form = page_form(client, url)
    form.set(**{"funds-executed": "-5", "funds-full_year_budget": "1007.30"})
    html = client.post(url, form.data).content.decode()
    assert re.search(
        r'<a href="#id_funds-executed" class="alert-link">[^<]*全年执行数：[^<]+</a>', html
    )
    assert "有 1 处填写不符合要求" in html
    assert 'value="1007.30"' in html


# --- projects ------------------------------------------------------------------------


def projects_form(client, filing, form_id="project-add-form", **values):
    """A form of the 附件3 list page as rendered (with its version fields)."""
    form = PageForm(client.get(part_url(filing, "projects")).content.decode(), form_id)
    form.set(**values)
    return form.data


def test_officer_adds_and_removes_project_tables(client, filing, officer):
    client.force_login(officer)
    add_url = reverse("evaluations:project_add", args=[filing.pk])
    client.post(add_url, projects_form(client, filing, name="业务工作经费"))
    client.post(add_url, projects_form(client, filing, name="运行维护经费"))
    first, second = filing.projects.order_by("position")
    assert (first.position, second.position) == (0, 1)
    assert first.weight == Decimal("10.00")
    client.post(
        reverse("evaluations:project_delete", args=[filing.pk, first.pk]),
        projects_form(client, filing, f"project-delete-{first.pk}"),
    )
    remaining = filing.projects.get()
    assert (remaining.name, remaining.position) == ("运行维护经费", 0)
    response = client.post(add_url, projects_form(client, filing, name=""))
    assert response.status_code == 200
    assert "请填写项目名称" in response.content.decode()


# --- JSON import and export -----------------------------------------------------------


def bureau_reviewer():
    """The reviewer of 君山, whose department and fiscal year an administrator
    has created (an import never creates them)."""
    jurisdiction = JurisdictionFactory(name="岳阳市君山区")
    DepartmentFactory(name="中共岳阳市君山区委办公室", jurisdiction=jurisdiction)
    FiscalYearFactory(year=2023)
    return reviewer_of(jurisdiction)


def test_bureau_imports_a_json_filing(client):
    client.force_login(bureau_reviewer())
    upload = SimpleUploadedFile("junshan.json", example_bytes("junshan-2023"))
    response = client.post(reverse("evaluations:filing_import"), {"file": upload})
    filing = Filing.objects.get(department__name="中共岳阳市君山区委办公室")
    assert response.status_code == 302
    assert response["Location"] == part_url(filing, "overview")
    overview = client.get(response["Location"]).content.decode()
    assert 'data-figure="total_score">99.00<' in overview


def test_a_bad_json_file_is_refused_naming_the_path_and_nothing_is_written(client):
    client.force_login(bureau_reviewer())
    raw = json.loads(example_bytes("junshan-2023"))
    raw["funds"]["executed"] = "一千"
    upload = SimpleUploadedFile("bad.json", json.dumps(raw, ensure_ascii=False).encode("utf-8"))
    response = client.post(reverse("evaluations:filing_import"), {"file": upload})
    assert response.status_code == 400
    html = response.content.decode()
    assert "导入失败：funds.executed：" in html
    assert not Filing.objects.exists()

    broken = SimpleUploadedFile("broken.json", b'{"format": ')
    response = client.post(reverse("evaluations:filing_import"), {"file": broken})
    assert "不是有效的 JSON" in response.content.decode()


def test_a_returned_filing_is_replaced_only_with_the_overwrite_box(client):
    client.force_login(bureau_reviewer())
    url = reverse("evaluations:filing_import")
    client.post(url, {"file": SimpleUploadedFile("a.json", example_bytes("junshan-2023"))})
    Filing.objects.update(status=Filing.Status.RETURNED)
    again = client.post(url, {"file": SimpleUploadedFile("a.json", example_bytes("junshan-2023"))})
    assert again.status_code == 400
    assert "已存在" in again.content.decode()
    same = client.post(
        url,
        {"file": SimpleUploadedFile("a.json", example_bytes("junshan-2023")), "replace": "on"},
    )
    assert same.status_code == 302
    assert Filing.objects.get().version == 1  # the same content: nothing written
    raw = json.loads(example_bytes("junshan-2023"))
    raw["report"]["other"] = "补充说明。"
    changed = json.dumps(raw, ensure_ascii=False).encode("utf-8")
    replaced = client.post(url, {"file": SimpleUploadedFile("a.json", changed), "replace": "on"})
    assert replaced.status_code == 302
    assert Filing.objects.get().version == 2


def test_import_of_another_jurisdictions_filing_is_refused(client):
    bureau_reviewer()
    client.force_login(reviewer_of(JurisdictionFactory(name="邵阳市北塔区")))
    upload = SimpleUploadedFile("junshan.json", example_bytes("junshan-2023"))
    response = client.post(reverse("evaluations:filing_import"), {"file": upload})
    assert response.status_code == 400
    assert "无权导入" in response.content.decode()
    assert not Filing.objects.exists()


def test_an_oversized_upload_is_refused(client, settings):
    settings.PERFEVAL_MAX_IMPORT_BYTES = 100
    client.force_login(bureau_reviewer())
    upload = SimpleUploadedFile("junshan.json", example_bytes("junshan-2023"))
    response = client.post(reverse("evaluations:filing_import"), {"file": upload})
    assert "文件过大" in response.content.decode()
    assert not Filing.objects.exists()


def test_officers_may_not_open_the_import_page(client, filing, officer):
    client.force_login(officer)
    assert client.get(reverse("evaluations:filing_import")).status_code == 404


def test_download_gives_the_filing_as_utf8_json(client, filing):
    for user in (officer_of(filing.department), reviewer_of(filing.department.jurisdiction)):
        client.force_login(user)
        response = client.get(reverse("evaluations:filing_export", args=[filing.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response["Content-Disposition"].startswith("attachment;")
        assert ".json" in response["Content-Disposition"]
        body = response.content.decode("utf-8")
        assert filing.department.name in body  # not \\u-escaped
        data = json.loads(body)
        assert data["format"] == "perfeval-filing/2"
        assert data["form_template"] == {"code": "hunan-overall", "version": "2023"}
        assert "computed" in data


def test_superuser_sees_every_filing(client, filing):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(part_url(filing, "overview")).status_code == 200
    other_admin = UserFactory()
    Membership.objects.create(user=other_admin, role=Membership.Role.ADMIN)
    client.force_login(other_admin)
    assert client.get(part_url(filing, "overview")).status_code == 200


# --- the examples in the UI -------------------------------------------------------


@pytest.mark.parametrize(
    ("example", "figures", "error_codes"),
    [
        (
            "beita-2023",
            {
                "execution_rate": "100.00",
                "execution_score": "10.00",
                "total_score": "97.00",
                "max_score": "100.00",
                # 7 rows lack 实际完成值 (warnings) but have their 得分.
                "grade": "优",
                "staffing_control_rate": "156.52",
            },
            {"actual_missing", "deviation_missing"},
        ),
        (
            "junshan-2023",
            {
                "execution_rate": "100.00",
                "execution_score": "10.00",
                "total_score": "99.00",
                "max_score": "100.00",
                "grade": "优",
                "staffing_control_rate": "100.00",
            },
            {"deviation_missing"},
        ),
    ],
)
def test_imported_examples_show_the_reference_figures_and_findings(
    client, example, figures, error_codes
):
    from tests.helpers import import_example

    filing = import_example(example)
    client.force_login(officer_of(filing.department))
    for part in PARTS:
        page = client.get(part_url(filing, part)).content.decode()
        for name, value in figures.items():
            assert re.search(rf'data-figure="{name}"[^>]*>{value}%?<', page), (part, name)
    overview = client.get(part_url(filing, "overview")).content.decode()
    for code in error_codes:
        assert f'data-code="{code}"' in overview
        assert f">{code}<" not in overview  # the code is never shown to the officer
    assert 'data-code="budget_missing"' not in overview

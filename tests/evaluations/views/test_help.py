"""The 填报说明 page."""

import datetime
import re

import pytest
from django.urls import reverse

from evaluations.core.finding_help import FINDING_HELP
from evaluations.core.validation import FINDING_CODES
from tests.evaluations.pages import accessibility_problems
from tests.factories import DepartmentFactory, FiscalYearFactory, blank_filing, officer_of

pytestmark = pytest.mark.django_db

HELP = reverse("evaluations:help")
PARTS = ("部门基本情况", "年度资金", "附件1", "附件2", "附件3", "自评报告", "填报信息")


@pytest.fixture
def officer(client):
    user = officer_of(DepartmentFactory())
    client.force_login(user)
    return user


def test_it_explains_every_part_score_and_finding_without_codes(client, officer):
    FiscalYearFactory(year=2024)
    html = client.get(HELP).content.decode()
    for part in PARTS:
        assert f"<dt>{part}" in html, part
    for figure in ("预算执行率", "执行率得分", "指标得分", "总分", "满分", "换算得分", "等次"):
        assert f"<dt>{figure}</dt>" in html, figure
    assert "换算得分</dt>\n    <dd>总分 ÷ 满分 × 100。" in html
    finding_list = html[html.index('id="help-finding-list"') :]
    for entry in FINDING_HELP.values():
        assert f'<th scope="row" class="fw-normal">{entry.title}</th>' in finding_list
    assert len(re.findall(r'<th scope="row"', finding_list)) == len(FINDING_CODES)
    assert not any(code in html for code in FINDING_CODES)
    assert accessibility_problems(html) == []


def test_it_gives_the_deadline_and_grade_bands_of_the_open_years(client, officer):
    FiscalYearFactory(year=2023, is_open=False, deadline=datetime.date(2024, 3, 31))
    year = FiscalYearFactory(year=2024, deadline=datetime.date(2025, 3, 31))
    template = year.default_template
    template.grade_excellent = "92.5"
    template.save()
    years = client.get(HELP).content.decode().split('id="help-years"')[1].split("</table>")[0]
    assert "2024年度" in years and "2025年3月31日" in years
    assert "优 ≥ 92.50；良 80～92.50（不含）" in years
    assert "2023年度" not in years  # closed


def test_a_filing_page_links_to_it_with_its_year_even_once_closed(client, officer):
    department = officer.memberships.get().department
    filing = blank_filing(department=department)
    filing.fiscal_year.is_open = False
    filing.fiscal_year.deadline = datetime.date(2024, 3, 31)
    filing.fiscal_year.save()
    page = client.get(reverse("evaluations:filing_part", args=[filing.pk, "overview"]))
    link = f"{HELP}?year=2023"
    assert f'href="{link}" id="help-link">填报说明</a>' in page.content.decode()
    years = client.get(link).content.decode().split('id="help-years"')[1]
    assert '<tr class="table-primary">\n              <th scope="row">2023年度</th>' in years
    assert "2024年3月31日" in years


def test_it_needs_a_login(client):
    response = client.get(HELP)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

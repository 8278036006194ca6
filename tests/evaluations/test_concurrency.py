"""Two people on the same filing: a save from a page rendered before someone
else's save is refused (optimistic concurrency), never silently overwrites,
and lists what the other person changed."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from evaluations.models import Filing
from tests.evaluations.pages import PageForm
from tests.factories import officer_of
from tests.helpers import import_example

pytestmark = pytest.mark.django_db

STALE = "该填报已被他人修改，请刷新后重试"


def part_url(filing, part):
    return reverse("evaluations:filing_part", args=[filing.pk, part])


@pytest.fixture
def filing():
    return import_example("junshan-2023")


@pytest.fixture
def alice(filing):
    client = Client()
    client.force_login(officer_of(filing.department, first_name="甲"))
    return client


@pytest.fixture
def bob(filing):
    client = Client()
    client.force_login(officer_of(filing.department, first_name="乙"))
    return client


def open_page(client, url, form_id="part-form"):
    response = client.get(url)
    assert response.status_code == 200
    return PageForm(response.content.decode(), form_id)


def stale_rows(html):
    """(项目, 您打开本页时, 现在) of the panel listing the changes made meanwhile."""
    panel = html[html.index('id="stale"') :]
    panel = panel[: panel.index("</section>")]
    return re.findall(
        r'<th scope="row" class="fw-normal">([^<]+)</th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>',
        panel,
        flags=re.DOTALL,
    )


def test_the_second_of_two_saves_of_the_same_page_is_refused_and_shows_what_changed(
    filing, alice, bob
):
    url = part_url(filing, "funds")
    alices_form = open_page(alice, url)
    bobs_form = open_page(bob, url)
    assert alices_form.data["version"] == bobs_form.data["version"] == str(filing.version)
    executed = alices_form.data["funds-executed"]

    alices_form.set(**{"funds-executed": "370.00"})
    assert alice.post(url, alices_form.data).status_code == 302

    bobs_form.set(**{"funds-basic": "123.45", "funds-personnel": "67.80"})
    response = bob.post(url, bobs_form.data)

    assert response.status_code == 409
    html = response.content.decode()
    assert STALE in html
    assert stale_rows(html) == [("年度资金 全年执行数", executed, "370.00")]
    assert 'value="123.45"' in html  # what Bob typed is still there to copy
    saved = Filing.objects.get(pk=filing.pk)
    assert saved.version == filing.version + 1
    assert str(saved.funds.executed) == "370.00"
    assert str(saved.funds.basic) != "123.45" and str(saved.funds.personnel) != "67.80"

    # Saving the same refused page again is refused again: it is still stale.
    again = PageForm(html)
    assert again.data["version"] == str(filing.version)
    assert bob.post(url, again.data).status_code == 409

    # After a reload Bob works on the latest version and his save goes through.
    bobs_form = open_page(bob, url)
    bobs_form.set(**{"funds-basic": "123.45"})
    assert bob.post(url, bobs_form.data).status_code == 302
    saved = Filing.objects.get(pk=filing.pk)
    assert (str(saved.funds.basic), str(saved.funds.executed)) == ("123.45", "370.00")


def test_a_save_on_another_page_meanwhile_also_makes_the_page_stale(filing, alice, bob):
    scores_url = part_url(filing, "scores")
    report_url = part_url(filing, "report")
    bobs_form = open_page(bob, scores_url)
    alices_form = open_page(alice, report_url)
    alices_form.set(**{"report-problems": "问题一：预算编制不够精细。"})
    alice.post(report_url, alices_form.data)

    bobs_form.fill("indicators", 7, deviation="经济效益评估偏保守。")
    response = bob.post(scores_url, bobs_form.data)

    assert response.status_code == 409
    rows = stale_rows(response.content.decode())
    assert [(label, new) for label, _old, new in rows] == [
        ("自评报告 七、存在的问题及原因分析", "问题一：预算编制不够精细。")
    ]
    indicator = filing.indicators.filter(project__isnull=True).order_by("position")[7]
    assert indicator.deviation == ""


def test_a_stale_page_stays_stale_through_a_validation_error(filing, alice, bob):
    url = part_url(filing, "contact")
    alices_form = open_page(alice, url)
    bobs_form = open_page(bob, url)
    alices_form.set(**{"contact-phone": "0730-1111111"})
    alice.post(url, alices_form.data)

    bobs_form.set(**{"contact-filled_on": "1999-01-01", "contact-preparer": "乙"})
    refused_value = bob.post(url, bobs_form.data)
    assert refused_value.status_code == 200
    assert "年份须在 2000 至 2100 之间" in refused_value.content.decode()

    fixed = PageForm(refused_value.content.decode())
    fixed.set(**{"contact-filled_on": "2024-07-30"})
    response = bob.post(url, fixed.data)
    assert response.status_code == 409
    assert stale_rows(response.content.decode())[0][0] == "填报信息 联系电话"
    saved = Filing.objects.get(pk=filing.pk)
    assert (saved.phone, saved.preparer) == ("0730-1111111", filing.preparer)


def test_a_post_without_its_version_or_with_a_forged_copy_is_refused(filing, alice):
    url = part_url(filing, "funds")
    form = open_page(alice, url)
    form.set(**{"funds-basic": "1.00"})
    without = {name: value for name, value in form.data.items() if name != "version"}
    response = alice.post(url, without)
    assert response.status_code == 409
    assert STALE in response.content.decode()
    assert "无法确定您打开本页时的内容" in response.content.decode()

    form.data["version"] = str(filing.version - 1 if filing.version > 1 else 0)
    form.data["rendered"] = "forged"
    assert alice.post(url, form.data).status_code == 409
    saved = Filing.objects.get(pk=filing.pk)
    assert saved.version == filing.version
    assert str(saved.funds.basic) != "1.00"


def test_a_project_is_not_added_or_removed_from_an_outdated_list(filing, alice, bob):
    projects_url = part_url(filing, "projects")
    project = filing.projects.get()
    add_url = reverse("evaluations:project_add", args=[filing.pk])
    alices_add = open_page(alice, projects_url, "project-add-form")
    alices_delete = open_page(alice, projects_url, f"project-delete-{project.pk}")
    bobs_add = open_page(bob, projects_url, "project-add-form")
    bobs_add.set(name="运行维护经费")
    assert bob.post(add_url, bobs_add.data).status_code == 302

    alices_add.set(name="业务工作经费")
    response = alice.post(add_url, alices_add.data)
    assert response.status_code == 409
    html = response.content.decode()
    assert STALE in html
    assert "附件3 项目2「运行维护经费」（新增行）" in html
    delete_url = reverse("evaluations:project_delete", args=[filing.pk, project.pk])
    assert alice.post(delete_url, alices_delete.data).status_code == 409
    assert list(filing.projects.order_by("position").values_list("name", flat=True)) == [
        project.name,
        "运行维护经费",
    ]

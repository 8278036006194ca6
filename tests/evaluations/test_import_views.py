"""The bureau's JSON import page: it lists every bad value of a refused file,
and stays within a reviewer's rights."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from departments.models import Department
from evaluations.models import Filing, FiscalYear
from evaluations.services.interchange import document_from_bytes, filing_import
from tests.factories import DepartmentFactory, FiscalYearFactory, JurisdictionFactory, reviewer_of
from tests.helpers import example_bytes

pytestmark = pytest.mark.django_db


def post(client, raw):
    client.force_login(reviewer_of(JurisdictionFactory(name="岳阳市君山区")))
    data = json.dumps(raw, ensure_ascii=False).encode("utf-8")
    return client.post(
        reverse("evaluations:filing_import"), {"file": SimpleUploadedFile("bad.json", data)}
    )


def junshan():
    return json.loads(example_bytes("junshan-2023"))


def test_three_bad_values_are_all_listed_with_their_paths(client):
    raw = junshan()
    raw["funds"]["executed"] = "一千"
    raw["indicators"][3]["weight"] = "十分"
    raw["contact"]["date"] = "2024年7月30日"

    response = post(client, raw)

    assert response.status_code == 400
    html = response.content.decode()
    assert "文件中共有 3 处问题" in html
    assert "导入失败：文件中有 3 处问题，见上方列表。" in html
    for line in (
        "<li>funds.executed：应为金额数字（如 “1007.30”），实际为 “一千”。</li>",
        "<li>indicators[3].weight：应为金额数字（如 “1007.30”），实际为 “十分”。</li>",
        "<li>contact.date：日期格式应为 YYYY-MM-DD，实际为 “2024年7月30日”。</li>",
    ):
        assert line in html
    assert not Filing.objects.exists()


def test_sixty_bad_values_list_fifty_and_say_how_many_more(client):
    raw = junshan()
    raw["indicators"] = [{**raw["indicators"][0], "score": "好"} for _ in range(60)]

    html = post(client, raw).content.decode()

    assert "文件中共有 60 处问题" in html
    assert html.count("<li>indicators[") == 50
    assert "<li>indicators[49].score：" in html and "indicators[50]" not in html
    assert "另有 10 处未列出。" in html
    assert not Filing.objects.exists()


def test_one_bad_value_is_said_under_the_file_field_alone(client):
    raw = junshan()
    raw["funds"]["executed"] = "一千"

    html = post(client, raw).content.decode()

    assert "导入失败：funds.executed：" in html
    assert 'id="import-problems"' not in html


def junshan_reviewer():
    jurisdiction = JurisdictionFactory(name="岳阳市君山区")
    DepartmentFactory(name="中共岳阳市君山区委办公室", jurisdiction=jurisdiction)
    FiscalYearFactory(year=2023)
    return reviewer_of(jurisdiction)


def upload(client, raw, **fields):
    data = json.dumps(raw, ensure_ascii=False).encode("utf-8")
    return client.post(
        reverse("evaluations:filing_import"),
        {"file": SimpleUploadedFile("junshan.json", data), **fields},
    )


def test_a_draft_is_not_overwritten_even_with_the_overwrite_box(client):
    client.force_login(junshan_reviewer())
    filing = filing_import(document=document_from_bytes(example_bytes("junshan-2023")))
    raw = junshan()
    raw["indicators"] = raw["indicators"][:1]

    response = upload(client, raw, replace="on")

    assert response.status_code == 400
    assert (
        "导入失败：中共岳阳市君山区委办公室 2023年度的自评状态为“草稿”：导入只能覆盖已退回的自评；"
        "草稿可能正由部门填写" in response.content.decode()
    )
    filing.refresh_from_db()
    assert filing.version == 1
    assert filing.indicators.filter(project=None).count() == len(junshan()["indicators"])


def test_a_file_for_a_year_that_does_not_exist_creates_nothing(client):
    client.force_login(junshan_reviewer())
    raw = junshan()
    raw["fiscal_year"] = 2099

    response = upload(client, raw)

    assert response.status_code == 400
    assert (
        "导入失败：fiscal_year：2099年度不存在；导入不会新建年度，请由系统管理员先在后台创建。"
        in response.content.decode()
    )
    assert not FiscalYear.objects.filter(year=2099).exists()
    assert not Filing.objects.exists()


def test_a_file_for_a_department_that_does_not_exist_creates_nothing(client):
    client.force_login(junshan_reviewer())
    raw = junshan()
    raw["department"]["name"] = "岳阳市君山区新设局"

    response = upload(client, raw)

    assert response.status_code == 400
    assert "没有预算部门“岳阳市君山区新设局”；导入不会新建部门" in response.content.decode()
    assert not Department.objects.filter(name="岳阳市君山区新设局").exists()


def test_a_lone_surrogate_in_the_file_is_a_plain_refusal(client):
    client.force_login(junshan_reviewer())
    raw = junshan()
    raw["report"]["problems"] = "问题\ud800"
    # As written by a tool that escapes non-ASCII: the file holds "\ud800".
    data = json.dumps(raw).encode("ascii")

    response = client.post(
        reverse("evaluations:filing_import"), {"file": SimpleUploadedFile("bad.json", data)}
    )

    assert response.status_code == 400
    assert "report.problems：文字中有无法保存的字符 \\ud800" in response.content.decode()
    assert not Filing.objects.exists()

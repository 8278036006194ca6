"""The page of a filing on a generic-layout form template (views/generic.py):
the Hubei 整体绩效自评表 (officer's own total) and the Hebei 考核自评表 (rows
scored, 不适用 rows leaving the applicable maximum)."""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from departments.models import Jurisdiction
from evaluations.core.generic import generic_document_to_json
from evaluations.form_templates import shipped_template_bytes
from evaluations.models import Filing, FilingRevision, FilingRow
from evaluations.services.form_templates import form_template_assign, form_template_install
from evaluations.services.generic_persistence import generic_document_read
from evaluations.services.interchange import document_from_bytes, filing_import
from evaluations.services.workflow import filing_transition
from tests.factories import FiscalYearFactory, officer_of, reviewer_of

pytestmark = pytest.mark.django_db

DEMO = Path(settings.BASE_DIR) / "evaluations" / "fixtures" / "demo"
HUBEI = ("zengdu-2023", "hubei-suizhou-overall@2023", "随州市曾都区")
HEBEI = ("hebei-demo-2023", "hebei-baoding-assessment@2023", "保定市示例县")
Status = Filing.Status


def generic_filing(example):
    """Import a demo document as a draft, its jurisdiction's 2023 on its template."""
    name, identity, jurisdiction_name = example
    form_template = form_template_install(data=shipped_template_bytes(identity), actor=None)
    jurisdiction, _ = Jurisdiction.objects.get_or_create(name=jurisdiction_name)
    form_template_assign(
        jurisdiction=jurisdiction,
        fiscal_year=FiscalYearFactory(year=2023),
        form_template=form_template,
    )
    return filing_import(document=document_from_bytes((DEMO / f"{name}.json").read_bytes()))


def page_url(filing):
    return reverse("evaluations:filing_part", args=[filing.pk, "overview"])


def posted(response) -> dict:
    """Every field of the page's form as the browser would post it unchanged."""
    html = response.content.decode()
    form = html[html.index('id="part-form"') : html.index("</form>", html.index('id="part-form"'))]
    data = {}
    for match in re.finditer(r"<input[^>]*>", form):
        tag = match.group(0)
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or " disabled" in tag:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if kind and kind.group(1) == "checkbox":
            if " checked" in tag:
                data[name.group(1)] = "on"
            continue
        data[name.group(1)] = _unescape(value.group(1)) if value else ""
    for match in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        if " disabled" not in match.group(0).split(">")[0]:
            data[match.group(1)] = _unescape(match.group(2).removeprefix("\n"))
    for match in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        if " disabled" in match.group(0).split(">")[0]:
            continue
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', match.group(2))
        data[match.group(1)] = _unescape(chosen.group(1)) if chosen else ""
    return data


def _unescape(text):
    import html

    return html.unescape(text)


@pytest.fixture
def hebei():
    return generic_filing(HEBEI)


@pytest.fixture
def hubei():
    return generic_filing(HUBEI)


def test_the_hebei_page_shows_every_row_of_the_template_and_the_scores(client, hebei):
    client.force_login(officer_of(hebei.department))
    response = client.get(page_url(hebei))
    assert response.status_code == 200
    page = response.content.decode()
    assert "部门绩效管理考核自评表" in page
    for label in ("专项资金管理", "“三保”支出保障", "参与财政改革创新情况", "存在问题"):
        assert label in page
    assert 'data-figure="applicable_maximum"' in page
    assert "换算得分 = " in page
    assert reverse("evaluations:generic_export_xlsx", args=[hebei.pk]) in page
    # The Hunan tabs are not offered.
    assert "附件2 自评表" not in page


def test_the_hubei_page_says_the_total_is_the_officers_own(client, hubei):
    client.force_login(officer_of(hubei.department))
    page = client.get(page_url(hubei)).content.decode()
    assert "单位自评填报，未按行计分" in page
    assert 'id="id_total-score"' in page
    assert "公用经费控制率" in page
    assert "＋ 增加“核心业务产出”行" in page


def test_the_unchanged_page_saves_nothing(client, hubei):
    client.force_login(officer_of(hubei.department))
    response = client.get(page_url(hubei))
    revisions = FilingRevision.objects.filter(filing=hubei).count()
    response = client.post(page_url(hubei), posted(response), follow=True)
    assert "没有修改，无需保存。" in response.content.decode()
    assert FilingRevision.objects.filter(filing=hubei).count() == revisions


def test_officer_saves_a_cell_a_free_row_and_a_not_applicable_row(client, hebei):
    officer = officer_of(hebei.department)
    client.force_login(officer)
    data = posted(client.get(page_url(hebei)))
    data["r-three_guarantees-c_score"] = "２.5分"  # typed as people type it
    data["r-fee_policies-not_applicable"] = "on"
    data["r-fee_policies-reason"] = "本局无收费项目。"
    data["f-function_rows-2-label"] = "负责示例宣传"
    data["f-function_rows-2-c_activity"] = "开展宣传活动"
    response = client.post(page_url(hebei), data)
    assert response.status_code == 302
    document = generic_document_to_json(generic_document_read(hebei))
    rows = {
        row.get("row") or row["cells"].get("label"): row for row in document["tables"]["assessment"]
    }
    assert rows["three_guarantees"]["cells"]["score"] == "2.50"
    assert rows["fee_policies"]["not_applicable"] is True
    assert rows["fee_policies"]["reason"] == "本局无收费项目。"
    functions = document["tables"]["functions"]
    assert functions[-1]["cells"] == {"label": "负责示例宣传", "activity": "开展宣传活动"}
    revision = FilingRevision.objects.filter(filing=hebei).order_by("-version").first()
    assert revision.actor == officer and revision.source == FilingRevision.Source.PAGE


def test_a_bad_number_is_refused_on_its_cell_and_nothing_is_written(client, hebei):
    client.force_login(officer_of(hebei.department))
    data = posted(client.get(page_url(hebei)))
    data["r-tight_budget-c_score"] = "四分"
    version = hebei.version
    response = client.post(page_url(hebei), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "本页未保存" in page
    assert 'href="#id_r-tight_budget-c_score"' in page
    assert "请输入得分" in page
    hebei.refresh_from_db()
    assert hebei.version == version


def test_a_save_on_an_outdated_page_is_refused_in_chinese(client, hebei):
    client.force_login(officer_of(hebei.department))
    data = posted(client.get(page_url(hebei)))
    other = dict(data)
    other["r-tight_budget-c_score"] = "3"
    assert client.post(page_url(hebei), other).status_code == 302
    data["r-tight_budget-c_score"] = "2"
    response = client.post(page_url(hebei), data)
    assert response.status_code == 409
    page = response.content.decode()
    assert "该填报已被他人修改" in page
    assert "落实过紧日子要求" in page  # what the other save changed
    assert generic_document_read(hebei).tables["assessment"][2].cells["score"] == Decimal("3")


def test_the_preview_scores_the_typed_page_without_writing(client, hebei):
    client.force_login(officer_of(hebei.department))
    data = posted(client.get(page_url(hebei)))
    before = client.post(reverse("evaluations:generic_preview", args=[hebei.pk]), data).json()
    data["r-fee_policies-not_applicable"] = "on"
    data["r-fee_policies-reason"] = "本局无收费项目。"
    version = hebei.version
    after = client.post(reverse("evaluations:generic_preview", args=[hebei.pk]), data).json()
    assert after["valid"] is True
    maximum = Decimal(before["figures"]["applicable_maximum"])
    assert Decimal(after["figures"]["applicable_maximum"]) == maximum - 4
    assert after["figures"]["normalized_score"] != before["figures"]["normalized_score"]
    hebei.refresh_from_db()
    assert hebei.version == version


def test_findings_link_to_the_cell_they_concern(client, hebei):
    client.force_login(officer_of(hebei.department))
    data = posted(client.get(page_url(hebei)))
    data["r-tight_budget-c_score"] = ""
    assert client.post(page_url(hebei), data).status_code == 302
    page = client.get(page_url(hebei)).content.decode()
    assert f"{page_url(hebei)}#id_r-tight_budget-c_score" in page
    assert 'id="id_r-tight_budget-c_score"' in page


def test_reviewer_enters_review_scores_only_while_under_review(client, hebei):
    officer = officer_of(hebei.department)
    reviewer = reviewer_of(hebei.department.jurisdiction)
    data_officer = posted(_as(client, officer).get(page_url(hebei)))
    hebei = filing_transition(filing=hebei, to=Status.SUBMITTED, actor=officer)
    client.force_login(reviewer)
    response = client.get(page_url(hebei))
    page = response.content.decode()
    assert "保存评定分数" in page
    data = posted(response)
    assert "r-three_guarantees-c_score" not in data  # the officer's cells are disabled
    data["r-three_guarantees-c_review_score"] = "2"
    data["r-three_guarantees-c_score"] = "0"  # ignored: not the reviewer's column
    assert client.post(page_url(hebei), data).status_code == 302
    row = FilingRow.objects.get(filing=hebei, row="three_guarantees")
    assert row.review_score == Decimal("2.00")
    assert row.cells["score"] == "3.00"
    # Above the row's maximum: refused with the row named.
    data = posted(client.get(page_url(hebei)))
    data["r-three_guarantees-c_review_score"] = "9"
    response = client.post(page_url(hebei), data)
    assert "“三保”支出保障" in response.content.decode()
    assert FilingRow.objects.get(pk=row.pk).review_score == Decimal("2.00")
    # The officer may not write while it is under review.
    client.force_login(officer)
    assert client.post(page_url(hebei), data_officer).status_code == 409


def _as(client, user):
    client.force_login(user)
    return client


def test_exports_and_the_draft_pdf(client, hubei):
    client.force_login(officer_of(hubei.department))
    exported = client.get(reverse("evaluations:filing_export", args=[hubei.pk]))
    assert exported.status_code == 200
    assert json.loads(exported.content)["format"] == "perfeval-filing/2"
    pdf = client.get(reverse("evaluations:filing_report", args=[hubei.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_json_upload_replaces_the_content_or_lists_every_problem(client, hubei):
    client.force_login(officer_of(hubei.department))
    raw = generic_document_to_json(generic_document_read(hubei))
    raw["narrative"]["deviation_causes"] = "年度目标均已完成。"
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("曾都.json", json.dumps(raw, ensure_ascii=False).encode())
    url = reverse("evaluations:generic_import", args=[hubei.pk])
    response = client.post(url, {"file": upload, "version": hubei.version}, follow=True)
    assert "1 处修改" in response.content.decode()
    assert generic_document_read(hubei).narrative["deviation_causes"] == "年度目标均已完成。"
    raw["header"]["basic_total"] = "很多"
    raw["tables"]["self_evaluation"][0]["cells"]["category"] = "其他"
    hubei.refresh_from_db()
    upload = SimpleUploadedFile("曾都.json", json.dumps(raw, ensure_ascii=False).encode())
    response = client.post(url, {"file": upload, "version": hubei.version}, follow=True)
    page = response.content.decode()
    assert "导入失败" in page and "header.basic_total" in page and "category" in page

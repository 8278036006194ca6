"""The page of a filing on a generic-layout form template (views/generic.py):
the Hubei 整体绩效自评表 (officer's own total) and the Hebei 考核自评表 (rows
scored, 不适用 rows leaving the applicable maximum)."""

import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from departments.models import Jurisdiction
from evaluations.core.generic import generic_document_to_json, generic_score
from evaluations.form_templates import shipped_template_bytes
from evaluations.models import Filing, FilingRevision, FilingRow
from evaluations.services.form_templates import form_template_assign, form_template_install
from evaluations.services.generic_excel import generic_workbook
from evaluations.services.generic_persistence import generic_document_read
from evaluations.services.interchange import document_from_bytes, filing_import
from evaluations.services.reports import report_freeze
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


def pdf_text(data: bytes, tmp_path) -> str:
    """The PDF's text in content order (-raw keeps the rotated 草稿 together)."""
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return "".join(result.stdout.split())


def test_exports_and_the_draft_pdf(client, hubei, tmp_path):
    client.force_login(officer_of(hubei.department))
    exported = client.get(reverse("evaluations:filing_export", args=[hubei.pk]))
    assert exported.status_code == 200
    assert json.loads(exported.content)["format"] == "perfeval-filing/2"
    pdf = client.get(reverse("evaluations:filing_report", args=[hubei.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "草稿" in pdf_text(pdf.content, tmp_path)


def test_the_report_frozen_at_approval_has_no_draft_watermark(client, hebei, tmp_path):
    officer = officer_of(hebei.department)
    reviewer = reviewer_of(hebei.department.jurisdiction)
    hebei = filing_transition(filing=hebei, to=Status.SUBMITTED, actor=officer)
    hebei = filing_transition(filing=hebei, to=Status.APPROVED, actor=reviewer)
    report_freeze(filing_id=hebei.pk)
    client.force_login(reviewer)
    pdf = client.get(reverse("evaluations:filing_report", args=[hebei.pk]))
    assert pdf.status_code == 200
    text = pdf_text(pdf.content, tmp_path)
    assert "换算得分" in text and "草稿" not in text


def upload(client, filing, name, data):
    url = reverse("evaluations:generic_import", args=[filing.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def confirm(client, filing, response, **kwargs):
    token = re.search(r'name="token" value="([0-9a-f]+)"', response.content.decode()).group(1)
    url = reverse("evaluations:generic_import_confirm", args=[filing.pk])
    return client.post(url, {"token": token}, **kwargs)


def json_bytes(raw) -> bytes:
    return json.dumps(raw, ensure_ascii=False).encode()


def test_a_json_upload_is_previewed_and_written_only_when_confirmed(client, hebei):
    officer = officer_of(hebei.department)
    client.force_login(officer)
    raw = generic_document_to_json(generic_document_read(hebei))
    raw["tables"]["assessment"][2]["cells"]["score"] = "2"
    raw["narrative"]["found_problems"] = "绩效目标设置不够细化。"
    version, revisions = hebei.version, FilingRevision.objects.filter(filing=hebei).count()

    response = upload(client, hebei, "保定.json", json_bytes(raw))

    assert response.status_code == 200
    page = response.content.decode()
    assert "确认导入（2 处修改）" in page and "尚未写入" in page
    assert "落实过紧日子要求" in page and "绩效目标设置不够细化。" in page
    figures = re.search(r'id="import-figures".*?</table>', page, re.S).group(0)
    assert "换算得分" in figures and "适用分值合计" in figures
    before = generic_score(generic_document_read(hebei), hebei.form_template.template())
    assert f"{before.normalized}" in figures
    hebei.refresh_from_db()
    assert hebei.version == version
    assert FilingRevision.objects.filter(filing=hebei).count() == revisions
    assert generic_document_read(hebei).tables["assessment"][2].cells["score"] == Decimal("4")

    done = confirm(client, hebei, response, follow=True)

    assert f"现为第 {version + 1} 版" in done.content.decode()
    assert generic_document_read(hebei).tables["assessment"][2].cells["score"] == Decimal("2")
    revision = FilingRevision.objects.filter(filing=hebei).order_by("-version").first()
    assert revision.actor == officer and revision.source == FilingRevision.Source.JSON
    # The token is spent: a second confirmation writes nothing.
    again = confirm(client, hebei, response, follow=True)
    assert "预览已失效" in again.content.decode()
    hebei.refresh_from_db()
    assert hebei.version == version + 1


def test_an_excel_upload_is_previewed_and_confirmed_as_an_excel_revision(client, hebei):
    officer = officer_of(hebei.department)
    client.force_login(officer)
    template = hebei.form_template.template()
    document = generic_document_read(hebei)
    document.tables["assessment"][2].cells["score"] = Decimal("2.5")
    data = generic_workbook(
        template=template, document=document, score=generic_score(document, template)
    )

    response = upload(client, hebei, "保定.xlsx", data)

    page = response.content.decode()
    assert "确认导入（1 处修改）" in page and "落实过紧日子要求" in page
    assert re.search(r"<td[^>]*>\s*4\s*</td>\s*<td[^>]*>\s*2.5\s*</td>", page)
    confirm(client, hebei, response)
    assert generic_document_read(hebei).tables["assessment"][2].cells["score"] == Decimal("2.5")
    revision = FilingRevision.objects.filter(filing=hebei).order_by("-version").first()
    assert revision.actor == officer and revision.source == FilingRevision.Source.EXCEL


def test_an_unchanged_file_changes_nothing(client, hubei):
    client.force_login(officer_of(hubei.department))
    raw = generic_document_to_json(generic_document_read(hubei))
    version = hubei.version
    response = upload(client, hubei, "曾都.json", json_bytes(raw))
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "文件与当前填报相同，未做任何修改。" in page
    hubei.refresh_from_db()
    assert hubei.version == version


def test_a_confirmation_after_the_filing_changed_is_refused(client, hubei):
    client.force_login(officer_of(hubei.department))
    raw = generic_document_to_json(generic_document_read(hubei))
    raw["narrative"]["deviation_causes"] = "年度目标均已完成。"
    response = upload(client, hubei, "曾都.json", json_bytes(raw))
    data = posted(client.get(page_url(hubei)))
    data["contact-preparer"] = "另一位填报人"
    assert client.post(page_url(hubei), data).status_code == 302
    hubei.refresh_from_db()
    version = hubei.version

    done = confirm(client, hubei, response, follow=True)

    assert "预览之后该填报已被修改" in done.content.decode()
    hubei.refresh_from_db()
    assert hubei.version == version
    assert generic_document_read(hubei).narrative["deviation_causes"] != "年度目标均已完成。"


def test_a_bad_upload_lists_every_problem_and_writes_nothing(client, hubei):
    client.force_login(officer_of(hubei.department))
    raw = generic_document_to_json(generic_document_read(hubei))
    raw["header"]["basic_total"] = "很多"
    raw["tables"]["self_evaluation"][0]["cells"]["category"] = "其他"
    version = hubei.version
    response = upload(client, hubei, "曾都.json", json_bytes(raw))
    page = client.get(response.url).content.decode()
    assert "导入失败" in page and "header.basic_total" in page and "category" in page
    hubei.refresh_from_db()
    assert hubei.version == version


def test_only_the_officer_may_preview_or_confirm_an_upload(client, hubei):
    client.force_login(reviewer_of(hubei.department.jurisdiction))
    raw = generic_document_to_json(generic_document_read(hubei))
    assert upload(client, hubei, "曾都.json", json_bytes(raw)).status_code == 403
    url = reverse("evaluations:generic_import_confirm", args=[hubei.pk])
    assert client.post(url, {"token": "0" * 32}).status_code == 403


def test_dashboard_and_my_filings_show_the_stored_figures_of_a_generic_filing(client, hebei):
    """换算得分 and 等次 as the last save stored them (core.generic), and 未完成
    while a part is missing; the dashboard says what its 总分 is for such a filing."""
    template = hebei.form_template.template()
    score = generic_score(generic_document_read(hebei), template)
    hebei.refresh_from_db()
    assert (hebei.total_score, hebei.grade) == (score.normalized, score.grade)
    client.force_login(officer_of(hebei.department))
    mine = client.get(reverse("evaluations:my_filings")).content.decode()
    shown = "未完成" if hebei.missing_count else score.grade
    assert re.search(
        rf">{score.normalized}<small[^>]*>换算得分</small></td>\s*<td>{shown}</td>", mine
    )
    client.force_login(reviewer_of(hebei.department.jurisdiction))
    board = client.get(reverse("evaluations:dashboard"), {"year": 2023}).content.decode()
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{hebei.department.name}.*?</tr>", board, re.S)
    assert row and str(score.normalized) in row.group(0) and shown in row.group(0)
    assert "其他表式" in board


def test_the_help_link_of_a_generic_filing_says_the_help_describes_the_hunan_forms(client, hubei):
    client.force_login(officer_of(hubei.department))
    page = client.get(page_url(hubei)).content.decode()
    link = re.search(r'<a[^>]*id="help-link"[^>]*>(.*?)</a>', page).group(0)
    href = re.search(r'href="([^"]+)"', link).group(1).replace("&amp;", "&")
    assert "湖南" in link
    help_page = client.get(href).content.decode()
    assert 'id="help-other-forms"' in help_page
    assert "湖南省表式" in help_page and "使用其他表式的填报" in help_page


def test_the_hunan_workbook_pages_of_a_generic_filing_lead_to_its_own(client, hebei):
    client.force_login(officer_of(hebei.department))
    download = client.get(reverse("evaluations:filing_export_xlsx", args=[hebei.pk]))
    assert download.url == reverse("evaluations:generic_export_xlsx", args=[hebei.pk])
    for name in ("filing_import_xlsx", "filing_import_xlsx_confirm"):
        response = client.post(reverse(f"evaluations:{name}", args=[hebei.pk]), {"token": "x"})
        assert response.url == f"{page_url(hebei)}#import"
    assert hebei.version == Filing.objects.get(pk=hebei.pk).version

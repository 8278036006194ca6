"""The Excel pages through the test client: who may download which workbook,
and an upload that is previewed before the officer confirms it."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Filing
from evaluations.services.excel import (
    FINDINGS_SHEET,
    SHEET_FUNDS,
    SHEET_PROFILE,
    SUMMARY_SHEET,
    filing_workbook,
)
from tests.evaluations.pages import accessibility_problems
from tests.evaluations.services import excel_hostile as hostile
from tests.factories import (
    DepartmentFactory,
    FiscalYearFactory,
    JurisdictionFactory,
    UserFactory,
    officer_of,
    reviewer_of,
)
from tests.helpers import import_example

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def filing():
    return import_example("junshan-2023")


@pytest.fixture
def officer(filing):
    return officer_of(filing.department)


@pytest.fixture
def reviewer(filing):
    return reviewer_of(filing.department.jurisdiction)


def url(name, filing):
    return reverse(f"evaluations:{name}", args=[filing.pk])


def workbook(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def edited(data, change):
    book = workbook(data)
    change(book)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def set_cell(sheet, coord, value):
    return lambda book: book[sheet].__setitem__(coord, value)


def upload(client, filing, data, name="自评.xlsx"):
    return client.post(
        url("filing_import_xlsx", filing), {"file": SimpleUploadedFile(name, data, XLSX)}
    )


def confirm(client, filing, response):
    return client.post(
        url("filing_import_xlsx_confirm", filing), {"token": response.context["token"]}
    )


def reloaded(filing):
    return Filing.objects.get(pk=filing.pk)


def set_status(filing, status):
    # Test set-up only: the workflow service is the one door in the app.
    Filing.objects.filter(pk=filing.pk).update(status=status)
    return reloaded(filing)


# --- downloads ------------------------------------------------------------------------


def test_officer_downloads_the_filing_as_a_workbook(client, filing, officer):
    client.force_login(officer)

    response = client.get(url("filing_export_xlsx", filing))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    assert ".xlsx" in response["Content-Disposition"]
    book = workbook(response.content)
    assert book.sheetnames[:2] == [SHEET_PROFILE, SHEET_FUNDS]
    assert book[SHEET_FUNDS]["C3"].value == pytest.approx(1013.19)


@pytest.mark.parametrize("status", [Filing.Status.SUBMITTED, Filing.Status.APPROVED])
def test_a_filing_downloads_in_any_status(client, filing, officer, reviewer, status):
    filing = set_status(filing, status)
    for user in (officer, reviewer):
        client.force_login(user)
        assert client.get(url("filing_export_xlsx", filing)).status_code == 200


def test_nobody_outside_the_department_and_its_bureau_gets_the_workbook(client, filing):
    outsiders = [officer_of(DepartmentFactory()), reviewer_of(JurisdictionFactory())]
    for user in outsiders:
        client.force_login(user)
        assert client.get(url("filing_export_xlsx", filing)).status_code == 404


def blank_url(department, year=2024):
    return reverse("evaluations:blank_workbook", args=[department.pk, year])


def test_blank_template_is_prefilled_for_the_departments_officer(client, filing, officer):
    client.force_login(officer)

    response = client.get(blank_url(filing.department))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    profile = workbook(response.content)[SHEET_PROFILE]
    assert profile["B3"].value == filing.department.name
    assert profile["B6"].value == 2024
    # 2023's profile texts are carried into the 2024 template.
    assert profile["B9"].value == reloaded(filing).profile.organization


def test_blank_template_is_for_the_bureau_of_the_jurisdiction_too(client, filing, reviewer):
    client.force_login(reviewer)
    assert client.get(blank_url(filing.department)).status_code == 200


def test_blank_template_of_another_department_does_not_exist_for_others(client, filing):
    for user in (officer_of(DepartmentFactory()), reviewer_of(JurisdictionFactory())):
        client.force_login(user)
        assert client.get(blank_url(filing.department)).status_code == 404


def test_blank_template_of_an_impossible_year_is_404(client, filing, officer):
    client.force_login(officer)
    assert client.get(blank_url(filing.department, year=1900)).status_code == 404


def summary_url(year=None):
    base = reverse("evaluations:summary_workbook")
    return f"{base}?year={year}" if year else base


def sheet_rows(sheet):
    return [row for row in sheet.iter_rows(min_row=3, values_only=True)]


def test_summary_workbook_lists_every_department_of_the_reviewers_jurisdiction(
    client, filing, reviewer
):
    waiting = DepartmentFactory(name="区统计局", jurisdiction=filing.department.jurisdiction)
    elsewhere = DepartmentFactory(name="别处的部门")
    client.force_login(reviewer)

    response = client.get(summary_url(2023))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    book = workbook(response.content)
    assert book.sheetnames == [SUMMARY_SHEET, FINDINGS_SHEET]
    rows = {row[2]: row for row in sheet_rows(book[SUMMARY_SHEET])}
    assert set(rows) == {filing.department.name, waiting.name}
    assert elsewhere.name not in rows
    filed = rows[filing.department.name]
    assert filed[4] == "草稿"
    assert filed[5:10] == (pytest.approx(1013.19), pytest.approx(1013.19), 100, 99, "优")
    assert rows[waiting.name][4] == "未开始"
    assert rows[waiting.name][5:] == (None,) * 7


def test_summary_workbook_lists_each_finding_with_its_place(client, filing, reviewer):
    client.force_login(reviewer)
    filing = reloaded(filing)

    book = workbook(client.get(summary_url(2023)).content)

    findings = sheet_rows(book[FINDINGS_SHEET])
    assert len(findings) == filing.error_count + filing.warning_count
    assert filing.error_count > 0
    first = findings[0]
    assert first[1:4] == (filing.department.jurisdiction.name, filing.department.name, "错误")
    assert "偏差原因" in first[4]
    assert first[5].startswith("附件2")
    assert len(first) == 6  # no internal finding code or document path for people to read
    summary = sheet_rows(book[SUMMARY_SHEET])[0]
    assert summary[10:] == (filing.error_count, filing.warning_count)


def test_summary_workbook_costs_a_fixed_number_of_queries_per_filing(client, filing, reviewer):
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as one:
        client.get(summary_url(2023))
    other = import_example("beita-2023")
    other.department.jurisdiction = filing.department.jurisdiction
    other.department.save()

    with CaptureQueriesContext(connection) as two:
        response = client.get(summary_url(2023))

    assert len(sheet_rows(workbook(response.content)[SUMMARY_SHEET])) == 2
    # filing_document reads one filing in 7 queries, whatever its size.
    assert len(two) - len(one) <= 7


def test_summary_workbook_without_a_year_is_the_latest(client, filing, reviewer):
    FiscalYearFactory(year=2024)
    client.force_login(reviewer)

    book = workbook(client.get(summary_url()).content)

    assert book[SUMMARY_SHEET]["A1"].value.startswith("2024年度")
    assert sheet_rows(book[SUMMARY_SHEET])[0][4] == "未开始"


def test_summary_workbook_is_for_the_bureau_only(client, filing, officer):
    client.force_login(officer)
    assert client.get(summary_url(2023)).status_code == 404
    client.force_login(reviewer_of(filing.department.jurisdiction))
    assert client.get(summary_url(1999)).status_code == 404
    assert client.get(f"{reverse('evaluations:summary_workbook')}?year=abc").status_code == 404


def test_summary_workbook_writes_typed_names_as_text_not_formulas(client, filing, reviewer):
    DepartmentFactory(name='=HYPERLINK("http://x")', jurisdiction=filing.department.jurisdiction)
    client.force_login(reviewer)

    book = workbook(client.get(summary_url(2023)).content)

    cells = [row[2] for row in book[SUMMARY_SHEET].iter_rows(min_row=3)]
    assert all(cell.data_type == "s" for cell in cells)


# --- upload: who may, and when --------------------------------------------------------


def test_upload_page_is_labelled_and_in_chinese(client, filing, officer):
    client.force_login(officer)

    response = client.get(url("filing_import_xlsx", filing))

    assert response.status_code == 200
    html = response.content.decode()
    assert "导入 Excel 工作簿" in html and "不接受公式" in html
    assert accessibility_problems(html) == []


def test_a_reviewer_reads_but_may_not_import(client, filing, reviewer):
    client.force_login(reviewer)
    data = filing_workbook(filing=filing)

    assert client.get(url("filing_import_xlsx", filing)).status_code == 403
    assert upload(client, filing, data).status_code == 403
    assert client.post(url("filing_import_xlsx_confirm", filing)).status_code == 403


def test_another_departments_officer_does_not_see_the_upload(client, filing):
    client.force_login(officer_of(DepartmentFactory()))
    assert client.get(url("filing_import_xlsx", filing)).status_code == 404


def test_a_superuser_may_not_import_into_a_departments_filing(client, filing):
    # Only the department's officers write its filing (DOMAIN.md).
    client.force_login(UserFactory(is_superuser=True))
    data = edited(filing_workbook(filing=filing), set_cell(SHEET_FUNDS, "E3", 12))

    assert upload(client, filing, data).status_code == 403
    assert reloaded(filing).funds.weight != Decimal("12.00")


@pytest.mark.parametrize("status", [Filing.Status.SUBMITTED, Filing.Status.APPROVED])
def test_a_filing_that_is_not_a_draft_or_returned_refuses_uploads(client, filing, officer, status):
    data = edited(filing_workbook(filing=filing), set_cell(SHEET_FUNDS, "E3", 12))
    filing = set_status(filing, status)
    client.force_login(officer)

    page = client.get(url("filing_import_xlsx", filing))
    response = upload(client, filing, data)

    assert page.status_code == response.status_code == 409
    assert "只有草稿或已退回的填报可以导入" in response.content.decode()
    assert reloaded(filing).version == filing.version


def test_a_returned_filing_accepts_an_upload(client, filing, officer):
    filing = set_status(filing, Filing.Status.RETURNED)
    client.force_login(officer)
    data = edited(filing_workbook(filing=filing), set_cell(SHEET_FUNDS, "E3", 12))

    response = confirm(client, filing, upload(client, filing, data))

    assert response.status_code == 302
    filing = reloaded(filing)
    assert filing.funds.weight == Decimal("12.00")
    assert filing.status == Filing.Status.RETURNED


# --- upload: preview, then confirm ----------------------------------------------------


def test_an_unchanged_workbook_previews_as_no_change_and_writes_nothing(client, filing, officer):
    client.force_login(officer)
    exported = client.get(url("filing_export_xlsx", filing)).content

    preview = upload(client, filing, exported)

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "无变化" in html
    assert url("filing_import_xlsx_confirm", filing) not in html
    assert accessibility_problems(html) == []

    response = confirm(client, filing, preview)

    assert response.status_code == 302
    after = reloaded(filing)
    assert after.version == filing.version
    assert after.updated_at == filing.updated_at
    assert "无变化" in next(str(message) for message in response.wsgi_request._messages)


def test_a_changed_cell_is_the_one_change_previewed_and_confirm_writes_it(client, filing, officer):
    client.force_login(officer)
    exported = client.get(url("filing_export_xlsx", filing)).content
    data = edited(exported, set_cell(SHEET_FUNDS, "C3", 1020))

    preview = upload(client, filing, data)

    assert preview.status_code == 200
    changes = preview.context["preview"].changes
    assert [(change.path, change.old, change.new) for change in changes] == [
        ("funds.full_year_budget", "1013.19", "1020.00")
    ]
    html = preview.content.decode()
    assert changes[0].label in html and "年度资金" in changes[0].label
    assert "1013.19" in html and "1020.00" in html
    assert "尚未写入" in html
    assert reloaded(filing).funds.full_year_budget == Decimal("1013.19")

    response = confirm(client, filing, preview)

    assert response.status_code == 302
    assert response["Location"] == filing.get_absolute_url()
    after = reloaded(filing)
    assert after.funds.full_year_budget == Decimal("1020.00")
    assert after.version == filing.version + 1
    message = str(next(iter(response.wsgi_request._messages)))
    assert message.startswith("已导入工作簿")
    assert f"错误 {after.error_count} 项，警告 {after.warning_count} 项" in message


def test_preview_shows_the_findings_the_filing_would_have(client, filing, officer):
    client.force_login(officer)
    exported = filing_workbook(filing=filing)
    # 全年执行数 above 全年预算数: a warning the filing does not have yet.
    data = edited(exported, set_cell(SHEET_FUNDS, "D3", 1100))

    preview = upload(client, filing, data)

    result = preview.context["preview"]
    assert "execution_over_100" in [finding.code for finding in result.warnings]
    html = preview.content.decode()
    assert f"错误 {len(result.errors)} 项" in html
    assert f"警告 {len(result.warnings)} 项" in html
    assert "超过100%" in html
    assert "年度资金" in html


def test_preview_grades_a_workbook_with_a_part_missing_as_unfinished(client, filing, officer):
    client.force_login(officer)
    assert "等次 优" in upload(client, filing, filing_workbook(filing=filing)).content.decode()
    data = edited(filing_workbook(filing=filing), set_cell(SHEET_FUNDS, "D3", None))  # 全年执行数

    html = upload(client, filing, data).content.decode()

    assert "等次 未完成" in html


def test_a_text_change_shows_old_and_new_text(client, filing, officer):
    client.force_login(officer)
    data = edited(filing_workbook(filing=filing), set_cell(SHEET_PROFILE, "B9", "机构设置已调整。"))

    preview = upload(client, filing, data)

    [change] = preview.context["preview"].changes
    assert change.path == "profile.organization"
    assert change.new == "机构设置已调整。"
    confirm(client, filing, preview)
    assert reloaded(filing).profile.organization == "机构设置已调整。"


def test_confirm_is_refused_when_the_filing_was_saved_meanwhile(client, filing, officer):
    client.force_login(officer)
    data = edited(filing_workbook(filing=filing), set_cell(SHEET_FUNDS, "C3", 1020))
    preview = upload(client, filing, data)
    Filing.objects.filter(pk=filing.pk).update(version=filing.version + 1)

    response = confirm(client, filing, preview)

    assert response.status_code == 409
    assert "该填报已被他人修改，请刷新后重试" in response.content.decode()
    assert reloaded(filing).funds.full_year_budget == Decimal("1013.19")
    # The stale preview is gone: confirming again cannot write it either.
    again = confirm(client, filing, preview)
    assert again.status_code == 302
    assert reloaded(filing).funds.full_year_budget == Decimal("1013.19")


def test_confirm_is_refused_when_the_filing_was_submitted_meanwhile(client, filing, officer):
    client.force_login(officer)
    data = edited(filing_workbook(filing=filing), set_cell(SHEET_FUNDS, "C3", 1020))
    preview = upload(client, filing, data)
    set_status(filing, Filing.Status.SUBMITTED)

    response = confirm(client, filing, preview)

    assert response.status_code == 409
    assert "已报送" in response.content.decode()
    assert reloaded(filing).funds.full_year_budget == Decimal("1013.19")


def test_confirm_without_a_preview_writes_nothing(client, filing, officer):
    client.force_login(officer)

    response = client.post(url("filing_import_xlsx_confirm", filing), {"token": "made-up"})

    assert response.status_code == 302
    assert response["Location"] == url("filing_import_xlsx", filing)
    assert reloaded(filing).version == filing.version


def test_only_the_latest_preview_can_be_confirmed(client, filing, officer):
    client.force_login(officer)
    exported = filing_workbook(filing=filing)
    first = upload(client, filing, edited(exported, set_cell(SHEET_FUNDS, "C3", 1020)))
    upload(client, filing, edited(exported, set_cell(SHEET_FUNDS, "C3", 1030)))

    response = confirm(client, filing, first)

    assert response.status_code == 302
    assert reloaded(filing).funds.full_year_budget == Decimal("1013.19")


def test_the_write_is_atomic(client, filing, officer, monkeypatch):
    client.force_login(officer)
    data = edited(filing_workbook(filing=filing), set_cell(SHEET_FUNDS, "C3", 1020))
    preview = upload(client, filing, data)

    def fail(**kwargs):
        raise RuntimeError("cache failed")

    # The last step of the write: rows, version and revision are written by then.
    monkeypatch.setattr("evaluations.services.persistence.filing_cache_store", fail)
    with pytest.raises(RuntimeError):
        confirm(client, filing, preview)

    after = reloaded(filing)
    assert after.funds.full_year_budget == Decimal("1013.19")
    assert after.version == filing.version
    assert after.indicators.count() == filing.indicators.count()
    assert after.revisions.count() == 1


# --- upload: refused files ------------------------------------------------------------


def refused(client, filing, data, name="自评.xlsx"):
    response = upload(client, filing, data, name)
    assert response.status_code == 400
    assert reloaded(filing).version == filing.version
    assert f"perfeval.excel_import.{filing.pk}" not in client.session
    return response.content.decode()


def test_an_xls_file_is_refused_with_a_chinese_message(client, filing, officer):
    client.force_login(officer)

    html = refused(client, filing, hostile.xls_bytes(), name="自评.xls")

    assert "Excel 97-2003 工作簿（.xls）" in html
    assert "在 Excel 或 WPS 表格中打开" in html and "另存为”Excel 工作簿（.xlsx）" in html


def test_a_formula_is_refused_naming_sheet_and_cell(client, filing, officer):
    client.force_login(officer)
    data = edited(filing_workbook(filing=filing), set_cell(SHEET_FUNDS, "C3", "=B3*2"))

    html = refused(client, filing, data)

    assert "工作表“年度资金”单元格 C3：全年预算数含公式，请改为数值。" in html


def test_a_workbook_of_another_department_is_refused(client, filing, officer):
    client.force_login(officer)
    other = import_example("beita-2023")

    html = refused(client, filing, filing_workbook(filing=other))

    assert "工作表“部门基本情况”单元格 B3" in html
    assert "请下载本部门本年度的模板" in html


def test_the_scoring_template_cannot_be_changed_from_the_workbook(client, filing, officer):
    client.force_login(officer)
    data = edited(filing_workbook(filing=filing), set_cell(SHEET_PROFILE, "B7", "默认评分模板"))

    html = refused(client, filing, data)

    assert "工作表“部门基本情况”单元格 B7：评分模板由财政局设定" in html
    assert reloaded(filing).template is None


def test_an_upload_over_the_size_limit_is_refused(client, filing, officer, settings):
    settings.PERFEVAL_XLSX_MAX_BYTES = 1024
    client.force_login(officer)

    html = refused(client, filing, filing_workbook(filing=filing))

    assert "文件过大" in html and "工作簿不能超过" in html


def test_an_empty_form_asks_for_a_file(client, filing, officer):
    client.force_login(officer)

    response = client.post(url("filing_import_xlsx", filing), {})

    assert response.status_code == 400
    assert "请选择要上传的工作簿" in response.content.decode()


def test_without_defusedxml_every_upload_is_refused(client, filing, officer, monkeypatch):
    monkeypatch.setattr("openpyxl.xml.DEFUSEDXML", False)
    client.force_login(officer)

    html = refused(client, filing, filing_workbook(filing=filing))

    assert "defusedxml" in html


def test_every_bad_cell_of_an_upload_is_listed_with_its_place(client, filing, officer):
    client.force_login(officer)
    data = filing_workbook(filing=filing)
    for change in (
        set_cell(SHEET_FUNDS, "C3", "=B3*2"),
        set_cell(SHEET_FUNDS, "D3", "很多"),
        set_cell(SHEET_FUNDS, "E3", 10.555),
    ):
        data = edited(data, change)

    html = refused(client, filing, data)

    assert "文件中共有 3 处问题" in html
    for line in (
        "<li>工作表“年度资金”单元格 C3：全年预算数含公式，请改为数值。</li>",
        "<li>工作表“年度资金”单元格 D3：全年执行数不是数字：“很多”。</li>",
        "<li>工作表“年度资金”单元格 E3：分值最多两位小数，实际为 10.555。</li>",
    ):
        assert line in html
    assert "未导入：工作簿中有 3 处问题，见上方列表。" in html
    assert "另有" not in html
    assert accessibility_problems(html) == []


HOSTILE_UPLOADS = {
    "merged_range_bomb": (
        lambda data: hostile.extra_merged_range(data, SHEET_PROFILE, "E40:XFD5000"),
        "工作表“部门基本情况”的合并单元格共覆盖",
    ),
    "sheet_part_named_bin": (
        lambda data: hostile.sheet_renamed(
            data, SHEET_PROFILE, "xl/worksheets/sheet1.bin", rows=400_000
        ),
        "工作表“部门基本情况”至少有",
    ),
    "bad_crc": (
        lambda data: hostile.bad_crc(data, "xl/styles.xml"),
        "工作簿已损坏（部件 xl/styles.xml 无法解压或校验不符）",
    ),
    "encrypted_entry": (
        lambda data: hostile.encrypted_entry(data, "xl/styles.xml"),
        "工作簿部件 xl/styles.xml 已加密",
    ),
}


@pytest.mark.parametrize("case", HOSTILE_UPLOADS)
def test_a_hostile_workbook_is_refused_with_a_plain_message(case, client, filing, officer):
    client.force_login(officer)
    make, expected = HOSTILE_UPLOADS[case]

    html = refused(client, filing, make(filing_workbook(filing=filing)))

    assert expected in html

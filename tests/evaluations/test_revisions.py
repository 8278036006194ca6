"""Every way a filing changes is a revision: pages, project tables, JSON and
workbook imports (web and command line), creation; 历史记录 and
自上次退回以来的修改 compare revisions."""

import io
import json
import re
from io import StringIO

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Filing, FilingRevision
from evaluations.services.editing import project_add, project_delete
from evaluations.services.excel import SHEET_FUNDS, filing_workbook
from evaluations.services.filings import filing_create
from evaluations.services.persistence import filing_document
from evaluations.services.workflow import filing_transition
from tests.evaluations.pages import PageForm
from tests.factories import (
    FiscalYearFactory,
    UserFactory,
    blank_filing,
    officer_of,
    reviewer_of,
)
from tests.helpers import EXAMPLES, import_example

pytestmark = pytest.mark.django_db

Source = FilingRevision.Source
JUNSHAN = "中共岳阳市君山区委办公室"
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def data_writes(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if _WRITE.match(query["sql"])]


def sources(filing):
    return list(filing.revisions.order_by("version").values_list("version", "source", "actor_name"))


def run(*args):
    stdout = StringIO()
    call_command(*args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def history(client, filing):
    """The table of 历史记录 as the page shows it."""
    html = client.get(reverse("evaluations:filing_history", args=[filing.pk])).content.decode()
    start = html.index('id="history"')
    return html[start : html.index("</table>", start)]


# --- command-line imports ---------------------------------------------------------------


def test_importing_an_unchanged_json_file_writes_nothing_and_adds_no_history(client):
    path = EXAMPLES / "junshan-2023.json"
    run("filing_import", str(path))
    filing = Filing.objects.get()
    client.force_login(reviewer_of(filing.department.jurisdiction))
    before = history(client, filing)

    with CaptureQueriesContext(connection) as queries:
        output = run("filing_import", str(path), "--replace")

    assert data_writes(queries) == []
    assert output.startswith("无变化：与现有内容相同，未写入（仍为第 1 版）")
    assert sources(filing) == [(1, Source.COMMAND, "系统")]
    assert history(client, filing) == before


def test_a_command_import_records_the_user_named_by_actor(tmp_path):
    admin = UserFactory(username="admin_li")
    run("filing_import", str(EXAMPLES / "junshan-2023.json"), "--actor", "admin_li")
    raw = json.loads((EXAMPLES / "junshan-2023.json").read_text(encoding="utf-8"))
    raw["report"]["other"] = "命令行补充。"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")

    output = run("filing_import", str(changed), "--replace", "--actor", "admin_li")

    filing = Filing.objects.get()
    assert output.startswith("已覆盖（第 2 版）")
    assert sources(filing) == [(1, Source.COMMAND, "admin_li"), (2, Source.COMMAND, "admin_li")]
    assert filing.revisions.get(version=2).actor == admin
    # django-auditlog names the same user on the rows it recorded.
    assert LogEntry.objects.get_for_object(filing.report).latest("pk").actor == admin


@pytest.mark.parametrize("command", ["filing_import", "filing_import_xlsx"])
def test_an_unknown_actor_is_refused_in_chinese_and_nothing_is_written(command):
    args = [command, str(EXAMPLES / "junshan-2023.json"), "--actor", "nobody"]
    if command == "filing_import_xlsx":
        args += ["--department", JUNSHAN, "--year", "2023"]
        import_example("junshan-2023")
    count = FilingRevision.objects.count()
    with pytest.raises(CommandError) as refused:
        run(*args)
    assert refused.value.returncode == 1
    assert "找不到用户“nobody”" in str(refused.value)
    assert FilingRevision.objects.count() == count


def test_a_workbook_import_from_the_command_line_is_a_revision_by_its_actor(tmp_path):
    filing = import_example("junshan-2023")
    UserFactory(username="admin_wang")
    book = openpyxl.load_workbook(io.BytesIO(filing_workbook(filing=filing)))
    book[SHEET_FUNDS]["C3"] = 1020
    path = tmp_path / "自评.xlsx"
    book.save(path)
    args = ("filing_import_xlsx", str(path), "--department", JUNSHAN, "--year", "2023")

    run(*args, "--actor", "admin_wang")
    with CaptureQueriesContext(connection) as queries:
        output = run(*args)  # the same workbook again

    assert data_writes(queries) == []
    assert output.startswith("无变化")
    assert sources(filing)[1:] == [(2, Source.COMMAND, "admin_wang")]
    changes = filing.revisions.get(version=2).document["funds"]["full_year_budget"]
    assert changes == "1020.00"


# --- the web --------------------------------------------------------------------------


def test_the_workbook_import_of_the_web_is_a_revision_by_the_officer(client):
    filing = import_example("junshan-2023")
    officer = officer_of(filing.department, username="tang")
    client.force_login(officer)
    book = openpyxl.load_workbook(io.BytesIO(filing_workbook(filing=filing)))
    book[SHEET_FUNDS]["C3"] = 1020
    output = io.BytesIO()
    book.save(output)
    upload = io.BytesIO(output.getvalue())
    upload.name = "自评.xlsx"
    page = client.post(
        reverse("evaluations:filing_import_xlsx", args=[filing.pk]), {"file": upload}
    )
    token = re.search(r'name="token" value="([0-9a-f]+)"', page.content.decode()).group(1)

    client.post(
        reverse("evaluations:filing_import_xlsx_confirm", args=[filing.pk]), {"token": token}
    )

    assert sources(filing)[-1] == (2, Source.EXCEL, "tang")


def test_the_json_import_of_the_web_is_a_revision_by_the_reviewer(client):
    filing = import_example("junshan-2023")
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.RETURNED)
    reviewer = reviewer_of(filing.department.jurisdiction, username="li")
    client.force_login(reviewer)
    raw = json.loads((EXAMPLES / "junshan-2023.json").read_text(encoding="utf-8"))
    raw["report"]["other"] = "审核人导入。"
    upload = io.BytesIO(json.dumps(raw, ensure_ascii=False).encode())
    upload.name = "a.json"

    client.post(reverse("evaluations:filing_import"), {"file": upload, "replace": "on"})

    assert sources(filing)[-1] == (2, Source.JSON, "li")


def test_project_tables_added_and_removed_are_revisions():
    filing = blank_filing()
    officer = UserFactory(username="zhou")
    project = project_add(filing=filing, actor=officer, name="业务经费", expected_version=1)
    project_delete(filing=filing, actor=officer, project=project, expected_version=2)

    assert sources(filing) == [
        (1, Source.CREATE, "系统"),
        (2, Source.PAGE, "zhou"),
        (3, Source.PAGE, "zhou"),
    ]
    assert [p["name"] for p in filing.revisions.get(version=2).document["projects"]] == ["业务经费"]
    assert filing.revisions.get(version=3).document["projects"] == []


def test_a_page_save_that_changes_nothing_writes_nothing(client):
    filing = import_example("junshan-2023")
    client.force_login(officer_of(filing.department))
    url = reverse("evaluations:filing_part", args=[filing.pk, "funds"])
    form = PageForm(client.get(url).content.decode())

    assert client.post(url, form.data).status_code == 302

    assert Filing.objects.get(pk=filing.pk).version == filing.version
    assert filing.revisions.count() == 1


def test_a_prefilled_filing_starts_with_a_prefill_revision_by_whoever_started_it(client):
    previous = import_example("junshan-2023")
    officer = officer_of(previous.department, username="tang")
    FiscalYearFactory(year=2024)
    client.force_login(officer)

    client.post(reverse("evaluations:filing_start", args=[previous.department.pk, 2024]))

    filing = Filing.objects.get(department=previous.department, fiscal_year__year=2024)
    assert sources(filing) == [(1, Source.PREFILL, "tang")]
    assert filing.prefilled_from_year == 2023
    document = filing.revisions.get().document
    assert document["indicators"][0]["name"] == filing_document(filing=previous).indicators[0].name
    assert document["indicators"][0]["score"] is None
    blank = filing_create(department=previous.department, fiscal_year=FiscalYearFactory(year=2030))
    assert sources(blank) == [(1, Source.CREATE, "系统")]


# --- history and changes since the return ---------------------------------------------


def test_history_lists_each_version_with_its_actor_time_and_changes(client):
    filing = import_example("junshan-2023")
    officer = officer_of(filing.department, username="tang", first_name="唐卫红")
    reviewer = reviewer_of(filing.department.jurisdiction, username="li", first_name="李审核")
    client.force_login(officer)
    url = reverse("evaluations:filing_part", args=[filing.pk, "report"])
    form = PageForm(client.get(url).content.decode())
    form.set(**{"report-other": "第一次修改。"})
    client.post(url, form.data)
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.SUBMITTED)
    filing.refresh_from_db()
    filing_transition(
        filing=filing, to=Filing.Status.RETURNED, actor=reviewer, comment="请补充说明。"
    )

    client.force_login(reviewer)
    html = history(client, filing)

    rows = re.findall(
        r'<tr class="history-(\w+)">\s*<td class="text-nowrap">([^<]+)</td>\s*<td>([^<]*)</td>',
        html,
    )
    assert [(kind, actor) for kind, _at, actor in rows] == [
        ("transition", "李审核"),
        ("update", "唐卫红"),
        ("create", "系统"),
    ]
    assert "第 2 版：网页填报" in html and "第 1 版：导入 JSON 文件" in html
    assert "自评报告 十、其他需要说明的情况" in html
    assert "第一次修改。" in html


def test_changes_since_the_return_compare_the_revision_at_the_return_with_the_latest(client):
    filing = import_example("junshan-2023")
    officer = officer_of(filing.department)
    reviewer = reviewer_of(filing.department.jurisdiction)
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.SUBMITTED)
    filing.refresh_from_db()
    filing = filing_transition(
        filing=filing, to=Filing.Status.RETURNED, actor=reviewer, comment="请补充说明。"
    )
    # The snapshot the return stored is not what is compared: the revisions are.
    filing.transitions.update(snapshot={"report": {"other": "不是退回时的内容"}})
    client.force_login(officer)
    url = reverse("evaluations:filing_part", args=[filing.pk, "report"])
    form = PageForm(client.get(url).content.decode())
    form.set(**{"report-other": "退回后修改。"})
    client.post(url, form.data)

    client.force_login(reviewer)
    html = client.get(reverse("evaluations:filing_changes", args=[filing.pk])).content.decode()

    assert html.count('<tr class="change-') == 1
    assert "自评报告 十、其他需要说明的情况" in html and "退回后修改。" in html
    assert "不是退回时的内容" not in html


def test_history_of_a_generic_filing_names_its_changes_with_the_template_labels():
    from evaluations.selectors import filing_history
    from evaluations.services.interchange import (
        document_from_bytes,
        filing_export_json,
        filing_import,
    )
    from tests.evaluations.test_generic_filings import encoded, zengdu_filing

    filing = zengdu_filing()
    changed = filing_export_json(filing=filing)
    changed["tables"]["self_evaluation"][0]["cells"]["actual"] = "98%"
    author = UserFactory(username="bureau_admin")
    filing_import(document=document_from_bytes(encoded(changed)), replace=True, author=author)

    entry = next(e for e in filing_history(filing=filing) if e.title.startswith("第 2 版"))

    assert entry.actor == "bureau_admin"
    assert [(field.label, field.old, field.new) for field in entry.fields] == [
        ("整体绩效自评表 公用经费控制率 实际完成值（B）", "100%", "98%")
    ]

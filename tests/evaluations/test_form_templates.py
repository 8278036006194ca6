"""Form templates in the database: install, refusal, idempotence, immutability,
the `form_template_load` command, which template a filing is made on, and
the admin pages."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError
from django.urls import reverse

from departments.models import Membership
from evaluations.form_templates import SHIPPED, shipped_template_bytes
from evaluations.models import Filing, FiscalYear, FormTemplate, JurisdictionYearTemplate
from evaluations.services.filings import filing_create
from evaluations.services.form_templates import (
    FormTemplateError,
    canonical_sha256,
    form_template_assign,
    form_template_for,
    form_template_install,
)
from tests.factories import DepartmentFactory, FiscalYearFactory, UserFactory, blank_filing

pytestmark = pytest.mark.django_db

HUBEI = "hubei-suizhou-overall@2023"


def hubei_bytes() -> bytes:
    return shipped_template_bytes(HUBEI)


def hubei_raw() -> dict:
    return json.loads(hubei_bytes())


def write(tmp_path, raw, name="template.json"):
    path = tmp_path / name
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


def run_load(*args):
    stdout = StringIO()
    call_command("form_template_load", *[str(arg) for arg in args], stdout=stdout)
    return stdout.getvalue()


def refused(*args):
    with pytest.raises(CommandError) as caught:
        run_load(*args)
    assert caught.value.returncode == 1
    return str(caught.value)


# --- install ---------------------------------------------------------------------------


def test_migration_installed_the_hunan_template_and_new_filings_use_it():
    hunan = FormTemplate.objects.get(code="hunan-overall", version="2023")
    assert hunan.layout == FormTemplate.Layout.HUNAN
    assert hunan.sha256 == canonical_sha256(hunan.content)
    assert blank_filing().form_template == hunan


def test_install_stores_the_file_as_loaded_and_who_installed_it():
    admin = UserFactory(username="root")

    installed = form_template_install(data=hubei_bytes(), actor=admin)

    assert (installed.code, installed.version, installed.layout) == (
        "hubei-suizhou-overall",
        "2023",
        "generic",
    )
    assert installed.title == "整体绩效自评表"
    assert installed.region == "湖北省随州市"
    assert installed.installed_by == admin
    assert installed.content == hubei_raw()
    assert installed.template().identity == HUBEI
    # Parsed once per instance.
    assert installed.template() is installed.template()


def test_refused_template_lists_every_problem_with_its_path_and_installs_nothing():
    raw = hubei_raw()
    raw["layout"] = "sideways"
    raw["tables"][0]["columns"][0]["type"] = "colour"
    before = FormTemplate.objects.count()

    with pytest.raises(FormTemplateError) as caught:
        form_template_install(data=json.dumps(raw).encode(), actor=None)

    paths = [problem.path for problem in caught.value.problems]
    assert "layout" in paths
    assert "tables[0].columns[0].type" in paths
    assert FormTemplate.objects.count() == before


def test_file_that_is_not_json_is_refused_at_the_file():
    with pytest.raises(FormTemplateError) as caught:
        form_template_install(data=b"{not json", actor=None)
    assert caught.value.problems[0].path == "$"


def test_installing_the_same_content_again_changes_nothing():
    first = form_template_install(data=hubei_bytes(), actor=None)
    # The same content written with other spacing and key order.
    respaced = json.dumps(hubei_raw(), ensure_ascii=False, indent=1, sort_keys=True).encode()

    again = form_template_install(data=respaced, actor=UserFactory())

    assert again.pk == first.pk
    assert again.installed_by is None
    assert FormTemplate.objects.filter(code="hubei-suizhou-overall").count() == 1


def test_other_content_under_an_installed_identity_is_refused():
    installed = form_template_install(data=hubei_bytes(), actor=None)
    raw = hubei_raw()
    raw["title"] = "整体绩效自评表（改）"

    with pytest.raises(FormTemplateError) as caught:
        form_template_install(data=json.dumps(raw).encode(), actor=None)

    assert str(caught.value) == (
        "$：模板 hubei-suizhou-overall@2023 已安装且内容不同：修改模板须使用新版本号。"
    )
    installed.refresh_from_db()
    assert installed.title == "整体绩效自评表"
    # A new version is a new template.
    raw["version"] = "2023.1"
    assert form_template_install(data=json.dumps(raw).encode(), actor=None).pk != installed.pk


def test_a_template_in_use_cannot_be_deleted():
    hunan = blank_filing().form_template
    with pytest.raises(ProtectedError):
        hunan.delete()


# --- the command -----------------------------------------------------------------------


def test_command_installs_and_reports_tables_and_rows(tmp_path):
    output = run_load(SHIPPED[1])
    assert output.strip() == "已安装 hubei-suizhou-overall@2023（1 个表、30 行）"
    assert FormTemplate.objects.filter(code="hubei-suizhou-overall").exists()


def test_command_run_twice_says_nothing_changed():
    run_load(SHIPPED[2])
    output = run_load(SHIPPED[2])
    assert output.strip() == (
        "已安装 hebei-baoding-assessment@2023（3 个表、28 行）（此前已安装，内容相同，未改动）"
    )


def test_command_records_the_actor():
    UserFactory(username="bureau_admin")
    run_load(SHIPPED[1], "--actor", "bureau_admin")
    installed = FormTemplate.objects.get(code="hubei-suizhou-overall")
    assert installed.installed_by.username == "bureau_admin"


def test_command_refusal_prints_each_problem_with_its_path_and_exits_1(tmp_path):
    raw = hubei_raw()
    raw["code"] = "Bad Code"
    raw["scoring"]["grades"][-1]["min"] = 5
    message = refused(write(tmp_path, raw))

    lines = message.splitlines()
    assert lines[0].startswith("未安装：文件 ")
    assert any(line.startswith("code：") for line in lines[1:])
    assert any(line.startswith("scoring.grades") for line in lines[1:])
    assert not FormTemplate.objects.filter(code="Bad Code").exists()


def test_command_refuses_changed_content_under_the_same_version(tmp_path):
    run_load(SHIPPED[1])
    raw = hubei_raw()
    raw["region"] = "湖北省"
    message = refused(write(tmp_path, raw))
    assert (
        "$：模板 hubei-suizhou-overall@2023 已安装且内容不同：修改模板须使用新版本号。" in message
    )


def test_command_refuses_an_unknown_actor_and_a_missing_file(tmp_path):
    assert refused(SHIPPED[1], "--actor", "nobody") == "找不到用户“nobody”。"
    assert refused(tmp_path / "missing.json").startswith("无法读取文件 ")
    assert not FormTemplate.objects.filter(code="hubei-suizhou-overall").exists()


# --- which template a filing is made on ------------------------------------------------------


def test_jurisdiction_assignment_overrides_the_year_and_the_filing_keeps_its_template():
    hubei = form_template_install(data=hubei_bytes(), actor=None)
    hebei = form_template_install(data=SHIPPED[2].read_bytes(), actor=None)
    year = FiscalYearFactory(year=2023)
    department = DepartmentFactory()
    other = DepartmentFactory()
    assert form_template_for(department=department, fiscal_year=year).code == "hunan-overall"

    year.form_template = hebei
    year.save()
    form_template_assign(
        jurisdiction=department.jurisdiction, fiscal_year=year, form_template=hubei
    )

    assert form_template_for(department=department, fiscal_year=year) == hubei
    assert form_template_for(department=other, fiscal_year=year) == hebei
    filing = filing_create(department=department, fiscal_year=year)
    assert filing.form_template == hubei
    assert filing.layout == "generic"


def test_reassigning_a_year_whose_filings_use_another_template_is_refused():
    hubei = form_template_install(data=hubei_bytes(), actor=None)
    filing = blank_filing()
    jurisdiction = filing.department.jurisdiction

    with pytest.raises(FormTemplateError) as caught:
        form_template_assign(
            jurisdiction=jurisdiction, fiscal_year=filing.fiscal_year, form_template=hubei
        )

    assert "已有 1 份自评使用其他表式" in str(caught.value)
    assert not JurisdictionYearTemplate.objects.exists()


def test_default_template_is_installed_again_when_the_database_lost_it():
    FormTemplate.objects.filter(code="hunan-overall").delete()
    filing = blank_filing()
    assert filing.form_template.identity == "hunan-overall@2023"


# --- admin -----------------------------------------------------------------------------


@pytest.fixture
def bureau_admin_client(client):
    user = UserFactory(username="site_admin", is_staff=True, is_superuser=True)
    Membership.objects.create(user=user, role=Membership.Role.ADMIN)
    client.force_login(user)
    return client


def test_admin_lists_templates_with_their_filings(bureau_admin_client):
    form_template_install(data=hubei_bytes(), actor=None)
    blank_filing()

    response = bureau_admin_client.get(reverse("admin:evaluations_formtemplate_changelist"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "hubei-suizhou-overall" in text
    assert "湖北省随州市" in text
    assert "打印空白表（PDF）" in text
    assert "下载空白表（Excel）" in text


def test_admin_detail_shows_tables_and_rows_read_only(bureau_admin_client):
    installed = form_template_install(data=hubei_bytes(), actor=None)
    url = reverse("admin:evaluations_formtemplate_change", args=[installed.pk])

    response = bureau_admin_client.get(url)

    assert response.status_code == 200
    text = response.content.decode()
    first_row = installed.template().tables[0].row("public_funds_rate").row
    assert first_row.label in text
    assert "整体绩效自评表" in text
    assert 'name="title"' not in text  # no editable field
    assert bureau_admin_client.post(url, {"title": "改"}).status_code == 403
    installed.refresh_from_db()
    assert installed.title == "整体绩效自评表"


def test_admin_downloads_the_blank_forms_of_a_generic_template(bureau_admin_client):
    installed = form_template_install(data=hubei_bytes(), actor=None)

    pdf = bureau_admin_client.get(
        reverse("admin:evaluations_formtemplate_blank_pdf", args=[installed.pk])
    )
    workbook = bureau_admin_client.get(
        reverse("admin:evaluations_formtemplate_blank_xlsx", args=[installed.pk])
    )

    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert workbook.status_code == 200
    assert workbook.content.startswith(b"PK")  # a zip: the xlsx container
    assert HUBEI in workbook["Content-Disposition"]


def test_admin_prints_the_hand_made_blank_forms_of_the_hunan_template(bureau_admin_client, client):
    import io

    import openpyxl

    hunan = FormTemplate.objects.get(code="hunan-overall")
    pdf_url = reverse("admin:evaluations_formtemplate_blank_pdf", args=[hunan.pk])
    xlsx_url = reverse("admin:evaluations_formtemplate_blank_xlsx", args=[hunan.pk])

    pdf = bureau_admin_client.get(pdf_url)
    workbook = bureau_admin_client.get(xlsx_url)

    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    sheets = openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames
    assert any("附件1" in name for name in sheets) and any("附件2" in name for name in sheets)
    assert "hunan-overall@2023" in workbook["Content-Disposition"]
    client.logout()
    assert client.get(pdf_url).status_code == 302  # to the admin login


def test_admin_assignment_refused_while_filings_use_another_template(bureau_admin_client):
    hubei = form_template_install(data=hubei_bytes(), actor=None)
    filing = blank_filing()

    response = bureau_admin_client.post(
        reverse("admin:evaluations_jurisdictionyeartemplate_add"),
        {
            "jurisdiction": filing.department.jurisdiction.pk,
            "fiscal_year": filing.fiscal_year.pk,
            "form_template": hubei.pk,
        },
    )

    assert response.status_code == 200
    assert "已有 1 份自评使用其他表式" in response.content.decode()
    assert not JurisdictionYearTemplate.objects.exists()


# --- migration 0012 ----------------------------------------------------------------------


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_migration_points_every_existing_year_and_filing_at_the_hunan_template():
    graph = MigrationExecutor(connection).loader.graph
    others = [node for node in graph.leaf_nodes() if node[0] != "evaluations"]
    targets = [("evaluations", "0011_filing_revision"), *others]
    try:
        apps = _migrate(targets)
        template = apps.get_model("evaluations", "ScoringTemplate").objects.create(name="旧模板")
        jurisdiction = apps.get_model("departments", "Jurisdiction").objects.create(name="旧区")
        department = apps.get_model("departments", "Department").objects.create(
            name="旧部门", jurisdiction=jurisdiction
        )
        year = apps.get_model("evaluations", "FiscalYear").objects.create(
            year=2022, default_template=template
        )
        filing = apps.get_model("evaluations", "Filing").objects.create(
            department=department, fiscal_year=year
        )
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    hunan = FormTemplate.objects.get(code="hunan-overall", version="2023")
    assert hunan.content == json.loads(shipped_template_bytes("hunan-overall@2023"))
    assert hunan.sha256 == canonical_sha256(hunan.content)
    assert FiscalYear.objects.get(pk=year.pk).form_template == hunan
    assert Filing.objects.get(pk=filing.pk).form_template == hunan
    # The shipped file installed again is the same template.
    assert (
        form_template_install(data=shipped_template_bytes("hunan-overall@2023"), actor=None)
        == hunan
    )


def test_admin_refuses_a_year_template_that_its_filings_do_not_use(bureau_admin_client):
    hubei = form_template_install(data=hubei_bytes(), actor=None)
    filing = blank_filing()
    year = filing.fiscal_year
    url = reverse("admin:evaluations_fiscalyear_change", args=[year.pk])
    data = {
        "year": year.year,
        "deadline": "",
        "is_open": "on",
        "default_template": year.default_template.pk,
        "form_template": hubei.pk,
    }

    response = bureau_admin_client.post(url, data)

    assert response.status_code == 200
    assert "已有 1 份自评使用其他表式" in response.content.decode()
    year.refresh_from_db()
    assert year.form_template is None
    # Once the jurisdiction names its own forms, the year may change for the others.
    form_template_assign(
        jurisdiction=filing.department.jurisdiction,
        fiscal_year=year,
        form_template=filing.form_template,
    )
    assert bureau_admin_client.post(url, data).status_code == 302
    year.refresh_from_db()
    assert year.form_template == hubei

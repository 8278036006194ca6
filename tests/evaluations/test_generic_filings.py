"""Filings on form templates: perfeval-filing/2 reading (Hunan and generic),
the generic write path and its revisions, export and re-import, and a
made-up province's template (tests/core/fixtures) through Django."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.models import Department, Jurisdiction
from evaluations.core.generic import GenericDocument
from evaluations.form_templates import shipped_template_bytes
from evaluations.models import Filing, FilingRevision, FilingRow
from evaluations.services.filings import filing_create
from evaluations.services.form_templates import form_template_assign, form_template_install
from evaluations.services.generic_persistence import (
    DocumentError as GenericDocumentError,
)
from evaluations.services.generic_persistence import (
    generic_document_read,
    generic_document_write,
)
from evaluations.services.interchange import (
    DocumentError,
    document_from_bytes,
    document_from_json,
    filing_export_json,
    filing_import,
)
from evaluations.services.persistence import StaleFiling
from evaluations.services.summary import filing_summary_refresh
from tests.factories import FiscalYearFactory, UserFactory

pytestmark = pytest.mark.django_db

DEMO = Path(settings.BASE_DIR) / "evaluations" / "fixtures" / "demo"
CORE_FIXTURES = Path(settings.BASE_DIR) / "tests" / "core" / "fixtures"
HUBEI = "hubei-suizhou-overall@2023"
ZENGDU = "随州市曾都区"


def demo(name) -> dict:
    return json.loads((DEMO / name).read_text(encoding="utf-8"))


def encoded(raw: dict) -> bytes:
    return json.dumps(raw, ensure_ascii=False).encode("utf-8")


def assigned(jurisdiction_name, identity=HUBEI, year=2023, data=None):
    """Install `identity` and make it the template of the jurisdiction's year."""
    form_template = form_template_install(
        data=data if data is not None else shipped_template_bytes(identity), actor=None
    )
    jurisdiction, _ = Jurisdiction.objects.get_or_create(name=jurisdiction_name)
    form_template_assign(
        jurisdiction=jurisdiction,
        fiscal_year=FiscalYearFactory(year=year),
        form_template=form_template,
    )
    return form_template


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Filing, FilingRow, FilingRevision, Department, Jurisdiction)
    }


def writes(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def zengdu_filing():
    assigned(ZENGDU)
    return filing_import(document=document_from_bytes(encoded(demo("zengdu-2023.json"))))


# --- reading /1 and /2 -------------------------------------------------------------------


def test_version_1_file_is_read_and_imported_as_the_hunan_template():
    document = document_from_bytes((DEMO / "beita-2023.json").read_bytes())

    filing = filing_import(document=document)

    assert filing.form_template.identity == "hunan-overall@2023"
    assert filing.layout == "hunan"


def test_hunan_version_2_is_version_1_plus_its_form_template():
    raw = demo("beita-2023.json")
    version_2 = {
        **raw,
        "format": "perfeval-filing/2",
        "form_template": {"code": "hunan-overall", "version": "2023"},
    }
    assert document_from_json(version_2) == document_from_json(raw)


@pytest.mark.parametrize(
    "reference",
    [{"code": "nowhere", "version": "2023"}, {"code": "hunan-overall", "version": "1999"}],
)
def test_unknown_template_or_version_is_refused_and_nothing_is_written(reference):
    raw = {**demo("zengdu-2023.json"), "form_template": reference}
    before = counts()

    with pytest.raises(DocumentError) as caught:
        filing_import(document=document_from_bytes(encoded(raw)))

    identity = f"{reference['code']}@{reference['version']}"
    assert caught.value.problems[0].path == "form_template"
    assert caught.value.problems[0].message == f"未安装的表式模板：{identity}"
    assert counts() == before


HUNAN_2024 = "hunan-overall@2024"


def hunan_2024_bytes() -> bytes:
    """The Hunan forms as another version: a Hunan-layout template other than
    the one /1 files are read as."""
    raw = json.loads(shipped_template_bytes("hunan-overall@2023"))
    raw["version"] = "2024"
    return encoded(raw)


def test_hunan_filing_exports_as_version_2_naming_its_template_and_reimports_unchanged():
    filing = filing_import(document=document_from_bytes((DEMO / "beita-2023.json").read_bytes()))

    exported = filing_export_json(filing=filing)
    assert exported["format"] == "perfeval-filing/2"
    assert exported["form_template"] == {"code": "hunan-overall", "version": "2023"}
    assert list(exported)[:3] == ["format", "form_template", "fiscal_year"]
    with CaptureQueriesContext(connection) as queries:
        again = filing_import(document=document_from_bytes(encoded(exported)), replace=True)

    assert writes(queries) == []
    assert again.version == 1


def test_hunan_filing_on_another_version_exports_and_stores_that_version():
    raw = demo("beita-2023.json")
    assigned(raw["department"]["jurisdiction"], HUNAN_2024, data=hunan_2024_bytes())
    version_2 = {
        **raw,
        "format": "perfeval-filing/2",
        "form_template": {"code": "hunan-overall", "version": "2024"},
    }

    filing = filing_import(document=document_from_json(version_2))

    assert filing.form_template.identity == HUNAN_2024
    assert filing.layout == "hunan"
    reference = {"code": "hunan-overall", "version": "2024"}
    assert filing.revisions.get().document["form_template"] == reference
    assert filing_export_json(filing=filing)["form_template"] == reference


@pytest.mark.parametrize("fmt", ["perfeval-filing/1", "perfeval-filing/2"])
def test_hunan_file_of_another_version_than_the_filings_is_refused_writing_nothing(fmt):
    raw = demo("beita-2023.json")
    assigned(raw["department"]["jurisdiction"], HUNAN_2024, data=hunan_2024_bytes())
    filing = filing_import(
        document=document_from_json(
            {
                **raw,
                "format": "perfeval-filing/2",
                "form_template": {"code": "hunan-overall", "version": "2024"},
            }
        )
    )
    other = {**raw, "format": fmt}
    if fmt == "perfeval-filing/2":
        other["form_template"] = {"code": "hunan-overall", "version": "2023"}
    other["report"] = {**raw["report"], "other": "改过的说明。"}
    before = counts()

    with pytest.raises(DocumentError) as caught:
        filing_import(document=document_from_json(other), replace=True)

    assert caught.value.path == "form_template"
    assert "使用表式 hunan-overall@2024，文件为 hunan-overall@2023" in caught.value.message
    assert counts() == before
    filing.refresh_from_db()
    assert filing.version == 1


def test_new_hunan_filing_of_a_year_on_another_hunan_version_is_refused():
    raw = demo("beita-2023.json")
    assigned(raw["department"]["jurisdiction"], HUNAN_2024, data=hunan_2024_bytes())
    before = counts()

    with pytest.raises(DocumentError) as caught:
        filing_import(document=document_from_json(raw))

    assert caught.value.path == "form_template"
    assert "文件为 hunan-overall@2023" in caught.value.message
    assert counts() == before


def test_version_2_without_form_template_is_refused():
    raw = demo("zengdu-2023.json")
    del raw["form_template"]
    with pytest.raises(DocumentError) as caught:
        document_from_json(raw)
    assert caught.value.path == "form_template"


def test_generic_document_errors_name_their_paths():
    form_template_install(data=shipped_template_bytes(HUBEI), actor=None)
    raw = demo("zengdu-2023.json")
    raw["header"]["basic_total"] = "很多"
    raw["tables"]["self_evaluation"][0]["cells"]["category"] = "不存在的分类"

    with pytest.raises(DocumentError) as caught:
        document_from_json(raw)

    paths = [problem.path for problem in caught.value.problems]
    assert "header.basic_total" in paths
    assert "tables.self_evaluation[0].cells.category" in paths


def test_duplicate_keys_in_a_version_2_file_are_refused():
    form_template_install(data=shipped_template_bytes(HUBEI), actor=None)
    text = json.dumps(demo("zengdu-2023.json"), ensure_ascii=False)
    text = text.replace('"header": {', '"header": {"unit_name": "甲", ', 1)
    with pytest.raises(DocumentError) as caught:
        document_from_bytes(text.encode())
    assert ("header.unit_name", "键重复出现。") in [
        (p.path, p.message) for p in caught.value.problems
    ]


# --- generic import, export, re-import ----------------------------------------------------


def test_generic_filing_is_imported_with_its_rows_values_and_first_revision():
    filing = zengdu_filing()

    assert filing.form_template.identity == HUBEI
    assert filing.layout == "generic"
    assert filing.version == 1
    template = filing.form_template.template()
    fixed = sum(1 for entry in template.tables[0].entries() if entry.row is not None)
    assert FilingRow.objects.filter(filing=filing, group="").count() == fixed
    assert filing.values["header"]["basic_total"] == "770.84"
    # Hubei's print has no points per row: the officer's own total and grade.
    assert (filing.total_score, filing.grade) == (Decimal("100.00"), "优")
    revision = filing.revisions.get()
    assert revision.document["format"] == "perfeval-filing/2"
    assert revision.document["form_template"] == {
        "code": "hubei-suizhou-overall",
        "version": "2023",
    }
    assert revision.actor_name == "系统"


def test_generic_filing_exported_and_imported_again_writes_nothing():
    filing = zengdu_filing()
    exported = filing_export_json(filing=filing)
    assert exported["format"] == "perfeval-filing/2"
    assert exported["computed"]["note"] == "单位自评填报，未按行计分"

    with CaptureQueriesContext(connection) as queries:
        again = filing_import(
            document=document_from_bytes(encoded(exported)), replace=True, author=None
        )

    assert writes(queries) == []
    assert again.version == 1
    assert filing.revisions.count() == 1
    assert filing_export_json(filing=again) == exported


def test_export_of_an_imported_file_keeps_every_value():
    raw = demo("zengdu-2023.json")
    filing = zengdu_filing()
    exported = filing_export_json(filing=filing)
    assert exported["department"] == raw["department"]
    assert exported["narrative"] == raw["narrative"]
    assert exported["officer_total"]["grade"] == raw["officer_total"]["grade"]
    # Every fixed row keeps its cells ("" is an empty cell, not written).
    by_key = {row.get("row"): row for row in exported["tables"]["self_evaluation"]}
    for row in raw["tables"]["self_evaluation"]:
        if "row" in row:
            filled = {key: value for key, value in row["cells"].items() if value != ""}
            assert by_key[row["row"]]["cells"] == filled


def test_changed_generic_file_writes_only_the_changed_row_as_a_new_version():
    filing = zengdu_filing()
    reviewer_import = filing_export_json(filing=filing)
    reviewer_import["tables"]["self_evaluation"][0]["cells"]["actual"] = "98%"
    author = UserFactory(username="bureau_admin")

    with CaptureQueriesContext(connection) as queries:
        again = filing_import(
            document=document_from_bytes(encoded(reviewer_import)), replace=True, author=author
        )

    changed_rows = [sql for sql in writes(queries) if "evaluations_filingrow" in sql]
    assert len(changed_rows) == 1 and changed_rows[0].lstrip().upper().startswith("UPDATE")
    assert again.version == 2
    revision = again.revisions.get(version=2)
    assert revision.actor == author
    assert revision.document["tables"]["self_evaluation"][0]["cells"]["actual"] == "98%"


def test_generic_write_checks_the_version_and_the_template():
    filing = zengdu_filing()
    document = generic_document_read(filing)
    document.header["basic_total"] = Decimal("800")

    with pytest.raises(StaleFiling):
        generic_document_write(
            filing=filing, document=document, actor=None, expected_version=0, source="page"
        )
    document.template_version = "2024"
    with pytest.raises(GenericDocumentError):
        generic_document_write(
            filing=filing, document=document, actor=None, expected_version=1, source="page"
        )
    filing.refresh_from_db()
    assert filing.version == 1
    assert filing.values["header"]["basic_total"] == "770.84"


def test_generic_import_where_the_year_uses_another_template_is_refused():
    form_template_install(data=shipped_template_bytes(HUBEI), actor=None)
    before = counts()

    with pytest.raises(DocumentError) as caught:
        filing_import(document=document_from_bytes(encoded(demo("zengdu-2023.json"))))

    assert caught.value.path == "form_template"
    assert "使用表式 hunan-overall@2023，文件为 hubei-suizhou-overall@2023" in caught.value.message
    # The server import created the jurisdiction and department it needed, then
    # rolled them back with the refusal.
    assert counts() == before


def test_hunan_file_for_a_jurisdiction_on_a_generic_template_is_refused():
    raw = demo("beita-2023.json")
    assigned(raw["department"]["jurisdiction"])
    with pytest.raises(DocumentError) as caught:
        filing_import(document=document_from_json(raw))
    assert caught.value.path == "form_template"
    assert not Filing.objects.exists()


def test_new_filing_of_a_generic_jurisdiction_starts_blank_on_its_template():
    assigned(ZENGDU)
    department = Department.objects.create(
        name="曾都区财政局", jurisdiction=Jurisdiction.objects.get(name=ZENGDU)
    )

    filing = filing_create(department=department, fiscal_year=FiscalYearFactory(year=2023))

    document = generic_document_read(filing)
    assert isinstance(document, GenericDocument)
    assert all(not row.cells for row in document.tables["self_evaluation"])
    assert filing.missing_count > 0
    assert filing.revisions.get().source == FilingRevision.Source.CREATE


def test_summary_refresh_of_a_generic_filing_recomputes_its_figures():
    filing = zengdu_filing()
    Filing.objects.filter(pk=filing.pk).update(total_score=None, grade="", error_count=0)
    filing.refresh_from_db()

    filing_summary_refresh(filing=filing)

    filing.refresh_from_db()
    assert (filing.total_score, filing.grade) == (Decimal("100.00"), "优")


# --- a made-up province through Django ---------------------------------------------------


def test_made_up_province_template_and_filing_score_as_computed_by_hand():
    raw = json.loads((CORE_FIXTURES / "new_province_filing.json").read_text(encoding="utf-8"))
    assigned(
        raw["department"]["jurisdiction"],
        year=raw["fiscal_year"],
        data=(CORE_FIXTURES / "new_province_template.json").read_bytes(),
    )

    filing = filing_import(document=document_from_bytes(encoded(raw)))

    # tests/core/test_new_province.py: 69 / 80 × 100 = 86.25, + 3 (bonus) = 89.25 → 良.
    assert filing.total_score == Decimal("89.25")
    assert filing.grade == "良"
    assert filing.execution_rate == Decimal("95.00")
    assert filing.warning_count >= 2  # score_differs, bonus_over_maximum
    computed = filing_export_json(filing=filing)["computed"]
    assert (computed["total_score"], computed["max_score"]) == ("69.00", "80.00")
    assert computed["normalized_score"] == "89.25"
    # Exported and imported again: the same filing, nothing written.
    with CaptureQueriesContext(connection) as queries:
        filing_import(
            document=document_from_bytes(encoded(filing_export_json(filing=filing))), replace=True
        )
    assert writes(queries) == []

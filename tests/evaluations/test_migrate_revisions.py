"""Migration 0011: every existing filing gets the revision of its current
version, and nothing a filing shows or exports changes."""

import importlib
from dataclasses import fields
from datetime import date

import pytest
from django.apps import apps as current_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from evaluations.core import document as doc
from evaluations.core.completeness import document_missing_parts
from evaluations.core.document import (
    BASIC_ROW_KEYS,
    INDICATOR_KEYS,
    REPORT_KEYS,
    FilingDocument,
    quantize,
)
from evaluations.core.params import ScoringParams
from evaluations.core.scoring import document_score
from evaluations.core.validation import document_validate
from evaluations.models import Filing, FilingRevision
from evaluations.selectors import filing_changes_since_return
from evaluations.services.interchange import (
    computed_to_dict,
    document_from_bytes,
    document_from_json,
    document_to_dict,
    filing_document,
    filing_export_json,
)
from tests.factories import blank_filing
from tests.helpers import example_bytes, import_example, make_submittable

BEFORE = ("evaluations", "0010_text_limits_from_paper")
migration = importlib.import_module("evaluations.migrations.0011_filing_revision")

FIGURES = (
    "total_score",
    "grade",
    "execution_rate",
    "error_count",
    "warning_count",
    "missing_count",
)
NEW_DEVIATION = "招商引资项目落地慢于预期，下年度加强跟踪。"


# --- the demo, written with the models of migration 0010 ------------------------------


def _amounts(source, names):
    return {name: quantize(getattr(source, name)) for name in names}


def _indicator(model, filing, project, position, row):
    values = {name: getattr(row, name) for name in INDICATOR_KEYS}
    values |= _amounts(row, ("weight", "score"))
    return model(filing=filing, project=project, position=position, **values)


def _figures(apps, filing):
    """The figures 0010's summary service stored, from the filing's rows."""
    template = filing.template or filing.fiscal_year.default_template
    params = ScoringParams(
        **{item.name: getattr(template, item.name) for item in fields(ScoringParams)}
    )
    document = document_from_json(migration.filing_dict(apps, filing))
    score = document_score(document=document, template=params)
    findings = document_validate(document=document, template=params, score=score)
    return score, findings, document


def _store_figures(apps, filing):
    score, findings, document = _figures(apps, filing)
    apps.get_model("evaluations", "Filing").objects.filter(pk=filing.pk).update(
        total_score=score.total_score,
        grade=score.grade,
        execution_rate=score.execution_rate,
        error_count=sum(1 for finding in findings if finding.kind == "error"),
        warning_count=sum(1 for finding in findings if finding.kind == "warning"),
        missing_count=len(document_missing_parts(document=document, findings=findings)),
    )


def _filing(apps, document):
    """`document` saved as 0010's import saved it, with the historical models."""

    def model(name, app="evaluations"):
        return apps.get_model(app, name)

    template, _ = model("ScoringTemplate").objects.get_or_create(name="默认评分模板")
    jurisdiction, _ = model("Jurisdiction", "departments").objects.get_or_create(
        name=document.department.jurisdiction
    )
    department, _ = model("Department", "departments").objects.get_or_create(
        jurisdiction=jurisdiction,
        name=document.department.name,
        defaults={"code": document.department.code},
    )
    fiscal_year, _ = model("FiscalYear").objects.get_or_create(
        year=document.fiscal_year, defaults={"default_template": template}
    )
    contact = document.contact
    filing = model("Filing").objects.create(
        department=department,
        fiscal_year=fiscal_year,
        goal_expected=document.overall_goal.expected,
        goal_actual=document.overall_goal.actual,
        austerity_measures=document.basic_data.austerity_measures,
        preparer=contact.preparer,
        phone=contact.phone,
        filled_on=date.fromisoformat(contact.date) if contact.date else None,
        head=contact.head,
    )
    model("Profile").objects.create(
        filing=filing,
        **{item.name: getattr(document.profile, item.name) for item in fields(document.profile)},
        **{item.name: getattr(document.staffing, item.name) for item in fields(document.staffing)},
    )
    funds = document.funds
    model("Funds").objects.create(
        filing=filing,
        **_amounts(funds, ("initial_budget", "full_year_budget", "executed", "weight")),
        **_amounts(funds.by_source, [item.name for item in fields(funds.by_source)]),
        **_amounts(funds.by_nature, [item.name for item in fields(funds.by_nature)]),
        **_amounts(funds.basic_detail, [item.name for item in fields(funds.basic_detail)]),
    )
    model("Report").objects.create(
        filing=filing, **{name: getattr(document.report, name) for name in REPORT_KEYS}
    )
    columns = ("prior_final", "budget", "final")
    model("BasicDataRow").objects.bulk_create(
        model("BasicDataRow")(
            filing=filing,
            key=key,
            position=position,
            **_amounts(document.basic_data.rows[key], columns),
        )
        for position, key in enumerate(BASIC_ROW_KEYS)
    )
    model("ProjectItem").objects.bulk_create(
        model("ProjectItem")(
            filing=filing, position=position, name=item.name, **_amounts(item, columns)
        )
        for position, item in enumerate(document.basic_data.project_items)
    )
    Indicator = model("Indicator")
    indicators = [
        _indicator(Indicator, filing, None, position, row)
        for position, row in enumerate(document.indicators)
    ]
    lines = {"total": "total", "current_appropriation": "current", "carryover": "carryover"}
    lines["other"] = "other"
    for position, source in enumerate(document.projects):
        amounts = {}
        for key, prefix in lines.items():
            line = getattr(source.funds, key)
            for name in ("initial_budget", "full_year_budget", "executed"):
                amounts[f"{prefix}_{name}"] = quantize(getattr(line, name)) if line else None
        project = model("Project").objects.create(
            filing=filing,
            position=position,
            name=source.name,
            department_in_charge=source.department_in_charge,
            implementer=source.implementer,
            weight=quantize(source.funds.weight),
            goal_expected=source.goal.expected,
            goal_actual=source.goal.actual,
            **amounts,
        )
        indicators += [
            _indicator(Indicator, filing, project, row_position, row)
            for row_position, row in enumerate(source.indicators)
        ]
    Indicator.objects.bulk_create(indicators)
    return filing


def _returned_and_resubmitted(apps, filing):
    """Submitted, returned with its snapshot, corrected, submitted again."""
    Filing0010 = apps.get_model("evaluations", "Filing")
    Transition = apps.get_model("evaluations", "FilingTransition")

    def move(from_status, to_status, **extra):
        Filing0010.objects.filter(pk=filing.pk).update(
            status=to_status, version=Filing0010.objects.get(pk=filing.pk).version + 1
        )
        Transition.objects.create(
            filing_id=filing.pk, from_status=from_status, to_status=to_status, **extra
        )

    move("draft", "submitted")
    snapshot = migration.filing_dict(apps, Filing0010.objects.get(pk=filing.pk))
    move("submitted", "returned", comment="请具体说明偏差原因。", snapshot=snapshot)
    row = (
        apps.get_model("evaluations", "Indicator")
        .objects.filter(filing_id=filing.pk, project__isnull=True)
        .order_by("position")[7]
    )
    row.deviation = NEW_DEVIATION
    row.save()
    Filing0010.objects.filter(pk=filing.pk).update(
        version=Filing0010.objects.get(pk=filing.pk).version + 1
    )
    move("returned", "submitted")


def _exported(apps):
    """Each filing's JSON export (computed included) and stored figures, as 0010 has them."""
    result = {}
    for filing in apps.get_model("evaluations", "Filing").objects.select_related(
        "department__jurisdiction", "fiscal_year__default_template", "template"
    ):
        score, findings, _document = _figures(apps, filing)
        computed = computed_to_dict(score=score, findings=findings)
        data = migration.filing_dict(apps, filing) | {"computed": computed}
        result[filing.pk] = (
            data,
            {name: getattr(filing, name) for name in FIGURES},
            filing.version,
        )
    return result


def _as_version_2(data: dict) -> dict:
    """A document the migration stored (perfeval-filing/1) as written since:
    /2, naming the Hunan form template."""
    rest = {key: value for key, value in data.items() if key != "format"}
    form_template = {"code": "hunan-overall", "version": "2023"}
    return {"format": "perfeval-filing/2", "form_template": form_template, **rest}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader


@pytest.mark.django_db(transaction=True)
def test_migrating_gives_each_filing_its_revision_and_changes_no_export_or_figure():
    graph = MigrationExecutor(connection).loader.graph
    leaves = graph.leaf_nodes()
    # Everything else stays at its latest migration: none of it needs 0011.
    others = [node for node in leaves if node[0] != "evaluations"]
    assert not any(
        app == "evaluations" and name > BEFORE[1]
        for node in others
        for app, name in graph.forwards_plan(node)
    )
    targets = [BEFORE, *others]
    try:
        apps = _migrate(targets).project_state(targets).apps
        for name in ("beita-2023", "junshan-2023"):
            filing = _filing(apps, document_from_bytes(example_bytes(name)))
            _store_figures(apps, filing)
        _returned_and_resubmitted(apps, filing)  # 君山
        blank = FilingDocument(
            fiscal_year=2023,
            department=doc.Department(name="岳阳市君山区教育局", jurisdiction="岳阳市君山区"),
        )
        _store_figures(apps, _filing(apps, blank))
        before = _exported(apps)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert len(before) == 3
    for pk, (data, figures, version) in before.items():
        filing = Filing.objects.get(pk=pk)
        assert filing_export_json(filing=filing) == _as_version_2(data)
        assert {name: getattr(filing, name) for name in FIGURES} == figures
        revision = filing.revisions.get()
        assert (revision.version, revision.source, revision.actor_name) == (
            version,
            FilingRevision.Source.MIGRATION,
            "系统",
        )
        assert revision.document == {key: value for key, value in data.items() if key != "computed"}
    returned = Filing.objects.get(status=Filing.Status.SUBMITTED)
    assert returned.version == 5
    # A return made before revisions existed compares the snapshot it stored.
    _last_return, changes = filing_changes_since_return(filing=returned)
    assert [(change.label, change.new) for change in changes] == [
        ("附件2 第8行 偏差原因分析及改进措施", NEW_DEVIATION)
    ]


@pytest.mark.django_db
def test_the_migrations_own_builder_equals_document_to_dict_for_the_demo_filings():
    filings = [
        import_example("beita-2023"),
        make_submittable(import_example("junshan-2023")),
        blank_filing(),
    ]
    for filing in filings:
        filing = Filing.objects.select_related(
            "department__jurisdiction", "fiscal_year", "template"
        ).get(pk=filing.pk)
        expected = document_to_dict(document=filing_document(filing=filing))
        assert _as_version_2(migration.filing_dict(current_apps, filing)) == expected

"""The one write path: only what differs is written, each write is a revision."""

import re
from collections import Counter
from dataclasses import replace
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.core import document as doc
from evaluations.core.limits import MAX_INDICATOR_ROWS
from evaluations.models import (
    Building,
    Filing,
    FilingRevision,
    Indicator,
    Project,
    ProjectItem,
    ScoringTemplate,
)
from evaluations.services.changes import document_changes
from evaluations.services.interchange import document_to_dict
from evaluations.services.persistence import (
    FilingNotEditable,
    FilingTooLarge,
    StaleFiling,
    filing_document,
    filing_document_write,
)
from evaluations.services.summary import filing_document_current
from tests.evaluations.pages import PageForm
from tests.factories import UserFactory, blank_filing, officer_of
from tests.helpers import import_example

pytestmark = pytest.mark.django_db

Source = FilingRevision.Source
_WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)


def writes(queries) -> Counter:
    """(statement, table) of every write among the captured `queries`."""
    found = Counter()
    for query in queries.captured_queries:
        match = _WRITE.match(query["sql"])
        if match:
            found[(match.group(1).split()[0].upper(), match.group(2))] += 1
    return found


def write(filing, document, *, actor=None, source=Source.COMMAND):
    return filing_document_write(
        filing=filing,
        document=document,
        actor=actor,
        expected_version=Filing.objects.get(pk=filing.pk).version,
        source=source,
    )


def indicator(number, score="5.00"):
    return doc.Indicator(
        level1="产出指标",
        level2="数量指标",
        name=f"指标{number}",
        target="≥1次",
        actual="1次",
        weight=Decimal("5.00"),
        score=Decimal(score),
    )


def test_an_unchanged_document_writes_nothing_at_all():
    filing = import_example("junshan-2023")
    document = filing_document(filing=filing)
    entries = LogEntry.objects.count()

    with CaptureQueriesContext(connection) as queries:
        result = write(filing, document)

    assert result.changed is False
    assert result.revision is None
    assert writes(queries) == Counter()
    assert Filing.objects.get(pk=filing.pk).version == filing.version
    assert filing.revisions.count() == 1
    assert LogEntry.objects.count() == entries


def test_a_changed_document_is_the_next_version_with_its_revision():
    filing = import_example("junshan-2023")
    officer = UserFactory(username="tangweihong")
    document = filing_document(filing=filing)
    document.report = replace(document.report, other="补充说明。")

    result = write(filing, document, actor=officer, source=Source.PAGE)

    assert result.changed is True
    saved = Filing.objects.get(pk=filing.pk)
    assert saved.version == filing.version + 1
    revision = saved.revisions.get(version=saved.version)
    assert (revision.actor, revision.actor_name, revision.source) == (
        officer,
        "tangweihong",
        Source.PAGE,
    )
    # The revision is the saved filing as exported, without `computed`.
    assert revision.document == document_to_dict(document=filing_document(filing=saved))
    assert revision.document["report"]["other"] == "补充说明。"
    # The pages' copy is of the new version and holds the change.
    cached, _keys = filing_document_current(filing=saved)
    assert cached.report.other == "补充说明。"


def test_a_write_by_the_system_is_recorded_as_xitong():
    filing = import_example("junshan-2023")
    document = filing_document(filing=filing)
    document.contact = replace(document.contact, phone="0730-8321234")

    revision = write(filing, document).revision

    assert (revision.actor, revision.actor_name) == (None, "系统")


def test_one_changed_cell_of_a_30_row_table_writes_one_row(client):
    filing = blank_filing()
    document = filing_document(filing=filing)
    document.indicators = [indicator(number) for number in range(30)]
    write(filing, document)
    filing.refresh_from_db()
    client.force_login(officer_of(filing.department))
    url = reverse("evaluations:filing_part", args=[filing.pk, "scores"])
    form = PageForm(client.get(url).content.decode())
    form.fill("indicators", 17, score="4.5")
    before = list(filing.indicators.order_by("position").values_list("pk", flat=True))

    with CaptureQueriesContext(connection) as queries:
        assert client.post(url, form.data).status_code == 302

    ours = Counter(
        {key: count for key, count in writes(queries).items() if key[1] != "django_session"}
    )
    assert ours == Counter(
        {
            ("UPDATE", "evaluations_indicator"): 1,  # the row, in place
            ("INSERT", "auditlog_logentry"): 1,  # its audit entry
            ("INSERT", "evaluations_filingrevision"): 1,
            ("UPDATE", "evaluations_filing"): 1,  # version and figures
            ("INSERT", "evaluations_filingcache"): 1,  # the pages' copy (an upsert)
        }
    )
    assert list(filing.indicators.order_by("position").values_list("pk", flat=True)) == before
    entry = LogEntry.objects.latest("pk")
    assert entry.changes_dict == {"score": ["5.00", "4.50"]}


def test_rows_are_compared_by_position_extra_ones_inserted_trailing_ones_deleted():
    filing = blank_filing()
    document = filing_document(filing=filing)
    document.indicators = [indicator(number) for number in range(5)]
    document.basic_data.project_items = [doc.ProjectItem(name=f"项目{n}") for n in range(3)]
    write(filing, document)
    pks = list(filing.indicators.order_by("position").values_list("pk", flat=True))
    items = list(filing.project_items.order_by("position").values_list("pk", flat=True))

    document = filing_document(filing=filing)
    document.indicators = [indicator(0), indicator(2), indicator(3)]  # the second row goes
    document.basic_data.project_items.append(doc.ProjectItem(name="新项目"))
    write(filing, document)

    rows = list(filing.indicators.order_by("position").values_list("pk", "name", "position"))
    # The first three rows keep their records and take the new contents; the
    # last two saved rows are deleted, nothing is deleted and re-created.
    assert rows == [(pks[0], "指标0", 0), (pks[1], "指标2", 1), (pks[2], "指标3", 2)]
    saved_items = list(filing.project_items.order_by("position").values_list("pk", "name"))
    assert [pk for pk, _name in saved_items[:3]] == items
    assert saved_items[3][1] == "新项目"
    assert not Indicator.objects.filter(pk__in=pks[3:]).exists()


def test_projects_and_their_indicators_are_written_by_position():
    filing = import_example("junshan-2023")
    document = filing_document(filing=filing)
    project = document.projects[0]
    document.projects.append(
        doc.Project(
            name="新增专项",
            funds=doc.ProjectFunds(
                weight=Decimal("10"), total=doc.FundLine(full_year_budget=Decimal("20"))
            ),
            indicators=[indicator(1), indicator(2)],
        )
    )
    document.projects[0] = replace(project, indicators=project.indicators[:-1])

    result = write(filing, document)

    assert filing_document(filing=filing) == replace(document, template=None)
    new = Project.objects.get(pk=result.keys.projects[1])
    assert (new.name, new.position, new.total_full_year_budget) == ("新增专项", 1, Decimal("20"))
    assert list(new.indicators.values_list("name", flat=True)) == ["指标1", "指标2"]
    assert result.keys.project_indicators[new.pk] == list(
        new.indicators.order_by("position").values_list("pk", flat=True)
    )

    document.projects = document.projects[1:]  # the first table goes: the second moves up
    write(filing, document)
    assert list(filing.projects.values_list("pk", "name")) == [
        (result.keys.projects[0], "新增专项")
    ]
    assert not Project.objects.filter(pk=result.keys.projects[1]).exists()
    assert filing.indicators.filter(project__isnull=False).count() == 2


def test_the_template_named_by_the_document_is_written():
    hunan = ScoringTemplate.objects.create(name="湖南省模板")
    filing = blank_filing()
    document = replace(filing_document(filing=filing), template="湖南省模板")

    write(filing, document)

    filing.refresh_from_db()
    assert filing.template == hunan
    assert filing.revisions.latest("version").document["template"] == "湖南省模板"


def test_department_and_year_of_a_document_are_never_written():
    filing = blank_filing()
    document = filing_document(filing=filing)
    moved = replace(document, fiscal_year=2099, department=doc.Department(name="别的部门"))

    result = write(filing, moved)

    assert result.changed is False
    assert filing_document(filing=filing) == document


def test_a_stale_or_read_only_filing_or_a_too_large_document_is_refused_writing_nothing():
    filing = import_example("junshan-2023")
    original = filing_document(filing=filing)
    document = filing_document(filing=filing)
    document.report = replace(document.report, other="改动")
    with pytest.raises(StaleFiling):
        filing_document_write(
            filing=filing,
            document=document,
            actor=None,
            expected_version=filing.version - 1,
            source=Source.COMMAND,
        )
    too_large = replace(document, indicators=[indicator(n) for n in range(MAX_INDICATOR_ROWS + 1)])
    with pytest.raises(FilingTooLarge) as refused:
        write(filing, too_large)
    assert "附件2" in refused.value.messages[0]
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.SUBMITTED)
    with pytest.raises(FilingNotEditable):
        write(filing, document)

    saved = Filing.objects.get(pk=filing.pk)
    assert saved.version == filing.version
    assert filing_document(filing=saved) == original
    assert saved.revisions.count() == 1


def test_a_new_filing_is_version_one_with_its_revision():
    filing = blank_filing()

    revision = filing.revisions.get()

    assert (filing.version, revision.version, revision.source) == (1, 1, Source.CREATE)
    assert revision.actor_name == "系统"
    assert revision.document == document_to_dict(document=filing_document(filing=filing))
    assert filing.basic_rows.count() == 13


def test_a_revision_stored_as_version_1_and_the_next_as_version_2_show_no_change():
    filing = import_example("beita-2023")
    revision = filing.revisions.get()
    assert revision.document["format"] == "perfeval-filing/2"
    assert revision.document["form_template"] == {"code": "hunan-overall", "version": "2023"}
    # A revision as migration 0011 stored it: the /1 form, naming no template.
    stored_as_1 = {
        key: value
        for key, value in revision.document.items()
        if key not in {"format", "form_template"}
    }
    stored_as_1 = {"format": "perfeval-filing/1", **stored_as_1}

    assert document_changes(before=stored_as_1, after=revision.document) == []
    document = filing_document(filing=filing)
    edited = replace(
        document, report=replace(document.report, other=f"{document.report.other}补充说明。")
    )
    changes = document_changes(before=stored_as_1, after=document_to_dict(document=edited))
    assert [change.path for change in changes] == ["report.other"]


def test_the_revision_of_an_import_holds_every_row_and_buildings_too():
    filing = blank_filing()
    document = filing_document(filing=filing)
    document.basic_data.buildings = [doc.Building(name="办公楼", approved_area=Decimal("1200"))]

    write(filing, document)

    building = Building.objects.get(filing=filing)
    assert (building.name, building.approved_area) == ("办公楼", Decimal("1200.00"))
    latest = filing.revisions.latest("version").document
    assert latest["basic_data"]["buildings"][0]["approved_area"] == "1200.00"
    assert ProjectItem.objects.filter(filing=filing).count() == 0

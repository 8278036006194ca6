"""The stored copy of a filing's content (FilingCache) that the filing pages
read: it equals what the rows say, follows every save, and is never used for
another version."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import selectors
from evaluations.models import Filing, FilingCache, ScoringTemplate
from evaluations.services.interchange import (
    document_from_bytes,
    filing_document,
    filing_document_read,
    filing_import,
)
from evaluations.services.summary import CACHE_FORMAT, filing_document_current
from tests.factories import blank_filing, officer_of
from tests.helpers import example_bytes, import_example

pytestmark = pytest.mark.django_db


def fresh(filing):
    """The filing as a page's selector reads it (cache joined in)."""
    return Filing.objects.select_related("cache", "department__jurisdiction", "fiscal_year").get(
        pk=filing.pk
    )


@pytest.mark.parametrize("name", ["beita-2023", "junshan-2023"])
def test_the_copy_reads_back_as_the_rows(name):
    filing = fresh(import_example(name))
    assert filing.cache.version == filing.version
    with CaptureQueriesContext(connection) as queries:
        document, keys = filing_document_current(filing=filing)
    assert len(queries) == 0  # from the joined copy alone
    read_document, read_keys = filing_document_read(filing=filing)
    assert document == read_document
    assert keys == read_keys
    assert keys.indicators == list(
        filing.indicators.filter(project__isnull=True)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )


def test_a_blank_filing_reads_back_as_its_rows():
    filing = fresh(blank_filing())
    document, keys = filing_document_current(filing=filing)
    assert document == filing_document(filing=filing)
    assert keys.indicators == [] and keys.projects == []


def test_the_copy_is_what_the_summary_scores():
    # Proof that the page uses the copy: change only the copy (same version)
    # and the summary follows it.
    filing = import_example("beita-2023")
    cache = FilingCache.objects.get(pk=filing.pk)
    cache.data["document"]["funds"]["executed"] = "0.00"
    cache.save()
    summary = selectors.filing_summary(filing=fresh(filing))
    assert summary.score.execution_rate == Decimal("0.00")


def test_a_copy_of_another_version_is_not_used():
    filing = import_example("beita-2023")
    cache = FilingCache.objects.get(pk=filing.pk)
    cache.data["document"]["funds"]["executed"] = "0.00"
    cache.version = filing.version - 1
    cache.save()
    summary = selectors.filing_summary(filing=fresh(filing))
    assert summary.score.execution_rate == Decimal("100.00")
    # …and the page stored the current one again.
    cache.refresh_from_db()
    assert cache.version == filing.version
    assert cache.data["document"]["funds"]["executed"] != "0.00"


@pytest.mark.parametrize(
    "data",
    [
        {"format": CACHE_FORMAT + 1},
        {"format": CACHE_FORMAT, "document": {"format": "nonsense"}},
        {"format": CACHE_FORMAT, "document": None},
        [],
    ],
)
def test_an_unreadable_copy_is_read_anew(data):
    filing = import_example("beita-2023")
    FilingCache.objects.filter(pk=filing.pk).update(data=data)
    summary = selectors.filing_summary(filing=fresh(filing))
    assert summary.score.total_score == Decimal("97.00")
    assert FilingCache.objects.get(pk=filing.pk).data["format"] == CACHE_FORMAT


def test_a_missing_copy_is_made_by_the_page():
    filing = import_example("junshan-2023")
    FilingCache.objects.filter(pk=filing.pk).delete()
    summary = selectors.filing_summary(filing=fresh(filing))
    assert summary.score.total_score == Decimal("99.00")
    assert FilingCache.objects.get(pk=filing.pk).version == filing.version


def test_a_replacing_import_replaces_the_copy():
    filing = import_example("beita-2023")
    raw = json.loads(example_bytes("beita-2023"))
    raw["funds"]["executed"] = "0.00"
    filing_import(
        document=document_from_bytes(json.dumps(raw, ensure_ascii=False).encode()),
        replace=True,
    )
    filing = fresh(filing)
    assert filing.cache.version == filing.version
    summary = selectors.filing_summary(filing=filing)
    assert summary.score.execution_rate == Decimal("0.00")


def test_names_and_the_template_are_read_live():
    filing = import_example("beita-2023")
    department = filing.department
    department.name = "改名后的部门"
    department.save()
    template = filing.scoring_template
    ScoringTemplate.objects.filter(pk=template.pk).update(grade_excellent=Decimal("98"))
    summary = selectors.filing_summary(filing=fresh(filing))
    assert summary.document.department.name == "改名后的部门"
    # 97.00 is 良 once 优 starts at 98: the template is not part of the copy.
    assert summary.score.grade == "良"


def test_a_filing_page_reads_no_row_table(client):
    filing = import_example("beita-2023")
    client.force_login(officer_of(filing.department))
    client.get(reverse("evaluations:filing_part", args=[filing.pk, "profile"]))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("evaluations:filing_part", args=[filing.pk, "profile"]))
    assert response.status_code == 200
    tables = " ".join(query["sql"] for query in queries)
    for table in ("basicdatarow", "projectitem", "building", "indicator", '"evaluations_project"'):
        assert table not in tables


def test_a_status_move_carries_the_copy_over_to_the_new_version():
    from evaluations.services.workflow import filing_transition
    from tests.helpers import make_submittable

    filing = make_submittable(import_example("junshan-2023"))
    officer = officer_of(filing.department)
    filing = filing_transition(filing=filing, to=Filing.Status.SUBMITTED, actor=officer)
    filing = fresh(filing)
    assert filing.cache.version == filing.version
    with CaptureQueriesContext(connection) as queries:
        document, _keys = filing_document_current(filing=filing)
    assert len(queries) == 0
    assert document == filing_document(filing=filing)

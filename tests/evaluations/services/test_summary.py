from decimal import Decimal

import pytest

from evaluations.models import Filing
from evaluations.services.summary import filing_summary_refresh
from tests.factories import blank_filing
from tests.helpers import import_example

pytestmark = pytest.mark.django_db


def test_imported_filing_stores_its_score_summary():
    filing = Filing.objects.get(pk=import_example("beita-2023").pk)
    assert filing.total_score == Decimal("97.00")
    assert filing.grade == "优"
    assert filing.execution_rate == Decimal("100.00")
    # 7 actual_missing + 3 deviation_missing
    assert filing.error_count == 10


def test_blank_filing_summary_counts_its_errors():
    filing = Filing.objects.get(pk=blank_filing().pk)
    assert filing.total_score == Decimal("0.00")
    assert filing.execution_rate is None
    assert filing.error_count > 0


def test_refresh_follows_a_changed_score():
    filing = import_example("junshan-2023")
    filing.indicators.filter(project__isnull=True, score=Decimal("9")).update(score=Decimal("10"))
    filing_summary_refresh(filing=filing)
    filing.refresh_from_db()
    assert filing.total_score == Decimal("100.00")

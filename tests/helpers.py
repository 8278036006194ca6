"""Building filings from the example documents for tests."""

from pathlib import Path

from django.db.models import F

from evaluations.services.interchange import document_from_bytes, filing_import
from evaluations.services.summary import filing_summary_refresh

EXAMPLES = Path(__file__).resolve().parent.parent / "evaluations" / "fixtures" / "demo"


def example_bytes(name: str) -> bytes:
    return (EXAMPLES / f"{name}.json").read_bytes()


def import_example(name: str):
    """Import `name` (beita-2023 or junshan-2023) as a draft filing."""
    return filing_import(document=document_from_bytes(example_bytes(name)))


def make_submittable(filing):
    """Give 君山 what its published filing left blank and submission requires:
    the two missing deviation reasons and the 填报信息 (填表人, 联系电话, 单位负责人);
    then refresh its stored summary, as the editing service would."""
    filing.indicators.filter(score__lt=F("weight"), deviation="").update(
        deviation="当年经济效益评估偏保守，下年度加强量化跟踪。"
    )
    filing.preparer = filing.preparer or "李文静"
    filing.phone = filing.phone or "0730-8321234"
    filing.head = filing.head or "王建国"
    filing.save(update_fields=["preparer", "phone", "head"])
    filing_summary_refresh(filing=filing)
    return filing


def run_the_worker_until_the_queue_is_empty(worker_id="test-worker"):
    """What `manage.py db_worker --batch` does, in this process: run every
    task queued in django-tasks-db's table, then return."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()

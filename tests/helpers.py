"""Building filings from the example documents for tests."""

from pathlib import Path

from evaluations.models import FilingRevision
from evaluations.services.interchange import document_from_bytes, filing_import
from evaluations.services.persistence import filing_document, filing_document_write

EXAMPLES = Path(__file__).resolve().parent.parent / "evaluations" / "fixtures" / "demo"


def example_bytes(name: str) -> bytes:
    return (EXAMPLES / f"{name}.json").read_bytes()


def import_example(name: str):
    """Import `name` (beita-2023 or junshan-2023) as a draft filing."""
    return filing_import(document=document_from_bytes(example_bytes(name)))


def make_submittable(filing):
    """Give 君山 what its published filing left blank and submission requires:
    the two missing deviation reasons and the 填报信息 (填表人, 联系电话, 单位负责人),
    written through the one write path as a new version, as a script would."""
    document = filing_document(filing=filing)
    rows = [
        *document.indicators,
        *(row for project in document.projects for row in project.indicators),
    ]
    for row in rows:
        short = row.score is not None and row.weight is not None and row.score < row.weight
        if short and not row.deviation:
            row.deviation = "当年经济效益评估偏保守，下年度加强量化跟踪。"
    contact = document.contact
    contact.preparer = contact.preparer or "李文静"
    contact.phone = contact.phone or "0730-8321234"
    contact.head = contact.head or "王建国"
    return filing_document_write(
        filing=filing,
        document=document,
        actor=None,
        expected_version=filing.version,
        source=FilingRevision.Source.COMMAND,
    ).filing


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

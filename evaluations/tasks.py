"""Background tasks (django-tasks; `python manage.py db_worker` runs them)."""

from django_tasks import task

from evaluations.services.reports import report_freeze


@task()
def freeze_report(filing_id: int) -> str:
    """Render and store the frozen report of a just-approved filing."""
    frozen = report_freeze(filing_id=filing_id)
    return frozen.report_sha256 if frozen else ""

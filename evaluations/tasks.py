"""Background tasks (django-tasks; `python manage.py db_worker` runs them)."""

from django_tasks import task

from evaluations.services.reports import RENDER_TIME_LIMIT, report_freeze


@task()
def freeze_report(filing_id: int) -> str:
    """Render and store the frozen report of a just-approved filing, in at most
    RENDER_TIME_LIMIT seconds (a longer render fails the task, and
    `recover_reports` queues it again)."""
    frozen = report_freeze(filing_id=filing_id, time_limit=RENDER_TIME_LIMIT)
    return frozen.report_sha256 if frozen else ""

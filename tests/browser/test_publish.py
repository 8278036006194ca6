"""审核通过 → the report renders in the task worker → 公开 → the public downloads
exactly the frozen PDF.

The live server runs tasks as scripts/run does: approval only queues the
render in django-tasks-db's table, and a worker takes it from there. The
worker is django-tasks-db's own `Worker` running in this process, so the
test needs no second process on every database (a real `db_worker` process
is killed and recovered in tests/evaluations/commands/test_recover_reports.py).
The browser's requests are held while the worker runs: Playwright dispatches
a routed request only when this thread calls it again.
"""

import hashlib
import re

import pytest
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import expect

from evaluations.models import Filing
from evaluations.services.workflow import filing_transition
from tests.factories import officer_of, reviewer_of
from tests.helpers import import_example, make_submittable, run_the_worker_until_the_queue_is_empty

pytestmark = pytest.mark.browser

DEPARTMENT = "中共岳阳市君山区委办公室"


@pytest.fixture
def tasks_in_the_database_queue(settings):
    """What scripts/run runs: the database backend, not the inline one."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_the_worker(person):
    """Run every queued task with db_worker's code, the browser's requests
    waiting meanwhile (see the module docstring)."""
    person.page.route("**/*", lambda route: route.continue_())
    run_the_worker_until_the_queue_is_empty(worker_id="browser-test")


def test_the_reviewer_publishes_once_the_report_is_frozen_and_anyone_downloads_it(
    open_browser, tasks_in_the_database_queue
):
    filing = make_submittable(import_example("junshan-2023"))
    officer = officer_of(filing.department)
    reviewer_of(filing.department.jurisdiction, username="lishenhe", first_name="李审核")
    filing_transition(filing=filing, to=Filing.Status.SUBMITTED, actor=officer)

    reviewer = open_browser()
    page = reviewer.page
    reviewer.log_in("lishenhe")
    reviewer.goto(f"/filings/{filing.pk}/overview/")
    reviewer.submit(page.locator("#workflow").get_by_role("button", name="审核通过"))
    expect(page.get_by_title("状态")).to_have_text("已审核")

    # Queued, not rendered: 公开 waits, says why, and the page reloads itself.
    assert DBTaskResult.objects.get().status == "READY"
    waiting = page.locator("#publish-waiting")
    expect(waiting.get_by_role("button", name="公开")).to_be_disabled()
    expect(waiting).to_contain_text("审核版报告正在生成，生成后才能公开")
    expect(page.locator("#report-pending")).to_contain_text("本页每 5 秒自动刷新")
    reviewer.screenshot("publish-waiting")
    assert not Filing.objects.get(pk=filing.pk).report_sha256

    run_the_worker(reviewer)
    filing.refresh_from_db()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL" and filing.report_sha256

    # Without a click: the page reloads and offers 公开.
    publish = page.locator("#transition-publish").get_by_role("button", name="公开")
    expect(publish).to_be_enabled(timeout=15_000)
    reviewer.check_page()
    expect(page.locator("#report-pending")).to_have_count(0)
    reviewer.submit(publish)
    expect(page.get_by_title("状态")).to_have_text("已公开")

    # Anyone, without logging in, downloads the frozen file from 信息公开.
    visitor = open_browser()
    visitor.goto("/gongkai/")
    row = visitor.page.locator("tr", has_text=DEPARTMENT)
    received = []

    def keep_the_file(route):
        response = route.fetch()
        received.append((response.status, response.headers["content-type"], response.body()))
        route.fulfill(response=response)

    # Chromium opens the PDF in its own viewer; keep the bytes it received.
    visitor.page.route(re.compile(r"/gongkai/\d+/report\.pdf$"), keep_the_file)
    with visitor.page.expect_navigation(url=re.compile(r"/gongkai/\d+/report\.pdf$")):
        row.get_by_role("link", name="下载 PDF").click()
    [(status, content_type, pdf)] = received
    assert (status, content_type) == (200, "application/pdf")
    assert hashlib.sha256(pdf).hexdigest() == filing.report_sha256
    with filing.report_pdf.open("rb") as handle:
        assert pdf == handle.read()

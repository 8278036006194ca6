"""A real `manage.py db_worker` killed with SIGKILL in the middle of a render,
on a file-based SQLite database shared by separate processes, as with
scripts/run: the task row stays RUNNING and the restarted worker alone never
renders the report; `recover_reports` queues it again and the worker freezes
it."""

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TASKS_TABLE = "django_tasks_database_dbtaskresult"

APPROVE = """
from evaluations.models import Filing
from evaluations.services.workflow import filing_transition
from tests.factories import officer_of, reviewer_of
from tests.helpers import import_example, make_submittable

filing = make_submittable(import_example("junshan-2023"))
officer = officer_of(filing.department)
reviewer = reviewer_of(filing.department.jurisdiction)
filing = filing_transition(filing=filing, to=Filing.Status.SUBMITTED, actor=officer)
filing = filing_transition(filing=filing, to=Filing.Status.APPROVED, actor=reviewer)
print(filing.pk)
"""


@pytest.fixture
def site(tmp_path):
    """The environment of every process: one SQLite file, one media folder,
    tasks through the database queue."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PERFEVAL_TASKS_IMMEDIATE", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'perfeval.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_DEBUG="1",
        DJANGO_SECRET_KEY="x",
    )
    manage(env, "migrate", "--no-input", "-v0")
    return env, tmp_path / "perfeval.sqlite3", tmp_path / "media"


def manage(env, *args, timeout=180):
    completed = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def read(database, query, *params):
    with sqlite3.connect(database) as connection:
        return connection.execute(query, params).fetchall()


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def test_a_worker_killed_mid_render_is_recovered_and_the_report_frozen(site, tmp_path):
    env, database, media = site
    filing_pk = int(manage(env, "shell", "-c", APPROVE).strip().splitlines()[-1])
    assert read(database, f"SELECT status FROM {TASKS_TABLE}") == [("READY",)]

    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    lock = sqlite3.connect(database, isolation_level=None, timeout=30)
    try:
        wait_for(
            lambda: read(database, f"SELECT status FROM {TASKS_TABLE}") == [("RUNNING",)],
            120,
            "the worker to claim the render",
        )
        # Hold the write lock: the render (half a second at least) can read
        # but never store its result, so the kill lands mid-task every time.
        lock.execute("BEGIN IMMEDIATE")
        worker.kill()
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        if lock.in_transaction:
            lock.execute("ROLLBACK")
        lock.close()
        log.close()
    assert worker.returncode == -9
    assert read(database, f"SELECT status FROM {TASKS_TABLE}") == [("RUNNING",)]
    unfrozen = "SELECT report_sha256 FROM evaluations_filing WHERE id = ?"
    assert read(database, unfrozen, filing_pk) == [("",)]

    # A worker started again takes only READY tasks: the report never comes.
    manage(env, "db_worker", "--batch", "--no-reload", "--no-startup-delay")
    assert read(database, unfrozen, filing_pk) == [("",)]

    # What scripts/run and the systemd unit run before each worker start.
    output = manage(env, "recover_reports", "--stuck-after", "0")
    assert "重新排队 1 份，中断的生成任务 1 个" in output
    manage(env, "db_worker", "--batch", "--no-reload", "--no-startup-delay")

    [(digest, name, size)] = read(
        database,
        "SELECT report_sha256, report_pdf, report_size FROM evaluations_filing WHERE id = ?",
        filing_pk,
    )
    data = (media / name).read_bytes()
    assert data.startswith(b"%PDF") and len(data) == size
    assert hashlib.sha256(data).hexdigest() == digest
    statuses = read(database, f"SELECT status FROM {TASKS_TABLE} ORDER BY enqueued_at")
    assert statuses == [("FAILED",), ("SUCCESSFUL",)]

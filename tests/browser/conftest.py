"""Playwright for Python driving Debian's Chromium against pytest-django's live_server.

Every page a test opens is checked as it is reached (`Person.check_page`):
``<html lang="zh-CN">``, a label for every field and header cells in every
table. When a test ends, every request the browser made must have gone to the
live server: the pages may load nothing from a CDN, because government intranets
have none. Screenshots go to test-artifacts/screenshots/ (gitignored), for a
person to look at after a CI run.
"""

import importlib
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connections
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"  # Debian's package; scripts/test installs it.
LAUNCH_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-sandbox",
    "--disable-gpu",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "perfeval-pass-123"  # what tests/factories.py sets
# data: and blob: URLs never leave the page; Chromium's PDF viewer loads its
# own pages from chrome: and chrome-extension: URLs inside the browser binary.
LOCAL_SCHEMES = {"data", "blob", "chrome", "chrome-extension", "chrome-untrusted"}

# Run in the page: what an officer using a screen reader would miss.
PAGE_PROBLEMS_JS = """() => {
  const problems = [];
  if (document.documentElement.getAttribute("lang") !== "zh-CN") {
    problems.push("html lang is " + document.documentElement.getAttribute("lang"));
  }
  const skip = new Set(["hidden", "submit", "button", "reset", "image"]);
  document.querySelectorAll("input, select, textarea").forEach((field) => {
    if (field.tagName === "INPUT" && skip.has(field.type)) { return; }
    const labelled = (field.labels && field.labels.length > 0)
      || field.getAttribute("aria-label")
      || field.getAttribute("aria-labelledby");
    if (!labelled) { problems.push("no label: " + (field.id || field.name)); }
  });
  document.querySelectorAll("table").forEach((table, index) => {
    if (!table.querySelector("th")) {
      problems.push("table " + (table.id || index) + " has no <th>");
    }
  });
  return problems;
}"""


def pytest_collection_modifyitems(config, items):
    """Put the test database in a file of its own when browser tests run.

    On SQLite pytest-django's test database is in memory, and the live server
    then answers every request on the test thread's one connection: two
    requests at once (a preview and a save) share it, and the second fails
    with "cannot start a transaction within a transaction". A file gives each
    live-server thread its own connection, as in production. The directory is
    this process's own (parallel runs never share a database); pytest-django
    creates and removes the file. Other test runs keep the in-memory database.
    """
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return
    if not any(item.get_closest_marker("browser") for item in items):
        return
    folder = Path(tempfile.mkdtemp(prefix="perfeval-browser-db-"))
    database.setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


@pytest.fixture(autouse=True)
def allow_the_orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an asyncio event loop in the test's thread
    (in a greenlet), so Django's async-safety check would refuse every ORM call
    the test makes between two browser steps with SynchronousOnlyOperation.
    Nothing here is async: the test and the browser take turns, and the live
    server answers in its own thread. Set per test, not for the whole session,
    so the check still guards every other test."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def default_scoring_template(transactional_db):
    """live_server needs transactional tests, and the flush after each one
    empties every table, the default scoring template that migration 0002
    installs included: put it back the way that migration does.
    (serialized_rollback would restore it too, but then Django skips
    post_migrate after the flush and the next transactional test of the suite
    finds no content types.)"""
    migration = importlib.import_module("evaluations.migrations.0002_default_scoring_template")
    migration.install_default_template(django_apps, None)


@pytest.fixture(scope="session")
def screenshot_folder():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture
def chromium():
    """A headless Chromium for one test, stopped with it so that no event loop
    outlives the test."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()
        # While Playwright's loop runs, Django keeps the test's database
        # connections apart from the thread's usual ones (asgiref's Local
        # switches to context storage), so the test database teardown would not
        # close them and PostgreSQL would refuse to drop a database in use.
        connections.close_all()


class Person:
    """Someone at their own browser: a context with its own cookies, one tab."""

    def __init__(self, context, base_url, screenshot_folder):
        self.context = context
        self.base_url = base_url
        self.screenshot_folder = screenshot_folder
        self.requests = []
        self.script_errors = []
        context.on("request", lambda request: self.requests.append(request.url))
        self.page: Page = context.new_page()
        self.page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        # What the Content-Security-Policy blocked (an inline script or style,
        # a foreign source) is reported on the console, not as a page error.
        self.page.on("console", self._note_blocked)
        # The submit and delete buttons ask "确定…吗？" with window.confirm.
        self.page.on("dialog", lambda dialog: dialog.accept())

    def _note_blocked(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.script_errors.append(message.text)

    def url(self, path):
        return self.base_url + path

    def goto(self, path):
        response = self.page.goto(self.url(path))
        assert response.ok, f"GET {path}: {response.status}"
        self.check_page()
        return response

    def check_page(self):
        problems = self.page.evaluate(PAGE_PROBLEMS_JS)
        assert problems == [], f"{self.page.url}: {problems}"

    def submit(self, locator):
        """Click a button that posts a form, wait for the page it leads to, check it."""
        with self.page.expect_navigation():
            locator.click()
        self.check_page()

    def open_part(self, name):
        """Follow one of the filing's tabs (部门基本情况, 年度资金, …)."""
        tabs = self.page.get_by_role("navigation", name="填报各部分")
        self.submit(tabs.get_by_role("link", name=name, exact=True))

    def save(self):
        """Press 保存草稿 and expect the page back without a refused field."""
        self.submit(self.page.get_by_role("button", name="保存草稿"))
        expect(self.page.get_by_role("alert").filter(has_text="已保存（草稿）。")).to_be_visible()
        expect(self.page.locator(".is-invalid")).to_have_count(0)

    def wait_for_preview(self):
        """Wait until the live preview has shown the figures and findings for
        everything typed so far (preview.js marks the panel "pending" from
        the first keystroke until then)."""
        expect(self.page.locator("#summary")).to_have_attribute("data-preview-state", "idle")

    def figure(self, name):
        """A figure of the score panel above every part (总分 is "total_score")."""
        return self.page.locator(f'#summary [data-figure="{name}"]')

    def log_in(self, username, password=PASSWORD):
        self.goto("/accounts/login/")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(password)
        self.submit(self.page.get_by_role("button", name="登录"))
        # Home: 我的填报 for officers, the 审核工作台 for the bureau.
        assert urlsplit(self.page.url).path in ("/filings/", "/filings/review/"), "login failed"

    def screenshot(self, name):
        self.page.screenshot(path=self.screenshot_folder / f"{name}.png", full_page=True)

    def foreign_requests(self):
        """Requests that would have left the machine."""
        server = urlsplit(self.base_url).netloc
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).netloc != server
        ]


@pytest.fixture
def open_browser(chromium, live_server, screenshot_folder):
    """Open a browser for a person; when the test ends, none of them may have
    sent a request anywhere but to the live server, or met a script error."""
    people = []

    def open_browser(**context_options):
        context = chromium.new_context(locale="zh-CN", **context_options)
        context.set_default_timeout(10_000)
        person = Person(context, live_server.url, screenshot_folder)
        people.append(person)
        return person

    yield open_browser
    for person in people:
        person.context.close()
    assert all(person.requests for person in people)
    foreign = [url for person in people for url in person.foreign_requests()]
    assert foreign == [], f"requests left the machine: {foreign}"
    assert [error for person in people for error in person.script_errors] == []

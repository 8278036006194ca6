"""Who gets what, for every URL: eight personas × every URL pattern × GET and
POST × every status of a filing, each answer asserted exactly, and every
refusal (indeed every answer that is not an allowed write) checked to have
changed nothing in the database.

The expected answers are data, in tests/permission_matrix/rules.py; the
people and the filing in tests/permission_matrix/world.py. A URL pattern that
the matrix does not list fails `test_the_matrix_covers_every_url_pattern`, so
a new page cannot slip past it.

Each request runs in a savepoint that is rolled back afterwards, so an allowed
write (a submission, a saved page, a deactivated account) does not change what
the next persona meets: every cell is asked about the same world.

Rendering a PDF takes about a second, and four personas may download each
one in every status; within a test the first download of a report or of the
blank forms renders for real and the others are served the same bytes (what
a PDF contains is tested in tests/evaluations/services/test_pdf.py and
tests/evaluations/views/test_reports.py; here only who gets it matters).
"""

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from evaluations.models import Filing
from evaluations.services import pdf
from evaluations.views import reports
from tests.permission_matrix.rules import ADMIN_MATRIX, EDIT_PARTS, MATRIX, Case, expected
from tests.permission_matrix.world import (
    OFFICER_A,
    PERSONAS,
    STATUSES,
    World,
    build_world,
    fingerprint_changes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("render_each_pdf_once")]

ADMIN_NAMESPACE = "admin"


@pytest.fixture
def render_each_pdf_once(monkeypatch):
    """Within one test, each distinct report or blank-forms PDF is rendered once."""
    rendered = {}

    def once(render, key):
        if key not in rendered:
            rendered[key] = render()
        return rendered[key]

    real_report, real_blank_forms = pdf.filing_report_pdf, reports.blank_forms_pdf

    def filing_report_pdf(*, filing, **options):
        key = ("report", filing.pk, filing.version, filing.status, repr(options))
        return once(lambda: real_report(filing=filing, **options), key)

    def blank_forms_pdf(**arguments):
        key = ("blank forms", repr(sorted(arguments.items())))
        return once(lambda: real_blank_forms(**arguments), key)

    # The report service imports the renderer when called; the view at import.
    monkeypatch.setattr(pdf, "filing_report_pdf", filing_report_pdf)
    monkeypatch.setattr(reports, "blank_forms_pdf", blank_forms_pdf)


def _pattern_keys(patterns, namespace="", route=""):
    """(key, namespace) of every URL pattern: "namespace:name", or the full
    route of a pattern without a name."""
    for pattern in patterns:
        full_route = route + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _pattern_keys(pattern.url_patterns, inner, full_route)
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), namespace
            else:
                yield f"/{full_route}", namespace


def _resolved_key(path: str) -> str:
    match = resolve(path)
    return match.view_name if match.url_name else f"/{match.route}"


def test_the_matrix_covers_every_url_pattern():
    keys = dict(_pattern_keys(get_resolver().url_patterns))
    ours = {key for key, namespace in keys.items() if namespace != ADMIN_NAMESPACE}
    missing = sorted(ours - set(MATRIX))
    stale = sorted(set(MATRIX) - ours)
    assert not missing, f"URL patterns without a row in tests/permission_matrix/rules.py: {missing}"
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"
    admin_keys = {key for key, namespace in keys.items() if namespace == ADMIN_NAMESPACE}
    assert set(ADMIN_MATRIX) <= admin_keys, "the admin group names pages the admin lacks"


def test_every_rule_names_every_persona_and_status():
    for key, cases in {**MATRIX, **ADMIN_MATRIX}.items():
        for case in cases:
            for rule in (case.get, case.post):
                assert set(rule) == set(PERSONAS), (key, case.label)
                for persona in PERSONAS:
                    for status in STATUSES:
                        expected(rule, persona, status)


def _ask(world: World, persona: str, method: str, case: Case, path: str):
    """Send one request in a savepoint that is rolled back; return the
    response, the fingerprints before and after, and the filing's status
    after."""
    data = case.body(world) if case.body and method == "POST" else {}
    client = world.client(persona)
    with transaction.atomic():
        before = world.fingerprint()
        response = client.get(path) if method == "GET" else client.post(path, data)
        after = world.fingerprint()
        status_after = world.filing_status()
        transaction.set_rollback(True)
    if case.logs_out:
        world.forget_client(persona)
    return response, before, after, status_after


def _check(expect, response, before, after, status_after) -> str | None:
    """What is wrong with the answer, or None."""
    if response.status_code != expect.code:
        where = f" → {response['Location']}" if response.has_header("Location") else ""
        return f"expected {expect.code}, got {response.status_code}{where}"
    if expect.location is not None and not response.get("Location", "").startswith(expect.location):
        return f"redirects to {response.get('Location')!r}, not to {expect.location}…"
    if not expect.writes and before != after:
        return f"changed the database: {fingerprint_changes(before, after)}"
    if expect.writes and before == after:
        return "was accepted but wrote nothing"
    if expect.status_after is not None and status_after != expect.status_after:
        return f"left the filing {status_after}, expected {expect.status_after}"
    return None


def _run(key: str, cases: list[Case], status: str) -> tuple[list[str], int]:
    world = build_world()
    world.move_to(status)
    problems = []
    asked = 0
    for case in cases:
        if status not in case.statuses:
            continue
        if case.setup:
            case.setup(world)
        path = case.path(world)
        assert _resolved_key(path) == key, f"{path} is not a URL of {key}"
        for persona in PERSONAS:
            for method, rule in (("GET", case.get), ("POST", case.post)):
                expect = expected(rule, persona, status)
                answer = _ask(world, persona, method, case, path)
                asked += 1
                problem = _check(expect, *answer)
                if problem:
                    where = f"{path} ({case.label})" if case.label not in path else path
                    problems.append(f"{persona:12} {method:4} {where} [{status}]: {problem}")
    return problems, asked


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("key", sorted(MATRIX))
def test_each_persona_gets_exactly_its_answer(key, status):
    problems, asked = _run(key, MATRIX[key], status)
    assert asked
    assert not problems, "\n" + "\n".join(problems)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("key", sorted(ADMIN_MATRIX))
def test_the_django_admin_lets_in_only_staff(key, status):
    problems, asked = _run(key, ADMIN_MATRIX[key], status)
    assert asked
    assert not problems, "\n" + "\n".join(problems)


def test_the_hunan_only_pages_of_a_generic_filing_are_not_there():
    world = build_world()
    world.add_generic_filing()
    pk = world.generic_filing.pk
    client = world.client(OFFICER_A)
    client.raise_request_exception = False
    problems = []
    paths = [reverse("evaluations:part_preview", args=[pk, part]) for part in EDIT_PARTS]
    paths.append(reverse("evaluations:project_add", args=[pk]))
    for path in paths:
        version = Filing.objects.values_list("version", flat=True).get(pk=pk)
        before = world.fingerprint()
        response = client.post(path, {"name": "新项目", "version": version})
        after = world.fingerprint()
        if response.status_code != 404 or before != after:
            changed = fingerprint_changes(before, after)
            problems.append(f"POST {path}: {response.status_code} {changed}")
    assert not problems, "\n".join(problems)

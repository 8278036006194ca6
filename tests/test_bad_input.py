"""No server error from odd input: every URL pattern, every query parameter
and form field its view reads, and every integer in its path, is sent values
that once turned into a 500 ("²", which str.isdigit() accepts and int()
refuses; NUL, which PostgreSQL refuses; a 30-digit id; "-1"; full-width
digits; a lone surrogate as the bytes UTF-8 would give it), as a visitor, an
officer, a reviewer and an administrator. The answer must be below 500 and, when it is a
refusal, the database must be as it was.

Which parameters a view reads is not guessed: every read of request.GET and
request.POST during a request is recorded, and a read that PARAMETERS does not
list fails the test, so a new parameter cannot slip past. A URL pattern
without a row fails too. The world (people, 君山's filing) and the ordinary
request of each URL are the permission matrix's (tests/permission_matrix/).

Run on PostgreSQL as well (DATABASE_URL=…): it refuses NUL and out-of-range
integers where SQLite stores them.
"""

import json
import re
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import QueryDict
from django.urls import get_resolver, resolve, reverse

from evaluations.models import Filing
from evaluations.services.excel import SHEET_BASIC, SHEET_SCORE, filing_workbook
from evaluations.services.interchange import filing_export_json
from tests.evaluations.services import excel_hostile as hostile
from tests.permission_matrix.rules import MATRIX
from tests.permission_matrix.world import (
    ADMIN,
    ANONYMOUS,
    OFFICER_A,
    REVIEWER_J1,
    Status,
    World,
    build_world,
    fingerprint_changes,
)
from tests.test_permission_matrix import _pattern_keys

pytestmark = pytest.mark.django_db

PERSONAS = (ANONYMOUS, OFFICER_A, REVIEWER_J1, ADMIN)
# Bytes, so that the surrogate travels as the (invalid) UTF-8 a client would
# send; Django decodes query strings and forms with replacement characters.
HOSTILE = {
    "superscript two": "²".encode(),
    "NUL": b"\x00",
    "30 digits": b"9" * 30,
    "minus one": b"-1",
    "full-width digits": "１２".encode(),
    "lone surrogate": "\ud800".encode("utf-8", "surrogatepass"),
}
TOO_BIG_ID = "9" * 30

# What each view reads from the query string (GET) and the form (POST):
# names, or patterns (a Django form's or formset's fields) written as
# re.compile(). A URL pattern whose view reads nothing has empty sets.
FORM_ROWS = re.compile(r"[a-z_]+-(\d+-)?[A-Za-z_0-9]+")
# Read on every POST by Django's CSRF middleware.
EVERY_POST = {"csrfmiddlewaretoken"}
PAGE_VERSION = {"version", "rendered"}
PART_FORM = {*PAGE_VERSION, FORM_ROWS}
# The one page of a filing on a generic-layout form template
# (generic_forms.GenericPageForms): a fixed row's cells `r-<row>-<field>`, the
# officer's rows `f-<group>-<n>-<field>` and their management form.
GENERIC_ROWS = re.compile(r"[rf]-[a-z_0-9]+-(\d+-)?[A-Za-z_0-9]+")
GENERIC_PAGE = {*PAGE_VERSION, FORM_ROWS, GENERIC_ROWS}
NOTHING = {"GET": set(), "POST": set()}
PARAMETERS = {
    "home": NOTHING,
    "login": {"GET": {"next"}, "POST": {"username", "password", "next"}},
    "logout": {"GET": set(), "POST": {"next"}},
    "password_change": {"GET": set(), "POST": {"old_password", "new_password1", "new_password2"}},
    "password_change_done": NOTHING,
    "healthz": NOTHING,
    "evaluations:my_filings": NOTHING,
    "evaluations:help": {"GET": {"year"}, "POST": set()},
    "evaluations:filing_import": {"GET": set(), "POST": {"file", "file-clear", "replace"}},
    "evaluations:filing_start": NOTHING,
    "evaluations:filing_detail": NOTHING,
    "evaluations:filing_export": NOTHING,
    "evaluations:filing_report": NOTHING,
    "evaluations:project_add": {"GET": set(), "POST": {*PAGE_VERSION, "name"}},
    "evaluations:project_edit": {"GET": set(), "POST": PART_FORM},
    "evaluations:project_delete": {"GET": set(), "POST": PAGE_VERSION},
    "evaluations:project_preview": {"GET": set(), "POST": PART_FORM},
    "evaluations:filing_transition": {"GET": set(), "POST": {"comment", "status", "next"}},
    "evaluations:filing_history": {"GET": {"page"}, "POST": set()},
    "evaluations:filing_changes": NOTHING,
    "evaluations:filing_export_xlsx": NOTHING,
    "evaluations:filing_import_xlsx": {"GET": set(), "POST": {"file", "file-clear"}},
    "evaluations:filing_import_xlsx_confirm": {"GET": set(), "POST": {"token"}},
    "evaluations:blank_workbook": NOTHING,
    "evaluations:blank_forms_pdf": NOTHING,
    "evaluations:summary_workbook": {"GET": {"year"}, "POST": set()},
    "evaluations:dashboard": {
        "GET": {"year", "status", "grade", "overdue", "q", "sort"},
        "POST": set(),
    },
    "evaluations:bulk_approve": {"GET": set(), "POST": {"filing", "next"}},
    "evaluations:generic_preview": {"GET": set(), "POST": GENERIC_PAGE},
    "evaluations:generic_export_xlsx": NOTHING,
    "evaluations:generic_import": {"GET": set(), "POST": {"file", "version"}},
    "evaluations:generic_import_confirm": {"GET": set(), "POST": {"token"}},
    "evaluations:filing_part": {"GET": set(), "POST": PART_FORM | GENERIC_PAGE},
    "evaluations:part_preview": {"GET": set(), "POST": PART_FORM},
    "public:reports": {"GET": {"year", "jurisdiction", "q"}, "POST": set()},
    "public:report_pdf": NOTHING,
    "departments:users": {"GET": {"q", "page"}, "POST": set()},
    "departments:user_create": {
        "GET": set(),
        "POST": {"username", "first_name", "email", "password1", "password2", FORM_ROWS},
    },
    "departments:user_detail": {"GET": set(), "POST": {"role", "department", "jurisdiction"}},
    "departments:user_deactivate": NOTHING,
    "departments:user_reactivate": NOTHING,
    "departments:membership_remove": NOTHING,
}


# --- which parameters a request reads ------------------------------------------------

_READS = ("get", "getlist", "__getitem__", "__contains__")
_recording: list | None = None


@pytest.fixture(autouse=True)
def record_parameter_reads(monkeypatch):
    """Every key looked up in any QueryDict (request.GET, request.POST, and
    the forms that read them) is noted while `_recorded()` is open."""
    for name in _READS:
        original = getattr(QueryDict, name)

        def read(self, key, *args, _original=original, **kwargs):
            if _recording is not None:
                _recording.append((id(self), key))
            return _original(self, key, *args, **kwargs)

        monkeypatch.setattr(QueryDict, name, read)


@contextmanager
def _recorded():
    global _recording
    _recording = []
    try:
        yield _recording
    finally:
        _recording = None


def _reads(response, recording, method: str) -> set[str]:
    request = response.wsgi_request
    source = request.GET if method == "GET" else request.POST
    return {key for owner, key in recording if owner == id(source)}


def _listed(key: str, method: str, name: str) -> bool:
    if method == "POST" and name in EVERY_POST:
        return True
    for entry in PARAMETERS[key][method]:
        if isinstance(entry, re.Pattern) and entry.fullmatch(name):
            return True
        if entry == name:
            return True
    return False


def _shape(name: str) -> str:
    """form-3-weight and form-7-weight are one field of a formset."""
    return re.sub(r"-\d+-", "-N-", name)


# --- sending ----------------------------------------------------------------------


def _send(world: World, persona: str, method: str, path: str, query: dict, data: dict):
    """One request in a savepoint that is rolled back: the response, the
    recorded reads, and what it changed in the database ("" when nothing)."""
    client = world.client(persona)
    # A server error is an answer to report, with every other one.
    client.raise_request_exception = False
    with transaction.atomic():
        before = world.fingerprint()
        with _recorded() as recording:
            url = f"{path}?{urlencode(query, doseq=True)}" if query else path
            response = client.get(url) if method == "GET" else client.post(url, data)
        after = world.fingerprint()
        transaction.set_rollback(True)
    if response.wsgi_request.user.is_anonymous:
        # Logged out (the logout page): the next request logs in again.
        world.forget_client(persona)
    changed = fingerprint_changes(before, after) if before != after else ""
    return response, list(recording), changed


def _fresh(data: dict) -> dict:
    """A copy of a form body whose uploads can be read again."""
    copy = {}
    for name, value in data.items():
        if isinstance(value, SimpleUploadedFile):
            value.seek(0)
            value = SimpleUploadedFile(value.name, value.read(), value.content_type)
        copy[name] = value
    return copy


def _problem(response, changed: str, *, allowed_write: bool) -> str | None:
    if response.status_code >= 500:
        return f"answered {response.status_code}"
    if changed and (response.status_code >= 400 or not allowed_write):
        return f"answered {response.status_code} but changed the database: {changed}"
    return None


def _run(key: str) -> tuple[list[str], int]:
    """Send every case of `key` (in the permission matrix) ordinarily and with
    each odd value in each parameter; return the problems and the count sent.
    The filing is a draft, or in the first status a case exists in."""
    world = build_world()
    cases = [case for case in MATRIX[key] if Status.DRAFT in case.statuses]
    if not cases:
        world.move_to(MATRIX[key][0].statuses[0])
        cases = [case for case in MATRIX[key] if world.status in case.statuses]
    problems, sent = [], 0

    def check(label, response, changed, *, allowed_write):
        nonlocal sent
        sent += 1
        problem = _problem(response, changed, allowed_write=allowed_write)
        if problem:
            problems.append(f"{label}: {problem}")

    for case in cases:
        if case.setup:
            case.setup(world)
        path = case.path(world)
        for persona in PERSONAS:
            for method in ("GET", "POST"):
                body = case.body(world) if case.body and method == "POST" else {}
                response, recording, changed = _send(world, persona, method, path, {}, _fresh(body))
                # An ordinary request may write (a save, an approval); the
                # hostile ones below may write only what a form accepted.
                ordinary_writes = bool(changed) and response.status_code < 400
                check(f"{persona} {method} {path}", response, changed, allowed_write=True)
                read = _reads(response, recording, method)
                for name in sorted(read):
                    if not _listed(key, method, name):
                        problems.append(
                            f"{persona} {method} {path} reads {name!r}, "
                            f"which PARAMETERS[{key!r}] does not list"
                        )
                names = {
                    entry for entry in PARAMETERS[key][method] if isinstance(entry, str)
                } | read
                shapes = {}
                for name in sorted(names):
                    shapes.setdefault(_shape(name), name)
                for name in shapes.values():
                    for label, value in HOSTILE.items():
                        query = {name: value} if method == "GET" else {}
                        data = _fresh(body)
                        if method == "POST":
                            data[name] = value
                        response, _, changed = _send(world, persona, method, path, query, data)
                        check(
                            f"{persona} {method} {path} {name}={label}",
                            response,
                            changed,
                            allowed_write=ordinary_writes,
                        )
        for variant in _too_big_ids(path):
            for persona in PERSONAS:
                for method in ("GET", "POST"):
                    body = case.body(world) if case.body and method == "POST" else {}
                    response, _, changed = _send(world, persona, method, variant, {}, body)
                    check(f"{persona} {method} {variant}", response, changed, allowed_write=False)
    return problems, sent


def _too_big_ids(path: str) -> list[str]:
    """`path` with each integer of the URL pattern made 30 digits long."""
    match = resolve(path)
    variants = []
    for name, value in match.kwargs.items():
        if isinstance(value, int):
            kwargs = {**match.kwargs, name: TOO_BIG_ID}
            variants.append(reverse(match.view_name, kwargs=kwargs))
    return variants


# --- the tests ------------------------------------------------------------------------


def test_every_url_pattern_has_a_row():
    keys = {
        key for key, namespace in _pattern_keys(get_resolver().url_patterns) if namespace != "admin"
    }
    assert not sorted(keys - set(PARAMETERS)), "URL patterns without a row in PARAMETERS"
    assert not sorted(set(PARAMETERS) - keys), "rows for URL patterns that no longer exist"


@pytest.mark.parametrize("key", sorted(PARAMETERS))
def test_odd_values_in_every_parameter_never_cause_a_server_error(key):
    problems, sent = _run(key)

    assert sent
    assert not problems, "\n".join(problems)


# --- odd files ---------------------------------------------------------------------


def _upload(world, persona, path, data: bytes, name: str, **fields):
    response, _, changed = _send(
        world, persona, "POST", path, {}, {"file": SimpleUploadedFile(name, data), **fields}
    )
    return response, changed


def test_a_json_file_with_a_lone_surrogate_or_nul_is_refused_not_a_server_error():
    world = build_world()
    Filing.objects.filter(pk=world.filing.pk).update(status=Status.RETURNED)
    path = reverse("evaluations:filing_import")
    text = _json_text(world)
    for bad in ("\\ud800", "\\u0000", "\\udfff\\ud800"):
        data = text.replace('"organization": "', f'"organization": "{bad}', 1).encode()
        assert data != text.encode()
        for persona in (REVIEWER_J1, ADMIN):
            response, changed = _upload(world, persona, path, data, "bad.json", replace="on")

            assert response.status_code == 400
            assert not changed
            assert "profile.organization：文字中有无法保存的字符" in response.content.decode()


def _json_text(world) -> str:
    return json.dumps(filing_export_json(filing=world.filing), ensure_ascii=True)


DAMAGED_WORKBOOKS = {
    "encrypted entry": lambda data: hostile.encrypted_entry(
        data, hostile.sheet_part(data, SHEET_SCORE)
    ),
    "unsupported compression": lambda data: hostile.other_compression(data, "xl/styles.xml"),
    "corrupt deflate stream": lambda data: hostile.corrupt_deflate(
        data, hostile.sheet_part(data, SHEET_BASIC)
    ),
    "bad CRC": lambda data: hostile.bad_crc(data, hostile.sheet_part(data, SHEET_BASIC)),
    "declared size too large": lambda data: hostile.lying_size(
        data, hostile.sheet_part(data, SHEET_BASIC), 1000
    ),
    "declared size too small": lambda data: hostile.lying_size(
        data, hostile.sheet_part(data, SHEET_BASIC), -10
    ),
}


@pytest.mark.parametrize("case", DAMAGED_WORKBOOKS)
def test_a_damaged_workbook_upload_is_a_plain_refusal(case):
    world = build_world()
    data = DAMAGED_WORKBOOKS[case](filing_workbook(filing=world.filing))
    path = reverse("evaluations:filing_import_xlsx", args=[world.filing.pk])

    response, changed = _upload(world, OFFICER_A, path, data, "junshan.xlsx")

    assert response.status_code == 400
    assert not changed
    html = response.content.decode()
    assert "已加密" in html or "压缩方式" in html or "工作簿已损坏" in html


# --- what each odd value means ------------------------------------------------------


def test_an_odd_filter_on_the_public_list_shows_everything_as_if_absent(client):
    world = build_world()
    world.move_to(Status.PUBLISHED)
    url = reverse("public:reports")

    def listed(query):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200
        return [filing.pk for filing in response.context["filings"]]

    assert listed("") == [world.filing.pk]
    assert listed("year=2024") == []  # a real filter still filters
    for query in ("year=%C2%B2", "jurisdiction=%C2%B2", f"year={TOO_BIG_ID}", "q=%00"):
        assert listed(query) == [world.filing.pk], query


@pytest.mark.parametrize(
    "name", ["evaluations:dashboard", "evaluations:summary_workbook"], ids=["dashboard", "summary"]
)
def test_an_odd_year_on_a_bureau_page_is_a_year_that_does_not_exist(name):
    world = build_world()
    client = world.client(REVIEWER_J1)
    for year in ("%C2%B2", "%EF%BC%91%EF%BC%92", TOO_BIG_ID, "-1"):
        assert client.get(f"{reverse(name)}?year={year}").status_code == 404


def test_bulk_approval_names_an_odd_id_and_approves_nothing_for_it():
    world = build_world()
    world.move_to(Status.SUBMITTED)
    client = world.client(REVIEWER_J1)

    response = client.post(
        reverse("evaluations:bulk_approve"), {"filing": ["²", TOO_BIG_ID]}, follow=True
    )

    html = response.content.decode()
    assert "“²”不是有效的填报编号。" in html
    assert f"“{TOO_BIG_ID[:20]}”不是有效的填报编号。" in html
    assert world.filing_status() == Status.SUBMITTED


def test_a_save_with_an_odd_version_is_refused_as_stale_and_writes_nothing():
    world = build_world()
    path = reverse("evaluations:filing_part", args=[world.filing.pk, "contact"])
    body = world.page_form(path, "part-form")
    body["phone"] = "0730-1234567"
    client = world.client(OFFICER_A)
    for version in ("²", TOO_BIG_ID, "１"):
        before = world.fingerprint()

        response = client.post(path, {**body, "version": version})

        assert response.status_code == 409
        assert "该填报已被他人修改，请刷新后重试" in response.content.decode()
        assert world.fingerprint() == before


# --- a filing on a generic-layout form template -------------------------------------


def _generic_world() -> World:
    world = build_world()
    world.add_generic_filing()
    return world


def _generic_workbook(world) -> bytes:
    from evaluations.core.generic import generic_score
    from evaluations.services.form_templates import filing_form_template
    from evaluations.services.generic_excel import generic_workbook
    from evaluations.services.generic_persistence import generic_document_read

    template = filing_form_template(world.generic_filing).template()
    document = generic_document_read(world.generic_filing)
    return generic_workbook(
        template=template, document=document, score=generic_score(document, template)
    )


def _other_generic_json(world) -> bytes:
    """The Hubei demo: a perfeval-filing/2 file of another form template."""
    from tests.helpers import example_bytes

    return example_bytes("zengdu-2023")


def _other_department_json(world) -> bytes:
    from evaluations.services.generic_persistence import generic_filing_export_json

    exported = generic_filing_export_json(filing=world.generic_filing)
    exported["department"]["name"] = "君山区财政局"
    return json.dumps(exported, ensure_ascii=False).encode()


# name → (file name, bytes of the world, what the refusal says)
GENERIC_BAD_UPLOADS = {
    "not JSON nor a workbook": (
        "baoding.json",
        lambda world: b"\x00\xff garbage",
        "文件不是 UTF-8 编码的 JSON",
    ),
    "the Hunan filing's workbook": (
        "junshan.xlsx",
        lambda world: filing_workbook(filing=world.filing),
        "导入失败，数据库未做任何改动",
    ),
    "the Hunan filing's JSON": (
        "junshan.json",
        lambda world: json.dumps(filing_export_json(filing=world.filing)).encode(),
        "导入失败，数据库未做任何改动",
    ),
    "another template's JSON": ("zengdu.json", _other_generic_json, "导入失败，数据库未做任何改动"),
    "another department's JSON": ("other.json", _other_department_json, "不是本填报"),
    "a damaged workbook": (
        "baoding.xlsx",
        lambda world: hostile.bad_crc(
            _generic_workbook(world), hostile.sheet_part(_generic_workbook(world), "基本信息")
        ),
        "导入失败，数据库未做任何改动",
    ),
}


@pytest.mark.parametrize("case", GENERIC_BAD_UPLOADS)
def test_a_bad_upload_to_a_generic_filing_is_refused_in_chinese_and_writes_nothing(case):
    world = _generic_world()
    name, make, says = GENERIC_BAD_UPLOADS[case]
    data = make(world)
    path = reverse("evaluations:generic_import", args=[world.generic_filing.pk])
    client = world.client(OFFICER_A)
    before = world.fingerprint()

    response = client.post(path, {"file": SimpleUploadedFile(name, data)}, follow=True)

    assert response.status_code == 200
    assert says in response.content.decode()
    assert world.fingerprint() == before, fingerprint_changes(before, world.fingerprint())
    assert f"perfeval.generic_import.{world.generic_filing.pk}" not in client.session


def test_an_upload_without_a_file_or_too_large_is_refused_in_chinese():
    world = _generic_world()
    path = reverse("evaluations:generic_import", args=[world.generic_filing.pk])
    client = world.client(OFFICER_A)
    before = world.fingerprint()

    missing = client.post(path, {}, follow=True).content.decode()
    big = SimpleUploadedFile("big.json", b" " * (settings.PERFEVAL_MAX_IMPORT_BYTES + 1))
    too_big = client.post(path, {"file": big}, follow=True).content.decode()

    assert "请选择要上传的 JSON 文件或 Excel 工作簿。" in missing
    assert "文件过大" in too_big
    assert world.fingerprint() == before


def test_a_generic_workbook_sent_to_the_hunan_import_is_refused_in_chinese():
    world = _generic_world()
    path = reverse("evaluations:filing_import_xlsx", args=[world.filing.pk])
    upload = SimpleUploadedFile("baoding.xlsx", _generic_workbook(world))
    before = world.fingerprint()

    response = world.client(OFFICER_A).post(path, {"file": upload})

    assert response.status_code == 400
    assert re.search(r"[\u4e00-\u9fff]", _alerts(response.content.decode()))
    assert world.fingerprint() == before


def _alerts(html: str) -> str:
    return " ".join(re.findall(r'class="[^"]*(?:alert|invalid-feedback)[^"]*"[^>]*>(.*?)</', html))


# name → (the post: the officer's page with these fields, or only these;
# what the refusal says)
GARBAGE_POSTS = {
    "nothing": (None, {}, "数据缺失或被篡改"),
    "a version only": (None, {"version": "1"}, "数据缺失或被篡改"),
    "unknown fields only": (None, {"r-no_such_row-c_score": "3"}, "数据缺失或被篡改"),
    "a huge row count": ("page", {"f-function_rows-TOTAL_FORMS": "99999"}, "此处最多 50 行"),
    "a date that is none": ("page", {"header-fill_date": "昨天"}, "请输入日期"),
    "a score in words": ("page", {"r-tight_budget-c_score": "四分"}, "自评分数：请输入得分"),
    "a text too long": (
        "page",
        {"narrative-improvements": "字" * 20001},
        "文字过长：最多 20000 个字符",
    ),
    "a NUL in a text": ("page", {"contact-phone": "0312\x00"}, "填报信息 联系电话："),
}


@pytest.mark.parametrize("case", GARBAGE_POSTS)
def test_a_garbage_post_to_the_generic_page_says_why_in_chinese_and_writes_nothing(case):
    world = _generic_world()
    path = reverse("evaluations:filing_part", args=[world.generic_filing.pk, "overview"])
    base, fields, says = GARBAGE_POSTS[case]
    data = {**(world.page_form(path, "part-form") if base else {}), **fields}
    client = world.client(OFFICER_A)
    before = world.fingerprint()

    response = client.post(path, data)
    preview = client.post(
        reverse("evaluations:generic_preview", args=[world.generic_filing.pk]), data
    )

    assert response.status_code == 200
    assert "本页未保存" in response.content.decode()
    assert says in response.content.decode()
    assert preview.status_code == 200 and preview.json()["valid"] is False
    assert world.fingerprint() == before, fingerprint_changes(before, world.fingerprint())


def test_a_generic_page_of_a_filing_that_does_not_exist_is_a_404():
    world = _generic_world()
    client = world.client(OFFICER_A)
    missing = world.generic_filing.pk + 1000
    for name in ("generic_preview", "generic_import", "generic_import_confirm"):
        for pk in (missing, TOO_BIG_ID):
            assert client.post(f"/filings/{pk}/form/{_SUFFIX[name]}").status_code == 404, name
    for pk in (missing, TOO_BIG_ID):
        assert client.get(f"/filings/{pk}/form/export.xlsx").status_code == 404


_SUFFIX = {
    "generic_preview": "preview/",
    "generic_import": "import/",
    "generic_import_confirm": "import/confirm/",
}

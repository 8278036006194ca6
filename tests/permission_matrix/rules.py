"""The permission matrix as data: for every URL pattern, every persona, GET and
POST, and every status of department A's 2023 filing, the exact answer.

A new URL pattern fails tests/test_permission_matrix.py until it has an entry
here. The answers follow DOMAIN.md ("People and roles", "Filing life cycle"):

- login, /healthz and 信息公开 (/gongkai/) need no account; anything else
  sends an anonymous visitor to the login page (LoginRequiredMiddleware);
- what is outside a user's departments and jurisdictions is a 404, whatever
  the method or status, so its existence is not leaked;
- officers write their own filing while it is 草稿 or 已退回 (409 otherwise);
  the bureau may see it, and its writes are refused with 403 (except the
  bureau's JSON import with 覆盖, which replaces a draft or returned filing
  of its jurisdiction, as tests/evaluations/test_views.py has it);
- status moves follow the life cycle (MOVES below, written from DOMAIN.md and
  not read from the workflow's own table); a refused move is a 409, and so
  is every bureau move of an officer of the department who also reviews it
  (separation of duties);
- a withdrawn filing is read-only and off 信息公开 (404 there) like any
  filing that is not published;
- a method a view does not take is a 405, checked before anything else;
- a filing on a generic-layout form template (A's 2022 one on the Hebei
  forms, see world.py) has one page holding the whole form: its officers
  write it as they write the Hunan parts, and whoever may approve it (J1's
  reviewer and the administrators, never an officer of A) writes its 评定分数
  while it is 已报送 — and only then (403 otherwise). Its own pages (preview,
  workbook, import) exist only for such a filing: on A's Hunan filing they
  are a 404, the workbook download a redirect to the Hunan workbook.

Every answer that is not a `write()` must leave the database as it was.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluations.models import Filing
from evaluations.services.excel import filing_workbook
from evaluations.services.generic_persistence import generic_filing_export_json
from evaluations.services.interchange import document_to_dict, filing_document, filing_export_json
from tests.permission_matrix.world import (
    ADMIN,
    ANONYMOUS,
    FROZEN,
    OFFICER_A,
    OFFICER_B,
    OFFICER_REVIEWER,
    PERSONAS,
    REVIEWER_J1,
    REVIEWER_J2,
    STATUSES,
    SUPERUSER,
    Status,
    World,
)

EDITABLE = (Status.DRAFT, Status.RETURNED)
LOGIN_PATH = "/accounts/login/"
ADMIN_LOGIN_PATH = "/admin/login/"
REASON = "偏差原因过于简单，请补充具体原因。"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Expect:
    """The answer to one request: its status code, where a redirect leads
    (a prefix of Location), whether it is an allowed write (which must change
    the database; any other answer must not), and the filing's status after a
    write that moves it."""

    code: int
    location: str | None = None
    writes: bool = False
    status_after: str | None = None


def write(code: int, *, status_after: str | None = None, location: str | None = None) -> Expect:
    return Expect(code, location=location, writes=True, status_after=status_after)


TO_LOGIN = Expect(302, location=f"{LOGIN_PATH}?next=")
TO_ADMIN_LOGIN = Expect(302, location=f"{ADMIN_LOGIN_PATH}?next=")


def row(
    *,
    anonymous: Any = TO_LOGIN,
    officer_a: Any,
    officer_b: Any,
    reviewer_j1: Any,
    reviewer_j2: Any,
    officer_reviewer: Any,
    admin: Any,
    superuser: Any,
) -> dict:
    """The answers of every persona (all keyword arguments, so none is forgotten);
    a value is a status code, an Expect, or a dict status → one of those."""
    return {
        ANONYMOUS: anonymous,
        OFFICER_A: officer_a,
        OFFICER_B: officer_b,
        REVIEWER_J1: reviewer_j1,
        REVIEWER_J2: reviewer_j2,
        OFFICER_REVIEWER: officer_reviewer,
        ADMIN: admin,
        SUPERUSER: superuser,
    }


def everyone(answer, *, anonymous: Any = TO_LOGIN) -> dict:
    return row(
        anonymous=anonymous,
        officer_a=answer,
        officer_b=answer,
        reviewer_j1=answer,
        reviewer_j2=answer,
        officer_reviewer=answer,
        admin=answer,
        superuser=answer,
    )


def by_status(answers: dict, default) -> dict:
    return {status: answers.get(status, default) for status in STATUSES}


def while_editable(yes, no=409) -> dict:
    """`yes` while the filing is 草稿 or 已退回, `no` (409) otherwise."""
    return by_status(dict.fromkeys(EDITABLE, yes), no)


def under_review(yes, no=403) -> dict:
    """`yes` while the filing is 已报送, `no` (403) otherwise."""
    return by_status({Status.SUBMITTED: yes}, no)


def expected(rule: dict, persona: str, status: str) -> Expect:
    answer = rule[persona]
    if isinstance(answer, dict):
        answer = answer[status]
    return answer if isinstance(answer, Expect) else Expect(answer)


# --- the rows that recur ----------------------------------------------------

NO_GET = everyone(405)  # POST-only views; the method is checked first
NO_POST = everyone(405)
NO_POST_PUBLIC = everyone(405, anonymous=405)

# A page of A's filing: who may see it.
READ_FILING = row(
    officer_a=200,
    officer_b=404,
    reviewer_j1=200,
    reviewer_j2=404,
    officer_reviewer=200,
    admin=200,
    superuser=200,
)
# A write to A's filing: its officers while editable; the bureau, superusers
# included, may see it but not write it (403; DOMAIN.md gives administrators
# no filing edits).
WRITE_FILING = row(
    officer_a=while_editable(write(302)),
    officer_b=404,
    reviewer_j1=403,
    reviewer_j2=404,
    officer_reviewer=while_editable(write(302)),
    admin=403,
    superuser=403,
)
# Pages only a writer of A's filing gets, while it is editable, and that write
# nothing: the live preview of a form (computed in a rolled-back transaction)
# and the Excel upload page with its preview.
WRITER_PAGE = row(
    officer_a=while_editable(200),
    officer_b=404,
    reviewer_j1=403,
    reviewer_j2=404,
    officer_reviewer=while_editable(200),
    admin=403,
    superuser=403,
)
# The page of A's generic filing, saved: by its officers while editable (409
# otherwise), and its 评定分数 by those who may approve it while it is 已报送.
GENERIC_PAGE_SAVE = row(
    officer_a=while_editable(write(302)),
    officer_b=404,
    reviewer_j1=under_review(write(302)),
    reviewer_j2=404,
    officer_reviewer=while_editable(write(302)),
    admin=under_review(write(302)),
    superuser=under_review(write(302)),
)
# Its live preview: for whoever the page lets write, when it does.
GENERIC_PREVIEW = row(
    officer_a=while_editable(200),
    officer_b=404,
    reviewer_j1=under_review(200),
    reviewer_j2=404,
    officer_reviewer=while_editable(200),
    admin=under_review(200),
    superuser=under_review(200),
)
# A page that, for a generic filing, is its one page.
READ_GENERIC_REDIRECT = row(
    officer_a=Expect(302, location="/filings/"),
    officer_b=404,
    reviewer_j1=Expect(302, location="/filings/"),
    reviewer_j2=404,
    officer_reviewer=Expect(302, location="/filings/"),
    admin=Expect(302, location="/filings/"),
    superuser=Expect(302, location="/filings/"),
)
# A page about department A itself (blank forms): its officers and reviewers.
READ_DEPARTMENT = READ_FILING
# Pages for the bureau only (dashboard, bulk approval, summary workbook, JSON
# import): they do not exist for officers (404).
BUREAU_404 = row(
    officer_a=404,
    officer_b=404,
    reviewer_j1=200,
    reviewer_j2=200,
    officer_reviewer=200,
    admin=200,
    superuser=200,
)
# 用户管理: administrators only, a 404 for anyone else.
ADMINS_ONLY = row(
    officer_a=404,
    officer_b=404,
    reviewer_j1=404,
    reviewer_j2=404,
    officer_reviewer=404,
    admin=200,
    superuser=200,
)
ADMINS_WRITE = row(
    officer_a=404,
    officer_b=404,
    reviewer_j1=404,
    reviewer_j2=404,
    officer_reviewer=404,
    admin=write(302),
    superuser=write(302),
)


# --- the life cycle -----------------------------------------------------------

OFFICER_MOVE = "officer"
REVIEWER_MOVE = "reviewer"
ADMIN_MOVE = "administrator"
# action → (who, {from: to}), as DOMAIN.md draws the life cycle.
MOVES = {
    "submit": (
        OFFICER_MOVE,
        {Status.DRAFT: Status.SUBMITTED, Status.RETURNED: Status.SUBMITTED},
    ),
    "return": (REVIEWER_MOVE, {Status.SUBMITTED: Status.RETURNED}),
    "approve": (REVIEWER_MOVE, {Status.SUBMITTED: Status.APPROVED}),
    "reopen": (REVIEWER_MOVE, {Status.APPROVED: Status.RETURNED}),
    "publish": (REVIEWER_MOVE, {Status.APPROVED: Status.PUBLISHED}),
    "unpublish": (REVIEWER_MOVE, {Status.PUBLISHED: Status.APPROVED}),
    # A filing is withdrawn, never deleted, from any status but withdrawn.
    "withdraw": (
        ADMIN_MOVE,
        {status: Status.WITHDRAWN for status in STATUSES if status != Status.WITHDRAWN},
    ),
    # The world's filing was withdrawn while published: it comes back as
    # approved (publishing it again is its own move).
    "restore": (ADMIN_MOVE, {Status.WITHDRAWN: Status.APPROVED}),
}
# Who holds each role for A's filing: administrators (and superusers, who
# count as administrators) review everywhere; only A's officers submit it;
# only administrators withdraw and restore. officer_reviewer holds the
# reviewer role of J1 but files for A: separation of duties leaves it the
# officer's moves only. Any other move by someone who can see the filing is
# refused with 409, the transition view's answer to every refusal.
MOVERS = {
    OFFICER_MOVE: {OFFICER_A, OFFICER_REVIEWER},
    REVIEWER_MOVE: {REVIEWER_J1, ADMIN, SUPERUSER},
    ADMIN_MOVE: {ADMIN, SUPERUSER},
}


def transition_rule(action: str) -> dict:
    role, moves = MOVES[action]

    def answer(persona):
        if persona not in MOVERS[role]:
            return 409
        return by_status(
            {
                source: write(302, status_after=target, location="/filings/")
                for source, target in moves.items()
            },
            409,
        )

    return row(
        officer_a=answer(OFFICER_A),
        officer_b=404,
        reviewer_j1=answer(REVIEWER_J1),
        reviewer_j2=404,
        officer_reviewer=answer(OFFICER_REVIEWER),
        admin=answer(ADMIN),
        superuser=answer(SUPERUSER),
    )


# --- the cases ------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One URL of a pattern (e.g. one part of `filing_part`) with its answers.

    `body` builds the POST data (a fresh upload each time); `setup` puts the
    world in the state the case is about, which exists only in `statuses`;
    `logs_out` marks the logout page."""

    label: str
    path: Callable[[World], str]
    get: dict
    post: dict
    body: Callable[[World], dict] | None = None
    setup: Callable[[World], None] | None = None
    statuses: tuple[str, ...] = STATUSES
    logs_out: bool = False


def filing_url(name: str, *extra: Any):
    def path(world: World) -> str:
        values = [value(world) if callable(value) else value for value in extra]
        return reverse(name, args=[world.filing.pk, *values])

    return path


def project_pk(world: World) -> int:
    return world.project.pk


# One field each page's post changes: a save that changes nothing writes
# nothing (services.persistence), which would hide whether it was accepted.
CHANGED_FIELDS = {
    "profile": ("profile-goal_setting", "权限矩阵修改。"),
    "funds": ("funds-basic", "123.45"),
    "basic": ("austerity-austerity_measures", "权限矩阵修改。"),
    "scores": ("goal-goal_actual", "权限矩阵修改。"),
    "report": ("report-other", "权限矩阵修改。"),
    "contact": ("contact-head", "权限矩阵"),
    "project": ("project-goal_actual", "权限矩阵修改。"),
}


def _changed(data: dict, page: str) -> dict:
    name, value = CHANGED_FIELDS[page]
    assert name in data, f"no field {name} on the {page} page"
    return {**data, name: value}


def part_body(part: str):
    def body(world: World) -> dict:
        path = filing_url("evaluations:filing_part", part)(world)
        return _changed(world.page_form(path, "part-form"), part)

    return body


def project_page_body(world: World) -> dict:
    path = filing_url("evaluations:project_edit", project_pk)(world)
    return _changed(world.page_form(path, "part-form"), "project")


def projects_page_form(form_id: Callable[[World], str], **values):
    def body(world: World) -> dict:
        path = filing_url("evaluations:filing_part", "projects")(world)
        return {**world.page_form(path, form_id(world)), **values}

    return body


def transition_body(world: World) -> dict:
    # What the button's form posts: the reason and the status the page showed.
    return {"comment": REASON, "status": world.status}


def json_import_body(world: World) -> dict:
    def changed_export() -> bytes:
        # An unchanged file writes nothing (services.persistence).
        exported = filing_export_json(filing=world.filing)
        exported["report"]["other"] = "权限矩阵修改。"
        return json.dumps(exported, ensure_ascii=False).encode()

    data = world.cached("json", changed_export)
    upload = SimpleUploadedFile("junshan.json", data, content_type="application/json")
    return {"file": upload, "replace": "on"}


def workbook_body(world: World) -> dict:
    data = world.cached("xlsx", lambda: filing_workbook(filing=world.filing))
    return {"file": SimpleUploadedFile("junshan.xlsx", data, content_type=XLSX_CONTENT_TYPE)}


PREVIEW_TOKEN = "matrix-preview-token"


def seed_workbook_preview(world: World) -> None:
    """Every signed-in persona has a pending upload preview of A's filing in
    their session, as after an upload, so that the confirmation is refused
    (or accepted) for who they are and the filing's status, never merely for
    want of a preview."""
    document = document_to_dict(document=filing_document(filing=world.filing))
    # A workbook that differs from the filing, so an accepted import writes.
    document["contact"]["phone"] = "0730-8888666"
    for persona in PERSONAS:
        if world.users[persona] is None:
            continue
        session = world.client(persona).session
        session[f"perfeval.excel_import.{world.filing.pk}"] = {
            "token": PREVIEW_TOKEN,
            "version": world.filing.version,
            "filename": "junshan.xlsx",
            "document": document,
        }
        session.save()


def generic_url(name: str, *extra: Any):
    """A URL of A's generic filing (added to the world by the case's setup)."""

    def path(world: World) -> str:
        return reverse(name, args=[world.generic_filing.pk, *extra])

    return path


# One of the officer's cells and one 评定分数 the generic page's post changes:
# each editor's form takes its own column and keeps the other as saved.
GENERIC_CHANGES = {
    "r-three_guarantees-c_evidence": "权限矩阵修改。",
    "r-three_guarantees-c_review_score": "2",
}


def generic_page_body(world: World) -> dict:
    data = world.page_form(generic_url("evaluations:filing_part", "overview")(world), "part-form")
    # The officer's page: its version and cells, the 评定分数 disabled (not posted).
    assert "version" in data, "the generic page was read when not editable"
    for name in GENERIC_CHANGES:
        assert name.endswith("review_score") or name in data, f"no field {name} on the page"
    return {**data, **GENERIC_CHANGES}


def generic_import_body(world: World) -> dict:
    def changed_export() -> bytes:
        exported = generic_filing_export_json(filing=world.generic_filing)
        exported["narrative"]["improvements"] = "权限矩阵修改。"
        return json.dumps(exported, ensure_ascii=False).encode()

    data = world.cached("generic json", changed_export)
    version = Filing.objects.values_list("version", flat=True).get(pk=world.generic_filing.pk)
    upload = SimpleUploadedFile("baoding.json", data, content_type="application/json")
    return {"file": upload, "version": str(version)}


def seed_generic_import_preview(world: World) -> None:
    """As `seed_workbook_preview`, for an upload to A's generic filing."""
    world.add_generic_filing()
    filing = world.generic_filing
    document = generic_filing_export_json(filing=filing)
    del document["computed"]
    document["narrative"]["improvements"] = "权限矩阵修改。"
    version = Filing.objects.values_list("version", flat=True).get(pk=filing.pk)
    for persona in PERSONAS:
        if world.users[persona] is None:
            continue
        session = world.client(persona).session
        session[f"perfeval.generic_import.{filing.pk}"] = {
            "token": PREVIEW_TOKEN,
            "version": version,
            "filename": "baoding.json",
            "source": "json",
            "document": document,
        }
        session.save()


def department_url(name: str):
    def path(world: World) -> str:
        # The year after the filing's: the blank forms list its rows.
        return reverse(name, args=[world.department_a.pk, 2024])

    return path


def officer_a_url(name: str, *, membership: bool = False):
    def path(world: World) -> str:
        user = world.users[OFFICER_A]
        if membership:
            return reverse(name, args=[user.pk, user.memberships.get().pk])
        return reverse(name, args=[user.pk])

    return path


def fixed(name: str, *args):
    return lambda world: reverse(name, args=args)


def single(path, get, post, **options) -> list[Case]:
    return [Case(label="", path=path, get=get, post=post, **options)]


EDIT_PARTS = ("profile", "funds", "basic", "scores", "report", "contact")
UNKNOWN_PART = "no-such-part"


def _filing_part_cases() -> list[Case]:
    cases = [
        Case(
            label=part,
            path=filing_url("evaluations:filing_part", part),
            get=READ_FILING,
            # The overview and the list of projects have no form of their own.
            post=row(
                officer_a=405,
                officer_b=404,
                reviewer_j1=405,
                reviewer_j2=404,
                officer_reviewer=405,
                admin=405,
                superuser=405,
            ),
        )
        for part in ("overview", "projects")
    ]
    cases += [
        Case(
            label=part,
            path=filing_url("evaluations:filing_part", part),
            get=READ_FILING,
            post=WRITE_FILING,
            body=part_body(part),
        )
        for part in EDIT_PARTS
    ]
    cases.append(
        Case(
            label=UNKNOWN_PART,
            path=filing_url("evaluations:filing_part", UNKNOWN_PART),
            get=everyone(404),
            post=everyone(404),
        )
    )
    cases += [
        Case(
            label="generic filing",
            path=generic_url("evaluations:filing_part", "overview"),
            get=READ_FILING,
            post=GENERIC_PAGE_SAVE,
            body=generic_page_body,
            setup=World.add_generic_filing,
        ),
        # The Hunan parts of a generic filing lead to its one page.
        Case(
            label="generic filing",
            path=generic_url("evaluations:filing_part", "profile"),
            get=READ_GENERIC_REDIRECT,
            post=READ_GENERIC_REDIRECT,
            setup=World.add_generic_filing,
        ),
    ]
    return cases


def _generic_cases(
    name: str,
    *,
    generic: tuple[dict, dict],
    hunan: tuple[dict, dict],
    body=None,
    hunan_body=None,
) -> list[Case]:
    """`name` on A's generic filing (its GET and POST answers `generic`, its
    POST sending `body`) and on A's Hunan one (`hunan`, `hunan_body`)."""
    return [
        Case(
            label="generic filing",
            path=generic_url(name),
            get=generic[0],
            post=generic[1],
            body=body,
            setup=World.add_generic_filing,
        ),
        Case(
            label="Hunan filing",
            path=filing_url(name),
            get=hunan[0],
            post=hunan[1],
            body=hunan_body,
        ),
    ]


def _part_preview_cases() -> list[Case]:
    cases = [
        Case(
            label=part,
            path=filing_url("evaluations:part_preview", part),
            get=NO_GET,
            post=WRITER_PAGE,
            body=part_body(part),
        )
        for part in EDIT_PARTS
    ]
    cases.append(
        Case(
            label=UNKNOWN_PART,
            path=filing_url("evaluations:part_preview", UNKNOWN_PART),
            get=NO_GET,
            post=everyone(404),
        )
    )
    return cases


def _transition_cases() -> list[Case]:
    cases = [
        Case(
            label=action,
            path=filing_url("evaluations:filing_transition", action),
            get=NO_GET,
            post=transition_rule(action),
            body=transition_body,
        )
        for action in MOVES
    ]
    cases.append(
        Case(
            label="no-such-action",
            path=filing_url("evaluations:filing_transition", "no-such-action"),
            get=NO_GET,
            post=everyone(404),
            body=transition_body,
        )
    )
    return cases


def _report_cases() -> list[Case]:
    """The report as served in every status (frozen once approved), and an
    approved or published filing between its approval and the background
    render of its report (a state no other status has)."""
    return [
        Case(
            label="",
            path=filing_url("evaluations:filing_report"),
            get=READ_FILING,
            post=NO_POST,
            setup=World.freeze_report,
        ),
        Case(
            label="render pending",
            path=filing_url("evaluations:filing_report"),
            get=row(
                officer_a=503,
                officer_b=404,
                reviewer_j1=503,
                reviewer_j2=404,
                officer_reviewer=503,
                admin=503,
                superuser=503,
            ),
            post=NO_POST,
            setup=World.unfreeze_report,
            statuses=FROZEN,
        ),
    ]


def _public_report_cases() -> list[Case]:
    published = by_status({Status.PUBLISHED: 200}, 404)
    pending = by_status({Status.PUBLISHED: 503}, 404)
    return [
        Case(
            label="",
            path=filing_url("public:report_pdf"),
            get=everyone(published, anonymous=published),
            post=NO_POST_PUBLIC,
            setup=World.freeze_report,
        ),
        Case(
            label="render pending",
            path=filing_url("public:report_pdf"),
            # A published filing whose report is missing says so (503), with
            # its status and how long the render has been awaited.
            get=everyone(pending, anonymous=pending),
            post=NO_POST_PUBLIC,
            setup=World.unfreeze_report,
            statuses=FROZEN,
        ),
    ]


# Keyed by the pattern's name ("namespace:name"), or by its route for a
# pattern without a name.
MATRIX: dict[str, list[Case]] = {
    # Home: the bureau's dashboard, or 我的填报 for officers.
    "home": single(
        fixed("home"),
        get=row(
            officer_a=Expect(302, location="/filings/"),
            officer_b=Expect(302, location="/filings/"),
            reviewer_j1=Expect(302, location="/filings/review/"),
            reviewer_j2=Expect(302, location="/filings/review/"),
            officer_reviewer=Expect(302, location="/filings/review/"),
            admin=Expect(302, location="/filings/review/"),
            superuser=Expect(302, location="/filings/review/"),
        ),
        post=NO_POST,
    ),
    "login": single(
        fixed("login"),
        get=everyone(200, anonymous=200),
        # An empty form: the page again with its errors, nobody signed in.
        post=everyone(200, anonymous=200),
    ),
    "logout": single(
        fixed("logout"),
        get=NO_GET,
        post=everyone(Expect(302, location=LOGIN_PATH)),
        logs_out=True,
    ),
    "healthz": single(fixed("healthz"), get=everyone(200, anonymous=200), post=NO_POST_PUBLIC),
    # One's own password: an empty form is the page again with its errors.
    "password_change": single(fixed("password_change"), get=everyone(200), post=everyone(200)),
    "password_change_done": single(fixed("password_change_done"), get=everyone(200), post=NO_POST),
    # --- evaluations ---
    "evaluations:my_filings": single(
        fixed("evaluations:my_filings"), get=everyone(200), post=NO_POST
    ),
    "evaluations:help": single(fixed("evaluations:help"), get=everyone(200), post=NO_POST),
    "evaluations:filing_import": single(
        fixed("evaluations:filing_import"),
        get=BUREAU_404,
        # A's own export, overwriting: only a returned filing (never a draft
        # its department may be editing), only by the bureau of A's
        # jurisdiction (a refused file is a 400).
        post=row(
            officer_a=404,
            officer_b=404,
            reviewer_j1=by_status({Status.RETURNED: write(302)}, 400),
            reviewer_j2=400,
            officer_reviewer=by_status({Status.RETURNED: write(302)}, 400),
            admin=by_status({Status.RETURNED: write(302)}, 400),
            superuser=by_status({Status.RETURNED: write(302)}, 400),
        ),
        body=json_import_body,
    ),
    "evaluations:filing_start": single(
        lambda world: reverse(
            "evaluations:filing_start", args=[world.department_a.pk, world.filing.fiscal_year.year]
        ),
        get=NO_GET,
        # The filing exists: its officer is taken to it; only officers start
        # filings, so for anyone else the department is not there.
        post=row(
            officer_a=Expect(302, location="/filings/"),
            officer_b=404,
            reviewer_j1=404,
            reviewer_j2=404,
            officer_reviewer=Expect(302, location="/filings/"),
            admin=404,
            superuser=404,
        ),
    ),
    "evaluations:filing_detail": single(
        filing_url("evaluations:filing_detail"),
        get=row(
            officer_a=Expect(302, location="/filings/"),
            officer_b=404,
            reviewer_j1=Expect(302, location="/filings/"),
            reviewer_j2=404,
            officer_reviewer=Expect(302, location="/filings/"),
            admin=Expect(302, location="/filings/"),
            superuser=Expect(302, location="/filings/"),
        ),
        post=NO_POST,
    ),
    "evaluations:filing_export": single(
        filing_url("evaluations:filing_export"), get=READ_FILING, post=NO_POST
    ),
    "evaluations:filing_report": _report_cases(),
    "evaluations:project_add": single(
        filing_url("evaluations:project_add"),
        get=NO_GET,
        post=WRITE_FILING,
        body=projects_page_form(lambda world: "project-add-form", name="新增项目"),
    ),
    "evaluations:project_edit": single(
        filing_url("evaluations:project_edit", project_pk),
        get=READ_FILING,
        post=WRITE_FILING,
        body=project_page_body,
    ),
    "evaluations:project_delete": single(
        filing_url("evaluations:project_delete", project_pk),
        get=NO_GET,
        post=WRITE_FILING,
        body=projects_page_form(lambda world: f"project-delete-{world.project.pk}"),
    ),
    "evaluations:project_preview": single(
        filing_url("evaluations:project_preview", project_pk),
        get=NO_GET,
        post=WRITER_PAGE,
        body=project_page_body,
    ),
    "evaluations:filing_transition": _transition_cases(),
    "evaluations:filing_history": single(
        filing_url("evaluations:filing_history"), get=READ_FILING, post=NO_POST
    ),
    "evaluations:filing_changes": single(
        filing_url("evaluations:filing_changes"), get=READ_FILING, post=NO_POST
    ),
    "evaluations:filing_export_xlsx": single(
        filing_url("evaluations:filing_export_xlsx"), get=READ_FILING, post=NO_POST
    ),
    "evaluations:filing_import_xlsx": single(
        filing_url("evaluations:filing_import_xlsx"),
        # The upload page, and an upload of A's own workbook: a preview that
        # writes nothing (the pending preview goes to the session).
        get=WRITER_PAGE,
        post=WRITER_PAGE,
        body=workbook_body,
    ),
    "evaluations:filing_import_xlsx_confirm": single(
        filing_url("evaluations:filing_import_xlsx_confirm"),
        get=NO_GET,
        post=WRITE_FILING,
        body=lambda world: {"token": PREVIEW_TOKEN},
        setup=seed_workbook_preview,
    ),
    # A filing on a generic-layout form template (views/generic.py); its page
    # is a case of filing_part.
    "evaluations:generic_preview": _generic_cases(
        "evaluations:generic_preview",
        generic=(NO_GET, GENERIC_PREVIEW),
        hunan=(NO_GET, everyone(404)),
        body=generic_page_body,
        hunan_body=part_body("report"),
    ),
    "evaluations:generic_export_xlsx": _generic_cases(
        "evaluations:generic_export_xlsx",
        generic=(READ_FILING, NO_POST),
        # The Hunan filing's workbook is filing_export_xlsx.
        hunan=(READ_GENERIC_REDIRECT, NO_POST),
    ),
    "evaluations:generic_import": _generic_cases(
        "evaluations:generic_import",
        # The upload of the filing's own export, changed: a preview that
        # writes nothing (the pending import goes to the session).
        generic=(NO_GET, WRITER_PAGE),
        hunan=(NO_GET, everyone(404)),
        body=generic_import_body,
        # The Hunan filing's own workbook, sent to the generic import.
        hunan_body=workbook_body,
    ),
    "evaluations:generic_import_confirm": [
        Case(
            label="generic filing",
            path=generic_url("evaluations:generic_import_confirm"),
            get=NO_GET,
            post=WRITE_FILING,
            body=lambda world: {"token": PREVIEW_TOKEN},
            setup=seed_generic_import_preview,
        ),
        Case(
            label="Hunan filing",
            path=filing_url("evaluations:generic_import_confirm"),
            get=NO_GET,
            post=everyone(404),
            body=lambda world: {"token": PREVIEW_TOKEN},
            setup=seed_workbook_preview,
        ),
    ],
    "evaluations:blank_workbook": single(
        department_url("evaluations:blank_workbook"), get=READ_DEPARTMENT, post=NO_POST
    ),
    "evaluations:blank_forms_pdf": single(
        department_url("evaluations:blank_forms_pdf"), get=READ_DEPARTMENT, post=NO_POST
    ),
    "evaluations:summary_workbook": single(
        fixed("evaluations:summary_workbook"), get=BUREAU_404, post=NO_POST
    ),
    "evaluations:dashboard": single(fixed("evaluations:dashboard"), get=BUREAU_404, post=NO_POST),
    "evaluations:bulk_approve": single(
        fixed("evaluations:bulk_approve"),
        get=NO_GET,
        # A's filing ticked: approved when submitted and the user reviews J1;
        # anything else is reported on the dashboard and changes nothing.
        post=row(
            officer_a=404,
            officer_b=404,
            reviewer_j1=by_status(
                {Status.SUBMITTED: write(302, status_after=Status.APPROVED)}, 302
            ),
            reviewer_j2=302,
            # Separation of duties: its own department's filing is refused.
            officer_reviewer=302,
            admin=by_status({Status.SUBMITTED: write(302, status_after=Status.APPROVED)}, 302),
            superuser=by_status({Status.SUBMITTED: write(302, status_after=Status.APPROVED)}, 302),
        ),
        body=lambda world: {"filing": [str(world.filing.pk)]},
    ),
    "evaluations:filing_part": _filing_part_cases(),
    "evaluations:part_preview": _part_preview_cases(),
    # --- 信息公开 ---
    "public:reports": single(
        fixed("public:reports"), get=everyone(200, anonymous=200), post=NO_POST_PUBLIC
    ),
    "public:report_pdf": _public_report_cases(),
    # --- 用户管理 (the target is officer A's account) ---
    "departments:users": single(fixed("departments:users"), get=ADMINS_ONLY, post=NO_POST),
    "departments:user_create": single(
        fixed("departments:user_create"),
        get=ADMINS_ONLY,
        post=ADMINS_ONLY,  # an empty form: shown again with its errors
    ),
    "departments:user_detail": single(
        officer_a_url("departments:user_detail"),
        get=ADMINS_ONLY,
        post=ADMINS_ONLY,  # an empty role form: shown again with its errors
    ),
    "departments:user_deactivate": single(
        officer_a_url("departments:user_deactivate"), get=NO_GET, post=ADMINS_WRITE
    ),
    # Officer A is active: reactivating answers like a write but changes nothing.
    "departments:user_reactivate": single(
        officer_a_url("departments:user_reactivate"),
        get=NO_GET,
        post=row(
            officer_a=404,
            officer_b=404,
            reviewer_j1=404,
            reviewer_j2=404,
            officer_reviewer=404,
            admin=302,
            superuser=302,
        ),
    ),
    "departments:membership_remove": single(
        officer_a_url("departments:membership_remove", membership=True),
        get=NO_GET,
        post=ADMINS_WRITE,
    ),
}

# The Django admin is covered as one group of three of its pages rather than
# pattern by pattern: its permissions are Django's (is_staff, then model
# permissions), not this app's. Its views are exempt from
# LoginRequiredMiddleware: anyone who is not staff, signed in or not, is sent
# to the admin's own login page.
NOT_STAFF = TO_ADMIN_LOGIN
ADMIN_MATRIX: dict[str, list[Case]] = {
    "admin:index": single(
        fixed("admin:index"),
        get=row(
            anonymous=NOT_STAFF,
            officer_a=NOT_STAFF,
            officer_b=NOT_STAFF,
            reviewer_j1=NOT_STAFF,
            reviewer_j2=NOT_STAFF,
            officer_reviewer=NOT_STAFF,
            admin=200,
            superuser=200,
        ),
        post=row(
            anonymous=NOT_STAFF,
            officer_a=NOT_STAFF,
            officer_b=NOT_STAFF,
            reviewer_j1=NOT_STAFF,
            reviewer_j2=NOT_STAFF,
            officer_reviewer=NOT_STAFF,
            admin=200,
            superuser=200,
        ),
    ),
    "admin:login": single(
        fixed("admin:login"),
        get=row(
            anonymous=200,
            officer_a=200,
            officer_b=200,
            reviewer_j1=200,
            reviewer_j2=200,
            officer_reviewer=200,
            admin=Expect(302, location="/admin/"),
            superuser=Expect(302, location="/admin/"),
        ),
        post=everyone(200, anonymous=200),
    ),
    # A's filing in the admin: read-only there, even for a superuser; an
    # administrator without model permissions is refused. Unlike the admin's index and
    # login, a ModelAdmin's pages are not exempt from LoginRequiredMiddleware:
    # anonymous visitors meet the app's login page.
    "admin:evaluations_filing_change": single(
        filing_url("admin:evaluations_filing_change"),
        get=row(
            anonymous=TO_LOGIN,
            officer_a=NOT_STAFF,
            officer_b=NOT_STAFF,
            reviewer_j1=NOT_STAFF,
            reviewer_j2=NOT_STAFF,
            officer_reviewer=NOT_STAFF,
            admin=403,
            superuser=200,
        ),
        post=row(
            anonymous=TO_LOGIN,
            officer_a=NOT_STAFF,
            officer_b=NOT_STAFF,
            reviewer_j1=NOT_STAFF,
            reviewer_j2=NOT_STAFF,
            officer_reviewer=NOT_STAFF,
            admin=403,
            superuser=403,
        ),
    ),
    # Nobody deletes a filing, not even a superuser: it is the record.
    "admin:evaluations_filing_delete": single(
        filing_url("admin:evaluations_filing_delete"),
        get=row(
            anonymous=TO_LOGIN,
            officer_a=NOT_STAFF,
            officer_b=NOT_STAFF,
            reviewer_j1=NOT_STAFF,
            reviewer_j2=NOT_STAFF,
            officer_reviewer=NOT_STAFF,
            admin=403,
            superuser=403,
        ),
        post=row(
            anonymous=TO_LOGIN,
            officer_a=NOT_STAFF,
            officer_b=NOT_STAFF,
            reviewer_j1=NOT_STAFF,
            reviewer_j2=NOT_STAFF,
            officer_reviewer=NOT_STAFF,
            admin=403,
            superuser=403,
        ),
    ),
}

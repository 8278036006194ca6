"""The people and the filing every cell of the permission matrix is asked about.

Jurisdiction J1 (岳阳市君山区, from the 君山 example) holds department A (the
example's department, with its 2023 filing and one 附件3 project) and
department B; jurisdiction J2 holds nothing of A's. The cases of the pages
of a generic-layout form template add A's 2022 filing on the Hebei 保定
考核自评表 (`World.add_generic_filing`: as if J1 had filed on Baoding's forms
that year), in the same status as the 2023 one, so that the same personas
meet it: A's officers write it, J1's reviewers (and administrators) review
it and enter its 评定分数 while it is 已报送, B and J2 do not see it. The
personas:

- anonymous: no account;
- officer_a, officer_b: 单位填报人 of A, of B;
- reviewer_j1, reviewer_j2: 财政局审核人 of J1 (A's), of J2;
- officer_reviewer: 单位填报人 of A *and* 财政局审核人 of J1, a combination
  用户管理 refuses to grant but an account may hold from before (or from the
  database), so it is created directly: it files for A like officer_a, and
  the workflow refuses it every bureau move on A's filing (separation of
  duties);
- admin: 系统管理员 membership and `is_staff` (so /admin/ lets them in),
  not a superuser: the role the app itself grants;
- superuser: `is_superuser` and `is_staff` with no membership, as
  `createsuperuser` and `load_demo` make them. The app treats a superuser as an
  administrator everywhere and, unlike an administrator, as a writer of every
  filing (selectors.user_can_edit_filing), so the matrix pins that down too.

The filing reaches its status through the workflow service, as in real use
(a returned filing has its return and snapshot, an approved one its approval),
and an approved or published filing gets the frozen report the background task
would have stored. The withdrawn filing was withdrawn while published, so it
keeps that report and 恢复 brings it back as 已审核.
"""

import hashlib
from dataclasses import dataclass, field

from auditlog.models import LogEntry as AuditLogEntry
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from departments.models import Department, Jurisdiction, Membership
from evaluations.models import (
    Filing,
    FilingRevision,
    FilingRow,
    FilingTransition,
    FiscalYear,
    Indicator,
    Project,
)
from evaluations.services.form_templates import form_template_install_shipped
from evaluations.services.generic_persistence import generic_filing_create
from evaluations.services.interchange import document_from_bytes
from evaluations.services.workflow import filing_transition
from tests.evaluations.pages import PageForm
from tests.factories import (
    DepartmentFactory,
    FiscalYearFactory,
    JurisdictionFactory,
    UserFactory,
    officer_of,
    reviewer_of,
)
from tests.helpers import example_bytes, import_example, make_submittable

Status = Filing.Status

ANONYMOUS = "anonymous"
OFFICER_A = "officer_a"
OFFICER_B = "officer_b"
REVIEWER_J1 = "reviewer_j1"
REVIEWER_J2 = "reviewer_j2"
OFFICER_REVIEWER = "officer_reviewer"
ADMIN = "admin"
SUPERUSER = "superuser"
PERSONAS = (
    ANONYMOUS,
    OFFICER_A,
    OFFICER_B,
    REVIEWER_J1,
    REVIEWER_J2,
    OFFICER_REVIEWER,
    ADMIN,
    SUPERUSER,
)

# draft, submitted, returned, approved, published, withdrawn
STATUSES = tuple(Status.values)
FROZEN = (Status.APPROVED, Status.PUBLISHED)
# A's filing on a generic-layout form template: the Hebei demo's content.
GENERIC_TEMPLATE = "hebei-baoding-assessment@2023"
GENERIC_EXAMPLE = "hebei-demo-2023"
GENERIC_YEAR = 2022
RETURN_REASON = "第8行经济效益扣分的偏差原因过于简单，请具体说明。"
WITHDRAW_REASON = "该部门已撤并，本年度填报作废。"
REASONS = {Status.RETURNED: RETURN_REASON, Status.WITHDRAWN: WITHDRAW_REASON}

# How each status is reached from a draft: (action's target, who moves it).
_PATHS = {
    Status.DRAFT: (),
    Status.SUBMITTED: ((Status.SUBMITTED, OFFICER_A),),
    Status.RETURNED: ((Status.SUBMITTED, OFFICER_A), (Status.RETURNED, REVIEWER_J1)),
    Status.APPROVED: ((Status.SUBMITTED, OFFICER_A), (Status.APPROVED, REVIEWER_J1)),
    Status.PUBLISHED: (
        (Status.SUBMITTED, OFFICER_A),
        (Status.APPROVED, REVIEWER_J1),
        (Status.PUBLISHED, REVIEWER_J1),
    ),
    Status.WITHDRAWN: (
        (Status.SUBMITTED, OFFICER_A),
        (Status.APPROVED, REVIEWER_J1),
        (Status.PUBLISHED, REVIEWER_J1),
        (Status.WITHDRAWN, ADMIN),
    ),
}

# The frozen report is rendered once per test run (about a second) and stored
# again for every approved or published world: what is served is the same
# kind of file the approval task freezes, its bytes do not matter here.
_frozen_report: dict[str, bytes] = {}


def _frozen_report_bytes(filing) -> bytes:
    if "pdf" not in _frozen_report:
        from evaluations.services.pdf import filing_report_pdf

        _frozen_report["pdf"] = filing_report_pdf(filing=filing)
    return _frozen_report["pdf"]


def _freeze_report(filing: Filing, status: str) -> None:
    """Store the frozen report of `filing` (its row as just read) once it is
    approved or published, as the approval task would."""
    if status not in FROZEN or filing.report_sha256:
        return
    data = _frozen_report_bytes(filing)
    digest = hashlib.sha256(data).hexdigest()
    filing.report_pdf.save(f"filing-{filing.pk}-{digest[:12]}.pdf", ContentFile(data), save=False)
    filing.report_sha256 = digest
    filing.report_size = len(data)
    filing.report_rendered_at = timezone.now()
    filing.save(update_fields=["report_pdf", "report_sha256", "report_size", "report_rendered_at"])


_FILING_COLUMNS = ("status", "version", "updated_at", "report_sha256", "grade")
_COUNTED = (
    Filing,
    FilingTransition,
    FilingRevision,
    FilingRow,
    Indicator,
    Project,
    FiscalYear,
    Department,
    Jurisdiction,
    Membership,
    AuditLogEntry,
    AdminLogEntry,
)
FINGERPRINT_FIELDS = (
    *(f"filing.{column}" for column in _FILING_COLUMNS),
    *(f"generic filing.{column}" for column in _FILING_COLUMNS),
    *(f"{model._meta.label} rows" for model in _COUNTED),
    "active users",
)


def _fingerprint_sql() -> str:
    """One query reading what any write of these pages changes: the rows of
    A's filing and of its generic one (NULLs while there is none; every save
    of a filing page bumps its version), and the row counts of the tables
    rows are added to or removed from, the audit log included (every changed
    field of a filing writes an entry)."""
    quote = connection.ops.quote_name
    filings = quote(Filing._meta.db_table)
    columns = ", ".join(quote(column) for column in _FILING_COLUMNS)
    generic = ", ".join(
        f"(SELECT {quote(column)} FROM {filings} WHERE {quote('id')} = %s)"
        for column in _FILING_COLUMNS
    )
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)})" for model in _COUNTED
    )
    users = quote(get_user_model()._meta.db_table)
    active = f"(SELECT COUNT(*) FROM {users} WHERE {quote('is_active')} = %s)"
    return (
        f"SELECT {columns}, {generic}, {counts}, {active} FROM {filings} WHERE {quote('id')} = %s"
    )


def fingerprint_changes(before: tuple, after: tuple) -> str:
    return "; ".join(
        f"{name}: {old!r} → {new!r}"
        for name, old, new in zip(FINGERPRINT_FIELDS, before, after, strict=True)
        if old != new
    )


@dataclass
class World:
    filing: Filing
    project: Project
    department_a: Department
    department_b: Department
    users: dict  # persona → user (None for anonymous)
    status: str = Status.DRAFT
    generic_filing: Filing | None = None  # A's 2022 filing, once added
    clients: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    # --- the filing -----------------------------------------------------------

    def move_to(self, status: str) -> None:
        """Reach `status` through the workflow, and freeze the report of an
        approved or published filing as the approval task would."""
        for target, persona in _PATHS[status]:
            comment = REASONS.get(target, "")
            self.filing = filing_transition(
                filing=self.filing, to=target, actor=self.users[persona], comment=comment
            )
            self.status = target
            # 公开 waits for the frozen report, as the reviewer's button does.
            self.freeze_report()

    def add_generic_filing(self) -> None:
        """A's 2022 filing on the Hebei template (the demo's content), brought
        to the status of the 2023 one the same way; once per world (the
        setup of every case about it)."""
        if self.generic_filing is not None:
            return
        form_template = form_template_install_shipped(identity=GENERIC_TEMPLATE)
        filing = generic_filing_create(
            department=self.department_a,
            fiscal_year=FiscalYearFactory(year=GENERIC_YEAR),
            form_template=form_template,
            actor=None,
            source=FilingRevision.Source.COMMAND,
            document=document_from_bytes(example_bytes(GENERIC_EXAMPLE)),
        ).filing
        for target, persona in _PATHS[self.status]:
            comment = REASONS.get(target, "")
            filing = filing_transition(
                filing=filing, to=target, actor=self.users[persona], comment=comment
            )
            _freeze_report(filing, target)
        self.generic_filing = filing

    def freeze_report(self) -> None:
        self.refresh()
        _freeze_report(self.filing, self.status)

    def unfreeze_report(self) -> None:
        """The state between an approval and its background render."""
        Filing.objects.filter(pk=self.filing.pk).update(
            report_pdf="", report_sha256="", report_size=None, report_rendered_at=None
        )
        self.refresh()

    def refresh(self) -> None:
        self.filing.refresh_from_db()

    def fingerprint(self) -> tuple:
        generic = self.generic_filing.pk if self.generic_filing is not None else None
        with connection.cursor() as cursor:
            cursor.execute(
                _fingerprint_sql(), [*[generic] * len(_FILING_COLUMNS), True, self.filing.pk]
            )
            return tuple(cursor.fetchone())

    def filing_status(self) -> str:
        return Filing.objects.values_list("status", flat=True).get(pk=self.filing.pk)

    # --- the people ----------------------------------------------------------

    def client(self, persona: str) -> Client:
        if persona not in self.clients:
            client = Client()
            if self.users[persona] is not None:
                client.force_login(self.users[persona])
            self.clients[persona] = client
        return self.clients[persona]

    def forget_client(self, persona: str) -> None:
        """After a logout: the next request logs in again."""
        self.clients.pop(persona, None)

    # --- what the pages post --------------------------------------------------

    def page_form(self, path: str, form_id: str) -> dict:
        """The fields of form `form_id` as officer A's browser would post them
        from `path`. A filing that is not editable renders no such form, so
        the form is read as it was while the filing was still editable: the
        post a page left open from before the submission would send (of A's
        filing or of its generic one, which share the status)."""
        key = (path, form_id)
        if key not in self.cache:
            editable = self.status in {Status.DRAFT, Status.RETURNED}
            filings = Filing.objects.filter(
                pk__in=[f.pk for f in (self.filing, self.generic_filing) if f is not None]
            )
            if not editable:
                filings.update(status=Status.DRAFT)
            try:
                response = self.client(OFFICER_A).get(path)
                assert response.status_code == 200, f"GET {path}: {response.status_code}"
                self.cache[key] = PageForm(response.content.decode(), form_id).data
            finally:
                if not editable:
                    filings.update(status=self.status)
        return dict(self.cache[key])

    def cached(self, key: str, make):
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]


def build_world() -> World:
    filing = make_submittable(import_example("junshan-2023"))
    department_a = filing.department
    jurisdiction_1 = department_a.jurisdiction
    department_b = DepartmentFactory(name="君山区财政局", jurisdiction=jurisdiction_1)
    jurisdiction_2 = JurisdictionFactory(name="岳阳市岳阳楼区")
    admin = UserFactory(username="admin", is_staff=True)
    Membership.objects.create(user=admin, role=Membership.Role.ADMIN)
    users = {
        ANONYMOUS: None,
        OFFICER_A: officer_of(department_a, username="officer_a"),
        OFFICER_B: officer_of(department_b, username="officer_b"),
        REVIEWER_J1: reviewer_of(jurisdiction_1, username="reviewer_j1"),
        REVIEWER_J2: reviewer_of(jurisdiction_2, username="reviewer_j2"),
        OFFICER_REVIEWER: officer_of(department_a, username="officer_reviewer"),
        ADMIN: admin,
        SUPERUSER: UserFactory(username="superuser", is_staff=True, is_superuser=True),
    }
    Membership.objects.create(
        user=users[OFFICER_REVIEWER], role=Membership.Role.REVIEWER, jurisdiction=jurisdiction_1
    )
    project = filing.projects.order_by("position", "pk").first()
    assert project is not None, "the 君山 example has a 附件3 project"
    return World(
        filing=filing,
        project=project,
        department_a=department_a,
        department_b=department_b,
        users=users,
    )

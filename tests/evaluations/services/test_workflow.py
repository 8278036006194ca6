import hashlib
import threading

import pytest
from django.core import mail
from django.db import connection
from django.http import Http404

from departments.models import Membership
from evaluations.models import Filing, FilingTransition
from evaluations.selectors import published_filing_get, published_filings
from evaluations.services.bulk import filings_bulk_approve
from evaluations.services.editing import FilingNotEditable, filing_check_editable
from evaluations.services.reports import report_freeze, report_pdf_bytes
from evaluations.services.workflow import (
    TransitionError,
    filing_transition,
    moves_available,
    restore_target,
)
from tests.factories import DepartmentFactory, UserFactory, officer_of, reviewer_of
from tests.helpers import import_example, make_submittable

Status = Filing.Status

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def filing():
    return make_submittable(import_example("junshan-2023"))


@pytest.fixture
def officer(filing):
    return officer_of(filing.department, email="officer@example.cn")


@pytest.fixture
def reviewer(filing):
    return reviewer_of(filing.department.jurisdiction, email="reviewer@example.cn")


def test_officer_submits_a_filing_without_errors(
    filing, officer, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    assert filing.status == Status.SUBMITTED
    row = FilingTransition.objects.get(filing=filing)
    assert (row.from_status, row.to_status, row.actor) == (Status.DRAFT, Status.SUBMITTED, officer)
    assert [message.to for message in mail.outbox] == [["reviewer@example.cn"]]


def test_submission_is_refused_while_errors_exist():
    filing = import_example("junshan-2023")
    officer = officer_of(filing.department)
    with pytest.raises(TransitionError) as refused:
        filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    assert {finding.code for finding in refused.value.findings} == {
        "deviation_missing",
        "contact_missing",
    }
    filing.refresh_from_db()
    assert filing.status == Status.DRAFT
    assert not FilingTransition.objects.exists()


@pytest.mark.parametrize("blank", ["preparer", "phone", "head"])
def test_submission_is_refused_while_a_contact_field_is_blank(filing, officer, blank):
    Filing.objects.filter(pk=filing.pk).update(**{blank: ""})
    filing.refresh_from_db()

    with pytest.raises(TransitionError) as refused:
        filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)

    assert [(f.code, f.where) for f in refused.value.findings] == [
        ("contact_missing", f"contact.{blank}")
    ]
    filing.refresh_from_db()
    assert filing.status == Status.DRAFT


def test_reviewer_cannot_submit_and_officer_cannot_approve(filing, officer, reviewer):
    with pytest.raises(TransitionError, match="没有权限"):
        filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=reviewer)
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    with pytest.raises(TransitionError, match="没有权限"):
        filing = filing_transition(filing=filing, to=Status.APPROVED, actor=officer)


def test_reviewer_of_another_jurisdiction_cannot_approve(filing, officer):
    from tests.factories import JurisdictionFactory

    stranger = reviewer_of(JurisdictionFactory(name="别的区"))
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    with pytest.raises(TransitionError, match="没有权限"):
        filing = filing_transition(filing=filing, to=Status.APPROVED, actor=stranger)


def test_return_needs_a_reason_of_five_characters(filing, officer, reviewer):
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    with pytest.raises(TransitionError, match="至少 5 个字"):
        filing_transition(filing=filing, to=Status.RETURNED, actor=reviewer, comment="不行")
    filing = filing_transition(
        filing=filing, to=Status.RETURNED, actor=reviewer, comment="偏差原因写得太简单"
    )
    assert filing.status == Status.RETURNED
    returned = filing.transitions.first()
    assert returned.comment == "偏差原因写得太简单"
    assert returned.snapshot["department"]["name"] == "中共岳阳市君山区委办公室"


def test_full_cycle_through_publish_unpublish_and_reopen(
    filing, officer, reviewer, django_capture_on_commit_callbacks
):
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    with django_capture_on_commit_callbacks(execute=True):  # renders the frozen report
        filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    filing = filing_transition(filing=filing, to=Status.PUBLISHED, actor=reviewer)
    filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    filing = filing_transition(
        filing=filing, to=Status.RETURNED, actor=reviewer, comment="发现执行数有误，取消审核"
    )
    assert filing.status == Status.RETURNED
    assert [row.to_status for row in FilingTransition.objects.order_by("pk")] == [
        Status.SUBMITTED,
        Status.APPROVED,
        Status.PUBLISHED,
        Status.APPROVED,
        Status.RETURNED,
    ]
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    assert filing.status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (Status.DRAFT, Status.APPROVED),
        (Status.DRAFT, Status.PUBLISHED),
        (Status.SUBMITTED, Status.PUBLISHED),
        (Status.RETURNED, Status.APPROVED),
        (Status.PUBLISHED, Status.RETURNED),
        (Status.APPROVED, Status.SUBMITTED),
        (Status.SUBMITTED, Status.DRAFT),
    ],
)
def test_illegal_moves_are_refused_by_the_service(filing, reviewer, start, to):
    Filing.objects.filter(pk=filing.pk).update(status=start)
    filing.refresh_from_db()
    with pytest.raises(TransitionError, match="不能变更"):
        filing = filing_transition(filing=filing, to=to, actor=reviewer, comment="理由写够五个字")
    filing.refresh_from_db()
    assert filing.status == start


def test_admin_may_review_any_jurisdiction(filing, officer):
    admin = UserFactory()
    Membership.objects.create(user=admin, role=Membership.Role.ADMIN)
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    filing = filing_transition(filing=filing, to=Status.APPROVED, actor=admin)
    assert filing.status == Status.APPROVED


def test_each_transition_bumps_the_version(filing, officer):
    before = filing.version
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    assert filing.version == before + 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite 没有行级锁；在 PostgreSQL 上测试")
def test_two_reviewers_cannot_both_approve_and_return():
    filing = make_submittable(import_example("junshan-2023"))
    officer = officer_of(filing.department)
    first = reviewer_of(filing.department.jurisdiction)
    second = reviewer_of(filing.department.jurisdiction)
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    barrier = threading.Barrier(2)
    outcomes = []

    def act(actor, to, comment):
        barrier.wait()
        try:
            filing_transition(
                filing=Filing.objects.get(pk=filing.pk), to=to, actor=actor, comment=comment
            )
            outcomes.append(to)
        except TransitionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(first, Status.APPROVED, "")),
        threading.Thread(target=act, args=(second, Status.RETURNED, "数据需要再核对一下")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str).count("refused") == 1
    assert FilingTransition.objects.filter(filing=filing).count() == 2


def test_officer_is_mailed_on_return_and_on_approval(
    filing, officer, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
        filing = filing_transition(
            filing=filing, to=Status.RETURNED, actor=reviewer, comment="请补充偏差原因说明"
        )
        filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
        filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    subjects = [(message.subject, message.to) for message in mail.outbox]
    assert [to for _, to in subjects] == [
        ["reviewer@example.cn"],
        ["officer@example.cn"],
        ["reviewer@example.cn"],
        ["officer@example.cn"],
    ]
    assert "请补充偏差原因说明" in mail.outbox[1].body
    assert "已审核" in subjects[3][0]


def test_publishing_is_refused_until_the_frozen_report_exists(filing, officer, reviewer):
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    # Approved, the render queued after the commit has not run yet.
    filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    with pytest.raises(TransitionError) as refused:
        filing_transition(filing=filing, to=Status.PUBLISHED, actor=reviewer)
    assert refused.value.message == "审核版报告正在生成，生成后才能公开，请稍后再试。"
    filing.refresh_from_db()
    assert filing.status == Status.APPROVED
    assert filing.transitions.filter(to_status=Status.PUBLISHED).count() == 0

    report_freeze(filing_id=filing.pk)
    filing = filing_transition(filing=filing, to=Status.PUBLISHED, actor=reviewer)
    assert filing.status == Status.PUBLISHED


# --- separation of duties --------------------------------------------------------

DUTY_REFUSAL = "您是该部门的填报人，不能审核本部门的填报（填报与审核须由不同的人担任）。"
# Every bureau move: (status it starts from, target).
REVIEW_MOVES = [
    (Status.SUBMITTED, Status.RETURNED),
    (Status.SUBMITTED, Status.APPROVED),
    (Status.APPROVED, Status.RETURNED),
    (Status.APPROVED, Status.PUBLISHED),
    (Status.PUBLISHED, Status.APPROVED),
]


def _also(user, *, role, jurisdiction=None):
    """Give `user` a second role straight in the database, as an account made
    before 用户管理 refused such combinations would hold it."""
    Membership.objects.create(user=user, role=role, jurisdiction=jurisdiction)
    return user


def _officer_who_reviews(filing, kind):
    user = officer_of(filing.department, username=f"officer-{kind}")
    if kind == "reviewer":
        return _also(
            user, role=Membership.Role.REVIEWER, jurisdiction=filing.department.jurisdiction
        )
    if kind == "admin":
        return _also(user, role=Membership.Role.ADMIN)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


def _with_status(filing, status):
    # A frozen report, so that 公开 is refused for who asks, not for waiting.
    Filing.objects.filter(pk=filing.pk).update(status=status, report_sha256="0" * 64)
    filing.refresh_from_db()
    return filing


def _two_departments(filing):
    """君山 2023 twice in its jurisdiction: a new import for its department, and
    `filing` moved to another department."""
    other_department = DepartmentFactory(
        name="君山区教育局", jurisdiction=filing.department.jurisdiction
    )
    Filing.objects.filter(pk=filing.pk).update(department=other_department)
    return make_submittable(import_example("junshan-2023")), Filing.objects.get(pk=filing.pk)


@pytest.mark.parametrize("kind", ["reviewer", "admin", "superuser"])
@pytest.mark.parametrize(("start", "to"), REVIEW_MOVES)
def test_an_officer_of_the_department_makes_no_review_move_whatever_else_they_are(
    filing, kind, start, to
):
    actor = _officer_who_reviews(filing, kind)
    filing = _with_status(filing, start)

    assert moves_available(filing=filing, actor=actor) == []
    with pytest.raises(TransitionError) as refused:
        filing_transition(filing=filing, to=to, actor=actor, comment="理由写够五个字")

    assert refused.value.message == DUTY_REFUSAL
    filing.refresh_from_db()
    assert filing.status == start
    assert not FilingTransition.objects.exists()


def test_an_officer_who_reviews_still_submits_and_reviews_other_departments(filing):
    filing, other = _two_departments(filing)
    actor = _officer_who_reviews(filing, "reviewer")
    other_officer = officer_of(other.department)

    assert [to for to, _move in moves_available(filing=filing, actor=actor)] == [Status.SUBMITTED]
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=actor)
    other = filing_transition(filing=other, to=Status.SUBMITTED, actor=other_officer)
    assert {to for to, _move in moves_available(filing=other, actor=actor)} == {
        Status.RETURNED,
        Status.APPROVED,
    }
    other = filing_transition(filing=other, to=Status.APPROVED, actor=actor)
    assert (filing.status, other.status) == (Status.SUBMITTED, Status.APPROVED)


def test_bulk_approval_refuses_the_approvers_own_department_and_approves_the_rest(filing):
    filing, other = _two_departments(filing)
    filing = filing_transition(
        filing=filing, to=Status.SUBMITTED, actor=officer_of(filing.department)
    )
    other = filing_transition(filing=other, to=Status.SUBMITTED, actor=officer_of(other.department))
    actor = _officer_who_reviews(filing, "reviewer")

    results = filings_bulk_approve(filing_ids=[filing.pk, other.pk], actor=actor)

    assert [(r.filing_id, r.approved, r.message) for r in results] == [
        (filing.pk, False, DUTY_REFUSAL),
        (other.pk, True, "已审核"),
    ]
    assert Filing.objects.get(pk=filing.pk).status == Status.SUBMITTED
    assert Filing.objects.get(pk=other.pk).status == Status.APPROVED


# --- withdrawal, never deletion ----------------------------------------------------

WITHDRAW_REASON = "该部门已撤并，本年度填报作废。"
RESTORE_REASON = "撤并决定已撤回，恢复填报。"


@pytest.fixture
def admin():
    user = UserFactory(username="admin")
    Membership.objects.create(user=user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def published(filing, officer, reviewer):
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
    report_freeze(filing_id=filing.pk)
    filing = filing_transition(filing=filing, to=Status.PUBLISHED, actor=reviewer)
    return Filing.objects.get(pk=filing.pk)


def test_a_withdrawn_filing_keeps_everything_and_leaves_the_public_listing(published, admin):
    rows = (published.indicators.count(), published.projects.count(), published.transitions.count())
    sha256, path = published.report_sha256, published.report_pdf.name

    filing = filing_transition(
        filing=published, to=Status.WITHDRAWN, actor=admin, comment=WITHDRAW_REASON
    )

    filing = Filing.objects.get(pk=filing.pk)
    assert filing.status == Status.WITHDRAWN
    assert not filing.is_editable
    withdrawal = filing.transitions.first()
    assert (withdrawal.from_status, withdrawal.to_status, withdrawal.actor, withdrawal.comment) == (
        Status.PUBLISHED,
        Status.WITHDRAWN,
        admin,
        WITHDRAW_REASON,
    )
    assert (filing.indicators.count(), filing.projects.count(), filing.transitions.count()) == (
        rows[0],
        rows[1],
        rows[2] + 1,
    )
    assert (filing.report_sha256, filing.report_pdf.name) == (sha256, path)
    assert filing.report_pdf.storage.exists(path)
    # Those who may still see it get the frozen file, not a new render.
    assert hashlib.sha256(report_pdf_bytes(filing=filing)).hexdigest() == sha256
    assert list(published_filings()) == []
    with pytest.raises(Http404):
        published_filing_get(pk=filing.pk)
    with pytest.raises(FilingNotEditable):
        filing_check_editable(filing=filing)


@pytest.mark.parametrize(
    "start", [Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED, Status.PUBLISHED]
)
def test_an_administrator_withdraws_from_any_status_with_a_reason(filing, admin, start):
    filing = _with_status(filing, start)
    assert [
        to for to, _move in moves_available(filing=filing, actor=admin) if to == Status.WITHDRAWN
    ] == [Status.WITHDRAWN]
    with pytest.raises(TransitionError, match="请填写撤销原因（至少 5 个字）"):
        filing_transition(filing=filing, to=Status.WITHDRAWN, actor=admin, comment="作废")

    filing = filing_transition(
        filing=filing, to=Status.WITHDRAWN, actor=admin, comment=WITHDRAW_REASON
    )

    assert filing.status == Status.WITHDRAWN


def test_a_superuser_counts_as_an_administrator_for_withdrawal(filing):
    superuser = UserFactory(is_superuser=True)
    filing = filing_transition(
        filing=filing, to=Status.WITHDRAWN, actor=superuser, comment=WITHDRAW_REASON
    )
    assert filing.status == Status.WITHDRAWN


def test_only_administrators_withdraw_and_restore(filing, officer, reviewer, admin):
    for actor in (officer, reviewer):
        assert Status.WITHDRAWN not in [
            to for to, _m in moves_available(filing=filing, actor=actor)
        ]
        with pytest.raises(TransitionError, match="您没有权限执行“撤销”操作。"):
            filing_transition(
                filing=filing, to=Status.WITHDRAWN, actor=actor, comment=WITHDRAW_REASON
            )
    filing = filing_transition(
        filing=filing, to=Status.WITHDRAWN, actor=admin, comment=WITHDRAW_REASON
    )
    for actor in (officer, reviewer):
        assert moves_available(filing=filing, actor=actor) == []
        with pytest.raises(TransitionError, match="您没有权限执行“恢复”操作。"):
            filing_transition(filing=filing, to=Status.DRAFT, actor=actor, comment=RESTORE_REASON)
    assert Filing.objects.get(pk=filing.pk).status == Status.WITHDRAWN


def test_an_administrator_who_files_for_the_department_cannot_withdraw_its_filing(filing):
    actor = _officer_who_reviews(filing, "admin")
    with pytest.raises(TransitionError) as refused:
        filing_transition(filing=filing, to=Status.WITHDRAWN, actor=actor, comment=WITHDRAW_REASON)
    assert refused.value.message == (
        "您是该部门的填报人，不能撤销或恢复本部门的填报（填报与审核须由不同的人担任）。"
    )
    assert Filing.objects.get(pk=filing.pk).status == Status.DRAFT


def test_a_withdrawn_filing_cannot_be_withdrawn_again_nor_moved_otherwise(filing, officer, admin):
    filing = filing_transition(
        filing=filing, to=Status.WITHDRAWN, actor=admin, comment=WITHDRAW_REASON
    )
    with pytest.raises(TransitionError, match="当前状态为“已撤销”，不能变更为“已撤销”"):
        filing_transition(filing=filing, to=Status.WITHDRAWN, actor=admin, comment=WITHDRAW_REASON)
    with pytest.raises(TransitionError, match="当前状态为“已撤销”，不能变更为“已公开”"):
        filing_transition(filing=filing, to=Status.PUBLISHED, actor=admin)
    with pytest.raises(TransitionError, match="您没有权限执行“恢复”操作"):
        filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)


@pytest.mark.parametrize(
    ("start", "restored"),
    [
        (Status.DRAFT, Status.DRAFT),
        (Status.SUBMITTED, Status.SUBMITTED),
        (Status.RETURNED, Status.RETURNED),
        (Status.APPROVED, Status.APPROVED),
        # Back in front of the public only by its own 公开.
        (Status.PUBLISHED, Status.APPROVED),
    ],
)
def test_restore_gives_back_the_status_before_the_withdrawal(filing, admin, start, restored):
    filing = _with_status(filing, start)
    filing = filing_transition(
        filing=filing, to=Status.WITHDRAWN, actor=admin, comment=WITHDRAW_REASON
    )

    assert restore_target(filing=filing) == restored
    assert [(to, move.action) for to, move in moves_available(filing=filing, actor=admin)] == [
        (restored, "restore")
    ]
    with pytest.raises(TransitionError, match="请填写恢复原因"):
        filing_transition(filing=filing, to=restored, actor=admin)
    filing = filing_transition(filing=filing, to=restored, actor=admin, comment=RESTORE_REASON)

    assert filing.status == restored
    assert filing.transitions.first().comment == RESTORE_REASON


def test_restore_to_another_status_than_before_is_refused(filing, admin):
    filing = filing_transition(
        filing=filing, to=Status.WITHDRAWN, actor=admin, comment=WITHDRAW_REASON
    )
    with pytest.raises(TransitionError) as refused:
        filing_transition(filing=filing, to=Status.APPROVED, actor=admin, comment=RESTORE_REASON)
    assert refused.value.message == "已撤销的填报只能恢复为撤销前的状态“草稿”。"
    assert Filing.objects.get(pk=filing.pk).status == Status.WITHDRAWN


def test_a_filing_withdrawn_outside_the_workflow_is_restored_as_returned(filing, admin):
    filing = _with_status(filing, Status.WITHDRAWN)
    assert restore_target(filing=filing) == Status.RETURNED
    filing = filing_transition(
        filing=filing, to=Status.RETURNED, actor=admin, comment=RESTORE_REASON
    )
    assert filing.status == Status.RETURNED


def test_withdrawal_and_restore_mail_nobody(
    filing, officer, reviewer, admin, django_capture_on_commit_callbacks
):
    filing = _with_status(filing, Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_transition(
            filing=filing, to=Status.WITHDRAWN, actor=admin, comment=WITHDRAW_REASON
        )
        filing = filing_transition(
            filing=filing, to=Status.SUBMITTED, actor=admin, comment=RESTORE_REASON
        )
    assert mail.outbox == []


def test_an_approval_withdrawn_before_its_render_gets_its_report_on_restore(
    filing, officer, reviewer, admin, django_capture_on_commit_callbacks
):
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
    # Approved and withdrawn in one go: the render queued on approval finds
    # the filing withdrawn and stores nothing.
    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_transition(filing=filing, to=Status.APPROVED, actor=reviewer)
        filing = filing_transition(
            filing=filing, to=Status.WITHDRAWN, actor=admin, comment=WITHDRAW_REASON
        )
    assert Filing.objects.get(pk=filing.pk).report_sha256 == ""

    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_transition(
            filing=filing, to=Status.APPROVED, actor=admin, comment=RESTORE_REASON
        )

    assert Filing.objects.get(pk=filing.pk).report_sha256 != ""

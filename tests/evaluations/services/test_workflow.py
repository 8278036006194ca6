import threading

import pytest
from django.core import mail
from django.db import connection

from departments.models import Membership
from evaluations.models import Filing, FilingTransition
from evaluations.services.workflow import TransitionError, filing_transition
from tests.factories import UserFactory, officer_of, reviewer_of
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
    assert {finding.code for finding in refused.value.findings} == {"deviation_missing"}
    filing.refresh_from_db()
    assert filing.status == Status.DRAFT
    assert not FilingTransition.objects.exists()


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


def test_full_cycle_through_publish_unpublish_and_reopen(filing, officer, reviewer):
    filing = filing_transition(filing=filing, to=Status.SUBMITTED, actor=officer)
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

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from evaluations.models import Filing
from tests.factories import DepartmentFactory, FiscalYearFactory, blank_filing, officer_of

pytestmark = pytest.mark.django_db


def test_officers_of_unsubmitted_filings_are_reminded_n_days_before_the_deadline(capsys):
    deadline = timezone.localdate() + datetime.timedelta(days=7)
    year = FiscalYearFactory(year=2024, deadline=deadline)
    drafting = DepartmentFactory(name="起草中的部门")
    absent = DepartmentFactory(name="尚未开始的部门", jurisdiction=drafting.jurisdiction)
    done = DepartmentFactory(name="已报送的部门", jurisdiction=drafting.jurisdiction)
    blank_filing(department=drafting, year=2024)
    submitted = blank_filing(department=done, year=2024)
    Filing.objects.filter(pk=submitted.pk).update(status=Filing.Status.SUBMITTED)
    officer_of(drafting, email="a@example.cn")
    officer_of(absent, email="b@example.cn")
    officer_of(done, email="c@example.cn")

    call_command("send_deadline_reminders", "--days", "7")

    assert sorted(message.to[0] for message in mail.outbox) == ["a@example.cn", "b@example.cn"]
    assert f"{year.year}年度" in mail.outbox[0].subject
    assert "已发送提醒邮件 2 封" in capsys.readouterr().out


def test_no_reminder_on_other_days():
    FiscalYearFactory(year=2024, deadline=timezone.localdate() + datetime.timedelta(days=8))
    officer_of(DepartmentFactory(), email="a@example.cn")
    call_command("send_deadline_reminders", "--days", "7")
    assert mail.outbox == []

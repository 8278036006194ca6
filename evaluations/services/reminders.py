"""Deadline reminders for departments that have not submitted yet."""

import datetime

from django.core.mail import send_mail
from django.utils import timezone

from departments.models import Department, Membership
from evaluations.models import Filing, FiscalYear

NOT_SUBMITTED = {Filing.Status.DRAFT, Filing.Status.RETURNED}


def deadline_reminders_send(*, days: int, today: datetime.date | None = None) -> list[str]:
    """Mail the officers of every department whose filing for a fiscal year
    with its deadline exactly `days` days from `today` is not submitted yet
    (no filing, a draft, or a returned filing). Officers without an e-mail
    address are skipped. Returns one line per message, for the command's report."""
    today = today or timezone.localdate()
    deadline = today + datetime.timedelta(days=days)
    sent = []
    for fiscal_year in FiscalYear.objects.filter(deadline=deadline):
        statuses = dict(
            Filing.objects.filter(fiscal_year=fiscal_year).values_list("department_id", "status")
        )
        for department in Department.objects.select_related("jurisdiction"):
            status = statuses.get(department.pk)
            if status is not None and status not in NOT_SUBMITTED:
                continue
            recipients = sorted(
                {
                    membership.user.email
                    for membership in Membership.objects.filter(
                        role=Membership.Role.OFFICER, department=department
                    ).select_related("user")
                    if membership.user.email
                }
            )
            if not recipients:
                continue
            send_mail(
                f"【提醒】{fiscal_year.year}年度部门整体支出绩效自评将于{deadline:%Y年%m月%d日}截止",
                f"{department.name}的{fiscal_year.year}年度部门整体支出绩效自评尚未报送，"
                f"报送截止日期为{deadline:%Y年%m月%d日}（还有 {days} 天），请及时填报并报送。",
                None,
                recipients,
            )
            sent.append(f"{department.name} → {', '.join(recipients)}")
    return sent

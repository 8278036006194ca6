"""E-mail notices about filings, sent through Django's mail backend."""

from django.core.mail import send_mail
from django.db.models import Q

from departments.models import Membership
from evaluations.models import Filing, FilingTransition

Status = Filing.Status


def _officer_emails(filing: Filing) -> list[str]:
    return sorted(
        {
            membership.user.email
            for membership in Membership.objects.filter(
                role=Membership.Role.OFFICER, department=filing.department
            ).select_related("user")
            if membership.user.email
        }
    )


def _reviewer_emails(filing: Filing) -> list[str]:
    return sorted(
        {
            membership.user.email
            for membership in Membership.objects.filter(
                Q(role=Membership.Role.REVIEWER, jurisdiction=filing.department.jurisdiction)
            ).select_related("user")
            if membership.user.email
        }
    )


def transition_notify(*, transition: FilingTransition) -> int:
    """Mail the people a status change concerns: the jurisdiction's reviewers on
    a submission; the department's officers on a return, a reopen or an
    approval. Returns the number of messages sent (0 when nobody has an
    address). Called by the workflow service after its commit."""
    filing = transition.filing
    title = f"{filing.department.name} {filing.fiscal_year.year}年度部门整体支出绩效自评"
    to = transition.to_status
    if to == Status.SUBMITTED:
        recipients = _reviewer_emails(filing)
        subject = f"【待审核】{title}已报送"
        body = f"{title}已由{filing.department.name}报送，请登录 perfeval 审核。"
    elif to == Status.RETURNED:
        recipients = _officer_emails(filing)
        subject = f"【已退回】{title}"
        body = f"{title}已被退回，原因：\n{transition.comment}\n请修改后重新报送。"
    elif to == Status.APPROVED and transition.from_status == Status.SUBMITTED:
        recipients = _officer_emails(filing)
        subject = f"【已审核】{title}"
        body = f"{title}已审核通过。"
    else:
        return 0
    if not recipients:
        return 0
    return send_mail(subject, body, None, recipients)

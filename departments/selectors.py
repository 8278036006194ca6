"""Who may act where: reads of memberships, shared by every permission check."""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q

from .models import Department, Jurisdiction, Membership


def user_is_admin(*, user) -> bool:
    """A bureau administrator: a superuser or a user with the admin role."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role=Membership.Role.ADMIN).exists()


def user_is_officer_of(*, user, department: Department) -> bool:
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        user=user, role=Membership.Role.OFFICER, department=department
    ).exists()


def user_is_reviewer_of(*, user, jurisdiction: Jurisdiction) -> bool:
    """A reviewer of the jurisdiction; administrators may review everywhere."""
    if not user.is_authenticated:
        return False
    if user_is_admin(user=user):
        return True
    return Membership.objects.filter(
        user=user, role=Membership.Role.REVIEWER, jurisdiction=jurisdiction
    ).exists()


def jurisdictions_reviewed_by(*, user):
    if user_is_admin(user=user):
        return Jurisdiction.objects.all()
    return Jurisdiction.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.REVIEWER
    ).distinct()


def departments_officered_by(*, user):
    return Department.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.OFFICER
    ).distinct()


def users_with_memberships(*, q: str = ""):
    """Every user account, active first then by username, with its roles loaded
    (for 用户管理); `q` matches username, name or e-mail."""
    users = get_user_model().objects.order_by("-is_active", "username")
    q = q.strip()
    if q:
        users = users.filter(
            Q(username__icontains=q) | Q(first_name__icontains=q) | Q(email__icontains=q)
        )
    return users.prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("department__jurisdiction", "jurisdiction"),
        )
    )

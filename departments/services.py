"""User accounts and their roles, managed by bureau administrators.

Every function takes the acting user explicitly and refuses anyone who is not
an administrator (PermissionDenied); a refused value raises ValidationError
with a Chinese message, keyed by field where there is one.
"""

import functools

from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .models import Department, Jurisdiction, Membership
from .selectors import user_is_admin, user_memberships_forget

User = get_user_model()
Role = Membership.Role


def _administrator_action(function):
    """A 用户管理 service: administrators only, in one transaction, with `actor`
    recorded by django-auditlog as who made each change (also from a command
    or a test, where no request sets it)."""

    @functools.wraps(function)
    def action(*, actor, **kwargs):
        if not user_is_admin(user=actor):
            raise PermissionDenied("只有系统管理员可以管理用户。")
        with transaction.atomic(), set_actor(actor):
            return function(actor=actor, **kwargs)

    return action


@_administrator_action
def user_create(
    *,
    actor,
    username: str,
    name: str,
    email: str,
    password: str,
    role: str = "",
    department: Department | None = None,
    jurisdiction: Jurisdiction | None = None,
):
    """Create an active user with `password`, which must pass the project's
    password validators (AUTH_PASSWORD_VALIDATORS), and give it the membership
    `role` when one is given (see `membership_add`). The name is kept whole in
    first_name: Chinese names are not split into given and family name.

    Raises ValidationError (fields username, password, role, department,
    jurisdiction) and PermissionDenied. Administrators only.
    """
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "该用户名已被使用。"})
    user = User(username=username, first_name=name.strip(), email=email.strip())
    try:
        validate_password(password, user=user)
    except ValidationError as refused:
        raise ValidationError({"password": refused.messages}) from refused
    user.set_password(password)
    user.save()
    if role:
        membership_add(
            actor=actor, user=user, role=role, department=department, jurisdiction=jurisdiction
        )
    return user


@_administrator_action
def membership_add(
    *,
    actor,
    user,
    role: str,
    department: Department | None = None,
    jurisdiction: Jurisdiction | None = None,
) -> Membership:
    """Give `user` a role: officer (单位填报人) of `department`, reviewer
    (财政局审核人) of `jurisdiction`, or administrator (neither). A role with the
    wrong scope or one the user already holds is refused.

    Raises ValidationError (fields role, department, jurisdiction) and
    PermissionDenied. Administrators only.
    """
    if role == Role.OFFICER:
        if department is None:
            raise ValidationError({"department": "单位填报人须选择所属预算部门。"})
        if jurisdiction is not None:
            raise ValidationError(
                {"jurisdiction": "单位填报人只属于预算部门，请不要选择行政区划。"}
            )
    elif role == Role.REVIEWER:
        if jurisdiction is None:
            raise ValidationError({"jurisdiction": "财政局审核人须选择所属行政区划。"})
        if department is not None:
            raise ValidationError(
                {"department": "财政局审核人只属于行政区划，请不要选择预算部门。"}
            )
    elif role == Role.ADMIN:
        if department is not None or jurisdiction is not None:
            raise ValidationError({"role": "系统管理员不属于具体部门或行政区划，请不要选择。"})
    else:
        raise ValidationError({"role": "请选择角色。"})
    # The unique constraint does not catch repeats with empty scope (NULLs are
    # distinct in SQL), so look first.
    if Membership.objects.filter(
        user=user, role=role, department=department, jurisdiction=jurisdiction
    ).exists():
        raise ValidationError({"role": "该用户已有这一角色。"})
    conflict = _duty_conflict(
        user=user, role=role, department=department, jurisdiction=jurisdiction
    )
    if conflict:
        raise ValidationError({"role": conflict})
    membership = Membership.objects.create(
        user=user, role=role, department=department, jurisdiction=jurisdiction
    )
    user_memberships_forget(user=user)
    if role == Role.ADMIN:
        _admin_site_access_grant(user)
    return membership


def _duty_conflict(*, user, role, department, jurisdiction) -> str:
    """Separation of duties (不相容岗位相分离): whoever fills a department's
    filing may not also be able to approve it, i.e. be a reviewer of the
    department's jurisdiction or an administrator. Returns the refusal, or ""."""
    held = Membership.objects.filter(user=user).select_related("department", "jurisdiction")
    if role == Role.OFFICER:
        if user.is_superuser or held.filter(role=Role.ADMIN).exists():
            return "该用户是系统管理员，可以审核所有填报，不能同时担任单位填报人。"
        reviewing = held.filter(role=Role.REVIEWER, jurisdiction=department.jurisdiction_id)
        if reviewing.exists():
            return (
                f"该用户是{department.jurisdiction}的财政局审核人，不能同时担任其辖区内"
                f"{department}的单位填报人（填报与审核须由不同的人担任）。"
            )
    elif role in (Role.REVIEWER, Role.ADMIN):
        filing = held.filter(role=Role.OFFICER)
        if role == Role.REVIEWER:
            filing = filing.filter(department__jurisdiction=jurisdiction)
        own = filing.first()
        if own is not None:
            return (
                f"该用户是{own.department}的单位填报人，不能同时担任可以审核该部门填报的"
                f"{Role(role).label}（填报与审核须由不同的人担任）。"
            )
    return ""


ADMIN_GROUP = "系统管理员"
# What 系统管理员 manage in the Django admin (DOMAIN.md): jurisdictions,
# departments, users and their roles, fiscal years and scoring templates.
ADMIN_MODELS = {
    "departments": ["jurisdiction", "department", "membership"],
    "evaluations": ["fiscalyear", "scoringtemplate", "filing"],
    "auth": ["user"],
}


def _admin_site_access_grant(user) -> None:
    """Let an administrator into the Django admin with the permissions of the
    group 系统管理员 (created on first use): staff, not superuser, so that the
    role can be taken away again by removing the membership."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    group, created = Group.objects.get_or_create(name=ADMIN_GROUP)
    if created or not group.permissions.exists():
        models = Q()
        for app_label, names in ADMIN_MODELS.items():
            models |= Q(content_type__app_label=app_label, content_type__model__in=names)
        group.permissions.set(Permission.objects.filter(models))
    user.groups.add(group)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


@_administrator_action
def membership_remove(*, actor, membership: Membership) -> None:
    """Take a role away. An administrator cannot remove their own administrator
    role (so that the last one cannot lock everybody out by mistake).

    Raises ValidationError and PermissionDenied. Administrators only.
    """
    if membership.user_id == actor.pk and membership.role == Role.ADMIN:
        raise ValidationError("不能移除自己的系统管理员角色。")
    membership.delete()
    user_memberships_forget(user=membership.user)
    if membership.role == Role.ADMIN and not membership.user.is_superuser:
        from django.contrib.auth.models import Group

        membership.user.groups.remove(*Group.objects.filter(name=ADMIN_GROUP))
        membership.user.is_staff = False
        membership.user.save(update_fields=["is_staff"])


@_administrator_action
def user_deactivate(*, actor, user):
    """Stop `user` from logging in (is_active off); the account, its roles and
    everything it did stay for the record. An administrator cannot deactivate
    their own account.

    Raises ValidationError and PermissionDenied. Administrators only.
    """
    if user.pk == actor.pk:
        raise ValidationError("不能停用自己的账号。")
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return user


@_administrator_action
def user_reactivate(*, actor, user):
    """Let a deactivated `user` log in again, with the roles it kept.

    Raises PermissionDenied. Administrators only.
    """
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user

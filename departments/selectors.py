"""Who may act where: reads of memberships, shared by every permission check."""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q

from .models import Department, Jurisdiction, Membership


def user_memberships(*, user) -> tuple[tuple[str, int | None, int | None], ...]:
    """(role, department id, jurisdiction id) of each membership of `user`.

    Read once per user object and kept on it: a page asks several permission
    questions (navigation, the filing, its moves) and request.user is loaded
    anew for every request, so the answer cannot outlive a request. Code that
    changes memberships and asks again in the same request must use a fresh
    user object.
    """
    if not user.is_authenticated:
        return ()
    cached = getattr(user, "_perfeval_memberships", None)
    if cached is None:
        cached = tuple(
            Membership.objects.filter(user=user).values_list(
                "role", "department_id", "jurisdiction_id"
            )
        )
        user._perfeval_memberships = cached
    return cached


def user_memberships_forget(*, user) -> None:
    """Drop what `user_memberships` kept on this user object (after a change)."""
    if hasattr(user, "_perfeval_memberships"):
        del user._perfeval_memberships


def user_roles(*, user) -> set[str]:
    return {role for role, _department, _jurisdiction in user_memberships(user=user)}


def user_department_ids(*, user) -> set[int]:
    """The departments `user` files for (officer memberships)."""
    return {
        department
        for role, department, _jurisdiction in user_memberships(user=user)
        if role == Membership.Role.OFFICER
    }


def user_jurisdiction_ids(*, user) -> set[int]:
    """The jurisdictions `user` reviews (reviewer memberships)."""
    return {
        jurisdiction
        for role, _department, jurisdiction in user_memberships(user=user)
        if role == Membership.Role.REVIEWER
    }


def user_is_admin(*, user) -> bool:
    """A bureau administrator: a superuser or a user with the admin role."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or Membership.Role.ADMIN in user_roles(user=user)


def user_is_officer_of(*, user, department: Department) -> bool:
    return department.pk in user_department_ids(user=user)


def user_is_reviewer_of(*, user, jurisdiction: Jurisdiction) -> bool:
    """A reviewer of the jurisdiction; administrators may review everywhere."""
    return user_is_admin(user=user) or jurisdiction.pk in user_jurisdiction_ids(user=user)


def jurisdictions_reviewed_by(*, user):
    if user_is_admin(user=user):
        return Jurisdiction.objects.all()
    return Jurisdiction.objects.filter(pk__in=user_jurisdiction_ids(user=user))


def departments_officered_by(*, user):
    return Department.objects.filter(pk__in=user_department_ids(user=user))


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


def user_account_record(*, user) -> list[dict]:
    """Who granted or took away each of `user`'s roles, and who changed the
    account's state or privileges, newest first, from django-auditlog:
    [{"when", "actor", "text"}]."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    account_type = ContentType.objects.get_for_model(get_user_model())
    role_type = ContentType.objects.get_for_model(Membership)
    entries = (
        LogEntry.objects.filter(
            Q(content_type=account_type, object_pk=str(user.pk))
            | Q(content_type=role_type, additional_data__user_id=user.pk)
        )
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )
    record = []
    for entry in entries:
        text = (
            _role_entry_text(entry)
            if entry.content_type_id == role_type.pk
            else _account_text(entry)
        )
        if text:
            actor = entry.actor
            record.append(
                {
                    "when": entry.timestamp,
                    "actor": (actor.get_full_name() or actor.username) if actor else "系统",
                    "text": text,
                }
            )
    return record


def _role_entry_text(entry) -> str:
    data = entry.additional_data or {}
    role = f"{data.get('role', '')} · {data.get('scope', '')}"
    if entry.action == entry.Action.CREATE:
        return f"添加角色：{role}"
    if entry.action == entry.Action.DELETE:
        return f"移除角色：{role}"
    return f"修改角色：{role}"


ACCOUNT_FIELDS = {
    "username": "用户名",
    "first_name": "姓名",
    "last_name": "姓",
    "email": "电子邮箱",
    "is_staff": "可进入系统后台",
    "is_superuser": "超级用户",
}


def _account_text(entry) -> str:
    if entry.action == entry.Action.CREATE:
        return "创建账号"
    changes = entry.changes_dict or {}
    parts = []
    for field, (_old, new) in changes.items():
        if field == "is_active":
            parts.append("重新启用账号" if new == "True" else "停用账号")
        elif field in ("is_staff", "is_superuser"):
            parts.append(f"{ACCOUNT_FIELDS[field]}：{'是' if new == 'True' else '否'}")
        elif field in ACCOUNT_FIELDS:
            parts.append(f"修改{ACCOUNT_FIELDS[field]}")
    return "；".join(parts)

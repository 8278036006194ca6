"""Finding a department by name for the commands that take --department, and
the user named by --actor."""

import contextlib

from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from departments.models import Department


def department_by_name(*, name: str, jurisdiction: str | None) -> Department:
    """The department called `name` (in `jurisdiction`, when given); a
    CommandError (exit 1) when there is none, or several and no jurisdiction."""
    departments = Department.objects.filter(name=name).select_related("jurisdiction")
    if jurisdiction:
        departments = departments.filter(jurisdiction__name=jurisdiction)
    departments = list(departments)
    if not departments:
        where = f"（行政区划“{jurisdiction}”）" if jurisdiction else ""
        raise CommandError(f"找不到预算部门“{name}”{where}。", returncode=1)
    if len(departments) > 1:
        names = "、".join(department.jurisdiction.name for department in departments)
        raise CommandError(
            f"预算部门“{name}”在多个行政区划中存在（{names}），请用 --jurisdiction 指定。",
            returncode=1,
        )
    return departments[0]


def actor_by_username(username: str | None):
    """The user named by --actor, recorded as having made a command's change;
    None (the system, recorded as 系统) without --actor. A CommandError (exit 1)
    for a user name that does not exist."""
    if username is None:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(
            f"找不到用户“{username}”：--actor 须为已有账号的用户名；不加 --actor 时记录为“系统”。",
            returncode=1,
        )
    return user


def acting_as(actor):
    """django-auditlog's context naming `actor` on the entries of a command's
    writes (the web sets it per request); nothing for the system."""
    return set_actor(actor) if actor is not None else contextlib.nullcontext()

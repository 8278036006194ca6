"""Finding a department by name for the commands that take --department."""

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

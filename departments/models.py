from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Jurisdiction(models.Model):
    """行政区划/财政部门: owns departments; reviewers belong to one."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    code = models.CharField(_("代码"), max_length=50, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self):
        return self.name


class Department(models.Model):
    """预算部门: files one self-evaluation per fiscal year."""

    name = models.CharField(_("部门名称"), max_length=100)
    code = models.CharField(_("部门代码"), max_length=50, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        related_name="departments",
        verbose_name=_("行政区划"),
    )

    class Meta:
        ordering = ["jurisdiction__name", "name"]
        verbose_name = _("预算部门")
        verbose_name_plural = _("预算部门")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "name"], name="department_unique_name_per_jurisdiction"
            ),
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """What a user may do, and where: officer of a department, reviewer of a
    jurisdiction, or bureau administrator."""

    class Role(models.TextChoices):
        OFFICER = "officer", _("单位填报人")
        REVIEWER = "reviewer", _("财政局审核人")
        ADMIN = "admin", _("系统管理员")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("用户"),
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("预算部门"),
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("行政区划"),
    )

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        constraints = [
            # An officer belongs to a department, a reviewer to a jurisdiction,
            # an administrator to neither.
            models.CheckConstraint(
                condition=(
                    Q(role="officer", department__isnull=False, jurisdiction__isnull=True)
                    | Q(role="reviewer", department__isnull=True, jurisdiction__isnull=False)
                    | Q(role="admin", department__isnull=True, jurisdiction__isnull=True)
                ),
                name="membership_scope_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department", "jurisdiction"],
                name="membership_unique",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.scope_label()}"

    def scope_label(self) -> str:
        return str(self.department or self.jurisdiction or _("全局"))

    def get_additional_data(self):
        # django-auditlog stores this on each entry: 用户管理 finds a user's
        # role record by it, also after the role itself was removed.
        return {
            "user_id": self.user_id,
            "role": self.get_role_display(),
            "scope": self.scope_label(),
        }

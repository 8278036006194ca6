from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied

from .models import Department, Jurisdiction, Membership


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "jurisdiction"]
    list_filter = ["jurisdiction"]
    search_fields = ["name", "code"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Roles are granted and taken away on 用户管理, whose services check the
    separation of duties and record who did it; here they are only listed."""

    list_display = ["user", "role", "department", "jurisdiction"]
    list_filter = ["role", "jurisdiction"]
    search_fields = ["user__username", "department__name", "jurisdiction__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PerfevalUserAdmin(UserAdmin):
    """Administrators who are not superusers may correct a user's name, e-mail
    or password, but may not hand out privileges — their own or anyone's
    (superuser flag, staff flag, groups, permissions) — nor touch a superuser's
    account. Nobody deletes a user here: the transitions and the audit log name
    them; 用户管理 deactivates an account instead."""

    PRIVILEGES = ("is_superuser", "is_staff", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [name for name in self.PRIVILEGES if name not in readonly]
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def user_change_password(self, request, id, form_url=""):
        # The password of a superuser's account is as much a privilege as the
        # account itself.
        user = self.get_object(request, unquote(id))
        if user is not None and user.is_superuser and not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

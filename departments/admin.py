from django.contrib import admin

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
    list_display = ["user", "role", "department", "jurisdiction"]
    list_filter = ["role", "jurisdiction"]
    search_fields = ["user__username", "department__name", "jurisdiction__name"]
    autocomplete_fields = ["user", "department", "jurisdiction"]

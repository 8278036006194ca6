from django.contrib import admin

from .models import Filing, FiscalYear, ScoringTemplate


@admin.register(ScoringTemplate)
class ScoringTemplateAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "execution_weight",
        "grade_excellent",
        "grade_good",
        "grade_pass",
        "reverse_formula",
        "deviation_required",
        "allow_normalization",
    ]
    fieldsets = [
        (None, {"fields": ["name", "execution_weight", "reverse_formula"]}),
        (
            "一级指标建议分值",
            {"fields": ["output_weight", "benefit_weight", "satisfaction_weight"]},
        ),
        ("等次划分", {"fields": ["grade_excellent", "grade_good", "grade_pass"]}),
        ("校验规则", {"fields": ["deviation_required", "allow_normalization"]}),
    ]


@admin.register(FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    list_display = ["year", "deadline", "is_open", "default_template"]
    list_editable = ["is_open"]


@admin.register(Filing)
class FilingAdmin(admin.ModelAdmin):
    """Filings are the record: the admin only shows them. Their content changes
    through the filing pages and their services, their status through the
    workflow's one door, and nobody deletes one here — not even a superuser —
    since that would take its transitions, its history and a published report
    with it."""

    list_display = ["department", "fiscal_year", "status", "version", "updated_at"]
    list_filter = ["fiscal_year", "status", "department__jurisdiction"]
    search_fields = ["department__name"]
    readonly_fields = [field.name for field in Filing._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

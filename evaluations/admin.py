from django import forms
from django.contrib import admin
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from .core.template import (
    COLUMN_TYPES,
    EDITORS,
    NORMALIZATIONS,
    POINTS_MODES,
    ROW_MODES,
    RULE_KINDS,
    number_text,
)
from .models import Filing, FiscalYear, FormTemplate, JurisdictionYearTemplate, ScoringTemplate
from .services.form_templates import (
    fiscal_year_template_refusal,
    form_template_assign,
    form_template_assignment_refusal,
)


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


class FiscalYearForm(forms.ModelForm):
    class Meta:
        model = FiscalYear
        fields = ["year", "deadline", "is_open", "default_template", "form_template"]

    def clean(self):
        cleaned = super().clean()
        if "form_template" in self.changed_data:
            refusal = fiscal_year_template_refusal(
                fiscal_year=self.instance, form_template=cleaned.get("form_template")
            )
            if refusal:
                self.add_error("form_template", refusal)
        return cleaned


@admin.register(FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    list_display = ["year", "deadline", "is_open", "default_template", "form_template"]
    list_editable = ["is_open"]
    form = FiscalYearForm


class JurisdictionYearTemplateForm(forms.ModelForm):
    class Meta:
        model = JurisdictionYearTemplate
        fields = ["jurisdiction", "fiscal_year", "form_template"]

    def clean(self):
        cleaned = super().clean()
        parts = [cleaned.get(name) for name in ("jurisdiction", "fiscal_year", "form_template")]
        if all(parts):
            refusal = form_template_assignment_refusal(
                jurisdiction=parts[0], fiscal_year=parts[1], form_template=parts[2]
            )
            if refusal:
                raise forms.ValidationError(refusal)
        return cleaned


@admin.register(JurisdictionYearTemplate)
class JurisdictionYearTemplateAdmin(admin.ModelAdmin):
    """Which forms a jurisdiction's filings of a year are made on. Changing it
    affects only filings created afterwards (a filing keeps its own), so the
    change is refused while the jurisdiction has filings of that year on
    another template (services.form_templates.form_template_assign)."""

    list_display = ["jurisdiction", "fiscal_year", "form_template"]
    list_filter = ["fiscal_year", "form_template"]
    form = JurisdictionYearTemplateForm

    def save_model(self, request, obj, form, change):
        obj.pk = form_template_assign(
            jurisdiction=obj.jurisdiction,
            fiscal_year=obj.fiscal_year,
            form_template=obj.form_template,
        ).pk


def _points(value) -> str:
    return "—" if value is None else number_text(value)


def _rule_text(rule) -> str:
    if rule is None:
        return "—"
    return RULE_KINDS.get(rule.kind, rule.kind)


def _table_overview(table) -> str:
    columns = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                column.key,
                column.label,
                COLUMN_TYPES.get(column.type, column.type),
                EDITORS.get(column.editor, column.editor),
                column.role or "—",
            )
            for column in table.columns
        ),
    )
    lines = []
    for entry in table.entries():
        groups = " / ".join(group.label for group in entry.path)
        if entry.row is not None:
            row = entry.row
            lines.append(
                (
                    groups,
                    row.key,
                    row.label,
                    _points(row.max_points),
                    "可" if row.not_applicable else "否",
                    _rule_text(row.rule),
                )
            )
        else:
            free = entry.free
            lines.append(
                (
                    groups,
                    f"（自填行，{free.min_rows}–{free.max_rows} 行）",
                    free.label or entry.group.label,
                    _points(free.max_points),
                    "可" if free.not_applicable else "否",
                    _rule_text(free.rule),
                )
            )
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        lines,
    )
    return format_html(
        "<h3>{}（{}，{}）</h3>"
        "<table><thead><tr><th>列键</th><th>列名</th><th>类型</th><th>填写人</th><th>用途</th>"
        "</tr></thead><tbody>{}</tbody></table>"
        "<table><thead><tr><th>分组</th><th>行键</th><th>名称</th><th>分值</th><th>可不适用</th>"
        "<th>计分规则</th></tr></thead><tbody>{}</tbody></table>",
        table.title,
        table.key,
        ROW_MODES.get(table.rows, table.rows),
        columns,
        rows,
    )


def template_overview(template) -> str:
    """A core FormTemplate as an administrator reads it: header fields, every
    table with its columns and rows, the narrative sections and the scoring."""
    header = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                item.key,
                item.label,
                COLUMN_TYPES.get(item.type, item.type),
                "是" if item.required else "否",
            )
            for item in template.header
        ),
    )
    narrative = format_html_join(
        "",
        "<li>{} {}{}</li>",
        (
            (item.number, item.title, "（必填）" if item.required else "")
            for item in template.narrative
        ),
    )
    scoring = template.scoring
    grades = "、".join(f"{band.grade} ≥ {number_text(band.min)}" for band in scoring.grades)
    return format_html(
        "<h3>表头</h3><table><thead><tr><th>键</th><th>名称</th><th>类型</th><th>必填</th></tr>"
        "</thead><tbody>{}</tbody></table>{}<h3>文字部分</h3><ul>{}</ul>"
        "<h3>计分</h3><p>{}；{}；等次：{}</p>",
        header,
        format_html_join("", "{}", ((_table_overview(table),) for table in template.tables)),
        narrative,
        POINTS_MODES.get(scoring.points, scoring.points),
        NORMALIZATIONS.get(scoring.normalization, scoring.normalization),
        grades or "—",
    )


@admin.register(FormTemplate)
class FormTemplateAdmin(admin.ModelAdmin):
    """Installed form templates, read only: a template is installed from its
    file with `manage.py form_template_load` and never edited (a changed form
    is a new version); one that no fiscal year, jurisdiction or filing uses
    may be deleted. The blank forms of a generic one print from here
    (services.generic_pdf, services.generic_excel)."""

    list_display = [
        "code",
        "version",
        "title",
        "region",
        "layout",
        "filings_using",
        "installed_at",
        "blank_forms",
    ]
    list_filter = ["layout", "region"]
    search_fields = ["code", "title", "region"]
    fields = [
        "code",
        "version",
        "title",
        "region",
        "layout",
        "sha256",
        "installed_at",
        "installed_by",
        "blank_forms",
        "overview",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(filing_count=Count("filings"))

    @admin.display(description="使用中的自评", ordering="filing_count")
    def filings_using(self, obj):
        return obj.filing_count

    @admin.display(description="空白表")
    def blank_forms(self, obj):
        return format_html(
            '<a href="{}">打印空白表（PDF）</a> · <a href="{}">下载空白表（Excel）</a>',
            reverse("admin:evaluations_formtemplate_blank_pdf", args=[obj.pk]),
            reverse("admin:evaluations_formtemplate_blank_xlsx", args=[obj.pk]),
        )

    @admin.display(description="表式内容")
    def overview(self, obj):
        return template_overview(obj.template())

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/blank.pdf",
                view(self.blank_pdf),
                name="evaluations_formtemplate_blank_pdf",
            ),
            path(
                "<int:pk>/blank.xlsx",
                view(self.blank_xlsx),
                name="evaluations_formtemplate_blank_xlsx",
            ),
            *super().get_urls(),
        ]

    def _blank(self, request, pk, *, render, content_type, suffix):
        obj = get_object_or_404(FormTemplate, pk=pk)
        if not self.has_view_permission(request, obj):
            return HttpResponse(status=403)
        response = HttpResponse(render(obj.template()), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{obj.identity}-blank.{suffix}"'
        return response

    def blank_pdf(self, request, pk):
        # Imported on use: WeasyPrint is slow to load and no other admin page needs it.
        from .services.form_templates import blank_forms_pdf_of

        return self._blank(
            request, pk, render=blank_forms_pdf_of, content_type="application/pdf", suffix="pdf"
        )

    def blank_xlsx(self, request, pk):
        from .services.form_templates import blank_workbook_of

        return self._blank(
            request,
            pk,
            render=blank_workbook_of,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            suffix="xlsx",
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return super().has_delete_permission(request)
        in_use = (
            obj.filings.exists() or obj.fiscal_years.exists() or obj.jurisdiction_years.exists()
        )
        return not in_use and super().has_delete_permission(request, obj)


@admin.register(Filing)
class FilingAdmin(admin.ModelAdmin):
    """Filings are the record: the admin only shows them. Their content changes
    through the filing pages and their services, their status through the
    workflow's one door, and nobody deletes one here — not even a superuser —
    since that would take its transitions, its history and a published report
    with it."""

    list_display = ["department", "fiscal_year", "form_template", "status", "version", "updated_at"]
    list_filter = ["fiscal_year", "status", "department__jurisdiction", "form_template"]
    search_fields = ["department__name"]
    readonly_fields = [field.name for field in Filing._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

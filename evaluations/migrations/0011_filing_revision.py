"""FilingRevision, and the first revision of every existing filing.

The revision of a filing's current version is built from its rows as
`perfeval-filing/1` JSON (what services.interchange.document_to_dict gives,
without `computed`). The builder below is self-contained and reads the
historical models, so this migration means the same whatever the services
become; tests/evaluations/test_migrate_revisions.py proves it equal to
document_to_dict for the demo filings.
"""

from decimal import ROUND_HALF_UP, Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BASIC_ROW_KEYS = (
    "three_public",
    "vehicle",
    "vehicle_purchase",
    "vehicle_operation",
    "overseas",
    "reception",
    "project_total",
    "public_funds",
    "office",
    "utilities_travel",
    "meetings_training",
    "procurement",
    "basic_budget_adjustment",
)
REPORT_KEYS = (
    "budget_overview",
    "basic_expenditure",
    "project_expenditure",
    "government_fund",
    "state_capital",
    "social_insurance",
    "performance_conclusion",
    "indicator_analysis",
    "problems",
    "improvements",
    "result_application",
    "other",
)
FUND_AMOUNTS = ("initial_budget", "full_year_budget", "executed")
PROJECT_FUND_LINES = (
    ("total", "total"),
    ("current_appropriation", "current"),
    ("carryover", "carryover"),
    ("other", "other"),
)
COLUMNS = ("prior_final", "budget", "final")
BUILDING_AMOUNTS = ("approved_area", "actual_area", "budget_investment", "actual_investment")
SYSTEM_ACTOR_NAME = "系统"


def _amount(value):
    if value is None:
        return None
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _amounts(row, names):
    return {name: _amount(getattr(row, name)) if row is not None else None for name in names}


def _texts(row, names):
    return {name: getattr(row, name) if row is not None else "" for name in names}


def _counts(row, names):
    return {name: getattr(row, name) if row is not None else None for name in names}


def _indicator(row):
    return {
        "level1": row.level1,
        "level2": row.level2,
        "name": row.name,
        "target": row.target,
        "actual": row.actual,
        "weight": _amount(row.weight),
        "score": _amount(row.score),
        "deviation": row.deviation,
        "applicable": row.applicable,
    }


def _fund_line(project, prefix):
    values = {name: getattr(project, f"{prefix}_{name}") for name in FUND_AMOUNTS}
    if all(value is None for value in values.values()):
        return None
    return {name: _amount(value) for name, value in values.items()}


def filing_dict(apps, filing):
    """The `perfeval-filing/1` dict of `filing`'s rows, read with `apps`' models."""

    def model(name):
        return apps.get_model("evaluations", name)

    def one(name):
        return model(name).objects.filter(filing_id=filing.pk).first()

    profile, funds, report = one("Profile"), one("Funds"), one("Report")
    basic = {row.key: row for row in model("BasicDataRow").objects.filter(filing_id=filing.pk)}
    Indicator = model("Indicator")
    indicators = Indicator.objects.filter(filing_id=filing.pk).order_by("position", "pk")
    by_project = {}
    for row in indicators:
        by_project.setdefault(row.project_id, []).append(row)
    projects = model("Project").objects.filter(filing_id=filing.pk).order_by("position", "pk")
    items = model("ProjectItem").objects.filter(filing_id=filing.pk).order_by("position", "pk")
    buildings = model("Building").objects.filter(filing_id=filing.pk).order_by("position", "pk")
    department = filing.department
    return {
        "format": "perfeval-filing/1",
        "fiscal_year": filing.fiscal_year.year,
        "department": {
            "name": department.name,
            "jurisdiction": department.jurisdiction.name,
            "code": department.code or None,
        },
        "template": filing.template.name if filing.template_id else None,
        "profile": _texts(profile, ("organization", "functions", "goal_setting")),
        "staffing": _counts(profile, ("authorized", "actual", "retired", "survivor_subsidy")),
        "funds": {
            **_amounts(funds, (*FUND_AMOUNTS, "weight")),
            "by_source": _amounts(
                funds, ("general_budget", "government_fund", "special_account", "other")
            ),
            "by_nature": _amounts(funds, ("basic", "project")),
            "basic_detail": _amounts(funds, ("personnel", "public")),
        },
        "basic_data": {
            "rows": {key: _amounts(basic.get(key), COLUMNS) for key in BASIC_ROW_KEYS},
            "project_items": [{"name": item.name, **_amounts(item, COLUMNS)} for item in items],
            "buildings": [
                {"name": building.name, **_amounts(building, BUILDING_AMOUNTS)}
                for building in buildings
            ],
            "austerity_measures": filing.austerity_measures,
        },
        "overall_goal": {"expected": filing.goal_expected, "actual": filing.goal_actual},
        "indicators": [_indicator(row) for row in by_project.get(None, [])],
        "projects": [
            {
                "name": project.name,
                "department_in_charge": project.department_in_charge,
                "implementer": project.implementer,
                "funds": {
                    "weight": _amount(project.weight),
                    **{key: _fund_line(project, prefix) for key, prefix in PROJECT_FUND_LINES},
                },
                "goal": {"expected": project.goal_expected, "actual": project.goal_actual},
                "indicators": [_indicator(row) for row in by_project.get(project.pk, [])],
            }
            for project in projects
        ],
        "report": _texts(report, REPORT_KEYS),
        "contact": {
            "preparer": filing.preparer,
            "phone": filing.phone,
            "date": filing.filled_on.isoformat() if filing.filled_on else None,
            "head": filing.head,
        },
    }


def create_revisions(apps, schema_editor):
    Filing = apps.get_model("evaluations", "Filing")
    FilingRevision = apps.get_model("evaluations", "FilingRevision")
    filings = Filing.objects.select_related(
        "department__jurisdiction", "fiscal_year", "template"
    ).order_by("pk")
    for filing in filings.iterator(chunk_size=100):
        FilingRevision.objects.create(
            filing=filing,
            version=filing.version,
            document=filing_dict(apps, filing),
            actor=None,
            actor_name=SYSTEM_ACTOR_NAME,
            source="migration",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0010_text_limits_from_paper"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FilingRevision",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.PositiveIntegerField(verbose_name="版本")),
                ("document", models.JSONField(verbose_name="填报内容")),
                ("actor_name", models.CharField(max_length=150, verbose_name="操作人用户名")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("page", "网页填报"),
                            ("json", "导入 JSON 文件"),
                            ("excel", "导入 Excel 工作簿"),
                            ("command", "命令行导入"),
                            ("prefill", "新建并带入上年数据"),
                            ("create", "新建"),
                            ("migration", "建立版本记录"),
                        ],
                        max_length=20,
                        verbose_name="来源",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="时间")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="filing_revisions",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="操作人",
                    ),
                ),
                (
                    "filing",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="revisions",
                        to="evaluations.filing",
                        verbose_name="填报",
                    ),
                ),
            ],
            options={
                "verbose_name": "填报版本",
                "verbose_name_plural": "填报版本",
                "ordering": ["filing", "version"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("filing", "version"), name="filing_revision_unique_version"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("actor_name", ""), _negated=True),
                        name="filing_revision_actor_named",
                    ),
                ],
            },
        ),
        migrations.RunPython(create_revisions, migrations.RunPython.noop),
    ]

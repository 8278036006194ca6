from decimal import Decimal

from django.db import migrations

DEFAULT_TEMPLATE_NAME = "默认评分模板"


def install_default_template(apps, schema_editor):
    ScoringTemplate = apps.get_model("evaluations", "ScoringTemplate")
    ScoringTemplate.objects.get_or_create(
        name=DEFAULT_TEMPLATE_NAME,
        defaults={
            "execution_weight": Decimal("10"),
            "output_weight": Decimal("50"),
            "benefit_weight": Decimal("30"),
            "satisfaction_weight": Decimal("10"),
            "grade_excellent": Decimal("90"),
            "grade_good": Decimal("80"),
            "grade_pass": Decimal("60"),
            "reverse_formula": "linear",
            "deviation_required": True,
            "allow_normalization": False,
        },
    )


def remove_default_template(apps, schema_editor):
    ScoringTemplate = apps.get_model("evaluations", "ScoringTemplate")
    ScoringTemplate.objects.filter(name=DEFAULT_TEMPLATE_NAME, fiscal_years__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0001_initial")]

    operations = [migrations.RunPython(install_default_template, remove_default_template)]

from django.db import migrations, models
from django.db.models import Case, Value, When


def count_missing_from_errors(apps, schema_editor):
    """Filings saved before the count was stored: until their next save, one
    with errors counts as unfinished (what the dashboard showed until now).
    Historical models only, so that later changes of the scoring code cannot
    break this migration."""
    Filing = apps.get_model("evaluations", "Filing")
    Filing.objects.update(
        missing_count=Case(When(error_count__gt=0, then=Value(1)), default=Value(0))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0007_filing_prefilled_from_year"),
    ]

    operations = [
        migrations.AddField(
            model_name="filing",
            name="missing_count",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="未填部分数"
            ),
        ),
        migrations.RunPython(count_missing_from_errors, migrations.RunPython.noop),
    ]

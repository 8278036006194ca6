"""Form templates (FormTemplate, JurisdictionYearTemplate), the rows and values
of filings on generic-layout templates (FilingRow, Filing.values), and the
form template of every fiscal year and filing.

The data step installs hunan-overall@2023 from its shipped file — the forms
every filing so far was made on — and points every fiscal year and filing at
it. It reads the file and the historical models only, so it means the same
whatever the services become (the content is the file as loaded, its sha256
that of the canonical JSON, as services.form_templates computes them).
"""

import hashlib
import json
from pathlib import Path

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import evaluations.models
import evaluations.validators

HUNAN_FILE = Path(__file__).resolve().parents[1] / "form_templates" / "hunan-overall@2023.json"


def canonical_sha256(content):
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def install_hunan(apps, schema_editor):
    FormTemplate = apps.get_model("evaluations", "FormTemplate")
    content = json.loads(HUNAN_FILE.read_text(encoding="utf-8-sig"))
    template, _ = FormTemplate.objects.get_or_create(
        code=content["code"],
        version=content["version"],
        defaults={
            "title": content["title"],
            "region": content.get("region", ""),
            "layout": content["layout"],
            "content": content,
            "sha256": canonical_sha256(content),
        },
    )
    apps.get_model("evaluations", "FiscalYear").objects.update(form_template=template)
    apps.get_model("evaluations", "Filing").objects.update(form_template=template)


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0001_initial"),
        ("evaluations", "0011_filing_revision"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="filing",
            name="values",
            field=models.JSONField(
                blank=True, default=dict, editable=False, verbose_name="表式填报内容"
            ),
        ),
        migrations.CreateModel(
            name="FormTemplate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code", models.CharField(max_length=60, verbose_name="代码")),
                ("version", models.CharField(max_length=20, verbose_name="版本")),
                ("title", models.CharField(max_length=200, verbose_name="表名")),
                ("region", models.CharField(blank=True, max_length=100, verbose_name="地区")),
                (
                    "layout",
                    models.CharField(
                        choices=[("generic", "按模板通用渲染"), ("hunan", "湖南表式（专用页面）")],
                        max_length=20,
                        verbose_name="版式",
                    ),
                ),
                ("content", models.JSONField(verbose_name="模板内容")),
                ("sha256", models.CharField(max_length=64, verbose_name="内容 SHA-256")),
                ("installed_at", models.DateTimeField(auto_now_add=True, verbose_name="安装时间")),
                (
                    "installed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="installed_form_templates",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="安装人",
                    ),
                ),
            ],
            options={
                "verbose_name": "表式模板",
                "verbose_name_plural": "表式模板",
                "ordering": ["code", "version"],
            },
        ),
        migrations.AddField(
            model_name="filing",
            name="form_template",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="filings",
                to="evaluations.formtemplate",
                verbose_name="表式模板",
            ),
        ),
        migrations.AddField(
            model_name="fiscalyear",
            name="form_template",
            field=models.ForeignKey(
                blank=True,
                help_text="本年度新建自评使用的表式；为空时使用湖南表式 hunan-overall@2023。",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="fiscal_years",
                to="evaluations.formtemplate",
                verbose_name="表式模板",
            ),
        ),
        migrations.CreateModel(
            name="JurisdictionYearTemplate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "fiscal_year",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="jurisdiction_templates",
                        to="evaluations.fiscalyear",
                        verbose_name="年度",
                    ),
                ),
                (
                    "form_template",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="jurisdiction_years",
                        to="evaluations.formtemplate",
                        verbose_name="表式模板",
                    ),
                ),
                (
                    "jurisdiction",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="form_templates",
                        to="departments.jurisdiction",
                        verbose_name="行政区划",
                    ),
                ),
            ],
            options={
                "verbose_name": "行政区划年度表式",
                "verbose_name_plural": "行政区划年度表式",
                "ordering": ["-fiscal_year__year", "jurisdiction__name"],
            },
        ),
        migrations.CreateModel(
            name="FilingRow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("table", models.CharField(max_length=60, verbose_name="表")),
                ("position", models.PositiveSmallIntegerField(verbose_name="顺序")),
                ("row", models.CharField(blank=True, max_length=60, verbose_name="固定行")),
                ("group", models.CharField(blank=True, max_length=60, verbose_name="自填行分组")),
                ("cells", models.JSONField(blank=True, default=dict, verbose_name="单元格")),
                ("not_applicable", models.BooleanField(default=False, verbose_name="不适用")),
                ("reason", models.TextField(blank=True, verbose_name="不适用原因")),
                (
                    "review_score",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=14,
                        null=True,
                        validators=[evaluations.validators.validate_non_negative],
                        verbose_name="评定分数",
                    ),
                ),
                (
                    "filing",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rows",
                        to="evaluations.filing",
                        verbose_name="填报",
                    ),
                ),
            ],
            options={
                "verbose_name": "表式行",
                "verbose_name_plural": "表式行",
                "ordering": ["table", "position"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("filing", "table", "position"), name="filing_row_unique_position"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("row", ""), models.Q(("group", ""), _negated=True)),
                            models.Q(models.Q(("row", ""), _negated=True), ("group", "")),
                            _connector="OR",
                        ),
                        name="filing_row_fixed_or_free",
                    ),
                ],
            },
            bases=(evaluations.models.FilingPart, models.Model),
        ),
        migrations.AddConstraint(
            model_name="formtemplate",
            constraint=models.UniqueConstraint(
                fields=("code", "version"), name="form_template_unique_version"
            ),
        ),
        migrations.AddConstraint(
            model_name="jurisdictionyeartemplate",
            constraint=models.UniqueConstraint(
                fields=("jurisdiction", "fiscal_year"), name="jurisdiction_year_template_unique"
            ),
        ),
        migrations.RunPython(install_hunan, migrations.RunPython.noop),
    ]

from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evaluations"
    verbose_name = "绩效自评"

    def ready(self):
        # django-auditlog keeps old and new value of every field change of a
        # filing and its parts (DOMAIN.md: audit trail); transitions have their
        # own table, FilingTransition.
        from auditlog.registry import auditlog

        from . import checks, models  # noqa: F401  (importing checks registers them)

        auditlog.register(models.Filing, exclude_fields=["updated_at", "version"])
        for part in (
            models.Profile,
            models.Funds,
            models.BasicDataRow,
            models.ProjectItem,
            models.Building,
            models.Project,
            models.Indicator,
            models.Report,
            models.FilingRow,
        ):
            auditlog.register(part)

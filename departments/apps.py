from django.apps import AppConfig


class DepartmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "departments"
    verbose_name = "部门与用户"

    def ready(self):
        # Who granted what is on record: every role given or taken away and
        # every change of an account's privileges or state, with the actor
        # (services set it; the middleware does for web requests).
        from auditlog.registry import auditlog
        from django.contrib.auth import get_user_model

        from . import models

        auditlog.register(models.Membership)
        auditlog.register(
            get_user_model(),
            include_fields=[
                "username",
                "first_name",
                "last_name",
                "email",
                "is_active",
                "is_staff",
                "is_superuser",
            ],
        )

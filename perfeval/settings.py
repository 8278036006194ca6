"""Settings for perfeval, read from the environment.

Every value that differs between a laptop and production comes from an
environment variable, so the same file serves both (cookiecutter-django style).
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY 未设置：关闭调试模式（DJANGO_DEBUG）时必须提供密钥。"
        )
    # Only for local development with DEBUG on; never used in production.
    SECRET_KEY = "perfeval-insecure-development-key"

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "auditlog",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "departments",
    "evaluations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "perfeval.security.PrivatePagesMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last, so it can turn the response of a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "perfeval.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "perfeval.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite is the one-person development database (several simultaneous
    # users need PostgreSQL, README). Still, a reviewer clicking while the task
    # worker stores a report must wait, not fail with "database is locked":
    # WAL lets readers go on beside the one writer, IMMEDIATE takes the write
    # lock when a transaction begins (a read-then-write transaction cannot wait
    # for it half way), and the timeout is how long a writer queues.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        transaction_mode="IMMEDIATE",
        timeout=20,
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

# WhiteNoise serves the static files from the web processes (no CDN on
# government intranets, no nginx alias to keep in step): in production from
# STATIC_ROOT with hashed names cached for good and pre-compressed copies,
# both written by `collectstatic`. The test suite runs with DEBUG off like
# production but without `collectstatic`, so by default it keeps plain storage
# and WhiteNoise reads static/ directly, as in development.
PERFEVAL_MANIFEST_STATIC = env_bool(
    "PERFEVAL_MANIFEST_STATIC", default=not DEBUG and "pytest" not in sys.modules
)
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = not PERFEVAL_MANIFEST_STATIC
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PERFEVAL_MANIFEST_STATIC
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Several web processes and the worker on different machines share uploaded and
# generated files (the frozen reports) through S3-compatible object storage.
# Needs the `s3` extra (django-storages); nothing imports it unless configured.
# Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which
# django-storages reads from the environment itself.
if os.environ.get("PERFEVAL_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["PERFEVAL_S3_BUCKET"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            # "path" for MinIO and most on-premises object stores.
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
            "location": os.environ.get("PERFEVAL_S3_PREFIX", "media"),
            # Reports are only ever served through permission-checked views.
            "default_acl": "private",
            "file_overwrite": False,
        },
    }

# HTTPS ends at nginx (deploy/nginx/perfeval.conf), which overwrites
# X-Forwarded-Proto on every request; gunicorn listens only behind it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Off unless set, because the test client and the development server speak plain
# HTTP; the production environment file and the systemd unit turn it on.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# Health probes talk to gunicorn directly over HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG
)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]
# Offices share computers: a session ends with the browser, and after a working
# day even if the browser stays open.
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_COOKIE_AGE", 8 * 60 * 60))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login lockout (django-axes): after AXES_FAILURE_LIMIT failed logins in a row
# the same user name from the same address is refused for 30 minutes (the
# message in templates/registration/login.html says so). Attempts are rows in
# the database, so every web process counts the same attempts.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/login.html"
# Across user names, one address may fail this often within the cool-off time
# (perfeval/security.py; an office shares one address, so it is well above the
# per-user limit).
AXES_HANDLER = "perfeval.security.AddressLimitedAxesHandler"
PERFEVAL_ADDRESS_FAILURE_LIMIT = int(os.environ.get("PERFEVAL_ADDRESS_FAILURE_LIMIT", 30))
# Behind nginx REMOTE_ADDR is nginx itself, which overwrites X-Real-IP with the
# client's address; the header is believed only from these proxies.
PERFEVAL_TRUSTED_PROXIES = [
    address.strip()
    for address in os.environ.get("PERFEVAL_TRUSTED_PROXIES", "127.0.0.1,::1").split(",")
    if address.strip()
]
AXES_CLIENT_IP_CALLABLE = "perfeval.security.client_address"

# Content-Security-Policy (django-csp; Django 5.2 has none built in): pages
# load scripts, styles, fonts and images only from our own static files — the
# templates have no inline script or style — and may not be framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # the bureau to its dashboard, officers to 我的填报
LOGOUT_REDIRECT_URL = "login"

# Background jobs (rendering the frozen report at approval): rows in the
# database, run by `python manage.py db_worker`. PERFEVAL_TASKS_IMMEDIATE=1 runs
# them inline (tests, a single-process demo).
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env_bool("PERFEVAL_TASKS_IMMEDIATE")
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "perfeval@localhost")

# Fields one POST may carry. The largest page within the filing limits
# (evaluations/services/limits.py) is 附件1 with 100 项目支出 lines × 7 fields,
# 30 buildings × 8 and 13 fixed rows × 4, plus management forms: about 1,010
# (a 60-row indicator table: 60 × 12 + the project header ≈ 750). Django's
# default of 1,000 would answer that page with a bare 400; twice the largest
# also lets a page posting rows above a limit reach the form's own message.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Largest JSON document accepted by the web import (the command reads files of
# any size but refuses text fields over the per-field limit).
PERFEVAL_MAX_IMPORT_BYTES = int(os.environ.get("PERFEVAL_MAX_IMPORT_BYTES", 5 * 1024 * 1024))

# Uploaded Excel workbooks (evaluations/services/excel.py) are refused above
# these: the file size, the uncompressed size its zip entries declare (zip
# bombs) and the rows of any one sheet.
PERFEVAL_XLSX_MAX_BYTES = int(os.environ.get("PERFEVAL_XLSX_MAX_BYTES", 10 * 1024 * 1024))
PERFEVAL_XLSX_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("PERFEVAL_XLSX_MAX_UNCOMPRESSED_BYTES", 50 * 1024 * 1024)
)
PERFEVAL_XLSX_MAX_ROWS = int(os.environ.get("PERFEVAL_XLSX_MAX_ROWS", 5000))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} {message}", "style": "{"},
    },
    "handlers": {
        # Standard output, collected by journald (or the container runtime).
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # WeasyPrint logs a line per page at INFO; its warnings (missing glyphs,
    # refused URLs) still come through.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}

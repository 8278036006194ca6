"""Settings read from the environment, checked the way production starts them:
in a fresh process with a production-like environment."""

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings
from django.urls import reverse

from perfeval.settings import BASE_DIR

# Settings the environment may change; a developer's shell must not leak them
# into the production-like processes below.
OWN_PREFIXES = ("DJANGO_", "PERFEVAL_", "AXES_", "AWS_")
OWN_NAMES = {"ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL"}


def production_environment(tmp_path, **extra):
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(OWN_PREFIXES) and name not in OWN_NAMES
    }
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="perfeval.example.cn",
        DJANGO_SECURE_SSL_REDIRECT="1",
        CSRF_TRUSTED_ORIGINS="https://perfeval.example.cn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'perfeval.sqlite3'}",
    )
    env.update(extra)
    return env


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_in(env, *names):
    """The values of `names` as a fresh production process computes them."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {list(names)!r}}}, "
        "default=str))"
    )
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_deploy_check_finds_no_issues_in_the_production_environment(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_environment(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_environment_turns_on_https_and_hashed_static_files(tmp_path):
    values = settings_in(
        production_environment(tmp_path),
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "CSRF_TRUSTED_ORIGINS",
        "STORAGES",
    )
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://perfeval.example.cn"]
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert values["STORAGES"]["default"]["BACKEND"] == (
        "django.core.files.storage.FileSystemStorage"
    )


def test_collectstatic_writes_hashed_and_compressed_files(tmp_path):
    static_root = tmp_path / "static"
    env = production_environment(tmp_path, DJANGO_STATIC_ROOT=str(static_root))
    # Django's own admin files go through the same storage; leaving them out
    # keeps this test at a few seconds instead of fifteen.
    result = manage("collectstatic", "--noinput", "--ignore", "admin", env=env)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/perfeval.css"]
    assert hashed != "css/perfeval.css"
    assert (static_root / hashed).exists()
    assert (static_root / f"{hashed}.gz").exists()
    assert (static_root / f"{hashed}.br").exists()


def test_s3_bucket_in_the_environment_moves_media_to_object_storage(tmp_path):
    env = production_environment(
        tmp_path,
        PERFEVAL_S3_BUCKET="perfeval-media",
        AWS_S3_ENDPOINT_URL="https://oss.example.cn",
        AWS_S3_ADDRESSING_STYLE="path",
    )
    storages = settings_in(env, "STORAGES")["STORAGES"]
    assert storages["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storages["default"]["OPTIONS"]
    assert options["bucket_name"] == "perfeval-media"
    assert options["endpoint_url"] == "https://oss.example.cn"
    assert options["addressing_style"] == "path"
    assert options["location"] == "media"


def test_without_a_bucket_django_storages_is_not_needed():
    assert settings.STORAGES["default"]["BACKEND"] == (
        "django.core.files.storage.FileSystemStorage"
    )
    assert "storages" not in sys.modules


def test_plain_http_is_not_redirected_unless_the_environment_asks(client):
    assert settings.SECURE_SSL_REDIRECT is False
    response = client.get(reverse("login"))
    assert response.status_code == 200


def test_every_response_carries_the_security_headers(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"

import pytest


@pytest.fixture(autouse=True)
def run_background_tasks_inline(settings):
    """Tasks run in the request that enqueues them (after its commit), so tests
    see the frozen report without a worker process."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def media_in_a_temporary_folder(settings, tmp_path):
    """Frozen reports written by tests never land in the checkout."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The production hasher is slow on purpose; tests only need it to work."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

"""The core's tests need no Django: they run with `-p no:django` (scripts/mutation
runs them thousands of times, without settings or a database).

tests/conftest.py makes three fixtures autouse that need pytest-django's
`settings`; a fixture of the same name here takes their place for this folder,
so the tests below run the same with and without the Django plugin.
"""

import pytest


@pytest.fixture
def run_background_tasks_inline():
    """No task is enqueued by the pure core."""


@pytest.fixture
def media_in_a_temporary_folder():
    """The pure core writes no file."""


@pytest.fixture
def fast_password_hashing():
    """The pure core hashes no password."""

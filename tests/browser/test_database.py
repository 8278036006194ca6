"""The database the browser tests' live server answers from."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_the_live_server_database_is_a_file_of_this_process(live_server):
    # In memory, the live server would share the test thread's one connection
    # between simultaneous requests (tests/browser/conftest.py).
    assert not connection.is_in_memory_db()
    assert "perfeval-browser-db-" in connection.settings_dict["NAME"]

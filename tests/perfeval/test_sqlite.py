"""The development database (SQLite) lets simultaneous writers queue instead of
failing with "database is locked"."""

import threading

import pytest
from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="SQLite settings",
)

WRITERS = 8


def connection_as_configured(path):
    """A connection to `path` with the OPTIONS the settings give the default database."""
    return DatabaseWrapper(
        {
            **settings.DATABASES["default"],
            "NAME": str(path),
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
            "TIME_ZONE": None,
            "TEST": {},
        },
        alias=f"concurrency-{threading.get_ident()}",
    )


def test_simultaneous_read_then_write_transactions_all_succeed(tmp_path, django_db_blocker):
    """Each writer reads the row and then updates it in one transaction, as a
    submission does (check the status, then change it). Without the IMMEDIATE
    transaction mode the second writer's upgrade from reader to writer fails at
    once with "database is locked"; with it, the writers queue."""
    django_db_blocker.unblock()  # our own database file, not the test database
    path = tmp_path / "dev.sqlite3"
    setup = connection_as_configured(path)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE counter (value integer)")
        cursor.execute("INSERT INTO counter VALUES (0)")
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    setup.close()

    start = threading.Barrier(WRITERS)
    errors = []

    def write():
        connection = connection_as_configured(path)
        try:
            start.wait()
            # What transaction.atomic() does on entering a block.
            connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
            with connection.cursor() as cursor:
                cursor.execute("SELECT value FROM counter")
                value = cursor.fetchone()[0]
                cursor.execute("UPDATE counter SET value = %s", [value + 1])
            connection.commit()
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    check = connection_as_configured(path)
    with check.cursor() as cursor:
        cursor.execute("SELECT value FROM counter")
        assert cursor.fetchone()[0] == WRITERS
    check.close()

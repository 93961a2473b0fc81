"""Throwaway databases for benchmarks: a migrated SQLite file, or a PostgreSQL database of our own.

The PostgreSQL server is the one at TRIGGERPOINT_BENCH_POSTGRES_URL (its database `test` is used
to create and drop ours); when it does not answer, `BackendUnavailable` says why.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from scheduler.core import db
from scheduler.core.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "TRIGGERPOINT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/"
)


class BackendUnavailable(Exception):
    """The database server did not answer; that backend is reported as skipped."""


@contextmanager
def database(backend: str, label: str) -> Iterator[Engine]:
    """A fresh, migrated database of `backend`, removed afterwards."""
    if backend == "sqlite":
        place = sqlite_database(label)
    else:
        place = postgres_database(f"triggerpoint_bench_{os.getpid()}_{label}")
    with place as url:
        upgrade(url)
        engine = db.make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def sqlite_database(label: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / f'bench-{label}.sqlite3'}"


@contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """Create database `name` on the server (via database `test`) and drop it at the end."""
    admin_url = make_url(POSTGRES_URL).set(database="test")
    admin = sa.create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as error:
        admin.dispose()
        reason = str(error.orig).strip().splitlines()[0]
        raise BackendUnavailable(f"no PostgreSQL at {admin_url}: {reason}") from error
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()

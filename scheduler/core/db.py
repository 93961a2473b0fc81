"""Engine, sessions and the write lock that makes booking safe on SQLite and PostgreSQL alike."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Engine, Integer, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.operators import custom_op
from sqlmodel import Session

from scheduler.core.settings import get_settings

BOOKING_WRITE = "triggerpoint_booking_write"
# Connections a process keeps open to PostgreSQL. A server process reads for many requests at once
# (one change at a time, but reads and sign-ins in its thread pool alongside); a pool smaller than
# its usual load opens and closes a connection, and a PostgreSQL backend, for each request over it
# (docs/performance.md: fewer bookings per second with the default of 5).
POOL_SIZE = 20


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = url or get_settings().database_url
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    defaults = {"pool_pre_ping": True, "hide_parameters": True, "pool_size": POOL_SIZE}
    return create_engine(url, **(defaults | kwargs))


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        # A database error's text must not carry the values written: patients' data, intake.
        hide_parameters=True,
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so a booking can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # BEGIN IMMEDIATE takes SQLite's single write lock up front, so the overlap check and the
        # insert that follows it cannot interleave with another writer.
        immediate = connection.get_execution_options().get(BOOKING_WRITE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def booking_session(engine: Engine) -> Session:
    """A session whose transactions may change the schedule (see `lock_schedule`)."""
    return Session(engine.execution_options(**{BOOKING_WRITE: True}), expire_on_commit=False)


@contextmanager
def autocommit_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose statements each commit on their own, for steps whose every statement
    is safe alone (a conditional update, a read). On PostgreSQL that saves a round trip for
    BEGIN and one for COMMIT. SQLite keeps one transaction, taken with its write lock: its
    driver's autocommit switch would stay on the pooled connection."""
    if engine.dialect.name != "postgresql":
        with engine.execution_options(**{BOOKING_WRITE: True}).begin() as connection:
            yield connection
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


@contextmanager
def transaction(session_: Session) -> Iterator[Session]:
    """Commit on success, roll back on any error: a change is saved whole or not at all."""
    try:
        yield session_
        session_.commit()
    except BaseException:
        session_.rollback()
        raise


def require_booking_session(session_: Session) -> Connection:
    """Changes that read before they write need SQLite's write lock from the start: a deferred
    transaction that writes after another writer committed fails at once, whatever the timeout."""
    connection = session_.connection()
    if connection.dialect.name == "sqlite" and not connection.get_execution_options().get(
        BOOKING_WRITE
    ):
        raise RuntimeError("schedule changes on SQLite need a booking_session()")
    return connection


def lock_schedule(session_: Session, *, keys: Iterable[tuple[int, int]]) -> None:
    """Serialise schedule writers that touch the same practitioners, rooms or patient.

    PostgreSQL: transaction-scoped advisory locks, taken in sorted order so two bookings never
    wait on each other in a cycle (racing inserts on an exclusion constraint deadlock otherwise).
    SQLite: the transaction must already hold the write lock from BEGIN IMMEDIATE.
    """
    connection = require_booking_session(session_)
    if connection.dialect.name == "sqlite":
        return
    # One statement: PostgreSQL evaluates a select list from left to right.
    ordered = sorted(set(keys))
    if not ordered:
        return
    calls = ", ".join(f"pg_advisory_xact_lock(:ns{n}, :key{n})" for n in range(len(ordered)))
    values: dict[str, int] = {}
    for n, (namespace, key) in enumerate(ordered):
        values[f"ns{n}"], values[f"key{n}"] = namespace, key
    connection.execute(text(f"SELECT {calls}"), values)


def schedule_clash(error: Exception) -> str | None:
    """ "overlap" when the database itself refused a double booking, "deadlock" when two
    schedule changes waited on each other; None for anything else."""
    code = getattr(getattr(error, "orig", None), "sqlstate", None)
    if code == "40P01":
        return "deadlock"
    if code == "23P01" or "appointment_overlap" in str(error):
        return "overlap"
    return None


def filter_only(column: Mapped[int]) -> ColumnElement[int]:
    """The column behind a unary plus, which keeps the query planner from choosing an index on
    it (SQLite's documented way to steer its planner; harmless on PostgreSQL)."""
    return UnaryExpression(
        cast(ColumnElement[int], column), operator=custom_op("+"), type_=Integer()
    )


class epoch_seconds(FunctionElement[int]):
    """Whole seconds since 1970 of a UTCDateTime column, computed by the database.

    Availability works on integers; letting the database produce them avoids building and
    converting thousands of datetime objects per search.
    """

    type = Integer()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_on_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # The column holds naive UTC text, read as UTC; julianday is the quickest reader of it.
    days = f"julianday({compiler.process(element.clauses, **kw)})"
    return f"CAST(ROUND(({days} - 2440587.5) * 86400) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_on_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # date_part works in floating point; EXTRACT's exact numeric is several times slower.
    return f"CAST(date_part('epoch', {compiler.process(element.clauses, **kw)}) AS BIGINT)"


def database_answers(engine: Engine) -> bool:
    """True when a query gets through to the database now."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True

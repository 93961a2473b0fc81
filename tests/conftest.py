"""Real databases for every test: a migrated SQLite file, and PostgreSQL when it is reachable.

PostgreSQL-backed tests are skipped with the reason when no server answers, unless
TRIGGERPOINT_REQUIRE_SERVICES=1 (as in CI), which turns that skip into a failure.

The suite runs in two processes (pytest-xdist, `-n 2` in pyproject.toml; `-n 0` for one): each
has its own PostgreSQL database (named after its pid) and its own Redis database (the configured
one for the first process, the next for the second), so their workers never take each other's
tasks.

Every test reads the clinic's clock at CURRENT_TIME (ticking on from there), whatever the real
date: the data built around that moment stays where it was built, for the test and for
everything it drives in this process (the app's routes, a server in a thread, a worker's task
run in line). A test that starts processes of its own cannot move their clocks, so it is marked
`processes` and builds its data from the real now instead. `.ci/run` proves both by running the
in-process tests again with the machine's clock moved more than a year ahead.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
import redis
import time_machine
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

import scheduler.models  # noqa: F401
from scheduler.core.db import booking_session, make_engine
from scheduler.core.migrate import upgrade
from scheduler.models import CatalogueVersion, SigningKey
from tests.factories import CURRENT_TIME

pytest_plugins = [
    "tests.web_fixtures",
    "tests.api_fixtures",
    "tests.web_pages",
    "tests.browser_fixtures",
]
REDIS_URL = os.environ.get("TRIGGERPOINT_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
POSTGRES_ADMIN_URL = os.environ.get(
    "TRIGGERPOINT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SERVICES_REQUIRED = os.environ.get("TRIGGERPOINT_REQUIRE_SERVICES") == "1"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def clinic_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """The clock at CURRENT_TIME for the test and all it runs in this process (see above)."""
    if request.node.get_closest_marker("processes"):
        yield
        return
    with time_machine.travel(CURRENT_TIME, tick=True):
        yield


def missing_service(reason: str) -> NoReturn:
    if SERVICES_REQUIRED:
        pytest.fail(f"{reason} (TRIGGERPOINT_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "triggerpoint.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def redis_url(worker_id: str) -> str:
    """A Redis database of this test process's own (emptied first)."""
    base, _, number = REDIS_URL.rpartition("/")
    url = f"{base}/{int(number) + _process_index(worker_id)}"
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.flushdb()
    except redis.RedisError as error:
        missing_service(f"no Redis at {url}: {error}")
    finally:
        client.close()
    return url


def _process_index(worker_id: str) -> int:
    """0 for the only or first test process ("master", "gw0"), 1 for "gw1", and so on."""
    return int(worker_id[2:]) if worker_id.startswith("gw") else 0


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of our own for this test run, migrated once and dropped at the end."""
    name = f"triggerpoint_test_{os.getpid()}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        missing_service(f"no PostgreSQL at {POSTGRES_ADMIN_URL}: {error}".strip())
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    url = f"{base}/{name}"
    upgrade(url)
    yield url
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


FreshDatabase = Callable[[], Engine]


@pytest.fixture(params=BACKENDS)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FreshDatabase]:
    """Call it for an empty, migrated database of the test's backend (again and again)."""
    engines: list[Engine] = []

    def fresh() -> Engine:
        for engine in engines:
            engine.dispose()
        if request.param == "sqlite":
            path = tmp_path / f"triggerpoint-{len(engines)}.sqlite3"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            engine = make_engine(f"sqlite:///{path}")
        else:
            engine = make_engine(request.getfixturevalue("postgres_url"), pool_size=40)
            empty_tables(engine)
        engines.append(engine)
        return engine

    yield fresh
    for engine in engines:
        engine.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """For what only PostgreSQL can show: several processes claiming from one outbox."""
    engine = make_engine(postgres_url, pool_size=20)
    empty_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(fresh_database: FreshDatabase) -> Engine:
    return fresh_database()


def empty_tables(engine: Engine) -> None:
    """PostgreSQL only: every table emptied and its ids restarted, but for the rows the
    migrations made once for the database, as in production: the links' signing key and the
    catalogue's version (which the emptying itself moves on)."""
    kept = {SigningKey.__tablename__, CatalogueVersion.__tablename__}
    names = ", ".join(
        f'"{table.name}"' for table in SQLModel.metadata.sorted_tables if table.name not in kept
    )
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with booking_session(engine) as session:
        yield session

"""What every route may ask for: settings, the scheduling policy, a database session, the clock."""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from functools import cache
from typing import Annotated
from weakref import WeakKeyDictionary

from fastapi import Depends
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.core.policy import Policy, current_policy
from scheduler.core.settings import Settings, get_settings


@cache
def engine() -> Engine:
    return db.make_engine()


def read_session(database: Annotated[Engine, Depends(engine)]) -> Iterator[Session]:
    """A session for reading; anything it changes is thrown away."""
    with Session(database) as session:
        yield session


async def write_session(database: Annotated[Engine, Depends(engine)]) -> AsyncIterator[Session]:
    """A session that may change the schedule and the outbox, committed when the route returns.

    A process makes one change at a time; the other requests wait their turn here, in the event
    loop, in order. Changes made side by side in one process only share its interpreter lock:
    each takes longer and the slowest much longer (docs/performance.md). On SQLite only one
    transaction writes at a time anyway, and a request waiting here
    holds no worker thread and no connection while SQLite's busy handler sleeps. More processes
    (`triggerpoint serve --workers`) make more changes at once on PostgreSQL.
    """
    async with _writer(database):
        session = db.booking_session(database)
        try:
            yield session
            await run_in_threadpool(_end, session, session.commit)
        except BaseException:
            await run_in_threadpool(_end, session, session.rollback)
            raise


def _end(session: Session, outcome: Callable[[], None]) -> None:
    """Commit or roll back, then close: one trip to a worker thread, not two."""
    with session:
        outcome()


_TURNS: WeakKeyDictionary[Engine, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    WeakKeyDictionary()
)


def _writer(database: Engine) -> asyncio.Lock:
    """This process's turn to change `database`."""
    loop = asyncio.get_running_loop()
    found = _TURNS.get(database)
    if found is None or found[0] is not loop:
        found = _TURNS[database] = (loop, asyncio.Lock())
    return found[1]


SettingsDep = Annotated[Settings, Depends(get_settings)]


# The routes hand it to the core, which never reads the settings for it.
async def policy() -> Policy:
    """The clinic's rules, on the event loop: a sync dependency would take a trip through the
    thread pool, and in a write route while the process's write turn is held."""
    return current_policy()


PolicyDep = Annotated[Policy, Depends(policy)]
ReadSessionDep = Annotated[Session, Depends(read_session)]
# Committed before the response leaves: a 2xx means the change is saved.
WriteSessionDep = Annotated[Session, Depends(write_session, scope="function")]
NowDep = Annotated[datetime, Depends(utc_now)]

"""What every route may ask for: settings, a database session, the clock."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import datetime
from functools import cache
from typing import Annotated
from weakref import WeakKeyDictionary

from fastapi import Depends
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from scheduler import db
from scheduler.clock import utc_now
from scheduler.settings import Settings, get_settings


@cache
def engine() -> Engine:
    return db.make_engine()


def read_session(database: Annotated[Engine, Depends(engine)]) -> Iterator[Session]:
    """A session for reading; anything it changes is thrown away."""
    with Session(database) as session:
        yield session


async def write_session(database: Annotated[Engine, Depends(engine)]) -> AsyncIterator[Session]:
    """A session that may change the schedule and the outbox, committed when the route returns.

    On SQLite only one transaction writes at a time anyway, so a process lets one request at a
    time in: the others wait here, in the event loop, instead of each holding a worker thread and
    a pooled connection while SQLite's busy handler sleeps (which starves the thread pool and
    stretches the tail). Other processes still queue on SQLite's own lock.
    """
    async with _writers(database):
        session = db.booking_session(database)
        try:
            yield session
            await run_in_threadpool(session.commit)
        except BaseException:
            await run_in_threadpool(session.rollback)
            raise
        finally:
            await run_in_threadpool(session.close)


_GATES: WeakKeyDictionary[Engine, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    WeakKeyDictionary()
)


def _writers(database: Engine) -> AbstractAsyncContextManager[object]:
    if database.dialect.name != "sqlite":
        return nullcontext()
    loop = asyncio.get_running_loop()
    found = _GATES.get(database)
    if found is None or found[0] is not loop:
        found = _GATES[database] = (loop, asyncio.Lock())
    return found[1]


SettingsDep = Annotated[Settings, Depends(get_settings)]
ReadSessionDep = Annotated[Session, Depends(read_session)]
# Committed before the response leaves: a 2xx means the change is saved.
WriteSessionDep = Annotated[Session, Depends(write_session, scope="function")]
NowDep = Annotated[datetime, Depends(utc_now)]

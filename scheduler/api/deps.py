"""What every route may ask for: settings, a database session, the clock."""

from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Annotated

from fastapi import Depends
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler import db
from scheduler.clock import utc_now
from scheduler.settings import Settings, get_settings


@cache
def engine() -> Engine:
    return db.make_engine()


def write_session(database: Annotated[Engine, Depends(engine)]) -> Iterator[Session]:
    """A session that may change the schedule and the outbox, committed when the route returns."""
    with db.booking_session(database) as session, db.transaction(session):
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
# Committed before the response leaves: a 2xx means the change is saved.
WriteSessionDep = Annotated[Session, Depends(write_session, scope="function")]
NowDep = Annotated[datetime, Depends(utc_now)]

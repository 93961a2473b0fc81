"""The clinic's catalogue: locations and their opening hours, services, practitioners, rooms and
weekly working hours, kept in memory by each process.

Booking reads all of it on every request and only an admin changes it, so reading it again each
time was most of what a refused booking cost. Each transaction instead reads one number, the
catalogue's version, which triggers change with every write to those tables from any process
(migration 0007), and reloads the catalogue only when the number changed. A change is therefore
seen by every transaction that starts after it commits, as it was without the memory, and by
the transaction that makes it.

The objects are detached and shared between threads: read them; never change them or add them
to a session (load the row in the session for that).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import URL, event
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session, col, select

from scheduler.core.errors import NotFound, not_found
from scheduler.models import (
    CatalogueVersion,
    Location,
    OpeningHours,
    Practitioner,
    Room,
    Service,
    WorkingHours,
)

KEPT = (Location, OpeningHours, Service, Practitioner, Room, WorkingHours)
KEPT_TABLES = frozenset(str(table.__tablename__) for table in KEPT)
_VERSION = sa.select(col(CatalogueVersion.version)).where(col(CatalogueVersion.id) == 1)
_IN_TRANSACTION = "catalogue"  # session.info key: (transaction, catalogue) read in it


@dataclass(frozen=True)
class Catalogue:
    version: int
    locations: dict[int, Location]  # in id order: the first is the clinic's main site
    opening: dict[int, list[OpeningHours]]  # by location
    services: dict[str, Service]  # by code
    practitioners: dict[int, Practitioner]  # everyone, active or not
    rooms: dict[int, Room]
    working_hours: dict[int, list[WorkingHours]]  # by location

    def location(self, location_id: int | None) -> Location:
        """The named location, or the first one when a clinic has a single site."""
        if location_id is None:
            found = next(iter(self.locations.values()), None)
        else:
            found = self.locations.get(location_id)
        if found is None:
            raise not_found("location", location_id, field="location_id")
        return found

    def services_for(self, codes: Sequence[str]) -> dict[str, Service]:
        """The services of these codes, by code; NotFound names the first unknown one."""
        for code in codes:
            if code not in self.services:
                raise NotFound(f"No service {code!r}.", field="services", code="unknown_service")
        return {code: self.services[code] for code in codes}


_remembered: dict[URL, Catalogue] = {}  # by database: the latest catalogue read


def catalogue(session: Session) -> Catalogue:
    """The catalogue as this transaction sees it: one small query, or none when it was already
    asked in this transaction and nothing was written since; a reload when it changed."""
    asked = session.info.get(_IN_TRANSACTION)
    if asked is not None and asked[0] is session.get_transaction():
        return asked[1]  # type: ignore[no-any-return]
    version = session.execute(_VERSION).scalar_one()
    database = session.connection().engine.url
    found = _remembered.get(database)
    if found is None or found.version != version:
        found = _remembered[database] = _load(session, version)
    session.info[_IN_TRANSACTION] = (session.get_transaction(), found)
    return found


@event.listens_for(Session, "after_flush")
def _forget_after_flush(session: Session, _flush: object) -> None:
    """A flush that wrote to the catalogue's tables changed the version in this transaction."""
    written = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(row, KEPT) for row in written):
        session.info.pop(_IN_TRANSACTION, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_before_writing(execution: ORMExecuteState) -> None:
    """Likewise a bulk write to them, or any statement that may write and names no table."""
    if execution.is_select:
        return
    table = getattr(execution.statement, "table", None)
    if table is None or table.name in KEPT_TABLES:
        execution.session.info.pop(_IN_TRANSACTION, None)


def _load(session: Session, version: int) -> Catalogue:
    """Read in the caller's transaction, through a session of its own so that the objects are
    not the caller's (which it may change) and can be detached."""
    with Session(bind=session.connection()) as reader:
        locations = _by_id(reader, Location)
        opening = _by_location(reader.exec(select(OpeningHours).order_by(col(OpeningHours.id))))
        services = {s.code: s for s in reader.exec(select(Service).order_by(col(Service.id)))}
        practitioners = _by_id(reader, Practitioner)
        rooms = _by_id(reader, Room)
        hours = _by_location(reader.exec(select(WorkingHours).order_by(col(WorkingHours.id))))
        reader.expunge_all()
    return Catalogue(version, locations, opening, services, practitioners, rooms, hours)


Site = TypeVar("Site", Location, Practitioner, Room)
Hours = TypeVar("Hours", OpeningHours, WorkingHours)


def _by_id(reader: Session, table: type[Site]) -> dict[int, Site]:
    return {row.id or 0: row for row in reader.exec(select(table).order_by(col(table.id)))}


def _by_location(rows: Iterable[Hours]) -> dict[int, list[Hours]]:
    grouped: dict[int, list[Hours]] = defaultdict(list)
    for row in rows:
        grouped[row.location_id].append(row)
    return dict(grouped)


def resolve_location(session: Session, location_id: int | None) -> Location:
    """The named location, or the first one when a clinic has a single site."""
    return catalogue(session).location(location_id)

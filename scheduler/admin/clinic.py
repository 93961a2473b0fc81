"""Admin edits to the clinic's places and catalogue: services, rooms and locations.

Each function checks its rules, refuses a change that would strand booked visits, and writes an
audit entry in the caller's transaction (`actor` is `audit.staff(user)`). Changes to a service
(duration, cleanup, room kind, professions) apply to visits booked after them: appointments
already booked keep their times. Practitioners, their hours, time off and certificates are in
`admin.practitioners`.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete
from sqlmodel import Session, col

from scheduler.admin.stranded import (
    BookedPart,
    appointments_outside,
    refuse_stranded,
    upcoming_appointments,
)
from scheduler.clinic.catalogue import resolve_location
from scheduler.clinic.setup import (
    Shift,
    WeeklyHours,
    check_durations,
    check_shifts,
    check_time_zone,
    create_location,
    create_room,
    create_service,
    profession_values,
    require_name,
)
from scheduler.core import audit
from scheduler.core.errors import not_found
from scheduler.models import (
    Location,
    OpeningHours,
    Profession,
    Room,
    RoomKind,
    Service,
    ServiceKind,
)

T = TypeVar("T")


def get_record(session: Session, table: type[T], key: int, what: str) -> T:
    """The row with primary key `key`, or NotFound naming `what` and its id field."""
    found = session.get(table, key)
    if found is None:
        raise not_found(what, key, field=f"{what.replace(' ', '_')}_id")
    return found


def add_service(
    session: Session,
    *,
    code: str,
    name: str,
    kind: ServiceKind,
    minutes: int,
    cleanup_minutes: int,
    room_kind: RoomKind,
    professions: Sequence[Profession],
    actor: str,
    now: datetime,
) -> Service:
    service = create_service(
        session,
        code=code,
        name=name,
        kind=kind,
        minutes=minutes,
        cleanup_minutes=cleanup_minutes,
        room_kind=room_kind,
        professions=professions,
    )
    audit.record_change(
        session,
        actor=actor,
        action="service.created",
        subject=f"service:{service.id}",
        now=now,
        code=code,
    )
    return service


def update_service(
    session: Session,
    *,
    service_id: int,
    actor: str,
    now: datetime,
    name: str | None = None,
    minutes: int | None = None,
    cleanup_minutes: int | None = None,
    room_kind: RoomKind | None = None,
    professions: Sequence[Profession] | None = None,
) -> Service:
    """Change what new bookings of the service get; its code and kind never change."""
    service = get_record(session, Service, service_id, "service")
    if name is not None:
        service.name = require_name(name, "service")
    check_durations(
        service.duration_minutes if minutes is None else minutes,
        service.cleanup_minutes if cleanup_minutes is None else cleanup_minutes,
    )
    service.duration_minutes = minutes or service.duration_minutes
    service.cleanup_minutes = (
        service.cleanup_minutes if cleanup_minutes is None else cleanup_minutes
    )
    service.room_kind = room_kind or service.room_kind
    if professions is not None:
        service.professions = profession_values(professions)
    session.add(service)
    session.flush()
    audit.record_change(
        session,
        actor=actor,
        action="service.updated",
        subject=f"service:{service_id}",
        now=now,
        name=name,
        minutes=minutes,
        cleanup_minutes=cleanup_minutes,
        room_kind=room_kind,
        professions=professions,
    )
    return service


def add_room(
    session: Session,
    *,
    location_id: int | None,
    name: str,
    kind: RoomKind,
    actor: str,
    now: datetime,
) -> Room:
    """A room at the location (None: the clinic's first)."""
    location = resolve_location(session, location_id)
    room = create_room(session, location=location, name=name, kind=kind)
    audit.record_change(
        session,
        actor=actor,
        action="room.created",
        subject=f"room:{room.id}",
        now=now,
        name=room.name,
    )
    return room


def update_room(
    session: Session,
    *,
    room_id: int,
    actor: str,
    now: datetime,
    name: str | None = None,
    kind: RoomKind | None = None,
) -> Room:
    """Rename a room or change its kind; a new kind must not strand the visits booked in it."""
    room = get_record(session, Room, room_id, "room")
    if name is not None:
        room.name = require_name(name, "room")
    if kind is not None and kind != room.kind:
        refuse_stranded(
            upcoming_appointments(session, now=now, room_id=room_id),
            f"{room.name} has visits booked that need a {room.kind.value.replace('_', ' ')}",
        )
        room.kind = kind
    session.add(room)
    session.flush()
    audit.record_change(
        session,
        actor=actor,
        action="room.updated",
        subject=f"room:{room_id}",
        now=now,
        name=name,
        kind=kind,
    )
    return room


def add_location(
    session: Session,
    *,
    name: str,
    time_zone: str,
    phone: str,
    opening: WeeklyHours,
    actor: str,
    now: datetime,
) -> Location:
    location = create_location(
        session, name=name, time_zone=time_zone, opening=opening, phone=phone
    )
    audit.record_change(
        session,
        actor=actor,
        action="location.created",
        subject=f"location:{location.id}",
        now=now,
        name=location.name,
    )
    return location


def update_location(
    session: Session,
    *,
    location_id: int,
    actor: str,
    now: datetime,
    name: str | None = None,
    phone: str | None = None,
    time_zone: str | None = None,
    opening: WeeklyHours | None = None,
) -> Location:
    """Rename, renumber, move to another time zone (only with no visits ahead, whose wall-clock
    times would shift) or replace the weekly opening hours (only around the visits booked)."""
    location = get_record(session, Location, location_id, "location")
    upcoming = upcoming_appointments(session, now=now, location_id=location_id)
    if name is not None:
        location.name = require_name(name, "location")
    if phone is not None:
        location.phone = phone.strip()
    if time_zone is not None and time_zone != location.time_zone:
        check_time_zone(time_zone)
        refuse_stranded(upcoming, f"{location.name} has visits booked on its current clock")
        location.time_zone = time_zone
    if opening is not None:
        _replace_opening(session, location, opening, upcoming)
    session.add(location)
    session.flush()
    audit.record_change(
        session,
        actor=actor,
        action="location.updated",
        subject=f"location:{location_id}",
        now=now,
        name=name,
        phone=phone,
        time_zone=time_zone,
        opening=None if opening is None else sorted(opening),
    )
    return location


def _replace_opening(
    session: Session, location: Location, opening: WeeklyHours, upcoming: Sequence[BookedPart]
) -> None:
    spans = [Shift(weekday, opens, closes) for weekday, (opens, closes) in opening.items()]
    check_shifts(spans, "opening")
    refuse_stranded(
        appointments_outside(upcoming, spans),
        f"{location.name} has visits booked outside those opening hours",
    )
    session.execute(delete(OpeningHours).where(col(OpeningHours.location_id) == location.id))
    for span in spans:
        session.add(
            OpeningHours(
                location_id=location.id or 0,
                weekday=span.weekday,
                opens=span.starts,
                closes=span.ends,
            )
        )

"""Load what availability needs for a window in a constant number of queries.

Eight statements whatever the number of practitioners, rooms or bookings: no query runs per
practitioner or per slot. Everything after loading is pure arithmetic in `availability`.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from scheduler.errors import NotFound, not_found
from scheduler.intervals import Interval, epoch, intersect, merge, subtract
from scheduler.models import (
    HOLDS_TIME,
    Appointment,
    Location,
    OpeningHours,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WorkingHours,
)
from scheduler.wallclock import clinic_zone, day_bounds, wall_time


@dataclass
class Schedule:
    """A location's hours and bookings over a window, as epoch-second intervals."""

    location: Location
    zone: ZoneInfo
    services: dict[str, Service]
    practitioners: dict[int, Practitioner]
    rooms: dict[int, Room]
    opening: list[Interval]
    working: dict[int, list[Interval]]
    practitioner_busy: dict[int, list[Interval]]
    room_busy: dict[int, list[Interval]]
    booked_seconds: dict[tuple[int, date], int]


def resolve_location(session: Session, location_id: int | None) -> Location:
    """The named location, or the first one when a clinic has a single site."""
    if location_id is not None:
        location = session.get(Location, location_id)
    else:
        location = session.exec(select(Location).order_by(col(Location.id))).first()
    if location is None:
        raise not_found("location", location_id, field="location_id")
    return location


def load_services(session: Session, codes: Sequence[str]) -> dict[str, Service]:
    services = {
        s.code: s for s in session.exec(select(Service).where(col(Service.code).in_(codes)))
    }
    for code in codes:
        if code not in services:
            raise NotFound(f"No service {code!r}.", field="services", code="unknown_service")
    return services


def load_schedule(
    session: Session,
    *,
    location: Location,
    service_codes: Sequence[str],
    days: Sequence[date],
    excluding_visit: int | None = None,
) -> Schedule:
    """Everything needed to place `service_codes` on the given local days at `location`.

    Bookings of `excluding_visit` are left out, so a visit can be moved onto its own old time.
    """
    zone = clinic_zone(location.time_zone)
    services = load_services(session, service_codes)
    start, end = day_bounds(days[0], zone)[0], day_bounds(days[-1], zone)[1]
    opening = _opening(session, location, days, zone)
    practitioners = {
        p.id: p for p in session.exec(select(Practitioner).where(col(Practitioner.active)))
    }
    rooms = {r.id: r for r in session.exec(select(Room).where(Room.location_id == location.id))}
    slack = timedelta(minutes=max(s.cleanup_minutes for s in services.values()))
    busy_rows = _busy_rows(session, start - slack, end + slack, excluding_visit)
    practitioner_busy, room_busy, booked = _busy_by_resource(busy_rows, zone)
    return Schedule(
        location=location,
        zone=zone,
        services=services,
        practitioners=practitioners,  # type: ignore[arg-type]
        rooms=rooms,  # type: ignore[arg-type]
        opening=opening,
        working=_working(session, location, days, opening=opening, window=(start, end)),
        practitioner_busy=practitioner_busy,
        room_busy=room_busy,
        booked_seconds=booked,
    )


def _opening(
    session: Session, location: Location, days: Sequence[date], zone: ZoneInfo
) -> list[Interval]:
    hours = session.exec(select(OpeningHours).where(OpeningHours.location_id == location.id))
    by_weekday = defaultdict(list)
    for row in hours:
        by_weekday[row.weekday].append((row.opens, row.closes))
    return merge(
        (epoch(wall_time(day, opens, zone)), epoch(wall_time(day, closes, zone)))
        for day in days
        for opens, closes in by_weekday[day.weekday()]
    )


def _working(
    session: Session,
    location: Location,
    days: Sequence[date],
    *,
    opening: list[Interval],
    window: tuple[datetime, datetime],
) -> dict[int, list[Interval]]:
    """Hours at this location, within its opening hours, less breaks and time off."""
    zone = clinic_zone(location.time_zone)
    shifts: dict[int, list[Interval]] = defaultdict(list)
    breaks: dict[int, list[Interval]] = defaultdict(list)
    weekly = session.exec(select(WorkingHours).where(WorkingHours.location_id == location.id))
    by_weekday = defaultdict(list)
    for row in weekly:
        by_weekday[row.weekday].append(row)
    for day in days:
        for row in by_weekday[day.weekday()]:
            shifts[row.practitioner_id].append(_local_span(day, row.starts, row.ends, zone))
            if row.break_starts and row.break_ends:
                span = _local_span(day, row.break_starts, row.break_ends, zone)
                breaks[row.practitioner_id].append(span)
    time_off = session.exec(
        select(TimeOff).where(TimeOff.starts_at < window[1], TimeOff.ends_at > window[0])
    )
    for leave in time_off:
        breaks[leave.practitioner_id].append((epoch(leave.starts_at), epoch(leave.ends_at)))
    return {
        practitioner: subtract(intersect(merge(spans), opening), merge(breaks[practitioner]))
        for practitioner, spans in shifts.items()
    }


def _local_span(day: date, starts: time, ends: time, zone: ZoneInfo) -> Interval:
    return epoch(wall_time(day, starts, zone)), epoch(wall_time(day, ends, zone))


BusyRow = tuple[int, int, datetime, datetime, datetime]


def _busy_rows(
    session: Session, start: datetime, end: datetime, excluding_visit: int | None
) -> Iterable[BusyRow]:
    conditions: list[ColumnElement[bool]] = [
        col(Appointment.status).in_(HOLDS_TIME),
        col(Appointment.starts_at) < end,
        col(Appointment.busy_until) > start,
    ]
    if excluding_visit is not None:
        conditions.append(col(Appointment.visit_id) != excluding_visit)
    return session.execute(busy_intervals_query().where(*conditions)).all()


def busy_intervals_query() -> sa.Select[int, int, datetime, datetime, datetime]:
    """The one statement that loads booked time; benchmarks time it bare."""
    return sa.select(
        col(Appointment.practitioner_id),
        col(Appointment.room_id),
        col(Appointment.starts_at),
        col(Appointment.ends_at),
        col(Appointment.busy_until),
    )


def _busy_by_resource(
    rows: Iterable[BusyRow], zone: ZoneInfo
) -> tuple[dict[int, list[Interval]], dict[int, list[Interval]], dict[tuple[int, date], int]]:
    practitioner_busy: dict[int, list[Interval]] = defaultdict(list)
    room_busy: dict[int, list[Interval]] = defaultdict(list)
    booked: dict[tuple[int, date], int] = defaultdict(int)
    for practitioner_id, room_id, starts_at, ends_at, busy_until in rows:
        span = (epoch(starts_at), epoch(busy_until))
        practitioner_busy[practitioner_id].append(span)
        room_busy[room_id].append(span)
        day = starts_at.astimezone(zone).date()
        booked[practitioner_id, day] += int((ends_at - starts_at).total_seconds())
    for spans in (*practitioner_busy.values(), *room_busy.values()):
        spans.sort()
    return practitioner_busy, room_busy, booked

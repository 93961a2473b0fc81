"""Load what availability needs for a window in a constant number of queries.

Seven statements whatever the number of practitioners, rooms or bookings: no query runs per
practitioner or per slot, and booked time arrives as integers computed by the database. The rest
is arithmetic in `availability`.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from itertools import chain
from typing import cast
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlmodel import Session, col, select

from scheduler.db import epoch_seconds, filter_only
from scheduler.errors import NotFound, not_found
from scheduler.intervals import Interval, epoch, instant, merge
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

PRACTITIONER, ROOM, START, UNTIL = range(4)
# No appointment lasts a day, so one that overlaps the window starts at most a day before it.
LONGEST_APPOINTMENT = timedelta(days=1)


@dataclass
class Schedule:
    """A location's hours and bookings over whole local days, as epoch-second intervals."""

    location: Location
    zone: ZoneInfo
    services: dict[str, Service]
    practitioners: dict[int, Practitioner]
    rooms: dict[int, Room]
    day_starts: list[int]  # local midnights of the days, then the end of the last day
    opening: list[Interval]
    working: dict[int, list[Interval]]  # each practitioner's shifts here
    away: dict[int, list[Interval]]  # breaks and time off, which cut into the shifts
    busy: npt.NDArray[np.int64]  # one row per booked appointment: PRACTITIONER, ROOM, START, UNTIL
    patient_busy: list[Interval]  # the patient's own other appointments, when one is given

    def day_index(self, moment: int) -> int:
        """Which of the window's days `moment` falls on (-1 before, len(days) after)."""
        return bisect_right(self.day_starts, moment) - 1


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
    patient_id: int | None = None,
    only_practitioners: Collection[int] | None = None,
    only_rooms: Collection[int] | None = None,
) -> Schedule:
    """Everything needed to place `service_codes` on the given local days at `location`, and
    for `patient_id` (one more query) where the patient is already booked.

    Bookings of `excluding_visit` are left out, so a visit can be moved onto its own old time.
    `only_practitioners` and `only_rooms` leave out everyone and everything else: for a visit
    whose parts name them all, the rest cannot change the answer, only slow it down.
    """
    zone = clinic_zone(location.time_zone)
    services = load_services(session, service_codes)
    day_starts = [epoch(day_bounds(day, zone)[0]) for day in days]
    day_starts.append(epoch(day_bounds(days[-1], zone)[1]))
    opening = _opening(session, location, days, zone)
    hours_query = sa.select(
        col(WorkingHours.practitioner_id),
        col(WorkingHours.weekday),
        col(WorkingHours.starts),
        col(WorkingHours.ends),
        col(WorkingHours.break_starts),
        col(WorkingHours.break_ends),
    ).where(col(WorkingHours.location_id) == location.id)
    rooms_query = select(Room).where(Room.location_id == location.id)
    if only_practitioners is not None:
        hours_query = hours_query.where(col(WorkingHours.practitioner_id).in_(only_practitioners))
    if only_rooms is not None:
        rooms_query = rooms_query.where(col(Room.id).in_(only_rooms))
    hours = session.execute(hours_query).all()
    staff = {row[0] for row in hours}
    practitioners = {
        p.id or 0: p
        for p in session.exec(
            select(Practitioner).where(col(Practitioner.active), col(Practitioner.id).in_(staff))
        )
    }
    rooms = {r.id or 0: r for r in session.exec(rooms_query)}
    window = (day_starts[0], day_starts[-1])
    slack = 60 * max((s.cleanup_minutes for s in services.values()), default=0)
    busy = _integers(
        session,
        busy_intervals_query(
            start=window[0] - slack,
            end=window[1] + slack,
            practitioner_ids=practitioners,
            room_ids=rooms,
            excluding_visit=excluding_visit,
        ),
    )
    working, breaks = _shifts_and_breaks(hours, days, zone)
    for practitioner, leave in _time_off(session, practitioners, window).items():
        breaks[practitioner].extend(leave)
    return Schedule(
        location=location,
        zone=zone,
        services=services,
        practitioners=practitioners,
        rooms=rooms,
        day_starts=day_starts,
        opening=opening,
        working=working,
        away=breaks,
        busy=busy,
        patient_busy=_patient_busy(session, patient_id, window, excluding_visit),
    )


def _patient_busy(
    session: Session, patient_id: int | None, window: Interval, excluding_visit: int | None
) -> list[Interval]:
    if patient_id is None:
        return []
    query = sa.select(
        epoch_seconds(col(Appointment.starts_at)), epoch_seconds(col(Appointment.ends_at))
    ).where(
        col(Appointment.patient_id) == patient_id,
        col(Appointment.status).in_(HOLDS_TIME),
        col(Appointment.starts_at) < instant(window[1]),
        col(Appointment.ends_at) > instant(window[0]),
    )
    if excluding_visit is not None:
        query = query.where(col(Appointment.visit_id) != excluding_visit)
    return sorted((int(start), int(end)) for start, end in session.execute(query))


def _integers(session: Session, query: sa.Select[int, int, int, int]) -> npt.NDArray[np.int64]:
    """The rows of an all-integer query as one array.

    Read straight from the driver's cursor a batch at a time: no per-row objects of our own,
    and no more than a batch of row tuples alive at once for the garbage collector to chase.
    """
    result = session.connection().execute(query)
    try:
        batches = iter(lambda: cast(list[tuple[int, ...]], result.cursor.fetchmany(1024)), [])
        values = chain.from_iterable(chain.from_iterable(batches))
        return np.fromiter(values, dtype=np.int64).reshape(-1, len(query.selected_columns))
    finally:
        result.close()


def busy_intervals_query(
    *,
    start: int,
    end: int,
    practitioner_ids: Iterable[int],
    room_ids: Iterable[int],
    excluding_visit: int | None = None,
) -> sa.Select[int, int, int, int]:
    """Time held by the given practitioners or rooms between two epoch seconds.

    Rows are (practitioner, room, starts, busy until), all integers.
    """
    query = sa.select(
        col(Appointment.practitioner_id),
        col(Appointment.room_id),
        epoch_seconds(col(Appointment.starts_at)),
        epoch_seconds(col(Appointment.busy_until)),
    ).where(
        col(Appointment.status).in_(HOLDS_TIME),
        col(Appointment.starts_at) > instant(start) - LONGEST_APPOINTMENT,
        col(Appointment.starts_at) < instant(end),
        col(Appointment.busy_until) > instant(start),
        # Filters only: SQLite, left to itself, would answer this OR with two index searches
        # and a table read per row, twice as slow as the covering index over the time range.
        sa.or_(
            filter_only(col(Appointment.practitioner_id)).in_(list(practitioner_ids)),
            filter_only(col(Appointment.room_id)).in_(list(room_ids)),
        ),
    )
    if excluding_visit is not None:
        query = query.where(col(Appointment.visit_id) != excluding_visit)
    return query


def _opening(
    session: Session, location: Location, days: Sequence[date], zone: ZoneInfo
) -> list[Interval]:
    hours = session.exec(select(OpeningHours).where(OpeningHours.location_id == location.id))
    by_weekday = defaultdict(list)
    for row in hours:
        by_weekday[row.weekday].append((row.opens, row.closes))
    return merge(
        _local_span(day, opens, closes, zone)
        for day in days
        for opens, closes in by_weekday[day.weekday()]
    )


def _time_off(
    session: Session, practitioners: Iterable[int], window: Interval
) -> dict[int, list[Interval]]:
    leave: dict[int, list[Interval]] = defaultdict(list)
    rows = session.execute(
        sa.select(
            col(TimeOff.practitioner_id),
            epoch_seconds(col(TimeOff.starts_at)),
            epoch_seconds(col(TimeOff.ends_at)),
        ).where(
            col(TimeOff.practitioner_id).in_(list(practitioners)),
            col(TimeOff.starts_at) < instant(window[1]),
            col(TimeOff.ends_at) > instant(window[0]),
        )
    )
    for practitioner, starts, ends in rows:
        leave[practitioner].append((starts, ends))
    return leave


HoursRow = tuple[int, int, time, time, time | None, time | None]


def _shifts_and_breaks(
    hours: Sequence[HoursRow], days: Sequence[date], zone: ZoneInfo
) -> tuple[dict[int, list[Interval]], dict[int, list[Interval]]]:
    """Each practitioner's weekly hours laid onto the days, as merged shifts and their breaks."""
    by_weekday: dict[int, list[HoursRow]] = defaultdict(list)
    for row in hours:
        by_weekday[row[1]].append(row)
    shifts: dict[int, list[Interval]] = defaultdict(list)
    breaks: dict[int, list[Interval]] = defaultdict(list)
    for day in days:
        for practitioner, _, starts, ends, break_starts, break_ends in by_weekday[day.weekday()]:
            shifts[practitioner].append(_local_span(day, starts, ends, zone))
            if break_starts and break_ends:
                breaks[practitioner].append(_local_span(day, break_starts, break_ends, zone))
    return {practitioner: merge(spans) for practitioner, spans in shifts.items()}, breaks


def _local_span(day: date, starts: time, ends: time, zone: ZoneInfo) -> Interval:
    return _wall_epoch(day, starts, zone), _wall_epoch(day, ends, zone)


@lru_cache(maxsize=65536)
def _wall_epoch(day: date, at: time, zone: ZoneInfo) -> int:
    """Cached: many practitioners share the same hours on the same days."""
    return epoch(wall_time(day, at, zone))

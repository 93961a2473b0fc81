"""Load what availability needs for a window in a constant number of queries.

Three statements whatever the number of practitioners, rooms or bookings (bookings, time off,
the patient's own visits), besides the catalogue's version: no query runs per practitioner or
per slot, and booked time arrives as integers computed by the database. Services, hours,
practitioners and rooms come from the catalogue in memory. The rest is arithmetic in
`availability`.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from itertools import chain
from typing import Any, cast
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlmodel import Session, col

from scheduler.clinic.catalogue import catalogue
from scheduler.core.db import epoch_seconds, filter_only
from scheduler.core.intervals import Interval, epoch, instant, merge
from scheduler.core.wallclock import clinic_zone, day_bounds, wall_time
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


def load_services(session: Session, codes: Sequence[str]) -> dict[str, Service]:
    return catalogue(session).services_for(codes)


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
    for `patient_id` where the patient is already booked.

    Bookings of `excluding_visit` are left out, so a visit can be moved onto its own old time.
    `only_practitioners` and `only_rooms` leave out everyone and everything else: for a visit
    whose parts name them all, the rest cannot change the answer, only slow it down.
    """
    clinic = catalogue(session)
    zone = clinic_zone(location.time_zone)
    services = clinic.services_for(service_codes)
    day_starts = [epoch(day_bounds(day, zone)[0]) for day in days]
    day_starts.append(epoch(day_bounds(days[-1], zone)[1]))
    hours = [
        row
        for row in clinic.working_hours.get(location.id or 0, [])
        if only_practitioners is None or row.practitioner_id in only_practitioners
    ]
    practitioners = {
        known.id or 0: known
        for row in hours
        # .get: on PostgreSQL the catalogue's tables are read one after another, so an hours row
        # may name a practitioner committed between two of the reads (until the next reload).
        if (known := clinic.practitioners.get(row.practitioner_id)) and known.active
    }
    rooms = {
        room_id: room
        for room_id, room in clinic.rooms.items()
        if room.location_id == location.id and (only_rooms is None or room_id in only_rooms)
    }
    holds = _window_holds(
        session,
        window=(day_starts[0], day_starts[-1]),
        slack=60 * max((s.cleanup_minutes for s in services.values()), default=0),
        practitioner_ids=practitioners,
        room_ids=rooms,
        patient_id=patient_id,
        excluding_visit=excluding_visit,
    )
    working, breaks = _shifts_and_breaks(hours, days, zone)
    for practitioner, leave in holds.time_off.items():
        breaks[practitioner].extend(leave)
    return Schedule(
        location=location,
        zone=zone,
        services=services,
        practitioners=practitioners,
        rooms=rooms,
        day_starts=day_starts,
        opening=_opening(clinic.opening.get(location.id or 0, []), days, zone),
        working=working,
        away=breaks,
        busy=holds.busy,
        patient_busy=holds.patient_busy,
    )


# What a window holds, in one statement built once: every row is five integers, the kind first.
BOOKED, AWAY, PATIENT_BOOKED = range(3)
NOBODY = 0  # ids start at 1: no patient has this id


def _window_statement(*, moving: bool) -> sa.CompoundSelect[Any]:
    """Bookings of the given practitioners or rooms, their time off, and the patient's own
    bookings, in the window; when `moving`, the bookings of the visit being moved left out.

    Without a visit to leave out, bookings are read from the busy-time index alone: asking
    for visit_id, even with a value no visit has, sends the database to the table rows.

    Rows: (BOOKED, practitioner, room, starts, busy until), (AWAY, practitioner, 0, starts,
    ends), (PATIENT_BOOKED, 0, 0, starts, ends).
    """
    holds_time = col(Appointment.status).in_(HOLDS_TIME)
    others = [col(Appointment.visit_id) != sa.bindparam("excluding_visit")] if moving else []
    nothing = sa.literal_column("0", sa.Integer)
    booked = sa.select(
        sa.literal_column(str(BOOKED), sa.Integer),
        col(Appointment.practitioner_id),
        col(Appointment.room_id),
        epoch_seconds(col(Appointment.starts_at)),
        epoch_seconds(col(Appointment.busy_until)),
    ).where(
        holds_time,
        *others,
        col(Appointment.starts_at) > sa.bindparam("earliest_start"),
        col(Appointment.starts_at) < sa.bindparam("busy_until"),
        col(Appointment.busy_until) > sa.bindparam("busy_from"),
        # Filters only: SQLite, left to itself, would answer this OR with two index searches
        # and a table read per row, twice as slow as the covering index over the time range.
        sa.or_(
            filter_only(col(Appointment.practitioner_id)).in_(
                sa.bindparam("practitioners", expanding=True)
            ),
            filter_only(col(Appointment.room_id)).in_(sa.bindparam("rooms", expanding=True)),
        ),
    )
    away = sa.select(
        sa.literal_column(str(AWAY), sa.Integer),
        col(TimeOff.practitioner_id),
        nothing,
        epoch_seconds(col(TimeOff.starts_at)),
        epoch_seconds(col(TimeOff.ends_at)),
    ).where(
        col(TimeOff.practitioner_id).in_(sa.bindparam("practitioners", expanding=True)),
        col(TimeOff.starts_at) < sa.bindparam("until"),
        col(TimeOff.ends_at) > sa.bindparam("from_"),
    )
    patient_booked = sa.select(
        sa.literal_column(str(PATIENT_BOOKED), sa.Integer),
        nothing,
        nothing,
        epoch_seconds(col(Appointment.starts_at)),
        epoch_seconds(col(Appointment.ends_at)),
    ).where(
        col(Appointment.patient_id) == sa.bindparam("patient_id"),
        holds_time,
        *others,
        col(Appointment.starts_at) < sa.bindparam("until"),
        col(Appointment.ends_at) > sa.bindparam("from_"),
    )
    return sa.union_all(booked, away, patient_booked)


WINDOWS = {moving: _window_statement(moving=moving) for moving in (False, True)}


@dataclass(frozen=True)
class _WindowHolds:
    busy: npt.NDArray[np.int64]  # PRACTITIONER, ROOM, START, UNTIL
    time_off: dict[int, list[Interval]]
    patient_busy: list[Interval]


def _window_holds(
    session: Session,
    *,
    window: Interval,
    slack: int,
    practitioner_ids: Iterable[int],
    room_ids: Iterable[int],
    patient_id: int | None,
    excluding_visit: int | None,
) -> _WindowHolds:
    rows = _integers(
        session,
        WINDOWS[excluding_visit is not None],
        {
            "busy_from": instant(window[0] - slack),
            # Computed here: SQLite would subtract the interval from the text of a timestamp.
            "earliest_start": instant(window[0] - slack) - LONGEST_APPOINTMENT,
            "busy_until": instant(window[1] + slack),
            "from_": instant(window[0]),
            "until": instant(window[1]),
            "practitioners": list(practitioner_ids),
            "rooms": list(room_ids),
            "patient_id": patient_id or NOBODY,
            **({} if excluding_visit is None else {"excluding_visit": excluding_visit}),
        },
    )
    kind = rows[:, 0]
    time_off: dict[int, list[Interval]] = defaultdict(list)
    for practitioner, _, starts, ends in rows[kind == AWAY, 1:].tolist():
        time_off[practitioner].append((starts, ends))
    patient = rows[kind == PATIENT_BOOKED, 3:]
    return _WindowHolds(
        busy=np.ascontiguousarray(rows[kind == BOOKED, 1:]),
        time_off=time_off,
        patient_busy=sorted((starts, ends) for starts, ends in patient.tolist()),
    )


def _integers(
    session: Session, query: sa.CompoundSelect[Any], parameters: dict[str, object]
) -> npt.NDArray[np.int64]:
    """The rows of an all-integer query as one array.

    Read straight from the driver's cursor a batch at a time: no per-row objects of our own,
    and no more than a batch of row tuples alive at once for the garbage collector to chase.
    """
    result = session.connection().execute(query, parameters)
    try:
        batches = iter(lambda: cast(list[tuple[int, ...]], result.cursor.fetchmany(1024)), [])
        values = chain.from_iterable(chain.from_iterable(batches))
        return np.fromiter(values, dtype=np.int64).reshape(-1, len(query.selected_columns))
    finally:
        result.close()


def _opening(hours: Iterable[OpeningHours], days: Sequence[date], zone: ZoneInfo) -> list[Interval]:
    by_weekday = defaultdict(list)
    for row in hours:
        by_weekday[row.weekday].append((row.opens, row.closes))
    return merge(
        _local_span(day, opens, closes, zone)
        for day in days
        for opens, closes in by_weekday[day.weekday()]
    )


def _shifts_and_breaks(
    hours: Sequence[WorkingHours], days: Sequence[date], zone: ZoneInfo
) -> tuple[dict[int, list[Interval]], dict[int, list[Interval]]]:
    """Each practitioner's weekly hours laid onto the days, as merged shifts and their breaks."""
    by_weekday: dict[int, list[WorkingHours]] = defaultdict(list)
    for row in hours:
        by_weekday[row.weekday].append(row)
    shifts: dict[int, list[Interval]] = defaultdict(list)
    breaks: dict[int, list[Interval]] = defaultdict(list)
    for day in days:
        for row in by_weekday[day.weekday()]:
            shifts[row.practitioner_id].append(_local_span(day, row.starts, row.ends, zone))
            if row.break_starts and row.break_ends:
                breaks[row.practitioner_id].append(
                    _local_span(day, row.break_starts, row.break_ends, zone)
                )
    return {practitioner: merge(spans) for practitioner, spans in shifts.items()}, breaks


def _local_span(day: date, starts: time, ends: time, zone: ZoneInfo) -> Interval:
    return _wall_epoch(day, starts, zone), _wall_epoch(day, ends, zone)


@lru_cache(maxsize=65536)
def _wall_epoch(day: date, at: time, zone: ZoneInfo) -> int:
    """Cached: many practitioners share the same hours on the same days."""
    return epoch(wall_time(day, at, zone))

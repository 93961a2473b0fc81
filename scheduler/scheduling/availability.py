"""Where a visit fits: pure interval arithmetic over a loaded `Schedule`.

A visit is a list of parts laid back to back from one start. A part fits a practitioner (or room)
when the appointment lies inside their free time, where free time is working hours minus every
other visit's busy range stretched back by this part's cleanup time, so neither visit's cleanup
runs into the other. The same arithmetic answers "which starts are open" for the front desk and
"can this exact start be booked" for the booking rules, so the two can never disagree.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import numpy as np

from scheduler.core.intervals import epoch, instant
from scheduler.core.wallclock import exists_locally
from scheduler.models import Service
from scheduler.scheduling.part_fit import PartFit, may_deliver
from scheduler.scheduling.schedule import Schedule


@dataclass(frozen=True)
class PartRequest:
    """One service of a visit, with an optional practitioner and room (chosen if omitted)."""

    service: str
    practitioner_id: int | None = None
    room_id: int | None = None
    preferred_room_id: int | None = None


@dataclass(frozen=True)
class PlannedAppointment:
    service: Service
    practitioner_id: int
    room_id: int
    starts_at: datetime
    ends_at: datetime

    @property
    def busy_until(self) -> datetime:
        return self.ends_at + timedelta(minutes=self.service.cleanup_minutes)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    appointments: tuple[PlannedAppointment, ...]


def grid_starts(schedule: Schedule, step: timedelta, earliest: int, latest: int) -> list[int]:
    """Visit starts on the local clock's grid (09:00, 09:15, ...) while the location is open.

    The grid follows local wall time, so a DST change shifts nothing: a day of 09:00-17:00 yields
    starts from 09:00 local on both sides of it. Times the clock skips are left out.
    """
    seconds = int(step.total_seconds())
    starts: list[int] = []
    for opens, closes in schedule.opening:
        offset = _offset(schedule, opens)
        if offset == _offset(schedule, closes):
            first = opens + (-(opens + offset) % seconds)
            starts.extend(range(first, closes, seconds))
        else:
            starts.extend(_grid_across_a_clock_change(schedule, opens, closes, seconds))
    return [start for start in starts if earliest <= start <= latest]


def _offset(schedule: Schedule, moment: int) -> int:
    offset = instant(moment).astimezone(schedule.zone).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def _grid_across_a_clock_change(
    schedule: Schedule, opens: int, closes: int, seconds: int
) -> list[int]:
    local = instant(opens).astimezone(schedule.zone)
    minute = local.hour * 60 + local.minute
    minute += -minute % (seconds // 60)
    starts = []
    while minute < 24 * 60:
        wall = datetime.combine(local.date(), time(minute // 60, minute % 60), schedule.zone)
        moment = epoch(wall)
        if moment >= closes:
            break
        if exists_locally(wall) and moment >= opens:
            starts.append(moment)
        minute += seconds // 60
    return starts


def qualified_practitioners(schedule: Schedule, part: PartRequest, service: Service) -> list[int]:
    """Who works here and may give the part, by id (their certificate dates are checked later)."""
    return sorted(
        pid
        for pid, practitioner in schedule.practitioners.items()
        if part.practitioner_id in (None, pid) and may_deliver(practitioner, service)
    )


def suitable_rooms(schedule: Schedule, part: PartRequest, service: Service) -> list[int]:
    return sorted(
        rid
        for rid, room in schedule.rooms.items()
        if room.kind == service.room_kind and part.room_id in (None, rid)
    )


def part_fits(
    schedule: Schedule, parts: Sequence[PartRequest], starts: list[int], gap: timedelta
) -> list[PartFit]:
    """One PartFit per part, each offset from the visit's start by the parts before it."""
    grid = np.array(starts, dtype=np.int64)
    fits, offset = [], 0
    for part in parts:
        service = schedule.services[part.service]
        fit = PartFit(
            schedule,
            service,
            offset=offset,
            starts=grid,
            practitioner_ids=qualified_practitioners(schedule, part, service),
            room_ids=suitable_rooms(schedule, part, service),
        )
        fits.append(fit)
        offset += fit.length + int(gap.total_seconds())
    return fits


def find_slots(
    schedule: Schedule, parts: Sequence[PartRequest], starts: list[int], gap: timedelta
) -> list[Slot]:
    """Every start in `starts` at which all parts fit, with the assignment each would get.

    Practitioners are the least loaded qualified one that day (ties by id). Rooms are the
    preferred one when free, else the previous part's room (the patient stays put), else the
    first free room of the right kind.
    """
    fits = part_fits(schedule, parts, starts, gap)
    columns = np.flatnonzero(np.logical_and.reduce([fit.open_at() for fit in fits]))
    if not len(columns):
        return []
    assigned, previous_rooms = [], None
    for part, fit in zip(parts, fits, strict=True):
        practitioners = fit.least_loaded(schedule, columns)
        rooms = fit.rooms_for(columns, part.preferred_room_id, previous_rooms)
        assigned.append((fit, practitioners.tolist(), rooms.tolist()))
        previous_rooms = rooms
    return [_slot(starts[column], assigned, n) for n, column in enumerate(columns.tolist())]


def _slot(start: int, assigned: list[tuple[PartFit, list[int], list[int]]], n: int) -> Slot:
    appointments = []
    for fit, practitioners, rooms in assigned:
        part_start = instant(start + fit.offset)
        appointments.append(
            PlannedAppointment(
                service=fit.service,
                practitioner_id=practitioners[n],
                room_id=rooms[n],
                starts_at=part_start,
                ends_at=part_start + timedelta(seconds=fit.length),
            )
        )
    return Slot(starts_at=instant(start), appointments=tuple(appointments))

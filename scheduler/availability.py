"""Where a visit fits: pure interval arithmetic over a loaded `Schedule`.

A visit is a list of parts laid back to back from one start. A part fits a practitioner (or room)
when the appointment lies inside their free time, where free time is working hours minus every
other visit's busy range stretched back by this part's cleanup time, so neither visit's cleanup
runs into the other. The same arithmetic answers "which starts are open" for the front desk and
"can this exact start be booked" for the booking rules, so the two can never disagree.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from scheduler.errors import Conflict, DomainError, RuleViolation
from scheduler.intervals import Interval, covers, epoch, instant, intersect, subtract
from scheduler.models import Practitioner, Service, ServiceKind
from scheduler.schedule import Schedule
from scheduler.wallclock import exists_locally, wall_time


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


def may_deliver(practitioner: Practitioner, service: Service) -> bool:
    """Profession fits; dry needling also needs a certificate (its dates are checked apart)."""
    if practitioner.profession.value not in service.professions:
        return False
    return (
        service.kind != ServiceKind.DRY_NEEDLING or practitioner.needling_certified_by is not None
    )


def part_offsets(schedule: Schedule, parts: Sequence[PartRequest], gap: timedelta) -> list[int]:
    """Seconds from the visit's start to each part's start."""
    offsets, cursor = [], 0
    for part in parts:
        offsets.append(cursor)
        cursor += schedule.services[part.service].duration_minutes * 60 + int(gap.total_seconds())
    return offsets


def grid_starts(
    schedule: Schedule, days: Sequence[date], step: timedelta, earliest: int, latest: int
) -> list[int]:
    """Visit starts on the local clock's grid (09:00, 09:15, ...) while the location is open.

    Built from local wall times day by day, so a DST change shifts nothing: a day of 09:00-17:00
    yields starts from 09:00 local on both sides of it. Times the clock skips are left out.
    """
    step_minutes = int(step.total_seconds() // 60)
    starts = []
    for day in days:
        for minute in range(0, 24 * 60, step_minutes):
            local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=schedule.zone)
            if exists_locally(local):
                starts.append(epoch(local))
    open_starts = [t for t in starts if earliest <= t <= latest]
    return [t for t in open_starts if _inside(schedule.opening, t)]


def _inside(intervals: list[Interval], moment: int) -> bool:
    index = bisect_right(intervals, (moment, 1 << 62)) - 1
    return index >= 0 and intervals[index][0] <= moment < intervals[index][1]


def find_slots(
    schedule: Schedule, parts: Sequence[PartRequest], starts: list[int], gap: timedelta
) -> list[Slot]:
    """Every start in `starts` at which all parts fit, with the assignment each would get.

    Practitioners are the least loaded qualified one that day (ties by id). Rooms are the
    preferred one when free, else the previous part's room (the patient stays put), else the
    first free room of the right kind.
    """
    offsets = part_offsets(schedule, parts, gap)
    fits = [
        (
            _fits_by_start(schedule, part, offset, starts, by_practitioner=True),
            _fits_by_start(schedule, part, offset, starts, by_practitioner=False),
        )
        for part, offset in zip(parts, offsets, strict=True)
    ]
    slots = []
    for index, start in enumerate(starts):
        candidates = [(practitioners[index], rooms[index]) for practitioners, rooms in fits]
        if all(practitioners and rooms for practitioners, rooms in candidates):
            slots.append(_assign(schedule, parts, offsets, start, candidates))
    return slots


def _fits_by_start(
    schedule: Schedule,
    part: PartRequest,
    offset: int,
    starts: list[int],
    *,
    by_practitioner: bool,
) -> list[list[int]]:
    """For each start, the practitioners (or rooms) that could take this part."""
    service = schedule.services[part.service]
    duration = service.duration_minutes * 60
    cleanup = service.cleanup_minutes * 60
    fits: list[list[int]] = [[] for _ in starts]
    for resource, free in _free_time(schedule, part, service, by_practitioner):
        for free_start, free_end in _stretch_subtract(
            free, resource, schedule, cleanup, by_practitioner
        ):
            low = bisect_left(starts, free_start - offset)
            high = bisect_right(starts, free_end - offset - duration)
            for index in range(low, high):
                fits[index].append(resource)
    return fits


def _free_time(
    schedule: Schedule, part: PartRequest, service: Service, by_practitioner: bool
) -> list[tuple[int, list[Interval]]]:
    if by_practitioner:
        return [
            (pid, _within_certificate(schedule, schedule.practitioners[pid], service, hours))
            for pid, hours in schedule.working.items()
            if pid in schedule.practitioners
            and part.practitioner_id in (None, pid)
            and may_deliver(schedule.practitioners[pid], service)
        ]
    return [
        (rid, schedule.opening)
        for rid, room in schedule.rooms.items()
        if room.kind == service.room_kind and part.room_id in (None, rid)
    ]


def _within_certificate(
    schedule: Schedule, practitioner: Practitioner, service: Service, hours: list[Interval]
) -> list[Interval]:
    """Dry needling only up to the end of the day the certificate expires."""
    until = practitioner.needling_certified_until
    if service.kind != ServiceKind.DRY_NEEDLING or until is None:
        return hours
    cutoff = epoch(wall_time(until + timedelta(days=1), time(0), schedule.zone))
    return intersect(hours, [(-(1 << 62), cutoff)])


def _stretch_subtract(
    free: list[Interval], resource: int, schedule: Schedule, cleanup: int, by_practitioner: bool
) -> list[Interval]:
    busy = (schedule.practitioner_busy if by_practitioner else schedule.room_busy).get(resource)
    if not busy:
        return free
    return subtract(free, [(start - cleanup, until) for start, until in busy])


def _assign(
    schedule: Schedule,
    parts: Sequence[PartRequest],
    offsets: list[int],
    start: int,
    candidates: list[tuple[list[int], list[int]]],
) -> Slot:
    day = instant(start).astimezone(schedule.zone).date()
    appointments: list[PlannedAppointment] = []
    for number, part in enumerate(parts):
        service = schedule.services[part.service]
        practitioners, rooms = candidates[number]
        practitioner = min(
            practitioners, key=lambda pid: (schedule.booked_seconds.get((pid, day), 0), pid)
        )
        previous_room = appointments[-1].room_id if appointments else None
        room = next((r for r in (part.preferred_room_id, previous_room) if r in rooms), min(rooms))
        part_start = instant(start + offsets[number])
        appointments.append(
            PlannedAppointment(
                service=service,
                practitioner_id=practitioner,
                room_id=room,
                starts_at=part_start,
                ends_at=part_start + timedelta(minutes=service.duration_minutes),
            )
        )
    return Slot(starts_at=instant(start), appointments=tuple(appointments))


def why_not(
    schedule: Schedule, parts: Sequence[PartRequest], start: int, gap: timedelta
) -> DomainError:
    """The first reason a visit does not fit at `start`, in the front desk's words.

    Closed or not working is a rule (pick another time); everyone busy is a conflict.
    """
    for part, offset in zip(parts, part_offsets(schedule, parts, gap), strict=True):
        service = schedule.services[part.service]
        part_start = start + offset
        part_end = part_start + service.duration_minutes * 60
        when = _describe(schedule, part_start, part_end)
        if not covers(schedule.opening, part_start, part_end):
            return RuleViolation(
                f"The clinic is closed {when}.", field="start", code="outside_hours"
            )
        practitioners = _free_time(schedule, part, service, by_practitioner=True)
        working = [
            (pid, hours) for pid, hours in practitioners if covers(hours, part_start, part_end)
        ]
        if not working:
            return RuleViolation(
                f"{_who(schedule, part, service, 'Nobody who gives')} is not working {when}.",
                field="start",
                code="outside_hours",
            )
        cleanup = service.cleanup_minutes * 60
        if not any(
            covers(_stretch_subtract(hours, pid, schedule, cleanup, True), part_start, part_end)
            for pid, hours in working
        ):
            return Conflict(
                f"{_who(schedule, part, service, 'Everyone who gives')} is already booked {when}.",
                field="start",
                code="slot_taken",
            )
        if not any(
            covers(_stretch_subtract(hours, rid, schedule, cleanup, False), part_start, part_end)
            for rid, hours in _free_time(schedule, part, service, by_practitioner=False)
        ):
            return Conflict(
                f"No {service.room_kind.value.replace('_', ' ')} is free {when}.",
                field="start",
                code="room_taken",
            )
    return Conflict("That time cannot be booked.", field="start", code="slot_taken")


def _who(schedule: Schedule, part: PartRequest, service: Service, group: str) -> str:
    if part.practitioner_id is not None and part.practitioner_id in schedule.practitioners:
        return schedule.practitioners[part.practitioner_id].name
    return f"{group} {service.name}"


def _describe(schedule: Schedule, start: int, end: int) -> str:
    local_start = instant(start).astimezone(schedule.zone)
    local_end = instant(end).astimezone(schedule.zone)
    return f"on {local_start:%a %d %b} from {local_start:%H:%M} to {local_end:%H:%M}"

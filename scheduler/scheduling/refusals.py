"""Why a visit does not fit at one exact start, in the front desk's words."""

from collections.abc import Sequence
from datetime import timedelta

from scheduler.core.errors import Conflict, DomainError, RuleViolation
from scheduler.core.intervals import covers, instant
from scheduler.scheduling.availability import PartRequest, part_fits
from scheduler.scheduling.schedule import Schedule


def why_not(
    schedule: Schedule, parts: Sequence[PartRequest], start: int, gap: timedelta
) -> DomainError:
    """The first reason the visit does not fit: closed or not working is a rule (pick another
    time); everyone busy is a conflict (the time is taken)."""
    for part, fit in zip(parts, part_fits(schedule, parts, [start], gap), strict=True):
        part_start = start + fit.offset
        part_end = part_start + fit.length
        when = _describe(schedule, part_start, part_end)
        if not covers(schedule.opening, part_start, part_end):
            return RuleViolation(
                f"The clinic is closed {when}.", field="start", code="outside_hours"
            )
        if not fit.working_practitioners(0):
            return RuleViolation(
                _who(
                    schedule,
                    part,
                    "is not working",
                    f"No one who gives {fit.service.name} is working",
                )
                + f" {when}.",
                field="start",
                code="outside_hours",
            )
        if not fit.free_practitioners(0):
            return Conflict(
                _who(
                    schedule,
                    part,
                    "is already booked",
                    f"Everyone who gives {fit.service.name} is booked",
                )
                + f" {when}.",
                field="start",
                code="slot_taken",
            )
        if not fit.patient_free[0]:
            return Conflict(
                f"The patient already has a visit {when}.", field="start", code="patient_busy"
            )
        if not fit.free_rooms(0):
            return Conflict(
                f"No {fit.service.room_kind.value.replace('_', ' ')} is free {when}.",
                field="start",
                code="room_taken",
            )
    return Conflict("That time cannot be booked.", field="start", code="slot_taken")


def _who(schedule: Schedule, part: PartRequest, named: str, anyone: str) -> str:
    """The sentence for the practitioner asked for, or for everyone who could have done it."""
    if part.practitioner_id is not None and part.practitioner_id in schedule.practitioners:
        return f"{schedule.practitioners[part.practitioner_id].name} {named}"
    return anyone


def _describe(schedule: Schedule, start: int, end: int) -> str:
    local_start = instant(start).astimezone(schedule.zone)
    local_end = instant(end).astimezone(schedule.zone)
    return f"on {local_start:%a %d %b} from {local_start:%H:%M} to {local_end:%H:%M}"

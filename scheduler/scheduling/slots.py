"""Open times for a visit over a range of days: what the front desk's "find a time" asks."""

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlmodel import Session

from scheduler.clinic.catalogue import resolve_location
from scheduler.core.errors import RuleViolation
from scheduler.core.intervals import epoch
from scheduler.core.policy import Policy
from scheduler.scheduling.availability import PartRequest, Slot, find_slots, grid_starts
from scheduler.scheduling.part_fit import may_deliver
from scheduler.scheduling.rules import check_may_deliver, get_practitioner
from scheduler.scheduling.schedule import load_schedule, load_services

MAX_DAYS = 62


def find_open_slots(
    *,
    session: Session,
    now: datetime,
    parts: Sequence[PartRequest],
    first_day: date,
    days: int,
    location_id: int | None = None,
    patient_id: int | None = None,
    excluding_visit: int | None = None,
    policy: Policy,
) -> list[Slot]:
    """Starts on the grid at which the whole visit can be booked, with who and where.

    Eight queries whatever the range or the number of practitioners; the rest is arithmetic.
    Starts before the minimum notice or beyond the horizon are left out, and so are times the
    patient (when given) is already booked. The bookings of `excluding_visit` count as free,
    so a visit being moved may move onto (part of) its own time.
    """
    if not parts:
        raise RuleViolation("A visit needs at least one service.", field="services")
    if not 1 <= days <= MAX_DAYS:
        raise RuleViolation(
            f"Search 1 to {MAX_DAYS} days at a time.", field="days", code="bad_days"
        )
    location = resolve_location(session, location_id)
    window = [first_day + timedelta(days=n) for n in range(days)]
    schedule = load_schedule(
        session,
        location=location,
        service_codes=[part.service for part in parts],
        days=window,
        patient_id=patient_id,
        excluding_visit=excluding_visit,
    )
    for part in parts:
        if part.practitioner_id is not None:
            practitioner = get_practitioner(session, part.practitioner_id)
            check_may_deliver(practitioner, schedule.services[part.service], on=first_day)
    starts = grid_starts(
        schedule,
        policy.grid,
        earliest=math.ceil((now + policy.minimum_notice).timestamp()),
        latest=epoch(now + policy.horizon),
    )
    return find_slots(schedule, parts, starts, policy.handover_gap)


def parts_for(
    session: Session, codes: Sequence[str], practitioner_id: int | None = None
) -> list[PartRequest]:
    """A visit of these services; with a practitioner, the parts they can give are theirs and
    the rest go to whoever is free."""
    if practitioner_id is None:
        return [PartRequest(service=code) for code in codes]
    practitioner = get_practitioner(session, practitioner_id)
    services = load_services(session, codes)
    return [
        PartRequest(
            service=code,
            practitioner_id=practitioner_id if may_deliver(practitioner, services[code]) else None,
        )
        for code in codes
    ]

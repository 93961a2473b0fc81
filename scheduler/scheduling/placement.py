"""Place a visit at one exact start: the shared core of booking and moving a visit."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from scheduler.core.db import lock_schedule, schedule_clash
from scheduler.core.errors import Conflict, NotFound
from scheduler.core.intervals import epoch
from scheduler.core.policy import Policy
from scheduler.core.wallclock import clinic_zone, local_date
from scheduler.models import HOLDS_TIME, Appointment, Location, Patient
from scheduler.scheduling.availability import PartRequest, PlannedAppointment, find_slots
from scheduler.scheduling.refusals import why_not
from scheduler.scheduling.rules import (
    check_may_deliver,
    check_needling_prerequisites,
    check_room_suits,
    check_timing,
    get_practitioner,
)
from scheduler.scheduling.schedule import load_schedule

PRACTITIONER_LOCK, ROOM_LOCK, PATIENT_LOCK = 1, 2, 3


@dataclass(frozen=True)
class Placement:
    """Where a visit goes, checked against every rule and locked against concurrent writers."""

    patient: Patient
    location: Location
    appointments: tuple[PlannedAppointment, ...]


def place_visit(
    session: Session,
    *,
    now: datetime,
    patient: Patient,
    location: Location,
    start: datetime,
    parts: Sequence[PartRequest],
    policy: Policy,
    excluding_visit: int | None = None,
) -> Placement:
    """Check every rule for a visit at `start` (aware UTC) and choose who and where.

    On return the practitioners, rooms and patient involved are locked until the transaction
    ends, and none of them is busy, so inserting the appointments cannot clash.
    """
    check_timing(start, now=now, policy=policy)
    schedule = load_schedule(
        session,
        location=location,
        service_codes=[part.service for part in parts],
        days=[local_date(start, clinic_zone(location.time_zone))],
        excluding_visit=excluding_visit,
        patient_id=patient.id,
        only_practitioners=_named([part.practitioner_id for part in parts]),
        only_rooms=_named([part.room_id for part in parts]),
    )
    day = local_date(start, schedule.zone)
    for part in parts:
        service = schedule.services[part.service]
        if part.practitioner_id is not None:
            check_may_deliver(get_practitioner(session, part.practitioner_id), service, on=day)
        if part.room_id is not None:
            room = schedule.rooms.get(part.room_id)
            if room is None:
                raise NotFound(
                    f"No room {part.room_id} at {location.name}.",
                    field="room_id",
                    code="unknown_room",
                )
            check_room_suits(room, service)
    check_needling_prerequisites(
        session,
        patient=patient,
        services=[schedule.services[part.service] for part in parts],
        starts_at=start,
        policy=policy,
        excluding_visit=excluding_visit,
    )
    slots = find_slots(schedule, parts, [epoch(start)], policy.handover_gap)
    if not slots:
        raise why_not(schedule, parts, epoch(start), policy.handover_gap)
    appointments = slots[0].appointments
    _lock(session, patient, appointments)
    if session.get_bind().dialect.name != "sqlite":  # SQLite read it under BEGIN IMMEDIATE
        _check_still_free(session, patient, appointments, excluding_visit)
    return Placement(patient=patient, location=location, appointments=appointments)


def _named(ids: Sequence[int | None]) -> set[int] | None:
    """The ids when every part names one, else None: anyone suitable may be chosen."""
    return {i for i in ids if i is not None} if None not in ids else None


def _lock(session: Session, patient: Patient, appointments: Sequence[PlannedAppointment]) -> None:
    keys = {(PATIENT_LOCK, patient.id or 0)}
    for appointment in appointments:
        keys.add((PRACTITIONER_LOCK, appointment.practitioner_id))
        keys.add((ROOM_LOCK, appointment.room_id))
    with refused_clashes():  # a treatment plan holds several visits' locks: cycles are possible
        lock_schedule(session, keys=keys)


@contextmanager
def refused_clashes() -> Iterator[None]:
    """The database's own refusals as the same clean conflicts the rules raise."""
    try:
        yield
    except DBAPIError as error:
        clash = schedule_clash(error)
        if clash == "deadlock":
            raise Conflict(
                "The schedule was busy with another change; please try again.",
                field="start",
                code="schedule_busy",
            ) from error
        if clash == "overlap":
            raise Conflict(
                "That time was just taken; pick another.", field="start", code="slot_taken"
            ) from error
        raise


def _check_still_free(
    session: Session,
    patient: Patient,
    appointments: Sequence[PlannedAppointment],
    excluding_visit: int | None,
) -> None:
    """Re-check under the lock: on PostgreSQL the schedule was read before the lock was taken."""
    clashes = []
    for planned in appointments:
        starts, until = planned.starts_at, planned.busy_until
        clashes.append(
            and_(
                or_(
                    col(Appointment.practitioner_id) == planned.practitioner_id,
                    col(Appointment.room_id) == planned.room_id,
                ),
                col(Appointment.starts_at) < until,
                col(Appointment.busy_until) > starts,
            )
        )
        clashes.append(
            and_(
                col(Appointment.patient_id) == patient.id,
                col(Appointment.starts_at) < planned.ends_at,
                col(Appointment.ends_at) > starts,
            )
        )
    query = select(Appointment).where(col(Appointment.status).in_(HOLDS_TIME), or_(*clashes))
    if excluding_visit is not None:
        query = query.where(col(Appointment.visit_id) != excluding_visit)
    taken = session.exec(query.limit(1)).first()
    if taken is None:
        return
    if taken.patient_id == patient.id:
        raise Conflict(
            f"{patient.name} already has a visit at that time.", field="start", code="patient_busy"
        )
    raise Conflict("That time was just taken; pick another.", field="start", code="slot_taken")

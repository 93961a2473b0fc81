"""Book and move visits. Every function changes the schedule whole or not at all.

The caller owns the transaction (`db.transaction`) and must use a `db.booking_session`: the
functions flush, and any error they raise leaves nothing that should be committed.
"""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col

from scheduler.clinic.catalogue import resolve_location
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.errors import Conflict, RuleViolation
from scheduler.core.policy import Policy
from scheduler.core.wallclock import clinic_instant, clinic_zone, require_aware
from scheduler.messaging import outbox
from scheduler.models import Appointment, Location, Visit, VisitStatus
from scheduler.scheduling.availability import PartRequest, Slot
from scheduler.scheduling.openings import record_freed_visit
from scheduler.scheduling.placement import Placement, place_visit, refused_clashes
from scheduler.scheduling.rules import unassessed_first_needling
from scheduler.scheduling.slots import find_open_slots
from scheduler.scheduling.visits import (
    appointments_of,
    get_visit,
    is_late_cancel,
    parts_as_booked,
    wrong_status,
)


def book_visit(
    *,
    session: Session,
    now: datetime,
    patient_id: int,
    start: datetime,
    parts: Sequence[PartRequest],
    location_id: int | None = None,
    booked_by: str = "",
    plan_id: int | None = None,
    policy: Policy,
) -> Visit:
    """Book the parts back to back from `start`; returns the new visit with its appointments.

    `booked_by` (`audit.staff(user)`) is kept on the visit and is the audit entry's actor.
    """
    placement, start = _place_new_visit(
        session,
        now=now,
        patient_id=patient_id,
        start=start,
        parts=parts,
        location_id=location_id,
        policy=policy,
    )
    visit = _write_new_visit(session, placement, now=now, booked_by=booked_by, plan_id=plan_id)
    outbox.on_booked(session, visit=visit, now=now, policy=policy)
    _record_start(session, visit, "visit.booked", actor=booked_by or "system", start=start, now=now)
    return visit


def reschedule_visit(
    *,
    session: Session,
    now: datetime,
    visit_id: int,
    start: datetime,
    expected_version: int | None = None,
    policy: Policy,
    actor: str = "system",
    same_practitioners: bool = True,
) -> Visit:
    """Move the whole visit to `start`, preferably in the same rooms; with the same
    practitioners, or with whoever suits and is free when `same_practitioners` is False.

    Bumps the visit's version, so anything planned for the old time can tell it is stale.
    """
    visit = _movable_visit(session, visit_id=visit_id, expected_version=expected_version)
    appointments = appointments_of(session, visit.id or 0)
    freed = [a.model_copy() for a in appointments]
    late = visit.moved_late or is_late_cancel(appointments[0].starts_at, now=now, policy=policy)
    placement, start = _place_again(
        session,
        visit,
        appointments,
        now=now,
        start=start,
        policy=policy,
        same_practitioners=same_practitioners,
    )
    _move_appointments(session, visit, appointments, placement, moved_late=late)
    outbox.on_moved(session, visit=visit, now=now, policy=policy)
    cause = f"visit {visit.id} moved"
    record_freed_visit(
        session, location_id=visit.location_id, appointments=freed, cause=cause, now=now
    )
    _record_start(session, visit, "visit.moved", actor=actor, start=start, now=now)
    return visit


def move_options(
    session: Session,
    *,
    visit: Visit,
    now: datetime,
    first_day: date,
    days: int,
    same_practitioners: bool,
    policy: Policy,
) -> list[Slot]:
    """Where the visit could move over `days` from `first_day`: its services, with its
    practitioners or anyone suitable and free. Its own time counts as free (so it may move by a
    quarter of an hour) but is not offered."""
    appointments = appointments_of(session, visit.id or 0)
    found = find_open_slots(
        session=session,
        now=now,
        parts=parts_as_booked(session, appointments, same_practitioners=same_practitioners),
        first_day=first_day,
        days=days,
        location_id=visit.location_id,
        patient_id=visit.patient_id,
        excluding_visit=visit.id,
        policy=policy,
    )
    return [slot for slot in found if slot.starts_at != appointments[0].starts_at]


def _place_new_visit(
    session: Session,
    *,
    now: datetime,
    patient_id: int,
    start: datetime,
    parts: Sequence[PartRequest],
    location_id: int | None,
    policy: Policy,
) -> tuple[Placement, datetime]:
    """The request checked and placed, with `start` as UTC (what the audit entry records)."""
    if not parts:
        raise RuleViolation("A visit needs at least one service.", field="appointments")
    require_aware(start, field="start")
    patient = get_patient(session, patient_id)
    location, start = _clinic_start(session, location_id=location_id, start=start)
    placement = place_visit(
        session,
        now=now,
        patient=patient,
        location=location,
        start=start,
        parts=parts,
        policy=policy,
    )
    return placement, start


def _write_new_visit(
    session: Session, placement: Placement, *, now: datetime, booked_by: str, plan_id: int | None
) -> Visit:
    """Insert the visit, then its appointments in visit order; a clash that slipped past the
    placement's locks is refused as a Conflict."""
    visit = Visit(
        patient_id=placement.patient.id or 0,
        location_id=placement.location.id or 0,
        plan_id=plan_id,
        booked_at=now,
        booked_by=booked_by,
    )
    with refused_clashes():
        session.add(visit)
        session.flush()
        session.add_all(_new_appointments(visit, placement))
        session.flush()
    return visit


def _new_appointments(visit: Visit, placement: Placement) -> list[Appointment]:
    return [
        Appointment(
            visit_id=visit.id or 0,
            patient_id=visit.patient_id,
            position=position,
            service_id=planned.service.id or 0,
            practitioner_id=planned.practitioner_id,
            room_id=planned.room_id,
            starts_at=planned.starts_at,
            ends_at=planned.ends_at,
            busy_until=planned.busy_until,
        )
        for position, planned in enumerate(placement.appointments)
    ]


def _movable_visit(session: Session, *, visit_id: int, expected_version: int | None) -> Visit:
    """The visit, when it is still booked and, if the caller read a version, unchanged since."""
    visit = get_visit(session, visit_id)
    if visit.status != VisitStatus.BOOKED:
        raise wrong_status(visit, "moved")
    if expected_version is not None and visit.version != expected_version:
        raise _changed_meanwhile(visit)
    return visit


def _place_again(
    session: Session,
    visit: Visit,
    appointments: Sequence[Appointment],
    *,
    now: datetime,
    start: datetime,
    policy: Policy,
    same_practitioners: bool,
) -> tuple[Placement, datetime]:
    """The visit's services placed at `start`, its own time counting as free, with `start` as
    UTC (what the audit entry records)."""
    location, start = _clinic_start(session, location_id=visit.location_id, start=start)
    placement = place_visit(
        session,
        now=now,
        patient=get_patient(session, visit.patient_id),
        location=location,
        start=start,
        parts=parts_as_booked(session, appointments, same_practitioners=same_practitioners),
        policy=policy,
        excluding_visit=visit.id,
    )
    return placement, start


def _clinic_start(
    session: Session, *, location_id: int | None, start: datetime
) -> tuple[Location, datetime]:
    """The location and `start` as UTC, refused when its offset is not the clinic's clock's."""
    location = resolve_location(session, location_id)
    return location, clinic_instant(start, clinic_zone(location.time_zone), field="start")


def _move_appointments(
    session: Session,
    visit: Visit,
    appointments: Sequence[Appointment],
    placement: Placement,
    *,
    moved_late: bool,
) -> None:
    """Give the appointments their new times under the visit's next version; `visit` is
    reloaded. A move that leaves the patient's first dry needling without an assessment before
    it is refused, and the caller's rollback undoes it."""
    _claim_next_version(session, visit, moved_late=moved_late)
    with refused_clashes():
        for appointment, planned in zip(appointments, placement.appointments, strict=True):
            appointment.practitioner_id = planned.practitioner_id
            appointment.room_id = planned.room_id
            appointment.starts_at = planned.starts_at
            appointment.ends_at = planned.ends_at
            appointment.busy_until = planned.busy_until
            session.add(appointment)
        session.flush()
    if orphan := unassessed_first_needling(session, patient_id=visit.patient_id):
        raise RuleViolation(
            f"The first dry needling (visit {orphan.visit_id}) would have no assessment "
            "before it; move the assessment to an earlier time instead.",
            field="start",
            code="assessment_required",
        )
    session.refresh(visit)


def _claim_next_version(session: Session, visit: Visit, *, moved_late: bool) -> None:
    """Bump the version only if nobody changed or cancelled the visit since it was read: of two
    people moving it at once, exactly one wins. A move from inside the late-cancel window is
    remembered (`moved_late`)."""
    bump = session.execute(
        update(Visit)
        .where(
            col(Visit.id) == visit.id,
            col(Visit.version) == visit.version,
            col(Visit.status) == VisitStatus.BOOKED,
        )
        .values(version=Visit.version + 1, moved_late=moved_late)
    )
    if bump.rowcount != 1:  # type: ignore[attr-defined]
        raise _changed_meanwhile(visit)


def _record_start(
    session: Session, visit: Visit, action: str, *, actor: str, start: datetime, now: datetime
) -> None:
    """The audit entry of a booking or a move (`action`): who, and the visit's new start."""
    audit.record(
        session,
        actor=actor,
        action=action,
        subject=f"visit:{visit.id}",
        now=now,
        detail=f"start={start.isoformat()}",
    )


def _changed_meanwhile(visit: Visit) -> Conflict:
    return Conflict(
        f"Visit {visit.id} was changed by someone else; reload it and try again.",
        field="visit_id",
        code="visit_changed",
    )

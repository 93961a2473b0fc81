"""Book and move visits. Every function changes the schedule whole or not at all.

The caller owns the transaction (`db.transaction`) and must use a `db.booking_session`: the
functions flush, and any error they raise leaves nothing that should be committed.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from scheduler.clinic.catalogue import resolve_location
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.errors import Conflict, RuleViolation
from scheduler.core.policy import Policy, current_policy
from scheduler.core.wallclock import clinic_instant, clinic_zone, require_aware
from scheduler.messaging import outbox
from scheduler.models import Appointment, Visit, VisitStatus
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.openings import record_freed_visit
from scheduler.scheduling.placement import place_visit, refused_clashes
from scheduler.scheduling.rules import unassessed_first_needling
from scheduler.scheduling.visits import appointments_of, get_visit, service_codes, wrong_status


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
    policy: Policy | None = None,
) -> Visit:
    """Book the parts back to back from `start`; returns the new visit with its appointments.

    `booked_by` (`audit.staff(user)`) is kept on the visit and is the audit entry's actor.
    """
    if not parts:
        raise RuleViolation("A visit needs at least one service.", field="appointments")
    require_aware(start, field="start")
    patient = get_patient(session, patient_id)
    location = resolve_location(session, location_id)
    start = clinic_instant(start, clinic_zone(location.time_zone), field="start")
    policy = policy or current_policy()
    placement = place_visit(
        session,
        now=now,
        patient=patient,
        location=location,
        start=start,
        parts=parts,
        policy=policy,
    )
    visit = Visit(
        patient_id=patient_id,
        location_id=location.id or 0,
        plan_id=plan_id,
        booked_at=now,
        booked_by=booked_by,
    )
    with refused_clashes():
        session.add(visit)
        session.flush()
        for position, planned in enumerate(placement.appointments):
            session.add(
                Appointment(
                    visit_id=visit.id or 0,
                    patient_id=patient_id,
                    position=position,
                    service_id=planned.service.id or 0,
                    practitioner_id=planned.practitioner_id,
                    room_id=planned.room_id,
                    starts_at=planned.starts_at,
                    ends_at=planned.ends_at,
                    busy_until=planned.busy_until,
                )
            )
        session.flush()
    outbox.on_booked(session, visit=visit, now=now, policy=policy)
    audit.record(
        session,
        actor=booked_by or "system",
        action="visit.booked",
        subject=f"visit:{visit.id}",
        now=now,
        detail=f"start={start.isoformat()}",
    )
    return visit


def reschedule_visit(
    *,
    session: Session,
    now: datetime,
    visit_id: int,
    start: datetime,
    expected_version: int | None = None,
    policy: Policy | None = None,
    actor: str = "system",
    same_practitioners: bool = True,
) -> Visit:
    """Move the whole visit to `start`, preferably in the same rooms; with the same
    practitioners, or with whoever suits and is free when `same_practitioners` is False.

    Bumps the visit's version, so anything planned for the old time can tell it is stale.
    """
    visit = get_visit(session, visit_id)
    if visit.status != VisitStatus.BOOKED:
        raise wrong_status(visit, "moved")
    if expected_version is not None and visit.version != expected_version:
        raise _changed_meanwhile(visit)
    appointments = appointments_of(session, visit.id or 0)
    freed = [a.model_copy() for a in appointments]
    codes = service_codes(session, appointments)
    location = resolve_location(session, visit.location_id)
    start = clinic_instant(start, clinic_zone(location.time_zone), field="start")
    policy = policy or current_policy()
    placement = place_visit(
        session,
        now=now,
        patient=get_patient(session, visit.patient_id),
        location=location,
        start=start,
        parts=[
            PartRequest(
                service=codes[a.service_id],
                practitioner_id=a.practitioner_id if same_practitioners else None,
                preferred_room_id=a.room_id,
            )
            for a in appointments
        ],
        policy=policy,
        excluding_visit=visit.id,
    )
    bump = session.execute(
        update(Visit)
        .where(
            col(Visit.id) == visit.id,
            col(Visit.version) == visit.version,
            col(Visit.status) == VisitStatus.BOOKED,
        )
        .values(version=Visit.version + 1)
    )
    if bump.rowcount != 1:  # type: ignore[attr-defined]
        raise _changed_meanwhile(visit)
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
    outbox.on_moved(session, visit=visit, now=now, policy=policy)
    record_freed_visit(
        session,
        location_id=visit.location_id,
        appointments=freed,
        cause=f"visit {visit.id} moved",
        now=now,
    )
    audit.record(
        session,
        actor=actor,
        action="visit.moved",
        subject=f"visit:{visit.id}",
        now=now,
        detail=f"start={start.isoformat()}",
    )
    return visit


def _changed_meanwhile(visit: Visit) -> Conflict:
    return Conflict(
        f"Visit {visit.id} was changed by someone else; reload it and try again.",
        field="visit_id",
        code="visit_changed",
    )

"""A practitioner's day: who, when, what, where, and what to watch out for."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from scheduler.core.wallclock import clinic_zone, day_bounds
from scheduler.models import (
    HOLDS_TIME,
    Appointment,
    InboundMessage,
    Intake,
    Location,
    Patient,
    Room,
    Service,
    ServiceKind,
    Visit,
)
from scheduler.scheduling.rules import get_practitioner


@dataclass(frozen=True)
class ScheduledAppointment:
    appointment_id: int
    visit_id: int
    starts_at: datetime
    ends_at: datetime
    patient: str
    service: str
    visit_services: tuple[str, ...]
    room: str
    status: str
    intake_flags: tuple[str, ...]
    first_needling: bool
    patient_id: int
    confirmed: bool
    attention: str | None  # why a person should look at this visit (high soreness, urgent words)
    last_soreness: int | None  # the patient's latest 0-10 score by text, from any visit
    kind: ServiceKind


def practitioner_day(
    session: Session, *, practitioner_id: int, day: date, location_id: int | None = None
) -> list[ScheduledAppointment]:
    """The practitioner's appointments on a local day, in order; seven queries in all."""
    get_practitioner(session, practitioner_id)
    location = session.exec(
        select(Location).where(location_id is None or Location.id == location_id)
    ).first()
    zone = clinic_zone(location.time_zone if location else "UTC")
    start, end = day_bounds(day, zone)
    return practitioner_appointments(
        session, practitioner_id=practitioner_id, starts=start, ends=end
    )


def practitioner_appointments(
    session: Session, *, practitioner_id: int, starts: datetime, ends: datetime
) -> list[ScheduledAppointment]:
    """The practitioner's appointments starting in [starts, ends), in order; six queries."""
    rows = session.execute(
        sa.select(Appointment, Patient, Service, Room, Visit)
        .join(Patient, col(Patient.id) == Appointment.patient_id)
        .join(Service, col(Service.id) == Appointment.service_id)
        .join(Room, col(Room.id) == Appointment.room_id)
        .join(Visit, col(Visit.id) == Appointment.visit_id)
        .where(
            col(Appointment.practitioner_id) == practitioner_id,
            col(Appointment.starts_at) >= starts,
            col(Appointment.starts_at) < ends,
        )
        .order_by(col(Appointment.starts_at))
    ).all()
    visit_ids = {appointment.visit_id for appointment, *_ in rows}
    patient_ids = {appointment.patient_id for appointment, *_ in rows}
    services_by_visit = _services_by_visit(session, visit_ids)
    flags = intake_flags_by_patient(session, patient_ids)
    first_needling = _first_needling_starts(session, patient_ids)
    soreness = _latest_soreness(session, patient_ids)
    return [
        ScheduledAppointment(
            appointment_id=appointment.id or 0,
            visit_id=appointment.visit_id,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            patient=patient.name,
            service=service.name,
            visit_services=services_by_visit.get(appointment.visit_id, ()),
            room=room.name,
            status=visit.status.value,
            intake_flags=flags.get(patient.id or 0, ()),
            first_needling=service.kind == ServiceKind.DRY_NEEDLING
            and first_needling.get(appointment.patient_id) == appointment.starts_at,
            patient_id=appointment.patient_id,
            confirmed=visit.confirmed_at is not None,
            attention=visit.attention,
            last_soreness=soreness.get(appointment.patient_id),
            kind=service.kind,
        )
        for appointment, patient, service, room, visit in rows
    ]


def _services_by_visit(session: Session, visit_ids: set[int]) -> dict[int, tuple[str, ...]]:
    rows = session.exec(
        select(Appointment.visit_id, Service.code)
        .join(Service, col(Service.id) == Appointment.service_id)
        .where(col(Appointment.visit_id).in_(visit_ids))
        .order_by(col(Appointment.visit_id), col(Appointment.position))
    )
    result: dict[int, tuple[str, ...]] = {}
    for visit_id, code in rows:
        result[visit_id] = (*result.get(visit_id, ()), code)
    return result


def intake_flags_by_patient(session: Session, patient_ids: set[int]) -> dict[int, tuple[str, ...]]:
    intakes = session.exec(select(Intake).where(col(Intake.patient_id).in_(patient_ids)))
    return {intake.patient_id: tuple(intake.flags) for intake in intakes}


def _first_needling_starts(session: Session, patient_ids: set[int]) -> dict[int, datetime]:
    """When each patient's first dry needling that still holds its time starts."""
    rows = session.exec(
        select(Appointment.patient_id, func.min(Appointment.starts_at))
        .join(Service, col(Service.id) == Appointment.service_id)
        .where(
            col(Appointment.patient_id).in_(patient_ids),
            Service.kind == ServiceKind.DRY_NEEDLING,
            col(Appointment.status).in_(HOLDS_TIME),
        )
        .group_by(col(Appointment.patient_id))
    )
    return {patient_id: starts_at for patient_id, starts_at in rows}


def _latest_soreness(session: Session, patient_ids: set[int]) -> dict[int, int]:
    """Each patient's most recent soreness score, oldest first so the newest wins."""
    rows = session.exec(
        select(InboundMessage.patient_id, InboundMessage.soreness)
        .where(
            col(InboundMessage.patient_id).in_(patient_ids),
            col(InboundMessage.soreness).is_not(None),
        )
        .order_by(col(InboundMessage.received_at), col(InboundMessage.id))
    )
    return {patient_id: score for patient_id, score in rows if patient_id and score is not None}

"""Clinical and timing rules a booking must pass before any slot is looked at."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session, col, select

from scheduler.clinic.catalogue import catalogue
from scheduler.clinic.intake import is_current
from scheduler.core.errors import NotFound, RuleViolation
from scheduler.core.policy import Policy
from scheduler.models import (
    HOLDS_TIME,
    Appointment,
    Intake,
    Patient,
    Practitioner,
    Room,
    Service,
    ServiceKind,
    VisitStatus,
)


def check_timing(start: datetime, *, now: datetime, policy: Policy) -> None:
    if start < now:
        raise RuleViolation("That time is in the past.", field="start", code="in_the_past")
    if start < now + policy.minimum_notice:
        minutes = int(policy.minimum_notice.total_seconds() // 60)
        raise RuleViolation(
            f"Visits need at least {minutes} minutes' notice.",
            field="start",
            code="too_short_notice",
        )
    if start > now + policy.horizon:
        raise RuleViolation(
            f"Visits can be booked at most {policy.horizon.days} days ahead.",
            field="start",
            code="beyond_horizon",
        )


def check_may_deliver(practitioner: Practitioner, service: Service, *, on: date) -> None:
    """The practitioner's profession and, for dry needling, a certificate valid on the day."""
    if practitioner.profession.value not in service.professions:
        raise RuleViolation(
            f"{practitioner.name} ({practitioner.profession.value.replace('_', ' ')}) "
            f"does not deliver {service.name}.",
            field="practitioner_id",
            code="practitioner_not_qualified",
        )
    if service.kind != ServiceKind.DRY_NEEDLING:
        return
    if not practitioner.needling_certified:
        raise RuleViolation(
            f"{practitioner.name} has no dry needling certificate on file.",
            field="practitioner_id",
            code="not_needling_certified",
        )
    if not practitioner.may_needle_on(on):
        raise RuleViolation(
            f"{practitioner.name}'s dry needling certificate expires on "
            f"{practitioner.needling_certified_until}, before {on}.",
            field="practitioner_id",
            code="certificate_expired",
        )


def check_room_suits(room: Room, service: Service) -> None:
    if room.kind != service.room_kind:
        raise RuleViolation(
            f"{room.name} is a {room.kind.value.replace('_', ' ')}; {service.name} needs a "
            f"{service.room_kind.value.replace('_', ' ')}.",
            field="room_id",
            code="wrong_room_kind",
        )


def check_needling_prerequisites(
    session: Session,
    *,
    patient: Patient,
    services: Sequence[Service],
    starts_at: datetime,
    policy: Policy,
    excluding_visit: int | None = None,
) -> None:
    """Before any needling: an intake with signed consent, current at the visit, and an
    assessment before the first.

    The assessment may be earlier in the same visit or in an earlier visit that still holds its
    time (booked, checked in or completed).
    """
    needling = [i for i, s in enumerate(services) if s.kind == ServiceKind.DRY_NEEDLING]
    if not needling:
        return
    intake = session.exec(select(Intake).where(Intake.patient_id == patient.id)).first()
    if intake is None:
        raise RuleViolation(
            f"{patient.name} has no intake on file; send them the intake form, or enter a "
            "paper one, before booking dry needling.",
            field="patient_id",
            code="intake_missing",
        )
    if intake.consent_signed_at is None:
        raise RuleViolation(
            f"{patient.name} has not signed consent for dry needling.",
            field="patient_id",
            code="consent_missing",
        )
    if not is_current(intake, now=starts_at, policy=policy):
        raise RuleViolation(
            f"{patient.name}'s intake is more than {policy.intake_valid_months} months old by "
            "then; send them the intake form again before booking dry needling.",
            field="patient_id",
            code="intake_missing",
        )
    assessed_in_visit = any(s.kind == ServiceKind.ASSESSMENT for s in services[: needling[0]])
    if not assessed_in_visit and not _assessed_before(session, patient, starts_at, excluding_visit):
        raise RuleViolation(
            f"{patient.name} needs an assessment before the first dry needling; add one "
            "before it in this visit or book one earlier.",
            field="appointments",
            code="assessment_required",
        )


def _assessed_before(
    session: Session, patient: Patient, moment: datetime, excluding_visit: int | None
) -> bool:
    query = (
        select(Appointment.id)
        .join(Service, col(Service.id) == Appointment.service_id)
        .where(
            Appointment.patient_id == patient.id,
            Service.kind == ServiceKind.ASSESSMENT,
            col(Appointment.status).in_(HOLDS_TIME),
            col(Appointment.ends_at) <= moment,
        )
    )
    if excluding_visit is not None:
        query = query.where(Appointment.visit_id != excluding_visit)
    return session.exec(query.limit(1)).first() is not None


def get_practitioner(session: Session, practitioner_id: int) -> Practitioner:
    """From the catalogue: read it, do not change it (see `catalogue`)."""
    practitioner = catalogue(session).practitioners.get(practitioner_id)
    if practitioner is None or not practitioner.active:
        raise NotFound(
            f"No practitioner {practitioner_id}.",
            field="practitioner_id",
            code="unknown_practitioner",
        )
    return practitioner


def unassessed_first_needling(session: Session, *, patient_id: int) -> Appointment | None:
    """The patient's first dry needling, when it is still to come and no assessment precedes it.

    Booking checks this for the visit it places; moving or cancelling an assessment can break
    it for another visit, so those changes ask again.
    """
    first = session.exec(
        select(Appointment)
        .join(Service, col(Service.id) == Appointment.service_id)
        .where(
            Appointment.patient_id == patient_id,
            Service.kind == ServiceKind.DRY_NEEDLING,
            col(Appointment.status).in_(HOLDS_TIME),
        )
        .order_by(col(Appointment.starts_at))
        .limit(1)
    ).first()
    if first is None or first.status != VisitStatus.BOOKED:
        return None
    patient = session.get_one(Patient, patient_id)
    return None if _assessed_before(session, patient, first.starts_at, None) else first

"""The intake form a patient fills in from their personal link (`/i/<token>`): their date of
birth first, then conditions, medications, one question per contraindication, and the clinic's
consent for dry needling, signed with a tick and their typed full name.

Sending it records the intake and the consent's version, uses the link, withdraws the intake
texts still waiting, and is audited as the patient's. Nothing of the answers goes into the audit
log or any text.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from scheduler.clinic.catalogue import resolve_location
from scheduler.clinic.consent import current_consent
from scheduler.clinic.intake import Signing, record_intake
from scheduler.clinic.intake_links import use_link
from scheduler.core import audit
from scheduler.core.errors import RuleViolation
from scheduler.messaging.intake_texts import withdraw_intake_texts
from scheduler.models import (
    Appointment,
    ConsentText,
    IntakeLink,
    Location,
    Patient,
    Visit,
    VisitStatus,
)

MOST_SIGNATURE_CHARACTERS = 120


@dataclass(frozen=True)
class Answers:
    """The form as the patient sent it."""

    conditions: Sequence[str]
    medications: Sequence[str]
    flags: Sequence[str]
    consent: bool
    signature: str
    consent_version: int | None  # the version the page showed; the current one when absent


@dataclass(frozen=True)
class NextVisit:
    starts_at: datetime
    location: Location


def clinic_of(session: Session, link: IntakeLink) -> Location:
    """The site the link's visit is at; the clinic's first site for a link sent by hand."""
    visit = session.get(Visit, link.visit_id) if link.visit_id is not None else None
    return resolve_location(session, visit.location_id if visit else None)


def first_name(session: Session, link: IntakeLink) -> str:
    return session.get_one(Patient, link.patient_id).name.split()[0]


def consent_shown(session: Session, *, now: datetime) -> ConsentText:
    return current_consent(session, now=now)


def submit_intake(session: Session, *, link: IntakeLink, answers: Answers, now: datetime) -> None:
    """Records the intake from a link whose date of birth was just confirmed."""
    if not answers.consent:
        raise RuleViolation(
            "Please tick the box to say you agree. If you do not want dry needling, you can "
            "still send the form: call us and we will plan other treatment with you.",
            field="consent",
            code="consent_missing",
        )
    signature = " ".join(answers.signature.split())
    if len(signature) < 2:
        raise RuleViolation(
            "Please type your full name to sign.", field="signature", code="signature_missing"
        )
    if len(signature) > MOST_SIGNATURE_CHARACTERS:
        raise RuleViolation(
            f"Please keep your name under {MOST_SIGNATURE_CHARACTERS} characters.",
            field="signature",
            code="signature_too_long",
        )
    version = _version(session, answers.consent_version, now)
    record_intake(
        session=session,
        now=now,
        patient_id=link.patient_id,
        conditions=answers.conditions,
        medications=answers.medications,
        flags=answers.flags,
        consent=True,
        signing=Signing(version, signature=signature),
    )
    use_link(session, link=link, now=now)
    withdraw_intake_texts(session, patient_id=link.patient_id, now=now)
    audit.record(
        session,
        actor=audit.patient_actor(link.patient_id),
        action="intake.signed",
        subject=f"patient:{link.patient_id}",
        now=now,
        detail=f"by link, consent version {version}",
    )


def next_visit(session: Session, *, patient_id: int, now: datetime) -> NextVisit | None:
    """The patient's next booked visit, for the thank-you page."""
    row = session.exec(
        select(Appointment.starts_at, Visit.location_id)
        .join(Visit, col(Visit.id) == Appointment.visit_id)
        .where(
            col(Visit.patient_id) == patient_id,
            col(Visit.status) == VisitStatus.BOOKED,
            col(Appointment.starts_at) > now,
        )
        .order_by(col(Appointment.starts_at))
        .limit(1)
    ).first()
    if row is None:
        return None
    starts_at, location_id = row
    return NextVisit(starts_at, resolve_location(session, location_id))


def _version(session: Session, shown: int | None, now: datetime) -> int:
    """The version the patient read, if it exists; else the current one."""
    if shown is not None and session.get(ConsentText, shown) is not None:
        return shown
    return current_consent(session, now=now).version

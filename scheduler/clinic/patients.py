"""Patients, validated on the way in."""

from collections.abc import Sequence
from datetime import date, datetime

import phonenumbers
from sqlmodel import Session, col, or_, select

from scheduler.clinic.setup import require_name
from scheduler.core import audit
from scheduler.core.errors import RuleViolation, not_found
from scheduler.models import Patient


def normalise_mobile(phone: str, *, region: str) -> str:
    """The number in E.164 (+15551234567), or a RuleViolation saying what is wrong with it."""
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException as error:
        raise _bad_phone(f"{phone!r} is not a phone number.") from error
    if not phonenumbers.is_valid_number(number):
        raise _bad_phone(f"{phone!r} is not a valid phone number.")
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise _bad_phone(f"{phone!r} is a landline; reminders need a mobile number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _bad_phone(message: str) -> RuleViolation:
    return RuleViolation(message, field="phone", code="invalid_phone")


def register_patient(
    *,
    session: Session,
    now: datetime,
    name: str,
    phone: str,
    date_of_birth: date,
    region: str,
    sms_consent: bool = True,
    actor: str | None = None,
) -> Patient:
    """A new patient; with an `actor` (who registered them) the audit log says so."""
    patient = Patient(
        name=require_name(name, "patient"),
        phone=normalise_mobile(phone, region=region),
        date_of_birth=_born(date_of_birth, now),
        sms_consent=sms_consent,
        created_at=now,
    )
    session.add(patient)
    session.flush()
    if actor:
        audit.record(
            session, actor=actor, action="patient.created", subject=f"patient:{patient.id}", now=now
        )
    return patient


def update_patient(
    session: Session,
    *,
    patient_id: int,
    now: datetime,
    region: str,
    name: str | None = None,
    phone: str | None = None,
    date_of_birth: date | None = None,
    sms_consent: bool | None = None,
    actor: str,
) -> Patient:
    """Change the fields given; None leaves a field as it is. The audit log names the fields
    changed, not their values."""
    patient = get_patient(session, patient_id)
    if name is not None:
        patient.name = require_name(name, "patient")
    if phone is not None:
        patient.phone = normalise_mobile(phone, region=region)
    if date_of_birth is not None:
        patient.date_of_birth = _born(date_of_birth, now)
    if sms_consent is not None:
        patient.sms_consent = sms_consent
    session.add(patient)
    session.flush()
    changed = [
        field
        for field, value in (
            ("name", name),
            ("phone", phone),
            ("date_of_birth", date_of_birth),
            ("sms_consent", sms_consent),
        )
        if value is not None
    ]
    audit.record(
        session,
        actor=actor,
        action="patient.updated",
        subject=f"patient:{patient_id}",
        now=now,
        detail=", ".join(changed),
    )
    return patient


def _born(date_of_birth: date, now: datetime) -> date:
    if date_of_birth > now.date():
        raise RuleViolation(
            "The date of birth is in the future.", field="date_of_birth", code="invalid_date"
        )
    return date_of_birth


def find_patients(session: Session, *, text: str, limit: int = 50) -> Sequence[Patient]:
    """Patients whose name contains `text` (any case) or whose number contains its digits
    (three or more), by name; everyone, up to `limit`, for an empty text."""
    query = select(Patient).order_by(col(Patient.name), col(Patient.id)).limit(limit)
    text = text.strip()
    digits = "".join(char for char in text if char.isdigit())
    if text:
        by_name = col(Patient.name).icontains(text, autoescape=True)
        by_phone = col(Patient.phone).contains(digits) if len(digits) >= 3 else by_name
        query = query.where(or_(by_name, by_phone))
    return session.exec(query).all()


def get_patient(session: Session, patient_id: int, *, lock: bool = False) -> Patient:
    """With `lock`, the row stays locked until the transaction ends (PostgreSQL; SQLite's
    writers are one at a time anyway)."""
    patient = session.get(Patient, patient_id, with_for_update=lock)
    if patient is None:
        raise not_found("patient", patient_id, field="patient_id")
    return patient

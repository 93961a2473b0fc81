"""Patients and their intake, validated on the way in."""

from collections.abc import Sequence
from datetime import date, datetime

import phonenumbers
from sqlmodel import Session, select

from scheduler.errors import RuleViolation
from scheduler.models import Contraindication, Intake, Patient
from scheduler.rules import get_patient


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
) -> Patient:
    if not name.strip():
        raise RuleViolation("A patient needs a name.", field="name", code="name_missing")
    if date_of_birth > now.date():
        raise RuleViolation(
            "The date of birth is in the future.", field="date_of_birth", code="invalid_date"
        )
    patient = Patient(
        name=name.strip(),
        phone=normalise_mobile(phone, region=region),
        date_of_birth=date_of_birth,
        sms_consent=sms_consent,
        created_at=now,
    )
    session.add(patient)
    session.flush()
    return patient


def record_intake(
    *,
    session: Session,
    now: datetime,
    patient_id: int,
    conditions: Sequence[str],
    medications: Sequence[str],
    flags: Sequence[str],
    consent: bool,
    reviewed_by: str | None = None,
) -> Intake:
    """Create or replace the patient's intake; consent keeps its first signing time."""
    get_patient(session, patient_id)
    known = {flag.value for flag in Contraindication}
    unknown = [flag for flag in flags if flag not in known]
    if unknown:
        raise RuleViolation(
            f"Unknown contraindication flag(s): {', '.join(unknown)}; "
            f"use {', '.join(sorted(known))}.",
            field="flags",
            code="unknown_flag",
        )
    intake = session.exec(select(Intake).where(Intake.patient_id == patient_id)).first()
    intake = intake or Intake(patient_id=patient_id, updated_at=now)
    intake.conditions = list(conditions)
    intake.medications = list(medications)
    intake.flags = sorted(set(flags))
    intake.consent_signed_at = (intake.consent_signed_at or now) if consent else None
    intake.reviewed_by = reviewed_by
    intake.updated_at = now
    session.add(intake)
    session.flush()
    return intake

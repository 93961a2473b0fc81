"""Patients, their intake and what each member of staff may see of it."""

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StrictBool

from scheduler.api.schemas.common import Change, Day, Name, Public, Text
from scheduler.api.schemas.visits import VisitPublic, visit_public
from scheduler.clinic.intake import IntakeState
from scheduler.models import Contraindication, Intake
from scheduler.staff.patient_record import PatientRecord

Phone = Annotated[Text, Field(examples=["+1 212 555 0142"])]
Entries = Annotated[list[Text], Field(max_length=50)]


class PatientPublic(Public):
    id: int
    name: str
    phone: str = Field(description="E.164")
    date_of_birth: date
    sms_consent: bool


class PatientCreate(Change):
    name: Name
    phone: Phone
    date_of_birth: Day
    sms_consent: StrictBool = True


class PatientUpdate(Change):
    name: Name | None = None
    phone: Phone | None = None
    date_of_birth: Day | None = None
    sms_consent: StrictBool | None = None


class IntakeIn(Change):
    conditions: Entries
    medications: Entries
    flags: Annotated[list[Contraindication], Field(max_length=len(Contraindication))]
    consent: StrictBool


class IntakeDetails(Public):
    """Conditions and medications: for admins and the patient's own practitioners only."""

    conditions: list[str]
    medications: list[str]
    reviewed_by: str | None


class IntakePublic(Public):
    flags: list[Contraindication]
    consent_signed_at: datetime | None
    consent_version: int | None = Field(description="The version of the consent text signed")
    signed_on_paper_seen_by: str | None = Field(description="Set when it was a paper form")
    reviewed_at: datetime | None
    updated_at: datetime
    details: IntakeDetails | None = Field(
        description="Absent unless the caller may see the intake's details"
    )


class SmsState(Public):
    consent: bool = Field(description="The patient agreed to texts")
    opted_out: bool = Field(description="The number texted STOP; nothing is sent while so")


class PatientRecordPublic(PatientPublic):
    sms: SmsState
    intake: IntakePublic | None
    intake_state: IntakeState = Field(
        description="none, waiting (a link is out), needs_review, signed or expired"
    )
    intake_valid_until: datetime | None
    visits: list[VisitPublic] = Field(description="Newest first")


class IntakeLinkIn(Change):
    send: StrictBool = Field(default=True, description="Text the link to the patient")


class IntakeLinkPublic(Public):
    url: str
    expires_at: datetime


def intake_public(intake: Intake, *, details: bool) -> IntakePublic:
    return IntakePublic(
        flags=[Contraindication(flag) for flag in intake.flags],
        consent_signed_at=intake.consent_signed_at,
        consent_version=intake.consent_version,
        signed_on_paper_seen_by=intake.signed_on_paper_seen_by,
        reviewed_at=intake.reviewed_at,
        updated_at=intake.updated_at,
        details=IntakeDetails.model_validate(intake) if details else None,
    )


def record_public(record: PatientRecord) -> PatientRecordPublic:
    intake = record.intake
    return PatientRecordPublic.model_validate(
        record.patient.model_dump()
        | {
            "sms": SmsState(consent=record.patient.sms_consent, opted_out=record.opted_out),
            "intake": intake_public(intake, details=record.intake_details) if intake else None,
            "intake_state": record.intake_status.state,
            "intake_valid_until": record.intake_status.valid_until,
            "visits": [visit_public(view) for view in record.visits],
        }
    )

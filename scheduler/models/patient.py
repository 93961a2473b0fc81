"""Patients and their intake: what the clinic must know before it may needle, the consent they
sign, and the personal links that let them give both from their phone."""

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from scheduler.models.columns import instant, json_list


class Contraindication(StrEnum):
    """Flags that do not block a booking but travel with it to the practitioner's schedule."""

    ANTICOAGULANTS = "anticoagulants"
    BLEEDING_DISORDER = "bleeding_disorder"
    PREGNANCY = "pregnancy"
    NEEDLE_PHOBIA_OR_FAINTING = "needle_phobia_or_fainting"
    IMPLANTED_DEVICE = "implanted_device"
    LOCAL_INFECTION = "local_infection"


class Patient(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    phone: str = Field(index=True, description="Mobile number in E.164")
    date_of_birth: date
    sms_consent: bool = True
    created_at: datetime = instant()


class Intake(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", unique=True)
    conditions: list[str] = json_list()
    medications: list[str] = json_list()
    flags: list[str] = json_list()
    consent_signed_at: datetime | None = instant(nullable=True)
    consent_version: int | None = Field(default=None, foreign_key="consent_text.version")
    signature: str | None = Field(default=None, description="The name typed when signing")
    signed_on_paper_seen_by: str | None = Field(
        default=None, description="The staff member who saw the paper form, if it was one"
    )
    reviewed_by: str | None = None
    reviewed_at: datetime | None = instant(nullable=True)
    updated_at: datetime = instant()


class ConsentText(SQLModel, table=True):
    """The clinic's consent for dry needling. An edit adds a version; none is ever changed, so a
    signature always points at the words that were signed."""

    __tablename__ = "consent_text"

    version: int = Field(primary_key=True)
    body: str
    created_at: datetime = instant()
    created_by: str


class IntakeLink(SQLModel, table=True):
    """A patient's personal link to the intake form (`/i/<token>`): it works until it expires,
    is used, or is locked after repeated wrong dates of birth."""

    __tablename__ = "intake_link"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    created_at: datetime = instant()
    created_by: str
    expires_at: datetime = instant()
    used_at: datetime | None = instant(nullable=True)
    misses: int = 0
    locked_at: datetime | None = instant(nullable=True)

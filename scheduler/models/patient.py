"""Patients and their intake: what the clinic must know before it may needle."""

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
    reviewed_by: str | None = None
    updated_at: datetime = instant()

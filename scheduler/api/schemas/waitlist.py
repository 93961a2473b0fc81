"""The waitlist as the API shows it: entries with their offers, and a new entry."""

from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import Field

from scheduler.api.schemas.common import Change, Day, Id, Public, Text, WallTime, Weekday
from scheduler.models import OfferStatus, WaitlistStatus
from scheduler.waitlist.entries import ListedPatient, Wants

ServiceCode = Annotated[Text, Field(examples=["dry-needling-30"])]


class WaitlistIn(Change):
    patient_id: Id
    services: Annotated[list[ServiceCode], Field(min_length=1, max_length=4)]
    until: Day = Field(description="Last day the patient wants to be offered a time")
    practitioner_ids: Annotated[list[Id], Field(default_factory=list, max_length=20)]
    weekdays: Annotated[list[Weekday], Field(default_factory=list, max_length=7)]
    earliest: WallTime | None = None
    latest: WallTime | None = None
    urgency: Annotated[int, Field(ge=1, le=3, description="1 routine, 2 soon, 3 urgent")] = 1
    note: Text = ""

    def wants(self) -> Wants:
        return Wants(**self.model_dump(exclude={"patient_id"}))


class OfferPublic(Public):
    id: int
    starts_at: datetime
    status: OfferStatus
    offered_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    visit_id: int | None
    appointments: list[dict[str, Any]] = Field(alias="plan")


class WaitlistEntryPublic(Public):
    id: int
    patient_id: int
    patient_name: str
    services: list[str]
    practitioner_ids: list[int]
    weekdays: list[int]
    earliest: time | None
    latest: time | None
    urgency: int
    until: date
    note: str
    status: WaitlistStatus
    added_at: datetime
    added_by: str
    visit_id: int | None
    offers: list[OfferPublic] = Field(description="Newest first")


def entry_public(listed: ListedPatient) -> WaitlistEntryPublic:
    return WaitlistEntryPublic.model_validate(
        {
            **listed.entry.model_dump(),
            "patient_name": listed.patient.name,
            "visit_id": listed.visit_id,
            "offers": [OfferPublic.model_validate(offer) for offer in listed.offers],
        }
    )

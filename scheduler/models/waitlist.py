"""The waitlist: patients who want an earlier time, the times that open up, and the offers."""

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from scheduler.models.columns import enum_column, instant, json_list


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    BOOKED = "booked"  # took an offer
    REMOVED = "removed"  # the front desk took them off the list
    ENDED = "ended"  # past the date they gave


class OfferStatus(StrEnum):
    OPEN = "open"  # sent (or about to be), waiting for a YES
    ACCEPTED = "accepted"  # this patient took the time
    TAKEN = "taken"  # someone else took it first
    EXPIRED = "expired"  # no answer in time
    WITHDRAWN = "withdrawn"  # the time is gone for another reason, or the entry left the list


class WaitlistEntry(SQLModel, table=True):
    """A patient who wants these services sooner, with when and with whom they could come.

    Empty preference lists mean "any": any practitioner, any weekday. Times of day are local.
    """

    __tablename__ = "waitlist_entry"
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    location_id: int = Field(foreign_key="location.id")
    services: list[str] = json_list()
    practitioner_ids: list[int] = json_list()
    weekdays: list[int] = json_list()  # 0 = Monday
    earliest: time | None = Field(default=None, description="Start no earlier (local)")
    latest: time | None = Field(default=None, description="Start no later (local)")
    urgency: int = Field(default=1, description="1 routine, 2 soon, 3 urgent")
    until: date = Field(description="Last day the patient wants to be offered a time")
    note: str = ""
    status: WaitlistStatus = Field(
        default=WaitlistStatus.WAITING, sa_type=enum_column(WaitlistStatus), index=True
    )
    added_at: datetime = instant()
    added_by: str = ""
    closed_at: datetime | None = instant(nullable=True)


class Opening(SQLModel, table=True):
    """Time that became free (a visit cancelled or moved, new hours), to offer the waitlist.

    Written in the transaction that frees the time; the dispatcher offers it while it lasts.
    """

    id: int | None = Field(default=None, primary_key=True)
    location_id: int = Field(foreign_key="location.id")
    starts_at: datetime = instant()
    ends_at: datetime = instant()
    cause: str
    found_at: datetime = instant()
    closed_at: datetime | None = instant(nullable=True, index=True)
    outcome: str | None = None


class WaitlistOffer(SQLModel, table=True):
    """One patient offered one concrete time: the start and who and where, exactly as booked."""

    __tablename__ = "waitlist_offer"
    __table_args__ = (sa.UniqueConstraint("entry_id", "opening_id"),)
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="waitlist_entry.id", index=True)
    opening_id: int = Field(foreign_key="opening.id", index=True)
    starts_at: datetime = instant()
    plan: list[dict[str, Any]] = json_list()  # [{"service", "practitioner_id", "room_id"}]
    status: OfferStatus = Field(
        default=OfferStatus.OPEN, sa_type=enum_column(OfferStatus), index=True
    )
    offered_at: datetime = instant()
    expires_at: datetime = instant()
    answered_at: datetime | None = instant(nullable=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")


class SigningKey(SQLModel, table=True):
    """The key that signs patients' personal links; made once per database by its migration."""

    __tablename__ = "signing_key"
    id: int = Field(default=1, primary_key=True)
    key: str
    created_at: datetime = instant()

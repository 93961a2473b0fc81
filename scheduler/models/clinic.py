"""The clinic itself: locations, rooms, services, practitioners and their hours."""

from datetime import date, datetime, time
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from scheduler.models.columns import enum_column, instant, json_list


class RoomKind(StrEnum):
    TREATMENT_ROOM = "treatment_room"
    GYM = "gym"


class ServiceKind(StrEnum):
    ASSESSMENT = "assessment"
    DRY_NEEDLING = "dry_needling"
    MASSAGE = "massage"
    EXERCISE = "exercise"


class Profession(StrEnum):
    PHYSICAL_THERAPIST = "physical_therapist"
    CHIROPRACTOR = "chiropractor"
    ACUPUNCTURIST = "acupuncturist"
    NURSE = "nurse"
    PHYSICIAN = "physician"
    MASSAGE_THERAPIST = "massage_therapist"


class Location(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    time_zone: str = Field(description="IANA zone: working hours and message texts use it")
    phone: str = ""


class OpeningHours(SQLModel, table=True):
    """One opening interval of a location on a weekday (0 = Monday), in local wall time."""

    __tablename__ = "opening_hours"
    id: int | None = Field(default=None, primary_key=True)
    location_id: int = Field(foreign_key="location.id", index=True)
    weekday: int = Field(ge=0, le=6)
    opens: time
    closes: time


class Room(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    location_id: int = Field(foreign_key="location.id", index=True)
    name: str
    kind: RoomKind = Field(sa_type=enum_column(RoomKind))


class Service(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, description="Stable short name, e.g. dry-needling-30")
    name: str
    kind: ServiceKind = Field(sa_type=enum_column(ServiceKind))
    duration_minutes: int = Field(gt=0)
    cleanup_minutes: int = Field(default=0, ge=0)
    room_kind: RoomKind = Field(sa_type=enum_column(RoomKind))
    professions: list[str] = json_list()


class Practitioner(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    profession: Profession = Field(sa_type=enum_column(Profession))
    needling_certified_by: str | None = None
    needling_certified_until: date | None = None
    active: bool = True

    @property
    def needling_certified(self) -> bool:
        """A certificate on file: who issued it and until when (an open-ended one is not)."""
        return self.needling_certified_by is not None and self.needling_certified_until is not None

    def may_needle_on(self, day: date) -> bool:
        until = self.needling_certified_until
        return self.needling_certified and until is not None and day <= until


class WorkingHours(SQLModel, table=True):
    """A practitioner's weekly hours at one location, with an optional break, in local wall time."""

    __tablename__ = "working_hours"
    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="practitioner.id", index=True)
    location_id: int = Field(foreign_key="location.id", index=True)
    weekday: int = Field(ge=0, le=6)
    starts: time
    ends: time
    break_starts: time | None = None
    break_ends: time | None = None


class TimeOff(SQLModel, table=True):
    __tablename__ = "time_off"
    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="practitioner.id", index=True)
    starts_at: datetime = instant()
    ends_at: datetime = instant()
    reason: str = ""


class CatalogueVersion(SQLModel, table=True):
    """One row whose number changes, by trigger, with every write to the tables above but time
    off: processes keep the clinic's catalogue in memory for as long as the number stands.

    Each number is random, never the next one, so no number comes back: not after a rolled-back
    change, nor in a database made again in the same place.
    """

    __tablename__ = "catalogue_version"
    id: int = Field(default=1, primary_key=True)
    version: int = Field(sa_type=sa.BigInteger)

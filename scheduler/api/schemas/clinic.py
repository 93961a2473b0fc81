"""The clinic's parts: services, rooms, locations, practitioners, hours, time off, certificates."""

from datetime import date
from typing import Annotated

from pydantic import Field, Strict, StrictBool

from scheduler.api.schemas.common import (
    Change,
    Day,
    Id,
    Instant,
    Name,
    Public,
    Text,
    WallTime,
    Weekday,
)
from scheduler.models import Profession, RoomKind, ServiceKind

Minutes = Annotated[int, Strict(), Field(ge=1, le=8 * 60)]
Cleanup = Annotated[int, Strict(), Field(ge=0, le=120)]
Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$", examples=["dry-needling-30"])]


class ServicePublic(Public):
    id: int
    code: str
    name: str
    kind: ServiceKind
    duration_minutes: int
    cleanup_minutes: int
    room_kind: RoomKind
    professions: list[Profession]


class ServiceCreate(Change):
    code: Code
    name: Name
    kind: ServiceKind
    duration_minutes: Minutes
    cleanup_minutes: Cleanup = 0
    room_kind: RoomKind
    professions: Annotated[list[Profession], Field(min_length=1, max_length=len(Profession))]


class ServiceUpdate(Change):
    name: Name | None = None
    duration_minutes: Minutes | None = None
    cleanup_minutes: Cleanup | None = None
    room_kind: RoomKind | None = None
    professions: Annotated[list[Profession], Field(min_length=1, max_length=6)] | None = None


class RoomPublic(Public):
    id: int
    location_id: int
    name: str
    kind: RoomKind


class RoomCreate(Change):
    location_id: Id | None = Field(default=None, description="Default: the first location")
    name: Name
    kind: RoomKind


class RoomUpdate(Change):
    name: Name | None = None
    kind: RoomKind | None = None


class Opening(Public):
    weekday: Weekday
    opens: WallTime
    closes: WallTime


class LocationPublic(Public):
    id: int
    name: str
    time_zone: str
    phone: str
    opening: list[Opening]


class LocationCreate(Change):
    name: Name
    time_zone: Text = Field(examples=["America/New_York"])
    phone: Text = ""
    opening: list[Opening] = Field(default_factory=list, max_length=7)


class LocationUpdate(Change):
    name: Name | None = None
    time_zone: Text | None = None
    phone: Text | None = None
    opening: Annotated[list[Opening], Field(max_length=7)] | None = None


class PractitionerPublic(Public):
    id: int
    name: str
    profession: Profession
    active: bool
    needling_certified_by: str | None
    needling_certified_until: date | None


class PractitionerCreate(Change):
    name: Name
    profession: Profession


class PractitionerUpdate(Change):
    name: Name | None = None
    profession: Profession | None = None
    active: StrictBool | None = None


class Shift(Public):
    weekday: Weekday
    starts: WallTime
    ends: WallTime
    break_starts: WallTime | None = None
    break_ends: WallTime | None = None


class WorkingHoursPublic(Shift):
    location_id: int


class WorkingHoursUpdate(Change):
    location_id: Id | None = Field(default=None, description="Default: the first location")
    shifts: Annotated[list[Shift], Field(max_length=7)]


class TimeOffPublic(Public):
    id: int
    practitioner_id: int
    starts_at: Instant
    ends_at: Instant
    reason: str


class TimeOffCreate(Change):
    starts_at: Instant
    ends_at: Instant
    reason: Text = ""


class CertificationUpdate(Change):
    issued_by: Name | None = Field(description="Who issued the dry needling certificate")
    valid_until: Day | None


class PractitionerDetail(PractitionerPublic):
    working_hours: list[WorkingHoursPublic]
    time_off: list[TimeOffPublic]

"""Visits, open times, treatment plans, the practitioner's day and a visit's texts."""

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StrictInt

from scheduler.api.schemas.common import Change, Id, Instant, Public, Text
from scheduler.models import Contraindication, Message, MessageStatus, VisitStatus
from scheduler.scheduling.availability import Slot
from scheduler.scheduling.visits import VisitView
from scheduler.staff import day_sheet

ServiceCode = Annotated[Text, Field(examples=["dry-needling-30"])]


class AppointmentRequest(Change):
    service: ServiceCode
    practitioner_id: Id | None = None
    room_id: Id | None = None


Parts = Annotated[list[AppointmentRequest], Field(min_length=1, max_length=6)]


class VisitCreate(Change):
    patient_id: Id
    start: Instant
    appointments: Parts
    location_id: Id | None = None


class SeriesCreate(VisitCreate):
    count: StrictInt = Field(ge=1, le=52)
    every_days: StrictInt = Field(default=7, ge=1, le=90, description="Days between visits")


class Reschedule(Change):
    start: Instant
    version: StrictInt | None = Field(
        default=None, ge=1, le=2**31 - 1, description="Refuse with 409 if the visit changed since"
    )


class Cancellation(Change):
    reason: Text = ""


class AppointmentPublic(Public):
    id: int
    position: int
    service: str
    practitioner_id: int
    room_id: int
    start: datetime
    end: datetime
    status: VisitStatus


class VisitPublic(Public):
    id: int
    patient_id: int
    location_id: int
    plan_id: int | None
    status: VisitStatus
    version: int
    start: datetime
    end: datetime
    booked_at: datetime
    booked_by: str
    confirmed: bool
    confirmed_at: datetime | None
    checked_in_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    late_cancel: bool
    attention: str | None
    appointments: list[AppointmentPublic]


class PlanPublic(Public):
    id: int
    patient_id: int
    visits: list[VisitPublic]


class SlotAppointment(Public):
    service: str
    practitioner_id: int
    room_id: int
    start: datetime
    end: datetime


class SlotPublic(Public):
    start: datetime
    appointments: list[SlotAppointment]


class Availability(Public):
    slots: list[SlotPublic]


class ScheduledAppointment(Public):
    visit_id: int
    patient_id: int
    patient: str
    start: datetime
    end: datetime
    service: str
    visit_services: list[str]
    room: str
    status: VisitStatus
    confirmed: bool
    intake_flags: list[Contraindication]
    first_needling: bool
    last_soreness: int | None = Field(description="The patient's latest 0-10 score by text")
    attention: str | None


class DaySchedule(Public):
    practitioner_id: int
    date: date
    appointments: list[ScheduledAppointment]


class MessagePublic(Public):
    id: int
    kind: str
    template: str
    send_at: datetime
    status: MessageStatus
    error: str | None = Field(description="The provider's error code, if it failed")
    reason: str | None = Field(description="Why it was skipped or cancelled")
    body: str | None = Field(description="The text as sent; empty until it is rendered")


def visit_public(view: VisitView) -> VisitPublic:
    visit = view.visit
    return VisitPublic.model_validate(
        visit.model_dump()
        | {
            "start": view.starts_at,
            "end": view.ends_at,
            "confirmed": visit.confirmed_at is not None,
            "appointments": [
                AppointmentPublic(
                    id=appointment.id or 0,
                    position=appointment.position,
                    service=code,
                    practitioner_id=appointment.practitioner_id,
                    room_id=appointment.room_id,
                    start=appointment.starts_at,
                    end=appointment.ends_at,
                    status=appointment.status,
                )
                for appointment, code in view.appointments
            ],
        }
    )


def slot_public(slot: Slot) -> SlotPublic:
    return SlotPublic(
        start=slot.starts_at,
        appointments=[
            SlotAppointment(
                service=planned.service.code,
                practitioner_id=planned.practitioner_id,
                room_id=planned.room_id,
                start=planned.starts_at,
                end=planned.ends_at,
            )
            for planned in slot.appointments
        ],
    )


def scheduled_appointment(entry: day_sheet.ScheduledAppointment) -> ScheduledAppointment:
    return ScheduledAppointment.model_validate(
        vars(entry) | {"start": entry.starts_at, "end": entry.ends_at}
    )


def message_public(message: Message) -> MessagePublic:
    return MessagePublic.model_validate(message.model_dump() | {"error": message.error_code})

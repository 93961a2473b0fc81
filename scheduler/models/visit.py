"""Visits and their appointments: what the schedule is made of."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from scheduler.models.columns import enum_column, instant


class VisitStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# Statuses whose appointments hold their practitioner, room and patient. The database constraints
# (see the first migration) list the same values.
HOLDS_TIME = (VisitStatus.BOOKED, VisitStatus.CHECKED_IN, VisitStatus.COMPLETED)


class TreatmentPlan(SQLModel, table=True):
    """A series of visits booked together, e.g. six weekly sessions."""

    __tablename__ = "treatment_plan"
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    every_days: int | None = Field(default=None, description="Days between visits; extends use it")
    created_at: datetime = instant()


class Visit(SQLModel, table=True):
    """One trip to the clinic; its appointments run back to back and are booked whole."""

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    location_id: int = Field(foreign_key="location.id")
    plan_id: int | None = Field(default=None, foreign_key="treatment_plan.id", index=True)
    status: VisitStatus = Field(default=VisitStatus.BOOKED, sa_type=enum_column(VisitStatus))
    version: int = Field(default=1, description="Bumped on every move; messages check it")
    booked_at: datetime = instant()
    booked_by: str = ""
    confirmed_at: datetime | None = instant(nullable=True)
    checked_in_at: datetime | None = instant(nullable=True)
    completed_at: datetime | None = instant(nullable=True)
    cancelled_at: datetime | None = instant(nullable=True)
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    late_cancel: bool = False
    moved_late: bool = Field(
        default=False,
        description="Moved from inside the late-cancel window: cancelling it later counts as late",
    )
    soreness: int | None = Field(default=None, description="Latest 0-10 score the patient sent")
    attention: str | None = Field(default=None, description="Why a person should look at it")


class Appointment(SQLModel, table=True):
    """One service in a visit.

    `busy_until` is `ends_at` plus the service's cleanup time. It is stored because the database
    constraints that forbid double booking need the whole busy range in the row. Within one
    visit the parts follow each other at once: cleanup holds the room against other visits, not
    the practitioner against the next part of the same visit.
    """

    # Who is busy in a window, answered from this index alone (migration 0008).
    __table_args__ = (
        sa.Index(
            "ix_appointment_busy_time",
            "starts_at",
            "busy_until",
            "practitioner_id",
            "room_id",
            "status",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    position: int = Field(ge=0, description="Order within the visit")
    service_id: int = Field(foreign_key="service.id")
    practitioner_id: int = Field(foreign_key="practitioner.id", index=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    starts_at: datetime = instant(index=True)
    ends_at: datetime = instant()
    busy_until: datetime = instant()
    status: VisitStatus = Field(default=VisitStatus.BOOKED, sa_type=enum_column(VisitStatus))

"""Tables of the clinic: import from here."""

from scheduler.models.clinic import (
    Location,
    OpeningHours,
    Practitioner,
    Profession,
    Room,
    RoomKind,
    Service,
    ServiceKind,
    TimeOff,
    WorkingHours,
)
from scheduler.models.patient import Contraindication, Intake, Patient
from scheduler.models.visit import HOLDS_TIME, Appointment, TreatmentPlan, Visit, VisitStatus

__all__ = [
    "HOLDS_TIME",
    "Appointment",
    "Contraindication",
    "Intake",
    "Location",
    "OpeningHours",
    "Patient",
    "Practitioner",
    "Profession",
    "Room",
    "RoomKind",
    "Service",
    "ServiceKind",
    "TimeOff",
    "TreatmentPlan",
    "Visit",
    "VisitStatus",
    "WorkingHours",
]

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
from scheduler.models.messaging import (
    PENDING,
    InboundMessage,
    Message,
    MessageStatus,
    MessageTemplate,
    SmsOptOut,
)
from scheduler.models.patient import Contraindication, Intake, Patient
from scheduler.models.visit import HOLDS_TIME, Appointment, TreatmentPlan, Visit, VisitStatus

__all__ = [
    "HOLDS_TIME",
    "PENDING",
    "Appointment",
    "Contraindication",
    "InboundMessage",
    "Intake",
    "Location",
    "Message",
    "MessageStatus",
    "MessageTemplate",
    "OpeningHours",
    "Patient",
    "Practitioner",
    "Profession",
    "Room",
    "RoomKind",
    "Service",
    "ServiceKind",
    "SmsOptOut",
    "TimeOff",
    "TreatmentPlan",
    "Visit",
    "VisitStatus",
    "WorkingHours",
]

"""Tables of the clinic: import from here."""

from scheduler.models.account import (
    ApiToken,
    AuditEntry,
    CalendarFeed,
    LoginAttempt,
    LoginSession,
    Role,
    User,
)
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
    SendWindow,
    SmsOptOut,
)
from scheduler.models.patient import Contraindication, Intake, Patient
from scheduler.models.visit import HOLDS_TIME, Appointment, TreatmentPlan, Visit, VisitStatus

__all__ = [
    "HOLDS_TIME",
    "PENDING",
    "ApiToken",
    "Appointment",
    "AuditEntry",
    "CalendarFeed",
    "Contraindication",
    "InboundMessage",
    "Intake",
    "Location",
    "LoginAttempt",
    "LoginSession",
    "Message",
    "MessageStatus",
    "MessageTemplate",
    "OpeningHours",
    "Patient",
    "Practitioner",
    "Profession",
    "Role",
    "Room",
    "RoomKind",
    "SendWindow",
    "Service",
    "ServiceKind",
    "SmsOptOut",
    "TimeOff",
    "TreatmentPlan",
    "User",
    "Visit",
    "VisitStatus",
    "WorkingHours",
]

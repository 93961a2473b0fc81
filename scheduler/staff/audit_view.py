"""The audit log in the clinic's words: "Greg Diaz's visit on Tue 8 Dec 10:00, booked by
frontdesk", on the clinic's clock, instead of `visit.booked visit:139 start=...+00:00`.

Entries stay as written (the table refuses changes); this only reads them, with the patients and
visits they name looked up in two statements whatever their number.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from scheduler.core.wallclock import as_the_clinic_says
from scheduler.models import Appointment, AuditEntry, Patient, Visit

# What each action did, as a sentence's verb; an action not named reads as its own words.
DID = {
    "visit.booked": "booked",
    "visit.moved": "moved",
    "visit.cancelled": "cancelled",
    "visit.restored": "booked again (cancellation undone)",
    "visit.checked_in": "checked in",
    "visit.completed": "completed",
    "visit.no_show": "marked as did not come",
    "visit.confirmed": "confirmed",
    "intake.viewed": "intake looked at",
    "intake.recorded": "intake recorded",
    "intake.signed": "intake signed",
    "intake.reviewed": "intake reviewed",
    "intake.link_sent": "intake form texted",
    "intake.link_made": "intake link made to read out",
    "patient.created": "added",
    "patient.updated": "details changed",
    "plan.booked": "treatment plan booked",
    "plan.extended": "treatment plan extended",
    "consent.revised": "consent text saved as a new version",
}


@dataclass(frozen=True)
class ReadableEntry:
    at: datetime
    who: str
    about: str  # the thing it concerns, in words
    did: str
    detail: str
    subject: str  # the entry's own key, to list everything about the same thing


def readable(
    session: Session, entries: Sequence[AuditEntry], *, zone: ZoneInfo
) -> list[ReadableEntry]:
    patients = _patient_names(session, entries)
    visits = _visits(session, entries, zone)
    return [
        ReadableEntry(
            at=entry.at,
            who=_who(entry.actor, patients),
            about=_about(entry.subject, patients, visits),
            did=DID.get(entry.action, entry.action.replace(".", " ").replace("_", " ")),
            detail=_detail(entry.detail, zone),
            subject=entry.subject,
        )
        for entry in entries
    ]


def _who(actor: str, patients: dict[int, str]) -> str:
    if actor.startswith("user:"):
        return actor.split(" ", 1)[-1]
    if actor.startswith("patient:"):
        return f"{patients.get(_id(actor), 'the patient')} (by link or text)"
    return "Triggerpoint" if actor == "system" else actor


def _about(subject: str, patients: dict[int, str], visits: dict[int, str]) -> str:
    kind, _, key = subject.partition(":")
    if kind == "visit" and key.isdigit():
        return visits.get(int(key), f"visit {key}")
    if kind == "patient" and key.isdigit():
        return patients.get(int(key), f"patient {key}")
    return subject.replace(":", " ").replace("_", " ")


def _detail(detail: str, zone: ZoneInfo) -> str:
    """A start time given as a UTC instant, on the clinic's clock."""
    if detail.startswith("start="):
        try:
            start = datetime.fromisoformat(detail.removeprefix("start="))
        except ValueError:
            return detail
        return f"to {as_the_clinic_says(start, zone)}"
    return detail


def _patient_names(session: Session, entries: Sequence[AuditEntry]) -> dict[int, str]:
    ids = {
        _id(value)
        for entry in entries
        for value in (entry.subject, entry.actor)
        if value.startswith("patient:") and value.removeprefix("patient:").isdigit()
    }
    rows = session.exec(select(Patient.id, Patient.name).where(col(Patient.id).in_(ids)))
    return {patient_id: name for patient_id, name in rows if patient_id is not None}


def _visits(session: Session, entries: Sequence[AuditEntry], zone: ZoneInfo) -> dict[int, str]:
    """Each visit named: whose, and when it starts now."""
    ids = {
        int(entry.subject.removeprefix("visit:"))
        for entry in entries
        if entry.subject.startswith("visit:") and entry.subject.removeprefix("visit:").isdigit()
    }
    rows = session.exec(
        select(Visit.id, Patient.name, func.min(Appointment.starts_at))
        .join(Patient, col(Patient.id) == Visit.patient_id)
        .join(Appointment, col(Appointment.visit_id) == Visit.id)
        .where(col(Visit.id).in_(ids))
        .group_by(col(Visit.id), col(Patient.name))
    )
    return {
        visit_id: f"{name}'s visit on {as_the_clinic_says(starts_at, zone)}"
        for visit_id, name, starts_at in rows
        if visit_id is not None
    }


def _id(key: str) -> int:
    return int(key.partition(":")[2])

"""Why a visit is cancelled, chosen from the front desk's short list, and undoing a cancellation
while its time is still free.

Undo is a booking again, at the same time with the same practitioners and rooms, by the same
rules, within `Policy.undo_window` of the cancellation. The visit keeps its id and gets a new
version, so texts planned for it before the cancellation stay withdrawn.
"""

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from scheduler.clinic.catalogue import resolve_location
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.errors import RuleViolation
from scheduler.core.policy import Policy
from scheduler.messaging import outbox
from scheduler.models import Appointment, Visit, VisitStatus
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.placement import place_visit
from scheduler.scheduling.visits import appointments_of, get_visit, service_codes, wrong_status

# The front desk's reasons, as its list shows them; "other" needs a few words of its own.
REASONS = {
    "patient_called": "The patient called to cancel",
    "illness": "The patient is ill",
    "clinic": "The clinic cancelled",
    "other": "Another reason",
}


def cancel_reason(choice: str, words: str = "") -> str:
    """The reason to record: the chosen one in words, or the words typed for "other"."""
    if choice not in REASONS:
        raise RuleViolation("Choose why the visit is cancelled.", field="reason", code="no_reason")
    if choice != "other":
        return REASONS[choice]
    words = " ".join(words.split())
    if not words:
        raise RuleViolation(
            "Say in a few words why the visit is cancelled.",
            field="reason_text",
            code="no_reason",
        )
    return words[:200]


def may_undo(visit: Visit, *, now: datetime, policy: Policy) -> bool:
    """Whether the cancellation is recent enough to undo (its time may still be taken)."""
    return (
        visit.status == VisitStatus.CANCELLED
        and visit.cancelled_at is not None
        and now - visit.cancelled_at < policy.undo_window
    )


def undo_cancellation(
    session: Session, *, visit_id: int, now: datetime, actor: str, policy: Policy
) -> Visit:
    """The visit booked again as it was, if its time is still free and the rules still allow it;
    the cancellation notice withdrawn if it has not gone, the reminders planned again."""
    visit = get_visit(session, visit_id)
    if visit.status != VisitStatus.CANCELLED:
        raise wrong_status(visit, "restored")
    if not may_undo(visit, now=now, policy=policy):
        minutes = int(policy.undo_window.total_seconds() // 60)
        raise RuleViolation(
            f"A cancellation can be undone for {minutes} minutes; book the visit again instead.",
            field="visit_id",
            code="undo_expired",
        )
    appointments = appointments_of(session, visit_id)
    codes = service_codes(session, appointments)
    place_visit(
        session,
        now=now,
        patient=get_patient(session, visit.patient_id),
        location=resolve_location(session, visit.location_id),
        start=appointments[0].starts_at,
        parts=[
            PartRequest(codes[a.service_id], practitioner_id=a.practitioner_id, room_id=a.room_id)
            for a in appointments
        ],
        policy=policy,
        excluding_visit=visit_id,
    )
    session.execute(
        update(Appointment)
        .where(col(Appointment.visit_id) == visit_id)
        .values(status=VisitStatus.BOOKED)
    )
    session.execute(
        update(Visit)
        .where(col(Visit.id) == visit_id)
        .values(
            status=VisitStatus.BOOKED,
            version=Visit.version + 1,
            cancelled_at=None,
            cancelled_by=None,
            cancel_reason=None,
            late_cancel=False,
        )
    )
    session.refresh(visit)
    outbox.on_restored(session, visit=visit, now=now, policy=policy)
    audit.record(
        session, actor=actor, action="visit.restored", subject=f"visit:{visit_id}", now=now
    )
    return visit

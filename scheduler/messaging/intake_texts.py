"""The intake form's texts: `intake_request` when a visit that needs a current intake is booked
without one (or staff send the form), and `intake_reminder` REMINDER_BEFORE the visit.

A text of a visit belongs to it: it is withdrawn with the visit's other texts when the visit
moves, is cancelled or ends, and never goes after the visit starts. Every intake text still
waiting is withdrawn once the patient sends the form. Each text carries a link of its own,
working for 14 days from when the text is due.
"""

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from scheduler.clinic.catalogue import resolve_location
from scheduler.clinic.intake import is_current
from scheduler.clinic.intake_links import issue_link
from scheduler.core.policy import Policy
from scheduler.core.wallclock import clinic_zone
from scheduler.messaging.planning import PlannedMessage, within_window
from scheduler.messaging.send_window import send_window
from scheduler.models import (
    PENDING,
    Intake,
    IntakeLink,
    Message,
    MessageStatus,
    Patient,
    ServiceKind,
    Visit,
)

REQUEST = "intake_request"
REMINDER = "intake_reminder"
KINDS = (REQUEST, REMINDER)
REMINDER_BEFORE = timedelta(hours=48)
NEEDS_INTAKE = {ServiceKind.ASSESSMENT, ServiceKind.DRY_NEEDLING}
ACTOR = "triggerpoint"  # links issued because a visit was booked


def for_visit(
    session: Session,
    *,
    visit: Visit,
    start: datetime,
    kinds: set[ServiceKind],
    now: datetime,
    policy: Policy,
    first_at: datetime,
    request: bool,
) -> list[PlannedMessage]:
    """The intake texts a visit needs: none when it has no assessment or needling or the intake
    will still be current at its start; else the request at `first_at` (unless `request` is
    False: it went already) and the reminder, when that falls after it."""
    if not kinds & NEEDS_INTAKE:
        return []
    intake = session.exec(select(Intake).where(Intake.patient_id == visit.patient_id)).first()
    if is_current(intake, now=start, policy=policy):
        return []
    due = [(REQUEST, first_at)] if request else []
    reminder_at = start - REMINDER_BEFORE
    if reminder_at > first_at:
        due.append((REMINDER, reminder_at))
    return [
        PlannedMessage(kind, kind, send_at, start, _link(session, visit, now, send_at).id)
        for kind, send_at in due
    ]


def request_sent(session: Session, *, visit: Visit) -> bool:
    """Whether the visit's intake request has gone or is going out (not withdrawn)."""
    query = select(Message.id).where(
        Message.visit_id == visit.id,
        Message.kind == REQUEST,
        col(Message.status).not_in([*PENDING, MessageStatus.CANCELLED, MessageStatus.SKIPPED]),
    )
    return session.exec(query.limit(1)).first() is not None


def send_form(
    session: Session, *, patient_id: int, now: datetime, actor: str, policy: Policy
) -> IntakeLink:
    """A new link, and its text planned for now (or the send window's next opening)."""
    patient = session.get_one(Patient, patient_id)
    zone = clinic_zone(resolve_location(session, None).time_zone)
    send_at = within_window(now, zone=zone, window=send_window(session, policy))
    link = issue_link(session, patient_id=patient_id, now=now, actor=actor, sent_at=send_at)
    session.add(
        Message(
            idempotency_key=f"intake:{link.id}",
            patient_id=patient_id,
            intake_link_id=link.id,
            kind=REQUEST,
            template=REQUEST,
            to_phone=patient.phone,
            send_at=send_at,
            not_after=link.expires_at,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()
    return link


def withdraw_intake_texts(session: Session, *, patient_id: int, now: datetime) -> None:
    """The patient sent the form: intake texts still waiting would ask again for nothing."""
    session.execute(
        update(Message)
        .where(
            col(Message.patient_id) == patient_id,
            col(Message.kind).in_(KINDS),
            col(Message.status).in_(PENDING),
        )
        .values(status=MessageStatus.CANCELLED, reason="intake received", updated_at=now)
    )


def _link(session: Session, visit: Visit, now: datetime, send_at: datetime) -> IntakeLink:
    return issue_link(
        session,
        patient_id=visit.patient_id,
        now=now,
        actor=ACTOR,
        visit_id=visit.id,
        sent_at=send_at,
    )

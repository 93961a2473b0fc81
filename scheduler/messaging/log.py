"""What staff read about texts: a visit's messages and the replies that need a person."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, update
from sqlmodel import Session, col, select

from scheduler.core import audit
from scheduler.core.errors import not_found
from scheduler.models import Appointment, InboundMessage, Message, Patient, Service

# The inbox's order: warning signs first, then patients who can no longer be texted (they may
# have meant to cancel a visit), then the rest; newest first within each.
FIRST_READ = case(
    (col(InboundMessage.meaning) == "urgent", 0),
    (col(InboundMessage.meaning) == "stop", 1),
    else_=2,
)


@dataclass(frozen=True)
class VisitNamed:
    """A visit as the inbox names it: when it starts and what it is."""

    starts_at: datetime
    services: list[str]


@dataclass(frozen=True)
class InboxEntry:
    reply: InboundMessage
    patient_name: str | None  # None when the number is not a patient's
    visit: VisitNamed | None = None  # the visit the reply concerns


def messages_of_visit(session: Session, visit_id: int) -> Sequence[Message]:
    """Every text about the visit, in the order they are (or were) due."""
    return session.exec(
        select(Message)
        .where(Message.visit_id == visit_id)
        .order_by(col(Message.send_at), col(Message.id))
    ).all()


def replies_needing_attention(session: Session, *, limit: int = 100) -> list[InboxEntry]:
    """Unhandled replies a person should read (warning signs, opt-outs, high soreness,
    anything not understood), in the order of `FIRST_READ`."""
    rows = session.exec(
        select(InboundMessage, Patient.name)
        .join(Patient, col(Patient.id) == InboundMessage.patient_id, isouter=True)
        .where(col(InboundMessage.needs_attention), col(InboundMessage.handled_at).is_(None))
        .order_by(FIRST_READ, col(InboundMessage.received_at).desc(), col(InboundMessage.id).desc())
        .limit(limit)
    ).all()
    visits = _visits_named(session, {reply.visit_id for reply, _ in rows if reply.visit_id})
    return [
        InboxEntry(reply=reply, patient_name=name, visit=visits.get(reply.visit_id or 0))
        for reply, name in rows
    ]


def _visits_named(session: Session, visit_ids: set[int]) -> dict[int, VisitNamed]:
    """The visits' starts and services, in one query whatever their number."""
    rows = session.exec(
        select(Appointment.visit_id, Appointment.starts_at, Service.name)
        .join(Service, col(Service.id) == Appointment.service_id)
        .where(col(Appointment.visit_id).in_(visit_ids))
        .order_by(col(Appointment.visit_id), col(Appointment.position))
    ).all()
    named: dict[int, VisitNamed] = {}
    for visit_id, starts_at, service in rows:
        named.setdefault(visit_id, VisitNamed(starts_at, [])).services.append(service)
    return named


def replies_waiting(session: Session) -> int:
    """How many replies `replies_needing_attention` would list without a limit."""
    return session.exec(
        select(func.count())
        .select_from(InboundMessage)
        .where(col(InboundMessage.needs_attention), col(InboundMessage.handled_at).is_(None))
    ).one()


def mark_handled(session: Session, *, reply_id: int, now: datetime, actor: str) -> None:
    """Takes a reply off the inbox, in the audit log under `actor`; twice is harmless."""
    if session.get(InboundMessage, reply_id) is None:
        raise not_found("reply", reply_id)
    session.execute(
        update(InboundMessage)
        .where(col(InboundMessage.id) == reply_id, col(InboundMessage.handled_at).is_(None))
        .values(handled_at=now)
    )
    audit.record(session, actor=actor, action="reply.handled", subject=f"reply:{reply_id}", now=now)

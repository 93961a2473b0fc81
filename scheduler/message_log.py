"""What staff read about texts: a visit's messages and the replies that need a person."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from scheduler import audit
from scheduler.errors import not_found
from scheduler.models import InboundMessage, Message, Patient


@dataclass(frozen=True)
class InboxEntry:
    reply: InboundMessage
    patient_name: str | None  # None when the number is not a patient's


def messages_of_visit(session: Session, visit_id: int) -> Sequence[Message]:
    """Every text about the visit, in the order they are (or were) due."""
    return session.exec(
        select(Message)
        .where(Message.visit_id == visit_id)
        .order_by(col(Message.send_at), col(Message.id))
    ).all()


def replies_needing_attention(session: Session, *, limit: int = 100) -> list[InboxEntry]:
    """Unhandled replies a person should read (urgent words, high soreness, anything not
    understood), newest first."""
    rows = session.exec(
        select(InboundMessage, Patient.name)
        .join(Patient, col(Patient.id) == InboundMessage.patient_id, isouter=True)
        .where(col(InboundMessage.needs_attention), col(InboundMessage.handled_at).is_(None))
        .order_by(col(InboundMessage.received_at).desc(), col(InboundMessage.id).desc())
        .limit(limit)
    ).all()
    return [InboxEntry(reply=reply, patient_name=name) for reply, name in rows]


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

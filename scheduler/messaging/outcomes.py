"""What became of a text once it was handed to the provider, recorded on its row: accepted, or
failed (to try again shortly, to reconcile, or for good); and numbers that asked for no texts.

Recorded here and decided in `sending`, so the state of every text lives in its row.
"""

from datetime import datetime

from sqlalchemy.engine import Connection
from sqlmodel import Session

from scheduler.messaging.statements import RECORD_ACCEPTED
from scheduler.models import Message, MessageStatus, SmsOptOut

UNSUBSCRIBED = "21610"


def record_accepted(connection: Connection, *, message_id: int, sid: str, now: datetime) -> None:
    """The provider took the text. A status callback may have overtaken this (it carries our id
    in its URL): then only the SID is filled in and the later status stays."""
    connection.execute(RECORD_ACCEPTED, {"message_id": message_id, "sid": sid, "now": now})


def record_failure(
    session: Session,
    *,
    message_id: int,
    code: str | None,
    permanent: bool,
    ambiguous: bool,
    now: datetime,
    max_attempts: int,
) -> bool:
    """Record what went wrong; True when the caller should try again shortly.

    Permanent errors are never retried (an unsubscribed number also opts the number out). An
    ambiguous one (the provider may have the text) leaves the row `unknown` for reconciliation:
    resending blindly could text the patient twice.
    """
    message = session.get_one(Message, message_id)
    message.error_code = code
    message.updated_at = now
    retry = not permanent and not ambiguous and message.attempts < max_attempts
    if permanent or (not ambiguous and not retry):
        message.status = MessageStatus.FAILED
    elif ambiguous:
        message.status = MessageStatus.UNKNOWN
    else:
        message.status = MessageStatus.QUEUED
    if code == UNSUBSCRIBED:
        opt_out(session, phone=message.to_phone, keyword="provider 21610", now=now)
    session.add(message)
    return retry


def opt_out(session: Session, *, phone: str, keyword: str, now: datetime) -> None:
    """No more texts to `phone` (until START removes the row); a second opt-out keeps the first."""
    if session.get(SmsOptOut, phone) is None:
        session.add(SmsOptOut(phone=phone, opted_out_at=now, keyword=keyword))
        session.flush()

"""Settle texts left `unknown`: the provider may have taken them when no answer came back.

Never resend blindly. Ask the provider what it sent to that number since the attempt; a text
with the same body is ours (its SID goes on the row). Only when nothing matches does the row go
back to `scheduled` to be sent again. Status callbacks settle most of these rows first, since
their URL carries our id.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.core import db
from scheduler.models import Message, MessageStatus
from workers.sms import SmsError, SmsGateway

log = logging.getLogger(__name__)
SETTLE_AFTER = timedelta(minutes=2)  # give status callbacks a chance first
LOOK_BACK = timedelta(minutes=1)


def reconcile_unknown(engine: Engine, *, gateway: SmsGateway, now: datetime) -> tuple[int, int]:
    """(found at the provider, queued to send again)."""
    with db.session(engine) as session:
        rows = session.exec(
            select(Message).where(
                col(Message.status) == MessageStatus.UNKNOWN,
                col(Message.updated_at) < now - SETTLE_AFTER,
            )
        ).all()
    found = resend = 0
    for message in rows:
        try:
            sid = _sid_at_provider(engine, gateway, message)
        except SmsError as error:
            log.warning("cannot reconcile message %s yet: %s", message.id, error)
            continue
        _settle(engine, message, sid, now)
        found, resend = (found + 1, resend) if sid else (found, resend + 1)
    return found, resend


def _sid_at_provider(engine: Engine, gateway: SmsGateway, message: Message) -> str | None:
    """The SID of a text to the same number with the same words that no other row owns."""
    since = (message.claimed_at or message.updated_at) - LOOK_BACK
    candidates = [
        record.sid
        for record in gateway.sent_since(to=message.to_phone, since=since)
        if record.body == message.body
    ]
    with db.session(engine) as session:
        owned = set(
            session.exec(
                select(Message.provider_sid).where(col(Message.provider_sid).in_(candidates))
            )
        )
    return next((sid for sid in candidates if sid not in owned), None)


def _settle(engine: Engine, message: Message, sid: str | None, now: datetime) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        row = session.get_one(Message, message.id)
        if row.status != MessageStatus.UNKNOWN:
            return  # a status callback settled it meanwhile
        if sid is not None:
            row.status, row.provider_sid = MessageStatus.SENT, sid
        else:
            row.status, row.reason = MessageStatus.SCHEDULED, "not found at the provider"
            row.send_at = now
        row.updated_at = now
        session.add(row)

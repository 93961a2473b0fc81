"""What the provider's status callbacks tell us, applied as a one-way state machine.

Callbacks can repeat and arrive out of order: a late "sent" must never overwrite "delivered",
and a final state is final. A callback also carries our message id (in its URL), so it binds
the provider's SID to a row whose send outcome was lost ("unknown").
"""

from datetime import datetime

from sqlmodel import Session

from scheduler.models import Message, MessageStatus

RANK = {
    MessageStatus.UNKNOWN: 0,
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.UNDELIVERED: 3,
    MessageStatus.FAILED: 3,
}
PROVIDER_STATUS = {
    "queued": MessageStatus.SENDING,
    "accepted": MessageStatus.SENDING,
    "sending": MessageStatus.SENDING,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
}


def apply_status(
    session: Session,
    *,
    message_id: int,
    sid: str,
    provider_status: str,
    error_code: str | None,
    now: datetime,
) -> bool:
    """Move the message forward if this news is newer; True when anything changed."""
    message = session.get(Message, message_id)
    new = PROVIDER_STATUS.get(provider_status)
    if message is None or new is None or message.status not in RANK:
        return False
    if message.provider_sid not in (None, sid):
        return False  # the callback is about another provider message
    changed = message.provider_sid is None
    message.provider_sid = sid
    if RANK[new] > RANK[message.status]:
        message.status = new
        message.error_code = error_code or message.error_code
        changed = True
    if changed:
        message.updated_at = now
        session.add(message)
    return changed

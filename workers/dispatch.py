"""The dispatcher's work, one tick at a time: claim due rows, hand their ids to the queue.

Claiming is a single conditional update, so two dispatchers never claim the same row. Rows are
committed as `queued` before their ids are enqueued: if enqueueing fails, the sweeper returns
them to `scheduled` after a while, and they go out on a later tick.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlmodel import col

from scheduler import db
from scheduler.models import Message, MessageStatus

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=5)


def claim_due(engine: Engine, *, now: datetime, limit: int = 500) -> list[int]:
    """Ids of up to `limit` due messages, now ours and `queued`, oldest first.

    PostgreSQL skips rows another dispatcher holds (FOR UPDATE SKIP LOCKED); SQLite runs the
    statement under its write lock (BEGIN IMMEDIATE), which serialises dispatchers.
    """
    due = (
        select(col(Message.id))
        .where(col(Message.status) == MessageStatus.SCHEDULED, col(Message.send_at) <= now)
        .order_by(col(Message.send_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(Message)
        .where(col(Message.id).in_(due.scalar_subquery()))
        .values(status=MessageStatus.QUEUED, claimed_at=now, updated_at=now)
        .returning(col(Message.id))
    )
    with db.booking_session(engine) as session, db.transaction(session):
        return list(session.execute(claim).scalars())


def tick(engine: Engine, *, now: datetime, enqueue: Callable[[int], object]) -> int:
    """Claim what is due and enqueue it; returns how many messages were handed over."""
    ids = claim_due(engine, now=now)
    for message_id in ids:
        enqueue(message_id)
    return len(ids)


def return_stale_claims(engine: Engine, *, now: datetime) -> tuple[int, int]:
    """Queued rows whose task never ran go back to `scheduled`; rows stuck in `sending` (a
    worker died mid-send) become `unknown`, to be reconciled rather than resent blindly."""
    cutoff = now - STALE_AFTER
    with db.booking_session(engine) as session, db.transaction(session):
        requeued = session.execute(
            update(Message)
            .where(col(Message.status) == MessageStatus.QUEUED, col(Message.claimed_at) < cutoff)
            .values(status=MessageStatus.SCHEDULED, updated_at=now)
        )
        unknown = session.execute(
            update(Message)
            .where(col(Message.status) == MessageStatus.SENDING, col(Message.claimed_at) < cutoff)
            .values(status=MessageStatus.UNKNOWN, reason="worker lost mid-send", updated_at=now)
        )
    counts = (requeued.rowcount, unknown.rowcount)  # type: ignore[attr-defined]
    if any(counts):
        log.warning("returned %d stale queued rows; %d rows now unknown", *counts)
    return counts

"""The dispatcher's work, one tick at a time: claim due rows, clear them, hand their ids out.

Claiming is a single conditional update, so two dispatchers never claim the same row. Rows are
committed as `queued` before their ids are enqueued: if enqueueing fails, the sweeper returns
them to `scheduled` after a while, and they go out on a later tick. Between the two, the tick
reads the world of all its rows at once and clears those that go now (see
scheduler.messaging.sending), so that a worker claims each with one statement; the rest are
settled and never handed out.

A tick claims only what the queue has room for, so a claimed row waits seconds in Redis, not
minutes behind thousands of others: rows that fall due meanwhile stay in the database, where
a stopped or killed process cannot lose them and a later tick takes the earliest first.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlmodel import col

from scheduler.core import db
from scheduler.core.policy import Policy
from scheduler.messaging.sending import clear_for_sending
from scheduler.messaging.statements import FORGET_CLEARING
from scheduler.models import Message, MessageStatus
from scheduler.waitlist.offers import offer_openings

log = logging.getLogger(__name__)
# A queued row waits in a short queue, so one still queued after a minute lost its task (its
# dispatcher stopped before enqueueing, or the broker lost it).
QUEUED_STALE_AFTER = timedelta(minutes=1)
# A row in `sending` may be mid-call to the provider for as long as the client's timeouts allow:
# only well after that is its worker known to be gone.
SENDING_STALE_AFTER = timedelta(minutes=5)
CLAIM_LIMIT = 500


def claim_due(engine: Engine, *, now: datetime, limit: int = CLAIM_LIMIT) -> list[int]:
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
        # A row cleared before (then swept back, or sent again after reconciling) is decided anew.
        .values(status=MessageStatus.QUEUED, claimed_at=now, updated_at=now, **FORGET_CLEARING)
        .returning(col(Message.id))
    )
    with db.booking_session(engine) as session, db.transaction(session):
        return list(session.execute(claim).scalars())


def tick(
    engine: Engine,
    *,
    now: datetime,
    enqueue: Callable[[Sequence[int]], object],
    policy: Policy,
    public_url: str,
    room: int = CLAIM_LIMIT,
) -> int:
    """Claim what is due, at most `room` rows, clear them, and enqueue those that go all at
    once; returns how many messages were handed over. Links in the texts start with
    `public_url`."""
    if room <= 0:
        return 0
    ids = claim_due(engine, now=now, limit=min(room, CLAIM_LIMIT))
    if not ids:
        return 0
    with db.autocommit_connection(engine) as connection:
        ids = clear_for_sending(
            connection, message_ids=ids, now=now, policy=policy, public_url=public_url
        )
    if ids:
        enqueue(ids)
    return len(ids)


def offer_freed_time(engine: Engine, *, now: datetime, policy: Policy, public_url: str) -> int:
    """Expire unanswered waitlist offers and offer freed time to the next patients."""
    with db.booking_session(engine) as session, db.transaction(session):
        return offer_openings(session, now=now, policy=policy, public_url=public_url)


def return_stale_claims(
    engine: Engine,
    *,
    now: datetime,
    queued_after: timedelta = QUEUED_STALE_AFTER,
    sending_after: timedelta = SENDING_STALE_AFTER,
) -> tuple[int, int]:
    """Queued rows whose task never ran go back to `scheduled`; rows stuck in `sending` (a
    worker died mid-send) become `unknown`, to be reconciled rather than resent blindly."""
    with db.booking_session(engine) as session, db.transaction(session):
        requeued = session.execute(
            update(Message)
            .where(col(Message.status) == MessageStatus.QUEUED)
            .where(col(Message.claimed_at) < now - queued_after)
            .values(status=MessageStatus.SCHEDULED, updated_at=now)
        )
        unknown = session.execute(
            update(Message)
            .where(col(Message.status) == MessageStatus.SENDING)
            .where(col(Message.claimed_at) < now - sending_after)
            .values(status=MessageStatus.UNKNOWN, reason="worker lost mid-send", updated_at=now)
        )
    counts = (requeued.rowcount, unknown.rowcount)  # type: ignore[attr-defined]
    if any(counts):
        log.warning("returned %d stale queued rows; %d rows now unknown", *counts)
    return counts

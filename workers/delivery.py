"""Send one outbox message: claim it, re-check it, hand it to the gateway, record the outcome.

Never holds a database transaction across the network call.
"""

import logging
import random
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from scheduler.core import db
from scheduler.core.policy import Policy
from scheduler.messaging.outcomes import record_accepted, record_failure
from scheduler.messaging.sending import claim_for_sending
from scheduler.models import Message
from workers.sms import SmsError, SmsGateway, mask_phone

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 1.0
# Well under the broker's visibility timeout: a retry held longer would be handed out twice.
BACKOFF_CAP_SECONDS = 30.0


class TryAgain(Exception):
    """A transient failure: the task should run again after `countdown` seconds."""

    def __init__(self, countdown: float) -> None:
        super().__init__(f"try again in {countdown:.1f} s")
        self.countdown = countdown


def deliver(
    engine: Engine,
    message_id: int,
    *,
    gateway: SmsGateway,
    clock: Callable[[], datetime],
    policy: Policy,
    public_url: str,
) -> None:
    with db.autocommit_connection(engine) as connection:
        ready = claim_for_sending(
            connection, message_id=message_id, now=clock(), policy=policy, public_url=public_url
        )
    if ready is None:
        return
    try:
        accepted = gateway.send(to=ready.to, body=ready.body, message_id=message_id)
    except SmsError as error:
        _record_failure(engine, message_id, error, clock())
        return
    with db.autocommit_connection(engine) as connection:
        record_accepted(connection, message_id=message_id, sid=accepted.sid, now=clock())
    log.info("message %d to %s accepted as %s", message_id, mask_phone(ready.to), accepted.sid)


def _record_failure(engine: Engine, message_id: int, error: SmsError, now: datetime) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        retry = record_failure(
            session,
            message_id=message_id,
            code=str(error.code) if error.code is not None else None,
            permanent=error.permanent,
            ambiguous=error.ambiguous,
            now=now,
            max_attempts=MAX_ATTEMPTS,
        )
        attempts = session.get_one(Message, message_id).attempts
    log.warning("message %d failed (attempt %d): %s", message_id, attempts, error)
    if retry:
        raise TryAgain(backoff(attempts))


def backoff(attempts: int) -> float:
    """Exponential, capped, with full jitter so retries of a burst spread out."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2 ** (attempts - 1))
    return random.uniform(ceiling / 2, ceiling)

"""Celery tasks: thin, like web views. The argument is an outbox id; the row says the rest."""

from collections.abc import Sequence
from functools import cache

from celery import Task
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.core.policy import Policy, current_policy
from scheduler.core.settings import get_settings
from workers.celery_app import app
from workers.delivery import TryAgain, backoff, deliver
from workers.sms import SmsGateway, gateway_from_settings

# Seconds after which a pooled connection is replaced before use. With a ping before every
# checkout instead, a text cost twice the statements. A connection the server dropped sooner
# fails the task's first statement, the pool is emptied, and the task runs again (see below).
RECYCLE_SECONDS = 300


@cache
def engine() -> Engine:
    return db.make_engine(pool_pre_ping=False, pool_recycle=RECYCLE_SECONDS)


@cache
def gateway() -> SmsGateway:
    return gateway_from_settings(get_settings())


@cache
def policy() -> Policy:
    """The settings are read once per process, so the policy is too."""
    return current_policy()


@app.task(bind=True, name="triggerpoint.send_message", max_retries=None)
def send_message(self: Task, message_id: int) -> None:
    try:
        deliver(
            engine(),
            message_id,
            gateway=gateway(),
            clock=utc_now,
            policy=policy(),
            public_url=get_settings().public_url,
        )
    except TryAgain as again:
        # Without its causes: deliver has logged the failure, and Celery would format the
        # whole chain, deep into the HTTP client, only to throw it away.
        raise self.retry(countdown=again.countdown) from None
    except OperationalError as lost:
        # The database went away: before the claim nothing happened; after the send, the run
        # again finds its row claimed and does nothing, and the sweep settles the row.
        raise self.retry(countdown=backoff(self.request.retries + 1)) from lost


def enqueue(message_ids: Sequence[int]) -> None:
    """Hand the ids to the workers, in one round trip to the broker."""
    with app.producer_or_acquire() as producer, producer.batch():
        for message_id in message_ids:
            send_message.apply_async((message_id,), producer=producer)


def waiting() -> int:
    """Tasks in the broker's queue that no worker has taken yet."""
    with app.connection_or_acquire() as connection:
        queue = connection.default_channel.queue_declare(queue=app.conf.task_default_queue)
    return int(queue.message_count)

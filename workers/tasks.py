"""Celery tasks: thin, like web views. The argument is an outbox id; the row says the rest."""

from functools import cache

from celery import Task
from sqlalchemy import Engine

from scheduler import db
from scheduler.clock import utc_now
from scheduler.policy import current_policy
from scheduler.settings import get_settings
from workers.celery_app import app
from workers.delivery import TryAgain, deliver
from workers.sms import SmsGateway, gateway_from_settings


@cache
def engine() -> Engine:
    return db.make_engine()


@cache
def gateway() -> SmsGateway:
    return gateway_from_settings(get_settings())


@app.task(bind=True, name="triggerpoint.send_message", max_retries=None)
def send_message(self: Task, message_id: int) -> None:
    try:
        deliver(engine(), message_id, gateway=gateway(), clock=utc_now, policy=current_policy())
    except TryAgain as again:
        raise self.retry(countdown=again.countdown) from again

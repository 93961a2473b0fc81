"""Texts sent through the real sending path to a hand-written sender."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import col

from scheduler.core import db
from scheduler.models import Message, MessageStatus
from tests.factories import POLICY
from workers.delivery import deliver
from workers.sms import Accepted, SentRecord, SmsError


@dataclass
class FakeSender:
    """Records what it is asked to send; fails as told first."""

    name: str = "fake"
    sent: list[tuple[str, str]] = field(default_factory=list)
    failures: list[SmsError] = field(default_factory=list)

    def send(self, *, to: str, body: str, message_id: int) -> Accepted:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((to, body))
        return Accepted(sid=f"SM{message_id:032d}", status="queued")

    def sent_since(self, *, to: str, since: datetime) -> list[SentRecord]:
        return []


def send_now(engine: Engine, message: Message, *, now: datetime, public_url: str) -> str:
    """Queue one outbox row as the dispatcher would and send it as a worker does; its words."""
    with db.booking_session(engine) as session, db.transaction(session):
        session.execute(
            update(Message).where(col(Message.id) == message.id).values(status=MessageStatus.QUEUED)
        )
    sender = FakeSender()
    deliver(
        engine,
        message.id or 0,
        gateway=sender,
        clock=lambda: now,
        policy=POLICY,
        public_url=public_url,
    )
    [(_, body)] = sender.sent
    return body

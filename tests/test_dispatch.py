"""Dispatchers claim due texts; two at once never claim the same one."""

import threading
from datetime import timedelta

from sqlalchemy import Engine, func
from sqlmodel import select

from scheduler import db
from scheduler.models import Message, MessageStatus
from tests.factories import CURRENT_TIME, make_clinic, make_patient
from workers.dispatch import claim_due, return_stale_claims

DUE = 1_000


def fill_outbox(engine: Engine, count: int) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        make_clinic(session)
        patient = make_patient(session)
        session.add_all(
            Message(
                idempotency_key=f"test:{n}",
                patient_id=patient.id or 0,
                kind="reply",
                template="reply_received",
                to_phone=patient.phone,
                send_at=CURRENT_TIME - timedelta(seconds=n),
                not_after=CURRENT_TIME + timedelta(hours=1),
                created_at=CURRENT_TIME,
                updated_at=CURRENT_TIME,
            )
            for n in range(count)
        )


def test_it_claims_each_due_message_once_with_two_dispatchers(engine: Engine) -> None:
    fill_outbox(engine, DUE)
    claimed: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def dispatcher(mine: list[int]) -> None:
        start.wait()
        while ids := claim_due(engine, now=CURRENT_TIME, limit=50):
            mine.extend(ids)

    threads = [threading.Thread(target=dispatcher, args=(mine,)) for mine in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = claimed[0] + claimed[1]
    assert len(everything) == len(set(everything)) == DUE
    with db.session(engine) as session:
        queued = session.exec(
            select(func.count()).select_from(Message).where(Message.status == MessageStatus.QUEUED)
        ).one()
    assert queued == DUE


def test_it_claims_nothing_before_it_is_due(engine: Engine) -> None:
    fill_outbox(engine, 3)

    assert claim_due(engine, now=CURRENT_TIME - timedelta(hours=1)) == []


def test_it_returns_claims_whose_task_was_lost(engine: Engine) -> None:
    fill_outbox(engine, 3)
    claim_due(engine, now=CURRENT_TIME)

    requeued, unknown = return_stale_claims(engine, now=CURRENT_TIME + timedelta(minutes=6))

    assert (requeued, unknown) == (3, 0)
    assert len(claim_due(engine, now=CURRENT_TIME + timedelta(minutes=6))) == 3

"""Dispatchers claim due texts; two at once never claim the same one."""

import threading
from datetime import timedelta

from sqlalchemy import Engine, func, update
from sqlmodel import col, select

from scheduler.core import db
from scheduler.models import Message, MessageStatus
from tests.factories import CURRENT_TIME, POLICY, PUBLIC_URL, make_clinic, make_patient
from workers.dispatch import claim_due, return_stale_claims, tick

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


def test_it_claims_no_more_than_the_queue_has_room_for(engine: Engine) -> None:
    fill_outbox(engine, 10)
    enqueued: list[int] = []

    handed = [
        tick(
            engine,
            now=CURRENT_TIME,
            enqueue=enqueued.extend,
            policy=POLICY,
            public_url=PUBLIC_URL,
            room=room,
        )
        for room in (4, 0)
    ]

    assert handed == [4, 0]
    assert len(enqueued) == 4


def test_it_leaves_a_text_being_sent_alone_longer_than_a_queued_one(engine: Engine) -> None:
    fill_outbox(engine, 2)
    claimed, sending = claim_due(engine, now=CURRENT_TIME)
    with db.booking_session(engine) as session, db.transaction(session):
        session.execute(
            update(Message).where(col(Message.id) == sending).values(status=MessageStatus.SENDING)
        )

    counts = return_stale_claims(engine, now=CURRENT_TIME + timedelta(minutes=2))

    assert counts == (1, 0)
    assert claim_due(engine, now=CURRENT_TIME + timedelta(minutes=2)) == [claimed]


def test_a_claimed_text_is_decided_anew_whatever_an_earlier_claim_cleared(engine: Engine) -> None:
    fill_outbox(engine, 1)
    with db.session(engine) as session, db.transaction(session):  # as a reconciled resend
        session.execute(update(Message).values(cleared_until=CURRENT_TIME, cleared_body="Hi"))

    [claimed] = claim_due(engine, now=CURRENT_TIME)

    with db.session(engine) as session:
        message = session.get_one(Message, claimed)
        assert (message.cleared_until, message.cleared_body) == (None, None)

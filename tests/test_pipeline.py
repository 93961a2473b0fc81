"""The whole path: outbox row, dispatcher tick, Redis, a real Celery worker process, the real
twilio client, the Twilio double. Time is controlled through the tick's `now`, not by sleeping."""

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlmodel import col, select

from scheduler.core import db, signing
from scheduler.core.clock import utc_now
from scheduler.models import Message
from scheduler.patients.replies import receive_text
from scheduler.scheduling.booking import reschedule_visit
from tests.factories import NEW_YORK, POLICY, assessed_patient, book, make_clinic
from tests.pipeline_fixtures import Pipeline, running_pipeline, start_dispatcher
from tests.twilio_fixtures import (
    Double,
    twilio_double,
    twilio_double_server,
)

pytestmark = pytest.mark.processes

__all__ = ["twilio_double", "twilio_double_server"]
ALEX = "+12125550101"


@pytest.fixture
def pipeline(
    engine: Engine, redis_url: str, twilio_double: Double, tmp_path: Path
) -> Iterator[Pipeline]:
    with running_pipeline(engine, redis_url, twilio_double, tmp_path) as pipeline:
        yield pipeline


def test_it_delivers_the_due_reminder_with_its_exact_text(pipeline: Pipeline) -> None:
    reminder = pipeline.message("reminder_24h")

    pipeline.tick(reminder.send_at)

    start = reminder.not_after.astimezone(NEW_YORK)
    with db.session(pipeline.engine) as session:
        link = signing.link(
            "http://127.0.0.1:9",
            signing.signing_key(session),
            signing.VISIT,
            reminder.visit_id or 0,
        )
    expected = (
        f"Riverside Physio: {start:%a %d %b} 10:00. Wear loose clothing. Reply C to confirm. {link}"
    )
    assert expected in pipeline.bodies(2)
    assert pipeline.settled_status("reminder_24h", "sent") == "sent"


def test_it_sends_nothing_for_a_visit_cancelled_while_its_texts_were_queued(
    pipeline: Pipeline,
) -> None:
    pipeline.worker.stop()
    reminder = pipeline.message("reminder_24h")
    assert pipeline.tick(reminder.send_at) == 2  # confirmation and reminder, waiting in Redis
    pipeline.cancel_visit()

    pipeline.worker.start()

    assert pipeline.bodies(1, timeout=3) == []
    assert pipeline.message("reminder_24h").status == "cancelled"


def test_it_sends_one_reminder_for_the_new_time_after_a_move(pipeline: Pipeline) -> None:
    day = pipeline.message("reminder_24h").not_after.astimezone(NEW_YORK).date()
    with db.booking_session(pipeline.engine) as session, db.transaction(session):
        reschedule_visit(
            session=session,
            now=utc_now(),
            visit_id=pipeline.visit.id or 0,
            start=pipeline.clinic.at(day, 15),
            policy=POLICY,
        )

    pipeline.tick(pipeline.message("reminder_24h").send_at)

    reminders = [b for b in pipeline.bodies(2) if "Wear loose clothing" in b]
    assert len(reminders) == 1
    assert " 15:00." in reminders[0]


def test_it_stops_texting_a_number_that_sent_stop_until_start(pipeline: Pipeline) -> None:
    with db.booking_session(pipeline.engine) as session, db.transaction(session):
        receive_text(
            session, sid="SM" + "5" * 32, from_phone=ALEX, body="STOP", now=utc_now(), policy=POLICY
        )
    pipeline.tick(pipeline.message("confirmation").send_at)
    assert pipeline.bodies(1, timeout=3) == []
    with db.booking_session(pipeline.engine) as session, db.transaction(session):
        receive_text(
            session,
            sid="SM" + "6" * 32,
            from_phone=ALEX,
            body="START",
            now=utc_now(),
            policy=POLICY,
        )

    pipeline.tick(utc_now())  # the answer to START goes at once
    pipeline.tick(pipeline.message("reminder_24h").send_at)

    bodies = pipeline.bodies(2)
    assert any("Wear loose clothing" in b for b in bodies)
    assert any("you will get our texts again" in b for b in bodies)


def test_it_backs_off_and_retries_a_rate_limited_send(pipeline: Pipeline) -> None:
    pipeline.double.set_faults(fault="429", next=2)
    started = time.monotonic()

    pipeline.tick(pipeline.message("confirmation").send_at)

    assert len(pipeline.bodies(1)) == 1
    elapsed = time.monotonic() - started
    confirmation = pipeline.message("confirmation")
    assert (confirmation.status, confirmation.attempts) == ("sent", 3)
    assert pipeline.double.requests()["total"] == 3
    assert elapsed >= 1.5  # two backoffs: at least 0.5 s, then at least 1 s


def test_the_dispatcher_process_hands_due_texts_to_the_queue(
    engine: Engine, redis_url: str, tmp_path: Path
) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        clinic = make_clinic(session, workdays=range(7), today=utc_now().date())
        alex = assessed_patient(session, clinic)
        day = (utc_now() + timedelta(days=3)).astimezone(NEW_YORK).date()
        visit = book(session, alex, clinic.at(day, 10), "massage-30", now=utc_now())
        session.execute(  # due now, whatever the hour the tests run at
            update(Message)
            .where(col(Message.visit_id) == visit.id, col(Message.kind) == "confirmation")
            .values(send_at=utc_now())
        )
    log = tmp_path / "dispatcher.log"
    dispatcher = start_dispatcher(engine, redis_url, log, interval=0.2)
    try:
        deadline = time.monotonic() + 20
        while confirmation_status(engine) != "queued" and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        dispatcher.terminate()
        dispatcher.wait(10)

    assert confirmation_status(engine) == "queued", log.read_text()


def confirmation_status(engine: Engine) -> str:
    with db.session(engine) as session:
        query = select(Message.status).where(Message.kind == "confirmation")
        return str(session.exec(query.order_by(col(Message.id).desc())).first())

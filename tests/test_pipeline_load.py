"""A thousand due texts, two dispatchers, two worker processes, one of them killed: each text
reaches the Twilio double exactly once. PostgreSQL only (several processes claim at once)."""

import os
import signal
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine, func
from sqlmodel import select

from scheduler import db
from scheduler.clock import utc_now
from scheduler.models import Message, MessageStatus
from tests.factories import make_clinic, make_patient
from tests.test_pipeline import TRIGGERPOINT, WorkerProcess
from tests.twilio_fixtures import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    Double,
    twilio_double,
    twilio_double_server,
    twilio_settings,
)
from workers.celery_app import make_app
from workers.dispatch import return_stale_claims, tick
from workers.reconcile import reconcile_unknown
from workers.sms import TwilioGateway

__all__ = ["twilio_double", "twilio_double_server"]
assert TRIGGERPOINT.exists()


def fill_outbox(engine: Engine, count: int) -> None:
    """Replies are sent at once, whatever the hour: the rows test the pipeline, not the policy."""
    now = utc_now()
    with db.booking_session(engine) as session, db.transaction(session):
        make_clinic(session)
        patients = [
            make_patient(session, name=f"P{n}", phone=f"+1212555{n:04d}") for n in range(20)
        ]
        session.add_all(
            Message(
                idempotency_key=f"load:{n}",
                patient_id=patients[n % 20].id or 0,
                kind="reply",
                template="reply_received",
                to_phone=patients[n % 20].phone,
                send_at=now,
                not_after=now + timedelta(hours=1),
                created_at=now,
                updated_at=now,
            )
            for n in range(count)
        )


def workers_for(
    engine: Engine, redis_url: str, double: Double, tmp_path: Path, n: int
) -> WorkerProcess:
    environment = os.environ | {
        "TRIGGERPOINT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TRIGGERPOINT_BROKER_URL": redis_url,
        "TRIGGERPOINT_TWILIO_API_URL": double.url,
        "TRIGGERPOINT_PUBLIC_URL": "http://127.0.0.1:9",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
    }
    return WorkerProcess(environment, tmp_path / f"worker-{n}.log")


def dispatch_until_empty(engine: Engine, redis_url: str, dispatchers: int = 2) -> None:
    app = make_app(redis_url)

    def dispatcher() -> None:
        while tick(
            engine,
            now=utc_now(),
            enqueue=lambda i: app.send_task("triggerpoint.send_message", args=[i]),
        ):
            time.sleep(0.01)

    threads = [threading.Thread(target=dispatcher) for _ in range(dispatchers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def received_ids(double: Double) -> Counter[int]:
    ids = (
        parse_qs(urlsplit(m["form"]["StatusCallback"]).query)["message_id"][0]
        for m in double.messages()
    )
    return Counter(int(i) for i in ids)


def settle(double: Double, quiet: float = 2.0, timeout: float = 90.0) -> None:
    """Wait until the double has received nothing new for `quiet` seconds."""
    deadline, last, since = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(double.messages())
        if count != last:
            last, since = count, time.monotonic()
        elif time.monotonic() - since > quiet:
            return
        time.sleep(0.1)


def statuses(engine: Engine) -> dict[str, int]:
    with db.session(engine) as session:
        rows = session.exec(select(Message.status, func.count()).group_by(Message.status)).all()
    return {str(status): count for status, count in rows}


def test_it_sends_each_of_a_thousand_texts_once_with_two_dispatchers_and_two_workers(
    postgres_engine: Engine, redis_url: str, twilio_double: Double, tmp_path: Path
) -> None:
    twilio_double.set_faults(callbacks="off")
    fill_outbox(postgres_engine, 1_000)
    workers = [
        workers_for(postgres_engine, redis_url, twilio_double, tmp_path, n) for n in range(2)
    ]
    for worker in workers:
        worker.start()
    try:
        dispatch_until_empty(postgres_engine, redis_url)
        settle(twilio_double)
    finally:
        for worker in workers:
            worker.stop()

    received = received_ids(twilio_double)
    assert len(received) == 1_000
    assert max(received.values()) == 1
    assert statuses(postgres_engine) == {MessageStatus.SENT.value: 1_000}


def test_it_sends_every_text_once_when_a_worker_is_killed_mid_batch(
    postgres_engine: Engine, redis_url: str, twilio_double: Double, tmp_path: Path
) -> None:
    twilio_double.set_faults(callbacks="off", latency_ms=5)
    fill_outbox(postgres_engine, 300)
    first, second = (
        workers_for(postgres_engine, redis_url, twilio_double, tmp_path, n) for n in range(2)
    )
    first.start()
    second.start()
    try:
        dispatch_until_empty(postgres_engine, redis_url, dispatchers=1)
        while len(twilio_double.messages()) < 100:
            time.sleep(0.01)
        assert first.process is not None
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait()
        first.start()
        settle(twilio_double)
        later = utc_now() + timedelta(minutes=10)  # the sweeper's view, some minutes on
        requeued, unknown = return_stale_claims(postgres_engine, now=later)
        gateway = TwilioGateway(twilio_settings(twilio_double.url, "http://127.0.0.1:9"))
        reconcile_unknown(postgres_engine, gateway=gateway, now=later + timedelta(minutes=5))
        dispatch_until_empty(postgres_engine, redis_url, dispatchers=1)
        settle(twilio_double)
    finally:
        first.stop()
        second.stop()

    received = received_ids(twilio_double)
    assert len(received) == 300, (requeued, unknown, statuses(postgres_engine))
    assert max(received.values()) == 1
    assert statuses(postgres_engine) == {MessageStatus.SENT.value: 300}

"""A thousand due texts, two dispatchers, two worker processes, one of them killed: each text
reaches the Twilio double exactly once. PostgreSQL only (several processes claim at once)."""

import base64
import json
import os
import signal
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from sqlalchemy import Engine, func, text
from sqlmodel import col, select

from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.models import PENDING, Message, MessageStatus
from tests.factories import make_clinic, make_patient
from tests.pipeline_fixtures import (
    PUBLIC_URL,
    WorkerProcess,
    dispatcher_tick,
    enqueuer,
    start_dispatcher,
)
from tests.processes import TRIGGERPOINT
from tests.twilio_fixtures import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    Double,
    twilio_double,
    twilio_double_server,
    twilio_settings,
)
from workers.dispatch import QUEUED_STALE_AFTER, return_stale_claims
from workers.reconcile import reconcile_unknown
from workers.sms import TwilioGateway

pytestmark = pytest.mark.processes

__all__ = ["twilio_double", "twilio_double_server"]
assert TRIGGERPOINT.exists()
VISIBILITY_SECONDS = 3


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
        "TRIGGERPOINT_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        # Redis hands out again what a killed worker held after this long (a minute in use).
        "TRIGGERPOINT_BROKER_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_SECONDS),
    }
    return WorkerProcess(environment, tmp_path / f"worker-{n}.log", concurrency=4)


def dispatch_until_empty(
    engine: Engine, redis_url: str, dispatchers: int = 2, at: datetime | None = None
) -> None:
    """Tick until nothing is due, on the real clock or at `at`."""
    enqueue = enqueuer(redis_url)

    def dispatcher() -> None:
        while dispatcher_tick(engine, now=at or utc_now(), enqueue=enqueue):
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


def test_it_sends_every_text_once_soon_after_a_worker_holding_texts_is_killed(
    postgres_engine: Engine, redis_url: str, twilio_double: Double, tmp_path: Path
) -> None:
    """The killed worker held texts mid-send and rate-limited ones waiting for their retry.
    Redis hands out again what it held (or, when Redis is slow to, the dispatcher's sweep returns
    the rows), so every text that was not mid-send goes out; those mid-send are settled by the
    sweep and reconciliation, never resent blindly.
    """
    twilio_double.set_faults(callbacks="off", fault="429", probability=0.5, latency_ms=20)
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
        killed_at = utc_now()
        twilio_double.set_faults(callbacks="off", latency_ms=20)
        first.process.wait()
        first.start()
        unsent = wait_for_pending(
            postgres_engine,
            redis_url,
            timeout=(QUEUED_STALE_AFTER.total_seconds() + VISIBILITY_SECONDS + 40),
        )
        # The sweep below looks from ten minutes on, when a live worker's send would long be
        # over; so first let the live workers finish: only the killed worker's rows stay sending.
        wait_for_live_sends(postgres_engine, since=killed_at)
        settle(twilio_double)
        later = utc_now() + timedelta(minutes=10)  # the sweeper's view, some minutes on
        requeued, unknown = return_stale_claims(postgres_engine, now=later)
        gateway = TwilioGateway(twilio_settings(twilio_double.url, "http://127.0.0.1:9"))
        reconcile_unknown(postgres_engine, gateway=gateway, now=later + timedelta(minutes=5))
        dispatch_until_empty(postgres_engine, redis_url, 1, at=later + timedelta(minutes=5))
        settle(twilio_double)
    finally:
        first.stop()
        second.stop()

    assert unsent == 0, statuses(postgres_engine)
    assert requeued == 0
    received = received_ids(twilio_double)
    assert len(received) == 300, (unknown, statuses(postgres_engine))
    assert max(received.values()) == 1
    assert statuses(postgres_engine) == {MessageStatus.SENT.value: 300}


def wait_for_live_sends(engine: Engine, *, since: datetime, timeout: float = 60) -> None:
    """Until no row claimed for sending after `since` is still being sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session(engine) as session:
            live = session.exec(
                select(Message.id).where(
                    Message.status == MessageStatus.SENDING, col(Message.claimed_at) >= since
                )
            ).first()
        if live is None:
            return
        time.sleep(0.2)


def wait_for_pending(engine: Engine, redis_url: str, *, timeout: float) -> int:
    """How many rows are still waiting to be sent (scheduled or queued) once none are, or the
    timeout passed, sweeping and ticking on the real clock meanwhile as the dispatcher does.
    Rows a killed worker left mid-send are not waiting: they are in doubt."""
    enqueue = enqueuer(redis_url)
    deadline = time.monotonic() + timeout
    while (pending := len(ids_with_status(engine, *PENDING))) and time.monotonic() < deadline:
        return_stale_claims(engine, now=utc_now())
        dispatcher_tick(engine, now=utc_now(), enqueue=enqueue)
        time.sleep(0.2)
    return pending


def test_it_sends_through_database_connections_the_server_closed(
    postgres_engine: Engine, redis_url: str, twilio_double: Double, tmp_path: Path
) -> None:
    twilio_double.set_faults(callbacks="off")
    fill_outbox(postgres_engine, 2)
    worker = workers_for(postgres_engine, redis_url, twilio_double, tmp_path, 0)
    worker.start()
    enqueue = enqueuer(redis_url)
    try:
        dispatcher_tick(postgres_engine, now=utc_now(), enqueue=enqueue, room=1)
        # Once the first text is recorded, the worker's connection is back in its pool; the
        # double receiving it is not enough, since the record follows the send.
        deadline = time.monotonic() + 20
        while statuses(postgres_engine).get(MessageStatus.SENT.value) != 1:
            assert time.monotonic() < deadline, statuses(postgres_engine)
            time.sleep(0.05)
        with postgres_engine.connect() as connection:  # as a server restart would
            connection.execute(text(TERMINATE_OTHER_CONNECTIONS))
        dispatcher_tick(postgres_engine, now=utc_now(), enqueue=enqueue, room=1)
        settle(twilio_double, quiet=3.0, timeout=20.0)
    finally:
        worker.stop()

    assert sorted(received_ids(twilio_double)) == [1, 2]
    assert statuses(postgres_engine) == {MessageStatus.SENT.value: 2}


TERMINATE_OTHER_CONNECTIONS = """
    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


def test_a_dispatcher_stopped_mid_handover_first_enqueues_every_row_it_claimed(
    postgres_engine: Engine, redis_url: str, tmp_path: Path
) -> None:
    fill_outbox(postgres_engine, 1_000)
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()  # only this test's tasks
    log = tmp_path / "dispatcher.log"
    dispatcher = start_dispatcher(postgres_engine, redis_url, log, interval=0.05)
    try:
        deadline = time.monotonic() + 30
        while not ids_with_status(postgres_engine, MessageStatus.QUEUED):
            assert time.monotonic() < deadline, log.read_text()
        dispatcher.send_signal(signal.SIGTERM)  # its first claim is committed, not yet enqueued
        assert dispatcher.wait(10) == 0, log.read_text()
    finally:
        dispatcher.kill()

    queued = ids_with_status(postgres_engine, MessageStatus.QUEUED)
    assert queued
    assert sorted(queued) == sorted(task_ids(redis_url))


def ids_with_status(engine: Engine, *wanted: MessageStatus) -> list[int]:
    with db.session(engine) as session:
        query = select(col(Message.id)).where(col(Message.status).in_(wanted))
        return [message_id for message_id in session.exec(query) if message_id is not None]


def task_ids(redis_url: str) -> list[int]:
    """The message ids of the send tasks waiting in Redis (Celery's default queue)."""
    with redis.Redis.from_url(redis_url) as client:
        waiting = client.lrange("celery", 0, -1)
    bodies = (base64.b64decode(json.loads(raw)["body"]) for raw in waiting)
    return [json.loads(body)[0][0] for body in bodies]

"""A clinic's pipeline for tests: one booked visit, its outbox rows, a `triggerpoint worker`
process on the test's database and broker, the Twilio double; ticks are driven by the test."""

import os
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.core.policy import Policy
from scheduler.models import Message, Visit
from scheduler.scheduling.visits import cancel_visit
from tests.factories import NEW_YORK, POLICY, Clinic, assessed_patient, book, make_clinic
from tests.processes import TRIGGERPOINT
from tests.twilio_fixtures import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, Double
from workers.celery_app import make_app
from workers.dispatch import CLAIM_LIMIT, tick

PUBLIC_URL = "http://127.0.0.1:9"  # nothing listens: links in texts are only read
# A worker checks the window on the real clock, whatever time the tests run.
ALL_DAY = Policy(send_window=(clock_time(0, 0), clock_time(23, 59)))


@dataclass
class Pipeline:
    engine: Engine
    double: Double
    clinic: Clinic
    visit: Visit
    enqueue_to: str
    worker: "WorkerProcess"

    def tick(self, now: datetime) -> int:
        return dispatcher_tick(self.engine, now=now, enqueue=enqueuer(self.enqueue_to))

    def bodies(self, count: int, timeout: float = 20.0) -> list[str]:
        """The texts the double received, once there are `count` of them (or the timeout)."""
        deadline = time.monotonic() + timeout
        while len(self.double.messages()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return [m["form"]["Body"] for m in self.double.messages()]

    def cancel_visit(self) -> None:
        """The front desk cancels the visit."""
        with db.booking_session(self.engine) as session, db.transaction(session):
            cancel_visit(
                session=session,
                now=utc_now(),
                visit_id=self.visit.id or 0,
                reason="",
                cancelled_by="front desk",
                policy=POLICY,
            )

    def settled_status(self, kind: str, wanted: str, timeout: float = 10.0) -> str:
        """The latest `kind` message's status once it is `wanted` (or the timeout): the double
        has a text a moment before the worker records that it was taken."""
        deadline = time.monotonic() + timeout
        while (status := self.message(kind).status) != wanted and time.monotonic() < deadline:
            time.sleep(0.05)
        return str(status)

    def message(self, kind: str) -> Message:
        with db.session(self.engine) as session:
            query = select(Message).where(Message.kind == kind).order_by(col(Message.id).desc())
            return session.exec(query).first()  # type: ignore[return-value]


def dispatcher_tick(
    engine: Engine,
    *,
    now: datetime,
    enqueue: Callable[[Sequence[int]], None],
    room: int = CLAIM_LIMIT,
) -> int:
    """A dispatcher's tick in the test's process, with the policy and public URL the test's
    worker processes have (see `running_pipeline`)."""
    return tick(engine, now=now, enqueue=enqueue, policy=ALL_DAY, public_url=PUBLIC_URL, room=room)


def enqueuer(redis_url: str) -> Callable[[Sequence[int]], None]:
    """Puts send tasks on the test's Redis, as the dispatcher puts them on the configured one."""
    app = make_app(redis_url)

    def enqueue(message_ids: Sequence[int]) -> None:
        for message_id in message_ids:
            app.send_task("triggerpoint.send_message", args=[message_id])

    return enqueue


class WorkerProcess:
    """`triggerpoint worker` as a clinic runs it, with the test's database, broker and double."""

    def __init__(self, environment: dict[str, str], log: Path, concurrency: int = 1) -> None:
        self.environment, self.log, self.concurrency = environment, log, concurrency
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(TRIGGERPOINT), "worker", "--concurrency", str(self.concurrency)],
            env=self.environment,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while b"ready." not in self.log.read_bytes():
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "worker did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


@contextmanager
def running_pipeline(
    engine: Engine, redis_url: str, double: Double, folder: Path
) -> Iterator[Pipeline]:
    """A visit booked three days ahead, with its worker running until the block ends."""
    now = utc_now()
    with db.booking_session(engine) as session, db.transaction(session):
        clinic = make_clinic(session, workdays=range(7), today=now.date())
        alex = assessed_patient(session, clinic)
        day = (now + timedelta(days=3)).astimezone(NEW_YORK).date()
        visit = book(session, alex, clinic.at(day, 10), "dry-needling-30", "massage-60", now=now)
    environment = os.environ | {
        "TRIGGERPOINT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TRIGGERPOINT_BROKER_URL": redis_url,
        "TRIGGERPOINT_TWILIO_API_URL": double.url,
        "TRIGGERPOINT_PUBLIC_URL": PUBLIC_URL,
        "TRIGGERPOINT_SEND_WINDOW_OPENS": f"{ALL_DAY.send_window[0]:%H:%M}",
        "TRIGGERPOINT_SEND_WINDOW_CLOSES": f"{ALL_DAY.send_window[1]:%H:%M}",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
    }
    worker = WorkerProcess(environment, folder / "worker.log")
    worker.start()
    try:
        yield Pipeline(engine, double, clinic, visit, redis_url, worker)
    finally:
        worker.stop()


def start_dispatcher(
    engine: Engine, redis_url: str, log: Path, *, interval: float
) -> subprocess.Popen[bytes]:
    """`triggerpoint dispatcher` on the test's database and Redis, sending at any hour as the
    in-process ticks do, its output in `log`."""
    opens, closes = ALL_DAY.send_window
    environment = os.environ | {
        "TRIGGERPOINT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TRIGGERPOINT_BROKER_URL": redis_url,
        "TRIGGERPOINT_SEND_WINDOW_OPENS": opens.strftime("%H:%M"),
        "TRIGGERPOINT_SEND_WINDOW_CLOSES": closes.strftime("%H:%M"),
    }
    return subprocess.Popen(
        [str(TRIGGERPOINT), "dispatcher", "--interval", str(interval)],
        env=environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )

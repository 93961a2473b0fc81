"""The message pipeline as a clinic runs it, for benchmarks: outbox rows and the processes.

Rows are replies ("reply_received"), which skip the send window and the daily cap, so they test
the pipeline rather than the clinic's policies. The Twilio double, the Celery workers and the
dispatcher are `triggerpoint` commands in processes (and process groups) of their own; every one
started here is stopped when the `harness` block ends, whatever happened inside it.
"""

import fcntl
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import redis
import sqlalchemy as sa
from sqlalchemy import Engine, func, insert
from sqlmodel import col, select

from bench.databases import database
from scheduler.clinic.patients import register_patient
from scheduler.clinic.setup import create_location
from scheduler.core import db
from scheduler.models import Message, MessageStatus

ACCOUNT_SID = "AC" + "be0c4" * 6 + "be"
AUTH_TOKEN = "bench-auth-token"
FROM_NUMBER = "+15005550006"
BROKER_URL = os.environ.get("TRIGGERPOINT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
TRIGGERPOINT = Path(sys.executable).with_name("triggerpoint")
PATIENTS = 50
DEADLINE = timedelta(hours=1)  # not_after: far beyond any run, so nothing is skipped as late
START_TIMEOUT_SECONDS = 60.0
LOCK = Path(tempfile.gettempdir()) / "triggerpoint-bench-pipeline.lock"
PUBLIC_URL = "http://127.0.0.1:9"  # no receiver: callbacks are off

Patients = list[tuple[int, str]]  # id and mobile number
Receipts = dict[int, list[datetime]]  # message id: when the double received it, each time


def seed_patients(engine: Engine, *, now: datetime) -> Patients:
    """One location (replies are rendered with its name) and PATIENTS patients who consent."""
    with db.session(engine) as session, db.transaction(session):
        create_location(session, name="Riverside Physio", time_zone="America/New_York", opening={})
        patients = [
            register_patient(
                session=session,
                now=now,
                name=f"Patient {number}",
                phone=f"+121255501{number:02d}",
                date_of_birth=date(1980, 1, 1),
                region="US",
            )
            for number in range(PATIENTS)
        ]
        return [(patient.id or 0, patient.phone) for patient in patients]


def add_replies(
    engine: Engine, patients: Patients, *, label: str, due: Sequence[datetime], now: datetime
) -> dict[int, datetime]:
    """Scheduled replies, one per instant in `due`, in one transaction: {id: send_at}."""
    rows = [
        _reply(f"bench-{label}-{number}", patients[number % len(patients)], send_at, now)
        for number, send_at in enumerate(due)
    ]
    with db.session(engine) as session, db.transaction(session):
        session.execute(insert(Message), rows)
        added = session.execute(
            select(col(Message.id), col(Message.send_at)).where(
                col(Message.idempotency_key).startswith(f"bench-{label}-")
            )
        )
        return {message_id: send_at for message_id, send_at in added}


def _reply(key: str, patient: tuple[int, str], send_at: datetime, now: datetime) -> dict[str, Any]:
    patient_id, phone = patient
    return {
        "idempotency_key": key,
        "patient_id": patient_id,
        "kind": "reply",
        "template": "reply_received",
        "to_phone": phone,
        "send_at": send_at,
        "not_after": send_at + DEADLINE,
        "status": MessageStatus.SCHEDULED,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def statuses(engine: Engine, label: str) -> Counter[str]:
    """How many rows of `label` are in each status."""
    query = (
        sa.select(col(Message.status), func.count())
        .where(col(Message.idempotency_key).startswith(f"bench-{label}-"))
        .group_by(col(Message.status))
    )
    with db.session(engine) as session:
        return Counter({str(status): count for status, count in session.execute(query)})


def ids_with_status(engine: Engine, label: str, *wanted: MessageStatus) -> set[int]:
    query = sa.select(col(Message.id)).where(
        col(Message.idempotency_key).startswith(f"bench-{label}-"),
        col(Message.status).in_(wanted),
    )
    with db.session(engine) as session:
        return set(session.execute(query).scalars())


def receipts(double: "Double") -> Receipts:
    """What the double accepted, by our message id (each create carries it in StatusCallback)."""
    received: Receipts = {}
    for message in double.messages():
        query = parse_qs(urlsplit(message["form"]["StatusCallback"]).query)
        at = datetime.fromisoformat(message["received_at"])
        received.setdefault(int(query["message_id"][0]), []).append(at)
    for times in received.values():
        times.sort()
    return received


@dataclass
class Service:
    """One `triggerpoint` command (or `program`'s) in a process group of its own, its output in
    `log`."""

    arguments: list[str]
    environment: dict[str, str]
    log: Path
    program: Path = TRIGGERPOINT
    process: subprocess.Popen[bytes] | None = None

    def start(self, ready: Callable[["Service"], bool]) -> "Service":
        """Returns once `ready` says so; raises if the process exits or takes too long."""
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [str(self.program), *self.arguments],
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not ready(self):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                tail = self.log.read_text(errors="replace")[-2000:]
                command = " ".join([self.program.name, *self.arguments])
                raise RuntimeError(f"{command} did not start:\n{tail}")
            time.sleep(0.05)
        return self

    def logged(self, text: bytes) -> bool:
        return text in self.log.read_bytes()

    def kill(self) -> None:
        """SIGKILL to the whole group: a worker dies with every task it holds, mid-send or not."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM to the group, then SIGKILL if it has not gone within ten seconds."""
        self._signal(signal.SIGTERM)
        if self.process is not None:
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def _signal(self, number: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, number)
            if number == signal.SIGKILL:
                self.process.wait(10)


@dataclass
class Double:
    """The Twilio double's control plane (/_double/)."""

    url: str
    control: httpx.Client

    def set_faults(self, **faults: Any) -> None:
        self.control.post("/_double/faults", json=faults).raise_for_status()

    def reset(self) -> None:
        """Forget every message and request and every fault. Callbacks stay off: nothing in a
        benchmark receives them, and sending them would load the machine being measured."""
        self.control.post("/_double/reset").raise_for_status()
        self.set_faults(callbacks="off")

    def messages(self) -> list[dict[str, Any]]:
        return list(self.control.get("/_double/messages", timeout=60).json())

    def requests(self) -> dict[str, Any]:
        return dict(self.control.get("/_double/requests").json())

    def accepted(self) -> int:
        return int(self.requests()["by_status"].get("201", 0))


@dataclass
class Harness:
    double: Double
    environment: dict[str, str]
    folder: Path
    stack: ExitStack
    started: list[Service] = field(default_factory=list)

    def start_worker(
        self, arguments: Sequence[str] = ("worker",), program: Path = TRIGGERPOINT
    ) -> Service:
        """`triggerpoint worker` with its default pool and concurrency, or another Celery worker
        that `program` starts."""
        log = self.folder / f"worker-{len(self.started)}.log"
        service = Service(list(arguments), self.environment, log, program)
        return self._start(service, lambda s: s.logged(b"ready."))

    def start_dispatcher(self, interval_seconds: float) -> Service:
        log = self.folder / f"dispatcher-{len(self.started)}.log"
        arguments = ["dispatcher", "--interval", str(interval_seconds)]
        service = Service(arguments, self.environment, log)
        return self._start(service, lambda s: s.logged(b"dispatcher ticking every"))

    def _start(self, service: Service, ready: Callable[[Service], bool]) -> Service:
        self.started.append(service)
        self.stack.callback(service.stop)
        return service.start(ready)


@contextmanager
def alone() -> Iterator[None]:
    """One pipeline benchmark at a time on this machine: two would flush each other's tasks from
    the shared Redis database and share the CPUs. The lock goes with the process, however it ends.
    """
    with LOCK.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another pipeline benchmark holds {LOCK}") from None
        yield


@contextmanager
def harness(database_url: str, folder: Path) -> Iterator[Harness]:
    """The double running, with callbacks off; workers and dispatchers are started on demand."""
    flush_broker()
    port = free_port()
    environment = os.environ | {
        "TRIGGERPOINT_DATABASE_URL": database_url,
        "TRIGGERPOINT_BROKER_URL": BROKER_URL,
        "TRIGGERPOINT_TWILIO_API_URL": f"http://127.0.0.1:{port}",
        "TRIGGERPOINT_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
    }
    url = environment["TRIGGERPOINT_TWILIO_API_URL"]
    with ExitStack() as stack:
        control = stack.enter_context(httpx.Client(base_url=url, timeout=10, trust_env=False))
        double = Double(url, control)
        arguments = ["fake-twilio", "--host", "127.0.0.1", "--port", str(port)]
        service = Service(arguments, environment, folder / "double.log")
        stack.callback(service.stop)
        service.start(lambda _: answers(double))
        double.set_faults(callbacks="off")
        stack.callback(flush_broker)
        yield Harness(double, environment, folder, stack)


@contextmanager
def on_postgresql(label: str) -> Iterator[tuple[Engine, Harness]]:
    """The one pipeline benchmark on this machine: a PostgreSQL database of its own and the
    double running, all removed afterwards."""
    with (
        alone(),
        database("postgresql", label) as engine,
        tempfile.TemporaryDirectory() as folder,
        harness(engine.url.render_as_string(hide_password=False), Path(folder)) as stack,
    ):
        yield engine, stack


def answers(double: Double) -> bool:
    try:
        double.requests()
    except httpx.TransportError:
        return False
    return True


def broker() -> redis.Redis:
    return redis.Redis.from_url(BROKER_URL, socket_connect_timeout=3)


def flush_broker() -> None:
    with broker() as client:
        client.flushdb()


def waiting_tasks() -> int:
    """Tasks in Redis that no worker has taken yet (Celery's default queue)."""
    with broker() as client:
        return int(client.llen("celery"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

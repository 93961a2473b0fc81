"""Production's topology without docker: the web app, one dispatcher and two workers as separate
processes, on PostgreSQL and Redis, sending through the real twilio client to the double."""

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, update
from sqlmodel import col, select

from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.models import Message, Role
from scheduler.staff.accounts import add_user
from tests.factories import NEW_YORK, assessed_patient, make_clinic
from tests.processes import TRIGGERPOINT, free_port
from tests.twilio_fixtures import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    Double,
    twilio_double,
    twilio_double_server,
)

pytestmark = pytest.mark.processes

__all__ = ["twilio_double", "twilio_double_server"]


class Stack:
    """Processes started as an operator starts them, stopped with SIGTERM."""

    def __init__(self, environment: dict[str, str], logs: Path) -> None:
        self.environment, self.logs = environment, logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *arguments: str) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                [str(TRIGGERPOINT), *arguments],
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(30)

    def wait_until_ready(self, url: str) -> None:
        deadline = time.monotonic() + 180  # four processes starting on a busy machine
        while time.monotonic() < deadline:
            assert all(process.poll() is None for process in self.processes), self.output()
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"the web app did not become ready\n{self.output()}")

    def output(self) -> str:
        return "\n".join(path.read_text()[-2000:] for path in self.logs.glob("*.log"))


@pytest.fixture
def stack(
    postgres_engine: Engine, redis_url: str, twilio_double: Double, tmp_path: Path
) -> Iterator[tuple[Stack, str]]:
    port = free_port()
    environment = os.environ | {
        "TRIGGERPOINT_DATABASE_URL": postgres_engine.url.render_as_string(hide_password=False),
        "TRIGGERPOINT_BROKER_URL": redis_url,
        "TRIGGERPOINT_TWILIO_API_URL": twilio_double.url,
        "TRIGGERPOINT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TRIGGERPOINT_SEND_WINDOW_OPENS": "00:00",  # the worker checks the window on the real
        "TRIGGERPOINT_SEND_WINDOW_CLOSES": "23:59",  # clock, whatever time the tests run
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
    }
    stack = Stack(environment, tmp_path)
    stack.start("web", "serve", "--port", str(port), "--workers", "2")
    stack.start("dispatcher", "dispatcher", "--interval", "0.2")
    stack.start("worker-1", "worker", "--concurrency", "1")
    stack.start("worker-2", "worker", "--concurrency", "1")
    try:
        url = f"http://127.0.0.1:{port}"
        stack.wait_until_ready(url)
        yield stack, url
    finally:
        stack.stop()


def test_a_visit_booked_over_http_gets_its_reminder_at_the_double(
    stack: tuple[Stack, str], postgres_engine: Engine, twilio_double: Double
) -> None:
    processes, url = stack
    now = utc_now()
    with db.booking_session(postgres_engine) as session, db.transaction(session):
        clinic = make_clinic(session, workdays=range(7), today=now.date())
        alex = assessed_patient(session, clinic)
        token = add_user(session, name="frank", role=Role.FRONT_DESK, now=now).api_token
    day = (now + timedelta(days=3)).astimezone(NEW_YORK).date()
    start = clinic.at(day, 10)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as api:
        booked = api.post(
            "/api/v1/visits",
            json={
                "patient_id": alex.id,
                "start": start.isoformat(),
                "appointments": [{"service": "dry-needling-30"}, {"service": "massage-60"}],
            },
        )
    assert booked.status_code == 201, booked.text
    reminder = (col(Message.visit_id) == booked.json()["id"]) & (Message.kind == "reminder_24h")
    with db.session(postgres_engine) as session, db.transaction(session):
        session.execute(  # a day passes: the 24 h reminder falls due
            update(Message).where(reminder).values(send_at=utc_now())
        )

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not twilio_double.messages():
        time.sleep(0.1)
    bodies = [message["form"]["Body"] for message in twilio_double.messages()]
    assert len(bodies) == 1, processes.output()
    assert f"{start:%a %d %b} 10:00." in bodies[0]
    assert "Wear loose clothing" in bodies[0]
    while time.monotonic() < deadline:  # the worker records the answer after the double has it
        with db.session(postgres_engine) as session:
            status = session.exec(select(Message.status).where(reminder)).one()
        if status != "sending":
            break
        time.sleep(0.1)
    assert status in ("sent", "delivered")  # a status callback may overtake the record
    assert httpx.get(bodies[0].split()[-1]).status_code == 200  # the web process opens its link

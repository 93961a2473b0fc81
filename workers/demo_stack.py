"""`triggerpoint demo`: the whole product on one machine with nothing installed but Python.

The web app, the dispatcher and a Celery worker run as separate processes, as in production, on
SQLite and a filesystem:// broker. The broker is a folder of message files: nothing to install
or start, and kombu ships it. It gives up what Redis adds (visibility timeouts, speed across
machines), which the demo does not need: each text's state lives in the database outbox, and the
dispatcher's sweep re-queues any claim a broker loses. Texts go to the console gateway and show
in the app. Ctrl-C (or SIGTERM) stops every process the demo started.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from types import FrameType

import httpx
import typer
from sqlmodel import Session, col, select

from scheduler.app.demo import DEMO_PASSWORD, demo_logins, ensure_demo_clinic
from scheduler.core import db, migrate
from scheduler.core.clock import utc_now
from scheduler.core.settings import get_settings
from scheduler.models import Role, User
from scheduler.staff.accounts import issue_api_token

# What the demo changes unless the environment says otherwise: the embedded broker, and a short
# grace period so a booking's confirmation shows up within a minute.
DEMO_DEFAULTS = {
    "TRIGGERPOINT_BROKER_URL": "filesystem://",
    "TRIGGERPOINT_CONFIRMATION_GRACE_MINUTES": "1",
}
READY_WITHIN_SECONDS = 30
STOP_WITHIN_SECONDS = 10


def demo_environment(environment: Mapping[str, str], *, url: str) -> dict[str, str]:
    """The demo's settings under the caller's: an environment naming PostgreSQL, Redis and
    Twilio runs the same processes against them."""
    return {**DEMO_DEFAULTS, "TRIGGERPOINT_PUBLIC_URL": url, **environment}


def run(*, host: str, port: int) -> int:
    url = f"http://{host}:{port}"
    os.environ.update(demo_environment(os.environ, url=url))
    get_settings.cache_clear()
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    stopping = threading.Event()
    _stop_on_signals(stopping)
    processes = _start(host=host, port=port)  # they start up while the demo clinic is seeded
    try:
        ensure_demo_clinic(settings, now=utc_now())
        with db.booking_session(db.make_engine()) as session, db.transaction(session):
            logins = demo_logins(session)
            token = _front_desk_token(session) if logins else None
        if not _wait_until_ready(url, processes, stopping):
            return 1
        _print_welcome(url, logins, token, twilio=bool(settings.twilio_account_sid))
        while not stopping.wait(0.5):
            if any(process.poll() is not None for process in processes):
                typer.echo("A demo process stopped; stopping the others.", err=True)
                return 1
        return 0
    finally:
        _stop(processes)


def _start(*, host: str, port: int) -> list[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "workers"]
    return [
        subprocess.Popen([*command, "serve", "--host", host, "--port", str(port)]),
        subprocess.Popen([*command, "dispatcher"]),
        subprocess.Popen([*command, "worker", "--concurrency", "1"]),
    ]


def _stop_on_signals(stopping: threading.Event) -> None:
    def stop(_signal: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _wait_until_ready(
    url: str, processes: list[subprocess.Popen[bytes]], stopping: threading.Event
) -> bool:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline and not stopping.is_set():
        if any(process.poll() is not None for process in processes):
            return False
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        stopping.wait(0.2)
    return False


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each process still running, then SIGKILL to any still there after the wait."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_WITHIN_SECONDS
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _front_desk_token(session: Session) -> str:
    """A fresh API token for the demo's front desk, so the API can be tried at once."""
    front_desk = session.exec(
        select(User).where(User.role == Role.FRONT_DESK).order_by(col(User.id))
    ).first()
    if front_desk is None:
        raise RuntimeError("the demo database has no front desk account")
    return issue_api_token(session, front_desk, now=utc_now())


def _print_welcome(
    url: str, logins: list[tuple[str, Role]], token: str | None, *, twilio: bool
) -> None:
    """The demo clinic's sign-ins and a token; for any other clinic's database, the URL only."""
    lines = ["", f"Triggerpoint demo is running at {url}"]
    if token:
        lines += [
            f"Sign in with any of these (password: {DEMO_PASSWORD}):",
            *(f"  {name:<12} {role.value}" for name, role in logins),
            f"API token for the front desk: {token}",
        ]
    texts = "go out through Twilio" if twilio else "are logged and shown in the app, not sent"
    lines += [f"Texts {texts}. Ctrl-C stops everything.", ""]
    typer.echo("\n".join(lines))

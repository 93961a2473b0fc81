"""The README's first command, run from a fresh clone as a newcomer would run it."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from scheduler.core.clock import utc_now
from tests.processes import free_port

pytestmark = pytest.mark.processes

ROOT = Path(__file__).resolve().parent.parent
SETUP_SECONDS = 300  # a fresh clone installs its packages first (from uv's cache when warm)


@pytest.fixture
def fresh_clone(tmp_path: Path) -> Path:
    if shutil.which("git") is None or shutil.which("make") is None:
        pytest.skip("needs git and make")
    clone = tmp_path / "triggerpoint"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    return clone


@pytest.fixture
def demo(fresh_clone: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TRIGGERPOINT_", "VIRTUAL_ENV", "UV_", "TWILIO_"))
    }
    # A newcomer's shell: not inside this test run's virtual environment (whose python3 has
    # neither pip nor uv), so `make` finds the machine's own Python as the README expects.
    ours = str(Path(sys.prefix) / "bin")
    path = [entry for entry in environment["PATH"].split(os.pathsep) if entry != ours]
    environment |= {
        "PATH": os.pathsep.join(path),
        "TRIGGERPOINT_DEMO_PORT": str(port),
        "TRIGGERPOINT_CONFIRMATION_GRACE_MINUTES": "0",
        "TRIGGERPOINT_SEND_WINDOW_OPENS": "00:00",  # texts wait for the clinic's morning;
        "TRIGGERPOINT_SEND_WINDOW_CLOSES": "23:59",  # the tests run at any hour
    }
    process = subprocess.Popen(
        ["make", "demo"],
        cwd=fresh_clone,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class Output:
    """Everything the demo prints, read as it comes so its pipe never fills up."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.reader.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.lines.extend(process.stdout)

    def token(self) -> str:
        prefix = "API token for the front desk: "
        found = [line for line in list(self.lines) if line.startswith(prefix)]
        assert found, "".join(self.lines[-40:])
        return found[-1].removeprefix(prefix).strip()


def wait_until_ready(url: str, process: subprocess.Popen[str], output: Output) -> None:
    deadline = time.monotonic() + SETUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "".join(output.lines[-40:])
        if any("is running at" in line for line in list(output.lines)):
            assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200
            return
        time.sleep(0.5)
    pytest.fail("the demo did not become ready")


def book_first_open_time(api: httpx.Client) -> int:
    patient = api.get("/api/v1/patients", params={"q": "a"}).json()[0]
    start_day = utc_now().date() + timedelta(days=1)
    slots = api.get(
        "/api/v1/availability",
        params={"services": "massage-60", "from": start_day.isoformat(), "days": 14},
    ).json()["slots"]
    booked = api.post(
        "/api/v1/visits",
        json={
            "patient_id": patient["id"],
            "start": slots[0]["start"],
            "appointments": [{"service": "massage-60"}],
        },
    )
    assert booked.status_code == 201, booked.text
    return int(booked.json()["id"])


def wait_for_confirmation(api: httpx.Client, visit_id: int) -> dict[str, object]:
    deadline = time.monotonic() + 60
    messages: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        messages = api.get(f"/api/v1/visits/{visit_id}/messages").json()
        confirmation = next((m for m in messages if m["kind"] == "confirmation"), None)
        if confirmation and confirmation["status"] == "sent":
            return dict(confirmation)
        time.sleep(0.5)
    pytest.fail(f"the confirmation was never recorded as sent: {messages}")


def test_the_demo_runs_books_confirms_and_stops_cleanly(
    demo: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = demo
    output = Output(process)
    wait_until_ready(url, process, output)
    headers = {"Authorization": f"Bearer {output.token()}"}
    with httpx.Client(base_url=url, headers=headers) as api:
        visit_id = book_first_open_time(api)
        confirmation = wait_for_confirmation(api, visit_id)
    assert confirmation["body"]  # rendered as sent; the console gateway logged it

    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole group
    process.wait(timeout=30)
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # nothing the demo started is left behind

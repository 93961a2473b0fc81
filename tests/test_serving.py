"""`triggerpoint serve --workers N`: every process takes its share of the connections, one that
dies is replaced, SIGTERM or SIGHUP stops them all, and they stop themselves if the parent is
killed outright; a port already taken is refused."""

import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scheduler.core.migrate import upgrade
from tests.processes import TRIGGERPOINT, free_port

pytestmark = pytest.mark.processes

CONNECTIONS = 40
STARTUP_FAILURE = 3  # uvicorn's exit code when a server cannot start


def with_database(folder: Path) -> dict[str, str]:
    """The environment of a server on a migrated SQLite database in `folder`."""
    url = f"sqlite:///{folder / 'triggerpoint.sqlite3'}"
    upgrade(url)
    return os.environ | {"TRIGGERPOINT_DATABASE_URL": url}


class Served:
    def __init__(self, folder: Path, workers: int) -> None:
        self.port = free_port()
        self.log = folder / "serve.log"
        self.process = subprocess.Popen(
            [TRIGGERPOINT, "serve", "--port", str(self.port), "--workers", str(workers)],
            env=with_database(folder),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def wait_for(self, processes: int, *, gone: int | None = None) -> list[int]:
        """The server processes' ids, once `processes` of them listen (`gone` not among them)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            servers = self.servers()
            if (
                len(servers) == processes
                and gone not in servers
                and all(self._listening(pid) for pid in servers)
            ):
                return servers
            time.sleep(0.2)
        pytest.fail(f"not {processes} server processes\n{self.log.read_text()}")

    def servers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(pid) for pid in children.read_text().split()]
        return [pid for pid in pids if "spawn_main" in _command(pid)]

    def _listening(self, pid: int) -> bool:
        return bool(_sockets(pid) & _inodes(self.port, state="0A"))

    def connect(self, count: int) -> list[http.client.HTTPConnection]:
        """Keep-alive connections, each of which has had one answer."""
        connections = []
        for _ in range(count):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            connections.append(connection)
        return connections

    def held_by(self, pid: int) -> int:
        """Established connections to the server's port that process `pid` holds."""
        return len(_sockets(pid) & _inodes(self.port, state="01"))


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except FileNotFoundError:
        return ""


def _sockets(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def _inodes(port: int, *, state: str) -> set[str]:
    """Inodes of the TCP sockets whose local port is `port`, in a state of /proc/net/tcp."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            found.add(fields[9])
    return found


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path, workers=2)
    yield server
    if server.process.poll() is None:
        server.process.terminate()
        server.process.wait(30)


def test_each_process_takes_a_share_of_the_connections(served: Served) -> None:
    first, second = served.wait_for(2)
    connections = served.connect(CONNECTIONS)

    held = [served.held_by(first), served.held_by(second)]
    assert sum(held) == CONNECTIONS
    # Spread by the kernel's hash: a split worse than 10/30 has odds of about 1 in 1,500.
    assert min(held) >= CONNECTIONS // 4, held
    for connection in connections:
        connection.close()


def test_a_process_that_dies_is_replaced(served: Served) -> None:
    first, second = served.wait_for(2)
    os.kill(first, signal.SIGKILL)

    replaced = served.wait_for(2, gone=first)
    assert second in replaced
    answers = [httpx.get(f"http://127.0.0.1:{served.port}/healthz") for _ in range(20)]
    assert {answer.status_code for answer in answers} == {200}


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_stops_every_process(served: Served, stop: signal.Signals) -> None:
    processes = served.wait_for(2)
    served.process.send_signal(stop)

    assert served.process.wait(20) == 0
    assert not any(Path(f"/proc/{pid}").exists() and _command(pid) for pid in processes)


def test_processes_stop_themselves_when_the_parent_is_killed(served: Served) -> None:
    processes = served.wait_for(2)
    served.process.kill()
    served.process.wait(10)

    deadline = time.monotonic() + 20
    while any(_command(pid) for pid in processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_command(pid) for pid in processes)


def test_a_port_already_taken_is_refused(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = subprocess.run(
            [TRIGGERPOINT, "serve", "--port", str(port), "--workers", "2"],
            env=with_database(tmp_path),
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert refused.returncode == STARTUP_FAILURE
    assert "cannot listen" in refused.stdout + refused.stderr

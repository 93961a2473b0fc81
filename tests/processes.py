"""What tests that start processes of their own share: free ports, `triggerpoint` itself, and
a Redis server a test may restart."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

TRIGGERPOINT = Path(sys.executable).with_name("triggerpoint")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A Redis server of the test's own, so that it can be stopped and started again without
    disturbing anyone else's. `keeps_queue`: append-only file, fsynced on every write, as a
    broker with persistence; without it a restart empties the queue, as a broker without."""

    def __init__(self, folder: Path, *, keeps_queue: bool) -> None:
        self.folder, self.keeps_queue, self.port = folder, keeps_queue, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"]
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--dir", str(self.folder)]
            + (persistence if self.keeps_queue else ["--appendonly", "no"]),
            stdout=(self.folder / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert self.process.poll() is None and time.monotonic() < deadline, "no Redis"
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        """SIGTERM: Redis shuts down cleanly, its clients see the connection drop."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def queued(self) -> int:
        """Tasks waiting in Celery's default queue."""
        client = redis.Redis.from_url(self.url)
        try:
            return int(client.llen("celery"))
        finally:
            client.close()

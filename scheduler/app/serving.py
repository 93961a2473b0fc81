"""`triggerpoint serve`: the web app in one process, or in several that each listen on the port.

With several processes, each opens a listening socket of its own on the same address
(SO_REUSEPORT) and the kernel spreads new connections evenly among them. Sharing one socket, as
uvicorn's own workers do, lets whichever process wakes first take every waiting connection:
with 32 keep-alive clients and 3 processes, one process held 27 of them and another 2, and the
crowded process's queue made the slowest requests.
"""

import logging
import multiprocessing
import os
import signal
import socket
import sys
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from threading import Event, Thread
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from scheduler.core.logs import configure_logging
from scheduler.core.settings import get_settings

APP = "scheduler.app.web_app:create_app"
STOP_SECONDS = 30
log = logging.getLogger(__name__)


def serve(*, host: str, port: int, workers: int, app: str = APP) -> None:
    """`app` names the factory of the ASGI app to serve."""
    if workers == 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(app, factory=True, host=host, port=port, workers=workers, log_config=None)
        return
    _refuse_if_taken(host, port)
    _Processes(host, port, workers, app).run()


def _listener(host: str, port: int, *, shared: bool) -> socket.socket:
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    return listener


def _refuse_if_taken(host: str, port: int) -> None:
    """Another program on the port is an error, as with one process: SO_REUSEPORT would let a
    second server of ours share it silently."""
    try:
        _listener(host, port, shared=False).close()
    except OSError as error:
        log.error("cannot listen on %s:%s: %s", host, port, error)
        sys.exit(STARTUP_FAILURE)


def _one_process(host: str, port: int, app: str) -> None:
    """A server process: its own socket on the shared port, then uvicorn on it, until it is
    told to stop or the parent is gone."""
    configure_logging(get_settings())
    Thread(target=_stop_when_orphaned, daemon=True).start()
    try:
        listener = _listener(host, port, shared=True)
    except OSError as error:  # as a failed start, so that it is not tried again and again
        log.error("cannot listen on %s:%s: %s", host, port, error)
        sys.exit(STARTUP_FAILURE)
    config = uvicorn.Config(app, factory=True, host=host, port=port, log_config=None)
    uvicorn.Server(config).run(sockets=[listener])


def _stop_when_orphaned() -> None:
    """A parent killed outright (SIGKILL, the out-of-memory killer) cannot stop its processes;
    each stops itself instead, gracefully, rather than serve on unsupervised."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        wait([parent.sentinel])
        os.kill(os.getpid(), signal.SIGTERM)


class _Processes:
    """Starts the server processes, replaces one that dies, and stops them all on SIGINT,
    SIGTERM or SIGHUP (each finishes the requests it holds: uvicorn's graceful shutdown; one
    still running after STOP_SECONDS is killed)."""

    def __init__(self, host: str, port: int, workers: int, app: str) -> None:
        self.address = (host, port)
        self.workers = workers
        self.app = app
        self.context = multiprocessing.get_context("spawn")
        self.stopping = Event()

    def run(self) -> None:
        for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop, self._stop)
        processes = [self._start() for _ in range(self.workers)]
        log.info("serving on %s:%s from %d processes", *self.address, self.workers)
        while not self.stopping.wait(0.5):
            for n, process in enumerate(processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:  # would fail the same way again
                    self.stopping.set()
                    break
                log.warning(
                    "server process %s ended (%s); starting another", process.pid, process.exitcode
                )
                processes[n] = self._start()
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(STOP_SECONDS)
            if process.is_alive():
                log.warning("server process %s did not stop; killing it", process.pid)
                process.kill()
                process.join()
        if any(process.exitcode == STARTUP_FAILURE for process in processes):
            sys.exit(STARTUP_FAILURE)

    def _start(self) -> BaseProcess:
        process = self.context.Process(target=_one_process, args=(*self.address, self.app))
        process.start()
        return process

    def _stop(self, _signal: int, _frame: FrameType | None) -> None:
        self.stopping.set()

"""The Twilio double and a status-callback receiver, each served by uvicorn on a free local port.

Both servers live for the test module; every test starts from a reset double and an empty
receiver.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from scheduler.core.settings import Settings
from workers.twilio_double import create_app, make_server

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "double-auth-token"
FROM_NUMBER = "+15005550006"
READ_TIMEOUT_SECONDS = 0.5


@contextmanager
def served(server: uvicorn.Server) -> Iterator[str]:
    """Runs the server in a thread until the block ends; yields its base URL."""
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        thread.join(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


@dataclass
class Double:
    url: str
    control: httpx.Client

    def set_faults(self, **faults: Any) -> None:
        self.control.post("/_double/faults", json=faults).raise_for_status()

    def messages(self) -> list[dict[str, Any]]:
        return list(self.control.get("/_double/messages").json())

    def requests(self) -> dict[str, Any]:
        return dict(self.control.get("/_double/requests").json())


@dataclass
class Callback:
    url: str
    params: dict[str, str]
    signature: str


@dataclass
class Receiver:
    url: str
    callbacks: list[Callback] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 3.0) -> list[Callback]:
        """The callbacks received, once there are `count` of them."""
        deadline = time.monotonic() + timeout
        while len(self.callbacks) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.callbacks)


def _receiver_app(received: Callable[[Callback], None]) -> Starlette:
    async def status(request: Request) -> PlainTextResponse:
        form = {key: str(value) for key, value in (await request.form()).items()}
        signature = request.headers.get("X-Twilio-Signature", "")
        received(Callback(str(request.url), form, signature))
        return PlainTextResponse("")

    return Starlette(routes=[Route("/webhooks/twilio/status", status, methods=["POST"])])


@pytest.fixture(scope="module")
def twilio_double_server() -> Iterator[Double]:
    app = create_app(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    server = make_server(app, host="127.0.0.1", port=0, log_level="warning")
    with served(server) as url, httpx.Client(base_url=url, trust_env=False) as control:
        yield Double(url, control)


@pytest.fixture(scope="module")
def callback_receiver_server() -> Iterator[Receiver]:
    receiver = Receiver(url="")
    config = uvicorn.Config(
        _receiver_app(receiver.callbacks.append), host="127.0.0.1", port=0, log_level="warning"
    )
    with served(uvicorn.Server(config)) as url:
        receiver.url = url
        yield receiver


@pytest.fixture
def twilio_double(twilio_double_server: Double) -> Double:
    twilio_double_server.control.post("/_double/reset").raise_for_status()
    return twilio_double_server


@pytest.fixture
def callback_receiver(callback_receiver_server: Receiver) -> Receiver:
    callback_receiver_server.callbacks.clear()
    return callback_receiver_server


def twilio_settings(api_url: str, public_url: str, **overrides: Any) -> Settings:
    """Settings for a gateway that talks to the double; Twilio's fields go by their env names."""
    values: dict[str, Any] = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "twilio_api_url": api_url,
        "public_url": public_url,
        "twilio_connect_timeout_seconds": 0.5,
        "twilio_read_timeout_seconds": READ_TIMEOUT_SECONDS,
    }
    return Settings(_env_file=None, **(values | overrides))

"""A local stand-in for Twilio's Messages API, spoken to by the real twilio client (TW-10).

It answers in Twilio's wire format, keeps every message it accepted and counts every request,
injects the faults it is told to (faults.py) and posts signed status callbacks (callbacks.py).
Its control plane lives under /_double/.
"""

import asyncio
import base64
import binascii
import operator
import secrets
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import format_datetime
from typing import Any, cast
from urllib.parse import urlencode

import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.core.clock import utc_now
from scheduler.messaging.sms_text import measure
from workers.twilio_double.callbacks import CallbackJob, CallbackPoster
from workers.twilio_double.faults import (
    FaultPlan,
    Faults,
    drop_connection,
    injected_error,
    refusal,
    twilio_error,
)

API_VERSION = "2010-04-01"
_ACCOUNT = f"/{API_VERSION}/Accounts/{{account_sid}}"
_DATE_SENT_FILTERS = {"DateSent": operator.eq, "DateSent>": operator.ge, "DateSent<": operator.le}


@dataclass
class StoredMessage:
    sid: str
    form: dict[str, str]
    received_at: datetime
    received_monotonic: float
    status: str
    updated_at: datetime
    error_code: int | None = None


class DoubleState:
    """What the double remembers. The server's loop and test threads share it, under a lock."""

    def __init__(self, *, account_sid: str, auth_token: str, faults: Faults) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.initial_faults = faults
        self.plan = FaultPlan(faults)
        self.callbacks = CallbackPoster(auth_token)
        self.server: uvicorn.Server | None = None  # set by make_server; "reset" needs it
        self._lock = threading.Lock()
        self._messages: dict[str, StoredMessage] = {}
        self._requests: Counter[str] = Counter()

    def reset(self) -> None:
        with self._lock:
            self._messages.clear()
            self._requests.clear()
        self.callbacks.cancel()
        self.callbacks.reset_counts()
        self.plan.replace(self.initial_faults)

    def store(self, form: dict[str, str]) -> StoredMessage:
        now, sid = utc_now(), f"SM{secrets.token_hex(16)}"
        status = "accepted" if form.get("MessagingServiceSid") else "queued"
        message = StoredMessage(sid, form, now, time.monotonic(), status, now)
        with self._lock:
            self._messages[sid] = message
        return message

    def messages(self) -> list[StoredMessage]:
        """Newest first, as Twilio lists them."""
        with self._lock:
            return sorted(self._messages.values(), key=lambda m: -m.received_monotonic)

    def find(self, sid: str) -> StoredMessage | None:
        with self._lock:
            return self._messages.get(sid)

    def set_status(self, sid: str, status: str, error_code: int | None) -> None:
        with self._lock:
            message = self._messages.get(sid)  # gone if the double was reset meanwhile
            if message is not None:
                message.status, message.error_code = status, error_code
                message.updated_at = utc_now()

    def count_request(self, outcome: str) -> None:
        with self._lock:
            self._requests[outcome] += 1

    def counts(self) -> dict[str, Any]:
        with self._lock:
            by_status = {key: n for key, n in self._requests.items() if key != "total"}
            total = self._requests["total"]
        return {"total": total, "by_status": by_status, "callbacks": self.callbacks.counts()}


def _state(request: Request) -> DoubleState:
    return cast(DoubleState, request.app.state.double)


def _authorized(request: Request, state: DoubleState) -> bool:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    try:
        credentials = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return False
    expected = f"{state.account_sid}:{state.auth_token}".encode()
    same_account = request.path_params["account_sid"] == state.account_sid
    return scheme == "Basic" and secrets.compare_digest(credentials, expected) and same_account


def _resource(message: StoredMessage, account_sid: str) -> dict[str, Any]:
    form, uri = message.form, f"/{API_VERSION}/Accounts/{account_sid}/Messages/{message.sid}"
    created = format_datetime(message.received_at)  # RFC 2822 with "+0000"
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": form["Body"],
        "date_created": created,
        "date_sent": created,
        "date_updated": format_datetime(message.updated_at),
        "direction": "outbound-api",
        "error_code": message.error_code,
        "error_message": None,
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "num_media": "0",
        "num_segments": str(measure(form["Body"]).segments),
        "price": None,
        "price_unit": "USD",
        "sid": message.sid,
        "status": message.status,
        "to": form["To"],
        "uri": f"{uri}.json",
        "subresource_uris": {"media": f"{uri}/Media.json"},
    }


async def create_message(request: Request) -> Response:
    state = _state(request)
    if not _authorized(request, state):
        return twilio_error(401, 20003, "Authenticate")
    faults = state.plan.faults
    await asyncio.sleep(faults.latency_ms / 1000)
    fault = state.plan.draw()
    if fault in ("429", "500", "503"):
        return injected_error(fault, faults)
    form = {key: str(value) for key, value in (await request.form()).items()}
    if (refused := refusal(form)) is not None:
        return twilio_error(400, *refused)
    message = state.store(form)
    accepted = _resource(message, state.account_sid)  # as accepted, however long it hangs
    state.callbacks.start(
        _callback_job(message, state.account_sid, faults),
        lambda status, code: state.set_status(message.sid, status, code),
    )
    if fault == "hang":
        await asyncio.sleep(faults.hang_seconds)
    if fault == "reset":
        state.count_request("reset")
        return await drop_connection(request, state.server)
    return JSONResponse(accepted, status_code=201)


def _callback_job(message: StoredMessage, account_sid: str, faults: Faults) -> CallbackJob:
    form, sid = message.form, message.sid
    fields = {"MessageSid": sid, "SmsSid": sid, "AccountSid": account_sid, "To": form["To"]}
    fields |= {key: form[key] for key in ("From", "MessagingServiceSid") if form.get(key)}
    return CallbackJob(
        url=form.get("StatusCallback", ""),
        fields=fields | {"ApiVersion": API_VERSION},
        outcome=faults.outcome_for(form["To"]),
        mode=faults.callbacks if form.get("StatusCallback") else "off",
        delay_seconds=faults.callback_delay_ms / 1000,
        via_service=bool(form.get("MessagingServiceSid")),
    )


async def fetch_message(request: Request) -> Response:
    state = _state(request)
    if not _authorized(request, state):
        return twilio_error(401, 20003, "Authenticate")
    message = state.find(request.path_params["sid"])
    if message is None:
        return twilio_error(404, 20404, f"The requested resource {request.url.path} was not found")
    return JSONResponse(_resource(message, state.account_sid))


async def list_messages(request: Request) -> Response:
    """One page, newest first, filtered by To, From and DateSent. twilio-python sends
    date_sent_after as the key "DateSent>": Twilio's documented `DateSent>=...` read as a query."""
    state, query = _state(request), request.query_params
    if not _authorized(request, state):
        return twilio_error(401, 20003, "Authenticate")
    try:
        matches = [m for m in state.messages() if _matches(m, query)]
        size, page = int(query.get("PageSize", 50)), int(query.get("Page", 0))
    except (ValueError, TypeError) as error:  # not a number, not a date, a time without zone
        return twilio_error(400, 20001, f"Invalid parameter: {error}")
    first, chunk = page * size, matches[page * size : (page + 1) * size]
    return JSONResponse(
        {
            "messages": [_resource(m, state.account_sid) for m in chunk],
            "page": page,
            "page_size": size,
            "start": first,
            "end": first + max(len(chunk), 1) - 1,  # empty: 0 and 0, as in Twilio's examples
            "uri": _page_uri(request, page),
            "first_page_uri": _page_uri(request, 0),
            "next_page_uri": _page_uri(request, page + 1) if len(matches) > first + size else None,
            "previous_page_uri": _page_uri(request, page - 1) if page > 0 else None,
        }
    )


def _matches(message: StoredMessage, query: QueryParams) -> bool:
    form, sent = message.form, message.received_at
    if any(key in query and query[key] != form.get(key) for key in ("To", "From")):
        return False
    filters = _DATE_SENT_FILTERS.items()
    return all(_compare(sent, query[key], test) for key, test in filters if key in query)


def _compare(sent: datetime, value: str, test: Callable[[date, date], bool]) -> bool:
    """A bare date compares with the day sent; a date and time, to the second."""
    if len(value) == 10:
        return test(sent.date(), date.fromisoformat(value))
    return test(sent.replace(microsecond=0), datetime.fromisoformat(value))


def _page_uri(request: Request, page: int) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "Page"]
    return f"{request.url.path}?{urlencode([*query, ('Page', str(page))])}"


async def double_messages(request: Request) -> Response:
    """Every accepted message with the full form it arrived with."""
    return JSONResponse(
        [
            {
                "sid": m.sid,
                "form": m.form,
                "status": m.status,
                "error_code": m.error_code,
                "received_at": m.received_at.isoformat(),
                "received_monotonic": m.received_monotonic,
            }
            for m in _state(request).messages()
        ]
    )


async def double_requests(request: Request) -> Response:
    return JSONResponse(_state(request).counts())


async def double_reset(request: Request) -> Response:
    _state(request).reset()
    return JSONResponse({"reset": True})


async def double_faults(request: Request) -> Response:
    """GET shows the faults in force; POST replaces them with the JSON body."""
    plan = _state(request).plan
    if request.method == "POST":
        try:
            plan.replace(Faults.model_validate_json(await request.body()))
        except ValidationError as error:
            errors = error.errors(include_url=False, include_context=False, include_input=False)
            return JSONResponse({"errors": errors}, status_code=400)
    return JSONResponse(plan.faults.model_dump())


async def _not_served(request: Request, error: Exception) -> Response:
    """A path or method the API does not have gets Twilio's error body, as from Twilio; the
    control plane keeps Starlette's plain answer."""
    assert isinstance(error, HTTPException)
    status, headers = error.status_code, dict(error.headers or {})
    if request.url.path.startswith("/_double/"):
        return PlainTextResponse(error.detail, status_code=status, headers=headers)
    if status == 405:
        return twilio_error(405, 20004, "Method not allowed", **headers)
    return twilio_error(404, 20404, f"The requested resource {request.url.path} was not found")


class _CountRequests:
    """Counts every API request and the status it was answered with, failures included."""

    def __init__(self, app: ASGIApp, state: DoubleState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_double/"):
            return await self.app(scope, receive, send)

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.state.count_request(str(message["status"]))
            await send(message)

        self.state.count_request("total")
        await self.app(scope, receive, counting_send)


def create_app(*, account_sid: str, auth_token: str, faults: Faults | None = None) -> Starlette:
    """The double for one account; POST /_double/reset returns to these `faults`."""
    state = DoubleState(account_sid=account_sid, auth_token=auth_token, faults=faults or Faults())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await state.callbacks.close()

    app = Starlette(
        routes=[
            Route(f"{_ACCOUNT}/Messages.json", create_message, methods=["POST"]),
            Route(f"{_ACCOUNT}/Messages.json", list_messages, methods=["GET"]),
            Route(f"{_ACCOUNT}/Messages/{{sid}}.json", fetch_message, methods=["GET"]),
            Route("/_double/messages", double_messages, methods=["GET"]),
            Route("/_double/requests", double_requests, methods=["GET"]),
            Route("/_double/reset", double_reset, methods=["POST"]),
            Route("/_double/faults", double_faults, methods=["GET", "POST"]),
        ],
        middleware=[Middleware(_CountRequests, state=state)],
        exception_handlers={404: _not_served, 405: _not_served},
        lifespan=lifespan,
    )
    app.state.double = state
    return app


def make_server(app: Starlette, *, host: str, port: int, log_level: str = "info") -> uvicorn.Server:
    """A uvicorn server for the double; the "reset" fault finds its client's connection here."""
    config = uvicorn.Config(
        app, host=host, port=port, http="h11", log_level=log_level, timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    cast(DoubleState, app.state.double).server = server
    return server


def serve(host: str, port: int, account_sid: str, auth_token: str) -> None:
    """Runs the double until interrupted (`triggerpoint fake-twilio`)."""
    app = create_app(account_sid=account_sid, auth_token=auth_token)
    make_server(app, host=host, port=port).run()

"""What the Twilio double does wrong on purpose, and how Twilio says no.

Injected faults, refusals (missing fields, test-credential numbers) and delivery outcomes. Faults
hit create requests only; they come from create_app's arguments or POST /_double/faults, which
replaces the whole configuration.
"""

import asyncio
import random
import threading
from typing import Literal, Self

import uvicorn
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

FaultKind = Literal["429", "500", "503", "hang", "reset"]
CallbackMode = Literal["normal", "off", "duplicate", "reverse"]

_INJECTED = {
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}
# Twilio's test-credential numbers: https://www.twilio.com/docs/iam/test-credentials
_REFUSED_TO = {
    "+15005550001": (21211, "The 'To' number {to} is not a valid phone number."),
    "+15005550002": (21612, "The 'To' phone number: {to}, is not currently reachable via SMS."),
    "+15005550003": (21408, "Permission to send an SMS has not been enabled for {to}."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number {to} is not a valid mobile number"),
}
_REFUSED_FROM = {
    "+15005550001": (21212, "The 'From' number {sender} is not a valid phone number."),
    "+15005550007": (21606, "The 'From' phone number {sender} is not a valid, SMS-capable number."),
    "+15005550008": (
        21611,
        "This 'From' number has exceeded the maximum number of queued messages",
    ),
}


class Outcome(BaseModel):
    """Where a message ends up after it was sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["delivered", "undelivered", "failed"]
    error_code: int | None = None


DELIVERED = Outcome(status="delivered")


class Faults(BaseModel):
    """A fault hits the next `next` create requests, or each one with `probability`.

    "hang" and "reset" accept and store the message first: the client cannot tell whether it was
    sent. "hang" answers after `hang_seconds`; "reset" closes the connection without an answer.
    `outcomes` maps an ending of the To number to the delivery outcome its callbacks report.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    fault: FaultKind | None = None
    next: int = Field(default=0, ge=0)
    probability: float = Field(default=0.0, ge=0.0, le=1.0)
    latency_ms: float = Field(default=0.0, ge=0.0)
    hang_seconds: float = Field(default=5.0, gt=0.0)
    retry_after_seconds: int | None = Field(default=None, ge=0)
    callbacks: CallbackMode = "normal"
    callback_delay_ms: float = Field(default=20.0, ge=0.0)
    outcomes: dict[str, Outcome] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fault_says_when(self) -> Self:
        if self.fault is not None and self.next == 0 and self.probability == 0.0:
            raise ValueError("a fault needs `next` or `probability`")
        return self

    def outcome_for(self, to: str) -> Outcome:
        """The rule with the longest matching ending wins; without one, messages are delivered."""
        endings = [ending for ending in self.outcomes if to.endswith(ending)]
        return self.outcomes[max(endings, key=len)] if endings else DELIVERED


class FaultPlan:
    """The current Faults and how many of `next` are left; safe to share between threads."""

    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self._random = random.Random()
        self.replace(faults)

    def replace(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._remaining = faults.next

    def draw(self) -> FaultKind | None:
        """The fault for this create request, if any; each call uses up one of `next`."""
        with self._lock:
            if self._remaining > 0:
                self._remaining -= 1
                return self.faults.fault
            if self._random.random() < self.faults.probability:
                return self.faults.fault
            return None


def refusal(form: dict[str, str]) -> tuple[int, str] | None:
    """Twilio's error code and message for a create it would refuse, checked in Twilio's order."""
    to, sender = form.get("To", ""), form.get("From", "")
    if not to:
        return 21604, "A 'To' phone number is required."
    if not sender and not form.get("MessagingServiceSid"):
        return 21603, "A 'From' phone number is required."
    if not form.get("Body"):
        return 21602, "Message body is required."
    if sender in _REFUSED_FROM:
        code, text = _REFUSED_FROM[sender]
        return code, text.format(sender=sender)
    if to in _REFUSED_TO:
        code, text = _REFUSED_TO[to]
        return code, text.format(to=to)
    return None


def twilio_error(status: int, code: int, message: str, **headers: str) -> JSONResponse:
    """Twilio's legacy error body, the form twilio-python turns into TwilioRestException."""
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    body = {"code": code, "message": message, "more_info": more_info, "status": status}
    return JSONResponse(body, status_code=status, headers=headers)


def injected_error(fault: FaultKind, faults: Faults) -> JSONResponse:
    status = int(fault)
    code, message = _INJECTED[status]
    headers = {}
    if status == 429 and faults.retry_after_seconds is not None:
        headers["Retry-After"] = str(faults.retry_after_seconds)
    return twilio_error(status, code, message, **headers)


class _NoAnswer(Response):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Sends nothing: the connection is already gone."""


async def drop_connection(request: Request, server: uvicorn.Server | None) -> Response:
    """Closes the client's connection without a byte of answer, like a network drop after Twilio
    accepted the message. An app cannot do that through ASGI (uvicorn answers 500 to an exception
    raised before the response starts), so this aborts the transport uvicorn holds for the client.
    """
    connections = server.server_state.connections if server else set()
    client = request.scope.get("client")
    transports = [c.transport for c in connections if getattr(c, "client", None) == client]
    if not transports:
        raise RuntimeError("the reset fault needs a server from make_server")
    transports[0].abort()
    await asyncio.sleep(0.01)  # let uvicorn see the loss, so that it writes nothing more
    return _NoAnswer()

"""The SMS transport: one send contract, one error type, the only place a Twilio client is built.

A gateway never retries. Whether a failure may be retried is the caller's decision, taken from the
flags on SmsError, because a create that is sent twice texts the patient twice (TW-5).
"""

import json
import logging
import re
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

import phonenumbers
import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import (
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError

from scheduler.core.settings import Settings

log = logging.getLogger(__name__)

# twilio-python logs every request URL with its query at INFO: when listing, that is a patient's
# number. Its transport logs here, and only warnings pass.
_TRANSPORT_LOG = logging.getLogger(f"{__name__}.transport")
_TRANSPORT_LOG.setLevel(logging.WARNING)

_RATE_LIMITED = 20429
# Connections kept open to Twilio: at least a worker's threads, or every send beyond the pool
# opens (and over https negotiates) a connection of its own. twilio-python sizes it by CPU count.
_CONNECTIONS = 32
_PHONE_IN_TEXT = re.compile(r"\+\d{6,15}")


class SmsError(Exception):
    """One error type for the transport; its flags tell the caller what it may do next.

    permanent: Twilio refused the message and will refuse it again (invalid or unsubscribed
    number, bad credentials): never retry. ambiguous: the request left and no answer came back, so
    Twilio may have accepted it: do not resend blindly, reconcile (status callback, sent_since).
    Neither (transient): Twilio did not act on the request; retry after a backoff.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status: int | None = None,
        permanent: bool = False,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.permanent = permanent
        self.ambiguous = ambiguous

    @property
    def transient(self) -> bool:
        return not self.permanent and not self.ambiguous


@dataclass(frozen=True)
class Accepted:
    """The provider took the message; delivery is reported later by status callbacks (TW-4)."""

    sid: str
    status: str


@dataclass(frozen=True)
class SentRecord:
    """A message the provider holds, for reconciling sends whose outcome was unknown.

    callback_message_id is our id when the gateway can know it; Twilio does not return a
    message's StatusCallback URL, so from Twilio it is always None.
    """

    sid: str
    to: str
    body: str
    status: str
    date_created: datetime | None
    callback_message_id: int | None


class SmsGateway(Protocol):
    """What the sending code needs from a provider. Both methods raise only SmsError."""

    name: str

    def send(self, *, to: str, body: str, message_id: int) -> Accepted:
        """One attempt, no retry. `message_id` is ours; callbacks about the message carry it."""
        ...

    def sent_since(self, *, to: str, since: datetime) -> list[SentRecord]:
        """What the provider sent to `to` since `since`, to settle sends of unknown outcome."""
        ...


@lru_cache(maxsize=4096)
def mask_phone(e164: str) -> str:
    """The number as logs may show it: country code and last four digits only. Remembered, as
    every text logs its number and finding the country code costs a parse."""
    digits = re.sub(r"\D", "", e164)
    if len(digits) <= 4:
        return "***"
    try:
        country = phonenumbers.parse(e164, None).country_code
    except phonenumbers.NumberParseException:
        return f"***{digits[-4:]}"
    return f"+{country}***{digits[-4:]}"


class _LocalTwilioHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Sends every Twilio request to one base URL (a local double), keeping path and query."""

    def __init__(self, base_url: str) -> None:
        super().__init__(logger=_TRANSPORT_LOG)
        self._base = urllib.parse.urlsplit(base_url)
        self.session.trust_env = False  # a local double is never behind HTTP(S)_PROXY

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        target = urllib.parse.urlsplit(url)._replace(
            scheme=self._base.scheme, netloc=self._base.netloc
        )
        return super().request(method, urllib.parse.urlunsplit(target), **kwargs)


def _http_client(settings: Settings) -> Any:
    """Twilio's requests transport with (connect, read) timeouts and no retries of its own."""
    if settings.twilio_api_url:
        client = _LocalTwilioHttpClient(settings.twilio_api_url)
    else:
        client = TwilioHttpClient(logger=_TRANSPORT_LOG)
    # Set after construction: the constructor checks `timeout <= 0`, which a tuple fails,
    # while requests takes the (connect, read) pair as it is. Without it, reads wait forever.
    client.timeout = (settings.twilio_connect_timeout_seconds, settings.twilio_read_timeout_seconds)
    for scheme in ("http://", "https://"):  # a local double is usually plain http
        client.session.mount(scheme, HTTPAdapter(pool_maxsize=_CONNECTIONS))
    return client


def _scrubbed(text: str) -> str:
    """Twilio's error messages quote the phone number; ours carry only the masked form."""
    return _PHONE_IN_TEXT.sub(lambda match: mask_phone(match.group()), text)


def _refusal(error: TwilioRestException | TwilioServiceException) -> SmsError:
    """An HTTP error answer: Twilio read the request and did not act on it."""
    status = int(error.status)
    # Without a Twilio code in the body, twilio-python repeats the HTTP status as the code.
    code = None if error.code in (None, status) else int(error.code)
    rate_limited = status == 429 or code == _RATE_LIMITED
    text = _scrubbed(str(getattr(error, "msg", None) or getattr(error, "detail", "")))
    return SmsError(
        f"Twilio answered {status} (code {code}): {text}",
        code=code,
        status=status,
        permanent=400 <= status < 500 and status != 408 and not rate_limited,
    )


def _never_sent(error: requests.RequestException) -> bool:
    """True when the connection failed before the request left: refused, DNS, connect timeout."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(error, requests.exceptions.ConnectionError) or not error.args:
        return False
    # requests wraps urllib3's MaxRetryError, whose reason is the error that ended the attempt.
    reason = getattr(error.args[0], "reason", error.args[0])
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError is one


def _transport_failure(error: requests.RequestException) -> SmsError:
    if _never_sent(error):
        return SmsError(f"Twilio not reached: {type(error).__name__}")
    return SmsError(
        f"No answer from Twilio after sending ({type(error).__name__}): it may have accepted it",
        ambiguous=True,
    )


@contextmanager
def _twilio_errors() -> Iterator[None]:
    """Translate what twilio-python and requests raise into SmsError."""
    try:
        yield
    except (TwilioRestException, TwilioServiceException) as error:
        raise _refusal(error) from error
    except requests.RequestException as error:
        raise _transport_failure(error) from error
    except json.JSONDecodeError as error:
        # A success status with a body cut short: Twilio acted, we cannot tell how.
        raise SmsError("Unreadable answer from Twilio", ambiguous=True) from error


def _twilio_configured(settings: Settings) -> bool:
    sender = settings.twilio_from_number or settings.twilio_messaging_service_sid
    return bool(settings.twilio_account_sid and settings.twilio_auth_token and sender)


class TwilioGateway:
    """Sends through Twilio's Messages API with the official client."""

    name = "twilio"

    def __init__(self, settings: Settings) -> None:
        if not _twilio_configured(settings):
            raise ValueError("Twilio needs an account SID, an auth token and a sender")
        self._client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=_http_client(settings),
        )
        # The client imports its Messages API on first use; the first text should not wait.
        self._messages = self._client.messages
        # Either may be None; the client leaves out None, and Twilio uses both when both are set.
        self._sender = {
            "from_": settings.twilio_from_number,
            "messaging_service_sid": settings.twilio_messaging_service_sid,
        }
        self._callback_url = f"{settings.public_url.rstrip('/')}/webhooks/twilio/status"

    def send(self, *, to: str, body: str, message_id: int) -> Accepted:
        """Raises SmsError. Our id travels in the callback URL, which Twilio signs, so a
        callback ties the SID to our row even when this call's answer is lost."""
        callback = f"{self._callback_url}?message_id={message_id}"
        with _twilio_errors():
            message = self._messages.create(
                to=to, body=body, status_callback=callback, **self._sender
            )
        return Accepted(sid=str(message.sid), status=str(message.status))

    def sent_since(self, *, to: str, since: datetime) -> list[SentRecord]:
        """Messages Twilio holds for `to` with DateSent at or after `since`, to the second.

        Twilio documents this filter by day, so callers match on body too. Messages still queued
        have no DateSent yet: reconcile only once they have had minutes to leave.
        """
        since = since.astimezone(UTC)  # the client formats the time as given and appends Z
        with _twilio_errors():
            messages = self._messages.list(to=to, date_sent_after=since, page_size=100)
        return [_sent_record(message) for message in messages]


def _sent_record(message: Any) -> SentRecord:
    return SentRecord(
        sid=str(message.sid),
        to=str(message.to),
        body=str(message.body or ""),
        status=str(message.status),
        date_created=message.date_created,
        callback_message_id=None,
    )


class ConsoleGateway:
    """Stands in when Twilio is not configured: logs that a text would go, never what it says."""

    name = "console"

    def send(self, *, to: str, body: str, message_id: int) -> Accepted:
        log.info("SMS to %s: %d chars", mask_phone(to), len(body))
        return Accepted(sid=f"console-{message_id}", status="sent")

    def sent_since(self, *, to: str, since: datetime) -> list[SentRecord]:
        return []


def gateway_from_settings(settings: Settings) -> SmsGateway:
    """Twilio when fully configured; otherwise the console, said loudly once."""
    if _twilio_configured(settings):
        return TwilioGateway(settings)
    log.warning(
        "Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER "
        "or TWILIO_MESSAGING_SERVICE_SID): text messages will be logged, not sent"
    )
    return ConsoleGateway()

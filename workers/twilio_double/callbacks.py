"""Status callbacks as Twilio posts them: form-encoded, signed with X-Twilio-Signature.

Each accepted message walks to its outcome in a background task. A callback that cannot be
delivered is logged and counted; it never reaches the request that accepted the message.
"""

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from twilio.request_validator import RequestValidator

from workers.twilio_double.faults import CallbackMode, Outcome

log = logging.getLogger(__name__)

Step = tuple[str, int | None]  # status and error code
OnStatus = Callable[[str, int | None], None]


@dataclass(frozen=True)
class CallbackJob:
    """One message's walk through its statuses, and how its callbacks are posted."""

    url: str
    fields: dict[str, str]  # MessageSid, AccountSid, From, To, ... without the status
    outcome: Outcome
    mode: CallbackMode
    delay_seconds: float
    via_service: bool

    def steps(self) -> list[Step]:
        """The true order. The initial status (queued, or accepted with a Messaging Service)
        gets no callback; a failed message was never sent."""
        last: Step = (self.outcome.status, self.outcome.error_code)
        walk = [last] if self.outcome.status == "failed" else [("sent", None), last]
        return [("queued", None), *walk] if self.via_service else walk

    def params(self, step: Step) -> dict[str, str]:
        status, error_code = step
        params = {**self.fields, "SmsStatus": status, "MessageStatus": status}
        if status in {"failed", "undelivered"} and error_code is not None:
            params["ErrorCode"] = str(error_code)
        return params


class CallbackPoster:
    """Runs the callback walks and counts what the receivers answered."""

    def __init__(self, auth_token: str) -> None:
        self._validator = RequestValidator(auth_token)
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self._answers: Counter[str] = Counter()  # "ok", or "error" when none or >= 400
        self._statuses: Counter[str] = Counter()

    def start(self, job: CallbackJob, on_status: OnStatus) -> None:
        """Called on the server's loop; returns at once."""
        task = asyncio.get_running_loop().create_task(self._walk(job, on_status))
        with self._lock:
            self._tasks.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        with self._lock:
            self._tasks.discard(task)

    def counts(self) -> dict[str, object]:
        with self._lock:
            return {**self._answers, "by_status": dict(self._statuses)}

    def reset_counts(self) -> None:
        with self._lock:
            self._answers.clear()
            self._statuses.clear()

    def cancel(self) -> None:
        """Stops the walks under way; safe from any thread."""
        with self._lock:
            tasks = list(self._tasks)
        for task in tasks:
            task.get_loop().call_soon_threadsafe(task.cancel)

    async def close(self) -> None:
        self.cancel()
        if self._client is not None:
            await self._client.aclose()

    async def _walk(self, job: CallbackJob, on_status: OnStatus) -> None:
        """The double's record follows the true order even when callbacks are posted reversed,
        twice, or not at all."""
        steps = job.steps()
        posted = list(reversed(steps)) if job.mode == "reverse" else steps
        copies = {"off": 0, "duplicate": 2}.get(job.mode, 1)
        try:
            for true_step, posted_step in zip(steps, posted, strict=True):
                await asyncio.sleep(job.delay_seconds)
                on_status(*true_step)
                for _ in range(copies):
                    await self._post(job.url, job.params(posted_step))
        except Exception:
            log.exception("Status callbacks to %s stopped", job.url)

    async def _post(self, url: str, params: dict[str, str]) -> None:
        signature = str(self._validator.compute_signature(url, params))
        if self._client is None:
            # Never through a proxy from the environment: callbacks go to a local app.
            self._client = httpx.AsyncClient(timeout=5.0, trust_env=False)
        try:
            response = await self._client.post(
                url, data=params, headers={"X-Twilio-Signature": signature}
            )
        except httpx.HTTPError as error:
            log.warning("Status callback to %s failed: %r", url, error)
            return self._count(params["MessageStatus"], answered=False)
        if response.status_code >= 400:
            log.warning("Status callback to %s answered %d", url, response.status_code)
        self._count(params["MessageStatus"], answered=response.status_code < 400)

    def _count(self, status: str, *, answered: bool) -> None:
        with self._lock:
            self._answers["ok" if answered else "error"] += 1
            self._statuses[status] += 1

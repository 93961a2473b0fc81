"""The rules at the moment of sending, applied: does a queued text go now, when, saying what?

A queued message is read with the state of its world and then either cleared to go, with the
words it will say, or settled: cancelled because the visit changed, skipped with a reason, or
deferred to a later time. The dispatcher does this for all the texts of a tick at once, with one
read, before it hands them out. A worker then claims a cleared text with one conditional update
that only one worker can win, and only while the text is still right to send (`send_rule`) and
the send window it was cleared in is still open. A text that was not cleared, or whose claim
finds the world changed, is read, decided and claimed by the worker itself. The words are
stored before they leave, so that a text whose outcome is unknown can be found at the provider
by what it says.

The SQL it runs is built in `statements`; what the provider answers is recorded by `outcomes`.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from scheduler.core import signing
from scheduler.core.errors import not_found
from scheduler.core.policy import Policy
from scheduler.core.wallclock import clinic_zone, day_bounds
from scheduler.messaging.planning import next_day_opening, window_closes, within_window
from scheduler.messaging.send_rule import can_be_texted, visit_moved_on
from scheduler.messaging.send_window import effective_window
from scheduler.messaging.statements import (
    ANSWER,
    CLAIM,
    CLAIM_CLEARED,
    CLEAR,
    READ,
    READ_QUEUED,
    Settlement,
    settle,
    texts_counted,
)
from scheduler.messaging.templates import render, wording
from scheduler.models import MessageStatus, VisitStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadyToSend:
    message_id: int
    to: str
    body: str


@dataclass(frozen=True)
class Queued:
    """A queued message with the state of its world as one read saw it."""

    id: int
    kind: str
    template: str
    to_phone: str
    patient_id: int
    not_after: datetime
    visit_id: int | None
    visit_version: int | None
    intake_link_id: int | None  # the intake form's link, for an intake text
    body: str | None  # worded when planned (an offer), or on an earlier attempt
    visit_status: VisitStatus | None  # None: the text belongs to no visit
    visit_version_now: int | None
    visit_start: datetime | None
    patient_name: str
    sms_consent: bool
    number_opted_out: bool
    clinic: str | None  # None: the clinic has no location at all
    clinic_phone: str
    time_zone: str
    own_template: str | None
    window_opens: time | None  # the send window an admin stored, if any
    window_closes: time | None
    signing_key: str  # for the patient's link


# Reads before giving up on a message whose world keeps changing between read and claim; the
# sweeper hands it out again later.
READS = 3


def claim_for_sending(
    connection: Connection, *, message_id: int, now: datetime, policy: Policy, public_url: str
) -> ReadyToSend | None:
    """The text to send now, with the row marked `sending`; None when there is nothing to send
    (another worker has it, or it was settled: cancelled, skipped or deferred). Links in the
    text start with `public_url`.

    A text the dispatcher cleared is claimed at once, if what the clearing rested on still
    holds. Otherwise the text is read and decided here. The read and the claim need not share
    a transaction: the claim re-checks in SQL what the decision rested on (the visit's state
    and version, the patient's consent, the opt-out list), and a claim that finds the world
    changed reads it again. The daily limit is counted when a text is cleared or read, not
    re-checked by the claim: two deciding at once for one patient may both count the patient
    one under it.
    """
    cleared = connection.execute(CLAIM_CLEARED, {"message_id": message_id, "now": now})
    if (ready := cleared.one_or_none()) is not None:
        return ReadyToSend(message_id=message_id, to=ready.to_phone, body=ready.body)
    texts_today = TextsToday(connection, now)
    for _ in range(READS):
        found = connection.execute(READ, {"message_id": message_id}).one_or_none()
        if found is None:
            return None
        queued = Queued(**found._asdict())
        if queued.clinic is None:
            raise not_found("location", None, field="location_id")
        if settled := _settle_if_not_right(queued, now=now, policy=policy, texts=texts_today):
            connection.execute(settle(queued.id, settled, now=now))
            return None
        words = _words(queued, public_url)
        claimed = connection.execute(CLAIM, _claim_values(queued, words, now))
        if (ready := claimed.one_or_none()) is not None:
            return ReadyToSend(message_id=message_id, to=ready.to_phone, body=ready.body)
    log.warning("message %d: its visit or patient kept changing while it was claimed", message_id)
    return None


def clear_for_sending(
    connection: Connection,
    *,
    message_ids: Sequence[int],
    now: datetime,
    policy: Policy,
    public_url: str,
) -> list[int]:
    """Decide for queued messages, all at once, which go now; returns the ids to hand out.

    Those that go are cleared: their words stored, and the instant until which the decision
    holds (their deadline, or the close of the send window if sooner). The others are settled
    here and not handed out. A message that cannot be decided (its clinic has no location, its
    words do not render) is handed out uncleared, so that its own worker reports it and the
    others are not held up with it.
    """
    found = connection.execute(READ_QUEUED, {"message_ids": list(message_ids)}).all()
    texts_today = TextsToday(connection, now)
    cleared: list[dict[str, Any]] = []
    handed: list[int] = []
    for queued in (Queued(**row._asdict()) for row in found):
        try:
            if queued.clinic is None:
                raise not_found("location", None, field="location_id")
            settled = _settle_if_not_right(queued, now=now, policy=policy, texts=texts_today)
            words = "" if settled else _words(queued, public_url)
        except SQLAlchemyError:
            raise
        except Exception:
            log.exception("message %d was not cleared; its worker will decide it", queued.id)
            handed.append(queued.id)
            continue
        if settled:
            connection.execute(settle(queued.id, settled, now=now))
            continue
        until = _cleared_until(queued, now=now, policy=policy)
        cleared.append({"message_id": queued.id, "words": words, "until": until, "now": now})
        texts_today.add(queued)
        handed.append(queued.id)
    if cleared:
        connection.execute(CLEAR, cleared)
    return handed


def _cleared_until(queued: Queued, *, now: datetime, policy: Policy) -> datetime:
    """An answer may go until its deadline; any other text only while the send window it was
    cleared in is open, which also ends before the clinic's day does, and with it the daily
    count the clearing relied on."""
    if queued.kind == ANSWER:
        return queued.not_after
    zone, window = _send_window(queued, policy)
    return min(queued.not_after, window_closes(now, zone=zone, window=window))


def _claim_values(queued: Queued, words: str, now: datetime) -> dict[str, Any]:
    return {
        "message_id": queued.id,
        "now": now,
        "words": words,
        "visit_status": queued.visit_status,
        "visit_version_now": queued.visit_version_now,
    }


def _settle_if_not_right(
    queued: Queued, *, now: datetime, policy: Policy, texts: "TextsToday"
) -> Settlement | None:
    """How to settle a message that must not go out now, or None to send it."""
    if reason := visit_moved_on(
        kind=queued.kind,
        visit_status=queued.visit_status,
        visit_version=queued.visit_version,
        visit_version_now=queued.visit_version_now,
    ):
        return MessageStatus.CANCELLED, reason, None
    if not can_be_texted(consents=queued.sms_consent, opted_out=queued.number_opted_out):
        return MessageStatus.SKIPPED, "the patient opted out of texts", None
    if now > queued.not_after:
        return MessageStatus.SKIPPED, "too late: past its deadline", None
    if queued.kind == ANSWER:
        return None
    return _deferral(queued, now=now, policy=policy, texts=texts)


def _deferral(
    queued: Queued, *, now: datetime, policy: Policy, texts: "TextsToday"
) -> Settlement | None:
    """Outside the send window, or over the patient's daily limit: move to the next opening."""
    zone, window = _send_window(queued, policy)
    later = within_window(now, zone=zone, window=window)
    if later == now and texts.count(queued) >= policy.daily_message_cap:
        later = next_day_opening(now, zone=zone, window=window)
    if later == now:
        return None
    if later > queued.not_after:
        return MessageStatus.SKIPPED, "no time left inside the send window and daily limit", None
    return MessageStatus.SCHEDULED, "deferred to the send window", later


def _send_window(queued: Queued, policy: Policy) -> tuple[ZoneInfo, tuple[time, time]]:
    window = effective_window(queued.window_opens, queued.window_closes, policy)
    return clinic_zone(queued.time_zone), window


class TextsToday:
    """How many texts each patient has had today, the clinic's day, against the daily limit:
    counted in the database once per patient, then kept up to date as texts are cleared.

    Texts being sent or sent count, and so do cleared ones still waiting for a worker.
    """

    def __init__(self, connection: Connection, now: datetime) -> None:
        self._connection, self._now = connection, now
        self._counts: dict[tuple[int, str], int] = {}  # by patient and clinic zone

    def count(self, queued: Queued) -> int:
        key = (queued.patient_id, queued.time_zone)
        if key not in self._counts:
            self._counts[key] = self._in_database(queued, clinic_zone(queued.time_zone))
        return self._counts[key]

    def add(self, queued: Queued) -> None:
        """`queued` was cleared: it counts from now on, unless it is an answer."""
        if queued.kind != ANSWER:
            self._counts[(queued.patient_id, queued.time_zone)] = self.count(queued) + 1

    def _in_database(self, queued: Queued, zone: ZoneInfo) -> int:
        start, end = day_bounds(self._now.astimezone(zone).date(), zone)
        counted = texts_counted(
            patient_id=queued.patient_id, other_than=queued.id, start=start, end=end
        )
        return self._connection.execute(counted).scalar_one()


def _words(queued: Queued, public_url: str) -> str:
    """What the text says: as worded when it was planned (an offer) or claimed before (a retry),
    else rendered now."""
    return queued.body if queued.body is not None else _render(queued, public_url)


def _render(queued: Queued, public_url: str) -> str:
    values = {
        "clinic": queued.clinic or "",
        "phone": queued.clinic_phone,
        "first_name": queued.patient_name.split()[0],
        "day": "",
        "time": "",
        "link": "",
    }
    if queued.intake_link_id is not None:
        values["link"] = signing.link(
            public_url, queued.signing_key, signing.INTAKE, queued.intake_link_id
        )
    elif queued.visit_id is not None:
        values["link"] = signing.link(
            public_url, queued.signing_key, signing.VISIT, queued.visit_id
        )
    if queued.visit_start is not None:
        start = queued.visit_start.astimezone(clinic_zone(queued.time_zone))
        values |= {"day": f"{start:%a %d %b}", "time": f"{start:%H:%M}"}
    text = wording(queued.template, queued.own_template)
    return render(queued.template, text, values).text

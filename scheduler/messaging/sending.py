"""The rules at the moment of sending: is this text still right, now, for this patient?

A queued message is read with the state of its world and then either cleared to go, with the
words it will say, or settled: cancelled because the visit changed, skipped with a reason, or
deferred to a later time. The dispatcher does this for all the texts of a tick at once, with one
read, before it hands them out. A worker then claims a cleared text with one conditional update
that only one worker can win, and only while what the clearing rested on still holds: the visit
in the same state, the patient still consenting and not opted out, the send window still open.
A text that was not cleared, or whose claim finds the world changed, is read, decided and claimed
by the worker itself. Outcomes from the gateway are recorded here too, so the state of every
text lives in one place.

Every text passes through here, so its statements are few and built once. A cleared text costs
its worker two: the claim, which returns the stored words, and the record of the provider's
answer. None of them needs a transaction around it, so on PostgreSQL each commits on its own.
The words are stored before they leave, so that a text whose outcome is unknown can be found at
the provider by what it says.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Exists,
    ScalarSelect,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from scheduler.core import signing
from scheduler.core.errors import not_found
from scheduler.core.policy import Policy
from scheduler.core.wallclock import clinic_zone, day_bounds
from scheduler.messaging.planning import next_day_opening, window_closes, within_window
from scheduler.messaging.send_window import effective_window, stored_hours
from scheduler.messaging.templates import own_wording, render, wording
from scheduler.models import (
    Appointment,
    Location,
    Message,
    MessageStatus,
    Patient,
    SmsOptOut,
    Visit,
    VisitStatus,
)
from scheduler.models.columns import UTCDateTime

UNSUBSCRIBED = "21610"
# Which state of its visit each kind of text still makes sense in.
STILL_RIGHT = {
    "confirmation": VisitStatus.BOOKED,
    "reschedule_notice": VisitStatus.BOOKED,
    "cancellation_notice": VisitStatus.CANCELLED,
    "aftercare": VisitStatus.COMPLETED,
    "aftercare_checkin": VisitStatus.COMPLETED,
    "aftercare_followup": VisitStatus.COMPLETED,
}
COUNTED = (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED)
# An answer to the patient's own text: it goes out at any hour and never counts against the
# daily limit.
ANSWER = "reply"
# A row whose clearing no longer stands (deferred, settled, or claimed again by a dispatcher)
# forgets both its halves, so its next clearing or claim decides and words it anew.
FORGET_CLEARING: dict[str, Any] = {"cleared_until": None, "cleared_body": None}
T = TypeVar("T")
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
    signing_key: str  # for the visit's link


# The fields of `Queued` that the message row holds itself.
MESSAGE_FIELDS = (
    "id",
    "kind",
    "template",
    "to_phone",
    "patient_id",
    "not_after",
    "visit_id",
    "visit_version",
    "body",
)
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
            _settle(connection, queued.id, *settled, now=now)
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
            _settle(connection, queued.id, *settled, now=now)
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


Settlement = tuple[MessageStatus, str, datetime | None]  # new status, reason, new send_at


def _settle_if_not_right(
    queued: Queued, *, now: datetime, policy: Policy, texts: "TextsToday"
) -> Settlement | None:
    """How to settle a message that must not go out now, or None to send it."""
    if reason := _visit_moved_on(queued):
        return MessageStatus.CANCELLED, reason, None
    if queued.number_opted_out or not queued.sms_consent:
        return MessageStatus.SKIPPED, "the patient opted out of texts", None
    if now > queued.not_after:
        return MessageStatus.SKIPPED, "too late: past its deadline", None
    if queued.kind == ANSWER:
        return None
    return _deferral(queued, now=now, policy=policy, texts=texts)


def _visit_moved_on(queued: Queued) -> str | None:
    if queued.visit_status is None:
        return None
    wanted = STILL_RIGHT.get(queued.kind, VisitStatus.BOOKED)
    if queued.visit_status != wanted:
        return f"the visit is {queued.visit_status.value.replace('_', ' ')}"
    if wanted == VisitStatus.BOOKED and queued.visit_version_now != queued.visit_version:
        return "the visit moved"
    return None


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
        cleared = and_(_QUEUED, col(Message.cleared_until).is_not(None))
        return self._connection.execute(
            select(func.count())
            .select_from(Message)
            .where(
                Message.patient_id == queued.patient_id,
                Message.kind != ANSWER,
                or_(col(Message.status).in_(COUNTED), cleared),
                col(Message.claimed_at) >= start,
                col(Message.claimed_at) < end,
                Message.id != queued.id,
            )
        ).scalar_one()


def _settle(
    connection: Connection,
    message_id: int,
    status: MessageStatus,
    reason: str,
    send_at: datetime | None,
    *,
    now: datetime,
) -> None:
    """Settles the row only if it is still queued: otherwise another worker took it meanwhile."""
    moved = {"send_at": send_at} if send_at else {}
    connection.execute(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.status) == MessageStatus.QUEUED)
        .values(status=status, reason=reason, updated_at=now, **moved, **FORGET_CLEARING)
    )


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
    if queued.visit_id is not None:
        values["link"] = signing.link(
            public_url, queued.signing_key, signing.VISIT, queued.visit_id
        )
    if queued.visit_start is not None:
        start = queued.visit_start.astimezone(clinic_zone(queued.time_zone))
        values |= {"day": f"{start:%a %d %b}", "time": f"{start:%H:%M}"}
    text = wording(queued.template, queued.own_template)
    return render(queued.template, text, values).text


def record_accepted(connection: Connection, *, message_id: int, sid: str, now: datetime) -> None:
    """The provider took the text. A status callback may have overtaken this (it carries our id
    in its URL): then only the SID is filled in and the later status stays."""
    connection.execute(RECORD_ACCEPTED, {"message_id": message_id, "sid": sid, "now": now})


def record_failure(
    session: Session,
    *,
    message_id: int,
    code: str | None,
    permanent: bool,
    ambiguous: bool,
    now: datetime,
    max_attempts: int,
) -> bool:
    """Record what went wrong; True when the caller should try again shortly.

    Permanent errors are never retried (an unsubscribed number also opts the number out). An
    ambiguous one (the provider may have the text) leaves the row `unknown` for reconciliation:
    resending blindly could text the patient twice.
    """
    message = session.get_one(Message, message_id)
    message.error_code = code
    message.updated_at = now
    retry = not permanent and not ambiguous and message.attempts < max_attempts
    if permanent or (not ambiguous and not retry):
        message.status = MessageStatus.FAILED
    elif ambiguous:
        message.status = MessageStatus.UNKNOWN
    else:
        message.status = MessageStatus.QUEUED
    if code == UNSUBSCRIBED:
        opt_out(session, phone=message.to_phone, keyword="provider 21610", now=now)
    session.add(message)
    return retry


def opt_out(session: Session, *, phone: str, keyword: str, now: datetime) -> None:
    if session.get(SmsOptOut, phone) is None:
        session.add(SmsOptOut(phone=phone, opted_out_at=now, keyword=keyword))
        session.flush()


def _world() -> list[Mapped[Any] | ColumnElement[Any]]:
    """The message's own fields and what the re-checks and the words need from other tables."""
    visit_id, patient_id = _outer("visit_id"), _outer("patient_id")
    location_id = func.coalesce(
        _lookup(col(Visit.location_id), visit_id), select(func.min(Location.id)).scalar_subquery()
    )
    first_part = select(Appointment.starts_at).where(col(Appointment.visit_id) == visit_id)
    return [
        *(col(getattr(Message, name)) for name in MESSAGE_FIELDS),
        _lookup(col(Visit.status), visit_id).label("visit_status"),
        _lookup(col(Visit.version), visit_id).label("visit_version_now"),
        first_part.order_by(col(Appointment.position)).limit(1).label("visit_start"),
        _lookup(col(Patient.name), patient_id).label("patient_name"),
        _lookup(col(Patient.sms_consent), patient_id).label("sms_consent"),
        _opted_out().label("number_opted_out"),
        _lookup(col(Location.name), location_id).label("clinic"),
        _lookup(col(Location.phone), location_id).label("clinic_phone"),
        _lookup(col(Location.time_zone), location_id).label("time_zone"),
        own_wording(_outer("template")).label("own_template"),
        *stored_hours(),
        signing.signing_key_subquery().label("signing_key"),
    ]


def _outer(name: str) -> ColumnElement[Any]:
    """A column of the message being read, named so that subqueries refer to the outer row at any
    depth: SQLAlchemy correlates a subquery only with the statement directly around it, so the
    clinic's location, looked up through the visit, would otherwise read every message."""
    return literal_column(f"{Message.__tablename__}.{name}")


def _world_as_read() -> ColumnElement[bool]:
    """What a decision to send rested on is still so: the visit is in the state and at the
    version that was read, and the patient can still be texted."""
    visit_as_read = exists().where(
        col(Visit.id) == col(Message.visit_id),
        col(Visit.status) == bindparam("visit_status"),
        col(Visit.version) == bindparam("visit_version_now"),
    )
    return and_(or_(col(Message.visit_id).is_(None), visit_as_read), _reachable())


def _still_right() -> ColumnElement[bool]:
    """`_visit_moved_on` and the patient's consent in SQL, for a claim that reads nothing first:
    the visit is in the state the kind of text needs (a booked one still at the text's
    version), and the patient can still be texted."""
    other_states = {
        kind: state for kind, state in STILL_RIGHT.items() if state != VisitStatus.BOOKED
    }
    booked = and_(
        col(Message.kind).not_in([literal(kind) for kind in other_states]),  # bound once
        col(Visit.status) == VisitStatus.BOOKED,
        col(Visit.version) == col(Message.visit_version),
    )
    moved_on = [
        and_(col(Message.kind) == kind, col(Visit.status) == state)
        for kind, state in other_states.items()
    ]
    visit_right = exists().where(col(Visit.id) == col(Message.visit_id), or_(booked, *moved_on))
    return and_(or_(col(Message.visit_id).is_(None), visit_right), _reachable())


def _reachable() -> ColumnElement[bool]:
    """The patient still consents to texts and the number has not opted out."""
    consents = exists().where(col(Patient.id) == col(Message.patient_id), col(Patient.sms_consent))
    return and_(consents, ~_opted_out())


def _opted_out() -> Exists:
    return exists().where(col(SmsOptOut.phone) == col(Message.to_phone))


def _lookup(column: Mapped[T], primary_key: Mapped[Any] | ColumnElement[Any]) -> ScalarSelect[T]:
    """`column` of the row of its table whose id is `primary_key`."""
    table = column.class_  # type: ignore[attr-defined]
    return select(column).where(table.id == primary_key).scalar_subquery()


# The statements every text runs, built once; they take `message_id` and `now` or `words`/`sid`.
_THIS_ONE = col(Message.id) == bindparam("message_id")
_QUEUED = col(Message.status) == MessageStatus.QUEUED
_NOW = bindparam("now", type_=UTCDateTime())
_SENDING = col(Message.status) == MessageStatus.SENDING  # a callback may have moved it on
_CLAIMED = {"status": MessageStatus.SENDING, "attempts": Message.attempts + 1}
READ = select(*_world()).where(_THIS_ONE, _QUEUED)
READ_QUEUED = (
    select(*_world())
    .where(col(Message.id).in_(bindparam("message_ids", expanding=True)), _QUEUED)
    .order_by(col(Message.id))
)
CLEAR = (
    update(Message)
    .where(_THIS_ONE, _QUEUED)
    .values(cleared_body=bindparam("words"), updated_at=_NOW)
    .values(cleared_until=bindparam("until", type_=UTCDateTime()))
)
_CLEARED_WORDS = func.coalesce(col(Message.body), col(Message.cleared_body))
CLAIM_CLEARED = (
    update(Message)
    .where(_THIS_ONE, _QUEUED, col(Message.cleared_until) >= _NOW, _CLEARED_WORDS.is_not(None))
    .where(_still_right())
    .values(**_CLAIMED, claimed_at=_NOW, updated_at=_NOW)
    .values(body=_CLEARED_WORDS, cleared_body=None)  # what goes is what the row says went
    .returning(col(Message.to_phone), col(Message.body))
)
CLAIM = (
    update(Message)
    .where(_THIS_ONE, _QUEUED, _world_as_read())
    .values(**_CLAIMED, claimed_at=_NOW, updated_at=_NOW)
    .values(body=func.coalesce(col(Message.body), bindparam("words")), cleared_body=None)
    .returning(col(Message.to_phone), col(Message.body))
)
RECORD_ACCEPTED = (
    update(Message)
    .where(_THIS_ONE)
    .values(provider_sid=bindparam("sid"), sent_at=_NOW, updated_at=_NOW)
    .values(status=case((_SENDING, MessageStatus.SENT), else_=col(Message.status)))
)

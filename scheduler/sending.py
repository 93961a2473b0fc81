"""The rules at the moment of sending: is this text still right, now, for this patient?

A worker claims a queued message here (a conditional update that only one worker can win),
re-checks the world, and either gets the rendered text to send or finds the row settled:
cancelled because the visit changed, skipped with a reason, or deferred to a later time.
Outcomes from the gateway are recorded here too, so the state of every text lives in one place.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from scheduler.messages import next_day_opening, within_window
from scheduler.models import Message, MessageStatus, Patient, SmsOptOut, Visit, VisitStatus
from scheduler.policy import Policy
from scheduler.schedule import resolve_location
from scheduler.templates import render, template_text
from scheduler.visits import visit_start
from scheduler.wallclock import clinic_zone, day_bounds

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


@dataclass(frozen=True)
class ReadyToSend:
    message_id: int
    to: str
    body: str


def claim_for_sending(
    session: Session, *, message_id: int, now: datetime, policy: Policy
) -> ReadyToSend | None:
    """The text to send now, with the row marked `sending`; None when there is nothing to send
    (another worker has it, or it was settled: cancelled, skipped or deferred)."""
    claimed = session.execute(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.status) == MessageStatus.QUEUED)
        .values(
            status=MessageStatus.SENDING,
            attempts=Message.attempts + 1,
            claimed_at=now,
            updated_at=now,
        )
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    message = session.get_one(Message, message_id)
    session.refresh(message)
    if settled := _settle_if_not_right(session, message, now=now, policy=policy):
        _settle(message, *settled, now=now)
        return None
    message.body = _render(session, message)
    session.add(message)
    return ReadyToSend(message_id=message_id, to=message.to_phone, body=message.body)


Settlement = tuple[MessageStatus, str, datetime | None]  # new status, reason, new send_at


def _settle_if_not_right(
    session: Session, message: Message, *, now: datetime, policy: Policy
) -> Settlement | None:
    """How to settle a message that must not go out now, or None to send it."""
    if reason := _visit_moved_on(session, message):
        return MessageStatus.CANCELLED, reason, None
    if _opted_out(session, message):
        return MessageStatus.SKIPPED, "the patient opted out of texts", None
    if now > message.not_after:
        return MessageStatus.SKIPPED, "too late: past its deadline", None
    if message.kind == "reply":
        return None  # an answer to the patient's own text goes out at once
    return _deferral(session, message, now=now, policy=policy)


def _deferral(
    session: Session, message: Message, *, now: datetime, policy: Policy
) -> Settlement | None:
    """Outside the send window, or over the patient's daily limit: move to the next opening."""
    zone = _zone(session, message)
    later = within_window(now, zone=zone, window=policy.send_window)
    if later == now and _sent_today(session, message, now, zone) >= policy.daily_message_cap:
        later = next_day_opening(now, zone=zone, window=policy.send_window)
    if later == now:
        return None
    if later > message.not_after:
        return MessageStatus.SKIPPED, "no time left inside the send window and daily limit", None
    return MessageStatus.SCHEDULED, "deferred to the send window", later


def _settle(
    message: Message, status: MessageStatus, reason: str, send_at: datetime | None, *, now: datetime
) -> None:
    message.status = status
    message.reason = reason
    message.send_at = send_at or message.send_at
    message.updated_at = now


def _visit_moved_on(session: Session, message: Message) -> str | None:
    if message.visit_id is None:
        return None
    visit = session.get_one(Visit, message.visit_id)
    wanted = STILL_RIGHT.get(message.kind, VisitStatus.BOOKED)
    if visit.status != wanted:
        return f"the visit is {visit.status.value.replace('_', ' ')}"
    if wanted == VisitStatus.BOOKED and visit.version != message.visit_version:
        return "the visit moved"
    return None


def _opted_out(session: Session, message: Message) -> bool:
    patient = session.get_one(Patient, message.patient_id)
    listed = session.get(SmsOptOut, message.to_phone)
    return listed is not None or not patient.sms_consent


def _sent_today(session: Session, message: Message, now: datetime, zone: ZoneInfo) -> int:
    start, end = day_bounds(now.astimezone(zone).date(), zone)
    return session.exec(
        select(func.count())
        .select_from(Message)
        .where(
            Message.patient_id == message.patient_id,
            Message.kind != "reply",
            col(Message.status).in_(COUNTED),
            col(Message.claimed_at) >= start,
            col(Message.claimed_at) < end,
            Message.id != message.id,
        )
    ).one()


def _zone(session: Session, message: Message) -> ZoneInfo:
    visit = session.get(Visit, message.visit_id) if message.visit_id else None
    return clinic_zone(resolve_location(session, visit.location_id if visit else None).time_zone)


def _render(session: Session, message: Message) -> str:
    visit = session.get(Visit, message.visit_id) if message.visit_id else None
    location = resolve_location(session, visit.location_id if visit else None)
    patient = session.get_one(Patient, message.patient_id)
    values = {
        "clinic": location.name,
        "phone": location.phone,
        "first_name": patient.name.split()[0],
        "day": "",
        "time": "",
    }
    if visit is not None:
        start = visit_start(session, visit.id or 0).astimezone(clinic_zone(location.time_zone))
        values |= {"day": f"{start:%a %d %b}", "time": f"{start:%H:%M}"}
    text = template_text(session, message.template)
    return render(message.template, text, values).text


def record_accepted(session: Session, *, message_id: int, sid: str, now: datetime) -> None:
    """The provider took the text. A status callback may have overtaken this (it carries our id
    in its URL): then only the SID is filled in and the later status stays."""
    session.execute(
        update(Message)
        .where(col(Message.id) == message_id)
        .values(provider_sid=sid, sent_at=now, updated_at=now)
    )
    session.execute(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.status) == MessageStatus.SENDING)
        .values(status=MessageStatus.SENT)
    )


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

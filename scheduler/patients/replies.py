"""What a patient's text means, and what happens next: opt-out, help, a confirmation, a
soreness score, a warning sign, or a note for the front desk.

A reply is about one of two visits: the one whose aftercare the patient was sent lately (a
score, a warning sign, how they feel), else their next booked one (a confirmation, a question).
"""

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from scheduler.core.policy import Policy
from scheduler.messaging.outcomes import opt_out
from scheduler.models import (
    Appointment,
    InboundMessage,
    Message,
    MessageStatus,
    Patient,
    SmsOptOut,
    Visit,
    VisitStatus,
    WaitlistOffer,
)
from scheduler.patients.warning_signs import read_signs
from scheduler.waitlist.answers import open_offer_for_phone, take_offer

# Twilio's own opt-out and opt-in keywords, so our records agree with what Twilio enforces.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO"}
CONFIRM_WORDS = {"C", "Y", "YES", "CONFIRM", "CONFIRMED"}
SCORE = re.compile(r"^\s*(10|[0-9])(\s*/\s*10)?\s*[.!]?\s*$")
HIGH_SORENESS = 7
# Aftercare texts a reply may answer: the one at the end of the visit, the next morning's
# check-in, the day-3 follow-up; each answered within three days of being sent.
AFTERCARE_KINDS = ("aftercare", "aftercare_checkin", "aftercare_followup")
AFTERCARE_ANSWER_WINDOW = timedelta(days=3)
REPLY_DEADLINE = timedelta(hours=1)
# "Thank you, the clinic will get back to you" goes at most once in this long to a patient.
ACKNOWLEDGE_EVERY = timedelta(hours=24)
# Replies that speak of the visit's time, so they must not go out if it changes first.
ABOUT_THE_VISIT = {"reply_confirmed", "waitlist_booked"}


@dataclass(frozen=True)
class Understood:
    meaning: str
    reply_template: str | None
    attention: str | None = None  # why a person should read it, in the inbox's words
    soreness: int | None = None


@dataclass(frozen=True)
class Context:
    """The patient's visits a reply can be about, as of when it arrived."""

    upcoming: Visit | None  # the next booked visit
    treated: Visit | None  # the visit whose aftercare they were sent lately
    checked_in: Visit | None  # the visit whose soreness check-in they were sent lately

    def concerned(self, understood: Understood) -> Visit | None:
        """The visit to flag and to file the reply under."""
        if understood.meaning == "soreness":
            return self.checked_in
        if understood.meaning in ("confirm", "stop"):
            return self.upcoming
        return self.treated or self.upcoming


def receive_text(
    session: Session, *, sid: str, from_phone: str, body: str, now: datetime, policy: Policy
) -> InboundMessage:
    """Store an inbound text once (by provider SID) and act on it; a yes that takes a waitlist
    offer books under `policy`."""
    existing = session.exec(
        select(InboundMessage).where(InboundMessage.provider_sid == sid)
    ).first()
    if existing is not None:
        return existing
    patient = session.exec(
        select(Patient).where(Patient.phone == from_phone).order_by(col(Patient.id).desc())
    ).first()
    context = _context(session, patient, now)
    understood = understand(body, asked_for_score=context.checked_in is not None)
    offer = None
    if understood.meaning == "confirm" and _word(body) in OFFER_ANSWERS:
        offer = open_offer_for_phone(session, from_phone, now)
        understood = TAKE_OFFER if offer else understood
    inbound = InboundMessage(
        provider_sid=sid,
        from_phone=from_phone,
        body=body,
        received_at=now,
        patient_id=patient.id if patient else None,
        meaning=understood.meaning,
        soreness=understood.soreness,
    )
    session.add(inbound)
    session.flush()
    if offer is not None:
        _answer_offer(session, inbound, offer, now=now, policy=policy)
    else:
        _act(session, understood, inbound, context=context, now=now)
    return inbound


def _answer_offer(
    session: Session,
    inbound: InboundMessage,
    offer: WaitlistOffer,
    *,
    now: datetime,
    policy: Policy,
) -> None:
    """A yes to a waitlist offer: the time is booked for the patient, or it is taken already."""
    answer = take_offer(session, offer_id=offer.id or 0, now=now, policy=policy)
    inbound.visit_id = answer.visit.id if answer.visit else None
    session.add(inbound)
    template = "waitlist_booked" if answer.outcome == "booked" else "waitlist_taken"
    _reply(session, inbound, template, visit=answer.visit, now=now)


KEYWORDS: dict[str, Understood] = {
    # The provider confirms an opt-out itself; the desk hears of it, since the patient may
    # have meant to cancel a visit and can no longer be reminded of it.
    **{word: Understood("stop", None, "can no longer be texted") for word in STOP_WORDS},
    **{word: Understood("start", "reply_start") for word in START_WORDS},
    **{word: Understood("help", "reply_help") for word in HELP_WORDS},
    **{word: Understood("confirm", "reply_confirmed") for word in CONFIRM_WORDS},
}
# A yes to a waitlist offer; "C" stays a visit's confirmation.
TAKE_OFFER = Understood("offer", None)
OFFER_ANSWERS = {"Y", "YES"}
FOR_THE_DESK = Understood("other", "reply_received", attention="a reply for the front desk")
NOTHING_TO_CONFIRM = replace(FOR_THE_DESK, attention="confirmed, but has no visit booked")


def understand(body: str, *, asked_for_score: bool) -> Understood:
    """Keywords first; then warning signs anywhere; then a 0-10 score if we asked for one.

    A sign mentioned only as absent ("no fever") still reaches a person, without the
    emergency reply."""
    word = _word(body)
    if word in KEYWORDS:
        return KEYWORDS[word]
    reading = read_signs(body)
    if reading.urgent:
        return Understood("urgent", "reply_urgent", "urgent: " + "; ".join(reading.signs))
    score = SCORE.match(body) if asked_for_score else None
    if score is not None:
        return _score(int(score.group(1)))
    if reading.negated:
        return replace(FOR_THE_DESK, attention="mentions as absent: " + "; ".join(reading.negated))
    return FOR_THE_DESK


def _score(value: int) -> Understood:
    if value >= HIGH_SORENESS:
        return Understood("soreness", "reply_soreness_high", f"soreness {value}/10", value)
    return Understood("soreness", "reply_soreness", soreness=value)


def _word(body: str) -> str:
    return body.strip().strip(".!").upper()


def _act(
    session: Session,
    understood: Understood,
    inbound: InboundMessage,
    *,
    context: Context,
    now: datetime,
) -> None:
    if understood.meaning == "stop":
        opt_out(session, phone=inbound.from_phone, keyword=inbound.body.strip(), now=now)
    elif understood.meaning == "start":
        _opt_in(session, inbound.from_phone)
    elif understood.meaning == "confirm" and context.upcoming is None:
        understood = NOTHING_TO_CONFIRM
    elif understood.meaning == "confirm" and context.upcoming is not None:
        context.upcoming.confirmed_at = context.upcoming.confirmed_at or now
        session.add(context.upcoming)
    inbound.meaning = understood.meaning
    _file(session, inbound, understood, context.concerned(understood))
    if understood.reply_template == "reply_received":
        _acknowledge(session, inbound, now=now)
    elif understood.reply_template:
        _reply(session, inbound, understood.reply_template, visit=context.upcoming, now=now)


def _file(
    session: Session, inbound: InboundMessage, understood: Understood, visit: Visit | None
) -> None:
    """Who should read the reply and why: the inbox for a patient's reply with a reason, and
    the visit it concerns, where its practitioner sees the score and the reason."""
    known = inbound.patient_id is not None
    inbound.needs_attention = understood.attention is not None and (
        known or understood.meaning != "stop"
    )
    inbound.attention = understood.attention if inbound.needs_attention else None
    if visit is None:
        return
    inbound.visit_id = visit.id
    if understood.soreness is not None:
        visit.soreness = understood.soreness
    if understood.attention is not None:
        visit.attention = understood.attention
    session.add(visit)


def _opt_in(session: Session, phone: str) -> None:
    listed = session.get(SmsOptOut, phone)
    if listed is not None:
        session.delete(listed)
        session.flush()


def _acknowledge(session: Session, inbound: InboundMessage, *, now: datetime) -> None:
    """Tell a patient whose reply waits for the desk that it arrived, once a day at most."""
    if inbound.patient_id is None:
        return
    lately = session.exec(
        select(Message.id).where(
            Message.patient_id == inbound.patient_id,
            Message.template == "reply_received",
            col(Message.created_at) > now - ACKNOWLEDGE_EVERY,
        )
    ).first()
    if lately is None:
        _reply(session, inbound, "reply_received", visit=None, now=now)


def _reply(
    session: Session, inbound: InboundMessage, template: str, *, visit: Visit | None, now: datetime
) -> None:
    if inbound.patient_id is None:
        return
    session.add(
        Message(
            idempotency_key=f"reply:{inbound.provider_sid}",
            visit_id=visit.id if visit and template in ABOUT_THE_VISIT else None,
            visit_version=visit.version if visit else None,
            patient_id=inbound.patient_id,
            kind="reply",
            template=template,
            to_phone=inbound.from_phone,
            send_at=now,
            not_after=now + REPLY_DEADLINE,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()


def _context(session: Session, patient: Patient | None, now: datetime) -> Context:
    if patient is None:
        return Context(upcoming=None, treated=None, checked_in=None)
    answered = _aftercare_answered(session, patient, now)
    treated = answered[0][0] if answered else None
    checked_in = next((visit for visit, kind in answered if kind == "aftercare_checkin"), None)
    return Context(
        upcoming=_next_visit(session, patient, now),
        treated=session.get(Visit, treated) if treated else None,
        checked_in=session.get(Visit, checked_in) if checked_in else None,
    )


def _aftercare_answered(session: Session, patient: Patient, now: datetime) -> list[tuple[int, str]]:
    """(visit id, kind) of the aftercare texts the patient was sent lately, newest first."""
    rows = session.exec(
        select(Message.visit_id, Message.kind)
        .where(
            Message.patient_id == patient.id,
            col(Message.kind).in_(AFTERCARE_KINDS),
            col(Message.status).in_(
                (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.SENDING)
            ),
            col(Message.sent_at) > now - AFTERCARE_ANSWER_WINDOW,
            col(Message.visit_id).is_not(None),
        )
        .order_by(col(Message.sent_at).desc())
        .limit(len(AFTERCARE_KINDS))
    ).all()
    return [(visit_id, kind) for visit_id, kind in rows if visit_id is not None]


def _next_visit(session: Session, patient: Patient, now: datetime) -> Visit | None:
    return session.exec(
        select(Visit)
        .join(Appointment, col(Appointment.visit_id) == Visit.id)
        .where(
            Visit.patient_id == patient.id,
            Visit.status == VisitStatus.BOOKED,
            col(Appointment.starts_at) > now,
        )
        .order_by(col(Appointment.starts_at))
        .limit(1)
    ).first()

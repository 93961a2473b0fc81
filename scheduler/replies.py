"""What a patient's text means, and what happens next: opt-out, help, a confirmation, a
soreness score, a worrying word, or a note for the front desk."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

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
from scheduler.offers import open_offer_for_phone, take_offer
from scheduler.policy import current_policy
from scheduler.sending import opt_out

# Twilio's own opt-out and opt-in keywords, so our records agree with what Twilio enforces.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO"}
CONFIRM_WORDS = {"C", "Y", "YES", "CONFIRM", "CONFIRMED"}
URGENT = re.compile(
    r"chest pain|short(ness)? of breath|can.?t breathe|dizz|faint|passed out|bleeding|numb",
    re.IGNORECASE,
)
SCORE = re.compile(r"^\s*(10|[0-9])(\s*/\s*10)?\s*[.!]?\s*$")
HIGH_SORENESS = 7
CHECKIN_ANSWER_WINDOW = timedelta(days=3)
REPLY_DEADLINE = timedelta(hours=1)
# Replies that speak of the visit's time, so they must not go out if it changes first.
ABOUT_THE_VISIT = {"reply_confirmed", "waitlist_booked"}


@dataclass(frozen=True)
class Understood:
    meaning: str
    reply_template: str | None
    attention: str | None = None
    soreness: int | None = None


def receive_text(
    session: Session, *, sid: str, from_phone: str, body: str, now: datetime
) -> InboundMessage:
    """Store an inbound text once (by provider SID) and act on it."""
    existing = session.exec(
        select(InboundMessage).where(InboundMessage.provider_sid == sid)
    ).first()
    if existing is not None:
        return existing
    patient = session.exec(
        select(Patient).where(Patient.phone == from_phone).order_by(col(Patient.id).desc())
    ).first()
    visit = _next_visit(session, patient, now) if patient else None
    checked_in = _checked_in_visit(session, patient, now) if patient else None
    understood = understand(body, asked_for_score=checked_in is not None)
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
        needs_attention=understood.attention is not None,
    )
    session.add(inbound)
    session.flush()
    if offer is not None:
        _answer_offer(session, inbound, offer, now=now)
    else:
        _act(session, understood, inbound, visit=visit, checked_in=checked_in, now=now)
    return inbound


def _answer_offer(
    session: Session, inbound: InboundMessage, offer: WaitlistOffer, *, now: datetime
) -> None:
    """A yes to a waitlist offer: the time is booked for the patient, or it is taken already."""
    answer = take_offer(session, offer_id=offer.id or 0, now=now, policy=current_policy())
    inbound.visit_id = answer.visit.id if answer.visit else None
    session.add(inbound)
    template = "waitlist_booked" if answer.outcome == "booked" else "waitlist_taken"
    _reply(session, inbound, template, visit=answer.visit, now=now)


KEYWORDS: dict[str, Understood] = {
    **{word: Understood("stop", None) for word in STOP_WORDS},  # the provider confirms STOP
    **{word: Understood("start", "reply_start") for word in START_WORDS},
    **{word: Understood("help", "reply_help") for word in HELP_WORDS},
    **{word: Understood("confirm", "reply_confirmed") for word in CONFIRM_WORDS},
}
# A yes to a waitlist offer; "C" stays a visit's confirmation.
TAKE_OFFER = Understood("offer", None)
OFFER_ANSWERS = {"Y", "YES"}
WORRYING = Understood("urgent", "reply_urgent", attention="urgent words in a reply")
FOR_THE_DESK = Understood("other", None, attention="a reply for the front desk")


def understand(body: str, *, asked_for_score: bool) -> Understood:
    """Keywords first; then worrying words anywhere; then a 0-10 score if we asked for one."""
    word = _word(body)
    if word in KEYWORDS:
        return KEYWORDS[word]
    if URGENT.search(body):
        return WORRYING
    score = SCORE.match(body) if asked_for_score else None
    if score is None:
        return FOR_THE_DESK
    value = int(score.group(1))
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
    visit: Visit | None,
    checked_in: Visit | None,
    now: datetime,
) -> None:
    if understood.meaning == "stop":
        opt_out(session, phone=inbound.from_phone, keyword=inbound.body.strip(), now=now)
    elif understood.meaning == "start":
        _opt_in(session, inbound.from_phone)
    elif understood.meaning == "confirm" and visit is None:
        inbound.meaning, inbound.needs_attention = "other", True  # nothing to confirm
        return
    elif understood.meaning == "confirm" and visit is not None:
        visit.confirmed_at = visit.confirmed_at or now
        session.add(visit)
    concerned = checked_in if understood.meaning == "soreness" else visit
    if concerned is not None:
        _note_on_visit(session, concerned, understood)
        inbound.visit_id = concerned.id
    if understood.reply_template and inbound.patient_id is not None:
        _reply(session, inbound, understood.reply_template, visit=visit, now=now)


def _opt_in(session: Session, phone: str) -> None:
    listed = session.get(SmsOptOut, phone)
    if listed is not None:
        session.delete(listed)
        session.flush()


def _note_on_visit(session: Session, visit: Visit, understood: Understood) -> None:
    """A score and any reason for a person to look go on the visit, for the practitioner."""
    if understood.soreness is not None:
        visit.soreness = understood.soreness
    if understood.attention is not None:
        visit.attention = understood.attention
    session.add(visit)


def _reply(
    session: Session, inbound: InboundMessage, template: str, *, visit: Visit | None, now: datetime
) -> None:
    session.add(
        Message(
            idempotency_key=f"reply:{inbound.provider_sid}",
            visit_id=visit.id if visit and template in ABOUT_THE_VISIT else None,
            visit_version=visit.version if visit else None,
            patient_id=inbound.patient_id or 0,
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


def _checked_in_visit(session: Session, patient: Patient, now: datetime) -> Visit | None:
    """The visit whose soreness check-in the patient was sent lately, if any."""
    checkin = session.exec(
        select(Message)
        .where(
            Message.patient_id == patient.id,
            Message.kind == "aftercare_checkin",
            col(Message.status).in_(
                (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.SENDING)
            ),
            col(Message.sent_at) > now - CHECKIN_ANSWER_WINDOW,
        )
        .order_by(col(Message.sent_at).desc())
        .limit(1)
    ).first()
    return session.get(Visit, checkin.visit_id) if checkin and checkin.visit_id else None

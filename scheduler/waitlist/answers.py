"""A patient's yes to an offered time: by link or by text, the first to answer gets it.

Taking an offer books it through the booking core, whose locks and constraints let exactly one
of several simultaneous yeses win; the others are told it is taken and stay on the list.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import update
from sqlmodel import Session, col, select

from scheduler.core import audit
from scheduler.core.errors import DomainError, NotFound
from scheduler.core.policy import Policy
from scheduler.core.signing import OFFER, signing_key, verify
from scheduler.models import (
    OfferStatus,
    Opening,
    Patient,
    Service,
    Visit,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from scheduler.scheduling.openings import record_opening
from scheduler.waitlist.entries import close_offers
from scheduler.waitlist.offers import book_for_entry, close_opening

Outcome = Literal["booked", "taken"]


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    offer: WaitlistOffer
    visit: Visit | None = None


def service_names(session: Session, offer: WaitlistOffer) -> str:
    codes = [str(part["service"]) for part in offer.plan]
    names = dict(
        session.exec(select(Service.code, Service.name).where(col(Service.code).in_(codes))).all()
    )
    return " + ".join(names.get(code, code) for code in codes)


def offer_by_link(session: Session, token: str) -> WaitlistOffer | None:
    """The offer a patient's link was signed for, or None for a link we did not sign."""
    offer_id = verify(signing_key(session), OFFER, token)
    return session.get(WaitlistOffer, offer_id) if offer_id is not None else None


def open_offer_for_phone(session: Session, phone: str, now: datetime) -> WaitlistOffer | None:
    """The offer a YES from this number answers: the latest one sent to it lately."""
    return session.exec(
        select(WaitlistOffer)
        .join(WaitlistEntry, col(WaitlistEntry.id) == WaitlistOffer.entry_id)
        .join(Patient, col(Patient.id) == WaitlistEntry.patient_id)
        .where(Patient.phone == phone, col(WaitlistOffer.offered_at) > now - ANSWER_WINDOW)
        .order_by(col(WaitlistOffer.offered_at).desc())
        .limit(1)
    ).first()


# A yes that comes later than this after an offer is not taken as an answer to it.
ANSWER_WINDOW = timedelta(hours=12)


def take_offer(session: Session, *, offer_id: int, now: datetime, policy: Policy) -> Answer:
    """Book the offered time for the patient, or say it is taken (nothing else changes then).

    The booking core decides between simultaneous yeses: its locks serialise them and the
    loser finds the time taken. The winner's booking closes the opening's other offers.
    """
    offer = session.get(WaitlistOffer, offer_id)
    if offer is None:
        raise NotFound(f"No offer {offer_id}.", field="offer_id", code="unknown_offer")
    if offer.status == OfferStatus.ACCEPTED:  # a second yes from the same patient
        return Answer("booked", offer, session.get(Visit, offer.visit_id))
    if offer.status != OfferStatus.OPEN or offer.expires_at <= now:
        return Answer("taken", offer)
    entry = session.get_one(WaitlistEntry, offer.entry_id)
    attempt = session.begin_nested()
    try:
        visit = book_for_entry(session, entry, offer.starts_at, offer.plan, now=now, policy=policy)
    except DomainError:  # taken meanwhile (a Conflict), or no longer possible for the patient
        attempt.rollback()
        close_offers(session, offer_ids=[offer_id], to=OfferStatus.TAKEN, now=now)
        session.refresh(offer)
        return Answer("taken", offer)
    attempt.commit()
    _taken_by(session, offer, entry, visit, now=now)
    return Answer("booked", offer, visit)


def _taken_by(
    session: Session, offer: WaitlistOffer, entry: WaitlistEntry, visit: Visit, *, now: datetime
) -> None:
    """The offer is accepted, the patient leaves the list, the opening's other offers close,
    and any freed time after the new visit is offered again."""
    session.execute(
        update(WaitlistOffer)
        .where(col(WaitlistOffer.id) == offer.id)
        .values(status=OfferStatus.ACCEPTED, answered_at=now, visit_id=visit.id)
    )
    entry.status, entry.closed_at = WaitlistStatus.BOOKED, now
    session.add(entry)
    others = session.exec(
        select(WaitlistOffer.id).where(
            WaitlistOffer.opening_id == offer.opening_id,
            WaitlistOffer.status == OfferStatus.OPEN,
            WaitlistOffer.id != offer.id,
        )
    ).all()
    close_offers(session, offer_ids=[i for i in others if i], to=OfferStatus.TAKEN, now=now)
    opening = session.get_one(Opening, offer.opening_id)
    close_opening(session, opening, f"booked from the waitlist (visit {visit.id})", now)
    visit_end = max(datetime.fromisoformat(str(part["ends_at"])) for part in offer.plan)
    record_opening(
        session,
        location_id=opening.location_id,
        starts_at=visit_end,
        ends_at=opening.ends_at,
        cause=f"rest of opening {opening.id}",
        now=now,
    )
    audit.record(
        session,
        actor=audit.patient_actor(entry.patient_id),
        action="waitlist.offer_taken",
        subject=f"waitlist:{entry.id}",
        now=now,
        detail=f"offer={offer.id}, visit={visit.id}",
    )
    session.refresh(offer)

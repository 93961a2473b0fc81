"""Freed time offered to the waitlist, and the first patient to say yes getting it.

The dispatcher runs `offer_openings` every minute: offers nobody answered in time expire, then
each opening without an open offer goes to the next patients it suits, most urgent and longest
waiting first, a few at a time. Nothing is offered outside the send window, nor so close to its
time that a patient could not answer and still come. Only times the patient could really book
are offered: each is tried as a booking first and rolled back.

Taking an offer (`answers`) books it through the same trial booking.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists
from sqlmodel import Session, col, select

from scheduler.clinic.catalogue import resolve_location
from scheduler.core import audit
from scheduler.core.errors import DomainError
from scheduler.core.policy import Policy
from scheduler.core.signing import OFFER, link, signing_key
from scheduler.core.wallclock import clinic_zone
from scheduler.messaging import outbox
from scheduler.messaging.planning import within_window
from scheduler.messaging.send_window import send_window
from scheduler.messaging.templates import render, wording
from scheduler.models import (
    MessageTemplate,
    OfferStatus,
    Opening,
    Patient,
    SmsOptOut,
    Visit,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from scheduler.scheduling.availability import PartRequest, Slot
from scheduler.scheduling.booking import book_visit
from scheduler.scheduling.slots import MAX_DAYS, find_open_slots, parts_for
from scheduler.waitlist.entries import close_offers, end_past_entries


def offer_openings(session: Session, *, now: datetime, policy: Policy, public_url: str) -> int:
    """One round: expire, end, offer. Returns how many offers were made."""
    expired = session.exec(
        select(WaitlistOffer.id).where(
            WaitlistOffer.status == OfferStatus.OPEN, col(WaitlistOffer.expires_at) <= now
        )
    ).all()
    close_offers(session, offer_ids=[i for i in expired if i], to=OfferStatus.EXPIRED, now=now)
    clinic_today = now.astimezone(clinic_zone(resolve_location(session, None).time_zone))
    end_past_entries(session, today=clinic_today.date(), now=now)
    made = 0
    for opening in session.exec(
        select(Opening).where(col(Opening.closed_at).is_(None)).order_by(col(Opening.starts_at))
    ).all():
        zone = clinic_zone(resolve_location(session, opening.location_id).time_zone)
        if within_window(now, zone=zone, window=send_window(session, policy)) != now:
            continue  # quiet hours: the opening waits for the morning
        if _has_open_offers(session, opening):
            continue
        earliest = now + policy.offer_expiry + policy.minimum_notice
        if opening.ends_at <= earliest:
            close_opening(session, opening, "too close to offer", now)
            continue
        offered = _offer_to_next(
            session, opening, now=now, policy=policy, zone=zone, public_url=public_url
        )
        if not offered:
            close_opening(session, opening, "no one else on the waitlist suits it", now)
        made += offered
    return made


def _has_open_offers(session: Session, opening: Opening) -> bool:
    return (
        session.exec(
            select(WaitlistOffer.id).where(
                WaitlistOffer.opening_id == opening.id, WaitlistOffer.status == OfferStatus.OPEN
            )
        ).first()
        is not None
    )


def close_opening(session: Session, opening: Opening, outcome: str, now: datetime) -> None:
    """Nothing more is offered from the opening; `outcome` says why, for the audit of it."""
    opening.closed_at, opening.outcome = now, outcome
    session.add(opening)
    session.flush()


def _offer_to_next(
    session: Session,
    opening: Opening,
    *,
    now: datetime,
    policy: Policy,
    zone: ZoneInfo,
    public_url: str,
) -> int:
    made: list[WaitlistOffer] = []
    for entry in _candidates(session, opening, zone):
        slot = _suitable_slot(session, entry, opening, now=now, policy=policy, zone=zone)
        if slot is None:
            continue
        made.append(_offer(session, entry, opening, slot, now=now, policy=policy))
        if len(made) == policy.offers_at_once:
            break
    if made:
        _send_offers(session, made, opening, zone=zone, public_url=public_url, now=now)
    return len(made)


def _candidates(session: Session, opening: Opening, zone: ZoneInfo) -> list[WaitlistEntry]:
    """Waiting patients who take texts, were not offered this time yet and hold no other open
    offer: most urgent first, then longest waiting."""
    offer_of_entry = col(WaitlistOffer.entry_id) == col(WaitlistEntry.id)
    offered_this = exists().where(offer_of_entry, col(WaitlistOffer.opening_id) == opening.id)
    holds_an_offer = exists().where(offer_of_entry, col(WaitlistOffer.status) == OfferStatus.OPEN)
    opted_out = exists().where(col(SmsOptOut.phone) == col(Patient.phone))
    rows = session.exec(
        select(WaitlistEntry)
        .join(Patient, col(Patient.id) == WaitlistEntry.patient_id)
        .where(
            WaitlistEntry.status == WaitlistStatus.WAITING,
            WaitlistEntry.location_id == opening.location_id,
            col(WaitlistEntry.until) >= opening.starts_at.astimezone(zone).date(),
            col(Patient.sms_consent),
            ~offered_this,
            ~holds_an_offer,
            ~opted_out,
        )
        .order_by(col(WaitlistEntry.urgency).desc(), col(WaitlistEntry.added_at))
    )
    return list(rows.all())


def _suitable_slot(
    session: Session,
    entry: WaitlistEntry,
    opening: Opening,
    *,
    now: datetime,
    policy: Policy,
    zone: ZoneInfo,
) -> Slot | None:
    """The earliest start inside the opening that suits the patient and that they could book."""
    first_day = opening.starts_at.astimezone(zone).date()
    last_day = min(opening.ends_at.astimezone(zone).date(), entry.until)
    days = min((last_day - first_day).days + 1, MAX_DAYS)
    if days < 1:
        return None
    found: list[Slot] = []
    anyone: list[int | None] = [None]
    for practitioner_id in entry.practitioner_ids or anyone:
        try:
            slots = find_open_slots(
                session=session,
                now=now + policy.offer_expiry,  # a start the patient can still make after answering
                parts=parts_for(session, entry.services, practitioner_id),
                first_day=first_day,
                days=days,
                location_id=entry.location_id,
                patient_id=entry.patient_id,
                policy=policy,
            )
        except DomainError:  # a preferred practitioner left, or may no longer give a service
            continue
        found.extend(
            slot
            for slot in slots
            if opening.starts_at <= slot.starts_at < opening.ends_at
            and _suits(entry, slot.starts_at.astimezone(zone))
        )
    for slot in sorted(found, key=lambda slot: slot.starts_at):
        if _could_book(session, entry, slot, now=now, policy=policy):
            return slot
    return None


def _suits(entry: WaitlistEntry, local_start: datetime) -> bool:
    return (
        (not entry.weekdays or local_start.weekday() in entry.weekdays)
        and (entry.earliest is None or local_start.time() >= entry.earliest)
        and (entry.latest is None or local_start.time() <= entry.latest)
    )


def _could_book(
    session: Session, entry: WaitlistEntry, slot: Slot, *, now: datetime, policy: Policy
) -> bool:
    """Whether the patient could book the slot now (intake, assessment, ...): tried, then undone."""
    trial = session.begin_nested()
    try:
        book_for_entry(session, entry, slot.starts_at, _plan(slot), now=now, policy=policy)
    except DomainError:
        return False
    finally:
        trial.rollback()
    return True


def _plan(slot: Slot) -> list[dict[str, object]]:
    return [
        {
            "service": planned.service.code,
            "practitioner_id": planned.practitioner_id,
            "room_id": planned.room_id,
            "starts_at": planned.starts_at.isoformat(),
            "ends_at": planned.ends_at.isoformat(),
        }
        for planned in slot.appointments
    ]


def book_for_entry(
    session: Session,
    entry: WaitlistEntry,
    start: datetime,
    plan: list[dict[str, object]],
    *,
    now: datetime,
    policy: Policy,
) -> Visit:
    """The offered plan booked for the entry's patient, by the booking core's rules and locks."""
    return book_visit(
        session=session,
        now=now,
        patient_id=entry.patient_id,
        start=start,
        parts=[
            PartRequest(
                service=str(part["service"]),
                practitioner_id=int(str(part["practitioner_id"])),
                room_id=int(str(part["room_id"])),
            )
            for part in plan
        ],
        location_id=entry.location_id,
        booked_by=audit.patient_actor(entry.patient_id),
        policy=policy,
    )


def _offer(
    session: Session,
    entry: WaitlistEntry,
    opening: Opening,
    slot: Slot,
    *,
    now: datetime,
    policy: Policy,
) -> WaitlistOffer:
    offer = WaitlistOffer(
        entry_id=entry.id or 0,
        opening_id=opening.id or 0,
        starts_at=slot.starts_at,
        plan=_plan(slot),
        offered_at=now,
        expires_at=now + policy.offer_expiry,
    )
    session.add(offer)
    session.flush()
    audit.record(
        session,
        actor="system",
        action="waitlist.offered",
        subject=f"waitlist:{entry.id}",
        now=now,
        detail=f"offer={offer.id}, start={slot.starts_at.isoformat()}",
    )
    return offer


def _send_offers(
    session: Session,
    offers: list[WaitlistOffer],
    opening: Opening,
    *,
    zone: ZoneInfo,
    public_url: str,
    now: datetime,
) -> None:
    """A text for each offer just made, in the clinic's words, with the patient's own link."""
    key = signing_key(session)
    location = resolve_location(session, opening.location_id)
    own = session.get(MessageTemplate, "waitlist_offer")
    text = wording("waitlist_offer", own.body if own else None)
    for offer in offers:
        entry = session.get_one(WaitlistEntry, offer.entry_id)  # in the session already
        patient = session.get_one(Patient, entry.patient_id)
        start = offer.starts_at.astimezone(zone)
        words = render(
            "waitlist_offer",
            text,
            {
                "clinic": location.name,
                "phone": location.phone,
                "first_name": patient.name.split()[0],
                "day": f"{start:%a %d %b}",
                "time": f"{start:%H:%M}",
                "link": link(public_url, key, OFFER, offer.id or 0),
            },
        ).text
        outbox.on_offered(session, offer=offer, patient=patient, words=words, now=now)

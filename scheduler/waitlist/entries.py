"""The waitlist as the front desk keeps it: who wants which services sooner, when and with whom.

Offering freed time to the list is `scheduler.offers`; this module only adds, removes and reads.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from scheduler.clinic.catalogue import resolve_location
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.errors import NotFound, RuleViolation
from scheduler.messaging.outbox import withdraw_offer_texts
from scheduler.models import (
    OfferStatus,
    Patient,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from scheduler.scheduling.rules import get_practitioner
from scheduler.scheduling.schedule import load_services

URGENCIES = {1: "routine", 2: "soon", 3: "urgent"}


@dataclass(frozen=True)
class Wants:
    """What a patient on the list asks for; empty lists mean "any"."""

    services: Sequence[str]
    until: date
    practitioner_ids: Sequence[int] = ()
    weekdays: Sequence[int] = ()
    earliest: time | None = None
    latest: time | None = None
    urgency: int = 1
    note: str = ""


@dataclass(frozen=True)
class ListedPatient:
    entry: WaitlistEntry
    patient: Patient
    offers: list[WaitlistOffer] = field(default_factory=list)

    @property
    def visit_id(self) -> int | None:
        """The visit booked from the list: the one its accepted offer made."""
        return next((o.visit_id for o in self.offers if o.status == OfferStatus.ACCEPTED), None)


def add_to_waitlist(
    session: Session,
    *,
    patient_id: int,
    wants: Wants,
    now: datetime,
    actor: str,
    location_id: int | None = None,
) -> WaitlistEntry:
    get_patient(session, patient_id)
    location = resolve_location(session, location_id)
    _check(session, wants, today=now.date())
    entry = WaitlistEntry(
        patient_id=patient_id,
        location_id=location.id or 0,
        services=list(wants.services),
        practitioner_ids=sorted(set(wants.practitioner_ids)),
        weekdays=sorted(set(wants.weekdays)),
        earliest=wants.earliest,
        latest=wants.latest,
        urgency=wants.urgency,
        until=wants.until,
        note=wants.note,
        added_at=now,
        added_by=actor,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="waitlist.added",
        subject=f"waitlist:{entry.id}",
        now=now,
        detail=f"patient={patient_id}, services={','.join(wants.services)}",
    )
    return entry


def _check(session: Session, wants: Wants, *, today: date) -> None:
    if not wants.services:
        raise RuleViolation("Name at least one service.", field="services")
    load_services(session, wants.services)
    for practitioner_id in wants.practitioner_ids:
        get_practitioner(session, practitioner_id)
    if any(day not in range(7) for day in wants.weekdays):
        raise RuleViolation("Weekdays are 0 (Monday) to 6 (Sunday).", field="weekdays")
    if wants.earliest and wants.latest and wants.earliest > wants.latest:
        raise RuleViolation("The earliest time is after the latest.", field="latest")
    if wants.urgency not in URGENCIES:
        raise RuleViolation("Urgency is 1 (routine), 2 (soon) or 3 (urgent).", field="urgency")
    if wants.until < today:
        raise RuleViolation("The end date has passed.", field="until", code="until_passed")


def remove_from_waitlist(
    session: Session, *, entry_id: int, now: datetime, actor: str
) -> WaitlistEntry:
    """Off the list: open offers are withdrawn and their unsent texts with them."""
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None:
        raise NotFound(f"No waitlist entry {entry_id}.", field="entry_id", code="unknown_entry")
    if entry.status != WaitlistStatus.WAITING:
        raise RuleViolation(
            f"The entry is {entry.status.value} already.", field="entry_id", code="not_waiting"
        )
    entry.status, entry.closed_at = WaitlistStatus.REMOVED, now
    session.add(entry)
    close_offers(session, entry_ids=[entry_id], to=OfferStatus.WITHDRAWN, now=now)
    audit.record(
        session, actor=actor, action="waitlist.removed", subject=f"waitlist:{entry_id}", now=now
    )
    return entry


def close_offers(
    session: Session,
    *,
    now: datetime,
    to: OfferStatus,
    entry_ids: Sequence[int] = (),
    offer_ids: Sequence[int] = (),
) -> None:
    """Close the open offers named (by entry or by id), withdrawing their unsent texts."""
    query = select(WaitlistOffer.id).where(WaitlistOffer.status == OfferStatus.OPEN)
    query = query.where(
        col(WaitlistOffer.entry_id).in_(entry_ids) | col(WaitlistOffer.id).in_(offer_ids)
    )
    closing = [offer_id for offer_id in session.exec(query) if offer_id is not None]
    if not closing:
        return
    session.execute(
        update(WaitlistOffer)
        .where(col(WaitlistOffer.id).in_(closing))
        .values(status=to, answered_at=now)
    )
    withdraw_offer_texts(session, offer_ids=closing, now=now, reason=f"offer {to.value}")


def end_past_entries(session: Session, *, today: date, now: datetime) -> None:
    """Entries whose last wanted day has passed leave the list."""
    session.execute(
        update(WaitlistEntry)
        .where(
            col(WaitlistEntry.status) == WaitlistStatus.WAITING,
            col(WaitlistEntry.until) < today,
        )
        .values(status=WaitlistStatus.ENDED, closed_at=now)
    )


def waitlist(session: Session, *, include_closed: bool = False) -> list[ListedPatient]:
    """Most urgent first, then longest waiting: the order offers go out in."""
    if include_closed:
        return _listed(session)
    return _listed(session, col(WaitlistEntry.status) == WaitlistStatus.WAITING)


def listed_entry(session: Session, entry_id: int) -> ListedPatient:
    found = _listed(session, col(WaitlistEntry.id) == entry_id)
    if not found:
        raise NotFound(f"No waitlist entry {entry_id}.", field="entry_id", code="unknown_entry")
    return found[0]


def _listed(session: Session, *where: ColumnElement[bool]) -> list[ListedPatient]:
    query = select(WaitlistEntry, Patient).join(
        Patient, col(Patient.id) == WaitlistEntry.patient_id
    )
    rows = session.exec(
        query.where(*where).order_by(col(WaitlistEntry.urgency).desc(), col(WaitlistEntry.added_at))
    ).all()
    offers: dict[int, list[WaitlistOffer]] = {}
    ids = [entry.id for entry, _ in rows]
    for offer in session.exec(
        select(WaitlistOffer)
        .where(col(WaitlistOffer.entry_id).in_(ids))
        .order_by(col(WaitlistOffer.offered_at).desc())
    ):
        offers.setdefault(offer.entry_id, []).append(offer)
    return [ListedPatient(entry, patient, offers.get(entry.id or 0, [])) for entry, patient in rows]

"""What a patient may do with their visit's personal link, without signing in: see it, confirm
it, cancel it outside the late-cancel window, or move it to another open time.

The signed token is the credential (`signing.py`). It opens its visit until the visit starts; once
the visit is no longer booked the link shows what became of it and changes nothing. Every change
goes through the same core functions as the front desk's and is audited as the patient's.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import func, update
from sqlmodel import Session, col

from scheduler.core import audit, signing
from scheduler.core.errors import NotAllowed, RuleViolation
from scheduler.core.policy import Policy
from scheduler.core.wallclock import clinic_zone
from scheduler.models import Appointment, Location, Practitioner, Service, Visit, VisitStatus
from scheduler.scheduling.availability import Slot
from scheduler.scheduling.booking import move_options, reschedule_visit
from scheduler.scheduling.visits import cancel_visit, get_visit, is_late_cancel, wrong_status

DAYS_AT_A_TIME = 3  # open times a patient sees at once; "later" shows the next ones
CANCEL_REASON = "cancelled by the patient by link"


@dataclass(frozen=True)
class VisitPart:
    """One service of the visit as the patient sees it: its name and who gives it."""

    service_code: str
    service: str
    practitioner_id: int
    practitioner: str


@dataclass(frozen=True)
class LinkedVisit:
    """A visit opened by its link, and what the link still allows."""

    visit: Visit
    location: Location
    parts: tuple[VisitPart, ...]
    starts_at: datetime
    closed: str | None  # why the link no longer changes the visit, in the patient's words
    may_cancel: bool  # open, and outside the late-cancel window

    @property
    def zone(self) -> ZoneInfo:
        return clinic_zone(self.location.time_zone)

    @property
    def patient(self) -> str:
        """The actor of everything done by link."""
        return audit.patient_actor(self.visit.patient_id)


def open_link(session: Session, *, token: str, now: datetime, policy: Policy) -> LinkedVisit:
    """The visit the token was signed for; NotAllowed when it was not signed by us."""
    visit_id = signing.verify(signing.signing_key(session), signing.VISIT, token)
    if visit_id is None:
        raise NotAllowed(
            "This link does not work. Please use the link in your text message.",
            field="token",
            code="bad_link",
        )
    visit = get_visit(session, visit_id)
    location = session.get_one(Location, visit.location_id)
    parts = _parts(session, visit_id)
    starts_at = min(part[0] for part in parts)
    closed = _closed(visit, location, starts_at, now=now)
    return LinkedVisit(
        visit=visit,
        location=location,
        parts=tuple(part[1] for part in parts),
        starts_at=starts_at,
        closed=closed,
        may_cancel=closed is None and not is_late_cancel(starts_at, now=now, policy=policy),
    )


def confirm_by_link(session: Session, *, token: str, now: datetime, policy: Policy) -> Visit:
    """The patient says they will come, as a "C" reply does; confirming twice keeps the first
    time. Refused once the link is closed, or if the visit stopped being booked meanwhile."""
    linked = _open(session, token=token, now=now, policy=policy)
    confirmed = session.execute(
        update(Visit)
        .where(col(Visit.id) == linked.visit.id, col(Visit.status) == VisitStatus.BOOKED)
        .values(confirmed_at=func.coalesce(Visit.confirmed_at, now))
    )
    if confirmed.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(linked.visit)
        raise wrong_status(linked.visit, "confirmed")
    _audit(session, linked, "visit.confirmed", now)
    session.refresh(linked.visit)
    return linked.visit


def cancel_by_link(session: Session, *, token: str, now: datetime, policy: Policy) -> Visit:
    """Cancel, only outside the late-cancel window: inside it the patient must call, so the
    clinic hears of it in time to offer the slot."""
    linked = _open(session, token=token, now=now, policy=policy)
    if not linked.may_cancel:
        raise RuleViolation(
            f"Your visit is less than {late_cancel_hours(policy)} hours away, so it cannot be "
            f"cancelled here. Please call {linked.location.name} on {linked.location.phone}.",
            field="visit_id",
            code="late_cancel",
        )
    return cancel_visit(
        session=session,
        now=now,
        visit_id=linked.visit.id or 0,
        reason=CANCEL_REASON,
        cancelled_by=linked.patient,
        policy=policy,
    )


def move_by_link(
    session: Session,
    *,
    token: str,
    now: datetime,
    start: datetime,
    expected_version: int,
    same_practitioners: bool,
    policy: Policy,
) -> Visit:
    """Move the visit to `start` by the front desk's rules (Conflict when the time was just
    taken or the visit changed since the patient saw it)."""
    linked = _open(session, token=token, now=now, policy=policy)
    return reschedule_visit(
        session=session,
        now=now,
        visit_id=linked.visit.id or 0,
        start=start,
        expected_version=expected_version,
        policy=policy,
        actor=linked.patient,
        same_practitioners=same_practitioners,
    )


def open_times(
    session: Session,
    *,
    linked: LinkedVisit,
    now: datetime,
    first_day: date,
    same_practitioners: bool,
    policy: Policy,
) -> list[Slot]:
    """Other times for the visit over DAYS_AT_A_TIME days from `first_day`."""
    return move_options(
        session,
        visit=linked.visit,
        now=now,
        first_day=first_day,
        days=DAYS_AT_A_TIME,
        same_practitioners=same_practitioners,
        policy=policy,
    )


def late_cancel_hours(policy: Policy) -> int:
    return int(policy.late_cancel_window.total_seconds() // 3600)


def _open(session: Session, *, token: str, now: datetime, policy: Policy) -> LinkedVisit:
    linked = open_link(session, token=token, now=now, policy=policy)
    if linked.closed is not None:
        raise RuleViolation(linked.closed, field="token", code="link_closed")
    return linked


def _parts(session: Session, visit_id: int) -> list[tuple[datetime, VisitPart]]:
    """The visit's services and practitioners in order; nothing clinical is read."""
    rows = session.execute(
        sa.select(
            col(Appointment.starts_at),
            col(Service.code),
            col(Service.name),
            col(Appointment.practitioner_id),
            col(Practitioner.name),
        )
        .join(Service, col(Service.id) == Appointment.service_id)
        .join(Practitioner, col(Practitioner.id) == Appointment.practitioner_id)
        .where(col(Appointment.visit_id) == visit_id)
        .order_by(col(Appointment.position))
    )
    return [(starts, VisitPart(*part)) for starts, *part in rows]


def _closed(visit: Visit, location: Location, starts_at: datetime, *, now: datetime) -> str | None:
    call = f"call {location.name} on {location.phone}."
    if visit.status == VisitStatus.CANCELLED:
        return f"This visit was cancelled. To book again, please {call}"
    if visit.status != VisitStatus.BOOKED or now >= starts_at:
        return f"This visit has started or is over; this link no longer changes it. Please {call}"
    return None


def _audit(session: Session, linked: LinkedVisit, action: str, now: datetime) -> None:
    audit.record(
        session, actor=linked.patient, action=action, subject=f"visit:{linked.visit.id}", now=now
    )

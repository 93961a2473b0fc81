"""Visits after booking: look them up, cancel them, and follow them through the day.

Each status change is a conditional update that must hit exactly one row, so two people
pressing buttons at once cannot both win (cancel and check in, say).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from scheduler.clinic.catalogue import resolve_location
from scheduler.core import audit
from scheduler.core.db import require_booking_session
from scheduler.core.errors import NotFound, RuleViolation
from scheduler.core.policy import Policy
from scheduler.core.wallclock import as_the_clinic_says, clinic_zone
from scheduler.messaging import outbox
from scheduler.models import Appointment, Service, Visit, VisitStatus
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.openings import record_freed_visit
from scheduler.scheduling.rules import unassessed_first_needling

# Which statuses each change may start from.
CANCELLABLE = (VisitStatus.BOOKED,)
CHECKABLE_IN = (VisitStatus.BOOKED,)
COMPLETABLE = (VisitStatus.BOOKED, VisitStatus.CHECKED_IN)
MISSABLE = (VisitStatus.BOOKED,)


@dataclass(frozen=True)
class VisitView:
    """A visit with its appointments in order, each with its service's code."""

    visit: Visit
    appointments: list[tuple[Appointment, str]]

    @property
    def starts_at(self) -> datetime:
        return self.appointments[0][0].starts_at

    @property
    def ends_at(self) -> datetime:
        return self.appointments[-1][0].ends_at


def view_visit(session: Session, visit_id: int) -> VisitView:
    return visit_views(session, [get_visit(session, visit_id)])[0]


def visit_views(session: Session, visits: Sequence[Visit]) -> list[VisitView]:
    """The visits with their appointments, in one query whatever their number."""
    rows = session.exec(
        select(Appointment, Service.code)
        .join(Service, col(Service.id) == Appointment.service_id)
        .where(col(Appointment.visit_id).in_([visit.id for visit in visits]))
        .order_by(col(Appointment.visit_id), col(Appointment.position))
    )
    parts: dict[int, list[tuple[Appointment, str]]] = {}
    for appointment, code in rows:
        parts.setdefault(appointment.visit_id, []).append((appointment, code))
    return [VisitView(visit, parts.get(visit.id or 0, [])) for visit in visits]


def get_visit(session: Session, visit_id: int) -> Visit:
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFound(f"No visit {visit_id}.", field="visit_id", code="unknown_visit")
    return visit


def appointments_of(session: Session, visit_id: int) -> list[Appointment]:
    query = select(Appointment).where(Appointment.visit_id == visit_id)
    return list(session.exec(query.order_by(col(Appointment.position))))


def service_codes(session: Session, appointments: Sequence[Appointment]) -> dict[int, str]:
    ids = {a.service_id for a in appointments}
    services = session.exec(select(Service).where(col(Service.id).in_(ids)))
    return {service.id or 0: service.code for service in services}


def parts_as_booked(
    session: Session, appointments: Sequence[Appointment], *, same_practitioners: bool = True
) -> list[PartRequest]:
    """The visit's services asked for again, in its rooms and (or not) with its practitioners."""
    codes = service_codes(session, appointments)
    return [
        PartRequest(
            service=codes[a.service_id],
            practitioner_id=a.practitioner_id if same_practitioners else None,
            preferred_room_id=a.room_id,
        )
        for a in appointments
    ]


def wrong_status(visit: Visit, verb: str) -> RuleViolation:
    return RuleViolation(
        f"Visit {visit.id} is {visit.status.value.replace('_', ' ')}; it cannot be {verb}.",
        field="visit_id",
        code="wrong_status",
    )


def visit_start(session: Session, visit_id: int) -> datetime:
    appointments = appointments_of(session, get_visit(session, visit_id).id or 0)
    return appointments[0].starts_at


def is_late_cancel(starts_at: datetime, *, now: datetime, policy: Policy) -> bool:
    """Whether cancelling now falls inside the clinic's late-cancel window (elapsed time before
    the visit's start)."""
    return starts_at - now < policy.late_cancel_window


def cancel_visit(
    *,
    session: Session,
    now: datetime,
    visit_id: int,
    reason: str,
    cancelled_by: str,
    policy: Policy,
) -> Visit:
    """Cancel, keeping the rows; "late" when inside the clinic's late-cancel window, or when the
    visit was moved from inside it (a move does not reset the clock)."""
    late = get_visit(session, visit_id).moved_late or is_late_cancel(
        visit_start(session, visit_id), now=now, policy=policy
    )
    visit = _change_status(
        session,
        visit_id=visit_id,
        allowed=CANCELLABLE,
        to=VisitStatus.CANCELLED,
        verb="cancelled",
        cancelled_at=now,
        cancelled_by=cancelled_by,
        cancel_reason=reason,
        late_cancel=late,
    )
    outbox.on_cancelled(session, visit=visit, now=now, policy=policy)
    record_freed_visit(
        session,
        location_id=visit.location_id,
        appointments=appointments_of(session, visit_id),
        cause=f"visit {visit_id} cancelled",
        now=now,
    )
    _flag_unassessed_needling(session, visit)
    _audit(session, visit, cancelled_by, now, detail=f"late={late}, reason={reason}")
    return visit


def check_in(
    *, session: Session, now: datetime, visit_id: int, policy: Policy, actor: str = "system"
) -> Visit:
    """From `policy.check_in_opens` before the visit's start until it ends."""
    _require(_check_in_refusal(session, visit_id, now=now, policy=policy))
    visit = _change_status(
        session,
        visit_id=visit_id,
        allowed=CHECKABLE_IN,
        to=VisitStatus.CHECKED_IN,
        verb="checked in",
        checked_in_at=now,
    )
    _audit(session, visit, actor, now)
    return visit


def complete(
    *,
    session: Session,
    now: datetime,
    visit_id: int,
    policy: Policy,
    actor: str = "system",
) -> Visit:
    """Completed, once it has started, with the aftercare texts that follow."""
    _require(_not_started(session, visit_id, "completed", now=now))
    visit = _change_status(
        session,
        visit_id=visit_id,
        allowed=COMPLETABLE,
        to=VisitStatus.COMPLETED,
        verb="completed",
        completed_at=now,
    )
    outbox.on_completed(session, visit=visit, now=now, policy=policy)
    _audit(session, visit, actor, now)
    return visit


def mark_no_show(*, session: Session, now: datetime, visit_id: int, actor: str = "system") -> Visit:
    """Once the visit has started."""
    _require(_not_started(session, visit_id, "marked as a no-show", now=now))
    visit = _change_status(
        session, visit_id=visit_id, allowed=MISSABLE, to=VisitStatus.NO_SHOW, verb="marked no-show"
    )
    outbox.on_ended_without_care(session, visit=visit, now=now)
    _flag_unassessed_needling(session, visit)
    _audit(session, visit, actor, now)
    return visit


def steps_open(session: Session, visit: Visit, *, now: datetime, policy: Policy) -> set[str]:
    """Which of check-in, complete and no-show would succeed now: what a page should offer."""
    visit_id = visit.id or 0
    refusals = {
        "check-in": (CHECKABLE_IN, _check_in_refusal(session, visit_id, now=now, policy=policy)),
        "complete": (COMPLETABLE, _not_started(session, visit_id, "completed", now=now)),
        "no-show": (MISSABLE, _not_started(session, visit_id, "marked as a no-show", now=now)),
    }
    return {
        step
        for step, (statuses, refusal) in refusals.items()
        if visit.status in statuses and refusal is None
    }


def _check_in_refusal(
    session: Session, visit_id: int, *, now: datetime, policy: Policy
) -> RuleViolation | None:
    """Check-in opens `policy.check_in_opens` before the visit and closes when it ends."""
    appointments = appointments_of(session, get_visit(session, visit_id).id or 0)
    opens = appointments[0].starts_at - policy.check_in_opens
    if now < opens:
        return _not_yet(session, visit_id, "checked in", opens, code="too_early_to_check_in")
    if now >= appointments[-1].ends_at:
        return RuleViolation(
            f"This visit ended at {_local(session, visit_id, appointments[-1].ends_at)}; mark "
            "it completed or as a no-show instead.",
            field="visit_id",
            code="visit_over",
        )
    return None


def _not_started(
    session: Session, visit_id: int, verb: str, *, now: datetime
) -> RuleViolation | None:
    """Completing and a no-show wait for the visit's start."""
    starts_at = visit_start(session, visit_id)
    if now < starts_at:
        return _not_yet(session, visit_id, verb, starts_at, code="not_started")
    return None


def _require(refusal: RuleViolation | None) -> None:
    if refusal is not None:
        raise refusal


def _not_yet(
    session: Session, visit_id: int, verb: str, from_when: datetime, *, code: str
) -> RuleViolation:
    return RuleViolation(
        f"This visit can be {verb} from {_local(session, visit_id, from_when)}, not before.",
        field="visit_id",
        code=code,
    )


def _local(session: Session, visit_id: int, moment: datetime) -> str:
    """`moment` on the clinic's clock, as the front desk reads it: Tue 24 Nov 09:00."""
    location = resolve_location(session, get_visit(session, visit_id).location_id)
    return as_the_clinic_says(moment, clinic_zone(location.time_zone))


def _flag_unassessed_needling(session: Session, visit: Visit) -> None:
    """A cancelled or missed assessment leaves the first needling without one: the front desk
    and the practitioner must see that before the needling day."""
    orphan = unassessed_first_needling(session, patient_id=visit.patient_id)
    if orphan is not None:
        session.execute(
            update(Visit)
            .where(col(Visit.id) == orphan.visit_id)
            .values(attention="no assessment before this first dry needling")
        )


def _audit(session: Session, visit: Visit, actor: str, now: datetime, detail: str = "") -> None:
    """visit.cancelled, visit.checked_in, visit.completed or visit.no_show, by `actor`."""
    audit.record(
        session,
        actor=actor,
        action=f"visit.{visit.status.value}",
        subject=f"visit:{visit.id}",
        now=now,
        detail=detail,
    )


def _change_status(
    session: Session,
    *,
    visit_id: int,
    allowed: Sequence[VisitStatus],
    to: VisitStatus,
    verb: str,
    **changes: object,
) -> Visit:
    require_booking_session(session)
    visit = get_visit(session, visit_id)
    result = session.execute(
        update(Visit)
        .where(col(Visit.id) == visit_id, col(Visit.status).in_(allowed))
        .values(status=to, **changes)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(visit)
        raise wrong_status(visit, verb)
    session.execute(
        update(Appointment).where(col(Appointment.visit_id) == visit_id).values(status=to)
    )
    session.refresh(visit)
    return visit

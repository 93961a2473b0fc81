"""Treatment plans: a series of visits, such as six weekly sessions, booked all or nothing."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from scheduler.clinic.catalogue import resolve_location
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.errors import Conflict, DomainError, RuleViolation, not_found
from scheduler.core.policy import Policy
from scheduler.core.wallclock import clinic_instant, clinic_zone, require_aware
from scheduler.models import Location, TreatmentPlan, Visit, VisitStatus
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.booking import book_visit
from scheduler.scheduling.slots import find_open_slots
from scheduler.scheduling.visits import (
    appointments_of,
    cancel_visit,
    parts_as_booked,
    visit_start,
)

ALTERNATIVES = 3


@dataclass(frozen=True)
class Occurrence:
    """One visit of a series: booked, or why not and the nearest times that would work."""

    starts_at: datetime
    visit_id: int | None = None
    problem: DomainError | None = None
    alternatives: tuple[datetime, ...] = ()


@dataclass
class SeriesConflict(Conflict):
    occurrences: list[Occurrence] = field(default_factory=list)


@dataclass(frozen=True)
class _Request:
    """What the series asks for, the same for each of its visits; only the start differs."""

    now: datetime
    patient_id: int
    parts: Sequence[PartRequest]
    location: Location
    booked_by: str
    policy: Policy


def book_series(
    *,
    session: Session,
    now: datetime,
    patient_id: int,
    first_start: datetime,
    parts: Sequence[PartRequest],
    count: int,
    every: timedelta = timedelta(weeks=1),
    location_id: int | None = None,
    booked_by: str = "",
    policy: Policy,
) -> TreatmentPlan:
    """Book `count` visits at the same local wall time, `every` apart, or none at all.

    The spacing is wall-clock: a weekly 10:00 session stays at 10:00 across a DST change. When
    any occurrence fails, nothing is kept and SeriesConflict lists every occurrence, each failing
    one with its reason and the nearest open starts.
    """
    location, starts = _series_starts(
        session, first_start=first_start, count=count, every=every, location_id=location_id
    )
    request = _Request(now, patient_id, parts, location, booked_by, policy)
    get_patient(session, patient_id)
    series = session.begin_nested()
    plan = _new_plan(session, patient_id=patient_id, every=every, now=now)
    _book_all(session, plan, starts, request, series=series, action="plan.booked")
    return plan


def extend_plan(
    *, session: Session, now: datetime, plan_id: int, count: int, booked_by: str, policy: Policy
) -> TreatmentPlan:
    """`count` more visits after the plan's last, as its last one was booked (same services,
    practitioners and local time) and with the plan's spacing; all or none."""
    plan = get_plan(session, plan_id)
    last = _last_visit(session, plan)
    appointments = appointments_of(session, last.id or 0)
    start, parts = appointments[0].starts_at, parts_as_booked(session, appointments)
    every = timedelta(days=plan.every_days or 7)
    location, starts = _series_starts(
        session, first_start=start + every, count=count, every=every, location_id=last.location_id
    )
    request = _Request(now, plan.patient_id, parts, location, booked_by, policy)
    series = session.begin_nested()
    _book_all(session, plan, starts, request, series=series, action="plan.extended")
    return plan


def cancel_rest_of_plan(
    *, session: Session, now: datetime, plan_id: int, cancelled_by: str, policy: Policy
) -> list[Visit]:
    """Cancels every visit of the plan still booked to start after `now`, each as the front
    desk would cancel it (its texts withdrawn, a notice if the patient heard of it)."""
    plan = get_plan(session, plan_id)
    ahead = [
        visit
        for visit in visits_of_plan(session, plan.id or 0)
        if visit.status == VisitStatus.BOOKED and visit_start(session, visit.id or 0) > now
    ]
    if not ahead:
        raise RuleViolation(
            "No visit of this plan is still ahead to cancel.", field="plan_id", code="nothing_ahead"
        )
    return [
        cancel_visit(
            session=session,
            now=now,
            visit_id=visit.id or 0,
            reason="rest of the treatment plan cancelled",
            cancelled_by=cancelled_by,
            policy=policy,
        )
        for visit in ahead
    ]


def get_plan(session: Session, plan_id: int) -> TreatmentPlan:
    plan = session.get(TreatmentPlan, plan_id)
    if plan is None:
        raise not_found("treatment plan", plan_id, field="plan_id")
    return plan


def _book_all(
    session: Session,
    plan: TreatmentPlan,
    starts: Sequence[datetime],
    request: _Request,
    *,
    series: SessionTransaction,
    action: str,
) -> None:
    """Every start booked in `series`, kept only when all were; else SeriesConflict."""
    occurrences = [_book_occurrence(session, plan, start, request) for start in starts]
    if all(o.problem is None for o in occurrences):
        series.commit()
        _record_plan(
            session,
            plan,
            occurrences,
            actor=request.booked_by or "system",
            action=action,
            now=request.now,
        )
        return
    series.rollback()
    raise _series_conflict(session, occurrences, request)


def _last_visit(session: Session, plan: TreatmentPlan) -> Visit:
    kept = [
        visit
        for visit in visits_of_plan(session, plan.id or 0)
        if visit.status in (VisitStatus.BOOKED, VisitStatus.CHECKED_IN, VisitStatus.COMPLETED)
    ]
    if not kept:
        raise RuleViolation(
            "Every visit of this plan was cancelled; book a new plan instead.",
            field="plan_id",
            code="plan_empty",
        )
    return max(kept, key=lambda visit: visit_start(session, visit.id or 0))


def visits_of_plan(session: Session, plan_id: int) -> list[Visit]:
    """The plan's visits in the order they were booked (their dates' order)."""
    query = select(Visit).where(Visit.plan_id == plan_id).order_by(col(Visit.id))
    return list(session.exec(query))


def _series_starts(
    session: Session,
    *,
    first_start: datetime,
    count: int,
    every: timedelta,
    location_id: int | None,
) -> tuple[Location, list[datetime]]:
    """The location, and the starts at the first one's local wall time `every` apart on the
    clinic's clock (aware, in its zone)."""
    require_aware(first_start, field="start")
    if not 1 <= count <= 52:
        raise RuleViolation("A series has 1 to 52 visits.", field="count", code="bad_count")
    location = resolve_location(session, location_id)
    zone = clinic_zone(location.time_zone)
    local_first = clinic_instant(first_start, zone, field="start").astimezone(zone)
    starts = [
        (local_first.replace(tzinfo=None) + every * n).replace(tzinfo=zone) for n in range(count)
    ]
    return location, starts


def _new_plan(
    session: Session, *, patient_id: int, every: timedelta, now: datetime
) -> TreatmentPlan:
    plan = TreatmentPlan(patient_id=patient_id, every_days=every.days, created_at=now)
    session.add(plan)
    session.flush()
    return plan


def _book_occurrence(
    session: Session, plan: TreatmentPlan, start: datetime, request: _Request
) -> Occurrence:
    """One visit of the plan in a savepoint of its own: booked, or why not (and then nothing
    of it is left)."""
    try:
        with session.begin_nested():
            visit = book_visit(
                session=session,
                now=request.now,
                patient_id=request.patient_id,
                start=start,
                parts=request.parts,
                location_id=request.location.id,
                booked_by=request.booked_by,
                plan_id=plan.id,
                policy=request.policy,
            )
    except DomainError as problem:
        return Occurrence(starts_at=start, problem=problem)
    return Occurrence(starts_at=start, visit_id=visit.id)


def _record_plan(
    session: Session,
    plan: TreatmentPlan,
    occurrences: Sequence[Occurrence],
    *,
    actor: str,
    action: str,
    now: datetime,
) -> None:
    """plan.booked (or .extended), by `actor`, naming the visits booked."""
    audit.record(
        session,
        actor=actor,
        action=action,
        subject=f"plan:{plan.id}",
        now=now,
        detail=" ".join(f"visit:{o.visit_id}" for o in occurrences),
    )


def _series_conflict(
    session: Session, occurrences: Sequence[Occurrence], request: _Request
) -> SeriesConflict:
    """The refusal of the whole series: every occurrence, each failing one with the nearest
    open starts."""
    return SeriesConflict(
        f"{sum(o.problem is not None for o in occurrences)} of {len(occurrences)} visits cannot "
        "be booked as planned; nothing was booked.",
        field="start",
        code="series_conflict",
        occurrences=[
            _with_alternatives(session, o, request) if o.problem else o for o in occurrences
        ],
    )


def _with_alternatives(session: Session, occurrence: Occurrence, request: _Request) -> Occurrence:
    """The open starts nearest to the wanted one, searching the day before to the day after."""
    wanted = occurrence.starts_at
    try:
        slots = find_open_slots(
            session=session,
            now=request.now,
            parts=request.parts,
            first_day=wanted.date() - timedelta(days=1),
            days=3,
            location_id=request.location.id,
            patient_id=request.patient_id,
            policy=request.policy,
        )
    except DomainError:
        slots = []  # e.g. the practitioner asked for may not needle then: no alternatives
    nearest = sorted((s.starts_at for s in slots), key=lambda start: abs(start - wanted))
    return Occurrence(
        starts_at=wanted,
        problem=occurrence.problem,
        alternatives=tuple(sorted(nearest[:ALTERNATIVES])),
    )

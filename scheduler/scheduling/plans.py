"""Treatment plans: a series of visits, such as six weekly sessions, booked all or nothing."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from scheduler.clinic.catalogue import resolve_location
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.errors import Conflict, DomainError, RuleViolation
from scheduler.core.policy import Policy
from scheduler.core.wallclock import clinic_instant, clinic_zone, require_aware
from scheduler.models import Location, TreatmentPlan, Visit
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.booking import book_visit
from scheduler.scheduling.slots import find_open_slots

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
    plan = _new_plan(session, patient_id=patient_id, now=now)
    occurrences = [_book_occurrence(session, plan, start, request) for start in starts]
    if all(o.problem is None for o in occurrences):
        series.commit()
        _record_plan(session, plan, occurrences, actor=booked_by or "system", now=now)
        return plan
    series.rollback()
    raise _series_conflict(session, occurrences, request)


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


def _new_plan(session: Session, *, patient_id: int, now: datetime) -> TreatmentPlan:
    plan = TreatmentPlan(patient_id=patient_id, created_at=now)
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
    now: datetime,
) -> None:
    """plan.booked, by `actor`, naming the plan's visits."""
    audit.record(
        session,
        actor=actor,
        action="plan.booked",
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

"""Treatment plans: a series of visits, such as six weekly sessions, booked all or nothing."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from scheduler.clinic.catalogue import resolve_location
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.errors import Conflict, DomainError, RuleViolation
from scheduler.core.policy import Policy, current_policy
from scheduler.core.wallclock import clinic_instant, clinic_zone, require_aware
from scheduler.models import TreatmentPlan, Visit
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
    policy: Policy | None = None,
) -> TreatmentPlan:
    """Book `count` visits at the same local wall time, `every` apart, or none at all.

    The spacing is wall-clock: a weekly 10:00 session stays at 10:00 across a DST change. When
    any occurrence fails, nothing is kept and SeriesConflict lists every occurrence, each failing
    one with its reason and the nearest open starts.
    """
    require_aware(first_start, field="start")
    if not 1 <= count <= 52:
        raise RuleViolation("A series has 1 to 52 visits.", field="count", code="bad_count")
    policy = policy or current_policy()
    location = resolve_location(session, location_id)
    zone = clinic_zone(location.time_zone)
    local_first = clinic_instant(first_start, zone, field="start").astimezone(zone)
    starts = [
        (local_first.replace(tzinfo=None) + every * n).replace(tzinfo=zone) for n in range(count)
    ]
    get_patient(session, patient_id)
    series = session.begin_nested()
    plan = TreatmentPlan(patient_id=patient_id, created_at=now)
    session.add(plan)
    session.flush()
    occurrences = []
    for start in starts:
        try:
            with session.begin_nested():
                visit = book_visit(
                    session=session,
                    now=now,
                    patient_id=patient_id,
                    start=start,
                    parts=parts,
                    location_id=location.id,
                    booked_by=booked_by,
                    plan_id=plan.id,
                    policy=policy,
                )
            occurrences.append(Occurrence(starts_at=start, visit_id=visit.id))
        except DomainError as problem:
            occurrences.append(Occurrence(starts_at=start, problem=problem))
    if all(o.problem is None for o in occurrences):
        series.commit()
        visits = " ".join(f"visit:{o.visit_id}" for o in occurrences)
        audit.record(
            session,
            actor=booked_by or "system",
            action="plan.booked",
            subject=f"plan:{plan.id}",
            now=now,
            detail=visits,
        )
        return plan
    series.rollback()
    raise SeriesConflict(
        f"{sum(o.problem is not None for o in occurrences)} of {count} visits cannot be booked "
        "as planned; nothing was booked.",
        field="start",
        code="series_conflict",
        occurrences=[
            _with_alternatives(
                session,
                now=now,
                parts=parts,
                occurrence=o,
                patient_id=patient_id,
                location_id=location.id,
                policy=policy,
            )
            if o.problem
            else o
            for o in occurrences
        ],
    )


def visits_of_plan(session: Session, plan_id: int) -> list[Visit]:
    """The plan's visits in the order they were booked (their dates' order)."""
    query = select(Visit).where(Visit.plan_id == plan_id).order_by(col(Visit.id))
    return list(session.exec(query))


def _with_alternatives(
    session: Session,
    *,
    now: datetime,
    parts: Sequence[PartRequest],
    occurrence: Occurrence,
    patient_id: int,
    location_id: int | None,
    policy: Policy,
) -> Occurrence:
    """The open starts nearest to the wanted one, searching the day before to the day after."""
    wanted = occurrence.starts_at
    try:
        slots = find_open_slots(
            session=session,
            now=now,
            parts=parts,
            first_day=wanted.date() - timedelta(days=1),
            days=3,
            location_id=location_id,
            patient_id=patient_id,
            policy=policy,
        )
    except DomainError:
        slots = []  # e.g. the practitioner asked for may not needle then: no alternatives
    nearest = sorted((s.starts_at for s in slots), key=lambda start: abs(start - wanted))
    return Occurrence(
        starts_at=wanted,
        problem=occurrence.problem,
        alternatives=tuple(sorted(nearest[:ALTERNATIVES])),
    )

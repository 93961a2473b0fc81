"""Find a time: open times for a visit of one to three services, each booked with one click."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel
from sqlmodel import Session, col, select
from starlette.responses import Response

from scheduler.api.auth import FrontDesk
from scheduler.api.deps import NowDep, PolicyDep, ReadSessionDep, WriteSessionDep
from scheduler.api.errors import status_of
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.errors import DomainError, RuleViolation
from scheduler.core.policy import Policy
from scheduler.core.wallclock import wall_time
from scheduler.models import Patient, Practitioner, Room, Service
from scheduler.scheduling.availability import PartRequest, Slot
from scheduler.scheduling.booking import book_visit
from scheduler.scheduling.part_fit import may_deliver
from scheduler.scheduling.rules import check_needling_prerequisites
from scheduler.scheduling.slots import find_open_slots
from scheduler.scheduling.usual_visits import usual_visits
from scheduler.staff.board import visits_by_day
from scheduler.web.clinic_clock import ClinicClock, chosen_day, clinic_clock
from scheduler.web.forms import attempt, see_other
from scheduler.web.rendering import page

router = APIRouter(include_in_schema=False)
MAX_PARTS = 3
DAY_CHOICES = (1, 3, 5, 7, 14)
USUAL_SINCE = timedelta(days=90)


@dataclass(frozen=True)
class Search:
    """What the front desk asked for: services in visit order, each with an optional
    practitioner, over `days` days from `first_day`, for a patient when one is chosen."""

    services: list[str]
    practitioners: list[int | None]
    first_day: date
    days: int
    patient_id: int | None = None

    def parts(self) -> list[PartRequest]:
        return [
            PartRequest(service=code, practitioner_id=practitioner)
            for code, practitioner in zip(self.services, self.practitioners, strict=True)
        ]


@dataclass
class Outcome:
    slots: dict[date, list[Slot]] = field(default_factory=dict)
    error: str | None = None
    warning: str | None = None
    intake_missing: bool = False  # the warning is for an intake: offer to send the form


class FindQuery(BaseModel):
    service: list[str] = []
    practitioner: list[str] = []  # by part; "" lets the clinic choose
    patient_id: int | None = None
    day: str = ""
    days: int = 5


class BookForm(FindQuery):
    patient_id: int
    slot: str


@router.get("/book")
def find_a_time(
    request: Request,
    *,
    session: ReadSessionDep,
    now: NowDep,
    policy: PolicyDep,
    _user: FrontDesk,
    query: Annotated[FindQuery, Query()],
) -> Response:
    clock = clinic_clock(session, now)
    search = _search(query, clock)
    outcome = _outcome(session, now, clock, search, policy=policy)
    return _page(request, session, now=now, clock=clock, search=search, outcome=outcome)


@router.post("/book")
def book(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: FrontDesk,
    form: Annotated[BookForm, Form()],
) -> Response:
    clock = clinic_clock(session, now)
    search = _search(form, clock)
    starts = slot_start(form.slot)

    def refused(error: DomainError) -> Response:
        outcome = _outcome(session, now, clock, search, policy=policy)
        outcome.error = error.message
        return _page(
            request,
            session,
            now=now,
            clock=clock,
            search=search,
            outcome=outcome,
            status_code=status_of(error),
        )

    return attempt(
        session,
        lambda: book_visit(
            session=session,
            now=now,
            patient_id=form.patient_id,
            start=starts,
            parts=_slot_parts(form.slot, form.service),
            location_id=clock.location.id,
            booked_by=audit.staff(user),
            policy=policy,
        ),
        done=lambda visit: see_other(
            f"/board?day={starts.astimezone(clock.zone).date()}&visit={visit.id}"
        ),
        refused=refused,
    )


def _search(query: FindQuery, clock: ClinicClock) -> Search:
    chosen = [code for code in query.service if code][:MAX_PARTS]
    by_part = [*query.practitioner, *[""] * len(query.service)]
    wanted = [p for code, p in zip(query.service, by_part, strict=False) if code]
    return Search(
        services=chosen,
        practitioners=[
            int(p) if p.isascii() and p.isdigit() else None for p in wanted[: len(chosen)]
        ],
        first_day=max(chosen_day(query.day, today=clock.today), clock.today),
        days=query.days if query.days in DAY_CHOICES else 5,
        patient_id=query.patient_id,
    )


def _outcome(
    session: Session, now: datetime, clock: ClinicClock, search: Search, *, policy: Policy
) -> Outcome:
    outcome = Outcome()
    if not search.services:
        return outcome
    try:
        refusal = _needling_refusal(session, clock, search, policy)
        if refusal is not None:  # no time in the window could be booked: offer none
            outcome.warning = refusal.message
            outcome.intake_missing = refusal.code == "intake_missing"
            return outcome
        slots = find_open_slots(
            session=session,
            now=now,
            parts=search.parts(),
            first_day=search.first_day,
            days=search.days,
            patient_id=search.patient_id,
            policy=policy,
        )
    except DomainError as error:
        outcome.error = error.message
        return outcome
    outcome.slots = slots_by_day(slots, clock.zone)
    return outcome


def slots_by_day(slots: list[Slot], zone: ZoneInfo) -> dict[date, list[Slot]]:
    grouped: dict[date, list[Slot]] = {}
    for slot in slots:
        grouped.setdefault(slot.starts_at.astimezone(zone).date(), []).append(slot)
    return grouped


def _needling_refusal(
    session: Session, clock: ClinicClock, search: Search, policy: Policy
) -> RuleViolation | None:
    """Say before anyone clicks that a needling cannot be booked in the window, and why."""
    if search.patient_id is None:
        return None
    services = list(session.exec(select(Service).where(col(Service.code).in_(search.services))))
    ordered = sorted(services, key=lambda s: search.services.index(s.code))
    try:
        check_needling_prerequisites(
            session,
            patient=get_patient(session, search.patient_id),
            services=ordered,
            starts_at=wall_time(
                search.first_day + timedelta(days=search.days), time(0), clock.zone
            ),
            policy=policy,
        )
    except RuleViolation as refused:
        return refused
    return None


def slot_labels(session: Session) -> dict[str, dict[int | None, str]]:
    """What the slot buttons need to name who and where."""
    return {
        "practitioner_names": {p.id: p.name for p in session.exec(select(Practitioner))},
        "rooms": {r.id: r.name for r in session.exec(select(Room))},
    }


def _last_day(search: Search) -> date:
    return search.first_day + timedelta(days=search.days)


def slot_value(slot: Slot) -> str:
    """A slot as a form value: its start, then each part's practitioner and room."""
    parts = "~".join(f"{a.practitioner_id}.{a.room_id}" for a in slot.appointments)
    return f"{slot.starts_at.isoformat()}~{parts}"


def slot_start(value: str) -> datetime:
    """The start of a slot's form value, or of a bare ISO start; refused when it reads as
    neither."""
    try:
        return datetime.fromisoformat(value.split("~", 1)[0])
    except ValueError as error:
        raise RuleViolation("That time is not one we offered.", field="slot") from error


def _slot_parts(value: str, services: list[str]) -> list[PartRequest]:
    """The services with exactly the practitioners and rooms the slot showed."""
    assigned = value.split("~")[1:]
    if len(assigned) != len(services) or not all(re.fullmatch(r"\d+\.\d+", a) for a in assigned):
        raise RuleViolation("That time is not one we offered.", field="slot")
    pairs = [tuple(int(n) for n in a.split(".")) for a in assigned]
    return [
        PartRequest(service=code, practitioner_id=pair[0], room_id=pair[1])
        for code, pair in zip(services, pairs, strict=True)
    ]


def _page(
    request: Request,
    session: Session,
    *,
    now: datetime,
    clock: ClinicClock,
    search: Search,
    outcome: Outcome,
    status_code: int = 200,
) -> Response:
    services = list(session.exec(select(Service).order_by(col(Service.kind), col(Service.code))))
    practitioners = list(
        session.exec(select(Practitioner).where(col(Practitioner.active)).order_by("name"))
    )
    patient = session.get(Patient, search.patient_id) if search.patient_id else None
    return page(
        request,
        "book.html",
        status_code,
        section="book",
        search=search,
        outcome=outcome,
        patient=patient,
        services=services,
        by_code={s.code: s for s in services},
        practitioners=practitioners,
        **slot_labels(session),
        qualified={
            p.id: " ".join(s.code for s in services if may_deliver(p, s)) for p in practitioners
        },
        usual=usual_visits(session, since=now - USUAL_SINCE, patient_id=search.patient_id, limit=5),
        parts=MAX_PARTS,
        day_choices=DAY_CHOICES,
        zone=clock.zone,
        today=clock.today,
        slot_value=slot_value,
        booked_days=visits_by_day(
            session,
            patient_id=patient.id or 0,
            zone=clock.zone,
            first_day=search.first_day,
            days=search.days,
        )
        if patient
        else {},
    )

"""Treatment plans from a patient's page: book a series (every week or every N days, the same
time, all or nothing), see it with its soreness scores, cancel the rest or extend it.

A series that does not fit comes back with every occurrence and, for each one that clashes, the
nearest times that would work, so the front desk can pick another time or practitioner.
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from starlette.responses import Response

from scheduler.api.auth import FrontDesk
from scheduler.api.deps import NowDep, PolicyDep, ReadSessionDep, WriteSessionDep
from scheduler.api.errors import status_of
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.errors import DomainError, RuleViolation
from scheduler.core.wallclock import wall_time
from scheduler.models import Practitioner, Service
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.plans import (
    SeriesConflict,
    book_series,
    cancel_rest_of_plan,
    extend_plan,
)
from scheduler.staff.plans import plan_summary
from scheduler.web.clinic_clock import ClinicClock, clinic_clock
from scheduler.web.forms import attempt, saved, see_other
from scheduler.web.rendering import page

router = APIRouter(include_in_schema=False)
PARTS = 3
SPACINGS = {7: "Every week", 14: "Every two weeks"}  # or every N days, typed


class PlanForm(BaseModel):
    service: list[str] = Field(default_factory=list)
    practitioner: list[str] = Field(default_factory=list)
    day: date | None = None
    at: time | None = None
    every_days: int = 7
    count: int = 6


@router.get("/patients/{patient_id}/plans/new")
def new_plan(
    request: Request, session: ReadSessionDep, now: NowDep, _user: FrontDesk, patient_id: int
) -> Response:
    clock = clinic_clock(session, now)
    form = PlanForm(day=clock.today + timedelta(days=1), at=time(10))
    return _plan_form(request, session, clock=clock, patient_id=patient_id, form=form)


@router.post("/patients/{patient_id}/plans")
def book_plan(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: FrontDesk,
    patient_id: int,
    form: Annotated[PlanForm, Form()],
) -> Response:
    clock = clinic_clock(session, now)

    def book() -> int:
        plan = book_series(
            session=session,
            now=now,
            patient_id=patient_id,
            first_start=_first_start(form, clock),
            parts=_parts(form),
            count=form.count,
            every=timedelta(days=form.every_days),
            location_id=clock.location.id,
            booked_by=audit.staff(user),
            policy=policy,
        )
        return plan.id or 0

    return _plan_saved(
        session,
        book,
        refused=lambda error: _plan_form(
            request, session, clock=clock, patient_id=patient_id, form=form, error=error
        ),
    )


@router.get("/plans/{plan_id}")
def plan_page(
    request: Request,
    session: ReadSessionDep,
    now: NowDep,
    _user: FrontDesk,
    plan_id: int,
    done: str | None = None,
) -> Response:
    return _plan_page(request, session, now=now, plan_id=plan_id, done=done)


@router.post("/plans/{plan_id}/cancel-rest")
def cancel_rest(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: FrontDesk,
    plan_id: int,
) -> Response:
    return saved(
        session,
        lambda: cancel_rest_of_plan(
            session=session, now=now, plan_id=plan_id, cancelled_by=audit.staff(user), policy=policy
        ),
        then=f"/plans/{plan_id}?done=cancelled",
        refused=lambda error: _plan_page(request, session, now=now, plan_id=plan_id, error=error),
    )


@router.post("/plans/{plan_id}/extend")
def extend(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: FrontDesk,
    plan_id: int,
    count: Annotated[int, Form(ge=1, le=26)] = 1,
) -> Response:
    def more() -> int:
        extend_plan(
            session=session,
            now=now,
            plan_id=plan_id,
            count=count,
            booked_by=audit.staff(user),
            policy=policy,
        )
        return plan_id

    return _plan_saved(
        session,
        more,
        refused=lambda error: _plan_page(request, session, now=now, plan_id=plan_id, error=error),
        done="extended",
    )


def _plan_saved(
    session: Session,
    change: Callable[[], int],
    *,
    refused: Callable[[DomainError], Response],
    done: str = "booked",
) -> Response:
    """A plan booked or extended, then its page; refused, the page given with the reason."""
    return attempt(
        session,
        change,
        done=lambda plan_id: see_other(f"/plans/{plan_id}?done={done}"),
        refused=refused,
    )


def _first_start(form: PlanForm, clock: ClinicClock) -> datetime:
    if form.day is None or form.at is None:
        raise RuleViolation("Give the first visit's day and time.", field="day")
    return wall_time(form.day, form.at, clock.zone)


def _parts(form: PlanForm) -> list[PartRequest]:
    wanted = [*form.practitioner, *[""] * len(form.service)]
    parts = [
        PartRequest(service=code, practitioner_id=int(who) if who.isdigit() else None)
        for code, who in zip(form.service, wanted, strict=False)
        if code
    ][:PARTS]
    if not parts:
        raise RuleViolation("Choose at least one service.", field="service")
    return parts


def _plan_form(
    request: Request,
    session: Session,
    *,
    clock: ClinicClock,
    patient_id: int,
    form: PlanForm,
    error: DomainError | None = None,
) -> Response:
    return page(
        request,
        "plan_new.html",
        status_of(error) if error else 200,
        section="patients",
        patient=get_patient(session, patient_id),
        form=form,
        services=list(session.exec(select(Service).order_by(col(Service.kind), col(Service.code)))),
        practitioners=list(
            session.exec(select(Practitioner).where(col(Practitioner.active)).order_by("name"))
        ),
        parts=PARTS,
        spacings=SPACINGS,
        occurrences=error.occurrences if isinstance(error, SeriesConflict) else [],
        zone=clock.zone,
        error=error,
    )


def _plan_page(
    request: Request,
    session: Session,
    *,
    now: datetime,
    plan_id: int,
    done: str | None = None,
    error: DomainError | None = None,
) -> Response:
    summary = plan_summary(session, plan_id=plan_id)
    zone = clinic_clock(session, now).zone
    return page(
        request,
        "plan.html",
        status_of(error) if error else 200,
        section="patients",
        summary=summary,
        chart={
            "labels": [f"{at.astimezone(zone):%a %d %b}" for at, _ in summary.soreness],
            "scores": [score for _, score in summary.soreness],
        },
        zone=zone,
        done=done,
        error=error,
    )

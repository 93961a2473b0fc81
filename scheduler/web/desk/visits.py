"""One visit: its parts, its texts and their delivery, and what the front desk does to it:
move, cancel, check in, complete, mark a no-show."""

from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel
from sqlmodel import Session
from starlette.responses import Response

from scheduler.api.auth import FrontDesk
from scheduler.api.deps import NowDep, PolicyDep, ReadSessionDep, WriteSessionDep
from scheduler.api.errors import status_of
from scheduler.clinic.intake import intake_status
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.errors import DomainError
from scheduler.core.policy import Policy
from scheduler.messaging.intake_texts import NEEDS_INTAKE
from scheduler.messaging.log import messages_of_visit
from scheduler.models import Visit
from scheduler.scheduling.availability import Slot
from scheduler.scheduling.booking import move_options, reschedule_visit
from scheduler.scheduling.cancellations import (
    REASONS,
    cancel_reason,
    may_undo,
    undo_cancellation,
)
from scheduler.scheduling.visits import (
    cancel_visit,
    check_in,
    complete,
    get_visit,
    is_late_cancel,
    mark_no_show,
    steps_open,
    visit_start,
)
from scheduler.staff.board import visit_parts, visits_by_day
from scheduler.web.clinic_clock import chosen_day, clinic_clock
from scheduler.web.desk.booking import DAY_CHOICES, slot_labels, slots_by_day
from scheduler.web.forms import attempt, saved, see_other
from scheduler.web.rendering import page

router = APIRouter(include_in_schema=False)


Step = Literal["check-in", "complete", "no-show"]


class CancelForm(BaseModel):
    reason: str = ""  # one of REASONS
    reason_text: str = ""  # the words, for "other"


class MoveForm(BaseModel):
    start: datetime
    version: int
    anyone: bool = False  # anyone suitable and free, not only the same practitioners


@router.get("/visits/{visit_id}")
def visit_page(
    request: Request,
    *,
    session: ReadSessionDep,
    now: NowDep,
    policy: PolicyDep,
    _user: FrontDesk,
    visit_id: int,
) -> Response:
    return _visit_page(request, session, now=now, visit_id=visit_id, policy=policy)


@router.post("/visits/{visit_id}/cancel")
def cancel(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: FrontDesk,
    visit_id: int,
    form: Annotated[CancelForm, Form()],
) -> Response:
    return _change(
        request,
        session,
        now=now,
        policy=policy,
        visit_id=visit_id,
        change=lambda: cancel_visit(
            session=session,
            now=now,
            visit_id=visit_id,
            reason=cancel_reason(form.reason, form.reason_text),
            cancelled_by=audit.staff(user),
            policy=policy,
        ),
    )


@router.post("/visits/{visit_id}/undo-cancel")
def undo_cancel(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: FrontDesk,
    visit_id: int,
) -> Response:
    """The cancellation undone, while its time is free and within the undo window."""
    return _change(
        request,
        session,
        now=now,
        policy=policy,
        visit_id=visit_id,
        change=lambda: undo_cancellation(
            session, visit_id=visit_id, now=now, actor=audit.staff(user), policy=policy
        ),
    )


@router.post("/visits/{visit_id}/progress/{step}")
def progress(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: FrontDesk,
    visit_id: int,
    step: Step,
) -> Response:
    """Check in, complete (aftercare follows) or mark a no-show."""
    return _change(
        request,
        session,
        now=now,
        policy=policy,
        visit_id=visit_id,
        change=lambda: _steps(policy)[step](
            session=session, now=now, visit_id=visit_id, actor=audit.staff(user)
        ),
    )


@router.get("/visits/{visit_id}/reschedule")
def reschedule_page(
    request: Request,
    *,
    session: ReadSessionDep,
    now: NowDep,
    policy: PolicyDep,
    _user: FrontDesk,
    visit_id: int,
    day: str | None = None,
    days: int = 5,
    anyone: bool = False,
) -> Response:
    first_day = chosen_day(day, today=clinic_clock(session, now).today)
    return _reschedule_page(
        request,
        session,
        now=now,
        visit_id=visit_id,
        first_day=first_day,
        days=days,
        anyone=anyone,
        policy=policy,
    )


@router.post("/visits/{visit_id}/reschedule")
def move(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: FrontDesk,
    visit_id: int,
    form: Annotated[MoveForm, Form()],
) -> Response:
    zone = clinic_clock(session, now).zone
    return attempt(
        session,
        lambda: reschedule_visit(
            session=session,
            now=now,
            visit_id=visit_id,
            start=form.start,
            expected_version=form.version,
            actor=audit.staff(user),
            policy=policy,
            same_practitioners=not form.anyone,
        ),
        done=lambda _: see_other(
            f"/board?day={form.start.astimezone(zone).date()}&visit={visit_id}"
        ),
        refused=lambda error: _reschedule_page(
            request,
            session,
            now=now,
            visit_id=visit_id,
            first_day=form.start.astimezone(zone).date(),
            days=5,
            anyone=form.anyone,
            policy=policy,
            error=error,
        ),
    )


def _steps(policy: Policy) -> dict[str, Callable[..., Visit]]:
    """Each step's core function, with the policy where it needs it (when check-in opens, the
    aftercare texts)."""
    return {
        "check-in": partial(check_in, policy=policy),
        "complete": partial(complete, policy=policy),
        "no-show": mark_no_show,
    }


def _change(
    request: Request,
    session: Session,
    *,
    now: datetime,
    policy: Policy,
    visit_id: int,
    change: Callable[[], Visit],
) -> Response:
    """One status change (the core writes its audit entry); when refused, the visit again with
    the reason."""
    return saved(
        session,
        change,
        then=f"/visits/{visit_id}",
        refused=lambda error: _visit_page(
            request, session, now=now, visit_id=visit_id, policy=policy, error=error
        ),
    )


def _visit_page(
    request: Request,
    session: Session,
    *,
    now: datetime,
    visit_id: int,
    policy: Policy,
    error: DomainError | None = None,
) -> Response:
    visit = get_visit(session, visit_id)
    return page(
        request,
        "visit.html",
        status_of(error) if error else 200,
        **_visit_context(session, visit),
        intake=intake_status(session, patient_id=visit.patient_id, now=now, policy=policy),
        steps=steps_open(session, visit, now=now, policy=policy),
        reasons=REASONS,
        undo_until=visit.cancelled_at + policy.undo_window
        if may_undo(visit, now=now, policy=policy) and visit.cancelled_at
        else None,
        check_in_opens=policy.check_in_opens,
        needs_intake=NEEDS_INTAKE,
        messages=messages_of_visit(session, visit_id),
        zone=clinic_clock(session, now).zone,
        now=now,
        error=error,
    )


def _visit_context(session: Session, visit: Visit) -> dict[str, object]:
    """What both of a visit's pages show about it."""
    return {
        "section": "board",
        "visit": visit,
        "patient": get_patient(session, visit.patient_id),
        "parts": visit_parts(session, visit_id=visit.id or 0),
    }


def _reschedule_page(
    request: Request,
    session: Session,
    *,
    now: datetime,
    visit_id: int,
    first_day: date,
    days: int,
    anyone: bool,
    policy: Policy,
    error: DomainError | None = None,
) -> Response:
    visit = get_visit(session, visit_id)
    clock = clinic_clock(session, now)
    days = days if days in DAY_CHOICES else 5
    first_day = max(first_day, clock.today)
    try:
        found = move_options(
            session,
            visit=visit,
            now=now,
            first_day=first_day,
            days=days,
            same_practitioners=not anyone,
            policy=policy,
        )
        slots, refusal = slots_by_day(found, clock.zone), None
    except DomainError as refused:
        slots, refusal = {}, refused.message
    return page(
        request,
        "reschedule.html",
        status_of(error) if error else 200,
        **_visit_context(session, visit),
        slots=slots,
        **slot_labels(session),
        start_value=_start_value,
        refusal=refusal,
        error=error,
        first_day=first_day,
        days=days,
        anyone=anyone,
        booked_days=visits_by_day(
            session,
            patient_id=visit.patient_id,
            zone=clock.zone,
            first_day=first_day,
            days=days,
            excluding_visit=visit.id,
        ),
        late_move=visit.moved_late
        or is_late_cancel(visit_start(session, visit_id), now=now, policy=policy),
        day_choices=DAY_CHOICES,
        zone=clock.zone,
        today=clock.today,
    )


def _start_value(slot: Slot) -> str:
    return slot.starts_at.isoformat()

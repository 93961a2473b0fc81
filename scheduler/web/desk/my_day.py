"""A practitioner's day sheet: who, when, what, where, and what to watch out for; printable.

Practitioners see their own; the front desk and admins see anyone's (intake flags only).
"""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from scheduler.api.auth import Staff, allow
from scheduler.api.deps import NowDep, PolicyDep, ReadSessionDep, SettingsDep, WriteSessionDep
from scheduler.clinic.intake import intake_statuses
from scheduler.core import audit
from scheduler.core.policy import Policy
from scheduler.core.settings import Settings
from scheduler.messaging.intake_texts import NEEDS_INTAKE
from scheduler.models import Role, User
from scheduler.patients.replies import HIGH_SORENESS
from scheduler.scheduling.rules import get_practitioner
from scheduler.staff.access import require_own_schedule
from scheduler.staff.calendar_feed import feed_token, issue_feed_token
from scheduler.staff.day_sheet import practitioner_day
from scheduler.web.clinic_clock import chosen_day, clinic_clock
from scheduler.web.forms import see_other
from scheduler.web.rendering import page

router = APIRouter(include_in_schema=False)
OwnDay = Annotated[User, allow(Role.PRACTITIONER)]


@router.get("/my-day")
def my_day(
    request: Request,
    *,
    session: ReadSessionDep,
    now: NowDep,
    settings: SettingsDep,
    policy: PolicyDep,
    user: OwnDay,
    day: str | None = None,
) -> Response:
    return _day_sheet(
        request,
        session,
        now=now,
        settings=settings,
        policy=policy,
        user=user,
        of=user.practitioner_id,
        day=day,
    )


@router.get("/practitioners/{practitioner_id}/day")
def day_sheet(
    request: Request,
    *,
    session: ReadSessionDep,
    now: NowDep,
    settings: SettingsDep,
    policy: PolicyDep,
    user: Staff,
    practitioner_id: int,
    day: str | None = None,
) -> Response:
    require_own_schedule(user, practitioner_id)
    return _day_sheet(
        request,
        session,
        now=now,
        settings=settings,
        policy=policy,
        user=user,
        of=practitioner_id,
        day=day,
    )


@router.post("/my-day/calendar")
def new_calendar_address(session: WriteSessionDep, now: NowDep, user: OwnDay) -> Response:
    """A new private calendar address; the previous one stops working."""
    issue_feed_token(session, practitioner_id=user.practitioner_id or 0, now=now)
    audit.record(
        session,
        actor=audit.staff(user),
        action="calendar.issued",
        subject=f"practitioner:{user.practitioner_id}",
        now=now,
    )
    return see_other("/my-day#calendar")


def _day_sheet(
    request: Request,
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    policy: Policy,
    user: User,
    of: int | None,
    day: str | None,
) -> Response:
    practitioner = get_practitioner(session, of or 0)
    clock = clinic_clock(session, now)
    shown = chosen_day(day, today=clock.today)
    own = user.practitioner_id == practitioner.id
    token = feed_token(session, practitioner.id or 0) if own else None
    appointments = practitioner_day(
        session, practitioner_id=practitioner.id or 0, day=shown, location_id=clock.location.id
    )
    return page(
        request,
        "my_day.html",
        section="my-day" if own else "board",
        practitioner=practitioner,
        own=own,
        day=shown,
        today=clock.today,
        previous=shown - timedelta(days=1),
        next=shown + timedelta(days=1),
        appointments=appointments,
        intake=intake_statuses(
            session, patient_ids={a.patient_id for a in appointments}, now=now, policy=policy
        ),
        needs_intake=NEEDS_INTAKE,
        zone=clock.zone,
        feed_url=f"{settings.public_url.rstrip('/')}/calendar/{token}.ics" if token else None,
        high_soreness=HIGH_SORENESS,
    )

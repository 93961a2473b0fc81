"""Admin: a practitioner's weekly hours and time off, edited on their page (admin_practitioners).

`admin.practitioners` refuses hours or time off that would strand booked visits.
"""

from datetime import datetime, time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel
from starlette.responses import Response

from scheduler.admin.practitioners import add_time_off, remove_time_off, set_working_hours
from scheduler.api.auth import Admin
from scheduler.api.deps import NowDep, WriteSessionDep
from scheduler.clinic.setup import Shift
from scheduler.core import audit
from scheduler.core.errors import RuleViolation
from scheduler.core.wallclock import clinic_instant
from scheduler.web.admin.practitioners import WEEKDAYS, edit
from scheduler.web.clinic_clock import clinic_clock
from scheduler.web.forms import weekday_time

router = APIRouter(include_in_schema=False)


class Hours(BaseModel):
    """One row per weekday (0 = Monday); `works` lists the weekdays ticked."""

    works: list[int] = []
    starts: list[str] = []
    ends: list[str] = []
    break_starts: list[str] = []
    break_ends: list[str] = []


class Leave(BaseModel):
    starts: datetime  # the clinic's wall clock, as a datetime-local field sends it
    ends: datetime
    reason: str = ""


@router.post("/admin/practitioners/{practitioner_id}/hours")
def change_hours(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    practitioner_id: int,
    form: Annotated[Hours, Form()],
) -> Response:
    return edit(
        request,
        session,
        now=now,
        practitioner_id=practitioner_id,
        change=lambda: set_working_hours(
            session,
            practitioner_id=practitioner_id,
            location_id=clinic_clock(session, now).location.id,
            shifts=_shifts(form),
            actor=audit.staff(user),
            now=now,
        ),
    )


@router.post("/admin/practitioners/{practitioner_id}/time-off")
def new_time_off(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    practitioner_id: int,
    form: Annotated[Leave, Form()],
) -> Response:
    zone = clinic_clock(session, now).zone
    return edit(
        request,
        session,
        now=now,
        practitioner_id=practitioner_id,
        change=lambda: add_time_off(
            session,
            practitioner_id=practitioner_id,
            starts_at=clinic_instant(form.starts.replace(tzinfo=zone), zone, field="starts"),
            ends_at=clinic_instant(form.ends.replace(tzinfo=zone), zone, field="ends"),
            reason=form.reason.strip(),
            actor=audit.staff(user),
            now=now,
        ),
    )


@router.post("/admin/practitioners/{practitioner_id}/time-off/{time_off_id}/remove")
def drop_time_off(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    practitioner_id: int,
    time_off_id: int,
) -> Response:
    return edit(
        request,
        session,
        now=now,
        practitioner_id=practitioner_id,
        change=lambda: remove_time_off(
            session,
            practitioner_id=practitioner_id,
            time_off_id=time_off_id,
            actor=audit.staff(user),
            now=now,
        ),
    )


def _shifts(form: Hours) -> list[Shift]:
    def at(values: list[str], weekday: int) -> time | None:
        return weekday_time(values, weekday, field="hours")

    shifts = []
    for weekday in sorted(set(form.works)):
        starts, ends = at(form.starts, weekday), at(form.ends, weekday)
        if starts is None or ends is None:
            raise RuleViolation(f"Give {WEEKDAYS[weekday]}'s hours.", field="hours")
        shifts.append(
            Shift(
                weekday=weekday,
                starts=starts,
                ends=ends,
                break_starts=at(form.break_starts, weekday),
                break_ends=at(form.break_ends, weekday),
            )
        )
    return shifts

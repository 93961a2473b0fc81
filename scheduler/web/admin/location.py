"""Admin: the clinic itself, its name and phone as texts and pages show them, and its weekly
opening hours. `admin.clinic.update_location` refuses hours that would leave booked visits
outside them, and writes the audit entry."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel
from sqlmodel import Session
from starlette.responses import Response

from scheduler.admin.clinic import update_location
from scheduler.admin.directory import location_hours
from scheduler.api.auth import Admin
from scheduler.api.deps import NowDep, ReadSessionDep, WriteSessionDep
from scheduler.clinic.setup import WeeklyHours
from scheduler.core import audit
from scheduler.core.errors import DomainError, RuleViolation
from scheduler.web.admin.page import admin_page
from scheduler.web.admin.practitioners import WEEKDAYS
from scheduler.web.clinic_clock import clinic_clock
from scheduler.web.forms import saved, weekday_time

router = APIRouter(include_in_schema=False)


class ClinicForm(BaseModel):
    """The clinic's details; one opening row per weekday (0 = Monday), `open_days` ticked."""

    name: str
    phone: str = ""
    open_days: list[int] = []
    opens: list[str] = []
    closes: list[str] = []


@router.get("/admin/clinic")
def clinic(request: Request, session: ReadSessionDep, now: NowDep, _user: Admin) -> Response:
    return _clinic_page(request, session, now)


@router.post("/admin/clinic")
def change_clinic(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    form: Annotated[ClinicForm, Form()],
) -> Response:
    location_id = clinic_clock(session, now).location.id or 0
    return saved(
        session,
        lambda: update_location(
            session,
            location_id=location_id,
            actor=audit.staff(user),
            now=now,
            name=form.name,
            phone=form.phone,
            opening=_opening(form),
        ),
        then="/admin/clinic",
        refused=lambda error: _clinic_page(request, session, now, error),
    )


def _opening(form: ClinicForm) -> WeeklyHours:
    opening = {}
    for weekday in sorted(set(form.open_days)):
        opens = weekday_time(form.opens, weekday, field="opening")
        closes = weekday_time(form.closes, weekday, field="opening")
        if opens is None or closes is None:
            raise RuleViolation(f"Give {WEEKDAYS[weekday]}'s opening hours.", field="opening")
        opening[weekday] = (opens, closes)
    return opening


def _clinic_page(
    request: Request, session: Session, now: datetime, error: DomainError | None = None
) -> Response:
    found = location_hours(session, clinic_clock(session, now).location.id or 0)
    return admin_page(
        request,
        "admin_location.html",
        tab="clinic",
        location=found.location,
        opening={span.weekday: span for span in found.opening},
        weekdays=WEEKDAYS,
        error=error,
    )

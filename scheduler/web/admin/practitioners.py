"""Admin: practitioners and their dry needling certificates (hours and time off: admin_hours).

Every change goes through `admin.practitioners`, which refuses what would strand booked visits
and writes the audit entry; these pages only read forms and show the outcome.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel
from sqlmodel import Session
from starlette.responses import Response

from scheduler.admin.directory import (
    all_practitioners,
    certificate_warning,
    practitioner_profile,
    working_hours_at,
)
from scheduler.admin.practitioners import (
    add_practitioner,
    set_certification,
    update_practitioner,
)
from scheduler.api.auth import Admin
from scheduler.api.deps import NowDep, ReadSessionDep, WriteSessionDep
from scheduler.core import audit
from scheduler.core.errors import DomainError
from scheduler.models import Profession, WorkingHours
from scheduler.web.admin.page import admin_page
from scheduler.web.clinic_clock import clinic_clock
from scheduler.web.forms import attempt, saved, see_other

router = APIRouter(include_in_schema=False)
DASH = "\u2013"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class NewPractitioner(BaseModel):
    name: str
    profession: Profession


class Details(NewPractitioner):
    active: bool = False


class Certificate(BaseModel):
    issued_by: str = ""
    valid_until: date | None = None


@router.get("/admin")
def admin_home(_user: Admin) -> Response:
    return see_other("/admin/practitioners")


@router.get("/admin/practitioners")
def practitioners(request: Request, session: ReadSessionDep, now: NowDep, _user: Admin) -> Response:
    return _list_page(request, session, now=now)


@router.post("/admin/practitioners")
def new_practitioner(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    form: Annotated[NewPractitioner, Form()],
) -> Response:
    return attempt(
        session,
        lambda: add_practitioner(
            session, name=form.name, profession=form.profession, actor=audit.staff(user), now=now
        ),
        done=lambda added: see_other(f"/admin/practitioners/{added.id}"),
        refused=lambda error: _list_page(request, session, now=now, error=error),
    )


@router.get("/admin/practitioners/{practitioner_id}")
def practitioner(
    request: Request, session: ReadSessionDep, now: NowDep, _user: Admin, practitioner_id: int
) -> Response:
    return edit_page(request, session, now=now, practitioner_id=practitioner_id)


@router.post("/admin/practitioners/{practitioner_id}")
def change_details(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    practitioner_id: int,
    form: Annotated[Details, Form()],
) -> Response:
    return edit(
        request,
        session,
        now=now,
        practitioner_id=practitioner_id,
        change=lambda: update_practitioner(
            session,
            practitioner_id=practitioner_id,
            name=form.name,
            profession=form.profession,
            active=form.active,
            actor=audit.staff(user),
            now=now,
        ),
    )


@router.post("/admin/practitioners/{practitioner_id}/certificate")
def change_certificate(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    practitioner_id: int,
    form: Annotated[Certificate, Form()],
) -> Response:
    return edit(
        request,
        session,
        now=now,
        practitioner_id=practitioner_id,
        change=lambda: set_certification(
            session,
            practitioner_id=practitioner_id,
            issued_by=form.issued_by or None,
            valid_until=form.valid_until,
            actor=audit.staff(user),
            now=now,
        ),
    )


def edit(
    request: Request,
    session: Session,
    *,
    now: datetime,
    practitioner_id: int,
    change: Callable[[], object],
) -> Response:
    return saved(
        session,
        change,
        then=f"/admin/practitioners/{practitioner_id}",
        refused=lambda error: edit_page(
            request, session, now=now, practitioner_id=practitioner_id, error=error
        ),
    )


def _list_page(
    request: Request, session: Session, *, now: datetime, error: DomainError | None = None
) -> Response:
    clock = clinic_clock(session, now)
    everyone = all_practitioners(session)
    weekly = working_hours_at(session, clock.location.id or 0)
    return admin_page(
        request,
        "admin_practitioners.html",
        tab="practitioners",
        practitioners=everyone,
        warnings={p.id: certificate_warning(p, today=clock.today) for p in everyone},
        hours={p.id: _weekly(weekly.get(p.id or 0, [])) for p in everyone},
        professions=list(Profession),
        error=error,
    )


def edit_page(
    request: Request,
    session: Session,
    *,
    now: datetime,
    practitioner_id: int,
    error: DomainError | None = None,
) -> Response:
    clock = clinic_clock(session, now)
    profile = practitioner_profile(session, practitioner_id, now=now)
    here = {h.weekday: h for h in profile.working_hours if h.location_id == clock.location.id}
    return admin_page(
        request,
        "admin_practitioner.html",
        tab="practitioners",
        profile=profile,
        practitioner=profile.practitioner,
        warning=certificate_warning(profile.practitioner, today=clock.today),
        hours=here,
        weekdays=WEEKDAYS,
        professions=list(Profession),
        zone=clock.zone,
        error=error,
    )


def _weekly(rows: list[WorkingHours]) -> str:
    """Working hours in a line, e.g. Mon to Fri 08:00 to 17:00 (with dashes)."""
    if not rows:
        return "No hours"
    spans = sorted({(h.starts, h.ends) for h in rows})
    if len(spans) == 1:
        days = [WEEKDAYS[h.weekday][:3] for h in rows]
        return f"{_days(days)} {spans[0][0]:%H:%M}{DASH}{spans[0][1]:%H:%M}"
    return ", ".join(
        f"{WEEKDAYS[h.weekday][:3]} {h.starts:%H:%M}{DASH}{h.ends:%H:%M}" for h in rows
    )


def _days(days: list[str]) -> str:
    names = [name[:3] for name in WEEKDAYS]
    indexes = [names.index(day) for day in days]
    if len(days) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{days[0]}{DASH}{days[-1]}"
    return ", ".join(days)

"""The front desk's waitlist: who waits for what, the offers out and what became of each."""

from datetime import date, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field, field_validator
from sqlmodel import col, select
from starlette.responses import Response

from scheduler.api.auth import FrontDesk
from scheduler.api.deps import NowDep, ReadSessionDep, WriteSessionDep
from scheduler.api.errors import status_of
from scheduler.api.schemas.common import Text
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.errors import DomainError
from scheduler.models import Opening, Practitioner, Service
from scheduler.waitlist.entries import (
    URGENCIES,
    Wants,
    add_to_waitlist,
    remove_from_waitlist,
    waitlist,
)
from scheduler.web.clinic_clock import clinic_clock
from scheduler.web.forms import saved
from scheduler.web.rendering import page

router = APIRouter(include_in_schema=False)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WAIT_DAYS = 30  # the end date the form suggests
RECENT = timedelta(days=7)  # how far back the page shows what happened


class NewEntry(BaseModel):
    patient_id: int = Field(ge=1)
    services: list[str] = Field(min_length=1, max_length=4)
    until: date
    practitioner_ids: list[int] = Field(default_factory=list, max_length=20)
    weekdays: list[int] = Field(default_factory=list, max_length=7)
    earliest: time | None = None
    latest: time | None = None
    urgency: int = 1
    note: Text = ""

    @field_validator("services", mode="before")
    @classmethod
    def _chosen_only(cls, value: object) -> object:
        """The form's unused service boxes come as empty strings."""
        return [code for code in value if code] if isinstance(value, list) else value

    @field_validator("earliest", "latest", mode="before")
    @classmethod
    def _blank_is_any(cls, value: object) -> object:
        return value or None


@router.get("/waitlist")
def waitlist_page(
    request: Request,
    session: ReadSessionDep,
    now: NowDep,
    _user: FrontDesk,
    patient_id: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    return _page(request, session, now, patient_id=patient_id)


def _page(
    request: Request,
    session: ReadSessionDep,
    now: NowDep,
    *,
    patient_id: int | None,
    error: DomainError | None = None,
) -> Response:
    clock = clinic_clock(session, now)
    recent = session.exec(
        select(Opening)
        .where(col(Opening.found_at) > now - RECENT)
        .order_by(col(Opening.found_at).desc())
        .limit(20)
    ).all()
    return page(
        request,
        "waitlist.html",
        status_code=status_of(error) if error else 200,
        section="waitlist",
        entries=waitlist(session),
        left=[
            listed
            for listed in waitlist(session, include_closed=True)
            if listed.entry.closed_at and listed.entry.closed_at > now - RECENT
        ],
        openings=recent,
        patient=get_patient(session, patient_id) if patient_id else None,
        services=session.exec(select(Service).order_by(col(Service.name))).all(),
        practitioners=session.exec(
            select(Practitioner).where(col(Practitioner.active)).order_by(col(Practitioner.name))
        ).all(),
        service_names=dict(session.exec(select(Service.code, Service.name)).all()),
        weekdays=WEEKDAYS,
        urgencies=URGENCIES,
        suggested_until=clock.today + timedelta(days=WAIT_DAYS),
        zone=clock.zone,
        now=now,
        error=error,
    )


@router.post("/waitlist")
def add_entry(
    request: Request,
    session: WriteSessionDep,
    now: NowDep,
    user: FrontDesk,
    form: Annotated[NewEntry, Form()],
) -> Response:
    return saved(
        session,
        lambda: add_to_waitlist(
            session,
            patient_id=form.patient_id,
            wants=Wants(**form.model_dump(exclude={"patient_id"})),
            now=now,
            actor=audit.staff(user),
        ),
        then="/waitlist",
        refused=lambda error: _page(request, session, now, patient_id=form.patient_id, error=error),
    )


@router.post("/waitlist/{entry_id}/remove")
def remove_entry(
    request: Request, session: WriteSessionDep, now: NowDep, user: FrontDesk, entry_id: int
) -> Response:
    return saved(
        session,
        lambda: remove_from_waitlist(session, entry_id=entry_id, now=now, actor=audit.staff(user)),
        then="/waitlist",
        refused=lambda error: _page(request, session, now, patient_id=None, error=error),
    )

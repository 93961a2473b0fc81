"""Admin: the clinic's consent for dry needling. Saving adds a version; the ones patients signed
stay as they were, listed below the text in use."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlmodel import Session
from starlette.responses import Response

from scheduler.api.auth import Admin
from scheduler.api.deps import NowDep, WriteSessionDep
from scheduler.clinic.consent import consent_versions, current_consent, revise_consent
from scheduler.core import audit
from scheduler.core.errors import DomainError
from scheduler.web.admin.page import admin_page
from scheduler.web.clinic_clock import clinic_clock
from scheduler.web.forms import saved

router = APIRouter(include_in_schema=False)


@router.get("/admin/consent")
def consent_page(
    request: Request, session: WriteSessionDep, now: NowDep, _user: Admin, saved_as: int = 0
) -> Response:
    """A write session: the built-in text becomes version 1 the first time it is read."""
    return _page(request, session, now=now, saved_as=saved_as)


@router.post("/admin/consent")
def change_consent(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    def revise() -> object:
        return revise_consent(session, body=body, now=now, actor=audit.staff(user))

    return saved(
        session,
        revise,
        then="/admin/consent?saved_as=1",
        refused=lambda error: _page(request, session, now=now, typed=body, error=error),
    )


def _page(
    request: Request,
    session: Session,
    *,
    now: datetime,
    typed: str | None = None,
    saved_as: int = 0,
    error: DomainError | None = None,
) -> Response:
    current = current_consent(session, now=now)
    return admin_page(
        request,
        "admin_consent.html",
        tab="consent",
        current=current,
        text=current.body if typed is None else typed,
        versions=consent_versions(session),
        saved=bool(saved_as),
        zone=clinic_clock(session, now).zone,
        error=error,
    )

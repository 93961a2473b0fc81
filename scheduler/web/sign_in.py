"""Signing in and out of the web app, and the start page that leads each one home."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel

from scheduler.api.auth import (
    PUBLIC,
    SESSION_COOKIE,
    SecureCookie,
    Staff,
    end_browser_session,
    start_browser_session,
)
from scheduler.api.deps import NowDep, WriteSessionDep
from scheduler.core.errors import NotSignedIn, Throttled
from scheduler.models import Role, User
from scheduler.staff.accounts import sign_in, sign_out
from scheduler.web.rendering import page

router = APIRouter(include_in_schema=False)


class SignInForm(BaseModel):
    name: str
    password: str
    next: str = ""


HOME = {Role.ADMIN: "/board", Role.FRONT_DESK: "/board", Role.PRACTITIONER: "/my-day"}
ICON = Path(__file__).parent / "static" / "favicon.svg"


@router.get("/")
def start_page(user: Staff) -> Response:
    """Signed-in staff go to their home page; anyone else is sent to sign in first."""
    return RedirectResponse(_home(user), status_code=303)


@router.get("/favicon.ico", dependencies=[PUBLIC])
def favicon() -> Response:
    return FileResponse(ICON, media_type="image/svg+xml")


@router.get("/login", dependencies=[PUBLIC])
def login_page(request: Request, next: str = "") -> Response:
    return page(request, "login.html", next=_local(next), error=None)


@router.post("/login", dependencies=[PUBLIC])
def log_in(
    request: Request,
    session: WriteSessionDep,
    now: NowDep,
    secure: SecureCookie,
    form: Annotated[SignInForm, Form()],
) -> Response:
    ip = request.client.host if request.client else "unknown"
    try:
        signed_in = sign_in(
            session,
            name=form.name,
            password=form.password,
            ip=ip,
            now=now,
            previous_key=request.cookies.get(SESSION_COOKIE),
        )
    except (NotSignedIn, Throttled) as error:
        status = 429 if isinstance(error, Throttled) else 401
        return page(request, "login.html", status, next=_local(form.next), error=error.message)
    response = RedirectResponse(_local(form.next) or _home(signed_in.user), status_code=303)
    start_browser_session(response, signed_in.session_key, secure=secure)
    return response


@router.post("/logout")
def log_out(request: Request, session: WriteSessionDep, _user: Staff) -> Response:
    sign_out(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    end_browser_session(response)
    return response


def _home(user: User) -> str:
    return HOME[user.role]


def _local(target: str) -> str:
    """Only same-site paths, so the sign-in form cannot bounce anyone to another site."""
    return target if target.startswith("/") and not target.startswith("//") else ""

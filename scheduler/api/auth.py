"""Who is calling: a bearer API token or a browser session cookie, and what their role allows.

Every route declares its policy with `allow(...)` (or `PUBLIC`); a test walks the routes and fails
on any route without one, so access is denied by default. Requests authenticated by the cookie
must also carry the session's CSRF token (header X-CSRF-Token or form field csrf_token) on every
unsafe method; bearer tokens are not sent by browsers on their own, so they need none.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from scheduler.api.deps import NowDep, SettingsDep, engine
from scheduler.core.errors import NotAllowed, NotSignedIn
from scheduler.models import Role, User
from scheduler.staff.accounts import SESSION_LIFETIME, digest, session_user, token_user

SESSION_COOKIE = "tp_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    user: User
    csrf_token: str | None  # None when a bearer token authenticated the request


async def current_caller(
    request: Request, now: NowDep, database: Annotated[Engine, Depends(engine)]
) -> Caller:
    """The signed-in caller. Users are read in a short session of their own, in a worker thread
    (waiting for a pooled connection must never block the event loop)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        caller = Caller(user=await _token_user(database, token.strip(), now), csrf_token=None)
    else:
        caller = await run_in_threadpool(_browser_caller, database, request, now)
        if request.method not in SAFE_METHODS:
            await _require_csrf(request, caller.csrf_token or "")
    request.state.caller = caller
    return caller


# A token's user is remembered briefly, so a busy integration does not pay a pooled connection,
# a transaction and a join on every call. The price: a deactivated account or a deleted token
# keeps working for up to this long in each server process.
TOKEN_MEMORY = timedelta(seconds=10)
TOKENS_REMEMBERED = 1000
_remembered: dict[tuple[str, str], tuple[datetime, User]] = {}


async def _token_user(database: Engine, token: str, now: datetime) -> User:
    key = (str(database.url), digest(token))
    found = _remembered.get(key)
    if found is not None and now - found[0] < TOKEN_MEMORY:
        return found[1]
    user = await run_in_threadpool(_read_token_user, database, token)
    if user is None:
        raise NotSignedIn("The API token is not valid.", code="bad_token")
    if len(_remembered) >= TOKENS_REMEMBERED:
        _remembered.clear()
    _remembered[key] = (now, user)
    return user


def _read_token_user(database: Engine, token: str) -> User | None:
    with Session(database, expire_on_commit=False) as session:
        return token_user(session, token)


def _browser_caller(database: Engine, request: Request, now: datetime) -> Caller:
    key = request.cookies.get(SESSION_COOKIE)
    with Session(database) as session:
        found = session_user(session, key=key, now=now) if key else None
    if found is None:
        raise NotSignedIn("Sign in first.", code="not_signed_in")
    return Caller(user=found[0], csrf_token=found[1])


async def _require_csrf(request: Request, expected: str) -> None:
    offered = request.headers.get(CSRF_HEADER)
    if offered is None and "form" in request.headers.get("content-type", ""):
        offered = str((await request.form()).get(CSRF_FIELD, ""))
    if not offered or not secrets.compare_digest(offered.encode(), expected.encode()):
        raise NotAllowed("The form is out of date; reload the page.", code="csrf_failed")


class RoleGate:
    """A route's policy: the roles that may call it. Returns the signed-in user."""

    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    def __call__(self, caller: Annotated[Caller, Depends(current_caller)]) -> User:
        if caller.user.role not in self.roles:
            raise NotAllowed("Your role does not give access to this.", code="role_forbidden")
        return caller.user


def allow(*roles: Role) -> Any:
    return Depends(RoleGate(frozenset(roles)))


async def public() -> None:
    """The policy of a route anyone may call (sign-in, health, signed webhooks)."""


PUBLIC = Depends(public)
Staff = Annotated[User, allow(Role.ADMIN, Role.FRONT_DESK, Role.PRACTITIONER)]
FrontDesk = Annotated[User, allow(Role.ADMIN, Role.FRONT_DESK)]
Admin = Annotated[User, allow(Role.ADMIN)]


def start_browser_session(response: Response, key: str, *, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        key,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def sign_in_guard(request: Request, settings: SettingsDep) -> bool:
    """Whether the session cookie must be Secure (behind a TLS proxy the request may arrive as
    plain HTTP; the public URL says). Refuses a sign-in posted from another site's page (its
    Origin names neither us nor our public URL), so nobody is signed in to an account they did
    not choose."""
    origin = request.headers.get("origin")
    ours = {f"{request.url.scheme}://{request.url.netloc}", settings.public_url.rstrip("/")}
    if origin is not None and origin.rstrip("/") not in ours:
        raise NotAllowed("Sign in from Triggerpoint's own page.", code="cross_site_sign_in")
    return request.url.scheme == "https" or settings.public_url.startswith("https://")


SecureCookie = Annotated[bool, Depends(sign_in_guard)]


def end_browser_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)

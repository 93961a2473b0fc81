"""The page a patient's personal link opens (`/v/<token>`): their visit, and confirm, cancel or
move it, on a phone, without signing in.

The routes are public: the signed token in the path is the credential, so there is no cookie and
no CSRF token. The pages ask browsers not to send the address on (Referrer-Policy), not to keep
them, and not to frame them. Every answer, a refusal included, is a page of its own here, never
the staff's error page.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from sqlmodel import Session
from starlette.responses import Response

from scheduler.api.auth import PUBLIC
from scheduler.api.deps import NowDep, PolicyDep, ReadSessionDep, WriteSessionDep
from scheduler.api.errors import status_of
from scheduler.core.errors import DomainError, RuleViolation
from scheduler.core.policy import Policy
from scheduler.patients.links import (
    DAYS_AT_A_TIME,
    LinkedVisit,
    cancel_by_link,
    confirm_by_link,
    late_cancel_hours,
    move_by_link,
    open_link,
    open_times,
)
from scheduler.scheduling.availability import Slot
from scheduler.staff.board import visits_by_day
from scheduler.web.clinic_clock import chosen_day
from scheduler.web.desk.booking import slot_labels, slot_start, slots_by_day
from scheduler.web.forms import attempt, see_other
from scheduler.web.rendering import page

router = APIRouter(include_in_schema=False, dependencies=[PUBLIC])
Done = Literal["confirmed", "moved"]
PRIVATE = {
    "Referrer-Policy": "no-referrer",  # the token is in the address
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex",
}


@router.get("/v/{token}")
def visit_page(
    request: Request,
    *,
    session: ReadSessionDep,
    now: NowDep,
    policy: PolicyDep,
    token: str,
    done: Done | None = None,
) -> Response:
    return _visit_page(request, session, token=token, now=now, policy=policy, done=done)


@router.post("/v/{token}/confirm")
def confirm(
    request: Request, session: WriteSessionDep, now: NowDep, policy: PolicyDep, token: str
) -> Response:
    return _change(
        request,
        session,
        token=token,
        now=now,
        policy=policy,
        change=lambda: confirm_by_link(session, token=token, now=now, policy=policy),
        done="confirmed",
    )


@router.post("/v/{token}/cancel")
def cancel(
    request: Request, session: WriteSessionDep, now: NowDep, policy: PolicyDep, token: str
) -> Response:
    return _change(
        request,
        session,
        token=token,
        now=now,
        policy=policy,
        change=lambda: cancel_by_link(session, token=token, now=now, policy=policy),
    )


@router.get("/v/{token}/move")
def move_page(
    request: Request,
    *,
    session: ReadSessionDep,
    now: NowDep,
    policy: PolicyDep,
    token: str,
    day: str | None = None,
    anyone: bool = False,
) -> Response:
    return _move_page(request, session, token=token, now=now, policy=policy, day=day, anyone=anyone)


@router.post("/v/{token}/move")
def move(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    token: str,
    start: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    anyone: Annotated[bool, Form()] = False,
) -> Response:
    def moved() -> object:
        return move_by_link(
            session,
            token=token,
            now=now,
            start=slot_start(start),
            expected_version=_version(version),
            same_practitioners=not anyone,
            policy=policy,
        )

    return private(
        attempt(
            session,
            moved,
            done=lambda _: see_other(f"/v/{token}?done=moved"),
            refused=lambda error: _move_page(
                request,
                session,
                token=token,
                now=now,
                policy=policy,
                day=start[:10],
                anyone=anyone,
                error=error,
            ),
        )
    )


def _change(
    request: Request,
    session: Session,
    *,
    token: str,
    now: datetime,
    policy: Policy,
    change: Callable[[], object],
    done: Done | None = None,
) -> Response:
    """A change, then the visit's page again: with `done` said, or with the refusal."""
    return private(
        attempt(
            session,
            change,
            done=lambda _: see_other(f"/v/{token}" + (f"?done={done}" if done else "")),
            refused=lambda error: _visit_page(
                request, session, token=token, now=now, policy=policy, error=error
            ),
        )
    )


def _visit_page(
    request: Request,
    session: Session,
    *,
    token: str,
    now: datetime,
    policy: Policy,
    done: Done | None = None,
    error: DomainError | None = None,
) -> Response:
    return _linked_page(
        request,
        session,
        token=token,
        now=now,
        policy=policy,
        show=lambda linked: page(
            request,
            "visit_link.html",
            status_of(error) if error else 200,
            **_visit_context(linked, token),
            hours=late_cancel_hours(policy),
            done=done,
            error=error,
        ),
    )


def _move_page(
    request: Request,
    session: Session,
    *,
    token: str,
    now: datetime,
    policy: Policy,
    day: str | None,
    anyone: bool,
    error: DomainError | None = None,
) -> Response:
    def show(linked: LinkedVisit) -> Response:
        if linked.closed:
            return _visit_page(request, session, token=token, now=now, policy=policy, error=error)
        today = now.astimezone(linked.zone).date()
        first_day = max(_day(day, today), today)
        slots, refusal = _open_times(
            session, linked=linked, now=now, first_day=first_day, anyone=anyone, policy=policy
        )
        return page(
            request,
            "visit_link_move.html",
            status_of(error) if error else 200,
            **_visit_context(linked, token),
            **slot_labels(session),
            slots=slots_by_day(slots, linked.zone),
            start_value=lambda slot: slot.starts_at.astimezone(linked.zone).isoformat(),
            refusal=refusal,
            anyone=anyone,
            first_day=first_day,
            later=first_day + timedelta(days=DAYS_AT_A_TIME),
            booked_days=visits_by_day(
                session,
                patient_id=linked.visit.patient_id,
                zone=linked.zone,
                first_day=first_day,
                days=DAYS_AT_A_TIME,
                excluding_visit=linked.visit.id,
            ),
            hours=late_cancel_hours(policy),
            earlier=first_day - timedelta(days=DAYS_AT_A_TIME) if first_day > today else None,
            error=error,
        )

    return _linked_page(request, session, token=token, now=now, policy=policy, show=show)


def _linked_page(
    request: Request,
    session: Session,
    *,
    token: str,
    now: datetime,
    policy: Policy,
    show: Callable[[LinkedVisit], Response],
) -> Response:
    """`show` the visit the token opens; a page saying why, when it opens none."""
    try:
        linked = open_link(session, token=token, now=now, policy=policy)
    except DomainError as refused:
        return private(
            page(request, "visit_link_error.html", status_of(refused), message=refused.message)
        )
    return private(show(linked))


def _open_times(
    session: Session,
    *,
    linked: LinkedVisit,
    now: datetime,
    first_day: date,
    anyone: bool,
    policy: Policy,
) -> tuple[list[Slot], str | None]:
    try:
        found = open_times(
            session,
            linked=linked,
            now=now,
            first_day=first_day,
            same_practitioners=not anyone,
            policy=policy,
        )
    except DomainError as refused:
        return [], refused.message
    return found, None


def _visit_context(linked: LinkedVisit, token: str) -> dict[str, object]:
    return {"linked": linked, "token": token, "zone": linked.zone}


def _day(value: str | None, today: date) -> date:
    """The first day asked for; today when it does not read as a date."""
    try:
        return chosen_day(value, today=today)
    except RuleViolation:
        return today


def _version(value: str) -> int:
    if not value.isdigit():
        raise RuleViolation("That time is not one we offered.", field="version")
    return int(value)


def private(response: Response) -> Response:
    response.headers.update(PRIVATE)
    return response

"""How a page answers a form that changes something: the change whole, or the form again with
the reason it was refused and nothing of it saved."""

from collections.abc import Callable
from datetime import time
from typing import TypeVar

from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.responses import Response

from scheduler.core.errors import DomainError, RuleViolation

T = TypeVar("T")


def attempt(
    session: Session,
    change: Callable[[], T],
    *,
    done: Callable[[T], Response],
    refused: Callable[[DomainError], Response],
) -> Response:
    """Make `change`; when a rule refuses it, undo whatever it flushed (the session commits at
    the end of the request) and answer with `refused`, which may read the session again."""
    try:
        result = change()
    except DomainError as error:
        session.rollback()
        return refused(error)
    return done(result)


def saved(
    session: Session,
    change: Callable[[], object],
    *,
    then: str,
    refused: Callable[[DomainError], Response],
) -> Response:
    """`attempt` for a change after which the browser goes to `then`."""
    return attempt(session, change, done=lambda _: see_other(then), refused=refused)


def see_other(url: str) -> Response:
    """After a successful post: the browser loads `url` with a GET."""
    return RedirectResponse(url, status_code=303)


def weekday_time(values: list[str], weekday: int, *, field: str) -> time | None:
    """A weekly-hours form's time for `weekday`: its fields come one per day, Monday first,
    and an empty one means none."""
    value = values[weekday] if weekday < len(values) else ""
    try:
        return time.fromisoformat(value) if value else None
    except ValueError as error:
        raise RuleViolation(f"{value!r} is not a time of day.", field=field) from error

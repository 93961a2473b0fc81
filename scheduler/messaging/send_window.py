"""When texts may go out: the one place that says so.

The settings (TRIGGERPOINT_SEND_WINDOW_OPENS / _CLOSES) give the default; an admin may store
other hours, which then apply to every text planned or sent from that moment. The outbox asks
`send_window`; the sending rules read the stored hours in the claim's own statement
(`stored_hours`) and decide with `effective_window`, the same rule, so the two never disagree.
"""

from datetime import datetime, time

from sqlalchemy import Label
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from scheduler.core import audit
from scheduler.core.errors import RuleViolation
from scheduler.core.policy import Policy
from scheduler.models import SendWindow

ROW = 1


def send_window(session: Session, policy: Policy) -> tuple[time, time]:
    """The stored hours when an admin set them, else the policy's (from the settings)."""
    stored = session.get(SendWindow, ROW)
    return effective_window(
        stored.opens if stored else None, stored.closes if stored else None, policy
    )


def effective_window(opens: time | None, closes: time | None, policy: Policy) -> tuple[time, time]:
    """What `send_window` answers, from stored hours read some other way (None: none stored)."""
    return (opens, closes) if opens is not None and closes is not None else policy.send_window


def stored_hours() -> list[Label[time | None]]:
    """The stored hours as two columns any statement can return (NULL without a row), so the
    claim of a text reads them with everything else it reads, in the same statement."""
    return [
        _stored(col(SendWindow.opens), "window_opens"),
        _stored(col(SendWindow.closes), "window_closes"),
    ]


def _stored(column: Mapped[time], name: str) -> Label[time | None]:
    return select(column).where(col(SendWindow.id) == ROW).scalar_subquery().label(name)


def set_send_window(
    session: Session, *, opens: time, closes: time, actor: str, now: datetime
) -> SendWindow:
    if closes <= opens:
        raise RuleViolation(
            "The send window must close after it opens, on the same day.",
            field="closes",
            code="bad_send_window",
        )
    stored = session.get(SendWindow, ROW) or SendWindow(
        id=ROW, opens=opens, closes=closes, updated_at=now
    )
    stored.opens, stored.closes = opens, closes
    stored.updated_at, stored.updated_by = now, actor
    session.add(stored)
    session.flush()
    audit.record_change(
        session,
        actor=actor,
        action="send_window.set",
        subject="send_window",
        now=now,
        opens=f"{opens:%H:%M}",
        closes=f"{closes:%H:%M}",
    )
    return stored


def reset_send_window(session: Session, *, actor: str, now: datetime) -> None:
    """Back to the settings' hours."""
    stored = session.get(SendWindow, ROW)
    if stored is not None:
        session.delete(stored)
        session.flush()
        audit.record(
            session, actor=actor, action="send_window.reset", subject="send_window", now=now
        )

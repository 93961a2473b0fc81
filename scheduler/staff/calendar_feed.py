"""Practitioners' private calendar addresses, and what a phone calendar reading one receives."""

import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from scheduler.core.errors import NotFound
from scheduler.models import CalendarFeed, Practitioner, VisitStatus
from scheduler.scheduling.rules import get_practitioner
from scheduler.staff.day_sheet import ScheduledAppointment, practitioner_appointments

# What a feed holds around the moment it is read: enough past for "what did I do on Monday".
FEED_PAST = timedelta(days=14)
FEED_AHEAD = timedelta(days=90)
LEFT_OUT = (VisitStatus.CANCELLED.value, VisitStatus.NO_SHOW.value)


def feed_token(session: Session, practitioner_id: int) -> str | None:
    feed = session.get(CalendarFeed, practitioner_id)
    return feed.token if feed else None


def issue_feed_token(session: Session, *, practitioner_id: int, now: datetime) -> str:
    """A new random token for the practitioner's feed; the previous address stops working."""
    get_practitioner(session, practitioner_id)
    feed = session.get(CalendarFeed, practitioner_id) or CalendarFeed(
        practitioner_id=practitioner_id, token="", created_at=now
    )
    feed.token = secrets.token_urlsafe(32)
    feed.created_at = now
    session.add(feed)
    session.flush()
    return feed.token


def feed_practitioner(session: Session, token: str) -> int:
    """Whose feed the token opens; NotFound for an unknown or retired token, and for a
    practitioner whose record is retired (switching their account off deletes the feed)."""
    feed = session.exec(
        select(CalendarFeed)
        .join(Practitioner, col(Practitioner.id) == CalendarFeed.practitioner_id)
        .where(CalendarFeed.token == token, col(Practitioner.active))
    ).first()
    if feed is None or not token:
        raise NotFound("No calendar at this address.", code="unknown_calendar")
    return feed.practitioner_id


def feed_appointments(
    session: Session, *, practitioner_id: int, now: datetime
) -> list[ScheduledAppointment]:
    """The practitioner's appointments from two weeks ago to three months ahead, cancelled and
    missed ones left out."""
    found = practitioner_appointments(
        session, practitioner_id=practitioner_id, starts=now - FEED_PAST, ends=now + FEED_AHEAD
    )
    return [appointment for appointment in found if appointment.status not in LEFT_OUT]

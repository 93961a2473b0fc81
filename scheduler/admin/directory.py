"""What the clinic is made of, as staff read it: services, rooms, locations and practitioners."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from scheduler.admin.clinic import get_record
from scheduler.models import (
    Location,
    OpeningHours,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WorkingHours,
)

# Admins are warned this long before a dry needling certificate runs out.
CERTIFICATE_NOTICE = timedelta(days=30)


@dataclass(frozen=True)
class LocationHours:
    location: Location
    opening: list[OpeningHours]


@dataclass(frozen=True)
class PractitionerProfile:
    practitioner: Practitioner
    working_hours: list[WorkingHours]
    time_off: list[TimeOff]  # not yet over, soonest first


def all_services(session: Session) -> Sequence[Service]:
    return session.exec(select(Service).order_by(col(Service.id))).all()


def all_rooms(session: Session) -> Sequence[Room]:
    return session.exec(select(Room).order_by(col(Room.id))).all()


def all_practitioners(session: Session) -> Sequence[Practitioner]:
    """Everyone, inactive ones included (they carry `active=False`)."""
    return session.exec(select(Practitioner).order_by(col(Practitioner.id))).all()


def working_hours_at(session: Session, location_id: int) -> dict[int, list[WorkingHours]]:
    """Everyone's weekly hours at the location, by practitioner id, Monday first."""
    rows = session.exec(
        select(WorkingHours)
        .where(WorkingHours.location_id == location_id)
        .order_by(col(WorkingHours.weekday))
    )
    by_practitioner: dict[int, list[WorkingHours]] = {}
    for row in rows:
        by_practitioner.setdefault(row.practitioner_id, []).append(row)
    return by_practitioner


def all_locations(session: Session) -> list[LocationHours]:
    opening = session.exec(
        select(OpeningHours).order_by(col(OpeningHours.weekday), col(OpeningHours.opens))
    ).all()
    return [
        LocationHours(location, [o for o in opening if o.location_id == location.id])
        for location in session.exec(select(Location).order_by(col(Location.id)))
    ]


def location_hours(session: Session, location_id: int) -> LocationHours:
    location = get_record(session, Location, location_id, "location")
    return next(found for found in all_locations(session) if found.location.id == location.id)


def practitioner_profile(
    session: Session, practitioner_id: int, *, now: datetime
) -> PractitionerProfile:
    practitioner = get_record(session, Practitioner, practitioner_id, "practitioner")
    hours = session.exec(
        select(WorkingHours)
        .where(WorkingHours.practitioner_id == practitioner_id)
        .order_by(col(WorkingHours.location_id), col(WorkingHours.weekday))
    ).all()
    leave = session.exec(
        select(TimeOff)
        .where(TimeOff.practitioner_id == practitioner_id, col(TimeOff.ends_at) > now)
        .order_by(col(TimeOff.starts_at))
    ).all()
    return PractitionerProfile(practitioner, list(hours), list(leave))


def certificate_warning(practitioner: Practitioner, *, today: date) -> str | None:
    """Why an admin should look at a dry needling certificate now: it has run out, or runs out
    within `CERTIFICATE_NOTICE`. None without a certificate or with one that holds longer."""
    until = practitioner.needling_certified_until
    if until is None:
        return None
    if until < today:
        return f"Dry needling certificate expired on {until:%d %b %Y}"
    left = (until - today).days
    if left > CERTIFICATE_NOTICE.days:
        return None
    when = "today" if left == 0 else f"in {left} day{'s' if left > 1 else ''}"
    return f"Dry needling certificate expires {when}, on {until:%d %b %Y}"

"""Visits an admin change would strand: booked appointments still ahead of a practitioner, a
room or a location, and which of them would fall outside new weekly hours."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col

from scheduler.clinic.setup import Shift
from scheduler.core.errors import Conflict
from scheduler.core.wallclock import clinic_zone
from scheduler.models import Appointment, Location, Service, Visit, VisitStatus

# Appointments still to be given: a visit checked in is under way.
AHEAD = (VisitStatus.BOOKED, VisitStatus.CHECKED_IN)


@dataclass(frozen=True)
class BookedPart:
    visit_id: int
    starts_at: datetime
    ends_at: datetime
    service: Service
    zone: ZoneInfo

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)


def upcoming_appointments(
    session: Session,
    *,
    now: datetime,
    practitioner_id: int | None = None,
    room_id: int | None = None,
    location_id: int | None = None,
    between: tuple[datetime, datetime] | None = None,
) -> list[BookedPart]:
    """Appointments not yet over that still hold their time, optionally only those with a
    practitioner, in a room, at a location or overlapping `between`; in time order."""
    query = (
        sa.select(Appointment, Service, col(Location.time_zone))
        .join(Service, col(Service.id) == Appointment.service_id)
        .join(Visit, col(Visit.id) == Appointment.visit_id)
        .join(Location, col(Location.id) == Visit.location_id)
        .where(col(Appointment.status).in_(AHEAD), col(Appointment.ends_at) > now)
        .order_by(col(Appointment.starts_at))
    )
    if practitioner_id is not None:
        query = query.where(col(Appointment.practitioner_id) == practitioner_id)
    if room_id is not None:
        query = query.where(col(Appointment.room_id) == room_id)
    if location_id is not None:
        query = query.where(col(Visit.location_id) == location_id)
    if between is not None:
        query = query.where(
            col(Appointment.starts_at) < between[1], col(Appointment.ends_at) > between[0]
        )
    return [
        BookedPart(a.visit_id, a.starts_at, a.ends_at, service, clinic_zone(zone))
        for a, service, zone in session.execute(query)
    ]


def appointments_outside(parts: Sequence[BookedPart], shifts: Sequence[Shift]) -> list[BookedPart]:
    """The parts that would not lie inside a shift of their weekday, clear of its break."""
    by_weekday = {shift.weekday: shift for shift in shifts}
    return [part for part in parts if not _inside(part, by_weekday.get(part.local_start.weekday()))]


def _inside(part: BookedPart, shift: Shift | None) -> bool:
    start, end = part.local_start, part.ends_at.astimezone(part.zone)
    if shift is None or end.date() != start.date():
        return False
    if not shift.starts <= start.time() <= end.time() <= shift.ends:
        return False
    if shift.break_starts is None or shift.break_ends is None:
        return True
    return end.time() <= shift.break_starts or start.time() >= shift.break_ends


def describe_visits(parts: Sequence[BookedPart], *, most: int = 5) -> str:
    """'visit 12 on Tue 24 Nov 09:00, visit 15 on ...' for the first few distinct visits."""
    seen: dict[int, BookedPart] = {}
    for part in parts:
        seen.setdefault(part.visit_id, part)
    listed = [f"visit {vid} on {p.local_start:%a %d %b %H:%M}" for vid, p in seen.items()]
    more = f" and {len(listed) - most} more" if len(listed) > most else ""
    return ", ".join(listed[:most]) + more


def refuse_stranded(parts: Sequence[BookedPart], why: str) -> None:
    """A conflict naming the visits in the way, when there are any."""
    if parts:
        raise Conflict(
            f"{why}: {describe_visits(parts)}. Move or cancel them first.",
            field="visits",
            code="visits_booked",
        )

"""The clinic's own clock for pages: which location, its zone, today there, and a chosen day."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from scheduler.clinic.catalogue import resolve_location
from scheduler.core.errors import RuleViolation
from scheduler.core.wallclock import clinic_zone
from scheduler.models import Location


@dataclass(frozen=True)
class ClinicClock:
    location: Location
    zone: ZoneInfo
    today: date


def clinic_clock(session: Session, now: datetime) -> ClinicClock:
    location = resolve_location(session, None)
    zone = clinic_zone(location.time_zone)
    return ClinicClock(location=location, zone=zone, today=now.astimezone(zone).date())


def chosen_day(value: str | None, *, today: date, field: str = "day") -> date:
    """The day a page was asked for (YYYY-MM-DD), today when none was given."""
    if not value:
        return today
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise RuleViolation(
            f"{value!r} is not a date; use YYYY-MM-DD.", field=field, code="bad_date"
        ) from error
    if not date.min < day < date.max:  # a day on each side must still exist
        raise RuleViolation(f"{value!r} is out of range.", field=field, code="bad_date")
    return day

"""Create the clinic's fixed parts: locations, rooms, services, practitioners and their hours."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfoNotFoundError

from sqlmodel import Session

from scheduler.errors import RuleViolation
from scheduler.models import (
    Location,
    OpeningHours,
    Practitioner,
    Profession,
    Room,
    RoomKind,
    Service,
    ServiceKind,
    TimeOff,
    WorkingHours,
)
from scheduler.wallclock import clinic_zone, require_aware

# weekday (0 = Monday) -> (from, to), local wall time
WeeklyHours = Mapping[int, tuple[time, time]]


def create_location(
    session: Session, *, name: str, time_zone: str, opening: WeeklyHours, phone: str = ""
) -> Location:
    try:
        clinic_zone(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise RuleViolation(
            f"{time_zone!r} is not a time zone; use an IANA name such as America/New_York.",
            field="time_zone",
            code="unknown_time_zone",
        ) from error
    location = Location(name=name, time_zone=time_zone, phone=phone)
    session.add(location)
    session.flush()
    for weekday, (opens, closes) in opening.items():
        _check_span(opens, closes, "opening")
        session.add(
            OpeningHours(location_id=location.id or 0, weekday=weekday, opens=opens, closes=closes)
        )
    session.flush()
    return location


def create_room(session: Session, *, location: Location, name: str, kind: RoomKind) -> Room:
    room = Room(location_id=location.id or 0, name=name, kind=kind)
    session.add(room)
    session.flush()
    return room


def create_service(
    session: Session,
    *,
    code: str,
    name: str,
    kind: ServiceKind,
    minutes: int,
    cleanup_minutes: int,
    room_kind: RoomKind,
    professions: Iterable[Profession],
) -> Service:
    if minutes <= 0 or cleanup_minutes < 0:
        raise RuleViolation(
            "A service lasts at least a minute and its cleanup cannot be negative.",
            field="minutes",
            code="bad_duration",
        )
    service = Service(
        code=code,
        name=name,
        kind=kind,
        duration_minutes=minutes,
        cleanup_minutes=cleanup_minutes,
        room_kind=room_kind,
        professions=[p.value for p in professions],
    )
    session.add(service)
    session.flush()
    return service


def create_practitioner(
    session: Session,
    *,
    name: str,
    profession: Profession,
    location: Location,
    hours: WeeklyHours,
    lunch: tuple[time, time] | None = None,
    needling_certified_by: str | None = None,
    needling_certified_until: date | None = None,
) -> Practitioner:
    """A practitioner working `hours` at `location`, with the same break every working day."""
    practitioner = Practitioner(
        name=name,
        profession=profession,
        needling_certified_by=needling_certified_by,
        needling_certified_until=needling_certified_until,
    )
    session.add(practitioner)
    session.flush()
    for weekday, (starts, ends) in hours.items():
        _check_span(starts, ends, "working")
        session.add(
            WorkingHours(
                practitioner_id=practitioner.id or 0,
                location_id=location.id or 0,
                weekday=weekday,
                starts=starts,
                ends=ends,
                break_starts=lunch[0] if lunch else None,
                break_ends=lunch[1] if lunch else None,
            )
        )
    session.flush()
    return practitioner


def add_time_off(
    session: Session, *, practitioner: Practitioner, starts_at: datetime, ends_at: datetime
) -> TimeOff:
    require_aware(starts_at, field="starts_at")
    require_aware(ends_at, field="ends_at")
    leave = TimeOff(practitioner_id=practitioner.id or 0, starts_at=starts_at, ends_at=ends_at)
    session.add(leave)
    session.flush()
    return leave


def _check_span(starts: time, ends: time, what: str) -> None:
    if ends <= starts:
        raise RuleViolation(f"{what.capitalize()} hours end before they start.", code="bad_hours")

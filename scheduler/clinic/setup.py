"""Create the clinic's fixed parts: locations, rooms, services, practitioners and their hours."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from zoneinfo import available_timezones

from sqlmodel import Session, select

from scheduler.core.errors import RuleViolation
from scheduler.core.wallclock import require_aware
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

# weekday (0 = Monday) -> (from, to), local wall time
WeeklyHours = Mapping[int, tuple[time, time]]


@dataclass(frozen=True)
class Shift:
    """Hours on one weekday (0 = Monday) in local wall time, with an optional break inside."""

    weekday: int
    starts: time
    ends: time
    break_starts: time | None = None
    break_ends: time | None = None


def check_shifts(shifts: Sequence[Shift], what: str) -> None:
    weekdays = [shift.weekday for shift in shifts]
    if len(set(weekdays)) != len(weekdays) or not all(0 <= day <= 6 for day in weekdays):
        raise RuleViolation(
            f"Give {what} hours at most once per weekday, 0 (Monday) to 6 (Sunday).",
            field="weekday",
            code="bad_weekday",
        )
    for shift in shifts:
        if shift.ends <= shift.starts:
            raise RuleViolation(
                f"{what.capitalize()} hours end before they start.", field="ends", code="bad_hours"
            )
        if (shift.break_starts is None) != (shift.break_ends is None):
            raise RuleViolation(
                "A break needs both a start and an end.", field="break_ends", code="bad_break"
            )
        if shift.break_starts is not None and shift.break_ends is not None:
            inside = shift.starts <= shift.break_starts < shift.break_ends <= shift.ends
            if not inside:
                raise RuleViolation(
                    "A break must lie inside the working hours.",
                    field="break_starts",
                    code="bad_break",
                )


def require_name(name: str, what: str) -> str:
    """The name without surrounding blanks; a blank name is refused."""
    if not name.strip():
        raise RuleViolation(f"A {what} needs a name.", field="name", code="name_missing")
    return name.strip()


def check_time_zone(time_zone: str) -> None:
    # Looked up in the list rather than opened: ZoneInfo("America") is a directory, not a zone.
    if time_zone not in _known_zones():
        raise RuleViolation(
            f"{time_zone!r} is not a time zone; use an IANA name such as America/New_York.",
            field="time_zone",
            code="unknown_time_zone",
        )


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def create_location(
    session: Session, *, name: str, time_zone: str, opening: WeeklyHours, phone: str = ""
) -> Location:
    check_time_zone(time_zone)
    location = Location(name=require_name(name, "location"), time_zone=time_zone, phone=phone)
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
    room = Room(location_id=location.id or 0, name=require_name(name, "room"), kind=kind)
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
    check_durations(minutes, cleanup_minutes)
    if session.exec(select(Service.id).where(Service.code == code)).first() is not None:
        raise RuleViolation(
            f"There is already a service {code!r}.", field="code", code="code_taken"
        )
    service = Service(
        code=code,
        name=require_name(name, "service"),
        kind=kind,
        duration_minutes=minutes,
        cleanup_minutes=cleanup_minutes,
        room_kind=room_kind,
        professions=profession_values(professions),
    )
    session.add(service)
    session.flush()
    return service


def check_durations(minutes: int, cleanup_minutes: int) -> None:
    if minutes <= 0 or cleanup_minutes < 0:
        raise RuleViolation(
            "A service lasts at least a minute and its cleanup cannot be negative.",
            field="duration_minutes",
            code="bad_duration",
        )


def profession_values(professions: Iterable[Profession]) -> list[str]:
    values = [Profession(p).value for p in professions]
    if not values:
        raise RuleViolation(
            "Name at least one profession that gives the service.",
            field="professions",
            code="no_professions",
        )
    return list(dict.fromkeys(values))


def create_practitioner(
    session: Session,
    *,
    name: str,
    profession: Profession,
    location: Location | None = None,
    hours: WeeklyHours | None = None,
    lunch: tuple[time, time] | None = None,
    needling_certified_by: str | None = None,
    needling_certified_until: date | None = None,
) -> Practitioner:
    """A practitioner working `hours` at `location` (if given), with the same break every
    working day."""
    practitioner = Practitioner(
        name=require_name(name, "practitioner"),
        profession=profession,
        needling_certified_by=needling_certified_by,
        needling_certified_until=needling_certified_until,
    )
    session.add(practitioner)
    session.flush()
    for weekday, (starts, ends) in (hours or {}).items():
        if location is None:
            raise ValueError("working hours need a location")
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
    session: Session,
    *,
    practitioner: Practitioner,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
) -> TimeOff:
    require_aware(starts_at, field="starts_at")
    require_aware(ends_at, field="ends_at")
    if ends_at <= starts_at:
        raise RuleViolation("Time off ends before it starts.", field="ends_at", code="bad_span")
    leave = TimeOff(
        practitioner_id=practitioner.id or 0,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip(),
    )
    session.add(leave)
    session.flush()
    return leave


def _check_span(starts: time, ends: time, what: str) -> None:
    if ends <= starts:
        raise RuleViolation(
            f"{what.capitalize()} hours end before they start.", field="ends", code="bad_hours"
        )

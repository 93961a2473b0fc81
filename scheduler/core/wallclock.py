"""Between aware UTC instants (what we store) and the clinic's wall clock (what people use)."""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from scheduler.core.errors import RuleViolation


@lru_cache(maxsize=64)
def clinic_zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def wall_time(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time. In a spring-forward gap this is the instant the clock
    would show had it not jumped (02:30 becomes 03:30), which is right for bounds such as hours."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def exists_locally(moment: datetime) -> bool:
    """False for a local time that the clock skips when it springs forward."""
    round_trip = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return round_trip.replace(tzinfo=None) == moment.replace(tzinfo=None)


def require_aware(moment: datetime, *, field: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RuleViolation(
            f"{moment.isoformat()} has no time zone; give an offset such as -05:00.",
            field=field,
            code="naive_datetime",
        )
    return moment


def clinic_instant(moment: datetime, zone: ZoneInfo, *, field: str) -> datetime:
    """Validate a start the front desk typed and return it as UTC.

    UTC is always understood. Any other offset must be the one the clinic's clock shows at that
    instant, and a wall time the clock skips is refused: both are DST mix-ups.
    """
    require_aware(moment, field=field)
    offset = moment.utcoffset()
    local = moment.astimezone(UTC).astimezone(zone)
    if offset in (local.utcoffset(), timedelta(0)):
        return moment.astimezone(UTC)
    written = moment.replace(tzinfo=zone)
    if not exists_locally(written):
        raise RuleViolation(
            f"{written.replace(tzinfo=None).isoformat(timespec='minutes')} does not exist on the "
            f"clinic's clock ({zone.key}): the clocks spring forward then.",
            field=field,
            code="nonexistent_local_time",
        )
    raise RuleViolation(
        f"{moment.isoformat()} has offset {moment.strftime('%z')}, but the clinic's clock "
        f"({zone.key}) is at {local.strftime('%z')} then.",
        field=field,
        code="wrong_offset",
    )


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a local day starts and ends (23, 24 or 25 hours apart)."""
    return wall_time(day, time(0), zone), wall_time(day + timedelta(days=1), time(0), zone)


def as_the_clinic_says(moment: datetime, zone: ZoneInfo) -> str:
    """An instant on the clinic's clock, as the front desk reads it: Tue 24 Nov 09:00."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"

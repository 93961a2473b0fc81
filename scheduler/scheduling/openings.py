"""Time that becomes free, written down in the same transaction that frees it, so the waitlist
hears of every cancellation, move and new opening in hours even if a process stops right after.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from scheduler.core.wallclock import wall_time
from scheduler.models import Appointment, Opening

# How far ahead new working hours are offered to the waitlist.
NEW_HOURS_AHEAD_DAYS = 14
Hours = Mapping[int, tuple[time, time]]  # weekday -> (starts, ends), local wall time


def record_opening(
    session: Session,
    *,
    location_id: int,
    starts_at: datetime,
    ends_at: datetime,
    cause: str,
    now: datetime,
) -> None:
    """Note free time from `starts_at` to `ends_at`; time already past is not worth offering."""
    if ends_at <= max(starts_at, now):
        return
    session.add(
        Opening(
            location_id=location_id,
            starts_at=max(starts_at, now),
            ends_at=ends_at,
            cause=cause,
            found_at=now,
        )
    )
    session.flush()


def record_freed_visit(
    session: Session,
    *,
    location_id: int,
    appointments: Sequence[Appointment],
    cause: str,
    now: datetime,
) -> None:
    """The time a visit held, from its first start to its last end."""
    record_opening(
        session,
        location_id=location_id,
        starts_at=min(a.starts_at for a in appointments),
        ends_at=max(a.ends_at for a in appointments),
        cause=cause,
        now=now,
    )


def record_added_hours(
    session: Session,
    *,
    location_id: int,
    before: Hours,
    after: Hours,
    zone: ZoneInfo,
    cause: str,
    now: datetime,
) -> None:
    """The time new weekly hours add, day by day over the next two weeks: a day's new hours
    before the old start, and after the old end (all of them on a day not worked before)."""
    today = now.astimezone(zone).date()
    for day in (today + timedelta(days=n) for n in range(NEW_HOURS_AHEAD_DAYS)):
        if (new := after.get(day.weekday())) is None:
            continue
        old = before.get(day.weekday())
        added = (
            [new] if old is None else [(new[0], min(old[0], new[1])), (max(old[1], new[0]), new[1])]
        )
        for starts, ends in added:
            if starts < ends:
                record_opening(
                    session,
                    location_id=location_id,
                    starts_at=wall_time(day, starts, zone),
                    ends_at=wall_time(day, ends, zone),
                    cause=cause,
                    now=now,
                )

"""Time that becomes free, written down in the same transaction that frees it, so the waitlist
hears of every cancellation, move and new opening in hours even if a process stops right after.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from scheduler.models import Appointment, Opening


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

"""Which texts a visit gets and when: pure planning over instants, policy and the clinic's zone.

Two kinds of offsets, on purpose:
- elapsed time: "24 h before" is computed on UTC instants, so it is 86,400 s before the visit
  even across a DST change;
- wall-clock time: "the next morning at 10:00" is computed on the clinic's local calendar and
  converted, so it is 10:00 on the clock whatever the offset that day.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.core.policy import Policy
from scheduler.core.wallclock import wall_time
from scheduler.models import ServiceKind

CHECKIN_AT = time(10)
FOLLOWUP_AFTER_DAYS = 3
AFTERCARE_DEADLINE = timedelta(hours=12)


@dataclass(frozen=True)
class PlannedMessage:
    kind: str
    template: str
    send_at: datetime
    not_after: datetime
    intake_link_id: int | None = None  # the intake form's link the text carries


def reminder_kind(offset: timedelta) -> str:
    return f"reminder_{int(offset.total_seconds() // 3600)}h"


def before_visit(
    *, now: datetime, start: datetime, needling: bool, policy: Policy, send_at: datetime
) -> list[PlannedMessage]:
    """A confirmation at `send_at`, then a reminder per offset still ahead of it."""
    messages = [PlannedMessage("confirmation", "confirmation", send_at, start)]
    template = "reminder_needling" if needling else "reminder"
    for offset in policy.reminder_offsets:
        due = start - offset  # elapsed time: exactly `offset` before the visit
        if due > send_at:
            messages.append(PlannedMessage(reminder_kind(offset), template, due, start))
    return messages


def after_visit(
    *, completed_at: datetime, visit_start: datetime, kinds: Iterable[ServiceKind], zone: ZoneInfo
) -> list[PlannedMessage]:
    """Aftercare for a completed visit: one text covering the whole visit, never one per part."""
    kinds = set(kinds)
    deadline = completed_at + AFTERCARE_DEADLINE
    if ServiceKind.DRY_NEEDLING not in kinds:
        template = _short_after_visit(kinds)
        return [PlannedMessage("aftercare", template, completed_at, deadline)] if template else []
    visit_day = visit_start.astimezone(zone).date()
    checkin = wall_time(visit_day + timedelta(days=1), CHECKIN_AT, zone)  # wall clock
    followup = wall_time(visit_day + timedelta(days=FOLLOWUP_AFTER_DAYS), CHECKIN_AT, zone)
    return [
        PlannedMessage("aftercare", "aftercare_needling", completed_at, deadline),
        PlannedMessage(
            "aftercare_checkin", "aftercare_checkin", checkin, _end_of_day(checkin, zone)
        ),
        PlannedMessage(
            "aftercare_followup", "aftercare_followup", followup, _end_of_day(followup, zone)
        ),
    ]


def _short_after_visit(kinds: set[ServiceKind]) -> str | None:
    if ServiceKind.MASSAGE in kinds:
        return "aftercare_massage"
    if ServiceKind.EXERCISE in kinds:
        return "aftercare_exercise"
    return None


def _end_of_day(moment: datetime, zone: ZoneInfo) -> datetime:
    return wall_time(moment.astimezone(zone).date(), time(23, 59), zone)


def within_window(send_at: datetime, *, zone: ZoneInfo, window: tuple[time, time]) -> datetime:
    """`send_at` itself when the clinic's clock shows a time inside the send window, else the
    window's next opening (wall clock, so 08:00 stays 08:00 across a DST change)."""
    local = send_at.astimezone(zone)
    opens, closes = window
    if opens <= local.time() < closes:
        return send_at
    day = local.date() if local.time() < opens else local.date() + timedelta(days=1)
    return wall_time(day, opens, zone)


def window_closes(moment: datetime, *, zone: ZoneInfo, window: tuple[time, time]) -> datetime:
    """When the send window that `moment` falls inside closes (wall clock, as it opens)."""
    return wall_time(moment.astimezone(zone).date(), window[1], zone)


def next_day_opening(moment: datetime, *, zone: ZoneInfo, window: tuple[time, time]) -> datetime:
    return wall_time(moment.astimezone(zone).date() + timedelta(days=1), window[0], zone)

"""When texts go out: elapsed offsets before a visit, wall-clock times after it, the window."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.core.policy import Policy
from scheduler.messaging.planning import after_visit, before_visit, within_window
from scheduler.models import ServiceKind

POLICY = Policy()
WINDOW = (time(8), time(20))
# Both DST transitions of 2026 in both zones, visits at 09:00 and 17:00 on each.
TRANSITIONS = [
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("Europe/Amsterdam", date(2026, 3, 29)),
    ("Europe/Amsterdam", date(2026, 10, 25)),
]
MATRIX = [
    (zone, day + timedelta(days=d), hour)
    for zone, day in TRANSITIONS
    for d in (0, 1)
    for hour in (9, 17)
]


def local(zone: str, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(("zone", "day", "hour"), MATRIX)
def test_it_sends_the_24_hour_reminder_exactly_86400_seconds_before(
    zone: str, day: date, hour: int
) -> None:
    start = local(zone, day, hour).astimezone(UTC)
    booked = start - timedelta(days=5)

    planned = before_visit(now=booked, start=start, needling=True, policy=POLICY, send_at=booked)

    reminders = {m.kind: m for m in planned}
    assert (start - reminders["reminder_24h"].send_at).total_seconds() == 86_400
    assert (start - reminders["reminder_2h"].send_at).total_seconds() == 7_200
    assert all(m.not_after == start for m in planned)


@pytest.mark.parametrize(("zone", "day", "hour"), MATRIX)
def test_it_checks_in_the_next_morning_at_ten_on_the_clinics_clock(
    zone: str, day: date, hour: int
) -> None:
    start = local(zone, day - timedelta(days=1), hour).astimezone(UTC)
    done = start + timedelta(hours=1)

    planned = after_visit(
        completed_at=done,
        visit_start=start,
        kinds=[ServiceKind.DRY_NEEDLING, ServiceKind.MASSAGE],
        zone=ZoneInfo(zone),
    )

    checkin = next(m for m in planned if m.kind == "aftercare_checkin")
    assert checkin.send_at.astimezone(ZoneInfo(zone)) == local(zone, day, 10)


@pytest.mark.parametrize(("zone", "day", "hour"), MATRIX)
def test_it_keeps_every_text_inside_the_send_window(zone: str, day: date, hour: int) -> None:
    start = local(zone, day, hour).astimezone(UTC)
    planned = before_visit(
        now=start - timedelta(days=3),
        start=start,
        needling=True,
        policy=POLICY,
        send_at=start - timedelta(days=3),
    )

    for message in planned:
        moved = within_window(message.send_at, zone=ZoneInfo(zone), window=WINDOW)
        assert time(8) <= moved.astimezone(ZoneInfo(zone)).time() < time(20)
        assert moved >= message.send_at


def test_it_moves_a_text_due_at_night_to_the_next_opening() -> None:
    night = local("America/New_York", date(2026, 11, 24), 22, 30)

    moved = within_window(night, zone=ZoneInfo("America/New_York"), window=WINDOW)

    assert moved == local("America/New_York", date(2026, 11, 25), 8)


def test_it_moves_an_early_text_to_the_same_mornings_opening_across_a_dst_change() -> None:
    early = local("America/New_York", date(2026, 3, 8), 6)

    moved = within_window(early, zone=ZoneInfo("America/New_York"), window=WINDOW)

    assert moved == local("America/New_York", date(2026, 3, 8), 8)


def test_it_plans_one_aftercare_for_a_combined_visit_and_a_short_one_for_massage() -> None:
    start = datetime(2026, 11, 24, 15, tzinfo=UTC)
    zone = ZoneInfo("America/New_York")

    combined = after_visit(
        completed_at=start,
        visit_start=start,
        kinds=[ServiceKind.DRY_NEEDLING, ServiceKind.MASSAGE],
        zone=zone,
    )
    massage = after_visit(
        completed_at=start, visit_start=start, kinds=[ServiceKind.MASSAGE], zone=zone
    )

    assert [m.kind for m in combined] == ["aftercare", "aftercare_checkin", "aftercare_followup"]
    assert combined[0].template == "aftercare_needling"
    assert [(m.kind, m.template) for m in massage] == [("aftercare", "aftercare_massage")]


def test_it_skips_a_reminder_that_would_fall_before_the_confirmation() -> None:
    start = datetime(2026, 11, 24, 15, tzinfo=UTC)
    booked = start - timedelta(hours=5)

    planned = before_visit(now=booked, start=start, needling=False, policy=POLICY, send_at=booked)

    assert [m.kind for m in planned] == ["confirmation", "reminder_2h"]

"""The scheduling rules' knobs, taken from the settings once and passed to the core as a value."""

from dataclasses import dataclass
from datetime import time, timedelta

from scheduler.core.settings import Settings, get_settings


@dataclass(frozen=True)
class Policy:
    grid: timedelta = timedelta(minutes=15)
    minimum_notice: timedelta = timedelta(hours=1)
    horizon: timedelta = timedelta(days=120)
    handover_gap: timedelta = timedelta(0)
    late_cancel_window: timedelta = timedelta(hours=24)
    check_in_opens: timedelta = timedelta(minutes=60)  # before the visit's start
    undo_window: timedelta = timedelta(minutes=10)  # a cancellation may be undone this long
    confirmation_grace: timedelta = timedelta(minutes=3)
    reminder_offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=2))
    send_window: tuple[time, time] = (time(8), time(20))
    daily_message_cap: int = 3
    offer_expiry: timedelta = timedelta(minutes=30)
    offers_at_once: int = 3
    intake_valid_months: int = 12

    @classmethod
    def from_settings(cls, settings: Settings) -> "Policy":
        return cls(
            grid=timedelta(minutes=settings.slot_grid_minutes),
            minimum_notice=timedelta(minutes=settings.minimum_notice_minutes),
            horizon=timedelta(days=settings.booking_horizon_days),
            handover_gap=timedelta(minutes=settings.handover_gap_minutes),
            late_cancel_window=timedelta(hours=settings.late_cancel_hours),
            check_in_opens=timedelta(minutes=settings.check_in_minutes_before),
            undo_window=timedelta(minutes=settings.undo_minutes),
            confirmation_grace=timedelta(minutes=settings.confirmation_grace_minutes),
            reminder_offsets=tuple(timedelta(hours=h) for h in settings.reminder_offsets_hours),
            send_window=(
                time.fromisoformat(settings.send_window_opens),
                time.fromisoformat(settings.send_window_closes),
            ),
            daily_message_cap=settings.daily_message_cap,
            offer_expiry=timedelta(minutes=settings.waitlist_offer_minutes),
            offers_at_once=settings.waitlist_offers_at_once,
            intake_valid_months=settings.intake_valid_months,
        )


def current_policy() -> Policy:
    return Policy.from_settings(get_settings())

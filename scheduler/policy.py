"""The scheduling rules' knobs, taken from the settings once and passed to the core as a value."""

from dataclasses import dataclass
from datetime import timedelta

from scheduler.settings import Settings, get_settings


@dataclass(frozen=True)
class Policy:
    grid: timedelta = timedelta(minutes=15)
    minimum_notice: timedelta = timedelta(hours=1)
    horizon: timedelta = timedelta(days=120)
    handover_gap: timedelta = timedelta(0)
    late_cancel_window: timedelta = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Policy":
        return cls(
            grid=timedelta(minutes=settings.slot_grid_minutes),
            minimum_notice=timedelta(minutes=settings.minimum_notice_minutes),
            horizon=timedelta(days=settings.booking_horizon_days),
            handover_gap=timedelta(minutes=settings.handover_gap_minutes),
            late_cancel_window=timedelta(hours=settings.late_cancel_hours),
        )


def current_policy() -> Policy:
    return Policy.from_settings(get_settings())

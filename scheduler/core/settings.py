"""Configuration in one typed place; each setting reads TRIGGERPOINT_<NAME> from the environment."""

from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIGGERPOINT_", env_file=".env", extra="ignore")

    # SQLite by default so a fresh checkout runs with nothing else installed.
    database_url: str = "sqlite:///triggerpoint.sqlite3"
    clinic_time_zone: str = "America/New_York"
    phone_region: str = Field(default="US", description="Region for phone numbers given without +")
    slot_grid_minutes: int = Field(default=15, gt=0, le=120)
    minimum_notice_minutes: int = Field(default=60, ge=0)
    booking_horizon_days: int = Field(default=120, gt=0)
    handover_gap_minutes: int = Field(default=0, ge=0)
    late_cancel_hours: int = Field(default=24, ge=0)

    # What patients receive and when.
    confirmation_grace_minutes: int = Field(default=3, ge=0)
    reminder_offsets_hours: list[int] = Field(default=[24, 2])
    send_window_opens: str = Field(default="08:00", pattern=r"^\d\d:\d\d$")
    send_window_closes: str = Field(default="20:00", pattern=r"^\d\d:\d\d$")
    daily_message_cap: int = Field(default=3, ge=1, description="Texts per patient per day")
    check_in_minutes_before: int = Field(
        default=60, ge=0, le=24 * 60, description="How early before its start a visit may check in"
    )
    undo_minutes: int = Field(
        default=10, ge=0, le=24 * 60, description="How long a cancellation can be undone"
    )
    intake_valid_months: int = Field(
        default=12, ge=1, le=120, description="How long a signed intake and consent stay current"
    )
    waitlist_offer_minutes: int = Field(
        default=30, ge=1, description="How long a waitlisted patient has to take an offered time"
    )
    waitlist_offers_at_once: int = Field(
        default=3, ge=1, description="Waitlisted patients offered one freed time at a time"
    )

    # Messaging. Twilio's own variable names are read as they are, without our prefix.
    broker_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Celery's broker: Redis in production; filesystem:// for the embedded demo",
    )
    broker_folder: str = Field(
        default=".triggerpoint/broker", description="Where a filesystem:// broker keeps its queue"
    )
    # Keep it above the longest wait before a retry (30 s): Redis would hand out again a task
    # held for its countdown, and a copy kept by a dead worker must not come back before its
    # retry would have run. The tests shorten it to see redelivery quickly.
    broker_visibility_timeout_seconds: int = Field(
        default=60, ge=1, description="A task a worker took and never finished is redelivered"
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base URL Twilio calls; signatures use it"
    )
    twilio_api_url: str | None = Field(
        default=None, description="Only to point the Twilio client at a local double"
    )
    twilio_account_sid: str | None = Field(default=None, validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str | None = Field(default=None, validation_alias="TWILIO_AUTH_TOKEN")
    twilio_from_number: str | None = Field(default=None, validation_alias="TWILIO_FROM_NUMBER")
    twilio_messaging_service_sid: str | None = Field(
        default=None, validation_alias="TWILIO_MESSAGING_SERVICE_SID"
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="json: one object per line, for log collectors"
    )
    metrics_token: str | None = Field(
        default=None, description="When set, /metrics wants it as a bearer token"
    )
    twilio_connect_timeout_seconds: float = Field(default=5, gt=0)
    twilio_read_timeout_seconds: float = Field(default=15, gt=0)

    @field_validator("slot_grid_minutes")
    @classmethod
    def _divides_a_day(cls, value: int) -> int:
        if (24 * 60) % value:
            raise ValueError("the grid must divide a day evenly (5, 10, 15, 20, 30, 60, ...)")
        return value

    @field_validator("clinic_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""The dispatcher process: one APScheduler in UTC, ticking on an interval, never in the web app.

Ticks coalesce and never overlap; a late tick simply sends late (each row has its own deadline).
"""

import logging
from collections.abc import Callable

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from scheduler.clock import utc_now
from scheduler.settings import get_settings
from workers.dispatch import return_stale_claims, tick
from workers.reconcile import reconcile_unknown
from workers.sms import SmsGateway, gateway_from_settings
from workers.tasks import send_message

log = logging.getLogger(__name__)
SWEEP_SECONDS = 60


def sweep(engine: Engine, *, gateway: SmsGateway) -> None:
    """Return lost claims, then reconcile texts whose outcome is unknown."""
    return_stale_claims(engine, now=utc_now())
    reconcile_unknown(engine, gateway=gateway, now=utc_now())


def build_scheduler(
    engine: Engine,
    *,
    enqueue: Callable[[int], object],
    gateway: SmsGateway,
    interval_seconds: float,
) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    options = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    scheduler.add_job(
        lambda: tick(engine, now=utc_now(), enqueue=enqueue),
        "interval",
        seconds=interval_seconds,
        id="dispatch",
        name="dispatch due texts",
        replace_existing=True,
        **options,
    )
    scheduler.add_job(
        lambda: sweep(engine, gateway=gateway),
        "interval",
        seconds=SWEEP_SECONDS,
        id="sweep",
        name="return lost claims, reconcile unknown texts",
        replace_existing=True,
        **options,
    )
    return scheduler


def run(engine: Engine, *, interval_seconds: float) -> None:
    scheduler = build_scheduler(
        engine,
        enqueue=send_message.delay,
        gateway=gateway_from_settings(get_settings()),
        interval_seconds=interval_seconds,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick
    log.info("dispatcher ticking every %.1f s", interval_seconds)
    scheduler.start()

"""The dispatcher process: one APScheduler in UTC, ticking on an interval, never in the web app.

Ticks coalesce and never overlap; a late tick simply sends late (each row has its own deadline).
The first tick runs at start-up, so texts held up while the dispatcher was down go at once.
SIGTERM or SIGINT lets a running tick finish: the rows it claimed are committed as `queued`,
and stopping before their ids reach the broker would leave them to the sweep.
"""

import logging
import signal
import threading
from collections.abc import Callable, Sequence

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from scheduler.core.clock import utc_now
from scheduler.core.policy import current_policy
from scheduler.core.settings import get_settings
from workers.dispatch import offer_freed_time, return_stale_claims, tick
from workers.reconcile import reconcile_unknown
from workers.sms import SmsGateway, gateway_from_settings
from workers.tasks import enqueue, waiting

log = logging.getLogger(__name__)
SWEEP_SECONDS = 30
OFFER_SECONDS = 60
# The most tasks left waiting in the broker: more than the workers send between two ticks, so
# they never wait for the dispatcher, yet few enough that a claimed row waits seconds, not minutes.
QUEUE_DEPTH = 300


def sweep(engine: Engine, *, gateway: SmsGateway) -> None:
    """Return lost claims, then reconcile texts whose outcome is unknown."""
    return_stale_claims(engine, now=utc_now())
    reconcile_unknown(engine, gateway=gateway, now=utc_now())


def dispatch(
    engine: Engine, *, enqueue: Callable[[Sequence[int]], object], waiting: Callable[[], int]
) -> int:
    """One tick: claim what is due, as much as the queue has room for, clear it, enqueue it."""
    return tick(
        engine,
        now=utc_now(),
        enqueue=enqueue,
        policy=current_policy(),
        public_url=get_settings().public_url,
        room=QUEUE_DEPTH - waiting(),
    )


def build_scheduler(
    engine: Engine,
    *,
    enqueue: Callable[[Sequence[int]], object],
    waiting: Callable[[], int],
    gateway: SmsGateway,
    interval_seconds: float,
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    options = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    scheduler.add_job(
        lambda: dispatch(engine, enqueue=enqueue, waiting=waiting),
        "interval",
        seconds=interval_seconds,
        next_run_time=utc_now(),
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
    scheduler.add_job(
        lambda: offer_freed_time(
            engine, now=utc_now(), policy=current_policy(), public_url=get_settings().public_url
        ),
        "interval",
        seconds=OFFER_SECONDS,
        id="waitlist",
        name="offer freed time to the waitlist",
        replace_existing=True,
        **options,
    )
    return scheduler


def run(engine: Engine, *, interval_seconds: float) -> None:
    scheduler = build_scheduler(
        engine,
        enqueue=enqueue,
        waiting=waiting,
        gateway=gateway_from_settings(get_settings()),
        interval_seconds=interval_seconds,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    scheduler.start()
    log.info("dispatcher ticking every %.1f s", interval_seconds)
    stopping.wait()
    scheduler.remove_all_jobs()  # no tick starts from now on
    scheduler.shutdown(wait=True)  # the running one finishes handing its rows over
    log.info("dispatcher stopped")

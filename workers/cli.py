"""The full `triggerpoint` command line: the core's commands plus the messaging processes.

The core (`scheduler.cli`) knows nothing of Celery, APScheduler or Twilio; this module adds the
commands that run them, so the dependency points one way only.
"""

from typing import Annotated

import typer

from scheduler import db
from scheduler.cli import app
from scheduler.settings import get_settings
from workers import dispatcher as dispatcher_process
from workers.celery_app import app as celery_app
from workers.sms import gateway_from_settings
from workers.twilio_double.app import serve as serve_double

__all__ = ["app"]


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Worker processes")] = 2,
) -> None:
    """Send text messages: a Celery worker on the configured broker."""
    gateway_from_settings(get_settings())  # says at start-up when texts will not leave the machine
    celery_app.worker_main(
        ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--without-gossip"]
    )


@app.command()
def dispatcher(
    interval: Annotated[float, typer.Option(min=0.05, help="Seconds between ticks")] = 0.5,
) -> None:
    """Hand due messages to the workers. Run exactly one (a second is harmless, not useful)."""
    dispatcher_process.run(db.make_engine(), interval_seconds=interval)


@app.command("fake-twilio")
def fake_twilio(
    host: str = "127.0.0.1",
    port: int = 8765,
) -> None:
    """A local stand-in for Twilio's Messages API, for development and tests."""
    settings = get_settings()
    serve_double(
        host,
        port,
        settings.twilio_account_sid or "AC" + "0" * 32,
        settings.twilio_auth_token or "test-token",
    )

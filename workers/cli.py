"""The full `triggerpoint` command line: the core's commands plus the messaging processes.

The core (`scheduler.app.cli`) knows nothing of Celery, APScheduler or Twilio; this module adds the
commands that run them, so the dependency points one way only. Like the core's, each command
imports what it runs when it runs: a restarted worker or dispatcher is an outage until it is up.
"""

import logging
from typing import TYPE_CHECKING, Annotated

import typer

from scheduler.app.cli import app
from scheduler.core.settings import get_settings

if TYPE_CHECKING:
    from celery import Celery

__all__ = ["app"]

CONCURRENCY = 4  # a worker's threads unless told otherwise


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Texts sent at once")] = CONCURRENCY,
) -> None:
    """Send text messages: a Celery worker on the configured broker.

    One process, `concurrency` threads: a send mostly waits on the database and on Twilio, and
    threads share one connection pool and one Twilio client. Run a worker per CPU core.
    """
    from workers.celery_app import app as celery_app
    from workers.tasks import gateway

    gateway()  # built before the first text; says at start-up when texts will not leave the machine
    run_worker(celery_app, concurrency)


def run_worker(celery_app: "Celery", concurrency: int) -> None:
    """A worker of ours on `celery_app`: threads, no chatter between workers, and one log line
    per text, which the send itself writes."""
    for per_task in ("celery.worker.strategy", "celery.app.trace"):
        logging.getLogger(per_task).setLevel(logging.WARNING)  # "received", "succeeded"
    celery_app.worker_main(
        [
            "worker",
            "--loglevel=INFO",
            "--pool=threads",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@app.command()
def dispatcher(
    interval: Annotated[float, typer.Option(min=0.05, help="Seconds between ticks")] = 0.5,
) -> None:
    """Hand due messages to the workers. Run exactly one (a second is harmless, not useful)."""
    from scheduler.core import db
    from workers import dispatcher as dispatcher_process

    dispatcher_process.run(db.make_engine(), interval_seconds=interval)


@app.command()
def demo(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, envvar="TRIGGERPOINT_DEMO_PORT")] = 8000,
) -> None:
    """Run the whole product here: web app, dispatcher and a worker, on the demo clinic."""
    from workers import demo_stack

    raise typer.Exit(demo_stack.run(host=host, port=port))


@app.command("fake-twilio")
def fake_twilio(
    host: str = "127.0.0.1",
    port: int = 8765,
) -> None:
    """A local stand-in for Twilio's Messages API, for development and tests."""
    from workers.twilio_double.app import serve as serve_double

    settings = get_settings()
    serve_double(
        host,
        port,
        settings.twilio_account_sid or "AC" + "0" * 32,
        settings.twilio_auth_token or "test-token",
    )

"""Redis restarts, with and without its queue: the outbox in the database decides what goes out,
so a restart neither sends a text that is no longer right nor loses one that is. On PostgreSQL,
as clinics run it: the database's part is the same on SQLite (tests/test_pipeline.py)."""

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import missing_service
from tests.pipeline_fixtures import Pipeline, running_pipeline
from tests.processes import RedisServer
from tests.twilio_fixtures import Double, twilio_double, twilio_double_server
from workers.dispatch import QUEUED_STALE_AFTER, return_stale_claims

pytestmark = pytest.mark.processes

__all__ = ["twilio_double", "twilio_double_server"]


@contextmanager
def pipeline_on_own_redis(
    engine: Engine, double: Double, folder: Path, *, keeps_queue: bool
) -> Iterator[tuple[RedisServer, Pipeline]]:
    """The test's pipeline on a Redis server of its own, which the test may restart."""
    if shutil.which("redis-server") is None:
        missing_service("no redis-server to start a Redis of the test's own")
    broker = RedisServer(folder, keeps_queue=keeps_queue)
    broker.start()
    try:
        with running_pipeline(engine, broker.url, double, folder) as pipeline:
            yield broker, pipeline
    finally:
        broker.stop()


def wait_until_taken(broker: RedisServer, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while broker.queued() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert broker.queued() == 0, "the worker did not take the queued tasks"


def test_a_visit_cancelled_while_queued_gets_nothing_after_redis_and_the_worker_restart(
    postgres_engine: Engine, twilio_double: Double, tmp_path: Path
) -> None:
    with pipeline_on_own_redis(postgres_engine, twilio_double, tmp_path, keeps_queue=True) as (
        broker,
        pipeline,
    ):
        pipeline.worker.stop()
        assert pipeline.tick(pipeline.message("reminder_24h").send_at) == 2
        pipeline.cancel_visit()

        broker.restart()
        assert broker.queued() == 2  # confirmation and reminder outlived the restart
        pipeline.worker.start()
        wait_until_taken(broker)

        assert pipeline.bodies(1, timeout=3) == []
        assert pipeline.message("confirmation").status == "cancelled"
        assert pipeline.message("reminder_24h").status == "cancelled"


def test_texts_the_broker_lost_go_out_once_after_the_sweep(
    postgres_engine: Engine, twilio_double: Double, tmp_path: Path
) -> None:
    with pipeline_on_own_redis(postgres_engine, twilio_double, tmp_path, keeps_queue=False) as (
        broker,
        pipeline,
    ):
        pipeline.worker.stop()
        due = pipeline.message("reminder_24h").send_at
        assert pipeline.tick(due) == 2

        broker.restart()
        assert broker.queued() == 0  # both tasks went with the old Redis
        pipeline.worker.start()
        assert pipeline.bodies(1, timeout=2) == []
        assert pipeline.message("reminder_24h").status == "queued"

        later = due + QUEUED_STALE_AFTER + timedelta(seconds=1)  # the tick claimed at `due`
        assert return_stale_claims(postgres_engine, now=later) == (2, 0)
        assert pipeline.tick(due) == 2

        assert len(pipeline.bodies(2)) == 2
        time.sleep(1)  # a second copy would have arrived by now
        assert len(pipeline.bodies(2)) == 2
        assert pipeline.settled_status("confirmation", "sent") == "sent"
        assert pipeline.settled_status("reminder_24h", "sent") == "sent"


def test_a_running_worker_carries_on_after_redis_restarts(
    postgres_engine: Engine, twilio_double: Double, tmp_path: Path
) -> None:
    with pipeline_on_own_redis(postgres_engine, twilio_double, tmp_path, keeps_queue=False) as (
        broker,
        pipeline,
    ):
        broker.restart()

        assert pipeline.tick(pipeline.message("confirmation").send_at) == 1

        assert len(pipeline.bodies(1, timeout=30)) == 1
        assert pipeline.settled_status("confirmation", "sent") == "sent"

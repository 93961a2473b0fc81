"""What this machine gives at best, for reading the ratio targets of bench.pipeline and
bench.booking_http: their measurements made again on the stack alone (bench.floor_apps), with
none of Triggerpoint's code in the way.

Texts: 10,000 tasks through Redis to two worker processes configured as `triggerpoint worker`,
sending through the real twilio client to the Twilio double in its own process, with no faults,
no kill and no dispatcher (the ids are enqueued directly). First tasks that only send; then tasks
that also claim and record an outbox row with one statement each; then, for comparison on the same
stack, Triggerpoint's own `send_message` on `triggerpoint worker`, re-checks and words included.
Beside them, bench.pipeline's plain loop of the client, and each ratio as bench.pipeline computes
it.

Bookings: with the workers stopped, a FastAPI app served as `triggerpoint serve` serves ours, in
as many processes as bench.booking_http gives PostgreSQL; the same 32 clients POST a visit that
is stored with one INSERT, then GET /healthz; the ratio as bench.booking_http computes it.

Prints a summary, then every figure as one JSON object.

Run: .venv/bin/python -m bench.stack_floor
"""

import asyncio
import json
import sys
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from celery import Task
from sqlalchemy import Engine, text, update
from sqlmodel import col

from bench.availability import server_version
from bench.booking_http import WORKERS, request_rate, started
from bench.floor_apps import FLOOR_VISIT, celery, claim_send_record, send_only
from bench.outbox_fixture import (
    BROKER_URL,
    PUBLIC_URL,
    Double,
    Patients,
    Service,
    add_replies,
    on_postgresql,
    receipts,
    seed_patients,
)
from bench.pipeline import machine, plain_loop_rate, rate
from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.core.policy import Policy
from scheduler.messaging.sending import clear_for_sending
from scheduler.models import Message, MessageStatus
from workers.tasks import send_message

MESSAGES = 10_000
VISIT_SECONDS = 20.0
DRAIN_SECONDS = 300.0
VISIT = {"patient_id": 1, "start": "2026-11-23T10:00:00+01:00"}
TEXT_PHASES = {
    "send_only": "Celery, send only",
    "claim_send_record": "Celery, claim + send + record",
    "send_message": "Celery, Triggerpoint's send_message",
}


def main() -> None:
    started = time.perf_counter()
    figures = machine()
    for app in (celery, send_message.app):  # the workers' broker, not this process's settings
        app.conf.broker_url = BROKER_URL
    with on_postgresql("floor") as (engine, stack):
        figures["plain_sends_per_second"] = plain_loop_rate(stack.double.url)
        floor_worker = ["-m", "bench.floor_apps", "worker"]
        workers = [stack.start_worker(floor_worker, Path(sys.executable)) for _ in range(2)]
        figures["send_only_per_second"] = sends_per_second(stack.double, send_only, range(MESSAGES))
        patients = seed_patients(engine, now=utc_now())
        figures["database"] = server_version(engine)
        figures["claim_send_record_per_second"] = sends_per_second(
            stack.double, claim_send_record, queued_rows(engine, patients, "floor")
        )
        for worker in workers:
            worker.stop()
        workers = [stack.start_worker() for _ in range(2)]
        figures["send_message_per_second"] = sends_per_second(
            stack.double, send_message, queued_rows(engine, patients, "ours")
        )
        for worker in workers:  # booking_http has no workers running beside its server
            worker.stop()
        figures |= bookings(engine, stack.environment, stack.folder / "web.log")
    for kind in TEXT_PHASES:
        sends = figures[f"{kind}_per_second"]
        figures[f"{kind}_ratio"] = round(sends / figures["plain_sends_per_second"], 2)
    figures["visit_ratio"] = round(figures["visits_per_second"] / figures["healthz_per_second"], 2)
    figures["total_seconds"] = round(time.perf_counter() - started, 1)
    print("\n".join(describe(figures)))
    print(json.dumps(figures))


def queued_rows(engine: Engine, patients: Patients, label: str) -> list[int]:
    """MESSAGES outbox rows as a dispatcher leaves them: claimed, `queued` and cleared, waiting
    for a worker."""
    now = utc_now()
    rows = add_replies(engine, patients, label=label, due=[now] * MESSAGES, now=now)
    with db.session(engine) as session, db.transaction(session):
        session.execute(
            update(Message)
            .where(col(Message.id).in_(rows))
            .values(status=MessageStatus.QUEUED, claimed_at=now)
        )
    with db.autocommit_connection(engine) as connection:
        cleared = clear_for_sending(
            connection, message_ids=list(rows), now=now, policy=Policy(), public_url=PUBLIC_URL
        )
    return sorted(cleared)


def sends_per_second(double: Double, task: Task, message_ids: Iterable[int]) -> float:
    """Enqueues one `task` per id in one round trip, waits until the double has every text, and
    gives texts/s from the first received to the last."""
    double.reset()
    wanted = list(message_ids)
    with task.app.producer_or_acquire() as producer, producer.batch():
        for message_id in wanted:
            task.apply_async((message_id,), producer=producer)
    deadline = time.monotonic() + DRAIN_SECONDS
    while double.accepted() < len(wanted):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{task.name}: {double.accepted()} of {len(wanted)} sent")
        time.sleep(0.1)
    received: dict[int, list[datetime]] = receipts(double)
    return rate(sorted(received[i][0] for i in wanted))


def bookings(engine: Engine, environment: dict[str, str], log: Path) -> dict[str, Any]:
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE {FLOOR_VISIT} (id bigserial PRIMARY KEY, patient_id int, start text)"
            )
        )
    workers = WORKERS["postgresql"]
    server = started(
        lambda port: Service(
            ["-m", "bench.floor_apps", "web", str(port), str(workers)],
            environment,
            log,
            Path(sys.executable),
        )
    )
    try:
        visits = asyncio.run(request_rate(server.base_url, "/visits", VISIT, seconds=VISIT_SECONDS))
        health = asyncio.run(request_rate(server.base_url, "/healthz"))
    finally:
        server.service.stop()
    return {
        "web_workers": workers,
        "visits_per_second": round(visits, 1),
        "healthz_per_second": round(health, 1),
    }


def describe(figures: dict[str, Any]) -> list[str]:
    return [
        f"machine: {figures['platform']}, {figures['cpu_count']} CPUs, Python "
        f"{figures['python']}, Redis {figures['redis']}, {figures['database']}, load average "
        f"{figures['load_average_1m']} at start",
        f"plain loop of the twilio client: {figures['plain_sends_per_second']:.0f} texts/s",
        *(
            f"{title}: {figures[f'{kind}_per_second']:.0f} texts/s, "
            f"ratio {figures[f'{kind}_ratio']:.2f}"
            for kind, title in TEXT_PHASES.items()
        ),
        f"HTTP, {figures['web_workers']} processes: one-INSERT POST "
        f"{figures['visits_per_second']:.0f}/s, GET /healthz {figures['healthz_per_second']:.0f}/s,"
        f" ratio {figures['visit_ratio']:.2f}",
        f"run took {figures['total_seconds']} s",
    ]


if __name__ == "__main__":
    main()

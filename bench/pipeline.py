"""How fast and how exactly outbox messages go out: dispatcher, Redis, Celery workers, the real
twilio client and the Twilio double, each in processes of its own, on PostgreSQL.

Throughput: 10,000 replies due at one instant, drained by two `triggerpoint worker` processes
(as the command starts them by default) while the double refuses about 2% of creates with 429 and
0.5% with 503; when 30% have arrived one worker is killed (SIGKILL to its process group) and a
new one started. Counted at the double: sends/s, lateness (received - send_at), rows lost, rows
received twice; in the database, rows left `unknown`. Rows a dead worker left claimed are handed
to `return_stale_claims` once nothing else moves, as the dispatcher's sweep would a minute
(queued) or five minutes (sending) later. sends/s runs from the first text received to the last
one before that stand-in sweep: when the sweep runs is the bench's choice, not the pipeline's
speed. The figure to the last text, the swept ones included, is reported beside it. The same run
times a plain loop of the real client against the same double, before the phases and again
after them with the pipeline stopped; the ratio is to the mean of the two, because a machine's
speed drifts within a run (on a shared 2-core machine the loop has moved by a quarter).

Timeliness: 2,000 replies spread over 60 s, 500 more due at one instant 20 s in, and the
dispatcher stopped at 35 s and started again 10 s later, with no faults injected.

The dispatcher is the real `triggerpoint dispatcher` process. Prints a summary, then every figure
as one JSON object.

Run: .venv/bin/python -m bench.pipeline
"""

import itertools
import json
import os
import platform
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine

from bench.availability import percentile, server_version, yes
from bench.outbox_fixture import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    Double,
    Harness,
    Patients,
    Receipts,
    Service,
    add_replies,
    broker,
    ids_with_status,
    on_postgresql,
    receipts,
    seed_patients,
    statuses,
    waiting_tasks,
)
from scheduler.core.clock import utc_now
from scheduler.core.settings import Settings
from scheduler.models import MessageStatus
from workers.dispatch import return_stale_claims
from workers.sms import TwilioGateway

MESSAGES, PLAIN_MESSAGES = 10_000, 2_000
KILL_AT_SHARE = 0.3
TICK_SECONDS = 0.2
LEAD = timedelta(seconds=3)  # rows are written this long before they fall due
# The double holds one fault kind at a time, so 429 and 503 take turns in 0.2 s slices, four of
# 429 to one of 503, each at 2.5%: about 2% and 0.5% of creates overall (counts are reported).
FAULT_TURNS, FAULT_SLICE_SECONDS, FAULT_PROBABILITY = ("429",) * 4 + ("503",), 0.2, 0.025
SPREAD_MESSAGES, SPREAD_SECONDS = 2_000, 60.0
BURST_MESSAGES, BURST_AT = 500, timedelta(seconds=20)
PAUSE_AT, PAUSE = timedelta(seconds=35), timedelta(seconds=10)
DRAIN_SECONDS = 330.0  # the most a phase waits for its rows to be sent
STALL_SECONDS = 5.0  # nothing moved this long and Redis is empty: what is left is stuck
STUCK_CLAIM = timedelta(seconds=10)  # claims older than this are stuck, not in flight
ON_TIME_MS = 500.0
TARGETS = {
    "sends_per_second": 250.0,
    "ratio": 0.4,
    "lost": 0,
    "duplicated": 0,
    "steady_p99_ms": ON_TIME_MS,
    "burst_drain_seconds": 3.0,
    "catch_up_seconds": 15.0,
}
BODY = "Riverside Physio: thank you, the front desk will get back to you."
PENDING = (MessageStatus.SCHEDULED, MessageStatus.QUEUED, MessageStatus.SENDING)


def main() -> None:
    started = time.perf_counter()
    figures = machine()
    with on_postgresql("pipeline") as (engine, pipeline):
        patients = seed_patients(engine, now=utc_now())
        figures["database"] = server_version(engine)
        plain_before = plain_loop_rate(pipeline.double.url)
        workers = [pipeline.start_worker(), pipeline.start_worker()]
        dispatcher = pipeline.start_dispatcher(TICK_SECONDS)
        figures |= throughput_phase(engine, pipeline, patients, workers[0])
        figures |= timeliness_phase(engine, pipeline, patients, dispatcher)
        for service in pipeline.started:
            service.stop()  # the loop again on a machine as quiet as for the first
        pipeline.double.reset()
        plain_after = plain_loop_rate(pipeline.double.url)
    figures["plain_sends_per_second_before"] = plain_before
    figures["plain_sends_per_second_after"] = plain_after
    figures["plain_sends_per_second"] = round((plain_before + plain_after) / 2, 1)
    figures["ratio"] = round(figures["sends_per_second"] / figures["plain_sends_per_second"], 3)
    figures |= verdicts(figures)
    figures["total_seconds"] = round(time.perf_counter() - started, 1)
    print("\n".join(describe(figures)))
    print(json.dumps(figures))


def machine() -> dict[str, Any]:
    with broker() as client:
        redis_version = str(client.info("server")["redis_version"])
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "redis": redis_version,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def plain_loop_rate(double_url: str) -> float:
    """Sends/s of one process calling the gateway in a loop: the client and double's ceiling."""
    twilio: dict[str, Any] = {  # Twilio's fields go by their environment names
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
    }
    settings = Settings(_env_file=None, twilio_api_url=double_url, **twilio)
    gateway = TwilioGateway(settings)
    for message_id in range(-20, 0):  # warm-up: imports, connection pool
        gateway.send(to="+12125550100", body=BODY, message_id=message_id)
    started = time.perf_counter()
    for message_id in range(PLAIN_MESSAGES):
        gateway.send(to="+12125550100", body=BODY, message_id=message_id)
    return round(PLAIN_MESSAGES / (time.perf_counter() - started), 1)


def throughput_phase(
    engine: Engine, pipeline: Harness, patients: Patients, victim: Service
) -> dict[str, Any]:
    pipeline.double.reset()
    busy_before = cpu_ticks()
    with mixed_faults(pipeline.double.url):
        due = utc_now() + LEAD
        rows = add_replies(engine, patients, label="steady", due=[due] * MESSAGES, now=utc_now())
        kill = kill_and_replace(pipeline, victim, at=int(MESSAGES * KILL_AT_SHARE))
        drained = drain(engine, "steady", deadline=time.monotonic() + DRAIN_SECONDS)
    busy = busy_share(busy_before, cpu_ticks())
    received = receipts(pipeline.double)
    got = sorted(received[i][0] for i in rows if i in received)
    flowed = [at for at in got if drained.first_sweep is None or at < drained.first_sweep]
    faults = pipeline.double.requests()["by_status"]
    return {
        "sends_per_second": rate(flowed),
        "sends_per_second_with_swept": rate(got),
        "drain_seconds": round((got[-1] - due).total_seconds(), 1),
        **lateness("lateness", rows, received),
        **exactness("", engine, ["steady"], rows, received),
        "requeued_by_sweep": drained.requeued,
        "answered_429": faults.get("429", 0),
        "answered_503": faults.get("503", 0),
        "create_requests": sum(faults.values()),
        "cpu_busy_share": busy,
        **kill,
    }


@contextmanager
def mixed_faults(double_url: str) -> Iterator[None]:
    """429 and 503 in turns (see FAULT_TURNS) until the block ends; then no faults."""
    stop = threading.Event()

    def alternate() -> None:
        with httpx.Client(base_url=double_url, trust_env=False) as control:
            double = Double(double_url, control)
            for kind in itertools.cycle(FAULT_TURNS):
                double.set_faults(fault=kind, probability=FAULT_PROBABILITY, callbacks="off")
                if stop.wait(FAULT_SLICE_SECONDS):
                    double.set_faults(callbacks="off")
                    return

    turns = threading.Thread(target=alternate, name="faults")
    turns.start()
    try:
        yield
    finally:
        stop.set()
        turns.join(10)


def kill_and_replace(pipeline: Harness, victim: Service, *, at: int) -> dict[str, Any]:
    """SIGKILL `victim` once the double has accepted `at` messages, then start a new worker."""
    deadline = time.monotonic() + 120
    while pipeline.double.accepted() < at and time.monotonic() < deadline:
        time.sleep(0.05)
    accepted = pipeline.double.accepted()
    victim.kill()
    started = time.perf_counter()
    pipeline.start_worker()
    return {
        "killed_at_accepted": accepted,
        "replacement_ready_seconds": round(time.perf_counter() - started, 1),
    }


@dataclass
class Drained:
    requeued: int = 0  # stuck claims the stand-in sweep returned
    first_sweep: datetime | None = None  # when it first returned any


def drain(engine: Engine, label: str, *, deadline: float) -> Drained:
    """Waits until no row of `label` is pending.

    Once nothing has moved for STALL_SECONDS and Redis holds no task, what is still claimed
    was lost with a killed worker or a stopped dispatcher: the sweep a dispatcher runs after
    QUEUED_STALE_AFTER or SENDING_STALE_AFTER is run now, for claims older than STUCK_CLAIM.
    """
    drained, seen, since = Drained(), Counter[str](), time.monotonic()
    while time.monotonic() < deadline:
        counts = statuses(engine, label)
        if not any(counts[status] for status in PENDING):
            break
        if counts != seen:
            seen, since = counts, time.monotonic()
        elif time.monotonic() - since > STALL_SECONDS and waiting_tasks() == 0:
            returned = return_stale_claims(
                engine, now=utc_now(), queued_after=STUCK_CLAIM, sending_after=STUCK_CLAIM
            )[0]
            if returned and drained.first_sweep is None:
                drained.first_sweep = utc_now()
            drained.requeued += returned
            since = time.monotonic()
        time.sleep(0.25)
    return drained


def rate(received_at: list[datetime]) -> float:
    """Texts per second from the first of these receipts (sorted) to the last."""
    return round(len(received_at) / (received_at[-1] - received_at[0]).total_seconds(), 1)


def lateness(name: str, rows: dict[int, datetime], received: Receipts) -> dict[str, float]:
    """p50 and p99 in ms of (first received - send_at) over the rows that were received."""
    late = [
        (received[i][0] - due).total_seconds() * 1000 for i, due in rows.items() if i in received
    ]
    if len(late) < 2:
        return {f"{name}_p50_ms": float("nan"), f"{name}_p99_ms": float("nan")}
    return {
        f"{name}_p50_ms": round(statistics.median(late), 1),
        f"{name}_p99_ms": round(percentile(late, 99), 1),
    }


def exactness(
    prefix: str, engine: Engine, labels: list[str], rows: dict[int, datetime], received: Receipts
) -> dict[str, Any]:
    """lost: never received and not `unknown` either (an unknown row is flagged for
    reconciliation, not dropped); duplicated: receipts beyond a row's first; unfinished: rows
    still pending when the wait ended; early: received before its send_at."""
    counts = sum((statuses(engine, label) for label in labels), Counter[str]())
    unknown = set[int]().union(
        *(ids_with_status(engine, label, MessageStatus.UNKNOWN) for label in labels)
    )
    pending = set[int]().union(*(ids_with_status(engine, label, *PENDING) for label in labels))
    missing = {i for i in rows if i not in received}
    return {
        f"{prefix}lost": len(missing - unknown - pending),
        f"{prefix}duplicated": sum(len(received[i]) - 1 for i in rows if i in received),
        f"{prefix}unknown": len(unknown),
        f"{prefix}unknown_received": len(unknown - missing),
        f"{prefix}unfinished": len(pending),
        f"{prefix}early": sum(1 for i, due in rows.items() if received.get(i, [due])[0] < due),
        f"{prefix}statuses": dict(sorted(counts.items())),
    }


def timeliness_phase(
    engine: Engine, pipeline: Harness, patients: Patients, dispatcher: Service
) -> dict[str, Any]:
    pipeline.double.reset()
    start, step = utc_now() + LEAD, timedelta(seconds=SPREAD_SECONDS / SPREAD_MESSAGES)
    due = [start + number * step for number in range(SPREAD_MESSAGES)]
    spread = add_replies(engine, patients, label="spread", due=due, now=utc_now())
    burst_due = start + BURST_AT
    burst = add_replies(
        engine, patients, label="burst", due=[burst_due] * BURST_MESSAGES, now=utc_now()
    )
    outage = pause(pipeline, dispatcher, at=start + PAUSE_AT)
    sleep_until(start + timedelta(seconds=SPREAD_SECONDS))
    requeued = drain(engine, "spread", deadline=time.monotonic() + 60).requeued
    requeued += drain(engine, "burst", deadline=time.monotonic() + 10).requeued
    received = receipts(pipeline.double)
    return {
        "timely_requeued_by_sweep": requeued,
        **timing(spread, burst, burst_due, outage, received),
        **exactness("timely_", engine, ["spread", "burst"], spread | burst, received),
    }


@dataclass(frozen=True)
class Outage:
    stopped: datetime
    restarted: datetime  # the new dispatcher process was started
    ticking: datetime  # ... and said it was ticking


def pause(pipeline: Harness, dispatcher: Service, *, at: datetime) -> Outage:
    """Stops the dispatcher at `at` and starts a new one PAUSE later."""
    sleep_until(at)
    dispatcher.stop()
    stopped = utc_now()
    sleep_until(stopped + PAUSE)
    restarted = utc_now()
    pipeline.start_dispatcher(TICK_SECONDS)
    return Outage(stopped, restarted, utc_now())


def timing(
    spread: dict[int, datetime],
    burst: dict[int, datetime],
    burst_due: datetime,
    outage: Outage,
    received: Receipts,
) -> dict[str, Any]:
    """Burst drain: from its due instant to its last message received. Catch-up: from the
    restart to the last message held up by the outage (due before the restart, received after).
    Steady lateness: the uniform load alone, the spread rows due before the burst. Reported
    besides: the spread rows outside the outage and its catch-up, and all of them.
    """
    stopped, restarted = outage.stopped, outage.restarted
    burst_drain = max(received[i][0] for i in burst if i in received) - burst_due
    backlog = [
        received[i][0]
        for i, due in spread.items()
        if due <= restarted and received.get(i, [due])[0] > restarted
    ]
    catch_up = max(backlog) - restarted if backlog else timedelta(0)
    outage_from, outage_to = stopped - timedelta(seconds=TICK_SECONDS), restarted + catch_up
    steady = {i: due for i, due in spread.items() if due < burst_due}
    unpaused = {i: due for i, due in spread.items() if not outage_from <= due <= outage_to}
    return {
        **lateness("steady", steady, received),
        "steady_messages": len(steady),
        **lateness("spread_unpaused", unpaused, received),
        **lateness("spread_all", spread, received),
        **lateness("burst", burst, received),
        "burst_drain_seconds": round(burst_drain.total_seconds(), 2),
        "backlog_messages": len(backlog),
        "catch_up_seconds": round(catch_up.total_seconds(), 2),
        "dispatcher_start_seconds": round((outage.ticking - restarted).total_seconds(), 2),
    }


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat (Linux)."""
    with open("/proc/stat") as stat:
        ticks = [int(field) for field in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return sum(ticks) - idle, sum(ticks)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """How busy the machine's CPUs were between two readings, 0 to 1 (everyone's work)."""
    return round((after[0] - before[0]) / max(1, after[1] - before[1]), 2)


def sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - utc_now()).total_seconds()))


def verdicts(figures: dict[str, Any]) -> dict[str, Any]:
    met = {
        "sends_per_second_met": figures["sends_per_second"] >= TARGETS["sends_per_second"],
        "ratio_met": figures["ratio"] >= TARGETS["ratio"],
        "lost_met": all(figures[f"{p}{n}"] == 0 for p in ("", "timely_") for n in UNSENT),
        "duplicated_met": figures["duplicated"] == figures["timely_duplicated"] == 0,
        "steady_p99_met": figures["steady_p99_ms"] <= TARGETS["steady_p99_ms"],
        "burst_drain_met": figures["burst_drain_seconds"] <= TARGETS["burst_drain_seconds"],
        "catch_up_met": figures["catch_up_seconds"] <= TARGETS["catch_up_seconds"],
    }
    return {"targets": TARGETS, **met, "all_met": all(met.values())}


def describe(f: dict[str, Any]) -> list[str]:
    return [
        f"machine: {f['platform']}, {f['cpu_count']} CPUs, Python {f['python']}, {f['database']}, "
        f"Redis {f['redis']}, load average {f['load_average_1m']} at start",
        f"pipeline: triggerpoint dispatcher (tick {TICK_SECONDS} s), Redis, 2 x triggerpoint "
        "worker, the real twilio client, triggerpoint fake-twilio",
        f"throughput: {MESSAGES} replies due at once; faults 429 x {f['answered_429']}, "
        f"503 x {f['answered_503']} of {f['create_requests']} creates (turns of one kind at a "
        f"time); worker killed at {f['killed_at_accepted']} accepted, replacement ready in "
        f"{f['replacement_ready_seconds']} s; CPUs {f['cpu_busy_share']:.0%} busy meanwhile",
        f"  {f['sends_per_second']} sends/s ({f['sends_per_second_with_swept']} to the last swept "
        f"text), all sent in {f['drain_seconds']} s; lateness p50 "
        f"{f['lateness_p50_ms'] / 1000:.1f} s p99 {f['lateness_p99_ms'] / 1000:.1f} s",
        f"  lost {f['lost']}, duplicated {f['duplicated']}, unfinished {f['unfinished']}, "
        f"unknown {f['unknown']} "
        f"({f['unknown_received']} of them at the double), returned by the sweep "
        f"{f['requeued_by_sweep']}; final statuses {f['statuses']}",
        f"  plain loop of the twilio client: {f['plain_sends_per_second']} sends/s (the mean of "
        f"{f['plain_sends_per_second_before']} before the phases and "
        f"{f['plain_sends_per_second_after']} after them); ratio {f['ratio']}",
        f"timeliness: {SPREAD_MESSAGES} over {SPREAD_SECONDS:.0f} s, {BURST_MESSAGES} due at "
        f"+{BURST_AT.seconds} s, dispatcher down from +{PAUSE_AT.seconds} s for "
        f"{PAUSE.seconds} s; no faults",
        f"  steady lateness (the {f['steady_messages']} spread messages due before the burst) "
        f"p50 {f['steady_p50_ms']} ms p99 {f['steady_p99_ms']} ms; all spread outside the "
        f"outage p99 {f['spread_unpaused_p99_ms']} ms; all spread p99 {f['spread_all_p99_ms']} ms",
        f"  burst drained in {f['burst_drain_seconds']} s (lateness p50 {f['burst_p50_ms']} ms); "
        f"catch-up {f['catch_up_seconds']} s for {f['backlog_messages']} held-up messages "
        f"(the new dispatcher ticked {f['dispatcher_start_seconds']} s after its start)",
        f"  lost {f['timely_lost']}, duplicated {f['timely_duplicated']}, unfinished "
        f"{f['timely_unfinished']}, unknown {f['timely_unknown']}, early {f['timely_early']}, "
        f"returned by the sweep {f['timely_requeued_by_sweep']}",
        "targets: "
        + "; ".join(f"{name} {yes(f[f'{name}_met'])}" for name in TARGET_NAMES)
        + f"; run took {f['total_seconds']} s",
    ]


UNSENT = ("lost", "unfinished")
TARGET_NAMES = (
    "sends_per_second",
    "ratio",
    "lost",
    "duplicated",
    "steady_p99",
    "burst_drain",
    "catch_up",
)


if __name__ == "__main__":
    main()

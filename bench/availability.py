"""How fast the front desk's "find a time" answers at a busy clinic, on SQLite and PostgreSQL.

The clinic comes from `bench.clinic_fixture`: 50 practitioners, 30 days about 60% booked, New York
falling back from daylight time on 1 November 2026 inside the window. Per backend this measures
`find_open_slots` for dry-needling-30 + massage-60 over the 30 days, each call in a fresh session
as a request would have; the bare query that loads the booked time, the floor no search can beat
(timed in turns with the search); and the SQL statements one call issues with 50 and with 10
practitioners, which must be the same (and, apart, the first call's, which also reads the
catalogue). Prints a summary, then every figure as one JSON object.

Run: .venv/bin/python -m bench.availability
"""

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Engine, event

from bench.clinic_fixture import TIME_ZONE, ClinicFixture, build_clinic
from bench.databases import BackendUnavailable, database
from scheduler.core import db
from scheduler.core.policy import Policy
from scheduler.scheduling.availability import PartRequest, Slot
from scheduler.scheduling.slots import find_open_slots

NOW = datetime(2026, 10, 18, 12, tzinfo=UTC)
FIRST_DAY = date(2026, 10, 19)  # to 17 November; the clocks fall back on Sunday 1 November
DAYS = 30
PARTS = (PartRequest("dry-needling-30"), PartRequest("massage-60"))
POLICY = Policy(horizon=timedelta(days=120))  # reaches past the window, so all 30 days count
PRACTITIONERS, FEW_PRACTITIONERS = 50, 10
WARMUP, RUNS = 5, 40
SEED = 20261101
TARGET_P95_MS, TARGET_RATIO = 50.0, 3.0
BACKENDS = ("sqlite", "postgresql")


@dataclass
class Result:
    version: str
    appointments: int
    booked_share: float
    fixture_seconds: float
    slots: int
    p50_ms: float
    p95_ms: float
    statements: int
    statements_10_practitioners: int
    statements_first_call: int  # with the catalogue read: once per process and admin change
    statement_kinds: list[str]
    bare_query_ms: float
    bare_query_rows: int
    ratio: float


def main() -> None:
    started = time.perf_counter()
    figures: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2),  # other work on the machine skews times
    }
    lines = [
        f"machine: {figures['platform']}, {figures['cpu_count']} CPUs, Python {figures['python']}, "
        f"load average {figures['load_average_1m']} at start",
        f"search: {' + '.join(p.service for p in PARTS)}, {DAYS} days from {FIRST_DAY} "
        f"({TIME_ZONE}, DST ends 2026-11-01); {RUNS} timed calls after {WARMUP} warm-up, "
        "a fresh session per call, in turns with the bare query",
    ]
    for backend in BACKENDS:
        try:
            result = measure(backend)
        except BackendUnavailable as error:
            lines.append(f"{backend}: skipped, {error}")
            figures[f"{backend}_skipped"] = str(error)
            continue
        lines.extend(describe(backend, result))
        figures |= {f"{backend}_{name}": value for name, value in asdict(result).items()}
    figures |= verdicts(figures)
    figures["total_seconds"] = round(time.perf_counter() - started, 1)
    lines.append(targets_line(figures))
    print("\n".join(lines))
    print(json.dumps(figures))


def measure(backend: str) -> Result:
    with database(backend, str(PRACTITIONERS)) as engine:
        started = time.perf_counter()
        fixture = build_clinic_in(engine, PRACTITIONERS)
        fixture_seconds = time.perf_counter() - started
        search = partial(find_slots, engine, fixture.location_id)
        bare_query = partial(fetch_busy_rows, engine, captured_busy_query(engine, search))
        slots, rows = len(search()), bare_query()
        calls, bare = timed(search, bare_query)
        statements = statements_issued(engine, search)
        version = server_version(engine)
    with database(backend, str(FEW_PRACTITIONERS)) as engine:
        few = build_clinic_in(engine, FEW_PRACTITIONERS)
        search_few = partial(find_slots, engine, few.location_id)
        # The first search in a process also reads the clinic's catalogue into memory.
        first_call = statements_issued(engine, search_few)
        statements_few = statements_issued(engine, search_few)
    return Result(
        version=version,
        appointments=fixture.appointments,
        booked_share=round(fixture.booked_share, 3),
        fixture_seconds=round(fixture_seconds, 1),
        slots=slots,
        p50_ms=round(statistics.median(calls), 2),
        p95_ms=round(percentile(calls, 95), 2),
        statements=len(statements),
        statements_10_practitioners=len(statements_few),
        statements_first_call=len(first_call),
        statement_kinds=[kind(statement) for statement, _ in statements],
        bare_query_ms=round(statistics.median(bare), 2),
        bare_query_rows=rows,
        ratio=round(statistics.median(calls) / statistics.median(bare), 2),
    )


def build_clinic_in(engine: Engine, practitioners: int) -> ClinicFixture:
    with db.session(engine) as session:
        fixture = build_clinic(
            session, practitioners=practitioners, first_day=FIRST_DAY, days=DAYS, seed=SEED
        )
        session.commit()
    return fixture


def find_slots(engine: Engine, location_id: int) -> list[Slot]:
    with db.session(engine) as session:
        return find_open_slots(
            session=session,
            now=NOW,
            parts=PARTS,
            first_day=FIRST_DAY,
            days=DAYS,
            location_id=location_id,
            policy=POLICY,
        )


def captured_busy_query(engine: Engine, search: Callable[[], object]) -> tuple[str, Any]:
    """The exact SQL and parameters a search used to load booked time."""
    for statement, parameters in statements_issued(engine, search):
        if "FROM appointment" in statement and "busy_until" in statement:
            return statement, parameters
    raise LookupError("the search issued no busy-interval query")


def fetch_busy_rows(engine: Engine, query: tuple[str, Any]) -> int:
    """The busy query itself, through the bare driver and fully fetched: a search's floor."""
    with engine.connect() as connection:
        return len(connection.exec_driver_sql(*query).fetchall())


def timed(*calls: Callable[[], object]) -> list[list[float]]:
    """Milliseconds of RUNS runs of each call, after WARMUP untimed ones.

    The calls take turns, so a burst of other work on the machine slows them alike and their
    ratio stays honest.
    """
    for _ in range(WARMUP):
        for call in calls:
            call()
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(RUNS):
        for call, times in zip(calls, samples, strict=True):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], rank: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[rank - 1]


def statements_issued(engine: Engine, call: Callable[[], object]) -> list[tuple[str, Any]]:
    """Every statement (with parameters) sent during `call`, transaction control included."""
    statements: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        statements.append((args[2], args[3]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def kind(statement: str) -> str:
    """'SELECT location' for a query on the location table, 'BEGIN' for BEGIN."""
    words = statement.split()
    if words[0].upper() != "SELECT" or "FROM" not in words:
        return words[0].upper()
    return f"SELECT {words[words.index('FROM') + 1]}"


def server_version(engine: Engine) -> str:
    info = ".".join(str(part) for part in engine.dialect.server_version_info or ())
    return f"{engine.dialect.name} {info}"


def describe(backend: str, result: Result) -> list[str]:
    return [
        f"{backend} ({result.version}): {result.appointments} appointments, "
        f"{result.booked_share:.0%} of working time booked, built in {result.fixture_seconds} s; "
        f"{result.slots} open slots found",
        f"  find_open_slots  p50 {result.p50_ms:.1f} ms  p95 {result.p95_ms:.1f} ms",
        f"  bare busy query  p50 {result.bare_query_ms:.1f} ms ({result.bare_query_rows} rows); "
        f"ratio {result.ratio:.1f}",
        f"  statements per call: {result.statements} with {PRACTITIONERS} practitioners, "
        f"{result.statements_10_practitioners} with {FEW_PRACTITIONERS}: "
        f"{', '.join(result.statement_kinds)}; the first call in a process "
        f"{result.statements_first_call} (it reads the catalogue)",
    ]


def verdicts(figures: dict[str, Any]) -> dict[str, Any]:
    """Each target per backend, and overall: met only if every backend ran and met it."""
    verdict: dict[str, Any] = {"target_p95_ms": TARGET_P95_MS, "target_ratio": TARGET_RATIO}
    for backend in BACKENDS:
        if f"{backend}_skipped" in figures:
            continue
        verdict[f"{backend}_p95_met"] = figures[f"{backend}_p95_ms"] <= TARGET_P95_MS
        verdict[f"{backend}_ratio_met"] = figures[f"{backend}_ratio"] <= TARGET_RATIO
        verdict[f"{backend}_statements_independent"] = (
            figures[f"{backend}_statements"] == figures[f"{backend}_statements_10_practitioners"]
        )
    for target in ("p95_met", "ratio_met", "statements_independent"):
        verdict[target] = all(verdict.get(f"{backend}_{target}", False) for backend in BACKENDS)
    return verdict


def targets_line(figures: dict[str, Any]) -> str:
    skipped = [backend for backend in BACKENDS if f"{backend}_skipped" in figures]
    return (
        f"targets: p95 <= {TARGET_P95_MS:.0f} ms on both: {yes(figures['p95_met'])}; "
        f"ratio <= {TARGET_RATIO:.0f} on both: {yes(figures['ratio_met'])}; statement count "
        f"independent of practitioners: {yes(figures['statements_independent'])}"
        + (f" (not shown on both: {', '.join(skipped)} skipped)" if skipped else "")
        + f"; run took {figures['total_seconds']} s"
    )


def yes(met: bool) -> str:
    return "met" if met else "NOT met"


if __name__ == "__main__":
    main()

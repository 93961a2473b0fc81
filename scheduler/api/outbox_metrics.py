"""Figures for Prometheus, read from the database when scraped.

The outbox already holds what operators ask about (messages by status, how late texts leave,
which Twilio errors came back), so every web process reports the same numbers no matter which
worker sent what. Only booking conflicts, which leave no row behind, are counted in-process.
"""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from prometheus_client import Counter
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from scheduler.models import Message, MessageStatus, Visit

LATENESS_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 15.0, 60.0, 300.0, 900.0)
LATENESS_WINDOW = timedelta(hours=1)
LATENESS_SAMPLE = 20_000  # the newest texts of the window, to bound a scrape's cost

BOOKING_CONFLICTS = Counter(
    "triggerpoint_booking_conflicts", "Bookings refused because the time was taken meanwhile"
)


class OutboxCollector(Collector):
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        with Session(self.engine) as session:
            yield _bookings(session)
            yield _messages_by_status(session)
            yield _dispatcher_lag(session, now)
            yield _send_lateness(session, now)
            yield _twilio_errors(session)


def _bookings(session: Session) -> Metric:
    family = CounterMetricFamily(
        "triggerpoint_bookings", "Visits booked, by their status now", labels=["status"]
    )
    for status, count in session.exec(
        select(Visit.status, func.count()).group_by(col(Visit.status))
    ):
        family.add_metric([str(status)], count)
    return family


def _messages_by_status(session: Session) -> Metric:
    family = GaugeMetricFamily(
        "triggerpoint_messages", "Outbound texts by status", labels=["status"]
    )
    counts = dict(
        session.exec(select(Message.status, func.count()).group_by(col(Message.status))).all()
    )
    for status in MessageStatus:
        family.add_metric([status.value], counts.get(status, 0))
    return family


def _dispatcher_lag(session: Session, now: datetime) -> Metric:
    oldest_due = session.exec(
        select(func.min(Message.send_at)).where(
            Message.status == MessageStatus.SCHEDULED, col(Message.send_at) <= now
        )
    ).one()
    lag = (now - oldest_due).total_seconds() if oldest_due else 0.0
    return GaugeMetricFamily(
        "triggerpoint_dispatcher_lag_seconds",
        "How long the oldest due text has waited to be handed to a worker",
        value=lag,
    )


def _send_lateness(session: Session, now: datetime) -> Metric:
    rows = session.exec(
        select(Message.send_at, Message.sent_at)
        .where(col(Message.sent_at) >= now - LATENESS_WINDOW)
        .order_by(col(Message.sent_at).desc())
        .limit(LATENESS_SAMPLE)
    ).all()
    lateness = [max(0.0, (sent - due).total_seconds()) for due, sent in rows if sent]
    buckets = [
        (str(bound), sum(1 for seconds in lateness if seconds <= bound))
        for bound in LATENESS_BUCKETS
    ]
    return HistogramMetricFamily(
        "triggerpoint_send_lateness_seconds",
        "From a text's due time to Twilio accepting it, over the last hour",
        buckets=[*buckets, ("+Inf", len(lateness))],
        sum_value=sum(lateness),
    )


def _twilio_errors(session: Session) -> Metric:
    family = GaugeMetricFamily(
        "triggerpoint_twilio_errors",
        "Texts whose last gateway answer was an error, by Twilio error code",
        labels=["code"],
    )
    for code, count in session.exec(
        select(Message.error_code, func.count())
        .where(col(Message.error_code).is_not(None))
        .group_by(col(Message.error_code))
    ):
        family.add_metric([str(code)], count)
    return family

"""What operators watch: liveness, readiness, Prometheus metrics and log lines."""

import json
import logging

import httpx
from sqlalchemy import Engine

from scheduler.core import db
from scheduler.core.logs import JsonLines
from scheduler.core.settings import Settings
from tests.factories import assessed_patient, book, make_clinic, next_weekday
from tests.twilio_fixtures import served
from tests.web_fixtures import serve_app

NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def get(engine: Engine, path: str, settings: Settings, **headers: str) -> httpx.Response:
    _app, server = serve_app(engine, settings)
    with served(server) as url:
        return httpx.get(f"{url}{path}", headers=headers, timeout=10)


def test_it_is_live_before_anything_else(engine: Engine, redis_url: str) -> None:
    response = get(engine, "/healthz", Settings(broker_url=NOWHERE))
    assert response.status_code == 200


def test_it_is_ready_when_the_database_and_the_broker_answer(
    engine: Engine, redis_url: str
) -> None:
    response = get(engine, "/readyz", Settings(broker_url=redis_url))
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": True, "broker": True}}


def test_it_is_not_ready_without_its_broker_and_says_so(engine: Engine) -> None:
    response = get(engine, "/readyz", Settings(broker_url=NOWHERE))
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "broker": False}


def test_the_embedded_broker_is_ready_with_nothing_running(
    engine: Engine, tmp_path: object
) -> None:
    settings = Settings(broker_url="filesystem://", broker_folder=str(tmp_path))
    assert get(engine, "/readyz", settings).status_code == 200


def test_metrics_count_visits_and_texts_by_status(engine: Engine) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        clinic = make_clinic(session)
        book(
            session, assessed_patient(session, clinic), clinic.at(next_weekday(1), 10), "massage-60"
        )
    text = get(engine, "/metrics", Settings()).text
    assert 'triggerpoint_bookings_total{status="booked"} 1.0' in text
    assert 'triggerpoint_messages{status="scheduled"}' in text
    assert "triggerpoint_dispatcher_lag_seconds" in text
    assert "triggerpoint_send_lateness_seconds_bucket" in text
    assert "triggerpoint_booking_conflicts_total" in text


def test_metrics_want_the_token_when_one_is_set(engine: Engine) -> None:
    settings = Settings(metrics_token="scrape-secret")
    assert get(engine, "/metrics", settings).status_code == 401
    assert get(engine, "/metrics", settings, Authorization="Bearer wrong").status_code == 401
    allowed = get(engine, "/metrics", settings, Authorization="Bearer scrape-secret")
    assert allowed.status_code == 200


def test_json_log_lines_carry_the_fields_given_and_nothing_else() -> None:
    record = logging.makeLogRecord(
        {"name": "workers.delivery", "levelname": "INFO", "msg": "message %d accepted"}
    )
    record.args = (42,)
    record.message_id = 42
    record.to = "+1212555****"
    line = json.loads(JsonLines().format(record))
    assert line["message"] == "message 42 accepted"
    assert line["message_id"] == 42
    assert line["to"] == "+1212555****"
    assert set(line) == {"at", "level", "logger", "message", "message_id", "to"}

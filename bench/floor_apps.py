"""The least a text or a booking can cost on this stack, for bench.stack_floor: the libraries and
services Triggerpoint runs on, with none of its rules, models or statements.

`celery` is the app `triggerpoint worker` runs, configured and started the same way, with two
tasks of its own: `send_only` hands a text to the real twilio client and nothing else;
`claim_send_record` also claims its outbox row and records the answer, one statement each in
autocommit mode, the fewest a text can cost without losing or repeating it. `create_web` makes
an app with a no-op GET /healthz, as the product's, and POST /visits, which stores one row in
one statement; it is served as `triggerpoint serve` serves ours.

Run: python -m bench.floor_apps worker | python -m bench.floor_apps web PORT PROCESSES
"""

import sys
import threading
from functools import cache
from typing import Any

import psycopg
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy.engine import make_url

from scheduler.app.serving import serve
from scheduler.core.logs import configure_logging
from scheduler.core.settings import get_settings
from workers.celery_app import make_app
from workers.cli import CONCURRENCY, run_worker
from workers.tasks import gateway

TO, BODY = "+12125550100", "Riverside Physio: thank you, the front desk will get back to you."
CLAIM = (
    "UPDATE message SET status = 'sending', attempts = attempts + 1"
    " WHERE id = %s AND status = 'queued' RETURNING to_phone"
)
RECORD = "UPDATE message SET status = 'sent', provider_sid = %s WHERE id = %s"
FLOOR_VISIT = "floor_visit"
STORE_VISIT = f"INSERT INTO {FLOOR_VISIT} (patient_id, start) VALUES (%s, %s) RETURNING id"

celery = make_app()
_connections = threading.local()


@cache
def database_url() -> str:
    """The configured database as libpq takes it."""
    url = make_url(get_settings().database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def connection() -> psycopg.Connection[Any]:
    """One autocommit connection per thread, kept for the thread's life."""
    if not hasattr(_connections, "open"):
        _connections.open = psycopg.connect(database_url(), autocommit=True)
    return _connections.open  # type: ignore[no-any-return]


@celery.task(name="floor.send_only")
def send_only(message_id: int) -> None:
    gateway().send(to=TO, body=BODY, message_id=message_id)


@celery.task(name="floor.claim_send_record")
def claim_send_record(message_id: int) -> None:
    claimed = connection().execute(CLAIM, (message_id,)).fetchone()
    if claimed is None:
        return
    accepted = gateway().send(to=claimed[0], body=BODY, message_id=message_id)
    connection().execute(RECORD, (accepted.sid, message_id))


class VisitRequest(BaseModel):
    patient_id: int
    start: str


def create_web() -> FastAPI:
    web = FastAPI()

    @web.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @web.post("/visits", status_code=201)
    def store_visit(visit: VisitRequest) -> dict[str, int]:
        stored = connection().execute(STORE_VISIT, (visit.patient_id, visit.start)).fetchone()
        return {"id": stored[0] if stored else 0}

    return web


if __name__ == "__main__":
    configure_logging(get_settings())
    if sys.argv[1] == "worker":
        run_worker(celery, CONCURRENCY)
    else:
        port, processes = int(sys.argv[2]), int(sys.argv[3])
        serve(host="127.0.0.1", port=port, workers=processes, app="bench.floor_apps:create_web")

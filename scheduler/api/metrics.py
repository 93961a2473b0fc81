"""Prometheus metrics at /metrics: outbox figures from the database, conflicts in-process.

With several web processes, set PROMETHEUS_MULTIPROC_DIR so their conflict counts add up.
"""

import os
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine

from scheduler.api.auth import PUBLIC
from scheduler.api.deps import SettingsDep, engine
from scheduler.api.outbox_metrics import BOOKING_CONFLICTS, OutboxCollector
from scheduler.core.clock import utc_now
from scheduler.core.errors import NotSignedIn

router = APIRouter(tags=["operations"], dependencies=[PUBLIC])


@router.get("/metrics", response_class=Response)
def metrics(
    request: Request, settings: SettingsDep, database: Annotated[Engine, Depends(engine)]
) -> Response:
    """Open unless TRIGGERPOINT_METRICS_TOKEN is set; then it wants that bearer token."""
    if settings.metrics_token:
        offered = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not secrets.compare_digest(offered.encode(), settings.metrics_token.encode()):
            raise NotSignedIn("The metrics token is missing or wrong.", code="bad_token")
    registry = CollectorRegistry()
    registry.register(OutboxCollector(database, utc_now))
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(BOOKING_CONFLICTS)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

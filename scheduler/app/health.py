"""Liveness and readiness for process managers and load balancers."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from scheduler.api.auth import PUBLIC
from scheduler.api.deps import SettingsDep, engine
from scheduler.app.broker import broker_answers
from scheduler.core.db import database_answers

router = APIRouter(tags=["operations"], dependencies=[PUBLIC])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """200 as soon as the process serves requests. On the event loop, like its policy, so that
    it answers even while every worker thread is busy with a request."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(settings: SettingsDep, database: Annotated[Engine, Depends(engine)]) -> JSONResponse:
    """200 when the database and the broker both answer; 503 naming what does not."""
    checks = {"database": database_answers(database), "broker": broker_answers(settings)}
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )

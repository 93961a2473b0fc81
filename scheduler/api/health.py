"""Liveness for process managers and load balancers."""

from fastapi import APIRouter

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """200 as soon as the process serves requests."""
    return {"status": "ok"}

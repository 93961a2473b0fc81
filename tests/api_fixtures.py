"""The JSON API over real HTTP with the clock at CURRENT_TIME, and helpers to set the scene."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from scheduler.core import db
from scheduler.core.clock import utc_now
from tests.factories import CURRENT_TIME
from tests.web_fixtures import Web


@pytest.fixture
def api(web: Web) -> Web:
    """The served app, its clock frozen where the factories' data expect it."""
    web.app.dependency_overrides[utc_now] = lambda: CURRENT_TIME
    return web


@contextmanager
def scene(web: Web) -> Iterator[Session]:
    """A committed transaction on the served database, for arranging a test."""
    with db.booking_session(web.engine) as session, db.transaction(session):
        yield session


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The error object of an API error response, checked for its one shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "field"}, body
    return dict(body["error"])

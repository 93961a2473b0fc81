"""The pages served over real HTTP with the clinic's clock stopped, and helpers that read like
what staff do in a browser."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.models import AuditEntry
from tests.factories import CURRENT_TIME, open_session
from tests.web_fixtures import Web


@pytest.fixture
def pages(web: Web) -> Web:
    """The web app at CURRENT_TIME: Monday 23 November 2026, 07:00 in New York."""
    web.app.dependency_overrides[utc_now] = lambda: CURRENT_TIME
    return web


def at(web: Web, moment: datetime) -> None:
    """The web app's clock stopped at `moment`."""
    web.app.dependency_overrides[utc_now] = lambda: moment


@contextmanager
def clinic_data(web: Web) -> Iterator[Session]:
    """A committed change to the clinic's data, as if made elsewhere."""
    with open_session(web.engine) as session, db.transaction(session):
        yield session


def submit(web: Web, client: httpx.Client, path: str, **fields: Any) -> httpx.Response:
    """Post a form the way the page does, with the session's CSRF token."""
    return client.post(path, data={"csrf_token": web.csrf_token(client), **fields})


def audit_actions(web: Web) -> list[tuple[str, str]]:
    with db.session(web.engine) as session:
        entries = session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))
        return [(entry.action, entry.subject) for entry in entries]

"""The web app served over real HTTP, with a signed-in member of staff for each role."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from scheduler.api.deps import engine as engine_dependency
from scheduler.app.web_app import create_app
from scheduler.core import db
from scheduler.core.settings import Settings, get_settings
from scheduler.models import LoginSession, Role
from scheduler.staff.accounts import PASSWORDS, add_user, digest
from tests.factories import CURRENT_TIME, Clinic, make_clinic
from tests.twilio_fixtures import served

PASSWORD = "correct horse battery"


@dataclass
class Member:
    name: str
    role: Role
    api_token: str
    user_id: int
    practitioner_id: int | None = None


@dataclass
class Web:
    url: str
    engine: Engine
    app: FastAPI
    clinic: Clinic
    staff: dict[str, Member] = field(default_factory=dict)

    def client(self, **kwargs: object) -> httpx.Client:
        # A page may take seconds on a loaded CI machine; a hang still fails after 30.
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    def api(self, who: str) -> httpx.Client:
        """A client using `who`'s API token."""
        return self.client(headers={"Authorization": f"Bearer {self.staff[who].api_token}"})

    @contextmanager
    def browser(self, who: str) -> Iterator[httpx.Client]:
        """A client signed in through the sign-in form, holding a session cookie."""
        with self.client() as client:
            response = client.post("/login", data={"name": who, "password": PASSWORD})
            assert response.status_code == 303, response.text
            yield client

    def csrf_token(self, client: httpx.Client) -> str:
        """The CSRF token of the client's browser session, as its pages carry it."""
        key_hash = digest(client.cookies["tp_session"])
        with db.session(self.engine) as session:
            return session.get_one(LoginSession, key_hash).csrf_token


def add_staff(engine: Engine, clinic: Clinic) -> dict[str, Member]:
    """An admin, a front desk and two practitioners (Dana and Lena), all with PASSWORD."""
    wanted = [
        ("ada", Role.ADMIN, None),
        ("frank", Role.FRONT_DESK, None),
        ("dana", Role.PRACTITIONER, clinic.dana.id),
        ("lena", Role.PRACTITIONER, clinic.lena.id),
    ]
    staff = {}
    with db.booking_session(engine) as session, db.transaction(session):
        for name, role, practitioner_id in wanted:
            created = add_user(
                session, name=name, role=role, now=CURRENT_TIME, practitioner_id=practitioner_id
            )
            created.user.password_hash = password_hash()
            staff[name] = Member(
                name, role, created.api_token, created.user.id or 0, practitioner_id
            )
    return staff


@cache
def password_hash() -> str:
    """One argon2 hash of PASSWORD for every staff account a test process makes: a hash costs
    about 0.4 s by design, and each web test makes six accounts. Signing in still verifies it."""
    return PASSWORDS.hash(PASSWORD)


def serve_app(engine: Engine, settings: Settings | None = None) -> tuple[FastAPI, uvicorn.Server]:
    app = create_app()
    app.dependency_overrides[engine_dependency] = lambda: engine
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    return app, server


@contextmanager
def serve_clinic(engine: Engine) -> Iterator[Web]:
    """The app served over the engine's database, holding the factories' clinic and staff."""
    with db.booking_session(engine) as session, db.transaction(session):
        clinic = make_clinic(session)
    staff = add_staff(engine, clinic)
    app, server = serve_app(engine)
    with served(server) as url:
        yield Web(url=url, engine=engine, app=app, clinic=clinic, staff=staff)


@pytest.fixture
def web(engine: Engine) -> Iterator[Web]:
    with serve_clinic(engine) as served_clinic:
        yield served_clinic

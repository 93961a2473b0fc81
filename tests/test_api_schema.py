"""Schemathesis throws generated requests, valid and invalid, at every operation of the served API
as an admin, against a seeded clinic on each backend: no input may cause a server error, and
every answer must match the documented status codes, content type and response schema, and
input that breaks the schema must be refused."""

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from scheduler.app.web_app import create_app
from scheduler.core.clock import utc_now
from scheduler.core.db import make_engine
from scheduler.patients.replies import receive_text
from tests.api_fixtures import scene
from tests.conftest import BACKENDS, empty_tables
from tests.factories import CURRENT_TIME, POLICY, assessed_patient, book, make_patient, next_weekday
from tests.web_fixtures import Web, serve_clinic

# Examples per operation and generation mode; about 30 s per backend on a 2-core machine.
MAX_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
schema = schemathesis.openapi.from_dict(create_app().openapi()).include(path_regex="^/api/")


@pytest.fixture(scope="module", params=BACKENDS)
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Web]:
    """One served clinic per backend for every operation of the module."""
    engine = module_database(request, tmp_path_factory.mktemp("schema"))
    with serve_clinic(engine) as web:
        web.app.dependency_overrides[utc_now] = lambda: CURRENT_TIME
        seed(web)
        yield web
    engine.dispose()


def module_database(request: pytest.FixtureRequest, folder: Path) -> Engine:
    if request.param == "sqlite":
        path = folder / "triggerpoint.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return make_engine(f"sqlite:///{path}")
    engine = make_engine(request.getfixturevalue("postgres_url"))
    empty_tables(engine)
    return engine


def seed(web: Web) -> None:
    """Ids 1 and 2 of most things exist, so generated requests reach past "not found"."""
    tuesday = next_weekday(1)
    with scene(web) as session:
        alex = assessed_patient(session, web.clinic)
        bea = make_patient(session, intake=True, flags=["pregnancy"])
        book(session, alex, web.clinic.at(tuesday, 9), "dry-needling-30", "massage-60")
        book(session, bea, web.clinic.at(tuesday, 14), "massage-30")
        for minute, (patient, text) in enumerate(((alex, "Help?"), (bea, "8"))):
            receive_text(
                session,
                sid=f"SM{minute:032d}",
                from_phone=patient.phone,
                body=text,
                now=CURRENT_TIME + timedelta(minutes=minute),
                policy=POLICY,
            )


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests on every run, so CI stays reproducible
    suppress_health_check=list(HealthCheck),
)
def test_it_answers_every_generated_request_without_a_server_error(
    case: Case[Any], fuzzed: Web
) -> None:
    case.call_and_validate(
        base_url=fuzzed.url,
        headers={"Authorization": f"Bearer {fuzzed.staff['ada'].api_token}"},
        checks=CHECKS,
    )

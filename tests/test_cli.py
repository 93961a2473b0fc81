"""The command line, run as a clinic's IT person would: a real process on a real database."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.core.db import make_engine
from scheduler.models import Role
from scheduler.staff.accounts import sign_in, token_user

pytestmark = pytest.mark.processes

TRIGGERPOINT = Path(sys.executable).with_name("triggerpoint")


def run(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {"TRIGGERPOINT_DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run(
        [str(TRIGGERPOINT), *args],
        check=False,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("cli") / "demo.sqlite3"
    seeded = run(database, "seed", "--demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "Seeded the demo clinic." in seeded.stdout
    return database


def test_it_upgrades_an_empty_database(tmp_path: Path) -> None:
    result = run(tmp_path / "new.sqlite3", "db", "upgrade")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new.sqlite3").exists()


def test_it_seeds_only_once(demo_database: Path) -> None:
    again = run(demo_database, "seed", "--demo")

    assert "already holds a clinic" in again.stdout


def test_it_lists_open_times_for_a_combined_visit(demo_database: Path) -> None:
    day = next_weekday()

    services = "dry-needling-30,massage-60"
    result = run(
        demo_database, "availability", "--services", services, "--from", day, "--days", "2"
    )

    assert result.returncode == 0, result.stderr
    assert "dry-needling-30 with" in result.stdout
    assert "massage-60 with" in result.stdout
    assert result.stdout.strip().endswith("open start(s).")


def test_it_names_an_unknown_service(demo_database: Path) -> None:
    result = run(
        demo_database, "availability", "--services", "cupping-30", "--from", next_weekday()
    )

    assert result.returncode == 2
    assert "No service 'cupping-30'" in result.stderr


def test_it_prints_a_practitioners_day(demo_database: Path) -> None:
    result = run(demo_database, "schedule", "--practitioner", "Dana", "--date", next_weekday())

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Dana Whitfield, ")


def test_it_shows_the_clinic_at_a_glance(demo_database: Path) -> None:
    result = run(demo_database, "overview")

    assert result.returncode == 0, result.stderr
    assert "First open times for dry needling" in result.stdout


def next_weekday() -> str:
    day = utc_now().date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.isoformat()


def test_user_add_prints_a_password_and_a_token_that_work(demo_database: Path) -> None:
    result = run(demo_database, "user", "add", "frank", "--role", "front_desk")
    assert result.returncode == 0, result.stderr
    printed = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    assert printed["user"] == "frank (front_desk)"
    engine = make_engine(f"sqlite:///{demo_database}")
    with db.booking_session(engine) as session:
        signed_in = sign_in(
            session, name="frank", password=printed["password"], ip="::1", now=utc_now()
        )
        assert signed_in.user.role == Role.FRONT_DESK
        assert token_user(session, printed["api token"]) == signed_in.user


def test_user_add_refuses_a_practitioner_account_without_its_practitioner(
    demo_database: Path,
) -> None:
    result = run(demo_database, "user", "add", "pat", "--role", "practitioner")
    assert result.returncode == 2
    assert "Invalid value for practitioner_id" in result.stderr

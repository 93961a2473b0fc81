"""A real browser (Debian's Chromium through Playwright) against the app served on a real port
over the demo clinic, with Maya Patel assessed; helpers to sign in, save a screenshot under
docs/screenshots/ and have axe-core check a page for serious or critical violations."""

import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright import sync_api
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.app.demo import DEMO_PASSWORD, seed_demo
from scheduler.clinic.intake import record_intake
from scheduler.clinic.patients import register_patient
from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.models import Appointment, InboundMessage, Patient, Practitioner, Visit
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.booking import book_visit
from scheduler.scheduling.slots import find_open_slots
from scheduler.scheduling.visits import complete
from tests.conftest import missing_service
from tests.factories import CURRENT_TIME, NEW_YORK, POLICY, next_weekday
from tests.twilio_fixtures import served
from tests.web_fixtures import serve_app

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
TUESDAY = next_weekday(1)
VIEWPORT = {"width": 1440, "height": 900}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}


@pytest.fixture
def demo_clinic(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """The demo clinic at CURRENT_TIME, with its staff accounts (frontdesk, dana, ...) and Maya
    Patel: intake with a flag, consent, her assessment with Dana last week and how sore she was
    the day after."""
    path = tmp_path / "demo.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = db.make_engine(f"sqlite:///{path}")
    with db.booking_session(engine) as session, db.transaction(session):
        seed_demo(
            session, now=CURRENT_TIME, time_zone="America/New_York", region="US", policy=POLICY
        )
        dana = session.exec(select(Practitioner).where(Practitioner.name == "Dana Whitfield")).one()
        assessed_maya(session, dana)
    yield engine
    engine.dispose()


def assessed_maya(session: Session, dana: Practitioner) -> Patient:
    maya = register_patient(
        session=session,
        now=CURRENT_TIME - timedelta(days=14),
        name="Maya Patel",
        phone="+12125550188",
        date_of_birth=CURRENT_TIME.date().replace(year=1979),
        region="US",
    )
    record_intake(
        session=session,
        now=CURRENT_TIME - timedelta(days=14),
        patient_id=maya.id or 0,
        conditions=["neck pain"],
        medications=["warfarin"],
        flags=["anticoagulants"],
        consent=True,
    )
    visit = book_first_open(
        session,
        patient=maya,
        service="assessment-60",
        practitioner=dana,
        day=(CURRENT_TIME - timedelta(days=7)).astimezone(NEW_YORK).date(),
        now=CURRENT_TIME - timedelta(days=10),
        days=3,
    )
    starts_at = session.exec(
        select(Appointment.starts_at).where(Appointment.visit_id == visit.id)
    ).one()
    complete(
        session=session,
        now=starts_at + timedelta(hours=1),
        visit_id=visit.id or 0,
        policy=POLICY,
    )
    session.add(  # her answer to the soreness check-in the morning after
        InboundMessage(
            provider_sid="SM-maya-soreness",
            from_phone=maya.phone,
            body="3",
            received_at=starts_at + timedelta(days=1),
            patient_id=maya.id,
            visit_id=visit.id,
            meaning="soreness",
            soreness=3,
        )
    )
    return maya


def book_first_open(
    session: Session,
    *,
    patient: Patient,
    service: str,
    practitioner: Practitioner,
    day: date,
    now: datetime = CURRENT_TIME,
    days: int = 1,
) -> Visit:
    """`service` with `practitioner` at the first open time from `day`."""
    parts = [PartRequest(service=service, practitioner_id=practitioner.id)]
    slot = find_open_slots(
        session=session,
        now=now,
        parts=parts,
        first_day=day,
        days=days,
        patient_id=patient.id,
        policy=POLICY,
    )[0]
    return book_visit(
        session=session,
        now=now,
        patient_id=patient.id or 0,
        start=slot.starts_at,
        parts=parts,
        policy=POLICY,
    )


@pytest.fixture
def site(demo_clinic: Engine) -> Iterator[str]:
    app, server = serve_app(demo_clinic)
    app.dependency_overrides[utc_now] = lambda: CURRENT_TIME
    with served(server) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        missing_service(f"no Chromium at {CHROMIUM}; install it with: apt-get install chromium")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def sign_in(page: object, site: str, name: str) -> None:
    page.goto(f"{site}/login")  # type: ignore[attr-defined]
    page.fill("input[name=name]", name)  # type: ignore[attr-defined]
    page.fill("input[name=password]", DEMO_PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]


def screenshot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.fonts.ready.then(() => window.scrollTo(0, 0))")  # type: ignore[attr-defined]
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)  # type: ignore[attr-defined]


def assert_accessible(page: object) -> None:
    """axe-core finds nothing serious or critical on the page as it stands."""
    results = Axe().run(page)
    grave = [
        f"{violation['id']} ({violation['impact']}): {len(violation['nodes'])}"
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    assert grave == [], results.generate_report()

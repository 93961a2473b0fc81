"""A real browser against the app served on a real port over the demo clinic.

The front desk finds a time for dry-needling-30 + massage-60, books it for a patient and sees it
on the board; the practitioner then sees it on their day with the patient's intake flag. A patient
opens their reminder's link on a phone and moves the visit. The front desk reads a texted CANCEL
first in the inbox. A new patient fills in and signs the intake from the link in their text, and
the needling refused before can then be booked. The front desk books a weekly treatment plan
around a clash and cancels the rest of it. The pages are saved as screenshots under
docs/screenshots/, and axe-core checks each for serious or critical accessibility violations.
"""

import shutil
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.app.demo import DEMO_PASSWORD, seed_demo
from scheduler.clinic.intake import record_intake
from scheduler.clinic.patients import register_patient
from scheduler.clinic.setup import add_time_off
from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.core.errors import RuleViolation
from scheduler.models import InboundMessage, Message, Patient, Practitioner
from scheduler.patients.replies import receive_text
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.booking import book_visit
from scheduler.scheduling.slots import find_open_slots
from scheduler.scheduling.visits import complete
from tests.conftest import missing_service
from tests.factories import CURRENT_TIME, NEW_YORK, POLICY, next_weekday
from tests.sent_texts import send_now
from tests.twilio_fixtures import served
from tests.web_fixtures import serve_app

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
TUESDAY = next_weekday(1)
VIEWPORT = {"width": 1440, "height": 900}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}

sync_api = pytest.importorskip("playwright.sync_api")


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
    as_of = CURRENT_TIME - timedelta(days=10)
    slot = find_open_slots(
        session=session,
        now=as_of,
        parts=[PartRequest(service="assessment-60", practitioner_id=dana.id)],
        first_day=(CURRENT_TIME - timedelta(days=7)).astimezone(NEW_YORK).date(),
        days=3,
        patient_id=maya.id,
        policy=POLICY,
    )[0]
    visit = book_visit(
        session=session,
        now=as_of,
        patient_id=maya.id or 0,
        start=slot.starts_at,
        parts=[PartRequest(service="assessment-60", practitioner_id=dana.id)],
        policy=POLICY,
    )
    complete(
        session=session,
        now=slot.starts_at + timedelta(hours=1),
        visit_id=visit.id or 0,
        policy=POLICY,
    )
    session.add(  # her answer to the soreness check-in the morning after
        InboundMessage(
            provider_sid="SM-maya-soreness",
            from_phone=maya.phone,
            body="3",
            received_at=slot.starts_at + timedelta(days=1),
            patient_id=maya.id,
            visit_id=visit.id,
            meaning="soreness",
            soreness=3,
        )
    )
    return maya


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


def test_the_front_desk_books_a_combined_visit_and_the_practitioner_sees_it(
    site: str, browser: object
) -> None:
    expect = sync_api.expect
    desk = browser.new_page(viewport=VIEWPORT)  # type: ignore[attr-defined]
    sign_in(desk, site, "frontdesk")
    expect(desk.locator("h1")).to_have_text("Monday 23 November 2026")

    desk.click("nav >> text=Patients")
    desk.fill("input[name=q]", "maya")
    desk.locator(".result", has_text="Maya Patel").get_by_role("link", name="Book").click()
    desk.select_option('select[name=service][data-part="0"]', "dry-needling-30")
    desk.select_option('select[name=practitioner][data-part="0"]', label="Dana Whitfield")
    desk.select_option('select[name=service][data-part="1"]', "massage-60")
    desk.fill("input[name=day]", TUESDAY.isoformat())
    desk.select_option("select[name=days]", "1")
    desk.click("text=Find times")
    expect(desk.locator("#slots")).to_contain_text("Click a time to book it for Maya Patel")
    first_time = desk.locator("button.slot").first
    booked_at = first_time.inner_text().split()[0]
    first_time.click()

    expect(desk.locator("h1")).to_have_text("Tuesday 24 November 2026")
    booked = desk.locator(".appt.highlight")
    expect(booked).to_have_count(2)
    expect(booked.first).to_contain_text(f"{booked_at} Maya Patel")
    expect(booked.first).to_contain_text("Dry needling, 30 min")
    expect(booked.last).to_contain_text("Massage, 60 min")
    expect(desk.locator("svg.connectors path").first).to_be_attached()
    assert_accessible(desk)
    screenshot(desk, "board.png")

    practitioner = browser.new_page(viewport=VIEWPORT)  # type: ignore[attr-defined]
    sign_in(practitioner, site, "dana")
    expect(practitioner.locator("h1")).to_have_text("Monday 23 November 2026")
    practitioner.click("[aria-label='Next day']")
    row = practitioner.locator("tr", has_text="Maya Patel").first
    expect(row).to_contain_text(booked_at)
    expect(row).to_contain_text("anticoagulants")
    expect(row).to_contain_text("First needling")
    expect(row).to_contain_text("3/10")
    assert_accessible(practitioner)
    screenshot(practitioner, "my-day.png")


def test_a_patient_moves_their_visit_from_the_link_in_a_reminder_on_a_phone(
    demo_clinic: Engine, site: str, browser: object
) -> None:
    reminder = maya_booked_on_tuesday(demo_clinic)
    text = send_now(demo_clinic, reminder, now=reminder.send_at, public_url=site)
    expect = sync_api.expect
    phone = browser.new_page(**PHONE)  # type: ignore[attr-defined]

    phone.goto(text.split()[-1])
    expect(phone.locator("h1")).to_have_text("Your visit")
    expect(phone.locator(".visit-summary")).to_contain_text("Tue 24 Nov at")
    phone.click("text=Move to another time")
    phone.click("text=Later")
    new_time = phone.locator("button.slot").first
    moved_to = new_time.inner_text().split()[0]
    new_time.click()

    expect(phone.locator(".alert.ok")).to_contain_text("your visit has moved")
    expect(phone.locator(".visit-summary")).to_contain_text(f"Thu 26 Nov at {moved_to}")
    assert_accessible(phone)
    screenshot(phone, "patient-link.png")


def maya_booked_on_tuesday(engine: Engine) -> Message:
    """Maya's dry needling with Dana on Tuesday, and its reminder the day before."""
    with db.booking_session(engine) as session, db.transaction(session):
        maya = session.exec(select(Patient).where(Patient.name == "Maya Patel")).one()
        dana = session.exec(select(Practitioner).where(Practitioner.name == "Dana Whitfield")).one()
        parts = [PartRequest(service="dry-needling-30", practitioner_id=dana.id)]
        slot = find_open_slots(
            session=session, now=CURRENT_TIME, parts=parts, first_day=TUESDAY, days=1, policy=POLICY
        )[0]
        visit = book_visit(
            session=session,
            now=CURRENT_TIME,
            patient_id=maya.id or 0,
            start=slot.starts_at,
            parts=parts,
            policy=POLICY,
        )
        return session.exec(
            select(Message).where(Message.visit_id == visit.id, Message.kind == "reminder_24h")
        ).one()


def maya_texts(engine: Engine, *bodies: str) -> None:
    """Maya's replies, a minute apart, the last one now."""
    with db.booking_session(engine) as session, db.transaction(session):
        for n, body in enumerate(bodies):
            receive_text(
                session,
                sid=f"SM-maya-{n}",
                from_phone="+12125550188",
                body=body,
                now=CURRENT_TIME - timedelta(minutes=len(bodies) - n),
                policy=POLICY,
            )


def test_the_front_desk_reads_a_texted_cancel_first_in_the_inbox(
    demo_clinic: Engine, site: str, browser: object
) -> None:
    maya_booked_on_tuesday(demo_clinic)
    maya_texts(demo_clinic, "CANCEL", "is there parking near the clinic?")
    expect = sync_api.expect

    for name, options in (("inbox.png", {"viewport": VIEWPORT}), ("inbox-phone.png", PHONE)):
        desk = browser.new_page(**options)  # type: ignore[attr-defined]
        sign_in(desk, site, "frontdesk")
        desk.goto(f"{site}/inbox")
        first = desk.locator("tbody tr").first
        expect(first).to_contain_text("Maya Patel")
        expect(first).to_contain_text("Texted CANCEL: we can no longer text them.")
        expect(first).to_contain_text(f"Next visit: Tue {TUESDAY.day} Nov at")
        expect(first).to_contain_text("Dry needling, 30 min")
        assert_accessible(desk)
        screenshot(desk, name)


def noah_booked_for_an_assessment(engine: Engine) -> Message:
    """Noah, new and without an intake, booked for an assessment with Dana on Thursday; the
    intake request his booking planned."""
    thursday = next_weekday(3)
    with db.booking_session(engine) as session, db.transaction(session):
        noah = register_patient(
            session=session,
            now=CURRENT_TIME,
            name="Noah Berg",
            phone="+12125550177",
            date_of_birth=NOAH_BORN,
            region="US",
        )
        dana = session.exec(select(Practitioner).where(Practitioner.name == "Dana Whitfield")).one()
        parts = [PartRequest(service="assessment-60", practitioner_id=dana.id)]
        slot = find_open_slots(
            session=session,
            now=CURRENT_TIME,
            parts=parts,
            first_day=thursday,
            days=1,
            policy=POLICY,
        )[0]
        visit = book_visit(
            session=session,
            now=CURRENT_TIME,
            patient_id=noah.id or 0,
            start=slot.starts_at,
            parts=parts,
            policy=POLICY,
        )
        return session.exec(
            select(Message).where(Message.visit_id == visit.id, Message.kind == "intake_request")
        ).one()


def needling_refused(engine: Engine) -> str:
    """What booking Noah's assessment and dry needling says, tried and undone."""
    with db.booking_session(engine) as session:
        noah = session.exec(select(Patient).where(Patient.name == "Noah Berg")).one()
        try:
            book_visit(
                session=session,
                now=CURRENT_TIME,
                patient_id=noah.id or 0,
                start=CURRENT_TIME + timedelta(days=1, hours=7),
                parts=[
                    PartRequest(service="assessment-60"),
                    PartRequest(service="dry-needling-30"),
                ],
                policy=POLICY,
            )
        except RuleViolation as refused:
            return refused.code
        finally:
            session.rollback()
    return "booked"


NOAH_BORN = date(1991, 6, 3)


def test_a_new_patient_signs_the_intake_on_a_phone_and_needling_can_then_be_booked(
    demo_clinic: Engine, site: str, browser: object
) -> None:
    request = noah_booked_for_an_assessment(demo_clinic)
    text = send_now(demo_clinic, request, now=request.send_at, public_url=site)
    assert needling_refused(demo_clinic) == "intake_missing"
    expect = sync_api.expect
    phone = browser.new_page(**PHONE)  # type: ignore[attr-defined]

    phone.goto(text.split()[-1])
    expect(phone.locator("h1")).to_have_text("Before your visit")
    assert_accessible(phone)
    phone.fill("input[name=date_of_birth]", date(1991, 6, 4).isoformat())
    phone.click("text=Continue")
    expect(phone.locator("#date_of_birth-error")).to_contain_text("2 tries left")
    phone.fill("input[name=date_of_birth]", NOAH_BORN.isoformat())
    phone.click("text=Continue")
    expect(phone.locator("h1")).to_have_text("Your form, Noah")
    phone.fill("textarea[name=conditions]", "Stiff neck")
    phone.check("input[value=needle_phobia_or_fainting]")
    phone.check("input[name=consent]")
    phone.fill("input[name=signature]", "Noah Berg")
    assert_accessible(phone)
    screenshot(phone, "intake-form.png")
    phone.click("text=Send my form")

    expect(phone.locator("h1")).to_have_text("Thank you")
    expect(phone.locator(".visit-summary")).to_contain_text("Thu")
    assert_accessible(phone)
    screenshot(phone, "intake-thanks.png")

    desk = browser.new_page(viewport=VIEWPORT)  # type: ignore[attr-defined]
    sign_in(desk, site, "frontdesk")
    desk.click("nav >> text=Patients")
    desk.fill("input[name=q]", "noah")
    desk.locator(".result", has_text="Noah Berg").get_by_role("link", name="Book").click()
    desk.select_option('select[name=service][data-part="0"]', "assessment-60")
    desk.select_option('select[name=practitioner][data-part="0"]', label="Dana Whitfield")
    desk.select_option('select[name=service][data-part="1"]', "dry-needling-30")
    desk.select_option('select[name=practitioner][data-part="1"]', label="Dana Whitfield")
    desk.fill("input[name=day]", TUESDAY.isoformat())
    desk.select_option("select[name=days]", "1")
    desk.click("text=Find times")
    expect(desk.locator("#slots")).to_contain_text("Click a time to book it for Noah Berg")
    desk.locator("button.slot").first.click()

    booked = desk.locator(".appt.highlight")
    expect(booked).to_have_count(2)
    expect(booked.last).to_contain_text("Dry needling, 30 min")


def dana_away(engine: Engine, day: date) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        dana = session.exec(select(Practitioner).where(Practitioner.name == "Dana Whitfield")).one()
        add_time_off(
            session,
            practitioner=dana,
            starts_at=datetime.combine(day, time(7), NEW_YORK),
            ends_at=datetime.combine(day, time(20), NEW_YORK),
        )


def test_the_front_desk_books_a_weekly_plan_around_a_clash_then_cancels_the_rest(
    demo_clinic: Engine, site: str, browser: object
) -> None:
    first = TUESDAY + timedelta(weeks=3)  # past the demo's own bookings
    dana_away(demo_clinic, first + timedelta(weeks=5))
    expect = sync_api.expect
    desk = browser.new_page(viewport=VIEWPORT)  # type: ignore[attr-defined]
    sign_in(desk, site, "frontdesk")
    desk.click("nav >> text=Patients")
    desk.fill("input[name=q]", "maya")
    desk.locator(".result", has_text="Maya Patel").get_by_role("link", name="Maya Patel").click()
    desk.click("text=Book a treatment plan")

    desk.select_option("#service-0", "dry-needling-30")
    desk.select_option("#practitioner-0", label="Dana Whitfield")
    desk.fill("#plan-day", first.isoformat())
    desk.fill("#plan-at", "10:00")
    desk.select_option("#plan-every", "7")
    desk.fill("#plan-count", "6")
    desk.click("text=Book the plan")

    expect(desk.locator(".alert.error")).to_contain_text("1 of 6 visits cannot be booked")
    clash = desk.locator("tr.clash")
    expect(clash).to_have_count(1)
    expect(clash.locator(".badge").first).to_be_visible()
    assert_accessible(desk)
    screenshot(desk, "plan-clash.png")

    desk.fill("#plan-count", "5")
    desk.click("text=Book the plan")
    expect(desk.locator(".alert.ok")).to_contain_text("The plan is booked.")
    expect(desk.locator(".lede")).to_contain_text("5 to come")
    desk.click("text=Cancel the rest of the plan")
    desk.click("text=Yes, cancel them")
    expect(desk.locator(".lede")).to_contain_text("0 to come")
    expect(desk.locator(".lede")).to_contain_text("5 cancelled or missed")
    assert_accessible(desk)
    screenshot(desk, "plan.png")

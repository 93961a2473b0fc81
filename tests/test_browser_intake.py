"""The intake and treatment plans in a real browser over the demo clinic.

A new patient fills in and signs the intake on a phone from the link in their text, and the
needling refused before can then be booked. The front desk books a weekly treatment plan around
a clash and cancels the rest of it. Staff see the intake's pages, the consent and a plan's
soreness at desk and phone widths. Each page is saved as a screenshot and checked by axe-core.
"""

from datetime import date, datetime, time, timedelta

from playwright.sync_api import expect
from sqlalchemy import Engine
from sqlmodel import select

from scheduler.clinic.patients import register_patient
from scheduler.clinic.setup import add_time_off
from scheduler.core import db
from scheduler.core.errors import RuleViolation
from scheduler.models import InboundMessage, Message, Patient, Practitioner, Visit
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.booking import book_visit
from scheduler.scheduling.plans import book_series
from tests.browser_fixtures import (
    PHONE,
    TUESDAY,
    VIEWPORT,
    assert_accessible,
    book_first_open,
    screenshot,
    sign_in,
)
from tests.factories import CURRENT_TIME, NEW_YORK, POLICY, next_weekday
from tests.sent_texts import send_now


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
        visit = book_first_open(
            session, patient=noah, service="assessment-60", practitioner=dana, day=thursday
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


def maya_on_a_plan_with_scores(engine: Engine) -> int:
    """Maya on three weekly needling visits with Dana, and the soreness she texted after them."""
    first = TUESDAY + timedelta(weeks=3)
    with db.booking_session(engine) as session, db.transaction(session):
        maya = session.exec(select(Patient).where(Patient.name == "Maya Patel")).one()
        dana = session.exec(select(Practitioner).where(Practitioner.name == "Dana Whitfield")).one()
        plan = book_series(
            session=session,
            now=CURRENT_TIME,
            patient_id=maya.id or 0,
            first_start=datetime.combine(first, time(10), NEW_YORK),
            parts=[PartRequest(service="dry-needling-30", practitioner_id=dana.id)],
            count=3,
            policy=POLICY,
        )
        visit = session.exec(select(Visit).where(Visit.plan_id == plan.id)).first()
        for day, score in enumerate((7, 5, 4, 2)):
            session.add(
                InboundMessage(
                    provider_sid=f"SM-plan-{day}",
                    from_phone=maya.phone,
                    body=str(score),
                    received_at=CURRENT_TIME + timedelta(days=day),
                    patient_id=maya.id,
                    visit_id=visit.id if visit else None,
                    meaning="soreness",
                    soreness=score,
                )
            )
        return plan.id or 0


def test_staff_pages_for_the_intake_the_consent_and_a_plan_fit_a_desk_and_a_phone(
    demo_clinic: Engine, site: str, browser: object
) -> None:
    noah_booked_for_an_assessment(demo_clinic)
    plan_id = maya_on_a_plan_with_scores(demo_clinic)
    with db.session(demo_clinic) as session:
        noah = session.exec(select(Patient).where(Patient.name == "Noah Berg")).one().id

    for suffix, options in (("", {"viewport": VIEWPORT}), ("-phone", PHONE)):
        desk = browser.new_page(**options)  # type: ignore[attr-defined]
        sign_in(desk, site, "frontdesk")
        desk.goto(f"{site}/patients/{noah}")
        expect(desk.locator("#intake")).to_contain_text("Form sent, waiting")
        assert_accessible(desk)
        screenshot(desk, f"patient-intake{suffix}.png")
        desk.goto(f"{site}/plans/{plan_id}")
        expect(desk.locator(".lede")).to_contain_text("3 to come")
        expect(desk.locator("#soreness-chart")).to_be_visible()
        assert_accessible(desk)
        screenshot(desk, f"plan-soreness{suffix}.png")

        admin = browser.new_page(**options)  # type: ignore[attr-defined]
        sign_in(admin, site, "admin")
        admin.goto(f"{site}/admin/consent")
        expect(admin.locator("h2").first).to_have_text("Consent for dry needling")
        assert_accessible(admin)
        screenshot(admin, f"admin-consent{suffix}.png")
        admin.goto(f"{site}/patients/{noah}/intake/paper")
        expect(admin.locator("h1")).to_have_text("Paper intake for Noah Berg")
        assert_accessible(admin)

"""The front desk and a practitioner in a real browser over the demo clinic.

The front desk finds a time for dry-needling-30 + massage-60, books it for a patient and sees it
on the board; the practitioner then sees it on their day with the patient's intake flag. A patient
opens their reminder's link on a phone and moves the visit. The front desk reads a texted CANCEL
first in the inbox. Each page is saved as a screenshot and checked by axe-core.
"""

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import Engine
from sqlmodel import select

from scheduler.core import db
from scheduler.models import Message, Patient, Practitioner
from scheduler.patients.replies import receive_text
from tests.browser_fixtures import (
    PHONE,
    TUESDAY,
    VIEWPORT,
    assert_accessible,
    book_first_open,
    screenshot,
    sign_in,
)
from tests.factories import CURRENT_TIME, POLICY
from tests.sent_texts import send_now


def test_the_front_desk_books_a_combined_visit_and_the_practitioner_sees_it(
    site: str, browser: object
) -> None:
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
        visit = book_first_open(
            session, patient=maya, service="dry-needling-30", practitioner=dana, day=TUESDAY
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


def test_the_front_desk_cancels_with_a_reason_then_undoes_it(
    demo_clinic: Engine, site: str, browser: object
) -> None:
    visit_id = maya_booked_on_tuesday(demo_clinic).visit_id

    for suffix, options in (("", {"viewport": VIEWPORT}), ("-phone", PHONE)):
        desk = browser.new_page(**options)  # type: ignore[attr-defined]
        sign_in(desk, site, "frontdesk")
        desk.goto(f"{site}/visits/{visit_id}")
        desk.click("text=Cancel visit…")
        desk.check("input[value=patient_called]")
        desk.click("text=Yes, cancel the visit")
        expect(desk.locator(".lede")).to_contain_text("cancelled")
        expect(desk.get_by_role("button", name="Undo the cancellation")).to_be_visible()
        assert_accessible(desk)
        screenshot(desk, f"visit-cancelled{suffix}.png")
        desk.click("text=Undo the cancellation")
        expect(desk.locator(".lede")).to_contain_text("booked")

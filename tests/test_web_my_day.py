import re
from datetime import timedelta

from icalendar import Calendar

from scheduler.models import InboundMessage
from tests.factories import CURRENT_TIME, assessed_patient, book, make_patient, next_weekday
from tests.web_fixtures import Web
from tests.web_pages import audit_actions, clinic_data, submit

TUESDAY = next_weekday(1)


def seed_dana_tuesday(web: Web) -> None:
    """Alex's first needling and a massage, both with Dana; Bea (on blood thinners) with Lena."""
    with clinic_data(web) as session:
        alex = assessed_patient(session, web.clinic)
        bea = make_patient(session, intake=True, flags=["anticoagulants"])
        book(session, alex, web.clinic.at(TUESDAY, 10), "dry-needling-30", "massage-60")
        book(session, bea, web.clinic.at(TUESDAY, 14), "massage-30", practitioner=web.clinic.lena)
        session.add(
            InboundMessage(
                provider_sid="SM1",
                from_phone=alex.phone,
                body="8",
                received_at=CURRENT_TIME - timedelta(days=6),
                patient_id=alex.id,
                meaning="soreness",
                soreness=8,
            )
        )


def test_it_shows_the_practitioner_their_day_with_what_to_watch_out_for(pages: Web) -> None:
    seed_dana_tuesday(pages)

    with pages.browser("dana") as client:
        response = client.get(f"/my-day?day={TUESDAY}")

    page = response.text
    assert response.status_code == 200
    assert "Tuesday 24 November 2026" in page
    assert "Alex Moreno" in page and "Bea" not in page
    assert "First needling" in page
    assert "dry needling 30 + massage 60" in page
    assert "Room 1" in page
    assert 'class="soreness high">8/10' in page
    assert "window.print()" in page


def test_it_shows_intake_flags_on_the_practitioners_day(pages: Web) -> None:
    seed_dana_tuesday(pages)

    with pages.browser("lena") as client:
        page = client.get(f"/my-day?day={TUESDAY}").text

    assert "Bea Lindqvist" in page and "anticoagulants" in page


def test_a_practitioner_cannot_see_another_practitioners_day(pages: Web) -> None:
    with pages.browser("dana") as client:
        own = client.get(f"/practitioners/{pages.clinic.dana.id}/day")
        other = client.get(f"/practitioners/{pages.clinic.lena.id}/day")

    assert own.status_code == 200
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "not_your_schedule"


def test_the_front_desk_sees_a_day_sheet_with_flags_and_no_calendar(pages: Web) -> None:
    seed_dana_tuesday(pages)

    with pages.browser("frank") as client:
        page = client.get(f"/practitioners/{pages.clinic.lena.id}/day?day={TUESDAY}").text

    assert "anticoagulants" in page
    assert "On your phone" not in page


def test_my_day_is_for_practitioners(pages: Web) -> None:
    with pages.browser("frank") as client:
        assert client.get("/my-day").status_code == 403


def test_a_practitioner_subscribes_their_phone_to_a_private_calendar(pages: Web) -> None:
    seed_dana_tuesday(pages)

    with pages.browser("dana") as client:
        issued = submit(pages, client, "/my-day/calendar")
        page = client.get("/my-day").text
    path = re.search(r'value="https?://[^/]+(/calendar/[^"]+\.ics)"', page)
    assert issued.status_code == 303 and path
    with pages.client() as phone:  # no session: the address itself is the key
        feed = phone.get(path.group(1))

    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(event["summary"]) for event in events] == [
        "Alex M. · Assessment",
        "Alex M. · Dry needling, 30 min",
        "Alex M. · Massage, 60 min",
    ]
    assert "anticoagulants" not in feed.text and "ibuprofen" not in feed.text
    assert ("calendar.issued", f"practitioner:{pages.clinic.dana.id}") in audit_actions(pages)


def test_a_new_calendar_address_retires_the_old_one(pages: Web) -> None:
    with pages.browser("dana") as client:
        submit(pages, client, "/my-day/calendar")
        old = re.search(r"(/calendar/[^\"]+\.ics)", client.get("/my-day").text)
        submit(pages, client, "/my-day/calendar")

    with pages.client() as phone:
        assert old and phone.get(old.group(1)).status_code == 404
        assert phone.get("/calendar/made-up.ics").status_code == 404

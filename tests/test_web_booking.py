import re

import httpx
from sqlmodel import col, select

from scheduler.core import db
from scheduler.models import Appointment, Patient, Visit
from tests.factories import assessed_patient, book, make_patient, next_weekday
from tests.web_fixtures import Web
from tests.web_pages import audit_actions, clinic_data, submit

TUESDAY = next_weekday(1)
COMBINED = [("service", "dry-needling-30"), ("service", "massage-60")]


def find_a_time(client: httpx.Client, **query: object) -> str:
    params: list[tuple[str, str | int | float | bool | None]] = [
        *COMBINED,
        *((key, str(value)) for key, value in query.items()),
    ]
    response = client.get("/book", params=params)
    assert response.status_code == 200, response.text
    return str(response.text)


def book_slot(web: Web, client: httpx.Client, patient: Patient, slot: str) -> httpx.Response:
    """Click an offered time for dry-needling-30 + massage-60."""
    services = [code for _, code in COMBINED]
    return submit(web, client, "/book", patient_id=patient.id, service=services, slot=slot)


def offered(page: str) -> list[str]:
    return re.findall(r'name="slot" value="([^"]+)"', page)


def test_it_lists_open_times_for_a_combined_visit_by_day(pages: Web) -> None:
    with clinic_data(pages) as session:
        alex = assessed_patient(session, pages.clinic)

    with pages.browser("frank") as client:
        page = find_a_time(client, patient_id=alex.id, day=TUESDAY, days=1)

    assert "Tuesday 24 November 2026" in page
    assert offered(page)[0].startswith("2026-11-24T13:00:00+00:00~")  # 08:00 in New York
    assert "Click a time to book it for Alex Moreno" in page


def test_it_books_a_slot_in_one_click_and_shows_it_on_the_board(pages: Web) -> None:
    with clinic_data(pages) as session:
        alex = assessed_patient(session, pages.clinic)

    with pages.browser("frank") as client:
        slot = offered(find_a_time(client, patient_id=alex.id, day=TUESDAY, days=1))[0]
        booked = book_slot(pages, client, alex, slot)
        board = client.get(booked.headers["location"])

    assert booked.status_code == 303
    visit_id = int(booked.headers["location"].rsplit("visit=", 1)[1])
    assert booked.headers["location"] == f"/board?day={TUESDAY}&visit={visit_id}"
    assert board.text.count(f'data-visit="{visit_id}"') == 2
    assert ("visit.booked", f"visit:{visit_id}") in audit_actions(pages)


def test_it_books_with_the_practitioners_and_rooms_the_slot_showed(pages: Web) -> None:
    with clinic_data(pages) as session:
        alex = assessed_patient(session, pages.clinic)
    dana = pages.clinic.dana.id

    with pages.browser("frank") as client:
        page = find_a_time(client, patient_id=alex.id, day=TUESDAY, days=1, practitioner=dana)
        slot = offered(page)[0]
        book_slot(pages, client, alex, slot)

    assigned = [tuple(int(n) for n in part.split(".")) for part in slot.split("~")[1:]]
    with db.session(pages.engine) as session:
        rows = session.exec(
            select(Appointment)
            .where(Appointment.patient_id == alex.id)
            .order_by(col(Appointment.id))
        ).all()
    assert [(a.practitioner_id, a.room_id) for a in rows[-2:]] == assigned
    assert assigned[0][0] == dana


def test_it_says_the_time_was_taken_and_saves_nothing(pages: Web) -> None:
    with clinic_data(pages) as session:
        alex = assessed_patient(session, pages.clinic)
        bea = make_patient(session)
    with pages.browser("frank") as client:
        slot = offered(find_a_time(client, patient_id=alex.id, day=TUESDAY, days=1))[0]
    needler = int(slot.split("~")[1].split(".")[0])
    with clinic_data(pages) as session:  # meanwhile someone books that practitioner then
        taken_by = next(p for p in (pages.clinic.dana, pages.clinic.marcus) if p.id == needler)
        book(session, bea, pages.clinic.at(TUESDAY, 8), "assessment-60", practitioner=taken_by)

    with pages.browser("frank") as client:
        refused = book_slot(pages, client, alex, slot)

    assert refused.status_code == 409
    assert "already booked" in refused.text
    assert "Tuesday 24 November 2026" in refused.text  # the open times, searched again
    with db.session(pages.engine) as session:
        visits = session.exec(select(Visit).where(Visit.patient_id == alex.id)).all()
    assert len(visits) == 1  # only last week's assessment


def test_it_warns_before_offering_a_first_needling_without_an_assessment(pages: Web) -> None:
    with clinic_data(pages) as session:
        bea = make_patient(session, intake=True)

    with pages.browser("frank") as client:
        page = find_a_time(client, patient_id=bea.id, day=TUESDAY, days=1)

    assert page.count("needs an assessment before the first dry needling") == 1
    assert 'class="slot"' not in page and "No open times" not in page  # none would book
    assert "assessment-60" not in page.split('id="slots"')[1]


def test_it_offers_the_patients_last_visit_as_a_usual_visit(pages: Web) -> None:
    with clinic_data(pages) as session:
        alex = assessed_patient(session, pages.clinic)

    with pages.browser("frank") as client:
        page = client.get(f"/book?patient_id={alex.id}").text

    assert f"/book?patient_id={alex.id}&service=assessment-60&" in page


def test_it_refuses_a_booking_without_the_csrf_token(pages: Web) -> None:
    with clinic_data(pages) as session:
        alex = assessed_patient(session, pages.clinic)

    with pages.browser("frank") as client:
        slot = offered(find_a_time(client, patient_id=alex.id, day=TUESDAY, days=1))[0]
        refused = client.post(
            "/book",
            data={
                "patient_id": alex.id,
                "service": ["dry-needling-30", "massage-60"],
                "slot": slot,
            },
        )

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"


def test_it_refuses_a_slot_that_was_never_offered(pages: Web) -> None:
    with clinic_data(pages) as session:
        alex = assessed_patient(session, pages.clinic)

    with pages.browser("frank") as client:
        refused = submit(
            pages, client, "/book", patient_id=alex.id, service=["massage-60"], slot="soon~1"
        )

    assert refused.status_code == 422
    assert "not one we offered" in refused.text

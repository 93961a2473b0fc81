from sqlmodel import select

from scheduler.core import db
from scheduler.models import Patient
from tests.factories import assessed_patient, book, make_patient, next_weekday
from tests.web_fixtures import Web
from tests.web_pages import audit_actions, clinic_data, submit

TUESDAY = next_weekday(1)
NEW_PATIENT = {"name": "Carlos Diaz", "phone": "(917) 555-0123", "date_of_birth": "1980-02-29"}


def test_it_finds_patients_as_the_name_is_typed(pages: Web) -> None:
    with clinic_data(pages) as session:
        make_patient(session, name="Alex Moreno", phone="+12125550101")
        make_patient(session, name="Bea Lindqvist", phone="+12125550102")

    with pages.browser("frank") as client:
        fragment = client.get("/patients?q=mor", headers={"HX-Request": "true"})

    assert fragment.status_code == 200
    assert "Alex Moreno" in fragment.text and "Bea" not in fragment.text
    assert "<html" not in fragment.text
    assert "/book?patient_id=" in fragment.text


def test_it_checks_a_phone_number_as_it_is_typed(pages: Web) -> None:
    with clinic_data(pages) as session:
        make_patient(session, name="Alex Moreno", phone="+12125550101")

    with pages.browser("frank") as client:
        mobile = client.get("/patients/phone-check", params={"phone": "917 555 0123"}).text
        landline = client.get("/patients/phone-check", params={"phone": "+31 20 123 4567"}).text
        known = client.get("/patients/phone-check", params={"phone": "212 555 0101"}).text

    assert "saved as +1 917-555-0123" in mobile
    assert "landline" in landline
    assert "Already on file for" in known and "Alex Moreno" in known


def test_it_adds_a_patient_and_goes_on_to_find_a_time(pages: Web) -> None:
    with pages.browser("frank") as client:
        added = submit(pages, client, "/patients", **NEW_PATIENT, sms_consent="true")

    with db.session(pages.engine) as session:
        carlos = session.exec(select(Patient).where(Patient.name == "Carlos Diaz")).one()
    assert added.status_code == 303
    assert added.headers["location"] == f"/book?patient_id={carlos.id}"
    assert carlos.phone == "+19175550123" and carlos.sms_consent
    assert ("patient.created", f"patient:{carlos.id}") in audit_actions(pages)


def test_it_keeps_what_was_typed_when_the_number_is_wrong(pages: Web) -> None:
    with pages.browser("frank") as client:
        refused = submit(
            pages, client, "/patients", **{**NEW_PATIENT, "phone": "12345", "sms_consent": "true"}
        )

    assert refused.status_code == 422
    assert "is not a valid phone number" in refused.text
    assert 'value="Carlos Diaz"' in refused.text
    with db.session(pages.engine) as session:
        assert session.exec(select(Patient)).all() == []


def test_it_asks_whether_it_may_text_the_number_and_assumes_nothing(pages: Web) -> None:
    with pages.browser("frank") as client:
        form = client.get("/patients").text
        unanswered = submit(pages, client, "/patients", **NEW_PATIENT)
        declined = submit(pages, client, "/patients", **NEW_PATIENT, sms_consent="false")

    assert "May we text this number?" in form and "checked" not in form
    assert unanswered.status_code == 422 and 'id="sms_consent-error"' in unanswered.text
    assert declined.status_code == 303
    with db.session(pages.engine) as session:
        [carlos] = session.exec(select(Patient)).all()
    assert carlos.sms_consent is False


def test_it_refuses_to_add_a_patient_without_the_csrf_token(pages: Web) -> None:
    with pages.browser("frank") as client:
        refused = client.post("/patients", data=NEW_PATIENT)

    assert refused.status_code == 403


def test_the_front_desk_sees_visits_and_intake_flags_but_not_intake_details(pages: Web) -> None:
    with clinic_data(pages) as session:
        bea = make_patient(session, intake=True, flags=["pregnancy"])
        book(
            session, bea, pages.clinic.at(TUESDAY, 9), "massage-30", practitioner=pages.clinic.lena
        )

    with pages.browser("frank") as client:
        page = client.get(f"/patients/{bea.id}").text

    assert "Massage, 30 min" in page and "Lena Novak" in page
    assert "pregnancy" in page
    assert "ibuprofen" not in page and "low back pain" not in page
    assert ("intake.viewed", f"patient:{bea.id}") not in audit_actions(pages)


def test_a_practitioner_reads_their_own_patients_intake_and_it_is_audited(pages: Web) -> None:
    with clinic_data(pages) as session:
        alex = assessed_patient(session, pages.clinic)  # assessed by Dana

    with pages.browser("dana") as client:
        page = client.get(f"/patients/{alex.id}")
    with pages.browser("lena") as client:
        refused = client.get(f"/patients/{alex.id}")

    assert page.status_code == 200
    assert "ibuprofen" in page.text and "low back pain" in page.text
    assert "Book a visit" not in page.text
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_your_patient"
    assert audit_actions(pages).count(("intake.viewed", f"patient:{alex.id}")) == 1


def test_patient_pages_are_not_for_practitioners(pages: Web) -> None:
    with pages.browser("dana") as client:
        assert client.get("/patients?q=alex").status_code == 403
        assert client.get("/book").status_code == 403


def test_picking_the_patient_on_find_a_time_keeps_the_services_chosen(pages: Web) -> None:
    with clinic_data(pages) as session:
        alex = make_patient(session, name="Alex Moreno", phone="+12125550101")

    with pages.browser("frank") as client:
        results = client.get(
            "/patients",
            params=[
                ("q", "alex"),
                ("service", "dry-needling-30"),
                ("service", "massage-60"),
                ("day", "2026-11-24"),
                ("days", "1"),
                ("csrf_token", "not kept"),
            ],
            headers={"HX-Request": "true"},
        ).text

    link = f"/book?patient_id={alex.id}&amp;service=dry-needling-30&amp;service=massage-60"
    assert f"{link}&amp;day=2026-11-24&amp;days=1" in results
    assert "csrf" not in results

"""Patients over real HTTP, and who sees which part of their intake."""

from scheduler.core import audit, db
from scheduler.patients.replies import receive_text
from tests.api_fixtures import error_of, scene
from tests.factories import CURRENT_TIME, POLICY, assessed_patient, book, make_patient, next_weekday
from tests.web_fixtures import Web

TUESDAY = next_weekday(1)
INTAKE = {
    "conditions": ["low back pain"],
    "medications": ["warfarin"],
    "flags": ["anticoagulants"],
    "consent": True,
}


def test_it_registers_a_patient_with_a_mobile_in_e164(api: Web) -> None:
    with api.api("frank") as client:
        response = client.post(
            "/api/v1/patients",
            json={"name": "Carla Diaz", "phone": "(917) 555-0123", "date_of_birth": "1979-03-02"},
        )

    assert response.status_code == 201, response.text
    assert response.json() | {"id": 0} == {
        "id": 0,
        "name": "Carla Diaz",
        "phone": "+19175550123",
        "date_of_birth": "1979-03-02",
        "sms_consent": True,
    }


def test_it_says_which_field_of_a_new_patient_is_wrong(api: Web) -> None:
    base = {"name": "Carla Diaz", "phone": "(917) 555-0123", "date_of_birth": "1979-03-02"}
    with api.api("frank") as client:
        answers = [
            client.post("/api/v1/patients", json=base | change)
            for change in (
                {"phone": "+1 212 555"},
                {"date_of_birth": "2030-01-01"},
                {"name": "   "},
                {"name": "Nul\u0000"},
                {"surname": "Diaz"},
            )
        ]

    assert [a.status_code for a in answers] == [422] * 5
    assert [error_of(a)["field"] for a in answers] == [
        "phone",
        "date_of_birth",
        "name",
        "name",
        "surname",
    ]


def test_it_finds_patients_by_name_or_number_and_edits_them(api: Web) -> None:
    with scene(api) as session:
        bea = make_patient(session).id
        make_patient(session, name="Carla Diaz", phone="+19175550123")

    with api.api("frank") as client:
        by_name = client.get("/api/v1/patients", params={"q": "lindq"}).json()
        by_number = client.get("/api/v1/patients", params={"q": "917-555"}).json()
        edited = client.patch(f"/api/v1/patients/{bea}", json={"sms_consent": False})
        missing = client.patch("/api/v1/patients/999", json={"name": "Nobody"})

    assert [p["name"] for p in by_name] == ["Bea Lindqvist"]
    assert [p["name"] for p in by_number] == ["Carla Diaz"]
    assert edited.json()["sms_consent"] is False
    assert missing.status_code == 404


def test_it_shows_a_patient_with_visits_and_text_consent(api: Web) -> None:
    with scene(api) as session:
        alex = assessed_patient(session, api.clinic)
        book(session, alex, api.clinic.at(TUESDAY, 9), "dry-needling-30")
        receive_text(
            session,
            sid="SM" + "1" * 32,
            from_phone=alex.phone,
            body="STOP",
            now=CURRENT_TIME,
            policy=POLICY,
        )

    with api.api("frank") as client:
        record = client.get(f"/api/v1/patients/{alex.id}").json()

    assert [visit["status"] for visit in record["visits"]] == ["booked", "completed"]
    assert record["sms"] == {"consent": True, "opted_out": True}


def test_it_shows_the_front_desk_intake_flags_but_not_the_details(api: Web) -> None:
    with scene(api) as session:
        alex = assessed_patient(session, api.clinic).id
    with api.api("ada") as admin:
        admin.put(f"/api/v1/patients/{alex}/intake", json=INTAKE).raise_for_status()

    with api.api("frank") as client:
        intake = client.get(f"/api/v1/patients/{alex}").json()["intake"]
        refused = client.put(f"/api/v1/patients/{alex}/intake", json=INTAKE)

    assert intake["flags"] == ["anticoagulants"]
    assert intake["details"] is None
    assert "warfarin" not in str(intake)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "intake_private"


def test_it_shows_the_patients_practitioner_the_details_and_audits_the_view(api: Web) -> None:
    with scene(api) as session:
        alex = assessed_patient(session, api.clinic).id  # assessed by Dana last week

    with api.api("dana") as client:
        recorded = client.put(f"/api/v1/patients/{alex}/intake", json=INTAKE)
        shown = client.get(f"/api/v1/patients/{alex}").json()

    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["details"]["reviewed_by"] == "dana"
    assert shown["intake"]["details"]["medications"] == ["warfarin"]
    with db.session(api.engine) as session:
        entries = audit.recent_entries(session, subject=f"patient:{alex}")
    assert [(e.action, e.actor) for e in entries] == [
        ("intake.viewed", f"user:{api.staff['dana'].user_id} dana"),
        ("intake.recorded", f"user:{api.staff['dana'].user_id} dana"),
    ]


def test_it_keeps_a_patient_from_a_practitioner_who_never_saw_them(api: Web) -> None:
    with scene(api) as session:
        alex = assessed_patient(session, api.clinic).id  # Dana's patient, never Lena's

    with api.api("lena") as client:
        shown = client.get(f"/api/v1/patients/{alex}")
        recorded = client.put(f"/api/v1/patients/{alex}/intake", json=INTAKE)
        searched = client.get("/api/v1/patients", params={"q": "Alex"})

    assert shown.status_code == recorded.status_code == 403
    assert error_of(shown)["code"] == "not_your_patient"
    assert error_of(recorded)["code"] == "intake_private"
    assert searched.status_code == 403


def test_it_refuses_an_intake_flag_off_the_list(api: Web) -> None:
    with scene(api) as session:
        alex = assessed_patient(session, api.clinic).id

    with api.api("ada") as client:
        response = client.put(
            f"/api/v1/patients/{alex}/intake", json=INTAKE | {"flags": ["bad_luck"]}
        )
        unknown = client.put("/api/v1/patients/999/intake", json=INTAKE)

    assert response.status_code == 422
    assert error_of(response)["field"].startswith("flags")
    assert unknown.status_code == 404


def test_it_writes_who_registered_and_who_changed_a_patient_without_the_values(api: Web) -> None:
    with api.api("frank") as client:
        carla = client.post(
            "/api/v1/patients",
            json={"name": "Carla Diaz", "phone": "(917) 555-0123", "date_of_birth": "1979-03-02"},
        ).json()
        client.patch(f"/api/v1/patients/{carla['id']}", json={"phone": "(917) 555-0188"})

    with db.session(api.engine) as session:
        entries = audit.recent_entries(session, subject=f"patient:{carla['id']}")
    assert [(e.action, e.detail) for e in entries] == [
        ("patient.updated", "phone"),
        ("patient.created", ""),
    ]
    assert all(e.actor.endswith("frank") for e in entries)

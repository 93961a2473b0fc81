"""The audit log, the texts' wording and the reply inbox over real HTTP."""

from scheduler.patients.replies import receive_text
from tests.api_fixtures import error_of, scene
from tests.factories import CURRENT_TIME, POLICY, assessed_patient
from tests.web_fixtures import Web


def test_it_shows_admins_the_audit_log_newest_first(api: Web) -> None:
    with api.api("ada") as client:
        client.patch("/api/v1/rooms/1", json={"name": "Room A"})
        client.patch("/api/v1/rooms/2", json={"name": "Room B"})
        entries = client.get("/api/v1/audit").json()
        only_one = client.get("/api/v1/audit", params={"subject": "room:1"}).json()
    with api.api("frank") as front_desk:
        refused = front_desk.get("/api/v1/audit")

    assert [(e["action"], e["subject"]) for e in entries[:2]] == [
        ("room.updated", "room:2"),
        ("room.updated", "room:1"),
    ]
    assert [e["subject"] for e in only_one] == ["room:1"]
    assert refused.status_code == 403


def test_it_lists_every_template_with_its_measure(api: Web) -> None:
    with api.api("ada") as client:
        templates = {t["name"]: t for t in client.get("/api/v1/templates").json()}

    reminder = templates["reminder_needling"]
    assert "Riverside Physio" in reminder["preview"]
    assert (reminder["custom"], reminder["encoding"], reminder["budget"]) == (False, "GSM-7", 1)
    assert reminder["segments"] <= reminder["budget"]


def test_it_saves_a_clinics_own_wording_and_audits_it(api: Web) -> None:
    body = "{clinic}: see you {day} at {time}, {first_name}. Call {phone} to change it."
    with api.api("ada") as client:
        saved = client.put("/api/v1/templates/reminder", json={"body": body})
        listed = {t["name"]: t for t in client.get("/api/v1/templates").json()}
        log = client.get("/api/v1/audit", params={"subject": "template:reminder"}).json()

    assert saved.status_code == 200, saved.text
    assert saved.json()["custom"] and listed["reminder"]["body"] == body
    assert "Maximiliana" in saved.json()["preview"]
    assert [e["action"] for e in log] == ["template.changed"]


def test_it_refuses_wording_that_is_too_long_or_reaches_for_unknown_data(api: Web) -> None:
    with api.api("ada") as client:
        too_long = client.put(
            "/api/v1/templates/reminder", json={"body": "{clinic}: see you soon. " * 8}
        )
        curly = client.put(
            "/api/v1/templates/reminder", json={"body": "{clinic}: see you \u201csoon\u201d " * 3}
        )
        private = client.put(
            "/api/v1/templates/reminder", json={"body": "Hi {first_name}, about {conditions}"}
        )
        broken = client.put("/api/v1/templates/reminder", json={"body": "Hi {first_name"})
        unknown = client.put("/api/v1/templates/newsletter", json={"body": "Hi"})
    with api.api("frank") as front_desk:
        refused = front_desk.put("/api/v1/templates/reminder", json={"body": "Hi"})

    answers = [too_long, curly, private, broken, unknown]
    assert [a.status_code for a in answers] == [422] * 5
    assert [error_of(a)["code"] for a in answers] == [
        "over_budget",
        "over_budget",
        "unknown_placeholder",
        "malformed_template",
        "unknown_template",
    ]
    assert "UCS-2" in error_of(curly)["message"]
    assert refused.status_code == 403


def test_it_gives_the_front_desk_the_replies_that_need_a_person(api: Web) -> None:
    with scene(api) as session:
        alex = assessed_patient(session, api.clinic)
        receive_text(
            session,
            sid="SM" + "2" * 32,
            from_phone=alex.phone,
            body="The area is swollen and hot, is that normal?",
            now=CURRENT_TIME,
            policy=POLICY,
        )

    with api.api("frank") as client:
        inbox = client.get("/api/v1/inbox").json()
        handled = client.post(f"/api/v1/inbox/{inbox[0]['id']}/handled")
        after = client.get("/api/v1/inbox").json()
        unknown = client.post("/api/v1/inbox/999/handled")

    assert [(e["patient_name"], e["patient_id"]) for e in inbox] == [("Alex Moreno", alex.id)]
    assert handled.status_code == 204
    assert after == []
    assert unknown.status_code == 404

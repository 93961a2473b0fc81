"""The clinic's parts over real HTTP: everyone reads them, only admins change them."""

from scheduler.core import audit, db
from tests.api_fixtures import error_of, scene
from tests.factories import assessed_patient, book, make_patient, next_weekday
from tests.web_fixtures import Web

TUESDAY = next_weekday(1)
SERVICE = {
    "code": "cupping-20",
    "name": "Cupping",
    "kind": "massage",
    "duration_minutes": 20,
    "cleanup_minutes": 5,
    "room_kind": "treatment_room",
    "professions": ["massage_therapist"],
}


def test_it_lists_the_catalogue_to_every_member_of_staff(api: Web) -> None:
    with api.api("dana") as client:
        services = client.get("/api/v1/services").json()
        rooms = client.get("/api/v1/rooms").json()
        locations = client.get("/api/v1/locations").json()
        practitioners = client.get("/api/v1/practitioners").json()

    assert "dry-needling-30" in [s["code"] for s in services]
    assert [r["name"] for r in rooms] == ["Room 1", "Room 2", "Gym"]
    assert locations[0]["time_zone"] == "America/New_York"
    assert len(locations[0]["opening"]) == 7
    assert practitioners[0] | {"id": 0} == {
        "id": 0,
        "name": "Dana Whitfield",
        "profession": "physical_therapist",
        "active": True,
        "needling_certified_by": "Dry Needling Institute",
        "needling_certified_until": "2028-06-30",
    }


def test_it_lets_only_admins_add_and_change_services(api: Web) -> None:
    with api.api("frank") as front_desk:
        refused = front_desk.post("/api/v1/services", json=SERVICE)
    with api.api("ada") as admin:
        created = admin.post("/api/v1/services", json=SERVICE)
        again = admin.post("/api/v1/services", json=SERVICE)
        changed = admin.patch(
            f"/api/v1/services/{created.json()['id']}", json={"duration_minutes": 25}
        )
        bad = admin.patch(f"/api/v1/services/{created.json()['id']}", json={"professions": []})
        missing = admin.patch("/api/v1/services/999", json={"name": "x"})

    assert refused.status_code == 403
    assert created.status_code == 201, created.text
    assert again.status_code == 422
    assert error_of(again)["code"] == "code_taken"
    assert changed.json()["duration_minutes"] == 25
    assert (bad.status_code, error_of(bad)["field"]) == (422, "professions")
    assert missing.status_code == 404
    with db.session(api.engine) as session:
        actions = [e.action for e in audit.recent_entries(session)]
    assert actions[:2] == ["service.updated", "service.created"]


def test_it_adds_rooms_and_locations_and_refuses_an_unknown_time_zone(api: Web) -> None:
    with api.api("ada") as client:
        room = client.post("/api/v1/rooms", json={"name": "Room 3", "kind": "treatment_room"})
        renamed = client.patch(f"/api/v1/rooms/{room.json()['id']}", json={"name": "Quiet room"})
        location = client.post(
            "/api/v1/locations",
            json={
                "name": "Uptown",
                "time_zone": "America/New_York",
                "opening": [{"weekday": 0, "opens": "09:00", "closes": "17:00"}],
            },
        )
        directory = client.post(
            "/api/v1/locations", json={"name": "Nowhere", "time_zone": "America"}
        )
        moved = client.patch(
            f"/api/v1/locations/{location.json()['id']}", json={"time_zone": "America/Chicago"}
        )

    assert room.status_code == 201
    assert renamed.json()["name"] == "Quiet room"
    assert location.json()["opening"] == [{"weekday": 0, "opens": "09:00:00", "closes": "17:00:00"}]
    assert (directory.status_code, error_of(directory)["field"]) == (422, "time_zone")
    assert moved.json()["time_zone"] == "America/Chicago"


def test_it_manages_a_practitioner_from_hiring_to_certificate(api: Web) -> None:
    with api.api("ada") as client:
        sam = client.post(
            "/api/v1/practitioners", json={"name": "Sam Okafor", "profession": "nurse"}
        ).json()
        path = f"/api/v1/practitioners/{sam['id']}"
        hours = client.put(
            f"{path}/working-hours",
            json={
                "shifts": [
                    {
                        "weekday": 1,
                        "starts": "09:00",
                        "ends": "17:00",
                        "break_starts": "12:00",
                        "break_ends": "12:30",
                    }
                ]
            },
        )
        backwards = client.put(
            f"{path}/working-hours",
            json={"shifts": [{"weekday": 1, "starts": "17:00", "ends": "09:00"}]},
        )
        leave = client.post(
            f"{path}/time-off",
            json={
                "starts_at": api.clinic.at(TUESDAY, 9).isoformat(),
                "ends_at": api.clinic.at(TUESDAY, 11).isoformat(),
                "reason": "training",
            },
        )
        certified = client.put(
            f"{path}/certification",
            json={"issued_by": "Dry Needling Institute", "valid_until": "2027-12-31"},
        )
        profile = client.get(path).json()
        removed = client.delete(f"{path}/time-off/{leave.json()['id']}")
        removed_twice = client.delete(f"{path}/time-off/{leave.json()['id']}")
        renamed = client.patch(path, json={"name": "Sam O."})

    assert hours.status_code == 200, hours.text
    assert (backwards.status_code, error_of(backwards)["code"]) == (422, "bad_hours")
    assert leave.status_code == 201
    assert certified.json()["needling_certified_until"] == "2027-12-31"
    assert [h["weekday"] for h in profile["working_hours"]] == [1]
    assert [t["reason"] for t in profile["time_off"]] == ["training"]
    assert (removed.status_code, removed_twice.status_code) == (204, 404)
    assert renamed.json()["name"] == "Sam O."


def test_it_refuses_time_off_over_booked_visits_with_409(api: Web) -> None:
    with scene(api) as session:
        alex = assessed_patient(session, api.clinic)
        book(session, alex, api.clinic.at(TUESDAY, 9), "massage-60", practitioner=api.clinic.lena)

    with api.api("ada") as client:
        response = client.post(
            f"/api/v1/practitioners/{api.clinic.lena.id}/time-off",
            json={
                "starts_at": api.clinic.at(TUESDAY, 8).isoformat(),
                "ends_at": api.clinic.at(TUESDAY, 12).isoformat(),
            },
        )

    assert response.status_code == 409
    assert error_of(response)["code"] == "visits_booked"


def test_it_shows_a_practitioner_their_own_day_with_what_to_watch_for(api: Web) -> None:
    with scene(api) as session:
        bea = make_patient(session, intake=True, flags=["pregnancy"])
        book(
            session,
            bea,
            api.clinic.at(TUESDAY, 9),
            "assessment-60",
            "dry-needling-30",
            practitioner=api.clinic.dana,
        )
    path = f"/api/v1/practitioners/{api.clinic.dana.id}/schedule"

    with api.api("dana") as client:
        day = client.get(path, params={"date": TUESDAY.isoformat()})
    with api.api("lena") as other:
        refused = other.get(path, params={"date": TUESDAY.isoformat()})
    with api.api("frank") as front_desk:
        seen_by_front_desk = front_desk.get(path, params={"date": TUESDAY.isoformat()})

    assessment, needling = day.json()["appointments"]
    assert (needling["patient"], needling["room"]) == ("Bea Lindqvist", "Room 1")
    assert needling["intake_flags"] == ["pregnancy"]
    assert needling["first_needling"] and not assessment["first_needling"]
    assert needling["visit_services"] == ["assessment-60", "dry-needling-30"]
    assert needling["last_soreness"] is None
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "not_your_schedule"
    assert seen_by_front_desk.status_code == 200


def test_a_practitioner_sees_their_own_hours_and_time_off_and_no_one_elses(api: Web) -> None:
    with api.api("dana") as dana:
        own = dana.get(f"/api/v1/practitioners/{api.clinic.dana.id}")
        other = dana.get(f"/api/v1/practitioners/{api.clinic.lena.id}")

    assert own.status_code == 200
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "not_your_schedule"

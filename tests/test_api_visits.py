"""The front desk's JSON API over real HTTP: find a time, book, move, cancel, follow the day."""

from datetime import UTC, datetime, timedelta

from scheduler.core import audit, db
from scheduler.core.clock import utc_now
from tests.api_fixtures import error_of, scene
from tests.factories import CURRENT_TIME, assessed_patient, book, make_patient, next_weekday
from tests.web_fixtures import Web

TUESDAY = next_weekday(1)
YESTERDAY = CURRENT_TIME - timedelta(days=1)


def alex_id(web: Web) -> int:
    with scene(web) as session:
        return assessed_patient(session, web.clinic).id or 0


def visit_body(
    web: Web, patient_id: int, hour: int, *services: str, **part: int
) -> dict[str, object]:
    return {
        "patient_id": patient_id,
        "start": web.clinic.at(TUESDAY, hour).isoformat(),
        "appointments": [{"service": code, **part} for code in services],
    }


def test_it_lists_open_times_with_who_and_where(api: Web) -> None:
    dana = api.clinic.dana.id
    with api.api("frank") as client:
        response = client.get(
            "/api/v1/availability",
            params={
                "services": "dry-needling-30,massage-60",
                "from": TUESDAY.isoformat(),
                "days": 1,
                "practitioner_id": dana,
            },
        )

    assert response.status_code == 200
    slots = response.json()["slots"]
    first = slots[0]
    assert first["start"] == utc(api.clinic.at(TUESDAY, 8))
    needling, massage = first["appointments"]
    assert (needling["service"], needling["practitioner_id"]) == ("dry-needling-30", dana)
    assert massage["service"] == "massage-60"
    assert needling["end"] == massage["start"]
    assert {"room_id", "start", "end"} <= set(massage)


def test_it_says_which_field_is_wrong_when_searching(api: Web) -> None:
    with api.api("frank") as client:
        no_days = client.get(
            "/api/v1/availability",
            params={"services": "massage-60", "from": TUESDAY.isoformat(), "days": 0},
        )
        unknown = client.get(
            "/api/v1/availability", params={"services": "reiki-60", "from": TUESDAY.isoformat()}
        )

    assert no_days.status_code == 422
    assert error_of(no_days)["field"] == "days"
    assert unknown.status_code == 404
    assert error_of(unknown) | {"message": ""} == {
        "code": "unknown_service",
        "message": "",
        "field": "services",
    }


def test_it_books_a_visit_and_answers_with_its_appointments(api: Web) -> None:
    alex = alex_id(api)
    body = visit_body(api, alex, 9, "dry-needling-30", "massage-60")

    with api.api("frank") as client:
        response = client.post("/api/v1/visits", json=body)

    assert response.status_code == 201, response.text
    visit = response.json()
    assert (visit["status"], visit["patient_id"], visit["confirmed"]) == ("booked", alex, False)
    assert [a["service"] for a in visit["appointments"]] == ["dry-needling-30", "massage-60"]
    assert visit["booked_by"] == f"user:{api.staff['frank'].user_id} frank"
    with db.session(api.engine) as session:
        entry = audit.recent_entries(session, subject=f"visit:{visit['id']}")[0]
    assert (entry.action, entry.actor) == ("visit.booked", visit["booked_by"])


def test_it_answers_409_when_the_slot_is_taken(api: Web) -> None:
    alex = alex_id(api)
    with scene(api) as session:
        bea = make_patient(session, intake=True)
        book(session, bea, api.clinic.at(TUESDAY, 9), "massage-60", practitioner=api.clinic.lena)

    with api.api("frank") as client:
        response = client.post(
            "/api/v1/visits",
            json=visit_body(api, alex, 9, "massage-60", practitioner_id=api.clinic.lena.id or 0),
        )

    assert response.status_code == 409
    assert error_of(response)["code"] == "slot_taken"
    assert error_of(response)["field"] == "start"


def test_it_refuses_needling_without_an_intake_naming_the_field(api: Web) -> None:
    with scene(api) as session:
        bea = make_patient(session).id or 0

    with api.api("frank") as client:
        response = client.post("/api/v1/visits", json=visit_body(api, bea, 9, "dry-needling-30"))

    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("intake_missing", "patient_id")
    assert "intake" in error["message"]


def test_it_refuses_malformed_bookings_with_the_field_at_fault(api: Web) -> None:
    alex = alex_id(api)
    naive = visit_body(api, alex, 9, "massage-60") | {"start": f"{TUESDAY}T09:00:00"}
    far = visit_body(api, alex, 9, "massage-60") | {"start": "9999-12-31T23:59:59-05:00"}
    empty = visit_body(api, alex, 9)
    huge_id = visit_body(api, 2**40, 9, "massage-60")

    with api.api("frank") as client:
        answers = [
            client.post("/api/v1/visits", json=body) for body in (naive, far, empty, huge_id)
        ]

    assert [a.status_code for a in answers] == [422] * 4
    assert [error_of(a)["field"] for a in answers] == [
        "start",
        "start",
        "appointments",
        "patient_id",
    ]


def test_it_answers_404_for_a_visit_that_does_not_exist(api: Web) -> None:
    with api.api("frank") as client:
        response = client.get("/api/v1/visits/999")
        moved = client.post("/api/v1/visits/999/reschedule", json={"start": "2026-11-24T09:00Z"})

    assert (response.status_code, moved.status_code) == (404, 404)
    assert error_of(response)["code"] == "unknown_visit"


def test_it_moves_a_visit_and_refuses_a_stale_version(api: Web) -> None:
    alex = alex_id(api)
    with api.api("frank") as client:
        visit = client.post("/api/v1/visits", json=visit_body(api, alex, 9, "massage-60")).json()
        moved = client.post(
            f"/api/v1/visits/{visit['id']}/reschedule",
            json={"start": api.clinic.at(TUESDAY, 14).isoformat(), "version": 1},
        )
        stale = client.post(
            f"/api/v1/visits/{visit['id']}/reschedule",
            json={"start": api.clinic.at(TUESDAY, 15).isoformat(), "version": 1},
        )
        shown = client.get(f"/api/v1/visits/{visit['id']}")

    assert moved.status_code == 200, moved.text
    assert moved.json()["version"] == 2
    assert moved.json()["start"] == utc(api.clinic.at(TUESDAY, 14))
    assert stale.status_code == 409
    assert error_of(stale)["code"] == "visit_changed"
    assert shown.json()["start"] == moved.json()["start"]


def booked_for_nine_today(api: Web) -> str:
    """The path of a massage at 09:00 on CURRENT_TIME's day, booked the day before."""
    today = CURRENT_TIME.astimezone(api.clinic.zone).date()
    with scene(api) as session:
        alex = assessed_patient(session, api.clinic)
        visit = book(session, alex, api.clinic.at(today, 9), "massage-30", now=YESTERDAY)
    return f"/api/v1/visits/{visit.id}"


def test_it_follows_a_visit_through_the_day(api: Web) -> None:
    path = booked_for_nine_today(api)

    with api.api("frank") as client:
        api.app.dependency_overrides[utc_now] = lambda: (
            CURRENT_TIME + timedelta(hours=1, minutes=50)
        )
        checked_in = client.post(f"{path}/check-in")
        twice = client.post(f"{path}/check-in")
        api.app.dependency_overrides[utc_now] = lambda: (
            CURRENT_TIME + timedelta(hours=2, minutes=30)
        )
        completed = client.post(f"{path}/complete")
        texts = client.get(f"{path}/messages")

    assert checked_in.json()["status"] == "checked_in"
    assert twice.status_code == 422
    assert error_of(twice)["code"] == "wrong_status"
    assert completed.json()["status"] == "completed"
    assert completed.json()["completed_at"] is not None
    assert "aftercare" in [message["kind"] for message in texts.json()]
    assert {"kind", "send_at", "status", "error", "body"} <= set(texts.json()[0])


def test_it_refuses_to_check_in_or_complete_a_visit_hours_away_and_changes_nothing(
    api: Web,
) -> None:
    path = booked_for_nine_today(api)

    with api.api("frank") as client:
        early = client.post(f"{path}/check-in")
        completed = client.post(f"{path}/complete")
        visit = client.get(path).json()
        kinds = [text["kind"] for text in client.get(f"{path}/messages").json()]

    assert (early.status_code, error_of(early)["code"]) == (422, "too_early_to_check_in")
    assert "checked in from Mon 23 Nov 08:00" in error_of(early)["message"]
    assert (completed.status_code, error_of(completed)["code"]) == (422, "not_started")
    assert visit["status"] == "booked"
    assert "aftercare" not in kinds


def test_it_marks_a_no_show_only_once_the_visit_has_started(api: Web) -> None:
    path = f"{booked_for_nine_today(api)}/no-show"

    with api.api("frank") as client:
        early = client.post(path)
        api.app.dependency_overrides[utc_now] = lambda: CURRENT_TIME + timedelta(hours=3)
        missed = client.post(path)

    assert early.status_code == 422
    assert error_of(early)["code"] == "not_started"
    assert missed.json()["status"] == "no_show"


def test_it_cancels_with_a_reason_and_withdraws_the_texts(api: Web) -> None:
    alex = alex_id(api)
    with api.api("frank") as client:
        visit = client.post("/api/v1/visits", json=visit_body(api, alex, 9, "massage-60")).json()
        cancelled = client.post(
            f"/api/v1/visits/{visit['id']}/cancel", json={"reason": "feeling unwell"}
        )
        again = client.post(f"/api/v1/visits/{visit['id']}/cancel", json={"reason": "twice"})
        texts = client.get(f"/api/v1/visits/{visit['id']}/messages").json()

    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (
        "cancelled",
        "feeling unwell",
    )
    assert not cancelled.json()["late_cancel"]  # Tuesday 09:00 is 26 hours after Monday 07:00
    assert again.status_code == 422
    assert {m["status"] for m in texts if m["kind"] != "cancellation_notice"} == {"cancelled"}
    with db.session(api.engine) as session:
        actions = [e.action for e in audit.recent_entries(session, subject=f"visit:{visit['id']}")]
    assert actions == ["visit.cancelled", "visit.booked"]


def test_it_books_a_treatment_plan_all_or_nothing(api: Web) -> None:
    alex = alex_id(api)
    weekly = visit_body(api, alex, 10, "dry-needling-30") | {"count": 4}
    with scene(api) as session:
        bea = make_patient(session, intake=True)
        third_week = TUESDAY + timedelta(weeks=2)
        book(
            session, bea, api.clinic.at(third_week, 10), "massage-60", practitioner=api.clinic.dana
        )

    with api.api("frank") as client:
        plan = client.post("/api/v1/visits/series", json=weekly)
        clashing = client.post(
            "/api/v1/visits/series",
            json=weekly
            | {
                "appointments": [
                    {"service": "dry-needling-30", "practitioner_id": api.clinic.dana.id}
                ]
            },
        )

    assert plan.status_code == 201, plan.text
    starts = [visit["start"] for visit in plan.json()["visits"]]
    assert starts == [utc(api.clinic.at(TUESDAY + timedelta(weeks=n), 10)) for n in range(4)]
    assert clashing.status_code == 409
    assert error_of(clashing)["code"] == "series_conflict"


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

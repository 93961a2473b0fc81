from datetime import UTC, time

from sqlmodel import col, select

from scheduler.core import db
from scheduler.core.policy import current_policy
from scheduler.messaging.send_window import send_window
from scheduler.models import (
    AuditEntry,
    Location,
    MessageTemplate,
    OpeningHours,
    Practitioner,
    Room,
    Service,
    TimeOff,
    User,
    Visit,
    WorkingHours,
)
from tests.factories import CURRENT_TIME, assessed_patient, book, next_weekday
from tests.web_fixtures import Web
from tests.web_pages import audit_actions, clinic_data, submit

TUESDAY = next_weekday(1)
ADMIN_PAGES = [
    "/admin/clinic",
    "/admin/practitioners",
    "/admin/practitioners/1",
    "/admin/rooms",
    "/admin/services",
    "/admin/services/1",
    "/admin/templates",
    "/admin/templates/reminder",
    "/admin/send-window",
    "/admin/audit",
]
WEEK = {
    "works": ["0", "1", "2", "3", "4"],
    "starts": ["09:00"] * 5 + [""] * 2,
    "ends": ["15:00"] * 5 + [""] * 2,
    "break_starts": [""] * 7,
    "break_ends": [""] * 7,
}


def test_admin_pages_are_for_admins_only(pages: Web) -> None:
    with pages.browser("ada") as client:
        assert [client.get(path).status_code for path in ADMIN_PAGES] == [200] * len(ADMIN_PAGES)
    for other in ("frank", "dana"):
        with pages.browser(other) as client:
            assert {client.get(path).status_code for path in ADMIN_PAGES} == {403}


def test_it_warns_of_certificates_running_out_within_30_days(pages: Web) -> None:
    with pages.browser("ada") as client:
        page = client.get("/admin/practitioners").text

    assert "1 dry needling certificate to renew" in page
    assert "expires in 20 days, on 13 Dec 2026" in page  # Marcus
    assert "Certified until 30 Jun 2028" in page  # Dana


def test_it_adds_a_practitioner_and_opens_their_page(pages: Web) -> None:
    with pages.browser("ada") as client:
        added = submit(
            pages, client, "/admin/practitioners", name="Noor Haddad", profession="nurse"
        )

    with db.session(pages.engine) as session:
        noor = session.exec(select(Practitioner).where(Practitioner.name == "Noor Haddad")).one()
    assert added.headers["location"] == f"/admin/practitioners/{noor.id}"
    assert ("practitioner.created", f"practitioner:{noor.id}") in audit_actions(pages)


def test_it_sets_weekly_hours(pages: Web) -> None:
    lena = pages.clinic.lena.id

    with pages.browser("ada") as client:
        saved = submit(pages, client, f"/admin/practitioners/{lena}/hours", **WEEK)

    assert saved.status_code == 303
    with db.session(pages.engine) as session:
        rows = session.exec(select(WorkingHours).where(WorkingHours.practitioner_id == lena)).all()
    assert {(h.weekday, h.starts, h.ends) for h in rows} == {
        (day, time(9), time(15)) for day in range(5)
    }
    assert ("working_hours.set", f"practitioner:{lena}") in audit_actions(pages)


def massage_with_lena_on_tuesday_at_16(pages: Web) -> Visit:
    with clinic_data(pages) as session:
        alex = assessed_patient(session, pages.clinic)
        return book(
            session,
            alex,
            pages.clinic.at(TUESDAY, 16),
            "massage-30",
            practitioner=pages.clinic.lena,
        )


def test_it_refuses_hours_that_would_strand_a_booked_visit_and_says_which(pages: Web) -> None:
    visit = massage_with_lena_on_tuesday_at_16(pages)

    with pages.browser("ada") as client:
        refused = submit(
            pages, client, f"/admin/practitioners/{pages.clinic.lena.id}/hours", **WEEK
        )

    assert refused.status_code == 409
    assert f"visit {visit.id} on Tue 24 Nov 16:00" in refused.text
    with db.session(pages.engine) as session:
        ends = session.exec(
            select(col(WorkingHours.ends)).where(
                WorkingHours.practitioner_id == pages.clinic.lena.id
            )
        ).all()
    assert set(ends) == {time(17)}


WEEKDAYS_OPEN = {
    "name": "Riverside Physio & Rehab",
    "phone": "+1 212 555 0199",
    "open_days": ["0", "1", "2", "3", "4"],
    "opens": ["08:00"] * 5 + [""] * 2,
    "closes": ["18:00"] * 5 + [""] * 2,
}


def opening_hours(pages: Web) -> set[tuple[int, time, time]]:
    with db.session(pages.engine) as session:
        rows = session.exec(select(OpeningHours)).all()
    return {(row.weekday, row.opens, row.closes) for row in rows}


def test_it_sets_the_clinics_name_phone_and_opening_hours(pages: Web) -> None:
    with pages.browser("ada") as client:
        saved = submit(pages, client, "/admin/clinic", **WEEKDAYS_OPEN)
        shown = client.get("/admin/clinic").text

    assert saved.status_code == 303
    assert opening_hours(pages) == {(day, time(8), time(18)) for day in range(5)}
    with db.session(pages.engine) as session:
        clinic = session.exec(select(Location)).one()
    assert (clinic.name, clinic.phone) == ("Riverside Physio & Rehab", "+1 212 555 0199")
    assert 'value="Riverside Physio &amp; Rehab"' in shown
    assert ("location.updated", f"location:{clinic.id}") in audit_actions(pages)


def test_it_refuses_opening_hours_that_would_strand_a_booked_visit(pages: Web) -> None:
    visit = massage_with_lena_on_tuesday_at_16(pages)
    before = opening_hours(pages)

    with pages.browser("ada") as client:
        refused = submit(
            pages, client, "/admin/clinic", **WEEKDAYS_OPEN | {"closes": ["15:00"] * 5 + [""] * 2}
        )

    assert refused.status_code == 409
    assert f"visit {visit.id} on {TUESDAY:%a %d %b} 16:00" in refused.text
    assert opening_hours(pages) == before
    with db.session(pages.engine) as session:
        assert session.exec(select(Location.name)).one() == "Riverside Physio"


def test_it_refuses_a_day_ticked_open_without_its_hours(pages: Web) -> None:
    before = opening_hours(pages)

    with pages.browser("ada") as client:
        refused = submit(pages, client, "/admin/clinic", **WEEKDAYS_OPEN | {"open_days": ["5"]})

    assert refused.status_code == 422
    assert "Give Saturday&#39;s opening hours." in refused.text
    assert opening_hours(pages) == before


def test_it_adds_and_removes_time_off_on_the_clinics_clock(pages: Web) -> None:
    dana = pages.clinic.dana.id

    with pages.browser("ada") as client:
        submit(
            pages,
            client,
            f"/admin/practitioners/{dana}/time-off",
            starts=f"{TUESDAY}T13:00",
            ends=f"{TUESDAY}T17:00",
            reason="course",
        )
        with db.session(pages.engine) as session:
            leave = session.exec(select(TimeOff).where(TimeOff.practitioner_id == dana)).one()
        page = client.get(f"/admin/practitioners/{dana}").text
        submit(pages, client, f"/admin/practitioners/{dana}/time-off/{leave.id}/remove")

    assert leave.starts_at == pages.clinic.at(TUESDAY, 13)
    assert "Tue 24 Nov 13:00 \u2013 Tue 24 Nov 17:00" in page and "course" in page
    with db.session(pages.engine) as session:
        assert session.exec(select(TimeOff)).all() == []
    actions = audit_actions(pages)
    assert ("time_off.added", f"practitioner:{dana}") in actions
    assert ("time_off.removed", f"practitioner:{dana}") in actions


def test_it_refuses_half_a_certificate(pages: Web) -> None:
    with pages.browser("ada") as client:
        refused = submit(
            pages,
            client,
            f"/admin/practitioners/{pages.clinic.priya.id}/certificate",
            issued_by="Dry Needling Institute",
        )

    assert refused.status_code == 422
    assert "needs both who issued it and until when" in refused.text


def test_it_adds_and_renames_rooms(pages: Web) -> None:
    with pages.browser("ada") as client:
        submit(pages, client, "/admin/rooms", name="Room 5", kind="treatment_room")
        with db.session(pages.engine) as session:
            room = session.exec(select(Room).where(Room.name == "Room 5")).one()
        submit(pages, client, f"/admin/rooms/{room.id}", name="Quiet room", kind="treatment_room")

    with db.session(pages.engine) as session:
        assert session.get_one(Room, room.id).name == "Quiet room"
    assert ("room.updated", f"room:{room.id}") in audit_actions(pages)


def test_it_adds_and_changes_services(pages: Web) -> None:
    fields = {"minutes": "90", "cleanup_minutes": "10", "room_kind": "treatment_room"}
    with pages.browser("ada") as client:
        submit(
            pages,
            client,
            "/admin/services",
            code="massage-90",
            kind="massage",
            name="Massage, 90 min",
            professions=["massage_therapist"],
            **fields,
        )
        with db.session(pages.engine) as session:
            added = session.exec(select(Service).where(Service.code == "massage-90")).one()
        submit(
            pages,
            client,
            f"/admin/services/{added.id}",
            name="Long massage",
            professions=["massage_therapist", "physical_therapist"],
            **fields,
        )

    with db.session(pages.engine) as session:
        changed = session.get_one(Service, added.id)
    assert (changed.name, changed.duration_minutes) == ("Long massage", 90)
    assert changed.professions == ["massage_therapist", "physical_therapist"]


def test_it_previews_a_text_as_it_is_typed_with_its_segments(pages: Web) -> None:
    body = "{clinic}: see you {day} at {time} ✓"

    with pages.browser("ada") as client:
        preview = client.get("/admin/templates/reminder/preview", params={"body": body}).text
        broken = client.get("/admin/templates/reminder/preview", params={"body": "{diagnosis}"})

    assert "Riverside Physio: see you Wed 30 Sep at 12:45 ✓" in preview
    assert "1 text message, 1 allowed" in preview and "UCS-2" in preview
    assert "Unknown placeholder(s) diagnosis" in broken.text


def test_the_text_page_lists_every_placeholder_and_counts_messages_in_plain_words(
    pages: Web,
) -> None:
    with pages.browser("ada") as client:
        page = client.get("/admin/templates/reminder").text
        long = client.get(
            "/admin/templates/reminder/preview", params={"body": "{clinic} " + "x" * 200}
        ).text

    assert "{clinic}, {phone}, {first_name}, {day}, {time}, {link}." in page
    assert "2 text messages, 1 allowed" in long


def test_it_saves_a_text_within_its_budget_and_refuses_one_over_it(pages: Web) -> None:
    with pages.browser("ada") as client:
        saved = submit(pages, client, "/admin/templates/reminder", body="{clinic}: see you {time}.")
        refused = submit(pages, client, "/admin/templates/reminder", body="{clinic} " + "x" * 200)

    assert saved.status_code == 303
    assert (
        refused.status_code == 422 and "takes 2 text messages; this one may take 1" in refused.text
    )
    with db.session(pages.engine) as session:
        assert session.get_one(MessageTemplate, "reminder").body == "{clinic}: see you {time}."
    assert audit_actions(pages).count(("template.changed", "template:reminder")) == 1


def test_it_sets_and_resets_the_send_window(pages: Web) -> None:
    with pages.browser("ada") as client:
        submit(pages, client, "/admin/send-window", opens="09:30", closes="18:00")
        with db.session(pages.engine) as session:
            stored = send_window(session, current_policy())
        page = client.get("/admin/send-window").text
        submit(pages, client, "/admin/send-window/reset")
        with db.session(pages.engine) as session:
            after_reset = send_window(session, current_policy())

    assert stored == (time(9, 30), time(18))
    assert "between <b>09:30</b> and <b>18:00</b>" in page
    assert after_reset == current_policy().send_window
    actions = [action for action, _ in audit_actions(pages)]
    assert "send_window.set" in actions and "send_window.reset" in actions


def test_the_audit_log_shows_who_did_what_and_filters_by_subject(pages: Web) -> None:
    with pages.browser("ada") as client:
        submit(pages, client, "/admin/rooms", name="Room 5", kind="treatment_room")
        everything = client.get("/admin/audit").text
        only_visits = client.get("/admin/audit", params={"subject": "visit:1"}).text

    assert "room created" in everything and "ada" in everything
    assert "room created" not in only_visits


def test_the_audit_log_reads_in_the_clinics_words_and_time(pages: Web) -> None:
    with clinic_data(pages) as session:
        alex = assessed_patient(session, pages.clinic)
        visit = book(session, alex, pages.clinic.at(TUESDAY, 10), "massage-30")
        session.add(
            AuditEntry(
                at=CURRENT_TIME,
                actor="user:2 frank",
                action="visit.booked",
                subject=f"visit:{visit.id}",
                detail=f"start={pages.clinic.at(TUESDAY, 10).astimezone(UTC).isoformat()}",
            )
        )

    with pages.browser("ada") as client:
        page = client.get("/admin/audit").text
        about = client.get("/admin/audit", params={"subject": f"visit:{visit.id}"}).text

    assert "Alex Moreno&#39;s visit on Tue 24 Nov 10:00</a>: booked" in page
    assert "to Tue 24 Nov 10:00" in page and "+00:00" not in page
    assert "Only what concerns <b>Alex Moreno&#39;s visit on Tue 24 Nov 10:00</b>" in about


def test_admin_forms_need_the_csrf_token(pages: Web) -> None:
    with pages.browser("ada") as client:
        refused = client.post("/admin/rooms", data={"name": "Room 5", "kind": "gym"})

    assert refused.status_code == 403
    with db.session(pages.engine) as session:
        assert session.exec(select(Room).where(col(Room.name) == "Room 5")).all() == []


def test_an_admin_adds_an_account_that_signs_in_with_the_password_shown_once(pages: Web) -> None:
    with pages.browser("ada") as client:
        page = submit(pages, client, "/admin/users", name="grace", role="front_desk").text
    password = page.split('password <code class="secret">', 1)[1].split("<", 1)[0]

    with pages.client() as client:
        signed_in = client.post("/login", data={"name": "grace", "password": password})

    with db.session(pages.engine) as session:
        grace = session.exec(select(User).where(User.name == "grace")).one()
    assert signed_in.status_code == 303
    assert ("user.created", f"user:{grace.id}") in audit_actions(pages)


def test_switching_an_account_off_signs_it_out_and_stops_its_token(pages: Web) -> None:
    frank = pages.staff["frank"]

    with pages.browser("frank") as desk:
        with pages.browser("ada") as client:
            switched = submit(pages, client, f"/admin/users/{frank.user_id}/active")
            own = submit(pages, client, f"/admin/users/{pages.staff['ada'].user_id}/active")
        after = desk.get("/board")
    with pages.api("frank") as api:
        token = api.get("/board")

    assert switched.status_code == 303
    assert own.status_code == 422 and "your own account" in own.text
    assert after.status_code == 401 and token.status_code == 401
    assert ("user.deactivated", f"user:{frank.user_id}") in audit_actions(pages)


def test_staff_accounts_are_for_admins_only(pages: Web) -> None:
    with pages.browser("frank") as client:
        assert client.get("/admin/users").status_code == 403
        assert submit(pages, client, "/admin/users", name="x", role="admin").status_code == 403

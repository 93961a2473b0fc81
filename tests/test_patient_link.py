"""A patient's personal link: their visit on a phone, and confirm, cancel or move it, no login."""

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.core import audit, db, signing
from scheduler.core.errors import Conflict
from scheduler.models import AuditEntry, Message, Patient, Practitioner, Visit, VisitStatus
from scheduler.patients.links import move_by_link, open_link, open_times
from tests.factories import (
    CURRENT_TIME,
    POLICY,
    Clinic,
    assessed_patient,
    book,
    make_clinic,
    make_patient,
    next_weekday,
)
from tests.oracles import count_overlaps
from tests.sent_texts import send_now
from tests.web_fixtures import Web
from tests.web_pages import at, clinic_data

TUESDAY = next_weekday(1)
WEDNESDAY = next_weekday(2)
NOTHING_CLINICAL = ("low back pain", "ibuprofen", "intake", "consent")


def booked_visit(web: Web) -> Visit:
    """Alex's dry needling with Dana on Tuesday at 10:00, 27 hours after CURRENT_TIME."""
    with clinic_data(web) as session:
        alex = assessed_patient(session, web.clinic)
        return book(
            session,
            alex,
            web.clinic.at(TUESDAY, 10),
            "dry-needling-30",
            practitioner=web.clinic.dana,
        )


def token_of(engine: Engine, visit: Visit) -> str:
    with db.session(engine) as session:
        return signing.sign(signing.signing_key(session), signing.VISIT, visit.id or 0)


def visit_now(engine: Engine, visit: Visit) -> Visit:
    with db.session(engine) as session:
        return session.get_one(Visit, visit.id)


def patients_entries(engine: Engine, visit: Visit) -> list[tuple[str, str]]:
    with db.session(engine) as session:
        entries = session.exec(
            select(AuditEntry)
            .where(AuditEntry.subject == f"visit:{visit.id}")
            .where(col(AuditEntry.actor).startswith("patient:"))
            .order_by(col(AuditEntry.id))
        )
        return [(entry.action, entry.actor) for entry in entries]


def offered_starts(page: str) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', page)


def test_it_shows_the_visit_without_anything_clinical(pages: Web) -> None:
    visit = booked_visit(pages)

    with pages.client() as client:
        response = client.get(f"/v/{token_of(pages.engine, visit)}")

    assert response.status_code == 200
    page = response.text
    assert "Riverside Physio" in page and "Tue 24 Nov at 10:00" in page
    assert "Dana Whitfield" in page and "Dry needling, 30 min" in page
    assert "/confirm" in page and "/move" in page and "/cancel" in page
    assert not [word for word in NOTHING_CLINICAL if word in page.lower()]


def test_it_keeps_the_link_out_of_referrers_frames_and_caches(pages: Web) -> None:
    visit = booked_visit(pages)
    token = token_of(pages.engine, visit)

    with pages.client() as client:
        answers = [
            client.get(f"/v/{token}"),
            client.get(f"/v/{token}/move"),
            client.post(f"/v/{token}/confirm"),
            client.get(f"/v/{visit.id}.AAAAAAAAAAAAAAAA"),
        ]

    assert [a.headers["referrer-policy"] for a in answers] == ["no-referrer"] * 4
    assert {a.headers["x-frame-options"] for a in answers} == {"DENY"}
    assert {a.headers["cache-control"] for a in answers} == {"no-store"}


@pytest.mark.parametrize("tamper", ["other visit", "changed signature", "no signature"])
def test_it_refuses_a_tampered_link_and_changes_nothing(pages: Web, tamper: str) -> None:
    visit = booked_visit(pages)
    visit_id, signature = token_of(pages.engine, visit).split(".")
    token = {
        "other visit": f"{int(visit_id) - 1}.{signature}",
        "changed signature": f"{visit_id}.{signature[::-1]}",
        "no signature": visit_id,
    }[tamper]

    with pages.client() as client:
        page = client.get(f"/v/{token}")
        cancelled = client.post(f"/v/{token}/cancel")
        confirmed = client.post(f"/v/{token}/confirm")

    assert (page.status_code, cancelled.status_code, confirmed.status_code) == (403, 403, 403)
    assert "This link does not work" in page.text and "Dana" not in page.text
    unchanged = visit_now(pages.engine, visit)
    assert (unchanged.status, unchanged.confirmed_at) == (VisitStatus.BOOKED, None)
    assert patients_entries(pages.engine, visit) == []


def test_it_sends_a_reminder_whose_link_opens_the_visit(pages: Web) -> None:
    visit = booked_visit(pages)
    with db.session(pages.engine) as session:
        reminder = session.exec(
            select(Message).where(Message.visit_id == visit.id, Message.kind == "reminder_24h")
        ).one()

    body = send_now(pages.engine, reminder, now=reminder.send_at, public_url=pages.url)

    assert body.startswith("Riverside Physio: Tue 24 Nov 10:00. Wear loose clothing.")
    link = body.split()[-1]
    assert link.startswith(f"{pages.url}/v/{visit.id}.")
    with pages.client() as client:
        opened = client.get(link)
    assert opened.status_code == 200 and "Tue 24 Nov at 10:00" in opened.text


def test_it_confirms_the_visit_as_the_patient(pages: Web) -> None:
    visit = booked_visit(pages)
    token = token_of(pages.engine, visit)

    with pages.client() as client:
        response = client.post(f"/v/{token}/confirm")
        page = client.get(response.headers["location"]).text

    assert response.headers["location"] == f"/v/{token}?done=confirmed"
    assert "your visit is confirmed" in page
    assert visit_now(pages.engine, visit).confirmed_at == CURRENT_TIME
    assert patients_entries(pages.engine, visit) == [
        ("visit.confirmed", audit.patient_actor(visit.patient_id))
    ]


def test_it_cancels_outside_the_late_cancel_window_as_the_patient(pages: Web) -> None:
    visit = booked_visit(pages)

    with pages.client() as client:
        response = client.post(f"/v/{token_of(pages.engine, visit)}/cancel")

    assert response.status_code == 303
    cancelled = visit_now(pages.engine, visit)
    patient = audit.patient_actor(visit.patient_id)
    assert (cancelled.status, cancelled.cancelled_by, cancelled.late_cancel) == (
        VisitStatus.CANCELLED,
        patient,
        False,
    )
    assert patients_entries(pages.engine, visit) == [("visit.cancelled", patient)]


def test_it_asks_the_patient_to_call_inside_the_late_cancel_window(pages: Web) -> None:
    visit = booked_visit(pages)
    token = token_of(pages.engine, visit)
    at(pages, CURRENT_TIME + timedelta(hours=5))  # 22 hours before the visit

    with pages.client() as client:
        page = client.get(f"/v/{token}").text
        forced = client.post(f"/v/{token}/cancel")

    assert "less than 24 hours away" in page and 'href="tel:+12125550100"' in page
    assert f"/v/{token}/cancel" not in page
    assert forced.status_code == 422 and "Please call Riverside Physio" in forced.text
    assert visit_now(pages.engine, visit).status == VisitStatus.BOOKED
    assert patients_entries(pages.engine, visit) == []


def try_everything(web: Web, token: str, start: str) -> list[int]:
    with web.client() as client:
        return [
            client.post(f"/v/{token}/confirm").status_code,
            client.post(f"/v/{token}/cancel").status_code,
            client.post(f"/v/{token}/move", data={"start": start, "version": "1"}).status_code,
        ]


def test_it_stops_working_when_the_visit_starts(pages: Web) -> None:
    visit = booked_visit(pages)
    token = token_of(pages.engine, visit)
    with pages.client() as client:
        start = offered_starts(client.get(f"/v/{token}/move?day={WEDNESDAY}").text)[0]
    at(pages, pages.clinic.at(TUESDAY, 10))

    with pages.client() as client:
        page = client.get(f"/v/{token}").text
    refused = try_everything(pages, token, start)

    assert "This visit has started or is over" in page and "<form" not in page
    assert refused == [422, 422, 422]
    unchanged = visit_now(pages.engine, visit)
    assert (unchanged.status, unchanged.version, unchanged.confirmed_at) == (
        VisitStatus.BOOKED,
        1,
        None,
    )
    assert patients_entries(pages.engine, visit) == []


def test_it_shows_a_cancelled_visit_and_changes_nothing_more(pages: Web) -> None:
    visit = booked_visit(pages)
    token = token_of(pages.engine, visit)
    with pages.client() as client:
        start = offered_starts(client.get(f"/v/{token}/move?day={WEDNESDAY}").text)[0]
        client.post(f"/v/{token}/cancel")

    with pages.client() as client:
        page = client.get(f"/v/{token}").text
        move_page = client.get(f"/v/{token}/move").text
    refused = try_everything(pages, token, start)

    assert "This visit was cancelled. To book again, please call Riverside Physio" in page
    assert "<form" not in page and "<form" not in move_page
    assert refused == [422, 422, 422]
    assert visit_now(pages.engine, visit).version == 1
    assert [action for action, _ in patients_entries(pages.engine, visit)] == ["visit.cancelled"]


def test_it_moves_the_visit_with_the_same_practitioner_by_default(pages: Web) -> None:
    visit = booked_visit(pages)
    token = token_of(pages.engine, visit)

    with pages.client() as client:
        page = client.get(f"/v/{token}/move?day={WEDNESDAY}").text
        start = offered_starts(page)[0]
        moved = client.post(f"/v/{token}/move", data={"start": start, "version": "1"})

    assert start.startswith(f"{WEDNESDAY}T08:00")
    assert moved.headers["location"] == f"/v/{token}?done=moved"
    with db.session(pages.engine) as session:
        view = open_link(session, token=token, now=CURRENT_TIME, policy=POLICY)
    assert view.starts_at == datetime.fromisoformat(start)
    assert [part.practitioner for part in view.parts] == ["Dana Whitfield"]
    assert view.visit.version == 2
    assert patients_entries(pages.engine, visit) == [
        ("visit.moved", audit.patient_actor(visit.patient_id))
    ]


@pytest.mark.parametrize(
    ("start", "says"),
    [("next wednesday", "not one we offered"), ("WEDNESDAY-03:00", "closed")],
)
def test_it_refuses_a_start_it_did_not_offer(pages: Web, start: str, says: str) -> None:
    visit = booked_visit(pages)
    token = token_of(pages.engine, visit)
    start = start.replace("WEDNESDAY-03:00", pages.clinic.at(WEDNESDAY, 3).isoformat())

    with pages.client() as client:
        response = client.post(f"/v/{token}/move", data={"start": start, "version": "1"})

    assert response.status_code == 422 and says in response.text
    assert visit_now(pages.engine, visit).version == 1


def test_it_says_so_when_the_time_was_taken_or_the_visit_changed_meanwhile(pages: Web) -> None:
    visit = booked_visit(pages)
    token = token_of(pages.engine, visit)
    with pages.client() as client:
        start = offered_starts(client.get(f"/v/{token}/move?day={WEDNESDAY}").text)[0]
    with clinic_data(pages) as session:
        bea = make_patient(session)
        book(
            session,
            bea,
            datetime.fromisoformat(start),
            "assessment-60",
            practitioner=pages.clinic.dana,
        )

    with pages.client() as client:
        taken = client.post(f"/v/{token}/move", data={"start": start, "version": "1"})
        stale = client.post(f"/v/{token}/move", data={"start": start, "version": "0"})

    assert taken.status_code == 409 and "already booked" in taken.text
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    assert visit_now(pages.engine, visit).version == 1


@pytest.fixture
def clinic(session: Session) -> Clinic:
    with db.transaction(session):
        return make_clinic(session)


def dana_busy_wednesday_at_nine(session: Session, clinic: Clinic) -> None:
    book(
        session,
        make_patient(session),
        clinic.at(WEDNESDAY, 9),
        "assessment-60",
        practitioner=clinic.dana,
    )


def test_it_lets_anyone_free_take_the_visit_when_the_patient_says_so(
    session: Session, clinic: Clinic
) -> None:
    with db.transaction(session):
        alex = assessed_patient(session, clinic)
        visit = book(
            session, alex, clinic.at(TUESDAY, 10), "dry-needling-30", practitioner=clinic.dana
        )
        dana_busy_wednesday_at_nine(session, clinic)
    token = signing.sign(signing.signing_key(session), signing.VISIT, visit.id or 0)
    linked = open_link(session, token=token, now=CURRENT_TIME, policy=POLICY)
    nine = clinic.at(WEDNESDAY, 9)

    def starts(same: bool) -> set[datetime]:
        found = open_times(
            session,
            linked=linked,
            now=CURRENT_TIME,
            first_day=WEDNESDAY,
            same_practitioners=same,
            policy=POLICY,
        )
        return {slot.starts_at for slot in found}

    assert nine not in starts(same=True) and nine in starts(same=False)
    with db.transaction(session):
        moved = move_by_link(
            session,
            token=token,
            now=CURRENT_TIME,
            start=nine,
            expected_version=1,
            same_practitioners=False,
            policy=POLICY,
        )
    after = open_link(session, token=token, now=CURRENT_TIME, policy=POLICY)
    assert moved.version == 2 and after.starts_at == nine
    assert [part.practitioner for part in after.parts] == ["Marcus Chen"]


THURSDAY = next_weekday(3)
RACE_HOURS = (8, 10, 13, 15)


def test_exactly_one_of_the_patient_and_the_front_desk_gets_a_time_they_both_want(
    engine: Engine,
) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        clinic = make_clinic(session)
        alex = assessed_patient(session, clinic)
        visit = book(
            session, alex, clinic.at(TUESDAY, 10), "dry-needling-30", practitioner=clinic.dana
        )
        bea = make_patient(session)
        token = signing.sign(signing.signing_key(session), signing.VISIT, visit.id or 0)
    outcomes = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for start in [clinic.at(day, hour) for day in (WEDNESDAY, THURSDAY) for hour in RACE_HOURS]:
            barrier = threading.Barrier(2)
            patient_moves = partial(
                move_by_link,
                token=token,
                now=CURRENT_TIME,
                start=start,
                expected_version=visit_now(engine, visit).version,
                same_practitioners=True,
                policy=POLICY,
            )
            patient = pool.submit(racing, engine, barrier, patient_moves)
            desk = pool.submit(racing, engine, barrier, desk_booking(bea, start, clinic.dana))
            outcomes.append((patient.result(), desk.result()))

    assert all(sorted(round_) == ["conflict", "won"] for round_ in outcomes), outcomes
    assert count_overlaps(engine) == 0


def desk_booking(
    patient: Patient, start: datetime, practitioner: Practitioner
) -> Callable[[Session], Visit]:
    return lambda session: book(session, patient, start, "assessment-60", practitioner=practitioner)


def racing(engine: Engine, barrier: threading.Barrier, change: Callable[[Session], object]) -> str:
    """Make `change` in a transaction of its own, at the same moment as the other thread."""
    barrier.wait()
    try:
        with db.booking_session(engine) as session, db.transaction(session):
            change(session)
    except Conflict:
        return "conflict"
    return "won"


def test_the_move_page_says_a_late_visit_stays_late_to_cancel(pages: Web) -> None:
    visit = booked_visit(pages)
    token = token_of(pages.engine, visit)

    with pages.client() as client:
        in_time = client.get(f"/v/{token}/move").text
        at(pages, pages.clinic.at(TUESDAY, 8))
        late = client.get(f"/v/{token}/move").text

    assert "counts as a late cancellation" not in in_time
    assert "less than 24 hours away" in late and "counts as a late cancellation" in late


def test_the_move_page_shows_the_patients_other_visit_on_a_day(pages: Web) -> None:
    visit = booked_visit(pages)
    with clinic_data(pages) as session:
        alex = session.get_one(Patient, visit.patient_id)
        book(session, alex, pages.clinic.at(WEDNESDAY, 14), "massage-30")

    with pages.client() as client:
        page = client.get(f"/v/{token_of(pages.engine, visit)}/move?day={WEDNESDAY}").text

    assert "Already booked this day: Massage, 30 min at 14:00." in page

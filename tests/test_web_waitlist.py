"""The waitlist over real HTTP: the front desk's page and API, and the offer link patients tap."""

import re
from datetime import timedelta

from sqlmodel import select

from scheduler.core import db
from scheduler.core.policy import Policy
from scheduler.models import Message, OfferStatus, Patient, Visit, WaitlistEntry, WaitlistOffer
from scheduler.waitlist.entries import Wants, add_to_waitlist
from tests.factories import CURRENT_TIME, assessed_patient, book, make_patient, next_weekday
from tests.web_fixtures import Web
from tests.web_pages import audit_actions, clinic_data, submit
from workers.dispatch import offer_freed_time

TUESDAY = next_weekday(1)
IN_THE_WINDOW = CURRENT_TIME + timedelta(hours=3)  # Monday 10:00 in New York


def test_the_front_desk_puts_a_patient_on_the_waitlist(pages: Web) -> None:
    with clinic_data(pages) as session:
        bea = make_patient(session)

    with pages.browser("frank") as client:
        form = client.get(f"/waitlist?patient_id={bea.id}").text
        added = client.post(
            "/waitlist",
            data={
                "csrf_token": pages.csrf_token(client),
                "patient_id": str(bea.id),
                "services": ["massage-60", "", ""],
                "weekdays": ["1", "3"],
                "earliest": "",
                "latest": "12:00",
                "urgency": "2",
                "until": "2026-12-20",
                "note": "can come at short notice",
            },
        )
        listed = client.get("/waitlist").text

    assert "Put Bea Lindqvist on the waitlist" in form
    assert added.status_code == 303, added.text
    assert "Bea Lindqvist" in listed and "Tue, Thu" in listed and "soon" in listed
    with db.session(pages.engine) as session:
        entry = session.exec(select(WaitlistEntry)).one()
    assert (entry.services, entry.weekdays, entry.latest) == (["massage-60"], [1, 3], entry.latest)
    assert entry.earliest is None and f"{entry.latest:%H:%M}" == "12:00"
    assert ("waitlist.added", f"waitlist:{entry.id}") in audit_actions(pages)


def test_a_refused_entry_shows_why_and_saves_nothing(pages: Web) -> None:
    with clinic_data(pages) as session:
        bea = make_patient(session)

    with pages.browser("frank") as client:
        refused = submit(
            pages,
            client,
            "/waitlist",
            patient_id=str(bea.id),
            services="massage-60",
            until="2026-11-01",
        )

    assert refused.status_code == 422
    assert "The end date has passed." in refused.text
    with db.session(pages.engine) as session:
        assert session.exec(select(WaitlistEntry)).first() is None


def test_practitioners_do_not_manage_the_waitlist(pages: Web) -> None:
    with pages.browser("dana") as client:
        assert client.get("/waitlist").status_code == 403
    with pages.api("dana") as api:
        assert api.get("/api/v1/waitlist").status_code == 403


def test_the_api_adds_lists_and_removes_entries(pages: Web) -> None:
    with clinic_data(pages) as session:
        bea = make_patient(session)

    with pages.api("frank") as api:
        added = api.post(
            "/api/v1/waitlist",
            json={
                "patient_id": bea.id,
                "services": ["dry-needling-30", "massage-60"],
                "until": "2026-12-31",
                "practitioner_ids": [pages.clinic.dana.id],
                "urgency": 3,
            },
        )
        listed = api.get("/api/v1/waitlist").json()
        bad = api.post(
            "/api/v1/waitlist",
            json={"patient_id": bea.id, "services": ["no-such"], "until": "2026-12-31"},
        )
        removed = api.post(f"/api/v1/waitlist/{added.json()['id']}/remove")
        after = api.get("/api/v1/waitlist").json()

    assert added.status_code == 201, added.text
    assert added.json()["patient_name"] == "Bea Lindqvist" and added.json()["offers"] == []
    assert [entry["id"] for entry in listed] == [added.json()["id"]]
    assert bad.status_code == 404 and bad.json()["error"]["field"] == "services"
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
    assert after == []


def freed_and_offered(web: Web, *phones: str) -> list[str]:
    """Alex's massage cancelled over the API, the dispatcher's round run: the offer links."""
    with clinic_data(web) as session:
        alex = assessed_patient(session, web.clinic)
        visit = book(
            session, alex, web.clinic.at(TUESDAY, 10), "massage-60", practitioner=web.clinic.lena
        )
        for n, phone in enumerate(phones):
            patient = make_patient(session, name=f"Wait {n}", phone=phone)
            add_to_waitlist(
                session,
                patient_id=patient.id or 0,
                wants=Wants(services=["massage-60"], until=TUESDAY),
                now=CURRENT_TIME - timedelta(days=len(phones) - n),
                actor="user:frank",
            )
    with web.api("frank") as api:
        cancelled = api.post(f"/api/v1/visits/{visit.id}/cancel", json={"reason": "ill"})
        assert cancelled.status_code == 200, cancelled.text
    offered = offer_freed_time(
        web.engine, now=IN_THE_WINDOW, policy=Policy(), public_url="https://clinic.example.org"
    )
    assert offered == len(phones)
    with db.session(web.engine) as session:
        texts = session.exec(select(Message).where(Message.kind == "waitlist_offer")).all()
        return [_path_of(text.body or "") for text in texts]


def _path_of(body: str) -> str:
    found = re.search(r"https://clinic\.example\.org(/w/\S+)", body)
    assert found, body
    return found.group(1)


def test_the_offer_link_shows_the_time_and_takes_it(pages: Web) -> None:
    first, second = freed_and_offered(pages, "+12125550160", "+12125550161")

    with pages.client() as client:
        shown = client.get(first)
        taken = client.post(first)
        too_late = client.get(second)
        again = client.post(second)
    with pages.browser("frank") as desk:
        overview = desk.get("/waitlist").text

    assert shown.status_code == 200
    assert "A time has opened up" in shown.text and "Take this time" in shown.text
    assert "Massage" in shown.text and "10:00" in shown.text
    assert shown.headers["referrer-policy"] == "no-referrer"
    assert taken.status_code == 200 and "It is yours" in taken.text
    assert "Sorry, this time is gone" in too_late.text and "Take this time" not in too_late.text
    assert "Sorry, this time is gone" in again.text
    assert "Off the list this week" in overview and "booked" in overview
    assert "taken" in overview  # the second patient still waits, with the offer's outcome
    assert "booked from the waitlist" in overview  # what became of the freed time
    with db.session(pages.engine) as session:
        statuses = sorted(offer.status for offer in session.exec(select(WaitlistOffer)))
        booked = session.exec(select(Visit).where(Visit.booked_by.startswith("patient:"))).all()
        winner = session.get_one(Patient, booked[0].patient_id)
    assert statuses == [OfferStatus.ACCEPTED, OfferStatus.TAKEN]
    assert len(booked) == 1 and winner.phone == "+12125550160"


def test_a_tampered_offer_link_is_refused_and_changes_nothing(pages: Web) -> None:
    (path,) = freed_and_offered(pages, "+12125550160")
    offer_id, signature = path.removeprefix("/w/").split(".")
    forged = [
        f"/w/{int(offer_id) + 1}.{signature}",
        f"/w/{offer_id}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        f"/w/{offer_id}",
        "/w/not-a-link",
    ]

    with pages.client() as client:
        answers = [client.post(link) for link in forged] + [client.get(forged[0])]

    assert [answer.status_code for answer in answers] == [403] * 5
    assert "This link does not work" in answers[0].text
    with db.session(pages.engine) as session:
        assert [o.status for o in session.exec(select(WaitlistOffer))] == [OfferStatus.OPEN]
        assert not session.exec(select(Visit).where(Visit.booked_by.startswith("patient:"))).all()

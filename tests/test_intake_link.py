"""The intake form by personal link: texted when a visit needs it, opened only with the date of
birth, filled in and signed on a phone, and then dry needling can be booked."""

import logging
import re
from datetime import date, timedelta

import httpx
import pytest
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from scheduler.clinic.consent import BUILT_IN, revise_consent
from scheduler.clinic.intake import IntakeState, intake_status, is_current
from scheduler.clinic.intake_links import issue_link
from scheduler.core import db, signing
from scheduler.core.errors import RuleViolation
from scheduler.models import AuditEntry, Intake, IntakeLink, Message, MessageStatus, Patient, Visit
from scheduler.web.rendering import Block, blocks
from tests.factories import (
    CURRENT_TIME,
    POLICY,
    assessed_patient,
    book,
    make_clinic,
    make_patient,
    next_weekday,
)
from tests.sent_texts import send_now
from tests.web_fixtures import Web
from tests.web_pages import clinic_data

THURSDAY = next_weekday(3)
BORN = date(1985, 4, 12)  # the factories' patient
ANSWERS = {
    "conditions": "Low back pain\n\nOld knee operation",
    "medications": "Warfarin 5 mg",
    "flags": ["anticoagulants", "needle_phobia_or_fainting"],
    "consent": "yes",
    "signature": "Bea Lindqvist",
}
HEALTH_WORDS = ("back pain", "knee", "warfarin", "anticoagulant", "needle_phobia")


def first_visit(web: Web) -> tuple[Patient, Visit]:
    """Bea, no intake yet, booked for an assessment with Dana on Thursday at 10:00."""
    with clinic_data(web) as session:
        bea = make_patient(session)
        visit = book(
            session, bea, web.clinic.at(THURSDAY, 10), "assessment-60", practitioner=web.clinic.dana
        )
        return bea, visit


def texts(web: Web, visit: Visit) -> dict[str, Message]:
    with db.session(web.engine) as session:
        rows = session.exec(select(Message).where(Message.visit_id == visit.id)).all()
        return {row.kind: row for row in rows}


def token_in(words: str) -> str:
    found = re.search(r"/i/([\w.-]+)", words)
    assert found is not None, words
    return found.group(1)


def requested_token(web: Web, visit: Visit) -> str:
    """The token of the link the visit's intake request carries, as sent."""
    request = texts(web, visit)["intake_request"]
    words = send_now(web.engine, request, now=request.send_at, public_url=web.url)
    return token_in(words)


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, name
    return found.group(1)


def open_form(client: httpx.Client, token: str, born: date = BORN) -> httpx.Response:
    page = client.get(f"/i/{token}").text
    return client.post(
        f"/i/{token}",
        data={"form_key": hidden(page, "form_key"), "date_of_birth": born.isoformat()},
    )


def send_form(client: httpx.Client, token: str, **changes: object) -> httpx.Response:
    form = open_form(client, token).text
    fields = {
        name: hidden(form, name)
        for name in ("form_key", "date_of_birth", "step", "consent_version")
    }
    return client.post(f"/i/{token}", data={**fields, **ANSWERS, **changes})


def intake_of(web: Web, patient: Patient) -> Intake | None:
    with db.session(web.engine) as session:
        return session.exec(select(Intake).where(Intake.patient_id == patient.id)).first()


def link_of(web: Web, token: str) -> IntakeLink:
    with db.session(web.engine) as session:
        link_id = int(token.split(".", maxsplit=1)[0])
        return session.get_one(IntakeLink, link_id)


def test_booking_a_first_visit_texts_the_form_and_a_reminder_48_hours_before(pages: Web) -> None:
    _, visit = first_visit(pages)

    planned = texts(pages, visit)

    assert {"intake_request", "intake_reminder"} <= set(planned)
    reminder = planned["intake_reminder"]
    assert reminder.send_at == pages.clinic.at(THURSDAY, 10) - timedelta(hours=48)
    assert reminder.not_after == pages.clinic.at(THURSDAY, 10)
    request = planned["intake_request"]
    words = send_now(pages.engine, request, now=request.send_at, public_url=pages.url)
    assert f"{pages.url}/i/" in words
    assert not [
        word for word in (*HEALTH_WORDS, "needl", "health", "medic") if word in words.lower()
    ]
    with pages.api("frank") as api:
        kinds = [text["kind"] for text in api.get(f"/api/v1/visits/{visit.id}/messages").json()]
    assert "intake_request" in kinds and "intake_reminder" in kinds


def test_cancelling_the_visit_withdraws_its_intake_texts(pages: Web) -> None:
    _, visit = first_visit(pages)

    with pages.api("frank") as api:
        assert (
            api.post(f"/api/v1/visits/{visit.id}/cancel", json={"reason": "ill"}).status_code == 200
        )

    planned = texts(pages, visit)
    assert planned["intake_request"].status == MessageStatus.CANCELLED
    assert planned["intake_reminder"].status == MessageStatus.CANCELLED


def test_a_patient_fills_in_and_signs_the_form_and_needling_can_then_be_booked(pages: Web) -> None:
    bea, visit = first_visit(pages)
    token = requested_token(pages, visit)
    needling = {
        "patient_id": bea.id,
        "start": pages.clinic.at(THURSDAY, 10).isoformat(),
        "appointments": [
            {"service": "assessment-60", "practitioner_id": pages.clinic.dana.id},
            {"service": "dry-needling-30", "practitioner_id": pages.clinic.dana.id},
        ],
    }
    with pages.api("frank") as api:
        api.post(f"/api/v1/visits/{visit.id}/cancel", json={"reason": "rebook"})
        refused = api.post("/api/v1/visits", json=needling)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "intake_missing")
        second = api.post(
            "/api/v1/visits", json=needling | {"start": pages.clinic.at(THURSDAY, 13).isoformat()}
        )
        assert second.status_code == 422

    with pages.client() as client:
        sent = send_form(client, token)
        thanks = client.get(f"/i/{token}")

    assert sent.status_code == 303 and sent.headers["location"] == f"/i/{token}"
    assert thanks.status_code == 200 and "Thank you" in thanks.text
    assert not [word for word in HEALTH_WORDS if word in thanks.text.lower()]
    intake = intake_of(pages, bea)
    assert intake is not None
    assert intake.conditions == ["Low back pain", "Old knee operation"]
    assert intake.medications == ["Warfarin 5 mg"]
    assert intake.flags == ["anticoagulants", "needle_phobia_or_fainting"]
    assert (intake.consent_version, intake.signature) == (1, "Bea Lindqvist")
    assert intake.consent_signed_at == CURRENT_TIME and intake.reviewed_at is None
    with db.session(pages.engine) as session:
        entries = session.exec(
            select(AuditEntry).where(col(AuditEntry.actor) == f"patient:{bea.id}")
        ).all()
    assert [(e.action, e.subject, e.detail) for e in entries] == [
        ("intake.signed", f"patient:{bea.id}", "by link, consent version 1")
    ]
    with pages.api("frank") as api:
        booked = api.post("/api/v1/visits", json=needling)
    assert booked.status_code == 201, booked.text


def test_sending_the_form_withdraws_the_reminder_still_waiting(pages: Web) -> None:
    _, visit = first_visit(pages)
    token = requested_token(pages, visit)

    with pages.client() as client:
        send_form(client, token)

    reminder = texts(pages, visit)["intake_reminder"]
    assert (reminder.status, reminder.reason) == (MessageStatus.CANCELLED, "intake received")


def test_three_wrong_dates_of_birth_lock_the_link(pages: Web) -> None:
    bea, visit = first_visit(pages)
    token = requested_token(pages, visit)

    with pages.client() as client:
        misses = [open_form(client, token, born=date(1990, 1, d)) for d in (1, 2)]
        third = open_form(client, token, born=date(1990, 1, 3))
        afterwards = client.get(f"/i/{token}")

    assert [m.status_code for m in misses] == [422, 422]
    assert "2 tries left" in misses[0].text and "1 try left" in misses[1].text
    assert 'aria-invalid="true"' in misses[0].text
    assert third.status_code == 403 and "locked" in third.text
    assert afterwards.status_code == 403 and "locked" in afterwards.text
    assert link_of(pages, token).locked_at is not None
    assert intake_of(pages, bea) is None


def test_the_right_date_after_the_lock_opens_nothing(pages: Web) -> None:
    _, visit = first_visit(pages)
    token = requested_token(pages, visit)
    with pages.client() as client:
        for day in (1, 2, 3):
            open_form(client, token, born=date(1990, 1, day))
        page = client.get(f"/i/{token}").text
        right = client.post(
            f"/i/{token}", data={"form_key": "x", "date_of_birth": BORN.isoformat()}
        )

    assert right.status_code == 403 and "conditions" not in right.text
    assert "form_key" not in page


@pytest.mark.parametrize("tamper", ["other link", "changed signature", "no signature"])
def test_a_tampered_link_gets_403_and_changes_nothing(pages: Web, tamper: str) -> None:
    bea, visit = first_visit(pages)
    link_id, signature = requested_token(pages, visit).split(".")
    token = {
        "other link": f"{int(link_id) + 1}.{signature}",
        "changed signature": f"{link_id}.{signature[::-1]}",
        "no signature": link_id,
    }[tamper]

    with pages.client() as client:
        page = client.get(f"/i/{token}")
        posted = client.post(f"/i/{token}", data={**ANSWERS, "date_of_birth": BORN.isoformat()})

    assert (page.status_code, posted.status_code) == (403, 403)
    assert "This link does not work" in page.text and "Bea" not in page.text
    assert intake_of(pages, bea) is None


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(pages: Web) -> None:
    with clinic_data(pages) as session:
        bea = make_patient(session)
        link = issue_link(
            session, patient_id=bea.id or 0, now=CURRENT_TIME - timedelta(days=15), actor="test"
        )
        token = signing.sign(signing.signing_key(session), signing.INTAKE, link.id or 0)

    with pages.client() as client:
        page = client.get(f"/i/{token}")
        posted = client.post(f"/i/{token}", data={**ANSWERS, "date_of_birth": BORN.isoformat()})

    assert (page.status_code, posted.status_code) == (403, 403)
    assert "expired" in page.text and "call us" in page.text
    assert intake_of(pages, bea) is None


def test_a_used_link_thanks_again_and_a_second_form_changes_nothing(pages: Web) -> None:
    bea, visit = first_visit(pages)
    token = requested_token(pages, visit)
    with pages.client() as client:
        first_form = open_form(client, token).text
        send_form(client, token)
        fields = {n: hidden(first_form, n) for n in ("form_key", "date_of_birth", "step")}
        again = client.post(f"/i/{token}", data={**fields, **ANSWERS, "medications": "none"})

    assert again.status_code == 200 and "Thank you" in again.text
    intake = intake_of(pages, bea)
    assert intake is not None and intake.medications == ["Warfarin 5 mg"]


def test_a_form_with_an_error_comes_back_with_what_was_typed(pages: Web) -> None:
    bea, visit = first_visit(pages)
    token = requested_token(pages, visit)

    with pages.client() as client:
        page = send_form(client, token, signature=" ")

    assert page.status_code == 422
    assert "Please type your full name to sign." in page.text
    assert 'aria-describedby="signature-error"' in page.text
    assert str(ANSWERS["conditions"]) in page.text
    assert page.text.count("checked") == 3  # two flags and the consent
    assert intake_of(pages, bea) is None
    assert link_of(pages, token).used_at is None


def test_a_form_without_consent_is_refused_at_the_tick_box(pages: Web) -> None:
    bea, visit = first_visit(pages)
    token = requested_token(pages, visit)

    with pages.client() as client:
        page = send_form(client, token, consent="")

    assert page.status_code == 422 and 'aria-describedby="consent-error"' in page.text
    assert intake_of(pages, bea) is None


@pytest.mark.parametrize(
    "headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}]
)
def test_a_cross_site_post_is_refused(pages: Web, headers: dict[str, str]) -> None:
    bea, visit = first_visit(pages)
    token = requested_token(pages, visit)
    with pages.client() as client:
        form = open_form(client, token).text
        fields = {n: hidden(form, n) for n in ("form_key", "date_of_birth", "step")}
        posted = client.post(f"/i/{token}", data={**fields, **ANSWERS}, headers=headers)

    assert posted.status_code == 403
    assert intake_of(pages, bea) is None


def test_a_post_without_the_pages_key_is_refused(pages: Web) -> None:
    bea, visit = first_visit(pages)
    token = requested_token(pages, visit)
    with pages.client() as client:
        posted = client.post(
            f"/i/{token}", data={**ANSWERS, "date_of_birth": BORN.isoformat(), "step": "sign"}
        )

    assert posted.status_code == 403
    assert intake_of(pages, bea) is None


def test_the_pages_are_private_and_the_answers_reach_no_log_line(
    pages: Web, caplog: pytest.LogCaptureFixture
) -> None:
    _, visit = first_visit(pages)
    token = requested_token(pages, visit)

    with caplog.at_level(logging.DEBUG), pages.client() as client:
        answers = [client.get(f"/i/{token}"), open_form(client, token), send_form(client, token)]

    assert {a.headers["referrer-policy"] for a in answers} == {"no-referrer"}
    assert {a.headers["cache-control"] for a in answers} == {"no-store"}
    logged = "\n".join(record.getMessage() for record in caplog.records).lower()
    assert not [word for word in HEALTH_WORDS if word in logged]


def test_the_signed_version_stays_when_the_clinic_revises_its_consent(pages: Web) -> None:
    bea, visit = first_visit(pages)
    token = requested_token(pages, visit)
    with pages.client() as client:
        form = open_form(client, token).text
        with clinic_data(pages) as session:
            revise_consent(session, body="New words.", now=CURRENT_TIME, actor="staff:1:ada")
        fields = {
            n: hidden(form, n) for n in ("form_key", "date_of_birth", "step", "consent_version")
        }
        client.post(f"/i/{token}", data={**fields, **ANSWERS})

    intake = intake_of(pages, bea)
    assert intake is not None and intake.consent_version == 1


def test_an_intake_is_current_for_twelve_months_then_needling_is_refused(
    session: Session,
) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    intake = session.exec(select(Intake).where(Intake.patient_id == alex.id)).one()
    signed = intake.consent_signed_at or CURRENT_TIME
    a_year_on = signed + relativedelta(months=12)

    assert is_current(intake, now=a_year_on - timedelta(seconds=1), policy=POLICY)
    assert not is_current(intake, now=a_year_on, policy=POLICY)
    status = intake_status(session, patient_id=alex.id or 0, now=a_year_on, policy=POLICY)
    assert status.state == IntakeState.EXPIRED
    intake.consent_signed_at = CURRENT_TIME - relativedelta(months=12)
    session.add(intake)
    with pytest.raises(RuleViolation) as refused:
        book(session, alex, clinic.at(THURSDAY, 10), "dry-needling-30", practitioner=clinic.dana)
    assert refused.value.code == "intake_missing"
    assert "12 months" in refused.value.message


def test_an_expired_intake_brings_the_form_again_with_the_next_assessment(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    intake = session.exec(select(Intake).where(Intake.patient_id == alex.id)).one()
    intake.consent_signed_at = CURRENT_TIME - relativedelta(months=13)
    session.add(intake)

    visit = book(session, alex, clinic.at(THURSDAY, 10), "assessment-60", practitioner=clinic.dana)

    kinds = session.exec(select(Message.kind).where(Message.visit_id == visit.id)).all()
    assert "intake_request" in kinds


def test_the_consent_reads_as_headed_paragraphs_with_the_risks_as_a_list() -> None:
    shown = blocks(BUILT_IN)

    assert [block.heading for block in shown] == [
        "What dry needling is",
        "What to expect",
        "Rare but serious risks",
        "If you notice any of these signs",
        "Your choice",
    ]
    assert [item.split(",")[0] for item in shown[2].items] == [
        "A collapsed lung",
        "Irritation of a nerve: tingling",
        "Infection where a needle went in: redness that spreads",
    ]
    assert blocks("One line.\n\n\n- only\n- items") == [
        Block(None, ["One line."], []),
        Block(None, [], ["only", "items"]),
    ]

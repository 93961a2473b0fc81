"""The intake from the staff's side: its state on the patient's page, sending the form or a link
to read out, a paper form, the review on My day, the consent's versions, and who may do what."""

from datetime import timedelta

from sqlmodel import col, select

from scheduler.core import db
from scheduler.models import AuditEntry, ConsentText, Intake, IntakeLink, Message
from tests.factories import CURRENT_TIME, book, make_patient, next_weekday
from tests.web_fixtures import Web
from tests.web_pages import clinic_data, submit

TUESDAY = next_weekday(1)
PAPER = {
    "conditions": "Neck pain\nMigraine",
    "medications": "Sumatriptan",
    "flags": ["pregnancy"],
    "signed": "yes",
}


def new_patient(web: Web, *, with_dana: bool = False) -> int:
    """Bea, no intake; with an assessment booked with Dana on Tuesday when `with_dana`."""
    with clinic_data(web) as session:
        bea = make_patient(session)
        if with_dana:
            book(
                session,
                bea,
                web.clinic.at(TUESDAY, 10),
                "assessment-60",
                practitioner=web.clinic.dana,
            )
        return bea.id or 0


def intake_of(web: Web, patient_id: int) -> Intake | None:
    with db.session(web.engine) as session:
        return session.exec(select(Intake).where(Intake.patient_id == patient_id)).first()


def requests_without_visit(web: Web, patient_id: int) -> list[Message]:
    with db.session(web.engine) as session:
        return list(
            session.exec(
                select(Message).where(
                    Message.patient_id == patient_id,
                    Message.kind == "intake_request",
                    col(Message.visit_id).is_(None),
                )
            )
        )


def test_the_front_desk_sees_no_intake_and_texts_the_form(pages: Web) -> None:
    bea = new_patient(pages)

    with pages.browser("frank") as desk:
        before = desk.get(f"/patients/{bea}").text
        sent = submit(pages, desk, f"/patients/{bea}/intake-link", send="yes")
        after = desk.get(sent.headers["location"]).text

    assert "No intake" in before and "Send intake form" in before
    assert "Enter a paper form" not in before  # the front desk never enters the contents
    assert "The intake form is on its way" in after and "Form sent, waiting" in after
    [text] = requests_without_visit(pages, bea)
    assert text.intake_link_id is not None and text.not_after == text.send_at + timedelta(days=14)


def test_a_link_to_read_out_is_shown_and_nothing_is_texted(pages: Web) -> None:
    bea = new_patient(pages)

    with pages.browser("frank") as desk:
        made = submit(pages, desk, f"/patients/{bea}/intake-link", send="no")
        page = desk.get(made.headers["location"]).text

    assert 'id="intake-url" readonly value="http' in page and "/i/" in page and "Copy link" in page
    assert requests_without_visit(pages, bea) == []


def test_the_api_gives_the_link_and_plans_its_text_unless_told_not_to(pages: Web) -> None:
    bea = new_patient(pages)

    with pages.api("frank") as api:
        sent = api.post(f"/api/v1/patients/{bea}/intake-link")
        quiet = api.post(f"/api/v1/patients/{bea}/intake-link", json={"send": False})
        bad = api.post(f"/api/v1/patients/{bea}/intake-link", json={"send": "maybe"})
        record = api.get(f"/api/v1/patients/{bea}").json()

    assert sent.status_code == 200 and quiet.status_code == 200
    assert "/i/" in sent.json()["url"]
    assert sent.json()["expires_at"].startswith("2026-12-07")
    assert bad.status_code == 422
    assert len(requests_without_visit(pages, bea)) == 1
    assert record["intake_state"] == "waiting" and record["intake"] is None


def test_a_practitioner_enters_a_paper_form_for_their_patient(pages: Web) -> None:
    bea = new_patient(pages, with_dana=True)

    with pages.browser("dana") as dana:
        form = dana.get(f"/patients/{bea}/intake/paper")
        entered = submit(pages, dana, f"/patients/{bea}/intake/paper", **PAPER)
        page = dana.get(entered.headers["location"]).text

    assert form.status_code == 200
    intake = intake_of(pages, bea)
    assert intake is not None
    assert (intake.conditions, intake.flags) == (["Neck pain", "Migraine"], ["pregnancy"])
    assert (intake.signed_on_paper_seen_by, intake.signature) == ("dana", None)
    assert (intake.reviewed_by, intake.consent_version) == ("dana", 1)
    assert "on paper, seen by dana" in page and "Signed" in page


def test_an_unsigned_paper_form_is_refused_with_what_was_typed(pages: Web) -> None:
    bea = new_patient(pages, with_dana=True)

    with pages.browser("dana") as dana:
        refused = submit(pages, dana, f"/patients/{bea}/intake/paper", **(PAPER | {"signed": ""}))

    assert refused.status_code == 422
    assert (
        'aria-describedby="signed-error"' in refused.text and "Neck pain\nMigraine" in refused.text
    )
    assert intake_of(pages, bea) is None


def test_the_front_desk_and_other_practitioners_cannot_enter_or_see_the_form(pages: Web) -> None:
    bea = new_patient(pages, with_dana=True)

    with pages.browser("frank") as desk:
        desk_form = desk.get(f"/patients/{bea}/intake/paper")
        desk_post = submit(pages, desk, f"/patients/{bea}/intake/paper", **PAPER)
    with pages.browser("lena") as lena:
        lena_page = lena.get(f"/patients/{bea}")
        lena_post = submit(pages, lena, f"/patients/{bea}/intake/paper", **PAPER)

    assert (desk_form.status_code, desk_post.status_code) == (403, 403)
    assert (lena_page.status_code, lena_post.status_code) == (403, 403)
    assert intake_of(pages, bea) is None


def test_a_new_intake_shows_review_on_my_day_until_marked_reviewed(pages: Web) -> None:
    bea = new_patient(pages, with_dana=True)
    with pages.browser("ada") as admin:
        submit(pages, admin, f"/patients/{bea}/intake/paper", **PAPER)
        admin_page = admin.get(f"/patients/{bea}").text

    with pages.browser("dana") as dana:
        day = dana.get(f"/my-day?day={TUESDAY}").text
        reviewed = submit(pages, dana, f"/patients/{bea}/intake/review", back="/my-day")
        day_after = dana.get(f"/my-day?day={TUESDAY}").text

    assert "Signed, needs review" in admin_page
    assert "Review intake" in day
    assert reviewed.headers["location"] == "/my-day"
    assert "Review intake" not in day_after
    intake = intake_of(pages, bea)
    assert intake is not None and (intake.reviewed_by, intake.reviewed_at) == ("dana", CURRENT_TIME)


def test_the_board_and_the_visit_show_a_visit_still_waiting_for_its_intake(pages: Web) -> None:
    bea = new_patient(pages, with_dana=True)

    with pages.browser("frank") as desk:
        board = desk.get(f"/board?day={TUESDAY}").text
        with db.session(pages.engine) as session:
            visit_id = session.exec(
                select(Message.visit_id).where(Message.patient_id == bea)
            ).first()
        visit = desk.get(f"/visits/{visit_id}").text

    assert "Intake form sent, waiting" in board
    assert "The intake form has been sent and is not back yet." in visit


def test_the_admin_revises_the_consent_and_every_version_is_kept(pages: Web) -> None:
    with pages.browser("ada") as admin:
        first = admin.get("/admin/consent").text
        saved = submit(pages, admin, "/admin/consent", body="Our own words about dry needling.")
        page = admin.get(saved.headers["location"]).text
        empty = submit(pages, admin, "/admin/consent", body="   ")

    assert "collapsed lung" in first and "Text in use: version 1" in first
    assert "Saved as version 2" in page and "Text in use: version 2" in page
    assert empty.status_code == 422 and 'aria-describedby="body-error"' in empty.text
    with db.session(pages.engine) as session:
        versions = session.exec(
            select(ConsentText.version).order_by(col(ConsentText.version))
        ).all()
        revised = session.exec(
            select(AuditEntry).where(AuditEntry.action == "consent.revised")
        ).all()
    assert versions == [1, 2] and len(revised) == 1


def test_a_link_made_for_another_patient_is_not_shown(pages: Web) -> None:
    bea = new_patient(pages)
    with clinic_data(pages) as session:
        other = make_patient(session, name="Cy Other", phone="+12125550199")
        link = IntakeLink(
            patient_id=other.id or 0,
            created_at=CURRENT_TIME,
            created_by="test",
            expires_at=CURRENT_TIME + timedelta(days=14),
        )
        session.add(link)
        session.flush()
        link_id = link.id

    with pages.browser("frank") as desk:
        page = desk.get(f"/patients/{bea}?intake_link={link_id}").text

    assert "/i/" not in page


def test_finding_a_needling_time_without_an_intake_offers_to_send_the_form(pages: Web) -> None:
    bea = new_patient(pages)

    with pages.browser("frank") as desk:
        page = desk.get(
            "/book",
            params={"patient_id": bea, "service": "dry-needling-30", "day": TUESDAY.isoformat()},
        ).text

    assert "has no intake on file" in page
    assert f'action="/patients/{bea}/intake-link"' in page and "Send Bea the intake form" in page

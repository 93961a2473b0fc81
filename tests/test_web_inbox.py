import re
from datetime import timedelta

from scheduler.patients.replies import receive_text
from tests.factories import CURRENT_TIME, POLICY, assessed_patient, book, next_weekday
from tests.web_fixtures import Web
from tests.web_pages import audit_actions, clinic_data, submit


def seed_replies(web: Web) -> list[int]:
    with clinic_data(web) as session:
        alex = assessed_patient(session, web.clinic)
        replies = [
            receive_text(
                session,
                sid=f"SM{n}",
                from_phone=alex.phone,
                body=body,
                now=CURRENT_TIME - timedelta(hours=3 - n),
                policy=POLICY,
            )
            for n, body in enumerate(("Can I come Thursday instead?", "HELP", "I feel dizzy"))
        ]
        return [reply.id or 0 for reply in replies]


def test_it_lists_replies_that_need_a_person_newest_first(pages: Web) -> None:
    seed_replies(pages)

    with pages.browser("frank") as client:
        page = client.get("/inbox").text
        count = client.get("/inbox/count").text

    assert page.index("I feel dizzy") < page.index("Can I come Thursday instead?")
    assert "Urgent" in page and "For the desk" in page
    assert "“HELP”" not in page  # answered on its own
    assert count == "2"


def test_it_puts_a_texted_cancel_at_the_top_naming_the_next_visit(pages: Web) -> None:
    seed_replies(pages)
    with clinic_data(pages) as session:
        alex = assessed_patient(
            session, pages.clinic, name="Alex Brown", phone="+12125550107", hour=11
        )
        thursday = next_weekday(3)
        book(session, alex, pages.clinic.at(thursday, 10), "dry-needling-30", "massage-60")
        receive_text(
            session,
            sid="SMcancel",
            from_phone=alex.phone,
            body="cancel",
            now=CURRENT_TIME,
            policy=POLICY,
        )

    with pages.browser("frank") as client:
        page = client.get("/inbox").text
    rows = re.findall(r'<tr id="reply-.*?</tr>', page, re.DOTALL)

    assert "I feel dizzy" in rows[0]  # a warning sign comes first of all
    assert "Texted CANCEL: we can no longer text them. Call them about their next visit." in rows[1]
    assert f"Next visit: {thursday:%a} {thursday.day} {thursday:%b} at 10:00" in rows[1]
    assert "Dry needling, 30 min + Massage, 60 min" in rows[1]


def test_it_takes_a_handled_reply_off_the_inbox(pages: Web) -> None:
    move_request, _, _ = seed_replies(pages)

    with pages.browser("frank") as client:
        done = client.post(
            f"/inbox/{move_request}/handled",
            headers={"HX-Request": "true", "X-CSRF-Token": pages.csrf_token(client)},
        )
        page = client.get("/inbox").text

    assert done.status_code == 200 and done.text == ""
    assert "Can I come Thursday instead?" not in page
    assert ("reply.handled", f"reply:{move_request}") in audit_actions(pages)


def test_it_refuses_to_mark_a_reply_handled_without_the_csrf_token(pages: Web) -> None:
    move_request, _, _ = seed_replies(pages)

    with pages.browser("frank") as client:
        assert client.post(f"/inbox/{move_request}/handled").status_code == 403
        assert submit(pages, client, f"/inbox/{move_request}/handled").status_code == 303


def test_the_inbox_is_not_for_practitioners(pages: Web) -> None:
    with pages.browser("dana") as client:
        assert client.get("/inbox").status_code == 403

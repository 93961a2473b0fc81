import re
from datetime import UTC, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from scheduler.core import db
from scheduler.models import Message, MessageStatus, Patient, Visit, VisitStatus
from tests.factories import CURRENT_TIME, assessed_patient, book, next_weekday
from tests.web_fixtures import Web
from tests.web_pages import at, audit_actions, clinic_data, submit

TUESDAY = next_weekday(1)
WEDNESDAY = next_weekday(2)


def booked_visit(web: Web, *, hour: int = 10, phone: str = "+12125550101") -> Visit:
    """Alex's dry needling and massage on Tuesday at `hour` (another Alex for another phone)."""
    with clinic_data(web) as session:
        alex = assessed_patient(session, web.clinic, phone=phone, hour=9 if hour == 10 else 11)
        return book(session, alex, web.clinic.at(TUESDAY, hour), "dry-needling-30", "massage-60")


def visit_now(web: Web, visit: Visit) -> Visit:
    with db.session(web.engine) as session:
        return session.get_one(Visit, visit.id)


def test_it_shows_the_visits_parts_and_each_texts_delivery_status(pages: Web) -> None:
    visit = booked_visit(pages)
    with clinic_data(pages) as session:
        session.execute(
            update(Message)
            .where(col(Message.visit_id) == visit.id, col(Message.kind) == "confirmation")
            .values(status=MessageStatus.DELIVERED, body="Riverside Physio: booked for Tue")
        )

    with pages.browser("frank") as client:
        page = client.get(f"/visits/{visit.id}").text

    assert "Combined visit, 2 parts" in page
    assert "Dry needling, 30 min" in page and "Massage, 60 min" in page
    assert 'status-delivered">delivered' in page
    assert "Riverside Physio: booked for Tue" in page
    assert page.count('status-scheduled">scheduled') == 2  # the two reminders


def test_it_cancels_with_a_reason_and_records_who(pages: Web) -> None:
    visit = booked_visit(pages)

    with pages.browser("frank") as client:
        page = client.get(f"/visits/{visit.id}").text
        response = submit(pages, client, f"/visits/{visit.id}/cancel", reason="illness")

    assert '<details class="confirm-cancel"' in page and "Yes, cancel the visit" in page
    assert response.status_code == 303
    cancelled = visit_now(pages, visit)
    assert cancelled.status == VisitStatus.CANCELLED
    assert cancelled.cancel_reason == "The patient is ill"
    assert cancelled.cancelled_by.endswith(" frank")  # type: ignore[union-attr]
    assert ("visit.cancelled", f"visit:{visit.id}") in audit_actions(pages)


def test_it_moves_a_visit_to_an_offered_time_with_the_same_practitioners(pages: Web) -> None:
    visit = booked_visit(pages)

    with pages.browser("frank") as client:
        page = client.get(f"/visits/{visit.id}/reschedule?day={WEDNESDAY}&days=1").text
        start = re.findall(r'name="start" value="([^"]+)"', page)[0]
        moved = submit(pages, client, f"/visits/{visit.id}/reschedule", start=start, version=1)

    assert moved.status_code == 303
    assert moved.headers["location"] == f"/board?day={WEDNESDAY}&visit={visit.id}"
    assert visit_now(pages, visit).version == 2
    assert ("visit.moved", f"visit:{visit.id}") in audit_actions(pages)


def test_it_refuses_to_move_a_visit_someone_else_changed_meanwhile(pages: Web) -> None:
    visit = booked_visit(pages)

    with pages.browser("frank") as client:
        page = client.get(f"/visits/{visit.id}/reschedule?day={WEDNESDAY}&days=1").text
        start = re.findall(r'name="start" value="([^"]+)"', page)[0]
        submit(pages, client, f"/visits/{visit.id}/reschedule", start=start, version=1)
        stale = submit(pages, client, f"/visits/{visit.id}/reschedule", start=start, version=1)

    assert stale.status_code == 409
    assert "changed by someone else" in stale.text


def test_it_checks_in_and_completes_and_audits_both(pages: Web) -> None:
    visit = booked_visit(pages)

    at(pages, pages.clinic.at(TUESDAY, 9, 50))
    with pages.browser("frank") as client:
        submit(pages, client, f"/visits/{visit.id}/progress/check-in")
        at(pages, pages.clinic.at(TUESDAY, 11, 30))
        submit(pages, client, f"/visits/{visit.id}/progress/complete")

    assert visit_now(pages, visit).status == VisitStatus.COMPLETED
    actions = audit_actions(pages)
    assert ("visit.checked_in", f"visit:{visit.id}") in actions
    assert ("visit.completed", f"visit:{visit.id}") in actions


def test_it_says_why_a_change_is_refused_and_keeps_the_visit(pages: Web) -> None:
    visit = booked_visit(pages)

    with pages.browser("frank") as client:
        refused = submit(pages, client, f"/visits/{visit.id}/progress/no-show")

    assert refused.status_code == 422
    assert "can be marked as a no-show from Tue 24 Nov 10:00, not before." in refused.text
    assert visit_now(pages, visit).status == VisitStatus.BOOKED
    assert ("visit.no_show", f"visit:{visit.id}") not in audit_actions(pages)


def test_it_refuses_a_cancellation_without_the_csrf_token(pages: Web) -> None:
    visit = booked_visit(pages)

    with pages.browser("frank") as client:
        refused = client.post(f"/visits/{visit.id}/cancel", data={"reason": "illness"})

    assert refused.status_code == 403
    assert visit_now(pages, visit).status == VisitStatus.BOOKED


def test_visits_are_not_for_practitioners(pages: Web) -> None:
    visit = booked_visit(pages)

    with pages.browser("dana") as client:
        assert client.get(f"/visits/{visit.id}").status_code == 403
        assert submit(pages, client, f"/visits/{visit.id}/cancel").status_code == 403


def test_the_page_offers_each_step_only_when_it_would_succeed(pages: Web) -> None:
    visit = booked_visit(pages)

    with pages.browser("frank") as client:
        days_ahead = client.get(f"/visits/{visit.id}").text
    at(pages, pages.clinic.at(TUESDAY, 9, 30))
    with pages.browser("frank") as client:
        arriving = client.get(f"/visits/{visit.id}").text
    at(pages, pages.clinic.at(TUESDAY, 10, 15))
    with pages.browser("frank") as client:
        started = client.get(f"/visits/{visit.id}").text

    steps = ("progress/check-in", "progress/complete", "progress/no-show")
    assert [step in days_ahead for step in steps] == [False, False, False]
    assert "Check-in opens 09:00 on Tue 24 Nov" in days_ahead
    assert [step in arriving for step in steps] == [True, False, False]
    assert [step in started for step in steps] == [True, True, True]


def test_a_cancellation_needs_a_reason_from_the_list_or_words_for_another(pages: Web) -> None:
    visit = booked_visit(pages)

    with pages.browser("frank") as client:
        none = submit(pages, client, f"/visits/{visit.id}/cancel")
        other = submit(pages, client, f"/visits/{visit.id}/cancel", reason="other", reason_text=" ")
        worded = submit(
            pages, client, f"/visits/{visit.id}/cancel", reason="other", reason_text="Snowed in"
        )

    assert none.status_code == 422 and "Choose why the visit is cancelled." in none.text
    assert other.status_code == 422 and 'aria-describedby="reason_text-error"' in other.text
    assert worded.status_code == 303 and visit_now(pages, visit).cancel_reason == "Snowed in"


def test_a_cancellation_can_be_undone_for_ten_minutes_with_the_reminders_back(
    pages: Web,
) -> None:
    visit = booked_visit(pages)

    with pages.browser("frank") as client:
        submit(pages, client, f"/visits/{visit.id}/cancel", reason="patient_called")
        page = client.get(f"/visits/{visit.id}").text
        undone = submit(pages, client, f"/visits/{visit.id}/undo-cancel")

    assert "Undo the cancellation" in page and "Possible until 07:10" in page
    assert undone.status_code == 303
    restored = visit_now(pages, visit)
    assert (restored.status, restored.version, restored.cancel_reason) == (
        VisitStatus.BOOKED,
        2,
        None,
    )
    with db.session(pages.engine) as session:
        waiting = session.exec(
            select(Message.kind).where(
                Message.visit_id == visit.id,
                Message.visit_version == 2,
                col(Message.status) == MessageStatus.SCHEDULED,
            )
        ).all()
    assert sorted(waiting) == ["confirmation", "reminder_24h", "reminder_2h"]
    assert ("visit.restored", f"visit:{visit.id}") in audit_actions(pages)


def test_an_undo_after_the_window_or_onto_a_taken_time_is_refused(pages: Web) -> None:
    visit = booked_visit(pages)
    late = booked_visit(pages, hour=14, phone="+12125550109")
    with pages.browser("frank") as client:
        submit(pages, client, f"/visits/{visit.id}/cancel", reason="clinic")
        submit(pages, client, f"/visits/{late.id}/cancel", reason="clinic")
    with clinic_data(pages) as session:
        cy = assessed_patient(session, pages.clinic, name="Cy", phone="+12125550199", hour=13)
        dana = pages.clinic.dana
        book(session, cy, pages.clinic.at(TUESDAY, 10), "dry-needling-30", practitioner=dana)

    with pages.browser("frank") as client:
        taken = submit(pages, client, f"/visits/{visit.id}/undo-cancel")
        at(pages, CURRENT_TIME + timedelta(minutes=11))
        expired = submit(pages, client, f"/visits/{late.id}/undo-cancel")

    assert taken.status_code == 409
    assert expired.status_code == 422 and "can be undone for 10 minutes" in expired.text
    assert visit_now(pages, visit).status == VisitStatus.CANCELLED
    assert visit_now(pages, late).status == VisitStatus.CANCELLED


def test_the_desk_moves_a_visit_to_anyone_free_and_never_to_its_own_time(pages: Web) -> None:
    visit = booked_visit(pages)

    with pages.browser("frank") as client:
        same = client.get(f"/visits/{visit.id}/reschedule?day={TUESDAY}&days=1").text
        anyone = client.get(f"/visits/{visit.id}/reschedule?day={TUESDAY}&days=1&anyone=true").text
        start = re.findall(r'name="start" value="([^"]+)"', anyone)[0]
        moved = submit(
            pages, client, f"/visits/{visit.id}/reschedule", start=start, version=1, anyone="true"
        )

    own = pages.clinic.at(TUESDAY, 10).astimezone(UTC).isoformat()
    assert f'value="{own}"' not in same and f'value="{own}"' not in anyone
    assert 'aria-current="true">Anyone free' in anyone
    assert len(re.findall('name="start"', anyone)) >= len(re.findall('name="start"', same))
    assert moved.status_code == 303 and visit_now(pages, visit).version == 2


def test_moving_onto_a_day_with_another_visit_says_so_first(pages: Web) -> None:
    visit = booked_visit(pages)
    with clinic_data(pages) as session:
        alex = session.get_one(Visit, visit.id).patient_id
        other = book(
            session, session.get_one(Patient, alex), pages.clinic.at(WEDNESDAY, 14), "massage-30"
        )

    with pages.browser("frank") as client:
        page = client.get(f"/visits/{visit.id}/reschedule?day={TUESDAY}&days=2").text

    assert page.count("Already booked this day") == 1
    assert "Already booked this day: Massage, 30 min at 14:00." in page
    assert other.id != visit.id

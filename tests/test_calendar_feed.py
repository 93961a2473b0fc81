import pytest
from sqlmodel import Session

from scheduler.core.errors import NotFound
from scheduler.models import Role
from scheduler.staff.accounts import add_user, set_user_active
from scheduler.staff.calendar_feed import (
    feed_appointments,
    feed_practitioner,
    feed_token,
    issue_feed_token,
)
from tests.factories import CURRENT_TIME, assessed_patient, book, cancel, make_clinic, next_weekday

TUESDAY = next_weekday(1)


def test_it_opens_the_feed_of_whoever_the_token_was_issued_to(session: Session) -> None:
    clinic = make_clinic(session)

    token = issue_feed_token(session, practitioner_id=clinic.dana.id or 0, now=CURRENT_TIME)

    assert feed_practitioner(session, token) == clinic.dana.id
    assert feed_token(session, clinic.dana.id or 0) == token
    assert feed_token(session, clinic.lena.id or 0) is None


def test_it_retires_the_old_address_when_a_new_one_is_issued(session: Session) -> None:
    clinic = make_clinic(session)
    old = issue_feed_token(session, practitioner_id=clinic.dana.id or 0, now=CURRENT_TIME)

    new = issue_feed_token(session, practitioner_id=clinic.dana.id or 0, now=CURRENT_TIME)

    assert new != old
    with pytest.raises(NotFound):
        feed_practitioner(session, old)


def test_it_refuses_an_empty_token(session: Session) -> None:
    make_clinic(session)

    with pytest.raises(NotFound):
        feed_practitioner(session, "")


def test_it_feeds_booked_appointments_and_leaves_cancelled_ones_out(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    kept = book(session, alex, clinic.at(TUESDAY, 9), "dry-needling-30", practitioner=clinic.dana)
    gone = book(session, alex, clinic.at(TUESDAY, 14), "dry-needling-15", practitioner=clinic.dana)
    cancel(session, gone, by="x")

    found = feed_appointments(session, practitioner_id=clinic.dana.id or 0, now=CURRENT_TIME)

    # Last week's assessment is inside the two weeks of past a feed keeps.
    assert [(a.service, a.visit_id == kept.id) for a in found] == [
        ("Assessment", False),
        ("Dry needling, 30 min", True),
    ]


def test_it_closes_the_feed_of_a_practitioner_whose_account_is_switched_off(
    session: Session,
) -> None:
    clinic = make_clinic(session)
    admin = add_user(session, name="ada", role=Role.ADMIN, now=CURRENT_TIME).user
    dana = add_user(
        session,
        name="dana",
        role=Role.PRACTITIONER,
        now=CURRENT_TIME,
        practitioner_id=clinic.dana.id,
    ).user
    token = issue_feed_token(session, practitioner_id=clinic.dana.id or 0, now=CURRENT_TIME)
    assert feed_practitioner(session, token) == clinic.dana.id

    set_user_active(session, user_id=dana.id or 0, active=False, by=admin, now=CURRENT_TIME)

    with pytest.raises(NotFound):
        feed_practitioner(session, token)

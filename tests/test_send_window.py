from datetime import time

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from scheduler.core.audit import recent_entries
from scheduler.core.errors import RuleViolation
from scheduler.messaging.send_window import reset_send_window, send_window, set_send_window
from scheduler.messaging.sending import claim_for_sending
from scheduler.models import Message, MessageStatus
from tests.factories import (
    CURRENT_TIME,
    NEW_YORK,
    POLICY,
    PUBLIC_URL,
    assessed_patient,
    book,
    make_clinic,
    next_weekday,
)

TODAY = CURRENT_TIME.astimezone(NEW_YORK).date()


def test_it_uses_the_settings_until_an_admin_sets_hours(session: Session) -> None:
    assert send_window(session, POLICY) == POLICY.send_window

    set_send_window(session, opens=time(9), closes=time(18), actor="user:1 ada", now=CURRENT_TIME)

    assert send_window(session, POLICY) == (time(9), time(18))
    assert [(e.action, e.detail) for e in recent_entries(session)] == [
        ("send_window.set", "opens=09:00, closes=18:00")
    ]


def test_it_goes_back_to_the_settings_when_reset(session: Session) -> None:
    set_send_window(session, opens=time(9), closes=time(18), actor="user:1 ada", now=CURRENT_TIME)

    reset_send_window(session, actor="user:1 ada", now=CURRENT_TIME)

    assert send_window(session, POLICY) == POLICY.send_window


def test_it_refuses_a_window_that_closes_before_it_opens(session: Session) -> None:
    with pytest.raises(RuleViolation, match="close after it opens"):
        set_send_window(
            session, opens=time(18), closes=time(9), actor="user:1 ada", now=CURRENT_TIME
        )


def test_the_outbox_plans_texts_inside_the_stored_window(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    set_send_window(
        session, opens=time(9, 30), closes=time(18), actor="user:1 ada", now=CURRENT_TIME
    )

    visit = book(session, alex, clinic.at(next_weekday(1), 10), "massage-60")

    confirmation = session.exec(
        select(Message).where(Message.visit_id == visit.id, Message.kind == "confirmation")
    ).one()
    assert confirmation.send_at == clinic.at(TODAY, 9, 30)  # booked at 07:00


def test_the_sending_rules_defer_a_text_to_the_stored_window(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(next_weekday(1), 10), "massage-60")
    confirmation = session.exec(
        select(Message).where(Message.visit_id == visit.id, Message.kind == "confirmation")
    ).one()
    set_send_window(session, opens=time(9, 30), closes=time(18), actor="ada", now=CURRENT_TIME)
    session.execute(
        update(Message)
        .where(col(Message.id) == confirmation.id)
        .values(status=MessageStatus.QUEUED)
    )

    ready = claim_for_sending(
        session.connection(),
        message_id=confirmation.id or 0,
        now=clinic.at(TODAY, 8),
        policy=POLICY,
        public_url=PUBLIC_URL,
    )

    session.refresh(confirmation)
    assert ready is None
    assert (confirmation.status, confirmation.send_at) == (
        MessageStatus.SCHEDULED,
        clinic.at(TODAY, 9, 30),
    )

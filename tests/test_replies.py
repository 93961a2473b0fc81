"""Patients' replies, read as a clinic would: which visit they concern and who must see them."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from scheduler.core import db
from scheduler.messaging.log import replies_needing_attention
from scheduler.models import InboundMessage, Message, MessageStatus, SmsOptOut, Visit
from scheduler.patients.replies import receive_text
from scheduler.scheduling.visits import complete
from tests.factories import (
    CURRENT_TIME,
    POLICY,
    Clinic,
    assessed_patient,
    book,
    make_clinic,
    next_weekday,
)

ALEX = "+12125550101"
STRANGER = "+12125550199"  # no patient has this number


@dataclass
class Alex:
    session: Session
    clinic: Clinic
    treated: Visit  # dry needling last Friday, completed, its aftercare sent
    upcoming: Visit  # the next booked visit

    def text(
        self, body: str, *, at: datetime = CURRENT_TIME, sid: str = "", from_phone: str = ALEX
    ) -> InboundMessage:
        sid = sid or f"SM{abs(hash((body, at))):032d}"[:34]
        return receive_text(
            self.session, sid=sid, from_phone=from_phone, body=body, now=at, policy=POLICY
        )

    def replies(self) -> list[str]:
        query = select(Message.template).where(Message.kind == "reply").order_by(col(Message.id))
        return list(self.session.exec(query))

    def visit(self, visit: Visit) -> Visit:
        self.session.refresh(visit)
        return visit


@pytest.fixture
def alex(engine: Engine) -> Iterator[Alex]:
    with db.booking_session(engine) as session, db.transaction(session):
        clinic = make_clinic(session)
        patient = assessed_patient(session, clinic)
        friday = (CURRENT_TIME - timedelta(days=3)).astimezone(clinic.zone).date()
        treated = book(
            session,
            patient,
            clinic.at(friday, 10),
            "dry-needling-30",
            practitioner=clinic.dana,
            now=CURRENT_TIME - timedelta(days=5),
        )
        complete(
            session=session, now=clinic.at(friday, 10, 30), visit_id=treated.id or 0, policy=POLICY
        )
        send_aftercare(session, treated, until=CURRENT_TIME - timedelta(hours=2))
        upcoming = book(session, patient, clinic.at(next_weekday(3), 10), "massage-30")
        yield Alex(session, clinic, treated, upcoming)


def send_aftercare(session: Session, visit: Visit, *, until: datetime) -> None:
    """The visit's aftercare texts due by `until` as the provider delivered them."""
    session.execute(
        update(Message)
        .where(
            col(Message.visit_id) == visit.id,
            col(Message.kind).startswith("aftercare"),
            col(Message.send_at) <= until,
        )
        .values(status=MessageStatus.DELIVERED, sent_at=Message.send_at)
    )


def test_it_opts_out_a_patient_who_texts_cancel_and_tells_the_desk_of_their_next_visit(
    alex: Alex,
) -> None:
    reply = alex.text("Cancel")

    assert alex.session.get(SmsOptOut, ALEX) is not None
    assert (reply.meaning, reply.needs_attention) == ("stop", True)
    assert reply.visit_id == alex.upcoming.id
    assert reply.attention == "can no longer be texted"
    assert alex.replies() == []  # the provider answers an opt-out itself


def test_it_lists_a_texted_cancel_above_newer_replies_but_below_warning_signs(alex: Alex) -> None:
    alex.text("can i bring my daughter?", at=CURRENT_TIME - timedelta(minutes=30))
    alex.text("quit", at=CURRENT_TIME - timedelta(minutes=20))
    alex.text("is there parking nearby", at=CURRENT_TIME - timedelta(minutes=10))
    alex.text("feel really lightheaded", at=CURRENT_TIME - timedelta(minutes=40))

    entries = replies_needing_attention(alex.session)

    assert [entry.reply.body for entry in entries] == [
        "feel really lightheaded",
        "quit",
        "is there parking nearby",
        "can i bring my daughter?",
    ]
    cancel = entries[1]
    assert cancel.visit is not None
    assert cancel.visit.starts_at == alex.clinic.at(next_weekday(3), 10)
    assert cancel.visit.services == ["Massage, 30 min"]


def test_it_flags_the_visit_the_patient_was_treated_in_not_the_next_one(alex: Alex) -> None:
    reply = alex.text("my chest hurts when i breathe in")

    assert (reply.meaning, reply.visit_id) == ("urgent", alex.treated.id)
    assert alex.visit(alex.treated).attention == "urgent: breathing or chest pain"
    assert alex.visit(alex.upcoming).attention is None
    assert alex.replies() == ["reply_urgent"]


def test_it_flags_the_next_visit_when_no_aftercare_was_sent_lately(alex: Alex) -> None:
    reply = alex.text("feeling dizzy since this morning", at=CURRENT_TIME + timedelta(days=2))

    assert reply.visit_id == alex.upcoming.id
    assert alex.visit(alex.upcoming).attention == "urgent: fainting or dizziness"


def test_it_files_a_soreness_score_under_the_visit_it_answers(alex: Alex) -> None:
    reply = alex.text("8")

    assert (reply.meaning, reply.soreness, reply.visit_id) == ("soreness", 8, alex.treated.id)
    treated = alex.visit(alex.treated)
    assert (treated.soreness, treated.attention) == (8, "soreness 8/10")
    assert alex.visit(alex.upcoming).soreness is None


def test_it_sends_a_negated_sign_to_the_inbox_without_the_emergency_reply(alex: Alex) -> None:
    reply = alex.text("not dizzy, just sore. no fever either")

    assert (reply.meaning, reply.needs_attention) == ("other", True)
    assert reply.attention == "mentions as absent: fainting or dizziness; signs of infection"
    assert alex.replies() == ["reply_received"]


def test_it_thanks_a_patient_for_a_reply_for_the_desk_at_most_once_a_day(alex: Alex) -> None:
    alex.text("can i move thursday to friday?")
    alex.text("or monday is fine too", at=CURRENT_TIME + timedelta(hours=3))
    alex.text("any news?", at=CURRENT_TIME + timedelta(hours=25))

    assert alex.replies() == ["reply_received", "reply_received"]


def test_it_does_not_thank_a_number_it_does_not_know(alex: Alex) -> None:
    reply = alex.text("hi", sid="SM" + "9" * 32, from_phone=STRANGER)

    assert (reply.patient_id, reply.needs_attention) == (None, True)
    assert alex.replies() == []


def test_it_keeps_an_opt_out_from_an_unknown_number_out_of_the_inbox(alex: Alex) -> None:
    reply = alex.text("STOP", sid="SM" + "8" * 32, from_phone=STRANGER)

    assert (reply.meaning, reply.needs_attention) == ("stop", False)
    assert alex.session.get(SmsOptOut, STRANGER) is not None

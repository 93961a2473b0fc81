"""From outbox row to the gateway: claims, re-checks and outcomes, with a hand-written sender.

Each test runs twice: once with texts handed to the worker as claimed, which reads their world
itself, and once cleared by the dispatcher first, as the dispatcher hands them out.
"""

import threading
import time as time_module
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, text, update
from sqlmodel import select

from scheduler.core import db, signing
from scheduler.core.policy import Policy
from scheduler.messaging import sending, statements
from scheduler.models import Message, MessageStatus, MessageTemplate, Patient, SmsOptOut, Visit
from scheduler.patients.replies import receive_text
from scheduler.scheduling.booking import reschedule_visit
from scheduler.scheduling.visits import cancel_visit
from tests.factories import (
    CURRENT_TIME,
    NEW_YORK,
    POLICY,
    PUBLIC_URL,
    Clinic,
    assessed_patient,
    book,
    make_clinic,
    next_weekday,
)
from tests.sent_texts import FakeSender
from workers.delivery import TryAgain, deliver
from workers.dispatch import claim_due
from workers.sms import SmsError

TUESDAY = next_weekday(1)
TODAY = CURRENT_TIME.astimezone(NEW_YORK).date()


@dataclass
class World:
    engine: Engine
    clinic: Clinic
    visit: Visit
    cleared: bool  # texts are cleared by the dispatcher before a worker has them


@pytest.fixture(params=[False, True], ids=["uncleared", "cleared"])
def world(engine: Engine, request: pytest.FixtureRequest) -> World:
    return booked_world(engine, cleared=request.param)


@pytest.fixture
def cleared_world(engine: Engine) -> World:
    return booked_world(engine, cleared=True)


def booked_world(engine: Engine, *, cleared: bool) -> World:
    with db.booking_session(engine) as session, db.transaction(session):
        clinic = make_clinic(session)
        alex = assessed_patient(session, clinic)
        visit = book(session, alex, clinic.at(TUESDAY, 10), "dry-needling-30", "massage-60")
    return World(engine=engine, clinic=clinic, visit=visit, cleared=cleared)


def hand_out(world: World, now: datetime, policy: Policy = POLICY) -> list[int]:
    """The due texts a dispatcher hands to workers at `now`."""
    ids = claim_due(world.engine, now=now)
    if not world.cleared:
        return ids
    with db.autocommit_connection(world.engine) as connection:
        return sending.clear_for_sending(
            connection, message_ids=ids, now=now, policy=policy, public_url=PUBLIC_URL
        )


def send_due(world: World, now: datetime, sender: FakeSender, policy: Policy = POLICY) -> list[int]:
    ids = hand_out(world, now, policy)
    send(world, ids, now, sender, policy)
    return ids


def send(
    world: World, ids: list[int], now: datetime, sender: FakeSender, policy: Policy = POLICY
) -> None:
    """A worker's task for each of `ids`, run at `now`."""
    for message_id in ids:
        deliver(
            world.engine,
            message_id,
            gateway=sender,
            clock=lambda: now,
            policy=policy,
            public_url=PUBLIC_URL,
        )


def visit_link(world: World) -> str:
    """The last part of the visit's link."""
    with db.session(world.engine) as session:
        return signing.sign(signing.signing_key(session), signing.VISIT, world.visit.id or 0)


def rows(world: World) -> dict[str, Message]:
    with db.session(world.engine) as session:
        query = select(Message).where(Message.visit_id == world.visit.id)
        return {m.kind: m for m in session.exec(query)}


def change_visit(world: World, change: Callable[..., Any], now: datetime, **details: Any) -> None:
    """`change` (cancel_visit, reschedule_visit) made to the world's visit, as the desk would."""
    with db.booking_session(world.engine) as session, db.transaction(session):
        change(session=session, now=now, visit_id=world.visit.id or 0, policy=POLICY, **details)


def cancel(world: World, now: datetime) -> None:
    change_visit(world, cancel_visit, now, reason="", cancelled_by="front desk")


def move(world: World, now: datetime) -> None:
    """The visit moved to 15:00 on its day."""
    change_visit(world, reschedule_visit, now, start=world.clinic.at(TUESDAY, 15))


def test_it_sends_the_due_reminder_with_its_exact_text(world: World) -> None:
    sender = FakeSender()
    due = world.clinic.at(TUESDAY, 10) - timedelta(hours=24)

    send_due(world, due, sender)

    text = (
        "Riverside Physio: Tue 24 Nov 10:00. Wear loose clothing. Reply C to confirm. "
        f"{PUBLIC_URL}/v/{visit_link(world)}"
    )
    assert ("+12125550101", text) in sender.sent
    reminder = rows(world)["reminder_24h"]
    assert reminder.body == text
    assert (reminder.status, reminder.provider_sid, reminder.attempts) == (
        MessageStatus.SENT,
        f"SM{reminder.id:032d}",
        1,
    )


def test_it_sends_nothing_for_a_cancelled_visit(world: World) -> None:
    cancel(world, CURRENT_TIME)
    sender = FakeSender()

    send_due(world, world.clinic.at(TUESDAY, 9, 59), sender)

    assert sender.sent == []


def test_it_drops_a_claimed_message_whose_visit_moved_before_it_went_out(world: World) -> None:
    due = world.clinic.at(TUESDAY, 8)
    [*claimed] = hand_out(world, due)
    move(world, CURRENT_TIME)
    sender = FakeSender()

    send(world, claimed, due, sender)

    assert sender.sent == []


def test_it_defers_a_text_due_at_night_to_the_morning(world: World) -> None:
    night = world.clinic.at(TUESDAY, 6)

    send_due(world, night, FakeSender(), Policy(send_window=(datetime.min.time(), night.time())))
    ids = claim_due(world.engine, now=night)

    assert ids == []


def test_it_retries_a_rate_limited_send_and_then_sends_it(world: World) -> None:
    sender = FakeSender(failures=[SmsError("429", code=20429, status=429)])
    due = world.clinic.at(TODAY, 8)
    [first] = hand_out(world, due)

    with pytest.raises(TryAgain) as again:
        send(world, [first], due, sender)
    send(world, [first], due, sender)

    assert 0.5 <= again.value.countdown <= 1.0
    confirmation = rows(world)["confirmation"]
    assert (confirmation.status, confirmation.attempts) == (MessageStatus.SENT, 2)


def test_it_marks_an_ambiguous_send_unknown_and_does_not_retry(world: World) -> None:
    sender = FakeSender(failures=[SmsError("read timeout", ambiguous=True)])

    send_due(world, world.clinic.at(TODAY, 8), sender)

    assert rows(world)["confirmation"].status == MessageStatus.UNKNOWN
    assert sender.sent == []


def test_it_opts_out_a_number_twilio_reports_unsubscribed(world: World) -> None:
    sender = FakeSender(failures=[SmsError("unsubscribed", code=21610, permanent=True)])

    send_due(world, world.clinic.at(TODAY, 8), sender)
    send_due(world, world.clinic.at(TUESDAY, 8, 30), sender)

    confirmation = rows(world)["confirmation"]
    assert (confirmation.status, confirmation.error_code) == (MessageStatus.FAILED, "21610")
    with db.session(world.engine) as session:
        assert session.get(SmsOptOut, "+12125550101") is not None
    assert rows(world)["reminder_24h"].status == MessageStatus.SKIPPED
    assert sender.sent == []


def test_it_sends_the_clinics_own_wording_from_the_next_text_after_an_edit(world: World) -> None:
    sender = FakeSender()
    send_due(world, world.clinic.at(TODAY, 8), sender)
    with db.session(world.engine) as session, db.transaction(session):
        own = "{clinic}: {first_name}, see you {day} at {time}."
        session.add(MessageTemplate(name="reminder_needling", body=own, updated_at=CURRENT_TIME))

    send_due(world, world.clinic.at(TODAY, 10), sender)

    assert sender.sent[-1] == (
        "+12125550101",
        "Riverside Physio: Alex, see you Tue 24 Nov at 10:00.",
    )


def test_it_holds_a_text_over_the_daily_limit_until_the_next_opening(world: World) -> None:
    sender = FakeSender()
    one_a_day = Policy(daily_message_cap=1)
    send_due(world, world.clinic.at(TODAY, 8), sender, one_a_day)

    send_due(world, world.clinic.at(TODAY, 10), sender, one_a_day)

    reminder = rows(world)["reminder_24h"]
    assert len(sender.sent) == 1
    assert (reminder.status, reminder.send_at) == (
        MessageStatus.SCHEDULED,
        world.clinic.at(TUESDAY, 8),
    )


def test_it_skips_texts_whose_deadline_passed_while_they_were_queued(world: World) -> None:
    claimed = hand_out(world, world.clinic.at(TUESDAY, 8))
    too_late = world.clinic.at(TUESDAY, 10, 1)
    sender = FakeSender()

    send(world, claimed, too_late, sender)

    assert sender.sent == []
    assert {m.reason for m in rows(world).values()} == {"too late: past its deadline"}


def test_it_skips_a_patient_who_no_longer_consents_to_texts(world: World) -> None:
    with db.session(world.engine) as session, db.transaction(session):
        session.execute(update(Patient).values(sms_consent=False))
    sender = FakeSender()

    send_due(world, world.clinic.at(TODAY, 8), sender)

    assert sender.sent == []
    assert rows(world)["confirmation"].status == MessageStatus.SKIPPED


WITHDRAWALS = {
    "consent withdrawn": update(Patient).values(sms_consent=False),
    "number opted out": insert(SmsOptOut).values(
        phone="+12125550101", opted_out_at=CURRENT_TIME, keyword="STOP"
    ),
}


@pytest.mark.parametrize("withdrawal", WITHDRAWALS)
def test_a_claim_refuses_a_patient_who_withdrew_after_the_read(
    world: World, withdrawal: str
) -> None:
    """The read and the claim are separate statements: what changed between them stops the
    claim, and the text is settled on the next read instead of going out."""
    due = world.clinic.at(TODAY, 8)
    [confirmation_id] = hand_out(world, due)
    with db.session(world.engine) as session:
        read = session.execute(statements.READ, {"message_id": confirmation_id}).one()
    with db.session(world.engine) as session, db.transaction(session):
        session.execute(WITHDRAWALS[withdrawal])

    with db.autocommit_connection(world.engine) as connection:
        stale = {"message_id": confirmation_id, "now": due, "words": "Hello"}
        stale |= {"visit_status": read.visit_status, "visit_version_now": read.visit_version_now}
        claimed = connection.execute(statements.CLAIM, stale).one_or_none()
        ready = sending.claim_for_sending(
            connection, message_id=confirmation_id, now=due, policy=POLICY, public_url=PUBLIC_URL
        )

    assert (claimed, ready) == (None, None)
    assert rows(world)["confirmation"].status == MessageStatus.SKIPPED


def test_it_answers_a_text_that_belongs_to_no_visit_in_the_clinics_name(world: World) -> None:
    with db.booking_session(world.engine) as session, db.transaction(session):
        receive_text(
            session,
            sid="SM" + "1" * 32,
            from_phone="+12125550101",
            body="HELP",
            now=CURRENT_TIME,
            policy=POLICY,
        )
    sender = FakeSender()

    send_due(world, CURRENT_TIME, sender)

    [(to, body)] = sender.sent
    assert to == "+12125550101"
    assert body.startswith("Riverside Physio: visit reminders and aftercare texts.")
    assert "To cancel or move a visit, use the link in your reminder or call +12125550100" in body


def test_a_worker_sends_the_words_stored_when_the_text_was_cleared(
    cleared_world: World,
) -> None:
    world, sender = cleared_world, FakeSender()
    due = world.clinic.at(TODAY, 10)
    hand_out(world, due)
    cleared = rows(world)["reminder_24h"]
    with db.session(world.engine) as session, db.transaction(session):
        own = "{clinic}: {first_name}, see you {day} at {time}."
        session.add(MessageTemplate(name="reminder_needling", body=own, updated_at=CURRENT_TIME))

    send(world, [cleared.id or 0], due, sender)

    words = cleared.cleared_body
    assert words is not None and words.startswith("Riverside Physio: Tue 24 Nov")
    assert cleared.cleared_until == world.clinic.at(TODAY, 20)  # the send window closes
    assert sender.sent == [("+12125550101", words)]
    assert rows(world)["reminder_24h"].body == words


def test_a_cleared_text_whose_send_window_closed_before_a_worker_took_it_waits(
    cleared_world: World,
) -> None:
    world, sender = cleared_world, FakeSender()
    mornings = Policy(send_window=(time(8), time(10, 30)))
    handed = hand_out(world, world.clinic.at(TODAY, 10), mornings)
    too_late = world.clinic.at(TODAY, 10, 31)

    send(world, handed, too_late, sender, mornings)

    reminder = rows(world)["reminder_24h"]
    assert sender.sent == []
    assert (reminder.status, reminder.send_at, reminder.cleared_until) == (
        MessageStatus.SCHEDULED,
        world.clinic.at(TUESDAY, 8),
        None,
    )


def test_a_cleared_text_deferred_to_the_next_opening_is_worded_then(cleared_world: World) -> None:
    """The words rendered when a text was cleared are forgotten with the clearing: an edit to
    the clinic's wording overnight reaches the text that was held until the morning."""
    world, sender = cleared_world, FakeSender()
    mornings = Policy(send_window=(time(8), time(10, 30)))
    handed = hand_out(world, world.clinic.at(TODAY, 10), mornings)
    send(world, handed, world.clinic.at(TODAY, 10, 31), sender, mornings)
    with db.session(world.engine) as session, db.transaction(session):
        own = "{clinic}: {first_name}, see you {day} at {time}."
        session.add(MessageTemplate(name="reminder_needling", body=own, updated_at=CURRENT_TIME))

    send_due(world, world.clinic.at(TUESDAY, 8), sender, mornings)

    reminder = rows(world)["reminder_24h"]
    assert reminder.status == MessageStatus.SENT
    assert reminder.body is not None and reminder.body.endswith(", see you Tue 24 Nov at 10:00.")
    assert ("+12125550101", reminder.body) in sender.sent


def test_a_tick_counts_the_texts_it_clears_against_the_daily_limit(cleared_world: World) -> None:
    world = cleared_world

    handed = hand_out(world, world.clinic.at(TODAY, 10), Policy(daily_message_cap=1))

    stored = rows(world)
    assert handed == [stored["confirmation"].id]
    assert (stored["reminder_24h"].status, stored["reminder_24h"].send_at) == (
        MessageStatus.SCHEDULED,
        world.clinic.at(TUESDAY, 8),
    )


def test_a_worker_claims_a_cleared_text_without_reading_it_first(cleared_world: World) -> None:
    world, statements = cleared_world, []
    due = world.clinic.at(TODAY, 8)
    [confirmation_id] = hand_out(world, due)

    def count(*statement: Any) -> None:
        statements.append(statement[2].split()[0])

    event.listen(world.engine, "before_cursor_execute", count)
    try:
        send(world, [confirmation_id], due, FakeSender())
    finally:
        event.remove(world.engine, "before_cursor_execute", count)

    assert [s for s in statements if s != "BEGIN"] == ["UPDATE", "UPDATE"]  # claim, record
    assert rows(world)["confirmation"].status == MessageStatus.SENT


def test_a_text_that_cannot_be_cleared_does_not_hold_up_the_others(cleared_world: World) -> None:
    world = cleared_world
    with db.session(world.engine) as session, db.transaction(session):
        broken = "{clinic}: see you {when}"  # stored before placeholders were checked on save
        session.add(MessageTemplate(name="reminder_needling", body=broken, updated_at=CURRENT_TIME))

    handed = hand_out(world, world.clinic.at(TODAY, 10))

    stored = rows(world)
    confirmation, reminder = stored["confirmation"], stored["reminder_24h"]
    assert set(handed) == {confirmation.id, reminder.id}
    assert confirmation.cleared_until is not None
    assert (reminder.status, reminder.cleared_until) == (MessageStatus.QUEUED, None)


@pytest.mark.parametrize(
    ("change", "notice"), [(cancel, "cancellation_notice"), (move, "reschedule_notice")]
)
def test_a_change_waiting_on_a_claim_follows_the_text_the_claim_sent_with_a_notice(
    postgres_engine: Engine, change: Callable[[World, datetime], None], notice: str
) -> None:
    """A worker's claim and a cancellation or move at the same instant: the change withdraws
    the pending texts before it asks what the patient heard, so a confirmation the claim won
    is followed by a notice, not taken for one still to come."""
    world = booked_world(postgres_engine, cleared=True)
    due = world.clinic.at(TODAY, 8)
    [confirmation_id] = hand_out(world, due)
    with postgres_engine.connect() as worker, worker.begin():
        claimed = sending.claim_for_sending(
            worker, message_id=confirmation_id, now=due, policy=POLICY, public_url=PUBLIC_URL
        )
        changing = threading.Thread(target=change, args=(world, due))
        changing.start()
        waiting_on_a_lock(postgres_engine)
    changing.join(10)

    assert claimed is not None
    with db.session(world.engine) as session:
        query = select(Message.kind, Message.status).where(Message.visit_id == world.visit.id)
        texts = set(session.exec(query))
    assert ("confirmation", MessageStatus.SENDING) in texts
    assert (notice, MessageStatus.SCHEDULED) in texts


def waiting_on_a_lock(engine: Engine) -> None:
    """Returns once another connection to this database waits on a lock (at most 10 s)."""
    deadline = time_module.monotonic() + 10
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while time_module.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(waiting).scalar_one():
                return
        time_module.sleep(0.05)

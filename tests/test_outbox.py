"""The texts a visit gets are written with the change that causes them, and withdrawn with it."""

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from scheduler.models import Message, MessageStatus, Visit
from scheduler.scheduling.booking import reschedule_visit
from scheduler.scheduling.cancellations import undo_cancellation
from scheduler.scheduling.visits import cancel_visit, complete, mark_no_show
from tests.factories import (
    CURRENT_TIME,
    NEW_YORK,
    POLICY,
    assessed_patient,
    book,
    make_clinic,
    next_weekday,
)

TUESDAY = next_weekday(1)
GRACE = POLICY.confirmation_grace
TODAY = CURRENT_TIME.astimezone(NEW_YORK).date()


def outbox(session: Session, visit: Visit, *statuses: MessageStatus) -> list[tuple[str, str]]:
    query = select(Message).where(Message.visit_id == visit.id).order_by(col(Message.id))
    if statuses:
        query = query.where(col(Message.status).in_(statuses))
    return [(m.kind, m.status.value) for m in session.exec(query)]


def mark_sent(session: Session, visit: Visit, kind: str) -> None:
    """What a worker does once the provider accepted the text."""
    session.execute(
        update(Message)
        .where(col(Message.visit_id) == visit.id, col(Message.kind) == kind)
        .values(status=MessageStatus.SENT)
    )


def move(session: Session, visit: Visit, start: datetime, *, now: datetime) -> None:
    reschedule_visit(session=session, now=now, visit_id=visit.id or 0, start=start, policy=POLICY)


def test_it_writes_a_confirmation_and_reminders_with_the_booking(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)

    visit = book(session, alex, clinic.at(TUESDAY, 10), "dry-needling-30", "massage-60")

    messages = session.exec(select(Message).where(Message.visit_id == visit.id)).all()
    assert [(m.kind, m.template) for m in messages] == [
        ("confirmation", "confirmation"),
        ("reminder_24h", "reminder_needling"),
        ("reminder_2h", "reminder_needling"),
    ]
    assert messages[0].send_at == clinic.at(TODAY, 8)  # booked at 07:00, before the window opens
    assert messages[1].send_at == clinic.at(TUESDAY, 10) - timedelta(hours=24)
    assert {m.to_phone for m in messages} == {alex.phone}


def test_it_sends_nothing_when_a_booking_is_cancelled_inside_the_grace_period(
    session: Session,
) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-30")

    cancel_visit(
        session=session,
        now=CURRENT_TIME + timedelta(minutes=1),
        visit_id=visit.id or 0,
        reason="booked by mistake",
        cancelled_by="front desk",
        policy=POLICY,
    )

    assert outbox(session, visit, MessageStatus.SCHEDULED) == []


def test_it_coalesces_a_move_inside_the_grace_period_into_one_confirmation(
    session: Session,
) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-30")

    move(session, visit, clinic.at(TUESDAY, 15), now=CURRENT_TIME + timedelta(minutes=1))

    scheduled = session.exec(
        select(Message).where(Message.visit_id == visit.id, Message.status == "scheduled")
    ).all()
    assert [(m.kind, m.visit_version) for m in scheduled] == [
        ("confirmation", 2),
        ("reminder_24h", 2),
        ("reminder_2h", 2),
    ]
    assert scheduled[0].send_at == clinic.at(TODAY, 8)
    assert scheduled[2].send_at == clinic.at(TUESDAY, 13)


def test_it_sends_a_reschedule_notice_once_the_patient_was_told(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-30")
    mark_sent(session, visit, "confirmation")

    move(session, visit, clinic.at(TUESDAY, 15), now=CURRENT_TIME + timedelta(hours=1))

    assert outbox(session, visit, MessageStatus.SCHEDULED) == [
        ("reschedule_notice", "scheduled"),
        ("reminder_24h", "scheduled"),
        ("reminder_2h", "scheduled"),
    ]
    assert outbox(session, visit, MessageStatus.CANCELLED) == [
        ("reminder_24h", "cancelled"),
        ("reminder_2h", "cancelled"),
    ]


def test_it_sends_a_cancellation_notice_once_the_patient_was_told(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-30")
    mark_sent(session, visit, "confirmation")

    cancel_visit(
        session=session,
        now=CURRENT_TIME + timedelta(hours=1),
        visit_id=visit.id or 0,
        reason="",
        cancelled_by="front desk",
        policy=POLICY,
    )

    assert outbox(session, visit, MessageStatus.SCHEDULED) == [("cancellation_notice", "scheduled")]


def test_an_undone_cancellation_says_booked_again_only_if_the_notice_went(
    session: Session,
) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    told = book(session, alex, clinic.at(TUESDAY, 10), "massage-30")
    quiet = book(session, alex, clinic.at(TUESDAY, 14), "massage-30")
    for visit in (told, quiet):
        mark_sent(session, visit, "confirmation")
        cancel_visit(
            session=session,
            now=CURRENT_TIME + timedelta(hours=1),
            visit_id=visit.id or 0,
            reason="clinic",
            cancelled_by="front desk",
            policy=POLICY,
        )
    mark_sent(session, told, "cancellation_notice")

    for visit in (told, quiet):
        undo_cancellation(
            session,
            visit_id=visit.id or 0,
            now=CURRENT_TIME + timedelta(hours=1, minutes=5),
            actor="front desk",
            policy=POLICY,
        )

    assert outbox(session, told, MessageStatus.SCHEDULED) == [
        ("restored_notice", "scheduled"),
        ("reminder_24h", "scheduled"),
        ("reminder_2h", "scheduled"),
    ]
    assert outbox(session, quiet, MessageStatus.SCHEDULED) == [
        ("reminder_24h", "scheduled"),
        ("reminder_2h", "scheduled"),
    ]


def test_it_plans_aftercare_for_a_completed_needling_visit_only(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    treated = book(session, alex, clinic.at(TUESDAY, 9), "dry-needling-30", "massage-60")
    missed = book(session, alex, clinic.at(TUESDAY, 14), "dry-needling-15")

    complete(
        session=session, now=clinic.at(TUESDAY, 10, 40), visit_id=treated.id or 0, policy=POLICY
    )
    mark_no_show(session=session, now=clinic.at(TUESDAY, 14, 20), visit_id=missed.id or 0)

    assert [k for k, _ in outbox(session, treated, MessageStatus.SCHEDULED)] == [
        "aftercare",
        "aftercare_checkin",
        "aftercare_followup",
    ]
    assert outbox(session, missed, MessageStatus.SCHEDULED) == []

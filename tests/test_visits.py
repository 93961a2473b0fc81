from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import pytest
from sqlmodel import Session, col, select

from scheduler.core.errors import Conflict, RuleViolation
from scheduler.models import Appointment, Message, Visit, VisitStatus
from scheduler.scheduling.booking import reschedule_visit
from scheduler.scheduling.visits import check_in, complete, mark_no_show
from tests.factories import (
    CURRENT_TIME,
    POLICY,
    assessed_patient,
    book,
    cancel,
    make_clinic,
    make_patient,
    next_weekday,
)

TUESDAY = next_weekday(1)
WEDNESDAY = next_weekday(2)


def starts(session: Session, visit_id: int | None) -> list[str]:
    query = select(Appointment).where(Appointment.visit_id == visit_id)
    return [f"{a.starts_at:%H:%M}" for a in session.exec(query.order_by(col(Appointment.position)))]


def move(
    session: Session, visit: Visit, start: datetime, expected_version: int | None = None
) -> Visit:
    return reschedule_visit(
        session=session,
        now=CURRENT_TIME,
        visit_id=visit.id or 0,
        start=start,
        expected_version=expected_version,
        policy=POLICY,
    )


def test_it_moves_the_whole_visit_and_bumps_its_version(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "dry-needling-30", "massage-60")

    moved = move(session, visit, clinic.at(TUESDAY, 15))

    assert moved.version == 2
    assert starts(session, visit.id) == ["20:00", "20:30"]  # 15:00 and 15:30 in New York, UTC


def test_it_moves_a_visit_onto_its_own_old_time(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-60", practitioner=clinic.lena)

    move(session, visit, clinic.at(TUESDAY, 10, 30))

    assert starts(session, visit.id) == ["15:30"]


def test_it_keeps_the_visit_where_it_was_when_the_new_time_is_taken(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    bea = make_patient(session, name="Bea", phone="+12125550199")
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-60", practitioner=clinic.lena)
    book(session, bea, clinic.at(TUESDAY, 14), "massage-60", practitioner=clinic.lena)
    session.commit()

    with pytest.raises(Conflict, match="Lena Novak is already booked"):
        move(session, visit, clinic.at(TUESDAY, 14, 30))
    session.rollback()

    assert starts(session, visit.id) == ["15:00"]


def test_it_moves_to_whoever_is_free_when_the_practitioners_need_not_stay(
    session: Session,
) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    bea = make_patient(session, name="Bea", phone="+12125550199")
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-60", practitioner=clinic.lena)
    book(session, bea, clinic.at(TUESDAY, 14), "massage-60", practitioner=clinic.lena)

    reschedule_visit(
        session=session,
        now=CURRENT_TIME,
        visit_id=visit.id or 0,
        start=clinic.at(TUESDAY, 14),
        policy=POLICY,
        same_practitioners=False,
    )

    moved = session.exec(select(Appointment).where(Appointment.visit_id == visit.id)).one()
    assert moved.practitioner_id != clinic.lena.id
    assert starts(session, visit.id) == ["19:00"]


def test_it_refuses_a_move_from_a_stale_version(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-30")

    with pytest.raises(Conflict, match="changed by someone else"):
        move(session, visit, clinic.at(TUESDAY, 11), expected_version=0)


def test_it_rechecks_the_assessment_when_needling_moves_before_it(session: Session) -> None:
    clinic = make_clinic(session)
    bea = make_patient(session, intake=True)
    book(session, bea, clinic.at(TUESDAY, 9), "assessment-60", practitioner=clinic.dana)
    needling = book(session, bea, clinic.at(WEDNESDAY, 9), "dry-needling-30")

    with pytest.raises(RuleViolation, match="needs an assessment"):
        move(session, needling, clinic.at(TUESDAY, 8))


def test_it_cancels_keeping_the_rows_and_frees_the_time(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    bea = make_patient(session, name="Bea", phone="+12125550199")
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-60", practitioner=clinic.lena)

    cancelled = cancel(session, visit, now=CURRENT_TIME, reason="feeling unwell", by="front desk")

    assert cancelled.status == VisitStatus.CANCELLED
    assert (cancelled.cancel_reason, cancelled.cancelled_by) == ("feeling unwell", "front desk")
    assert cancelled.cancelled_at == CURRENT_TIME
    assert not cancelled.late_cancel
    book(session, bea, clinic.at(TUESDAY, 10), "massage-60", practitioner=clinic.lena)


def test_it_marks_a_cancellation_inside_the_window_as_late(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-30")

    cancelled = cancel(session, visit, now=clinic.at(TUESDAY, 8), reason="", by="patient")

    assert cancelled.late_cancel


def test_a_visit_moved_from_inside_the_late_window_stays_late_to_cancel(
    session: Session,
) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    soon = book(session, alex, clinic.at(TUESDAY, 10), "massage-30")
    early = book(session, alex, clinic.at(TUESDAY, 14), "massage-30")
    next_week = clinic.at(TUESDAY + timedelta(weeks=1), 10)
    the_day_before = clinic.at(TUESDAY, 9) - timedelta(
        days=1
    )  # 25 h before 10:00, 29 h before 14:00
    reschedule_visit(
        session=session,
        now=clinic.at(TUESDAY, 8),
        visit_id=soon.id or 0,
        start=next_week,
        policy=POLICY,
    )
    reschedule_visit(
        session=session,
        now=the_day_before,
        visit_id=early.id or 0,
        start=next_week + timedelta(hours=4),
        policy=POLICY,
    )

    moved_late = cancel(session, soon, now=clinic.at(TUESDAY, 9), reason="", by="patient")
    moved_in_time = cancel(session, early, now=clinic.at(TUESDAY, 9), reason="", by="patient")

    assert (moved_late.moved_late, moved_late.late_cancel) == (True, True)
    assert (moved_in_time.moved_late, moved_in_time.late_cancel) == (False, False)


def test_it_follows_a_visit_through_the_day(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-30")

    check_in(session=session, now=clinic.at(TUESDAY, 9, 55), visit_id=visit.id or 0, policy=POLICY)
    done = complete(
        session=session, now=clinic.at(TUESDAY, 10, 40), visit_id=visit.id or 0, policy=POLICY
    )

    assert done.status == VisitStatus.COMPLETED
    assert done.checked_in_at == clinic.at(TUESDAY, 9, 55)
    statuses = session.exec(select(Appointment.status).where(Appointment.visit_id == visit.id))
    assert set(statuses) == {VisitStatus.COMPLETED}


def test_it_refuses_to_check_in_a_cancelled_visit(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-30")
    cancel(session, visit, now=CURRENT_TIME, reason="", by="front desk")

    with pytest.raises(RuleViolation, match="is cancelled; it cannot be checked in"):
        check_in(
            session=session, now=clinic.at(TUESDAY, 9, 30), visit_id=visit.id or 0, policy=POLICY
        )


def test_it_marks_a_no_show_only_once_the_visit_has_started(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-30")

    with pytest.raises(RuleViolation, match="no-show from Tue 24 Nov 10:00, not before"):
        mark_no_show(session=session, now=CURRENT_TIME, visit_id=visit.id or 0)
    missed = mark_no_show(
        session=session, now=clinic.at(TUESDAY, 10) + timedelta(minutes=20), visit_id=visit.id or 0
    )

    assert missed.status == VisitStatus.NO_SHOW


@pytest.mark.parametrize(
    ("step", "hour", "minute", "code", "words"),
    [
        ("check in", 8, 59, "too_early_to_check_in", "checked in from Tue 24 Nov 09:00"),
        ("check in", 10, 30, "visit_over", "ended at Tue 24 Nov 10:30"),
        ("complete", 9, 59, "not_started", "completed from Tue 24 Nov 10:00"),
        ("no-show", 9, 59, "not_started", "no-show from Tue 24 Nov 10:00"),
    ],
)
def test_it_refuses_each_step_outside_its_window_and_changes_nothing(
    session: Session, step: str, hour: int, minute: int, code: str, words: str
) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-30")
    session.commit()
    texts = session.exec(select(Message.id, Message.status).where(Message.visit_id == visit.id))
    before = sorted(texts.all())
    now = clinic.at(TUESDAY, hour, minute)
    steps: dict[str, Callable[..., Visit]] = {
        "check in": partial(check_in, policy=POLICY),
        "complete": partial(complete, policy=POLICY),
        "no-show": mark_no_show,
    }

    with pytest.raises(RuleViolation) as refused:
        steps[step](session=session, now=now, visit_id=visit.id or 0)

    session.rollback()
    assert refused.value.code == code and words in refused.value.message
    assert session.get_one(Visit, visit.id).status == VisitStatus.BOOKED
    texts = session.exec(select(Message.id, Message.status).where(Message.visit_id == visit.id))
    assert sorted(texts.all()) == before


def test_it_refuses_to_move_the_assessment_after_the_first_needling(session: Session) -> None:
    clinic = make_clinic(session)
    bea = make_patient(session, intake=True)
    assessment = book(session, bea, clinic.at(TUESDAY, 9), "assessment-60")
    book(session, bea, clinic.at(WEDNESDAY, 9), "dry-needling-30")

    with pytest.raises(RuleViolation, match="no assessment") as refused:
        move(session, assessment, clinic.at(WEDNESDAY, 14))
    assert refused.value.code == "assessment_required"


def test_it_flags_the_needling_when_its_assessment_is_cancelled(session: Session) -> None:
    clinic = make_clinic(session)
    bea = make_patient(session, intake=True)
    assessment = book(session, bea, clinic.at(TUESDAY, 9), "assessment-60")
    needling = book(session, bea, clinic.at(WEDNESDAY, 9), "dry-needling-30")

    cancel(session, assessment, now=CURRENT_TIME, reason="", by="front desk")

    session.refresh(needling)
    assert needling.attention == "no assessment before this first dry needling"

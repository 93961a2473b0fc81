from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from scheduler.models import Appointment, Visit
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.plans import SeriesConflict, book_series
from tests.factories import (
    CURRENT_TIME,
    POLICY,
    Clinic,
    assessed_patient,
    book,
    make_clinic,
    make_patient,
)

FIRST_TUESDAY = date(2026, 12, 1)


def plan(session: Session, clinic: Clinic, patient_id: int, start: datetime, count: int = 6) -> int:
    return (
        book_series(
            session=session,
            now=CURRENT_TIME,
            patient_id=patient_id,
            first_start=start,
            parts=[
                PartRequest("dry-needling-30", practitioner_id=clinic.dana.id),
                PartRequest("massage-30"),
            ],
            count=count,
            policy=POLICY,
        ).id
        or 0
    )


def test_it_books_six_weekly_visits_at_the_same_local_time(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)

    plan_id = plan(session, clinic, alex.id or 0, clinic.at(FIRST_TUESDAY, 10))

    visits = session.exec(select(Visit).where(Visit.plan_id == plan_id)).all()
    firsts = session.exec(
        select(func.min(Appointment.starts_at))
        .where(col(Appointment.visit_id).in_([v.id for v in visits]))
        .group_by(col(Appointment.visit_id))
    ).all()
    local = sorted(start.astimezone(clinic.zone) for start in firsts)
    assert [d.date() for d in local] == [FIRST_TUESDAY + timedelta(weeks=n) for n in range(6)]
    assert {d.time() for d in local} == {time(10)}


def test_it_books_nothing_and_lists_conflicts_with_alternatives(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    bea = make_patient(session, name="Bea", phone="+12125550199", intake=True)
    book(session, bea, clinic.at(FIRST_TUESDAY, 8), "assessment-60", practitioner=clinic.dana)
    clash_day = FIRST_TUESDAY + timedelta(weeks=2)
    book(session, bea, clinic.at(clash_day, 10), "dry-needling-30", practitioner=clinic.dana)
    visits_before = session.exec(select(func.count()).select_from(Visit)).one()

    with pytest.raises(SeriesConflict) as refused:
        plan(session, clinic, alex.id or 0, clinic.at(FIRST_TUESDAY, 10))

    occurrences = refused.value.occurrences
    assert [o.problem is not None for o in occurrences] == [False, False, True, False, False, False]
    conflict = occurrences[2]
    assert conflict.problem and conflict.problem.code == "slot_taken"
    assert len(conflict.alternatives) == 3
    assert min(abs(a - clinic.at(clash_day, 10)) for a in conflict.alternatives) <= timedelta(
        hours=1
    )
    assert session.exec(select(func.count()).select_from(Visit)).one() == visits_before
    assert "1 of 6 visits" in refused.value.message


def test_it_keeps_wall_clock_time_across_a_dst_change(session: Session) -> None:
    clinic = make_clinic(session, workdays=range(7))
    alex = assessed_patient(session, clinic)

    plan_id = book_series(
        session=session,
        now=datetime(2026, 10, 20, 12, tzinfo=clinic.zone),
        patient_id=alex.id or 0,
        first_start=clinic.at(date(2026, 10, 27), 10),
        parts=[PartRequest("massage-30", practitioner_id=clinic.lena.id)],
        count=2,
        policy=POLICY,
    ).id

    starts = session.exec(
        select(Appointment.starts_at)
        .join(Visit, Visit.id == Appointment.visit_id)  # type: ignore[arg-type]
        .where(Visit.plan_id == plan_id)
        .order_by(Appointment.starts_at)  # type: ignore[arg-type]
    ).all()
    assert [s.astimezone(clinic.zone).time() for s in starts] == [time(10), time(10)]
    assert starts[1] - starts[0] == timedelta(weeks=1, hours=1)

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col

from scheduler.clinic.setup import add_time_off
from scheduler.models import WorkingHours
from scheduler.staff.board import clinic_day
from tests.factories import (
    Clinic,
    assessed_patient,
    book,
    cancel,
    make_clinic,
    make_patient,
    next_weekday,
)

TUESDAY = next_weekday(1)


def local(moment: datetime, clinic: Clinic) -> str:
    return moment.astimezone(clinic.zone).strftime("%H:%M")


def test_it_has_a_column_per_working_practitioner_in_name_order(session: Session) -> None:
    make_clinic(session)

    board = clinic_day(session, day=TUESDAY)

    assert [c.practitioner.name for c in board.columns] == [
        "Dana Whitfield",
        "Lena Novak",
        "Marcus Chen",
        "Priya Raman",
    ]


def test_it_leaves_out_who_does_not_work_that_day(session: Session) -> None:
    make_clinic(session)

    assert clinic_day(session, day=next_weekday(6)).columns == ()


def test_it_spans_the_opening_hours(session: Session) -> None:
    clinic = make_clinic(session)

    board = clinic_day(session, day=TUESDAY)

    assert (local(board.starts_at, clinic), local(board.ends_at, clinic)) == ("08:00", "19:00")


def test_it_links_the_parts_of_a_combined_visit(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "dry-needling-30", "massage-60")

    board = clinic_day(session, day=TUESDAY)

    parts = board.parts_of(visit.id or 0)
    assert [(p.service_code, p.position, p.parts) for p in parts] == [
        ("dry-needling-30", 0, 2),
        ("massage-60", 1, 2),
    ]
    assert all(p.combined and p.patient == "Alex Moreno" for p in parts)
    assert parts[0].room.startswith("Room")
    assert local(parts[1].starts_at, clinic) == "10:30"


def test_it_shows_intake_flags_and_leaves_cancelled_visits_out(session: Session) -> None:
    clinic = make_clinic(session)
    bea = make_patient(session, intake=True, flags=["anticoagulants"])
    kept = book(session, bea, clinic.at(TUESDAY, 9), "massage-30", practitioner=clinic.lena)
    gone = book(session, bea, clinic.at(TUESDAY, 14), "massage-30", practitioner=clinic.lena)
    cancel(session, gone, reason="ill", by="x")

    board = clinic_day(session, day=TUESDAY)

    lena = next(c for c in board.columns if c.practitioner.id == clinic.lena.id)
    assert [(a.visit_id, a.intake_flags) for a in lena.appointments] == [
        (kept.id, ("anticoagulants",))
    ]


def test_it_takes_breaks_and_time_off_out_of_the_available_time(session: Session) -> None:
    clinic = make_clinic(session)
    add_time_off(
        session,
        practitioner=clinic.dana,
        starts_at=clinic.at(TUESDAY, 15),
        ends_at=clinic.at(TUESDAY, 17),
    )

    board = clinic_day(session, day=TUESDAY)

    dana = next(c for c in board.columns if c.practitioner.id == clinic.dana.id)
    assert [(local(a, clinic), local(b, clinic)) for a, b in dana.available] == [
        ("08:00", "12:30"),
        ("13:00", "15:00"),
    ]


def test_it_keeps_a_column_for_someone_booked_outside_their_hours(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    book(session, alex, clinic.at(TUESDAY, 9), "massage-30", practitioner=clinic.lena)
    session.execute(delete(WorkingHours).where(col(WorkingHours.practitioner_id) == clinic.lena.id))

    board = clinic_day(session, day=TUESDAY)

    lena = next(c for c in board.columns if c.practitioner.id == clinic.lena.id)
    assert lena.available == ()
    assert len(lena.appointments) == 1

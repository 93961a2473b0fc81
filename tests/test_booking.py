from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from scheduler.core.errors import Conflict, DomainError, NotFound, RuleViolation
from scheduler.models import Appointment, Visit
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.booking import book_visit
from tests.factories import (
    CURRENT_TIME,
    POLICY,
    assessed_patient,
    book,
    make_clinic,
    make_patient,
    next_weekday,
)

TUESDAY = next_weekday(1)


def count(session: Session, table: type[Visit] | type[Appointment]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def test_it_books_a_combined_visit_back_to_back(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)

    visit = book(session, alex, clinic.at(TUESDAY, 10), "dry-needling-30", "massage-60")

    parts = session.exec(select(Appointment).where(Appointment.visit_id == visit.id)).all()
    assert [(a.starts_at, a.ends_at) for a in parts] == [
        (clinic.at(TUESDAY, 10), clinic.at(TUESDAY, 10, 30)),
        (clinic.at(TUESDAY, 10, 30), clinic.at(TUESDAY, 11, 30)),
    ]
    assert parts[0].practitioner_id in (clinic.dana.id, clinic.marcus.id)
    assert parts[0].busy_until == clinic.at(TUESDAY, 10, 35)
    assert visit.version == 1


def test_it_gives_the_needling_to_a_certified_practitioner(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)

    visit = book(session, alex, clinic.at(TUESDAY, 14), "dry-needling-30", "massage-60")

    needling, massage = session.exec(
        select(Appointment)
        .where(Appointment.visit_id == visit.id)
        .order_by(col(Appointment.position))
    ).all()
    assert needling.practitioner_id in (clinic.dana.id, clinic.marcus.id)
    assert massage.practitioner_id in (clinic.dana.id, clinic.lena.id)


def test_it_assigns_the_least_loaded_practitioner(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    bea = make_patient(session, name="Bea", phone="+12125550199")
    book(session, bea, clinic.at(TUESDAY, 9), "massage-60", practitioner=clinic.lena)

    visit = book(session, alex, clinic.at(TUESDAY, 14), "massage-30")

    (massage,) = session.exec(select(Appointment).where(Appointment.visit_id == visit.id)).all()
    assert massage.practitioner_id == clinic.dana.id


def test_it_refuses_an_overlapping_visit_for_the_same_practitioner(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    bea = make_patient(session, name="Bea", phone="+12125550199")
    book(session, alex, clinic.at(TUESDAY, 10), "massage-60", practitioner=clinic.lena)

    with pytest.raises(Conflict, match="Lena Novak is already booked") as refused:
        book(session, bea, clinic.at(TUESDAY, 10, 30), "massage-30", practitioner=clinic.lena)
    assert refused.value.code == "slot_taken"


def test_it_keeps_the_cleanup_time_free(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    bea = make_patient(session, name="Bea", phone="+12125550199")
    book(session, alex, clinic.at(TUESDAY, 10), "massage-60", practitioner=clinic.lena)

    with pytest.raises(Conflict):
        book(session, bea, clinic.at(TUESDAY, 11, 5), "massage-30", practitioner=clinic.lena)
    book(session, bea, clinic.at(TUESDAY, 11, 10), "massage-30", practitioner=clinic.lena)


def test_it_refuses_a_patient_in_two_places_at_once(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    book(session, alex, clinic.at(TUESDAY, 10), "massage-60", practitioner=clinic.lena)

    with pytest.raises(Conflict, match="already has a visit") as refused:
        book(session, alex, clinic.at(TUESDAY, 10, 30), "exercise-45", practitioner=clinic.dana)
    assert refused.value.code == "patient_busy"


def test_it_refuses_a_taken_room(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    bea = make_patient(session, name="Bea", phone="+12125550199")
    gym = clinic.rooms["Gym"]
    book(session, alex, clinic.at(TUESDAY, 10), "exercise-45", practitioner=clinic.dana, room=gym)

    with pytest.raises(Conflict, match="No gym is free"):
        book(session, bea, clinic.at(TUESDAY, 10), "exercise-45", practitioner=clinic.marcus)


def test_it_books_nothing_when_the_second_part_clashes(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    bea = make_patient(session, name="Bea", phone="+12125550199", intake=True)
    book(session, bea, clinic.at(TUESDAY, 10, 30), "massage-60", practitioner=clinic.lena)
    visits_before = count(session, Visit)

    with pytest.raises(Conflict):
        book_visit(
            session=session,
            now=CURRENT_TIME,
            patient_id=alex.id or 0,
            start=clinic.at(TUESDAY, 10),
            parts=[
                PartRequest("dry-needling-30", practitioner_id=clinic.dana.id),
                PartRequest("massage-60", practitioner_id=clinic.lena.id),
            ],
            policy=POLICY,
        )
    assert count(session, Visit) == visits_before


def test_it_counts_an_assessment_earlier_in_the_same_visit(session: Session) -> None:
    clinic = make_clinic(session)
    bea = make_patient(session, intake=True)

    visit = book(session, bea, clinic.at(TUESDAY, 9), "assessment-60", "dry-needling-30")

    assert visit.id is not None


def test_it_carries_the_handover_gap_between_parts(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)

    visit = book_visit(
        session=session,
        now=CURRENT_TIME,
        patient_id=alex.id or 0,
        start=clinic.at(TUESDAY, 9),
        parts=[PartRequest("dry-needling-15"), PartRequest("exercise-45")],
        policy=POLICY.__class__(handover_gap=timedelta(minutes=5)),
    )

    exercise = session.exec(
        select(Appointment).where(Appointment.visit_id == visit.id, Appointment.position == 1)
    ).one()
    assert exercise.starts_at == clinic.at(TUESDAY, 9, 20)


@pytest.mark.parametrize(
    ("case", "error", "code"),
    [
        ("unknown service", NotFound, "unknown_service"),
        ("unqualified practitioner", RuleViolation, "practitioner_not_qualified"),
        ("uncertified practitioner", RuleViolation, "not_needling_certified"),
        ("expired certificate", RuleViolation, "certificate_expired"),
        ("no intake", RuleViolation, "intake_missing"),
        ("no consent", RuleViolation, "consent_missing"),
        ("no assessment", RuleViolation, "assessment_required"),
        ("in the past", RuleViolation, "in_the_past"),
        ("too short notice", RuleViolation, "too_short_notice"),
        ("beyond the horizon", RuleViolation, "beyond_horizon"),
        ("outside hours", RuleViolation, "outside_hours"),
        ("on a break", RuleViolation, "outside_hours"),
        ("clinic closed", RuleViolation, "outside_hours"),
        ("naive start", RuleViolation, "naive_datetime"),
        ("unknown patient", NotFound, "unknown_patient"),
        ("unknown practitioner", NotFound, "unknown_practitioner"),
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(
    session: Session, case: str, error: type[DomainError], code: str
) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    new = make_patient(session, name="Nina New", phone="+12125550150")
    unconsented = make_patient(
        session, name="Uma", phone="+12125550151", intake=True, consent=False
    )
    unassessed = make_patient(session, name="Ike", phone="+12125550152", intake=True)
    session.commit()
    visits, appointments = count(session, Visit), count(session, Appointment)
    late_day = next_weekday(1, CURRENT_TIME + timedelta(days=21))
    tuesday_10 = clinic.at(TUESDAY, 10)
    attempts = {
        "unknown service": (alex, tuesday_10, "cupping-30", None),
        "unqualified practitioner": (alex, tuesday_10, "massage-30", clinic.priya),
        "uncertified practitioner": (alex, tuesday_10, "dry-needling-30", clinic.priya),
        "expired certificate": (alex, clinic.at(late_day, 10), "dry-needling-30", clinic.marcus),
        "no intake": (new, tuesday_10, "dry-needling-30", None),
        "no consent": (unconsented, tuesday_10, "dry-needling-30", None),
        "no assessment": (unassessed, tuesday_10, "dry-needling-30", None),
        "in the past": (alex, CURRENT_TIME - timedelta(hours=1), "massage-30", None),
        "too short notice": (alex, CURRENT_TIME + timedelta(minutes=30), "massage-30", None),
        "beyond the horizon": (alex, CURRENT_TIME + timedelta(days=200), "massage-30", None),
        "outside hours": (alex, clinic.at(TUESDAY, 17, 30), "massage-30", clinic.lena),
        "on a break": (alex, clinic.at(TUESDAY, 12, 15), "massage-30", clinic.lena),
        "clinic closed": (alex, clinic.at(TUESDAY, 19), "massage-30", None),
        "naive start": (alex, tuesday_10.replace(tzinfo=None), "massage-30", None),
        "unknown patient": (None, tuesday_10, "massage-30", None),
        "unknown practitioner": (alex, tuesday_10, "massage-30", "ghost"),
    }
    patient, start, code_, practitioner = attempts[case]

    with pytest.raises(error) as refused:
        book_visit(
            session=session,
            now=CURRENT_TIME,
            patient_id=patient.id if patient and patient.id else 9999,
            start=start,
            parts=[
                PartRequest(
                    code_,
                    practitioner_id=(
                        9999
                        if isinstance(practitioner, str)
                        else practitioner.id
                        if practitioner
                        else None
                    ),
                )
            ],
            policy=POLICY,
        )
    session.rollback()

    assert refused.value.code == code
    assert refused.value.message
    assert (count(session, Visit), count(session, Appointment)) == (visits, appointments)

from datetime import timedelta

from sqlmodel import Session

from scheduler.scheduling.usual_visits import usual_visits
from tests.factories import (
    CURRENT_TIME,
    assessed_patient,
    book,
    make_clinic,
    make_patient,
    next_weekday,
)

TUESDAY = next_weekday(1)
WEDNESDAY = next_weekday(2)


def test_it_offers_the_patients_last_visit_then_the_clinics_most_booked(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    bea = make_patient(session)
    book(session, bea, clinic.at(TUESDAY, 9), "massage-30", "exercise-45")
    book(session, bea, clinic.at(WEDNESDAY, 9), "massage-30", "exercise-45")
    book(session, alex, clinic.at(TUESDAY, 14), "dry-needling-15")

    offered = usual_visits(
        session, since=CURRENT_TIME - timedelta(days=90), patient_id=alex.id, limit=3
    )

    assert offered == [
        ("dry-needling-15",),
        ("massage-30", "exercise-45"),
        ("assessment-60",),
    ]

"""Thirty-two front desks press "book" for one practitioner's slot at the same instant."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import Engine

from scheduler.core import db
from scheduler.core.errors import Conflict
from scheduler.models import Patient
from tests.factories import Clinic, book, make_clinic, make_patient, next_weekday
from tests.oracles import count_overlaps

CLIENTS = 32
ROUNDS = 50


def test_it_books_exactly_one_of_racing_overlapping_visits(engine: Engine) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        clinic = make_clinic(session)
        patients = [
            make_patient(session, name=f"Patient {n}", phone=f"+1212555{n:04d}")
            for n in range(CLIENTS)
        ]
    outcomes = []
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        for start in race_starts(clinic):
            barrier = threading.Barrier(CLIENTS)
            attempts = [
                pool.submit(try_booking, engine, clinic, barrier, patient, start, n)
                for n, patient in enumerate(patients)
            ]
            outcomes.append([attempt.result() for attempt in attempts])

    assert [round_.count("booked") for round_ in outcomes] == [1] * ROUNDS
    assert all(set(round_) <= {"booked", "slot taken"} for round_ in outcomes), outcomes
    assert count_overlaps(engine) == 0


def race_starts(clinic: Clinic) -> list[datetime]:
    """Fifty hourly starts inside Lena's working hours, skipping lunch."""
    starts: list[datetime] = []
    day = next_weekday(0)
    while len(starts) < ROUNDS:
        if day.weekday() < 5:
            starts += [clinic.at(day, hour) for hour in (8, 9, 10, 11, 13, 14, 15)]
        day += timedelta(days=1)
    return starts[:ROUNDS]


def try_booking(
    engine: Engine,
    clinic: Clinic,
    barrier: threading.Barrier,
    patient: Patient,
    start: datetime,
    n: int,
) -> str:
    """Each client asks for a slightly different, overlapping half hour."""
    barrier.wait()
    try:
        with db.booking_session(engine) as session, db.transaction(session):
            book(
                session,
                patient,
                start + timedelta(minutes=5 * (n % 4)),
                "massage-30",
                practitioner=clinic.lena,
            )
    except Conflict:
        return "slot taken"
    except Exception as error:  # the test counts every other outcome as a failure
        return f"error: {error!r}"
    return "booked"

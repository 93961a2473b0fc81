import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.clinic.intake import record_intake
from scheduler.clinic.patients import find_patients, normalise_mobile
from scheduler.core.db import booking_session, transaction
from scheduler.core.errors import RuleViolation
from scheduler.models import Intake
from tests.factories import CURRENT_TIME, make_patient


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("(212) 555-0142", "+12125550142"),
        ("+1 917 555 0123", "+19175550123"),
        ("+31 6 12345678", "+31612345678"),
    ],
)
def test_it_stores_mobile_numbers_in_e164(typed: str, stored: str) -> None:
    assert normalise_mobile(typed, region="US") == stored


@pytest.mark.parametrize("typed", ["12345", "not a number", "+1 212 555", "+31 20 123 4567"])
def test_it_refuses_what_cannot_take_a_text(typed: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        normalise_mobile(typed, region="US")
    assert refused.value.field == "phone"


def update_intake(
    session: Session, patient_id: int | None, *, now: datetime, flags: list[str]
) -> Intake:
    return record_intake(
        session=session,
        now=now,
        patient_id=patient_id or 0,
        conditions=["neck pain"],
        medications=[],
        flags=flags,
        consent=True,
    )


def test_it_refuses_unknown_contraindication_flags(session: Session) -> None:
    patient = make_patient(session)

    with pytest.raises(RuleViolation, match="Unknown contraindication flag"):
        update_intake(session, patient.id, now=CURRENT_TIME, flags=["pregnancy", "vampirism"])


def test_it_keeps_the_first_consent_time(session: Session) -> None:
    patient = make_patient(session, intake=True)
    later = CURRENT_TIME.replace(hour=18)

    intake = update_intake(session, patient.id, now=later, flags=["anticoagulants"])

    assert intake.consent_signed_at == CURRENT_TIME
    assert intake.updated_at == later
    assert intake.flags == ["anticoagulants"]


def test_it_finds_patients_by_the_digits_of_their_number(session: Session) -> None:
    make_patient(session, name="Alex Moreno", phone="+12125550101")
    make_patient(session, name="Bea Lindqvist", phone="+12125550102")

    assert [p.name for p in find_patients(session, text="555-0102")] == ["Bea Lindqvist"]


@pytest.mark.postgres
def test_two_first_intakes_at_once_replace_one_another(postgres_engine: Engine) -> None:
    with booking_session(postgres_engine) as session, transaction(session):
        patient_id = make_patient(session).id
    first, second = booking_session(postgres_engine), booking_session(postgres_engine)
    update_intake(first, patient_id, now=CURRENT_TIME, flags=[])  # not yet committed
    with ThreadPoolExecutor(1) as pool:
        late = pool.submit(update_intake, second, patient_id, now=CURRENT_TIME, flags=["pregnancy"])
        time.sleep(0.3)  # the second save now waits for the first
        first.commit()
        late.result(timeout=10)
    second.commit()

    with booking_session(postgres_engine) as session:
        intakes = session.exec(select(Intake).where(Intake.patient_id == patient_id)).all()
    assert [intake.flags for intake in intakes] == [["pregnancy"]]
    first.close()
    second.close()

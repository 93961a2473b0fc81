"""The database itself refuses double bookings, whatever code writes the rows."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from scheduler.models import Appointment, Visit, VisitStatus
from scheduler.models.columns import NaiveDatetimeError
from tests.factories import CURRENT_TIME, make_clinic, make_patient, service

TEN = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def insert(
    session: Session,
    people: dict[str, int],
    who: str,
    *,
    starts_at: datetime,
    minutes: int = 30,
    cleanup: int = 10,
    status: VisitStatus = VisitStatus.BOOKED,
) -> Appointment:
    practitioner, room, patient = (people[name] for name in who.split())
    visit = Visit(patient_id=patient, location_id=1, booked_at=CURRENT_TIME, status=status)
    session.add(visit)
    session.flush()
    appointment = Appointment(
        visit_id=visit.id or 0,
        patient_id=patient,
        position=0,
        service_id=service(session, "massage-30").id or 0,
        practitioner_id=practitioner,
        room_id=room,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        busy_until=starts_at + timedelta(minutes=minutes + cleanup),
        status=status,
    )
    session.add(appointment)
    session.flush()
    return appointment


@pytest.fixture
def people(session: Session) -> dict[str, int]:
    clinic = make_clinic(session)
    return {
        "lena": clinic.lena.id or 0,
        "dana": clinic.dana.id or 0,
        "room1": clinic.rooms["Room 1"].id or 0,
        "room2": clinic.rooms["Room 2"].id or 0,
        "alex": make_patient(session, name="Alex", phone="+12125550101").id or 0,
        "bea": make_patient(session, name="Bea", phone="+12125550102").id or 0,
    }


@pytest.mark.parametrize(
    "clash",
    ["lena room2 bea", "dana room1 bea", "dana room2 alex"],
    ids=["same practitioner", "same room", "same patient"],
)
def test_it_refuses_an_overlapping_row(
    session: Session, people: dict[str, int], clash: str
) -> None:
    insert(session, people, "lena room1 alex", starts_at=TEN)

    with pytest.raises(DBAPIError, match=r"overlap|exclusion"):
        insert(session, people, clash, starts_at=TEN + timedelta(minutes=20))


def test_it_refuses_a_row_inside_the_cleanup_time(session: Session, people: dict[str, int]) -> None:
    insert(session, people, "lena room1 alex", starts_at=TEN)

    with pytest.raises(DBAPIError):
        insert(session, people, "lena room2 bea", starts_at=TEN + timedelta(minutes=35))


def test_it_accepts_rows_that_touch(session: Session, people: dict[str, int]) -> None:
    insert(session, people, "lena room1 alex", starts_at=TEN)

    insert(session, people, "lena room1 bea", starts_at=TEN + timedelta(minutes=40))


def test_it_ignores_cancelled_rows(session: Session, people: dict[str, int]) -> None:
    insert(session, people, "lena room1 alex", starts_at=TEN, status=VisitStatus.CANCELLED)

    insert(session, people, "lena room1 bea", starts_at=TEN)


def test_it_refuses_an_update_into_an_overlap(session: Session, people: dict[str, int]) -> None:
    insert(session, people, "lena room1 alex", starts_at=TEN)
    later = insert(session, people, "lena room2 bea", starts_at=TEN + timedelta(hours=2))

    later.starts_at = TEN + timedelta(minutes=10)
    session.add(later)
    with pytest.raises(DBAPIError):
        session.flush()


def test_it_refuses_an_appointment_that_ends_before_it_starts(
    session: Session, people: dict[str, int]
) -> None:
    with pytest.raises(DBAPIError):
        insert(session, people, "lena room1 alex", starts_at=TEN, minutes=-30)


def test_it_round_trips_aware_utc(session: Session, people: dict[str, int]) -> None:
    new_york = TEN.astimezone(ZoneInfo("America/New_York"))
    appointment = insert(session, people, "lena room1 alex", starts_at=new_york)
    session.commit()
    session.expire_all()

    reread = session.get(Appointment, appointment.id)

    assert reread is not None
    assert reread.starts_at == TEN
    assert reread.starts_at.tzinfo == UTC


def test_it_refuses_a_naive_datetime(session: Session, people: dict[str, int]) -> None:
    with pytest.raises(Exception, match="naive datetime") as refused:
        insert(session, people, "lena room1 alex", starts_at=TEN.replace(tzinfo=None))
    assert isinstance(refused.value.__cause__ or refused.value, NaiveDatetimeError)

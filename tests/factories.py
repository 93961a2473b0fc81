"""A small clinic with named people, and helpers that read like the front desk's actions.

Personas: Dana Whitfield (physical therapist, certified for dry needling), Marcus Chen
(chiropractor, certificate expiring 20 days after CURRENT_TIME), Priya Raman (acupuncturist, not
certified), Lena Novak (massage therapist). Everyone works Monday to Friday 08:00-17:00 with lunch
12:30-13:00; the clinic is open 08:00-19:00. Patients: Alex (intake, consent, assessed), Bea (new).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.app.demo import seed_catalogue
from scheduler.clinic.intake import record_intake
from scheduler.clinic.patients import register_patient
from scheduler.clinic.setup import create_location, create_practitioner, create_room
from scheduler.core import db
from scheduler.core.policy import Policy
from scheduler.models import (
    Location,
    Patient,
    Practitioner,
    Profession,
    Room,
    RoomKind,
    Service,
    Visit,
)
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.booking import book_visit
from scheduler.scheduling.visits import cancel_visit, complete

# Monday 23 November 2026, 07:00 in New York.
CURRENT_TIME = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")
POLICY = Policy()
PUBLIC_URL = "https://book.riverside.example"  # where patients' links point
WORKDAYS = range(5)


@dataclass
class Clinic:
    location: Location
    zone: ZoneInfo
    rooms: dict[str, Room]
    dana: Practitioner
    marcus: Practitioner
    priya: Practitioner
    lena: Practitioner

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A local wall time at the clinic, as an aware datetime."""
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)


def make_clinic(
    session: Session,
    *,
    time_zone: str = "America/New_York",
    opening: tuple[time, time] = (time(8), time(19)),
    hours: tuple[time, time] = (time(8), time(17)),
    lunch: tuple[time, time] | None = (time(12, 30), time(13)),
    workdays: Sequence[int] = WORKDAYS,
    today: date | None = None,
) -> Clinic:
    today = today or CURRENT_TIME.date()
    location = create_location(
        session,
        name="Riverside Physio",
        time_zone=time_zone,
        opening={day: opening for day in range(7)},
        phone="+12125550100",
    )
    rooms = {
        name: create_room(session, location=location, name=name, kind=kind)
        for name, kind in (
            ("Room 1", RoomKind.TREATMENT_ROOM),
            ("Room 2", RoomKind.TREATMENT_ROOM),
            ("Gym", RoomKind.GYM),
        )
    }
    seed_catalogue(session)
    weekly = {day: hours for day in workdays}

    def practitioner(name: str, profession: Profession, until: date | None) -> Practitioner:
        return create_practitioner(
            session,
            name=name,
            profession=profession,
            location=location,
            hours=weekly,
            lunch=lunch,
            needling_certified_by="Dry Needling Institute" if until else None,
            needling_certified_until=until,
        )

    return Clinic(
        location=location,
        zone=ZoneInfo(time_zone),
        rooms=rooms,
        # 30 June 2028 from CURRENT_TIME; counted from `today`, so it holds on any date.
        dana=practitioner(
            "Dana Whitfield", Profession.PHYSICAL_THERAPIST, today + timedelta(days=585)
        ),
        marcus=practitioner("Marcus Chen", Profession.CHIROPRACTOR, today + timedelta(days=20)),
        priya=practitioner("Priya Raman", Profession.ACUPUNCTURIST, None),
        lena=practitioner("Lena Novak", Profession.MASSAGE_THERAPIST, None),
    )


def make_patient(
    session: Session,
    *,
    name: str = "Bea Lindqvist",
    phone: str = "+12125550102",
    intake: bool = False,
    consent: bool = True,
    flags: Sequence[str] = (),
) -> Patient:
    patient = register_patient(
        session=session,
        now=CURRENT_TIME,
        name=name,
        phone=phone,
        date_of_birth=date(1985, 4, 12),
        region="US",
    )
    if intake:
        record_intake(
            session=session,
            now=CURRENT_TIME,
            patient_id=patient.id or 0,
            conditions=["low back pain"],
            medications=["ibuprofen"],
            flags=flags,
            consent=consent,
        )
    return patient


def assessed_patient(
    session: Session,
    clinic: Clinic,
    *,
    name: str = "Alex Moreno",
    phone: str = "+12125550101",
    hour: int = 9,
) -> Patient:
    """A patient with intake and consent whose assessment took place last week at `hour`."""
    patient = make_patient(session, name=name, phone=phone, intake=True)
    last_week = (CURRENT_TIME - timedelta(days=7)).astimezone(clinic.zone).date()
    visit = book(
        session,
        patient,
        clinic.at(last_week, hour),
        "assessment-60",
        practitioner=clinic.dana,
        now=CURRENT_TIME - timedelta(days=10),
    )
    complete(
        session=session,
        now=clinic.at(last_week, hour + 1),
        visit_id=visit.id or 0,
        policy=POLICY,
    )
    return patient


def book(
    session: Session,
    patient: Patient,
    start: datetime,
    *services: str,
    practitioner: Practitioner | None = None,
    room: Room | None = None,
    now: datetime = CURRENT_TIME,
) -> Visit:
    parts = [
        PartRequest(
            service=code,
            practitioner_id=practitioner.id if practitioner else None,
            room_id=room.id if room else None,
        )
        for code in services
    ]
    return book_visit(
        session=session,
        now=now,
        patient_id=patient.id or 0,
        start=start,
        parts=parts,
        policy=POLICY,
    )


def cancel(
    session: Session,
    visit: Visit,
    *,
    reason: str = "",
    by: str = "front desk",
    now: datetime = CURRENT_TIME,
) -> Visit:
    return cancel_visit(
        session=session,
        now=now,
        visit_id=visit.id or 0,
        reason=reason,
        cancelled_by=by,
        policy=POLICY,
    )


def next_weekday(weekday: int, after: datetime = CURRENT_TIME) -> date:
    """The first date after `after` (in New York) falling on `weekday` (0 = Monday)."""
    day = after.astimezone(NEW_YORK).date() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def service(session: Session, code: str) -> Service:
    return session.exec(select(Service).where(Service.code == code)).one()


def open_session(engine: Engine) -> Session:
    return db.booking_session(engine)

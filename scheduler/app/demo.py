"""A realistic demo clinic: the six standard services, five practitioners, patients and visits.

Visits are booked through the real booking rules (the past ones "as of" a moment before them), so
the demo can never hold a schedule the product itself would refuse.
"""

import random
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from scheduler.clinic.intake import record_intake
from scheduler.clinic.patients import register_patient
from scheduler.clinic.setup import create_location, create_practitioner, create_room, create_service
from scheduler.core import db, migrate
from scheduler.core.errors import DomainError
from scheduler.core.policy import Policy
from scheduler.core.settings import Settings
from scheduler.core.wallclock import clinic_zone
from scheduler.models import Location, Practitioner, Profession, Role, RoomKind, ServiceKind, User
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.booking import book_visit
from scheduler.scheduling.visits import complete
from scheduler.staff.accounts import add_user, set_password

P = Profession
# Printed by `triggerpoint demo`; a demo database is for trying the product, never for patients.
DEMO_PASSWORD = "triggerpoint-demo"
DEMO_CLINIC = "Triggerpoint Demo Clinic"
NEEDLERS = (P.PHYSICAL_THERAPIST, P.CHIROPRACTOR, P.ACUPUNCTURIST, P.NURSE, P.PHYSICIAN)
# code, name, kind, minutes, cleanup, room kind, professions
SERVICES = (
    (
        "assessment-60",
        "Assessment",
        ServiceKind.ASSESSMENT,
        60,
        10,
        RoomKind.TREATMENT_ROOM,
        (P.PHYSICAL_THERAPIST, P.CHIROPRACTOR, P.PHYSICIAN),
    ),
    (
        "dry-needling-15",
        "Dry needling, 15 min",
        ServiceKind.DRY_NEEDLING,
        15,
        5,
        RoomKind.TREATMENT_ROOM,
        NEEDLERS,
    ),
    (
        "dry-needling-30",
        "Dry needling, 30 min",
        ServiceKind.DRY_NEEDLING,
        30,
        5,
        RoomKind.TREATMENT_ROOM,
        NEEDLERS,
    ),
    (
        "massage-30",
        "Massage, 30 min",
        ServiceKind.MASSAGE,
        30,
        10,
        RoomKind.TREATMENT_ROOM,
        (P.MASSAGE_THERAPIST, P.PHYSICAL_THERAPIST),
    ),
    (
        "massage-60",
        "Massage, 60 min",
        ServiceKind.MASSAGE,
        60,
        10,
        RoomKind.TREATMENT_ROOM,
        (P.MASSAGE_THERAPIST, P.PHYSICAL_THERAPIST),
    ),
    (
        "exercise-45",
        "Exercise session",
        ServiceKind.EXERCISE,
        45,
        5,
        RoomKind.GYM,
        (P.PHYSICAL_THERAPIST, P.CHIROPRACTOR),
    ),
)
WEEKDAYS = range(5)
FIRST_NAMES = (
    "Alex",
    "Bea",
    "Carlos",
    "Dorothy",
    "Eitan",
    "Fatima",
    "Greg",
    "Hana",
    "Ivan",
    "Julia",
    "Kwame",
    "Lucia",
)
LAST_NAMES = ("Moreno", "Lindqvist", "Diaz", "Hale", "Bar", "Noor", "Olsen", "Sato")
VISIT_MENU = (
    ("assessment-60",),
    ("dry-needling-30", "massage-60"),
    ("dry-needling-30", "exercise-45"),
    ("dry-needling-15", "massage-30"),
    ("dry-needling-30",),
    ("massage-60",),
    ("exercise-45",),
)


def seed_catalogue(session: Session) -> None:
    for code, name, kind, minutes, cleanup, room_kind, professions in SERVICES:
        create_service(
            session,
            code=code,
            name=name,
            kind=kind,
            minutes=minutes,
            cleanup_minutes=cleanup,
            room_kind=room_kind,
            professions=professions,
        )


def ensure_demo_clinic(settings: Settings, *, now: datetime) -> bool:
    """Migrate, then seed the demo clinic unless the database already holds a clinic; the
    policy is the one these settings make."""
    migrate.upgrade(settings.database_url)
    with (
        db.booking_session(db.make_engine(settings.database_url)) as session,
        db.transaction(session),
    ):
        if session.exec(select(Location)).first() is not None:
            return False
        seed_demo(
            session,
            now=now,
            time_zone=settings.clinic_time_zone,
            region=settings.phone_region,
            policy=Policy.from_settings(settings),
        )
    return True


def seed_demo(
    session: Session, *, now: datetime, time_zone: str, region: str, policy: Policy
) -> Location:
    """The demo clinic around `now`: a week of past visits and a week and a half ahead."""
    today = now.astimezone(clinic_zone(time_zone)).date()
    location = create_location(
        session,
        name=DEMO_CLINIC,
        time_zone=time_zone,
        phone="+1 212 555 0100",
        opening={day: (time(8), time(19)) for day in WEEKDAYS} | {5: (time(9), time(13))},
    )
    for name in ("Room 1", "Room 2", "Room 3", "Room 4"):
        create_room(session, location=location, name=name, kind=RoomKind.TREATMENT_ROOM)
    create_room(session, location=location, name="Gym", kind=RoomKind.GYM)
    seed_catalogue(session)
    _seed_practitioners(session, location, today)
    patients = _seed_patients(session, now, region)
    _seed_visits(session, now, location, patients, policy=policy)
    _seed_staff(session, now)
    return location


def _seed_staff(session: Session, now: datetime) -> None:
    """An admin, a front desk and an account per practitioner, all with DEMO_PASSWORD."""
    accounts: list[tuple[str, Role, int | None]] = [
        ("admin", Role.ADMIN, None),
        ("frontdesk", Role.FRONT_DESK, None),
    ]
    for practitioner in session.exec(select(Practitioner).order_by(col(Practitioner.id))):
        first_name = practitioner.name.split()[0].lower()
        accounts.append((first_name, Role.PRACTITIONER, practitioner.id))
    for name, role, practitioner_id in accounts:
        created = add_user(session, name=name, role=role, now=now, practitioner_id=practitioner_id)
        set_password(session, created.user, DEMO_PASSWORD)


def demo_logins(session: Session) -> list[tuple[str, Role]]:
    """The accounts to print, only for the demo clinic: a real clinic's users are never listed
    next to the demo password."""
    if session.exec(select(Location).where(Location.name == DEMO_CLINIC)).first() is None:
        return []
    return [(user.name, user.role) for user in session.exec(select(User).order_by(col(User.id)))]


def _seed_practitioners(session: Session, location: Location, today: date) -> None:
    days = {day: (time(8), time(17)) for day in WEEKDAYS}
    late = {day: (time(10), time(19)) for day in WEEKDAYS}
    lunch = (time(12, 30), time(13, 0))
    for name, profession, hours, certified_until in (
        ("Dana Whitfield", P.PHYSICAL_THERAPIST, days, today + timedelta(days=700)),
        ("Marcus Chen", P.CHIROPRACTOR, late, today + timedelta(days=20)),
        ("Priya Raman", P.PHYSICAL_THERAPIST, days, None),
        ("Lena Novak", P.MASSAGE_THERAPIST, days, None),
        ("Sam Okafor", P.MASSAGE_THERAPIST, late, None),
    ):
        create_practitioner(
            session,
            name=name,
            profession=profession,
            location=location,
            hours=hours,
            lunch=lunch,
            needling_certified_by="Dry Needling Institute" if certified_until else None,
            needling_certified_until=certified_until,
        )


def _seed_patients(session: Session, now: datetime, region: str) -> list[int]:
    rng = random.Random(7)
    ids = []
    names = [f"{first} {last}" for last in LAST_NAMES for first in FIRST_NAMES][::3]
    for number, name in enumerate(names):
        phone = f"+1 212 555 {100 + number:04d}"
        born = date(1950 + rng.randrange(50), rng.randrange(1, 13), rng.randrange(1, 28))
        patient = register_patient(
            session=session, now=now, name=name, phone=phone, date_of_birth=born, region=region
        )
        ids.append(patient.id or 0)
        if number % 3 != 2:  # every third patient has not filled in an intake yet
            record_intake(
                session=session,
                now=now,
                patient_id=patient.id or 0,
                conditions=["low back pain"] if number % 2 else ["neck pain", "headaches"],
                medications=["warfarin"] if number == 3 else [],
                flags=["anticoagulants"] if number == 3 else [],
                consent=True,
                reviewed_by="Dana Whitfield",
            )
    return ids


def _seed_visits(
    session: Session, now: datetime, location: Location, patients: list[int], *, policy: Policy
) -> None:
    """Each patient's first visit is an assessment, then a mix; what does not fit is skipped.
    They are booked under the default policy; `policy` plans the aftercare of those completed."""
    rng = random.Random(11)
    zone = clinic_zone(location.time_zone)
    first_day = now.astimezone(zone).date() - timedelta(days=7)
    defaults = Policy()
    assessed: set[int] = set()
    for offset in range(18):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for patient_id in rng.sample(patients, 16):
            menu = rng.choice(VISIT_MENU) if patient_id in assessed else VISIT_MENU[0]
            start = datetime.combine(day, time(rng.randrange(8, 17), rng.choice((0, 30))), zone)
            as_of = min(now, start - timedelta(days=2))
            try:
                with session.begin_nested():
                    visit = book_visit(
                        session=session,
                        now=as_of,
                        patient_id=patient_id,
                        start=start,
                        parts=[PartRequest(service=code) for code in menu],
                        location_id=location.id,
                        booked_by="demo",
                        policy=defaults,
                    )
            except DomainError:
                continue  # taken, closed, or no intake yet: a real front desk would move on
            assessed.add(patient_id)
            if start + timedelta(hours=2) < now:
                complete(
                    session=session,
                    now=start + timedelta(hours=1),
                    visit_id=visit.id or 0,
                    policy=policy,
                )

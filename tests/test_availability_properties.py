"""find_slots against two oracles: the booking rules, and a minute-by-minute brute force.

Random small clinics on ordinary days and on DST changes, with random hours, breaks, time off
and existing visits. Every slot offered must book, and the offered starts must be exactly the
starts the brute force finds bookable.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.app.demo import seed_catalogue
from scheduler.clinic.setup import add_time_off, create_location, create_practitioner, create_room
from scheduler.core import db
from scheduler.core.errors import DomainError
from scheduler.core.policy import Policy
from scheduler.models import (
    HOLDS_TIME,
    Appointment,
    OpeningHours,
    Practitioner,
    Profession,
    Room,
    RoomKind,
    Service,
    ServiceKind,
    TimeOff,
    WorkingHours,
)
from scheduler.scheduling.availability import PartRequest, Slot
from scheduler.scheduling.booking import book_visit
from scheduler.scheduling.slots import find_open_slots
from tests.conftest import FreshDatabase
from tests.factories import make_patient

POLICY = Policy(minimum_notice=timedelta(hours=1), horizon=timedelta(days=30))
WANTED = [
    ("massage-30",),
    ("dry-needling-15", "exercise-45"),
    ("dry-needling-30", "massage-60"),
    ("exercise-45", "massage-30"),
]
EXISTING = [("massage-30",), ("exercise-45",), ("massage-60",), ("exercise-45", "massage-30")]
DAYS = [
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("America/New_York", date(2026, 6, 10)),
    ("Europe/Amsterdam", date(2026, 3, 29)),
    ("Europe/Amsterdam", date(2026, 10, 25)),
]
PROFESSIONS = [Profession.PHYSICAL_THERAPIST, Profession.MASSAGE_THERAPIST, Profession.CHIROPRACTOR]
Staff = tuple[Profession, bool, int, int, bool]  # certified, from hour, to hour, lunch break


@dataclass(frozen=True)
class Scenario:
    zone: str
    day: date
    wanted: tuple[str, ...]
    staff: list[Staff]
    treatment_rooms: int
    time_off: list[tuple[int, int, int]]  # practitioner, start minute, length
    existing: list[tuple[int, int, int]]  # EXISTING index, start minute, practitioner

    @property
    def now(self) -> datetime:
        return datetime.combine(self.day - timedelta(days=2), time(12), tzinfo=UTC)

    def at(self, minute: int, day: date | None = None) -> datetime:
        return datetime.combine(
            day or self.day, time(minute // 60, minute % 60), tzinfo=ZoneInfo(self.zone)
        )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone, day = draw(st.sampled_from(DAYS))
    one_member = st.tuples(
        st.sampled_from(PROFESSIONS),
        st.booleans(),
        st.integers(7, 11),
        st.integers(13, 19),
        st.booleans(),
    )
    minutes = st.integers(7 * 12, 19 * 12).map(lambda five: five * 5)
    return Scenario(
        zone=zone,
        day=day,
        wanted=draw(st.sampled_from(WANTED)),
        staff=draw(st.lists(one_member, min_size=1, max_size=3)),
        treatment_rooms=draw(st.integers(1, 2)),
        time_off=draw(
            st.lists(st.tuples(st.integers(0, 2), minutes, st.integers(15, 180)), max_size=2)
        ),
        existing=draw(
            st.lists(
                st.tuples(st.integers(0, len(EXISTING) - 1), minutes, st.integers(0, 2)), max_size=6
            )
        ),
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_it_offers_exactly_the_bookable_starts(
    fresh_database: FreshDatabase, scenario: Scenario
) -> None:
    engine = fresh_database()
    patient_id = build(engine, scenario)

    with db.booking_session(engine) as session:
        slots = find_open_slots(
            session=session,
            now=scenario.now,
            parts=[PartRequest(code) for code in scenario.wanted],
            first_day=scenario.day,
            days=1,
            policy=POLICY,
        )
        for slot in slots:
            assert books(session, slot, scenario.now, patient_id), slot
        offered = [slot.starts_at for slot in slots]
        assert offered == brute_force_starts(session, scenario)


def build(engine: Engine, scenario: Scenario) -> int:
    """The clinic, its visits, and a patient assessed the day before; returns that patient."""
    with db.booking_session(engine) as session, db.transaction(session):
        location = create_location(
            session,
            name="Clinic",
            time_zone=scenario.zone,
            opening={d: (time(8), time(18)) for d in range(7)},
        )
        for n in range(scenario.treatment_rooms):
            create_room(session, location=location, name=f"Room {n}", kind=RoomKind.TREATMENT_ROOM)
        create_room(session, location=location, name="Gym", kind=RoomKind.GYM)
        seed_catalogue(session)
        staff = [
            create_practitioner(
                session,
                name=f"Practitioner {n}",
                profession=profession,
                location=location,
                hours={scenario.day.weekday(): (time(starts), time(ends))},
                lunch=(time(12), time(12, 45)) if lunch else None,
                needling_certified_by="Institute" if certified else None,
                needling_certified_until=date(2030, 1, 1) if certified else None,
            )
            for n, (profession, certified, starts, ends, lunch) in enumerate(scenario.staff)
        ]
        for who, minute, length in scenario.time_off:
            start = scenario.at(minute)
            add_time_off(
                session,
                practitioner=staff[who % len(staff)],
                starts_at=start,
                ends_at=start + timedelta(minutes=length),
            )
        for n, (menu, minute, who) in enumerate(scenario.existing):
            other = make_patient(session, name=f"Other {n}", phone=f"+1212555{1000 + n}")
            parts = [
                PartRequest(code, practitioner_id=staff[who % len(staff)].id)
                for code in EXISTING[menu]
            ]
            try_booking(session, scenario, other.id or 0, scenario.at(minute), parts)
        return assessed_the_day_before(session, scenario, location.id or 0)


def assessed_the_day_before(session: Session, scenario: Scenario, location_id: int) -> int:
    """An assessor who works only the day before, so the patient may be needled on the day."""
    day_before = scenario.day - timedelta(days=1)
    assessor = create_practitioner(
        session,
        name="Assessor",
        profession=Profession.PHYSICAL_THERAPIST,
        location=session.get_one(
            __import__("scheduler.models", fromlist=["Location"]).Location, location_id
        ),
        hours={day_before.weekday(): (time(8), time(18))},
    )
    patient = make_patient(session, intake=True)
    book_visit(
        session=session,
        now=scenario.now - timedelta(days=5),
        patient_id=patient.id or 0,
        start=scenario.at(9 * 60, day_before),
        parts=[PartRequest("assessment-60", practitioner_id=assessor.id)],
        policy=POLICY,
    )
    return patient.id or 0


def try_booking(
    session: Session, scenario: Scenario, patient_id: int, start: datetime, parts: list[PartRequest]
) -> None:
    try:
        with session.begin_nested():
            book_visit(
                session=session,
                now=scenario.now,
                patient_id=patient_id,
                start=start,
                parts=parts,
                policy=POLICY,
            )
    except DomainError:
        pass  # a random visit that does not fit is simply not there


def books(session: Session, slot: Slot, now: datetime, patient_id: int) -> bool:
    """The booking rules accept the slot exactly as offered (then it is rolled back)."""
    nested = session.begin_nested()
    try:
        book_visit(
            session=session,
            now=now,
            patient_id=patient_id,
            start=slot.starts_at,
            parts=[
                PartRequest(a.service.code, practitioner_id=a.practitioner_id, room_id=a.room_id)
                for a in slot.appointments
            ],
            policy=POLICY,
        )
        return True
    except DomainError:
        return False
    finally:
        nested.rollback()


def brute_force_starts(session: Session, scenario: Scenario) -> list[datetime]:
    """Every start on the local quarter hour at which some practitioner and some room are free
    for each part, checked one minute at a time on the local clock."""
    world = World.load(session, scenario)
    starts = []
    for minute in range(0, 24 * 60, 15):
        local = scenario.at(minute)
        start = local.astimezone(UTC)
        if start.astimezone(world.zone).replace(tzinfo=None) != local.replace(tzinfo=None):
            continue  # the clock skips this time
        if not scenario.now + POLICY.minimum_notice <= start <= scenario.now + POLICY.horizon:
            continue
        if world.fits(scenario.wanted, start):
            starts.append(start)
    return starts


@dataclass
class World:
    zone: ZoneInfo
    services: dict[str, Service]
    practitioners: list[Practitioner]
    rooms: list[Room]
    hours: list[WorkingHours]
    opening: list[OpeningHours]
    time_off: list[TimeOff]
    busy: list[Appointment]

    @classmethod
    def load(cls, session: Session, scenario: Scenario) -> "World":
        return cls(
            zone=ZoneInfo(scenario.zone),
            services={s.code: s for s in session.exec(select(Service))},
            practitioners=list(session.exec(select(Practitioner))),
            rooms=list(session.exec(select(Room))),
            hours=list(session.exec(select(WorkingHours))),
            opening=list(session.exec(select(OpeningHours))),
            time_off=list(session.exec(select(TimeOff))),
            busy=list(
                session.exec(select(Appointment).where(col(Appointment.status).in_(HOLDS_TIME)))
            ),
        )

    def fits(self, codes: tuple[str, ...], start: datetime) -> bool:
        for code in codes:
            service = self.services[code]
            end = start + timedelta(minutes=service.duration_minutes)
            busy_until = end + timedelta(minutes=service.cleanup_minutes)
            if not any(
                self.practitioner_free(p, service, start, end, busy_until)
                for p in self.practitioners
            ):
                return False
            if not any(self.room_free(r, service, start, end, busy_until) for r in self.rooms):
                return False
            start = end
        return True

    def practitioner_free(
        self, p: Practitioner, service: Service, start: datetime, end: datetime, until: datetime
    ) -> bool:
        if p.profession.value not in service.professions:
            return False
        if service.kind == ServiceKind.DRY_NEEDLING and not p.may_needle_on(
            start.astimezone(self.zone).date()
        ):
            return False
        return all(self.at_work(p, m) for m in minutes(start, end)) and not any(
            a.practitioner_id == p.id and overlap(a.starts_at, a.busy_until, start, until)
            for a in self.busy
        )

    def room_free(
        self, room: Room, service: Service, start: datetime, end: datetime, until: datetime
    ) -> bool:
        return room.kind == service.room_kind and not any(
            a.room_id == room.id and overlap(a.starts_at, a.busy_until, start, until)
            for a in self.busy
        )

    def at_work(self, p: Practitioner, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        wall, weekday = local.time(), local.weekday()
        if not any(o.weekday == weekday and o.opens <= wall < o.closes for o in self.opening):
            return False
        if any(
            t.practitioner_id == p.id and t.starts_at <= moment < t.ends_at for t in self.time_off
        ):
            return False
        return any(
            h.practitioner_id == p.id
            and h.weekday == weekday
            and h.starts <= wall < h.ends
            and not (h.break_starts and h.break_ends and h.break_starts <= wall < h.break_ends)
            for h in self.hours
        )


def minutes(start: datetime, end: datetime) -> list[datetime]:
    count = int((end - start).total_seconds() // 60)
    return [start + timedelta(minutes=n) for n in range(count)]


def overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end

"""The clinic the HTTP booking benchmark books into, and the requests it sends.

The clinic is `bench.clinic_fixture`'s (50 practitioners, 30 days about 60% booked), starting the
day after the real today, because the server reads the real clock. Ten massage therapists are
kept for races: their own bookings are cleared and each gets a treatment room of its own, which
spread bookings never ask for, so every race starts on a slot that is free in every way and can
only be lost to the other racers. Racers are patients that spread bookings never use.

Spread bookings go to the other 40 practitioners: a service they give (a needling-only
practitioner gets an assessment by anyone followed by their dry needling, in one room), a random
quarter hour inside their shift clear of their break, one of the other rooms of the right kind
and a random patient; many meet the fixture's bookings and are refused with 409, as at a busy
front desk.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bench.clinic_fixture import BOOKED_AT, TIME_ZONE, build_clinic
from scheduler.core import db
from scheduler.core.policy import Policy, current_policy
from scheduler.models import (
    Appointment,
    Intake,
    Patient,
    Practitioner,
    Profession,
    Role,
    Room,
    RoomKind,
    Service,
    ServiceKind,
    Visit,
    WorkingHours,
)
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.part_fit import may_deliver
from scheduler.scheduling.slots import find_open_slots
from scheduler.staff.accounts import add_user

PRACTITIONERS = 50
DAYS = 30
HOT_PRACTITIONERS = 10
RACERS = 8
RACE_SERVICE = "massage-30"
# Racers ask for starts 3 minutes apart: all eight overlap (30 minutes plus 10 of cleanup).
RACE_STEP = timedelta(minutes=3)
# The next race on the same practitioner starts after the latest racer's busy time.
RACE_SPACING = timedelta(minutes=75)
RACE_PATIENTS = 200
GRID = timedelta(minutes=15)


@dataclass(frozen=True)
class Race:
    practitioner_id: int
    room_id: int
    start: datetime  # local; racer k asks for start + k * RACE_STEP
    patients: tuple[int, ...]

    def starts(self) -> list[datetime]:
        """Each racer's start, as stored (UTC)."""
        return [(self.start + n * RACE_STEP).astimezone(UTC) for n in range(RACERS)]

    def body(self, racer: int) -> dict[str, object]:
        return {
            "patient_id": self.patients[racer],
            "start": (self.start + racer * RACE_STEP).isoformat(),
            "appointments": [
                {
                    "service": RACE_SERVICE,
                    "practitioner_id": self.practitioner_id,
                    "room_id": self.room_id,
                }
            ],
        }


@dataclass(frozen=True)
class SpreadPractitioner:
    id: int
    shifts: dict[int, WorkingHours]  # by weekday
    menu: list[tuple[tuple[str, ...], RoomKind, int]]  # services, room kind, minutes in all
    needles_only: bool


@dataclass
class BookingClinic:
    zone: ZoneInfo
    days: list[date]
    races: list[Race]
    spread: list[SpreadPractitioner]
    rooms: dict[RoomKind, list[int]]  # the rooms spread bookings may ask for
    patients: list[int]  # the patients spread bookings may book
    token: str
    appointments: int  # booked by the fixture, before the run

    def spread_body(self, rng: random.Random) -> dict[str, object]:
        """One booking somewhere in the month, as the front desk would try it."""
        practitioner = rng.choice(self.spread)
        day = rng.choice([d for d in self.days if d.weekday() in practitioner.shifts])
        codes, room_kind, minutes = rng.choice(practitioner.menu)
        start = _start_in_shift(rng, practitioner.shifts[day.weekday()], minutes)
        room = rng.choice(self.rooms[room_kind])
        parts: list[dict[str, object]] = [{"service": code, "room_id": room} for code in codes]
        parts[-1]["practitioner_id"] = practitioner.id
        return {
            "patient_id": rng.choice(self.patients),
            "start": datetime.combine(day, start, self.zone).isoformat(),
            "appointments": parts,
        }


def _start_in_shift(rng: random.Random, shift: WorkingHours, minutes: int) -> time:
    """A quarter hour at which `minutes` fit inside the shift and clear of its break."""
    day = date(2000, 1, 3)
    starts = datetime.combine(day, shift.starts)
    latest = datetime.combine(day, shift.ends) - timedelta(minutes=minutes)
    candidates = []
    while starts <= latest:
        ends = starts + timedelta(minutes=minutes)
        if not _in_break(shift, starts.time(), ends.time()):
            candidates.append(starts.time())
        starts += GRID
    return rng.choice(candidates)


def _in_break(shift: WorkingHours, starts: time, ends: time) -> bool:
    if shift.break_starts is None or shift.break_ends is None:
        return False
    return starts < shift.break_ends and shift.break_starts < ends


def prepare(engine: Engine, *, now: datetime, seed: int) -> BookingClinic:
    """The clinic for a run whose server clock reads about `now`."""
    zone = ZoneInfo(TIME_ZONE)
    first_day = now.astimezone(zone).date() + timedelta(days=1)
    days = [first_day + timedelta(days=n) for n in range(DAYS)]
    with db.session(engine) as session:
        fixture = build_clinic(
            session, practitioners=PRACTITIONERS, first_day=first_day, days=DAYS, seed=seed
        )
        session.commit()
    with db.booking_session(engine) as session, db.transaction(session):
        hot, reserved, racers = _set_aside(session)
        token = add_user(session, name="bench-front-desk", role=Role.FRONT_DESK, now=now).api_token
        _give_intakes(session, now)
        spread = _spread_practitioners(session, exclude=set(hot))
        rooms = _rooms(session, exclude=set(reserved))
        everyone = list(session.exec(select(Patient.id).order_by(col(Patient.id))))
    with db.session(engine) as session:
        races = _plan_races(
            session,
            now=now,
            first_day=first_day,
            hot=hot,
            rooms=reserved,
            policy=current_policy(),  # the server reads the same settings
        )
    return BookingClinic(
        zone=zone,
        days=days,
        races=_with_racers(races, racers),
        spread=spread,
        rooms=rooms,
        patients=[p for p in everyone if p is not None and p not in set(racers)],
        token=token,
        appointments=fixture.appointments,
    )


def _set_aside(session: Session) -> tuple[list[int], list[int], list[int]]:
    """Massage therapists, treatment rooms and patients for the races, their bookings cleared."""
    hot = [
        p.id or 0
        for p in session.exec(select(Practitioner).order_by(col(Practitioner.id)))
        if p.profession == Profession.MASSAGE_THERAPIST
    ][:HOT_PRACTITIONERS]
    rooms = session.exec(
        select(Room.id).where(Room.kind == RoomKind.TREATMENT_ROOM).order_by(col(Room.id).desc())
    ).all()
    reserved = [room or 0 for room in rooms[:HOT_PRACTITIONERS]]
    racers = [p or 0 for p in session.exec(select(Patient.id).order_by(col(Patient.id)))][
        :RACE_PATIENTS
    ]
    cleared = sa.select(col(Appointment.visit_id)).where(
        sa.or_(
            col(Appointment.practitioner_id).in_(hot),
            col(Appointment.room_id).in_(reserved),
            col(Appointment.patient_id).in_(racers),
        )
    )
    visit_ids = list(session.scalars(cleared))
    session.execute(sa.delete(Appointment).where(col(Appointment.visit_id).in_(visit_ids)))
    session.execute(sa.delete(Visit).where(col(Visit.id).in_(visit_ids)))
    return hot, reserved, racers


def _give_intakes(session: Session, now: datetime) -> None:
    """Every patient has an intake with consent, so needling can be booked after an assessment."""
    rows = [
        {
            "patient_id": patient_id,
            "conditions": ["low back pain"],
            "medications": [],
            "flags": [],
            "consent_signed_at": BOOKED_AT,
            "updated_at": now,
        }
        for patient_id in session.exec(select(Patient.id))
    ]
    session.execute(sa.insert(Intake), rows)


def _spread_practitioners(session: Session, *, exclude: set[int]) -> list[SpreadPractitioner]:
    services = list(session.exec(select(Service).order_by(col(Service.id))))
    by_code = {s.code: s for s in services}
    hours = list(session.exec(select(WorkingHours)))
    result = []
    for practitioner in session.exec(select(Practitioner).order_by(col(Practitioner.id))):
        if practitioner.id in exclude:
            continue
        given = [s for s in services if may_deliver(practitioner, s)]
        plain = [s for s in given if s.kind != ServiceKind.DRY_NEEDLING]
        menu: list[tuple[tuple[str, ...], RoomKind, int]] = [
            ((s.code,), s.room_kind, s.duration_minutes) for s in plain
        ]
        if not plain:  # needles only: an assessment by whoever is free, then their needling
            assessment, needling = by_code["assessment-60"], by_code["dry-needling-30"]
            minutes = assessment.duration_minutes + needling.duration_minutes
            menu = [(("assessment-60", "dry-needling-30"), RoomKind.TREATMENT_ROOM, minutes)]
        shifts = {h.weekday: h for h in hours if h.practitioner_id == practitioner.id}
        result.append(SpreadPractitioner(practitioner.id or 0, shifts, menu, not plain))
    return result


def _rooms(session: Session, *, exclude: set[int]) -> dict[RoomKind, list[int]]:
    rooms: dict[RoomKind, list[int]] = {kind: [] for kind in RoomKind}
    for room in session.exec(select(Room).order_by(col(Room.id))):
        if room.id not in exclude:
            rooms[room.kind].append(room.id or 0)
    return rooms


def _plan_races(
    session: Session,
    *,
    now: datetime,
    first_day: date,
    hot: Sequence[int],
    rooms: Sequence[int],
    policy: Policy,
) -> list[Race]:
    """Starts where every racer's time is free: the grid is open at the start and the next two
    quarter hours, and the previous race on the practitioner is over."""
    races = []
    for practitioner_id, room_id in zip(hot, rooms, strict=True):
        part = PartRequest(RACE_SERVICE, practitioner_id=practitioner_id, room_id=room_id)
        slots = find_open_slots(
            session=session,
            now=now,
            parts=[part],
            first_day=first_day,
            days=DAYS,
            policy=policy,
        )
        open_starts = {slot.starts_at for slot in slots}
        free_after = datetime.min.replace(tzinfo=UTC)
        for start in sorted(open_starts):
            if start >= free_after and {start + GRID, start + 2 * GRID} <= open_starts:
                races.append(
                    Race(practitioner_id, room_id, start.astimezone(ZoneInfo(TIME_ZONE)), ())
                )
                free_after = start + RACE_SPACING
    return sorted(races, key=lambda race: (race.start, race.practitioner_id))


def _with_racers(races: list[Race], racers: list[int]) -> list[Race]:
    """Eight patients per race, never two races at once for the same group of patients."""
    groups = [tuple(racers[n : n + RACERS]) for n in range(0, len(racers), RACERS)]
    busy_until = dict.fromkeys(groups, datetime.min.replace(tzinfo=UTC))
    placed = []
    for race in races:
        group = next(g for g in groups if busy_until[g] <= race.start)
        busy_until[group] = race.start + RACE_SPACING
        placed.append(Race(race.practitioner_id, race.room_id, race.start, group))
    return placed

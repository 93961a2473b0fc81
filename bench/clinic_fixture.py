"""A busy clinic for benchmarks: many practitioners and a month of bookings across a DST change.

The bookings are inserted in bulk, not through `book_visit` (thousands of locked bookings would
take minutes), so they are laid out here to pass the same guards the database enforces: no
practitioner, room or patient in two appointments at once. Each appointment is its own visit.
Everything is drawn from one seeded `random.Random`, so a seed always gives the same clinic.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from scheduler.app.demo import seed_catalogue
from scheduler.clinic.setup import add_time_off, create_location, create_practitioner, create_room
from scheduler.core.intervals import Interval, epoch, instant, merge, overlaps, subtract
from scheduler.core.wallclock import clinic_zone, wall_time
from scheduler.models import (
    Appointment,
    Location,
    Patient,
    Practitioner,
    Profession,
    RoomKind,
    Service,
    Visit,
    VisitStatus,
)
from scheduler.scheduling.part_fit import may_deliver

TIME_ZONE = "America/New_York"
WEEKDAYS = range(5)
OPENING = (time(7), time(20))
TREATMENT_ROOMS, GYMS = 40, 5
PATIENTS = 600
TIME_OFF_PER_PRACTITIONER = 3
CERTIFIED_UNTIL = date(2036, 12, 31)
GRID = 15 * 60
# Chance that a hole of 1 to 8 quarter hours is left before each appointment, from the window's
# first day to its last: the coming days are nearly full and later ones emptier, as in a real
# book. Tuned so that about 60% of working time (shifts less lunch and time off) is booked.
HOLE_CHANCES = (0.0, 0.2)
LONGEST_HOLE = 8
BOOKED_AT = datetime(2026, 9, 1, 12, tzinfo=UTC)
VISIT: dict[str, object] = {
    "status": VisitStatus.BOOKED,
    "version": 1,
    "booked_at": BOOKED_AT,
    "booked_by": "bench",
    "late_cancel": False,
}

P = Profession
# Ten practitioners repeating: half physical therapists (three of them certified for dry
# needling), two massage therapists, two chiropractors (one certified), one other profession
# that needles. Any prefix of ten or more has every kind of practitioner the catalogue needs.
ROSTER = (
    (P.PHYSICAL_THERAPIST, True),
    (P.MASSAGE_THERAPIST, False),
    (P.PHYSICAL_THERAPIST, False),
    (P.CHIROPRACTOR, True),
    (P.PHYSICAL_THERAPIST, True),
    (P.MASSAGE_THERAPIST, False),
    (P.PHYSICAL_THERAPIST, False),
    (P.CHIROPRACTOR, False),
    (P.PHYSICAL_THERAPIST, True),
    (None, True),
)
OTHERS = (P.ACUPUNCTURIST, P.PHYSICIAN, P.NURSE, P.ACUPUNCTURIST, P.PHYSICIAN)
# (shift, lunch) in local wall time, staggered so the clinic is staffed from opening to closing.
SHIFTS = (
    ((time(7), time(15, 30)), (time(11), time(11, 30))),
    ((time(8), time(17)), (time(12), time(13))),
    ((time(9), time(18)), (time(13), time(14))),
    ((time(11), time(20)), (time(15), time(16))),
    ((time(8, 30), time(17, 30)), (time(12, 30), time(13, 30))),
)


@dataclass
class ClinicFixture:
    location_id: int
    appointments: int
    booked_share: float


@dataclass
class DayBook:
    """One local day being filled: how full it gets, busy rooms, patients not yet seen."""

    hole_chance: float
    rooms_by_kind: dict[RoomKind, list[int]]
    patients: list[int]
    rooms: dict[int, list[Interval]] = field(default_factory=dict)


@dataclass
class Layout:
    rows: list[dict[str, object]] = field(default_factory=list)
    booked_seconds: int = 0
    working_seconds: int = 0


def build_clinic(
    session: Session, *, practitioners: int, first_day: date, days: int, seed: int
) -> ClinicFixture:
    """Create the clinic and its bookings in `session` (the caller commits)."""
    rng = random.Random(seed)
    window = [first_day + timedelta(days=n) for n in range(days)]
    location = create_location(
        session,
        name="Triggerpoint Bench Clinic",
        time_zone=TIME_ZONE,
        opening=dict.fromkeys(WEEKDAYS, OPENING),
    )
    rooms = _create_rooms(session, location)
    seed_catalogue(session)
    staff = [_create_practitioner(session, location, n) for n in range(practitioners)]
    leave = {p.id or 0: _add_time_off(session, rng, p, window) for p in staff}
    patients = _create_patients(session, rng)
    free = _free_time(staff, leave, window)
    layout = _lay_out(session, rng, staff=staff, rooms=rooms, patients=patients, free=free)
    _insert_bookings(session, location, layout.rows)
    return ClinicFixture(
        location_id=location.id or 0,
        appointments=len(layout.rows),
        booked_share=layout.booked_seconds / max(layout.working_seconds, 1),
    )


def _create_rooms(session: Session, location: Location) -> dict[RoomKind, list[int]]:
    rooms: dict[RoomKind, list[int]] = {RoomKind.TREATMENT_ROOM: [], RoomKind.GYM: []}
    for kind, count in ((RoomKind.TREATMENT_ROOM, TREATMENT_ROOMS), (RoomKind.GYM, GYMS)):
        for number in range(1, count + 1):
            name = f"{kind.value.replace('_', ' ').title()} {number}"
            rooms[kind].append(
                create_room(session, location=location, name=name, kind=kind).id or 0
            )
    return rooms


def _create_practitioner(session: Session, location: Location, number: int) -> Practitioner:
    profession, certified = ROSTER[number % len(ROSTER)]
    profession = profession or OTHERS[number // len(ROSTER) % len(OTHERS)]
    shift, lunch = SHIFTS[number % len(SHIFTS)]
    return create_practitioner(
        session,
        name=f"{profession.value.replace('_', ' ').title()} {number + 1:02d}",
        profession=profession,
        location=location,
        hours=dict.fromkeys(WEEKDAYS, shift),
        lunch=lunch,
        needling_certified_by="Dry Needling Institute" if certified else None,
        needling_certified_until=CERTIFIED_UNTIL if certified else None,
    )


def _add_time_off(
    session: Session, rng: random.Random, practitioner: Practitioner, window: Sequence[date]
) -> list[Interval]:
    """A few ad-hoc absences (a whole day, a morning, an afternoon or two hours), as added."""
    workdays = [day for day in window if day.weekday() in WEEKDAYS]
    zone = clinic_zone(TIME_ZONE)
    spans = []
    for day in rng.sample(workdays, TIME_OFF_PER_PRACTITIONER):
        starts, ends = rng.choice(((7, 20), (7, 13), (13, 20), (14, 16), (9, 11)))
        leave = add_time_off(
            session,
            practitioner=practitioner,
            starts_at=wall_time(day, time(starts), zone),
            ends_at=wall_time(day, time(ends), zone),
        )
        spans.append((epoch(leave.starts_at), epoch(leave.ends_at)))
    return merge(spans)


def _create_patients(session: Session, rng: random.Random) -> list[int]:
    rows = [
        {
            "name": f"Bench Patient {number:04d}",
            "phone": f"+1212555{number:04d}",
            "date_of_birth": date(1940 + rng.randrange(65), rng.randrange(1, 13), 1),
            "sms_consent": True,
            "created_at": BOOKED_AT,
        }
        for number in range(PATIENTS)
    ]
    query = sa.insert(Patient).returning(col(Patient.id), sort_by_parameter_order=True)
    return list(session.scalars(query, rows))


def _lay_out(
    session: Session,
    rng: random.Random,
    *,
    staff: list[Practitioner],
    rooms: dict[RoomKind, list[int]],
    patients: list[int],
    free: dict[tuple[int, date], list[Interval]],
) -> Layout:
    """Appointment rows, day by day: each practitioner's free time filled front to back."""
    services = list(session.exec(select(Service).order_by(col(Service.id))))
    menus = {p.id or 0: [s for s in services if may_deliver(p, s)] for p in staff}
    layout = Layout()
    days = sorted({day for _, day in free})
    near, far = HOLE_CHANCES
    for number, day in enumerate(days):
        book = DayBook(
            hole_chance=near + (far - near) * number / max(len(days) - 1, 1),
            rooms_by_kind=rooms,
            patients=rng.sample(patients, len(patients)),
            rooms={room: [] for kinds in rooms.values() for room in kinds},
        )
        for practitioner in staff:
            pid = practitioner.id or 0
            for segment in free.get((pid, day), []):
                layout.working_seconds += segment[1] - segment[0]
                _fill(rng, layout, book, practitioner_id=pid, menu=menus[pid], segment=segment)
    return layout


def _free_time(
    staff: list[Practitioner], leave: dict[int, list[Interval]], window: Sequence[date]
) -> dict[tuple[int, date], list[Interval]]:
    """Each practitioner's working time per local day: shift less lunch and time off."""
    zone = clinic_zone(TIME_ZONE)
    free: dict[tuple[int, date], list[Interval]] = {}
    for number, practitioner in enumerate(staff):
        (starts, ends), (lunch_starts, lunch_ends) = SHIFTS[number % len(SHIFTS)]
        for day in (d for d in window if d.weekday() in WEEKDAYS):
            shift = [(_at(day, starts, zone), _at(day, ends, zone))]
            lunch = [(_at(day, lunch_starts, zone), _at(day, lunch_ends, zone))]
            pid = practitioner.id or 0
            free[pid, day] = subtract(subtract(shift, lunch), leave[pid])
    return free


def _fill(
    rng: random.Random,
    layout: Layout,
    book: DayBook,
    *,
    practitioner_id: int,
    menu: list[Service],
    segment: Interval,
) -> None:
    """Book appointments back to back, sometimes after a hole, until the segment is full."""
    cursor = segment[0]
    while True:
        cursor = _on_grid(cursor)
        if rng.random() < book.hole_chance:
            cursor += GRID * rng.randint(1, LONGEST_HOLE)
        service = rng.choice(menu)
        ends = cursor + service.duration_minutes * 60
        if ends > segment[1]:
            return
        busy_until = ends + service.cleanup_minutes * 60
        room = _free_room(rng, book, book.rooms_by_kind[service.room_kind], cursor, busy_until)
        if room is None or not book.patients:
            cursor += GRID
            continue
        book.rooms[room].append((cursor, busy_until))
        layout.rows.append(
            _appointment_row(
                patient_id=book.patients.pop(),
                service=service,
                practitioner_id=practitioner_id,
                room_id=room,
                starts=cursor,
                ends=ends,
            )
        )
        layout.booked_seconds += ends - cursor
        cursor = busy_until


def _free_room(
    rng: random.Random, book: DayBook, candidates: list[int], starts: int, busy_until: int
) -> int | None:
    for room in rng.sample(candidates, len(candidates)):
        if not overlaps(book.rooms[room], starts, busy_until):
            return room
    return None


def _appointment_row(
    *, patient_id: int, service: Service, practitioner_id: int, room_id: int, starts: int, ends: int
) -> dict[str, object]:
    return {
        "patient_id": patient_id,
        "position": 0,
        "service_id": service.id,
        "practitioner_id": practitioner_id,
        "room_id": room_id,
        "starts_at": instant(starts),
        "ends_at": instant(ends),
        "busy_until": instant(ends + service.cleanup_minutes * 60),
        "status": VisitStatus.BOOKED,
    }


def _insert_bookings(session: Session, location: Location, rows: list[dict[str, object]]) -> None:
    """One visit per appointment, both inserted in bulk."""
    here = {"location_id": location.id}
    visits = [VISIT | here | {"patient_id": row["patient_id"]} for row in rows]
    query = sa.insert(Visit).returning(col(Visit.id), sort_by_parameter_order=True)
    visit_ids = list(session.scalars(query, visits))
    appointments = [
        row | {"visit_id": visit_id} for row, visit_id in zip(rows, visit_ids, strict=True)
    ]
    session.execute(sa.insert(Appointment), appointments)


def _at(day: date, at: time, zone: ZoneInfo) -> int:
    return epoch(wall_time(day, at, zone))


def _on_grid(moment: int) -> int:
    """The next quarter hour; New York's offsets are whole hours, so UTC's grid is the clinic's."""
    return -(-moment // GRID) * GRID

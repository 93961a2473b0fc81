"""The front desk's day board: every practitioner's column at one location on one local day."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from scheduler.clinic.catalogue import resolve_location
from scheduler.core.intervals import Interval, instant, merge, subtract
from scheduler.core.wallclock import clinic_zone, day_bounds, wall_time
from scheduler.models import (
    HOLDS_TIME,
    Appointment,
    Location,
    Patient,
    Practitioner,
    Room,
    Service,
    ServiceKind,
    Visit,
    VisitStatus,
)
from scheduler.scheduling.schedule import load_schedule
from scheduler.staff.day_sheet import intake_flags_by_patient

# Statuses the board shows: what holds time, and no-shows so the desk sees who did not come.
ON_THE_BOARD = (*HOLDS_TIME, VisitStatus.NO_SHOW)
# Hours drawn when the location is closed that day and nothing is booked.
CLOSED_DAY = (time(8), time(18))


@dataclass(frozen=True)
class BoardAppointment:
    appointment_id: int
    visit_id: int
    position: int  # order within the visit
    parts: int  # how many appointments the visit has
    patient_id: int
    patient: str
    service_code: str
    service: str
    kind: ServiceKind
    practitioner_id: int
    practitioner: str
    room: str
    starts_at: datetime
    ends_at: datetime
    status: VisitStatus
    confirmed: bool
    attention: str | None
    intake_flags: tuple[str, ...]

    @property
    def combined(self) -> bool:
        return self.parts > 1


@dataclass(frozen=True)
class BoardColumn:
    practitioner: Practitioner
    available: tuple[tuple[datetime, datetime], ...]  # shifts minus breaks and time off
    appointments: tuple[BoardAppointment, ...]


@dataclass(frozen=True)
class ClinicDay:
    location: Location
    day: date
    starts_at: datetime  # the span to draw: opening hours, stretched to cover every booking
    ends_at: datetime
    columns: tuple[BoardColumn, ...]
    services: tuple[Service, ...]

    def parts_of(self, visit_id: int) -> tuple[BoardAppointment, ...]:
        """Every appointment of one visit on the board, in visit order."""
        found = [a for c in self.columns for a in c.appointments if a.visit_id == visit_id]
        return tuple(sorted(found, key=lambda a: a.position))


def clinic_day(session: Session, *, day: date, location_id: int | None = None) -> ClinicDay:
    """Who works, when they are free, and what is booked (cancelled visits left out).

    Columns are the practitioners who work at the location that day, and anyone with an
    appointment there that day although their hours say otherwise, in name order.
    """
    location = resolve_location(session, location_id)
    services = tuple(session.exec(select(Service).order_by(col(Service.kind), col(Service.code))))
    schedule = load_schedule(
        session, location=location, service_codes=[s.code for s in services], days=[day]
    )
    booked = _day_appointments(session, location, day)
    by_practitioner: dict[int, list[BoardAppointment]] = defaultdict(list)
    for appointment in booked:
        by_practitioner[appointment.practitioner_id].append(appointment)
    working = {pid: p for pid, p in schedule.practitioners.items() if schedule.working.get(pid)}
    staff = {**working, **_practitioners(session, set(by_practitioner))}
    columns = tuple(
        BoardColumn(
            practitioner=practitioner,
            available=_as_instants(
                subtract(schedule.working.get(pid, []), merge(schedule.away.get(pid, [])))
            ),
            appointments=tuple(by_practitioner[pid]),
        )
        for pid, practitioner in sorted(staff.items(), key=lambda item: item[1].name)
    )
    starts, ends = _span(schedule.opening, booked, day, location.time_zone)
    return ClinicDay(location, day, starts, ends, columns, services)


def patient_appointments(session: Session, *, patient_id: int) -> list[BoardAppointment]:
    """Every appointment the patient ever had or has, cancelled ones included, latest first."""
    found = _appointments(session, col(Appointment.patient_id) == patient_id)
    return sorted(found, key=lambda a: (a.starts_at, -a.position), reverse=True)


def visits_by_day(
    session: Session,
    *,
    patient_id: int,
    zone: ZoneInfo,
    first_day: date,
    days: int,
    excluding_visit: int | None = None,
) -> dict[date, list[BoardAppointment]]:
    """The patient's booked visits (each by its first part) on the clinic's days shown, so a
    page can warn before a second visit lands on the same day."""
    last = first_day + timedelta(days=days)
    found: dict[date, list[BoardAppointment]] = {}
    for part in reversed(patient_appointments(session, patient_id=patient_id)):
        day = part.starts_at.astimezone(zone).date()
        if (
            part.position == 0
            and part.status == VisitStatus.BOOKED
            and part.visit_id != excluding_visit
            and first_day <= day < last
        ):
            found.setdefault(day, []).append(part)
    return found


def plan_appointments(session: Session, *, plan_id: int) -> list[BoardAppointment]:
    """Every appointment of the plan's visits, cancelled ones included, in time order."""
    found = _appointments(session, col(Visit.plan_id) == plan_id)
    return sorted(found, key=lambda a: (a.starts_at, a.position))


def visit_parts(session: Session, *, visit_id: int) -> list[BoardAppointment]:
    """The visit's appointments in visit order."""
    found = _appointments(session, col(Appointment.visit_id) == visit_id)
    return sorted(found, key=lambda a: a.position)


def _day_appointments(session: Session, location: Location, day: date) -> list[BoardAppointment]:
    start, end = day_bounds(day, clinic_zone(location.time_zone))
    return _appointments(
        session,
        col(Visit.location_id) == location.id,
        col(Appointment.status).in_(ON_THE_BOARD),
        col(Appointment.starts_at) >= start,
        col(Appointment.starts_at) < end,
    )


def _appointments(session: Session, *where: sa.ColumnElement[bool]) -> list[BoardAppointment]:
    rows = session.execute(
        sa.select(Appointment, Patient, Service, Room, Visit, col(Practitioner.name))
        .join(Visit, col(Visit.id) == Appointment.visit_id)
        .join(Patient, col(Patient.id) == Appointment.patient_id)
        .join(Service, col(Service.id) == Appointment.service_id)
        .join(Room, col(Room.id) == Appointment.room_id)
        .join(Practitioner, col(Practitioner.id) == Appointment.practitioner_id)
        .where(*where)
        .order_by(col(Appointment.starts_at), col(Appointment.id))
    ).all()
    parts: dict[int, int] = defaultdict(int)
    for appointment, *_ in rows:
        parts[appointment.visit_id] += 1
    flags = intake_flags_by_patient(session, {appointment.patient_id for appointment, *_ in rows})
    return [
        BoardAppointment(
            appointment_id=appointment.id or 0,
            visit_id=appointment.visit_id,
            position=appointment.position,
            parts=parts[appointment.visit_id],
            patient_id=appointment.patient_id,
            patient=patient.name,
            service_code=service.code,
            service=service.name,
            kind=service.kind,
            practitioner_id=appointment.practitioner_id,
            practitioner=practitioner,
            room=room.name,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            status=visit.status,
            confirmed=visit.confirmed_at is not None,
            attention=visit.attention,
            intake_flags=flags.get(appointment.patient_id, ()),
        )
        for appointment, patient, service, room, visit, practitioner in rows
    ]


def _practitioners(session: Session, ids: set[int]) -> dict[int, Practitioner]:
    found = session.exec(select(Practitioner).where(col(Practitioner.id).in_(ids)))
    return {practitioner.id or 0: practitioner for practitioner in found}


def _as_instants(intervals: list[Interval]) -> tuple[tuple[datetime, datetime], ...]:
    return tuple((instant(start), instant(end)) for start, end in intervals)


def _span(
    opening: list[Interval], booked: list[BoardAppointment], day: date, time_zone: str
) -> tuple[datetime, datetime]:
    zone = clinic_zone(time_zone)
    if opening:
        starts, ends = instant(opening[0][0]), instant(opening[-1][1])
    else:
        starts, ends = (wall_time(day, at, zone) for at in CLOSED_DAY)
    for appointment in booked:
        starts, ends = min(starts, appointment.starts_at), max(ends, appointment.ends_at)
    return starts, ends

"""Admin edits to practitioners: who they are, their weekly hours, time off and dry needling
certificates.

Like `admin.clinic`, each function checks its rules, refuses a change that would strand booked
visits (a practitioner away, out of hours or no longer allowed to needle while patients are
booked with them) and writes an audit entry in the caller's transaction.
"""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from scheduler.admin.clinic import get_record
from scheduler.admin.stranded import appointments_outside, refuse_stranded, upcoming_appointments
from scheduler.clinic.catalogue import resolve_location
from scheduler.clinic.setup import Shift, check_shifts, create_practitioner, require_name
from scheduler.clinic.setup import add_time_off as create_time_off
from scheduler.core import audit
from scheduler.core.errors import RuleViolation, not_found
from scheduler.core.wallclock import clinic_zone
from scheduler.models import Practitioner, Profession, ServiceKind, TimeOff, WorkingHours
from scheduler.scheduling.openings import Hours, record_added_hours, record_opening


def add_practitioner(
    session: Session, *, name: str, profession: Profession, actor: str, now: datetime
) -> Practitioner:
    """A practitioner with no hours yet (`set_working_hours`) and no certificate
    (`set_certification`)."""
    practitioner = create_practitioner(
        session, name=name, profession=profession, location=None, hours={}
    )
    subject = f"practitioner:{practitioner.id}"
    audit.record_change(
        session,
        actor=actor,
        action="practitioner.created",
        subject=subject,
        now=now,
        name=practitioner.name,
    )
    return practitioner


def update_practitioner(
    session: Session,
    *,
    practitioner_id: int,
    actor: str,
    now: datetime,
    name: str | None = None,
    profession: Profession | None = None,
    active: bool | None = None,
) -> Practitioner:
    """Rename, change profession (not away from services they are booked for) or (de)activate
    (not while visits are booked with them)."""
    practitioner = get_record(session, Practitioner, practitioner_id, "practitioner")
    upcoming = upcoming_appointments(session, now=now, practitioner_id=practitioner_id)
    if name is not None:
        practitioner.name = require_name(name, "practitioner")
    if profession is not None and profession != practitioner.profession:
        refuse_stranded(
            [part for part in upcoming if profession.value not in part.service.professions],
            f"{practitioner.name} is booked for services a {profession.value.replace('_', ' ')} "
            "does not give",
        )
        practitioner.profession = profession
    if active is False and practitioner.active:
        refuse_stranded(upcoming, f"{practitioner.name} still has visits booked")
    practitioner.active = practitioner.active if active is None else active
    session.add(practitioner)
    session.flush()
    audit.record_change(
        session,
        actor=actor,
        action="practitioner.updated",
        subject=f"practitioner:{practitioner_id}",
        now=now,
        name=name,
        profession=profession,
        active=active,
    )
    return practitioner


def set_working_hours(
    session: Session,
    *,
    practitioner_id: int,
    location_id: int | None,
    shifts: Sequence[Shift],
    actor: str,
    now: datetime,
) -> list[WorkingHours]:
    """Replace the practitioner's weekly hours at the location (None: the clinic's first; no
    shifts: they stop working there). Refused while a visit booked with them would fall outside
    the new hours."""
    practitioner = get_record(session, Practitioner, practitioner_id, "practitioner")
    location_id = resolve_location(session, location_id).id or 0
    check_shifts(shifts, "working")
    upcoming = upcoming_appointments(
        session, now=now, practitioner_id=practitioner_id, location_id=location_id
    )
    refuse_stranded(
        appointments_outside(upcoming, shifts),
        f"{practitioner.name} has visits booked outside those hours",
    )
    before = _weekly_hours(session, practitioner_id, location_id)
    session.execute(
        delete(WorkingHours).where(
            col(WorkingHours.practitioner_id) == practitioner_id,
            col(WorkingHours.location_id) == location_id,
        )
    )
    rows = [
        WorkingHours(practitioner_id=practitioner_id, location_id=location_id, **vars(shift))
        for shift in sorted(shifts, key=lambda s: s.weekday)
    ]
    session.add_all(rows)
    session.flush()
    record_added_hours(
        session,
        location_id=location_id,
        before=before,
        after={shift.weekday: (shift.starts, shift.ends) for shift in shifts},
        zone=clinic_zone(resolve_location(session, location_id).time_zone),
        cause=f"new hours for {practitioner.name}",
        now=now,
    )
    subject = f"practitioner:{practitioner_id}"
    weekdays = sorted(s.weekday for s in shifts)
    audit.record_change(
        session,
        actor=actor,
        action="working_hours.set",
        subject=subject,
        now=now,
        location=location_id,
        days=weekdays,
    )
    return rows


def add_time_off(
    session: Session,
    *,
    practitioner_id: int,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    actor: str,
    now: datetime,
) -> TimeOff:
    """Time off, refused while visits are booked with the practitioner in it."""
    practitioner = get_record(session, Practitioner, practitioner_id, "practitioner")
    if ends_at <= starts_at:
        raise RuleViolation("Time off ends before it starts.", field="ends_at", code="bad_span")
    refuse_stranded(
        upcoming_appointments(
            session, now=now, practitioner_id=practitioner_id, between=(starts_at, ends_at)
        ),
        f"{practitioner.name} has visits booked in that time",
    )
    leave = create_time_off(
        session, practitioner=practitioner, starts_at=starts_at, ends_at=ends_at, reason=reason
    )
    subject = f"practitioner:{practitioner_id}"
    audit.record_change(
        session, actor=actor, action="time_off.added", subject=subject, now=now, time_off=leave.id
    )
    return leave


def remove_time_off(
    session: Session, *, practitioner_id: int, time_off_id: int, actor: str, now: datetime
) -> None:
    leave = session.get(TimeOff, time_off_id)
    if leave is None or leave.practitioner_id != practitioner_id:
        raise not_found("time off", time_off_id, field="time_off_id")
    session.delete(leave)
    session.flush()
    practitioner = get_record(session, Practitioner, practitioner_id, "practitioner")
    worked_at = session.exec(
        select(WorkingHours.location_id).where(WorkingHours.practitioner_id == practitioner_id)
    )
    for location_id in set(worked_at):
        record_opening(
            session,
            location_id=location_id,
            starts_at=leave.starts_at,
            ends_at=leave.ends_at,
            cause=f"time off of {practitioner.name} removed",
            now=now,
        )
    audit.record_change(
        session,
        actor=actor,
        action="time_off.removed",
        subject=f"practitioner:{practitioner_id}",
        now=now,
        time_off=time_off_id,
    )


def set_certification(
    session: Session,
    *,
    practitioner_id: int,
    issued_by: str | None,
    valid_until: date | None,
    actor: str,
    now: datetime,
) -> Practitioner:
    """Record a dry needling certificate (who issued it and until when), or remove it with two
    Nones. Refused while needling is booked with them beyond the certificate's end."""
    practitioner = get_record(session, Practitioner, practitioner_id, "practitioner")
    issued_by = issued_by.strip() if issued_by else None
    if (issued_by is None) != (valid_until is None):
        raise RuleViolation(
            "A certificate needs both who issued it and until when it is valid.",
            field="valid_until" if valid_until is None else "issued_by",
            code="incomplete_certificate",
        )
    needling = [
        part
        for part in upcoming_appointments(session, now=now, practitioner_id=practitioner_id)
        if part.service.kind == ServiceKind.DRY_NEEDLING
        and (valid_until is None or part.local_start.date() > valid_until)
    ]
    refuse_stranded(needling, f"{practitioner.name} has dry needling booked after that")
    practitioner.needling_certified_by = issued_by
    practitioner.needling_certified_until = valid_until
    session.add(practitioner)
    session.flush()
    subject = f"practitioner:{practitioner_id}"
    audit.record_change(
        session,
        actor=actor,
        action="certification.set",
        subject=subject,
        now=now,
        by=issued_by,
        until=valid_until,
    )
    return practitioner


def _weekly_hours(session: Session, practitioner_id: int, location_id: int) -> Hours:
    rows = session.exec(
        select(WorkingHours).where(
            WorkingHours.practitioner_id == practitioner_id,
            WorkingHours.location_id == location_id,
        )
    )
    return {row.weekday: (row.starts, row.ends) for row in rows}

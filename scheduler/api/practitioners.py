"""Practitioners: who they are, their hours, time off, certificates, and their day."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from scheduler.admin.directory import PractitionerProfile, all_practitioners, practitioner_profile
from scheduler.admin.practitioners import (
    add_practitioner,
    add_time_off,
    remove_time_off,
    set_certification,
    set_working_hours,
    update_practitioner,
)
from scheduler.api.auth import Admin, Staff
from scheduler.api.deps import NowDep, ReadSessionDep, WriteSessionDep
from scheduler.api.schemas.clinic import (
    CertificationUpdate,
    PractitionerCreate,
    PractitionerDetail,
    PractitionerPublic,
    PractitionerUpdate,
    TimeOffCreate,
    TimeOffPublic,
    WorkingHoursPublic,
    WorkingHoursUpdate,
)
from scheduler.api.schemas.common import ERRORS, Day, PathId
from scheduler.api.schemas.visits import DaySchedule, scheduled_appointment
from scheduler.clinic.setup import Shift
from scheduler.core import audit
from scheduler.staff.access import require_own_schedule
from scheduler.staff.day_sheet import practitioner_day

router = APIRouter(prefix="/api/v1/practitioners", tags=["practitioners"], responses=ERRORS)


@router.get("")
def list_practitioners(session: ReadSessionDep, _user: Staff) -> list[PractitionerPublic]:
    return [PractitionerPublic.model_validate(p) for p in all_practitioners(session)]


@router.get("/{practitioner_id}")
def show_practitioner(
    practitioner_id: PathId, session: ReadSessionDep, now: NowDep, user: Staff
) -> PractitionerDetail:
    """Hours, time off and certificate; a practitioner sees only their own."""
    require_own_schedule(user, practitioner_id)
    return detail(practitioner_profile(session, practitioner_id, now=now))


@router.post("", status_code=201)
def create_practitioner(
    body: PractitionerCreate, session: WriteSessionDep, now: NowDep, user: Admin
) -> PractitionerPublic:
    practitioner = add_practitioner(
        session, name=body.name, profession=body.profession, actor=audit.staff(user), now=now
    )
    return PractitionerPublic.model_validate(practitioner)


@router.patch("/{practitioner_id}")
def change_practitioner(
    practitioner_id: PathId,
    body: PractitionerUpdate,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
) -> PractitionerPublic:
    practitioner = update_practitioner(
        session,
        practitioner_id=practitioner_id,
        actor=audit.staff(user),
        now=now,
        **body.changes(),
    )
    return PractitionerPublic.model_validate(practitioner)


@router.put("/{practitioner_id}/working-hours")
def replace_working_hours(
    practitioner_id: PathId,
    body: WorkingHoursUpdate,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
) -> list[WorkingHoursPublic]:
    rows = set_working_hours(
        session,
        practitioner_id=practitioner_id,
        location_id=body.location_id,
        shifts=[Shift(**shift.model_dump()) for shift in body.shifts],
        actor=audit.staff(user),
        now=now,
    )
    return [WorkingHoursPublic.model_validate(row) for row in rows]


@router.post("/{practitioner_id}/time-off", status_code=201)
def create_time_off(
    practitioner_id: PathId, body: TimeOffCreate, session: WriteSessionDep, now: NowDep, user: Admin
) -> TimeOffPublic:
    leave = add_time_off(
        session,
        practitioner_id=practitioner_id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        reason=body.reason,
        actor=audit.staff(user),
        now=now,
    )
    return TimeOffPublic.model_validate(leave)


@router.delete("/{practitioner_id}/time-off/{time_off_id}", status_code=204)
def delete_time_off(
    practitioner_id: PathId,
    time_off_id: PathId,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
) -> Response:
    remove_time_off(
        session,
        practitioner_id=practitioner_id,
        time_off_id=time_off_id,
        actor=audit.staff(user),
        now=now,
    )
    return Response(status_code=204)


@router.put("/{practitioner_id}/certification")
def replace_certification(
    practitioner_id: PathId,
    body: CertificationUpdate,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
) -> PractitionerPublic:
    practitioner = set_certification(
        session,
        practitioner_id=practitioner_id,
        issued_by=body.issued_by,
        valid_until=body.valid_until,
        actor=audit.staff(user),
        now=now,
    )
    return PractitionerPublic.model_validate(practitioner)


@router.get("/{practitioner_id}/schedule")
def day_schedule(
    practitioner_id: PathId,
    date: Annotated[Day, Query(description="The local day, YYYY-MM-DD")],
    session: ReadSessionDep,
    user: Staff,
) -> DaySchedule:
    """The day with each patient, their services, room, intake flags, whether it is their first
    dry needling and their latest soreness score. A practitioner sees only their own."""
    require_own_schedule(user, practitioner_id)
    entries = practitioner_day(session, practitioner_id=practitioner_id, day=date)
    return DaySchedule(
        practitioner_id=practitioner_id,
        date=date,
        appointments=[scheduled_appointment(entry) for entry in entries],
    )


def detail(profile: PractitionerProfile) -> PractitionerDetail:
    return PractitionerDetail.model_validate(
        profile.practitioner.model_dump()
        | {
            "working_hours": [row.model_dump() for row in profile.working_hours],
            "time_off": [row.model_dump() for row in profile.time_off],
        }
    )

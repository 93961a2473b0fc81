"""The day board: a column per practitioner, 15-minute rows, every visit of the day."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from scheduler.api.auth import FrontDesk
from scheduler.api.deps import NowDep, PolicyDep, ReadSessionDep
from scheduler.clinic.intake import intake_statuses
from scheduler.messaging.intake_texts import NEEDS_INTAKE
from scheduler.staff.board import ClinicDay, clinic_day
from scheduler.web.clinic_clock import chosen_day, clinic_clock
from scheduler.web.rendering import page

router = APIRouter(include_in_schema=False)


@router.get("/board")
def board(
    request: Request,
    *,
    session: ReadSessionDep,
    now: NowDep,
    policy: PolicyDep,
    _user: FrontDesk,
    day: str | None = None,
    visit: int | None = None,
) -> Response:
    clock = clinic_clock(session, now)
    shown = chosen_day(day, today=clock.today)
    board = clinic_day(session, day=shown, location_id=clock.location.id)
    return page(
        request,
        "board.html",
        section="board",
        board=board,
        zone=clock.zone,
        today=clock.today,
        now=now,
        hours=_hour_marks(board, clock.zone),
        highlight=visit,
        previous=shown - timedelta(days=1),
        next=shown + timedelta(days=1),
        kinds=_kinds(board),
        intake=intake_statuses(
            session,
            patient_ids={a.patient_id for c in board.columns for a in c.appointments},
            now=now,
            policy=policy,
        ),
        needs_intake=NEEDS_INTAKE,
        visits=len({a.visit_id for c in board.columns for a in c.appointments}),
        combined=len({a.visit_id for c in board.columns for a in c.appointments if a.combined}),
    )


def _hour_marks(board: ClinicDay, zone: ZoneInfo) -> list[datetime]:
    """Every full hour on the clinic's clock from the board's start to its end."""
    local = board.starts_at.astimezone(zone)
    mark = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    marks = []
    while mark <= board.ends_at:
        if mark >= board.starts_at:
            marks.append(mark)
        mark += timedelta(hours=1)
    return marks


def _kinds(board: ClinicDay) -> dict[str, list[str]]:
    """The legend: each kind of service with the names of its services."""
    kinds: dict[str, list[str]] = {}
    for service in board.services:
        kinds.setdefault(service.kind.value, []).append(service.name)
    return kinds

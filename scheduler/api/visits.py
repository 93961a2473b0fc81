"""Finding a time, booking, moving and cancelling visits, following them through the day, and
the texts they cause. The front desk's work."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from scheduler.api.auth import FrontDesk
from scheduler.api.deps import NowDep, PolicyDep, ReadSessionDep, WriteSessionDep
from scheduler.api.schemas.common import ERRORS, Day, PathId, QueryId, Text
from scheduler.api.schemas.visits import (
    AppointmentRequest,
    Availability,
    Cancellation,
    MessagePublic,
    PlanPublic,
    Reschedule,
    SeriesCreate,
    VisitCreate,
    VisitPublic,
    message_public,
    slot_public,
    visit_public,
)
from scheduler.core import audit
from scheduler.messaging.log import messages_of_visit
from scheduler.scheduling.availability import PartRequest
from scheduler.scheduling.booking import book_visit, reschedule_visit
from scheduler.scheduling.cancellations import undo_cancellation
from scheduler.scheduling.plans import book_series, visits_of_plan
from scheduler.scheduling.slots import find_open_slots, parts_for
from scheduler.scheduling.visits import (
    cancel_visit,
    check_in,
    complete,
    get_visit,
    mark_no_show,
    view_visit,
    visit_views,
)

router = APIRouter(prefix="/api/v1", tags=["visits"], responses=ERRORS)
# Up to six comma-separated service codes, in visit order.
ServiceList = Annotated[Text, Field(pattern=r"^[^,]+(,[^,]+){0,5}$")]


@router.get("/availability")
def availability(
    *,
    session: ReadSessionDep,
    now: NowDep,
    policy: PolicyDep,
    _user: FrontDesk,
    services: Annotated[
        ServiceList, Query(description="Codes in visit order", examples=["dry-needling-30"])
    ],
    from_: Annotated[Day, Query(alias="from", description="First local day, YYYY-MM-DD")],
    days: Annotated[int, Query(ge=1, le=62)] = 1,
    practitioner_id: Annotated[QueryId | None, Query(description="Their parts go to them")] = None,
    patient_id: Annotated[
        QueryId | None, Query(description="Leave out the patient's own visits")
    ] = None,
    location_id: Annotated[QueryId | None, Query()] = None,
) -> Availability:
    """Every open start, with who and where each part would be."""
    codes = [code.strip() for code in services.split(",")]
    slots = find_open_slots(
        session=session,
        now=now,
        parts=parts_for(session, codes, practitioner_id),
        first_day=from_,
        days=days,
        location_id=location_id,
        patient_id=patient_id,
        policy=policy,
    )
    return Availability(slots=[slot_public(slot) for slot in slots])


@router.post("/visits", status_code=201)
def book(
    body: VisitCreate, session: WriteSessionDep, now: NowDep, policy: PolicyDep, user: FrontDesk
) -> VisitPublic:
    """Book the parts back to back from `start`: 409 when the time is taken, 422 (with the field
    at fault) when a rule refuses it."""
    visit = book_visit(
        session=session,
        now=now,
        patient_id=body.patient_id,
        start=body.start,
        parts=requested_parts(body.appointments),
        location_id=body.location_id,
        booked_by=audit.staff(user),
        policy=policy,
    )
    return visit_public(view_visit(session, visit.id or 0))


@router.post("/visits/series", status_code=201)
def book_plan(
    body: SeriesCreate, session: WriteSessionDep, now: NowDep, policy: PolicyDep, user: FrontDesk
) -> PlanPublic:
    """A treatment plan: `count` visits at the same local time, `every_days` apart, all or none."""
    plan = book_series(
        session=session,
        now=now,
        patient_id=body.patient_id,
        first_start=body.start,
        parts=requested_parts(body.appointments),
        count=body.count,
        every=timedelta(days=body.every_days),
        location_id=body.location_id,
        booked_by=audit.staff(user),
        policy=policy,
    )
    visits = visit_views(session, visits_of_plan(session, plan.id or 0))
    return PlanPublic(
        id=plan.id or 0,
        patient_id=plan.patient_id,
        visits=[visit_public(view) for view in visits],
    )


@router.get("/visits/{visit_id}")
def show_visit(visit_id: PathId, session: ReadSessionDep, _user: FrontDesk) -> VisitPublic:
    return visit_public(view_visit(session, visit_id))


@router.post("/visits/{visit_id}/reschedule")
def move(
    visit_id: PathId,
    body: Reschedule,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: FrontDesk,
) -> VisitPublic:
    """Move the whole visit, same practitioners; its texts follow."""
    reschedule_visit(
        session=session,
        now=now,
        visit_id=visit_id,
        start=body.start,
        expected_version=body.version,
        actor=audit.staff(user),
        policy=policy,
    )
    return visit_public(view_visit(session, visit_id))


@router.post("/visits/{visit_id}/cancel")
def cancel(
    visit_id: PathId,
    body: Cancellation,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: FrontDesk,
) -> VisitPublic:
    cancel_visit(
        session=session,
        now=now,
        visit_id=visit_id,
        reason=body.reason,
        cancelled_by=audit.staff(user),
        policy=policy,
    )
    return visit_public(view_visit(session, visit_id))


@router.post("/visits/{visit_id}/undo-cancel")
def undo_cancel(
    visit_id: PathId, session: WriteSessionDep, now: NowDep, policy: PolicyDep, user: FrontDesk
) -> VisitPublic:
    """Book a just-cancelled visit again as it was: within TRIGGERPOINT_UNDO_MINUTES of the
    cancellation, while its time is free; its reminders follow again."""
    undo_cancellation(session, visit_id=visit_id, now=now, actor=audit.staff(user), policy=policy)
    return visit_public(view_visit(session, visit_id))


@router.post("/visits/{visit_id}/check-in")
def arrive(
    visit_id: PathId, session: WriteSessionDep, now: NowDep, policy: PolicyDep, user: FrontDesk
) -> VisitPublic:
    """From an hour (TRIGGERPOINT_CHECK_IN_MINUTES_BEFORE) before the visit until it ends."""
    check_in(session=session, now=now, visit_id=visit_id, policy=policy, actor=audit.staff(user))
    return visit_public(view_visit(session, visit_id))


@router.post("/visits/{visit_id}/complete")
def finish(
    visit_id: PathId, session: WriteSessionDep, now: NowDep, policy: PolicyDep, user: FrontDesk
) -> VisitPublic:
    """Completed, once it has started; the aftercare texts follow."""
    complete(session=session, now=now, visit_id=visit_id, policy=policy, actor=audit.staff(user))
    return visit_public(view_visit(session, visit_id))


@router.post("/visits/{visit_id}/no-show")
def missed(visit_id: PathId, session: WriteSessionDep, now: NowDep, user: FrontDesk) -> VisitPublic:
    """Once the visit has started."""
    mark_no_show(session=session, now=now, visit_id=visit_id, actor=audit.staff(user))
    return visit_public(view_visit(session, visit_id))


@router.get("/visits/{visit_id}/messages")
def visit_messages(
    visit_id: PathId, session: ReadSessionDep, _user: FrontDesk
) -> list[MessagePublic]:
    """Each text about the visit in the order it is due: kind, when, status, error, body."""
    get_visit(session, visit_id)
    return [message_public(message) for message in messages_of_visit(session, visit_id)]


def requested_parts(appointments: list[AppointmentRequest]) -> list[PartRequest]:
    return [
        PartRequest(service=a.service, practitioner_id=a.practitioner_id, room_id=a.room_id)
        for a in appointments
    ]

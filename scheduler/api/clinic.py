"""The clinic's places and catalogue: everyone on the staff reads them, only admins change them."""

from fastapi import APIRouter

from scheduler.admin.clinic import (
    add_location,
    add_room,
    add_service,
    update_location,
    update_room,
    update_service,
)
from scheduler.admin.directory import (
    LocationHours,
    all_locations,
    all_rooms,
    all_services,
    location_hours,
)
from scheduler.api.auth import Admin, Staff
from scheduler.api.deps import NowDep, ReadSessionDep, WriteSessionDep
from scheduler.api.schemas.clinic import (
    LocationCreate,
    LocationPublic,
    LocationUpdate,
    Opening,
    RoomCreate,
    RoomPublic,
    RoomUpdate,
    ServiceCreate,
    ServicePublic,
    ServiceUpdate,
)
from scheduler.api.schemas.common import ERRORS, PathId
from scheduler.clinic.setup import WeeklyHours
from scheduler.core import audit
from scheduler.models import Service

router = APIRouter(prefix="/api/v1", tags=["clinic"], responses=ERRORS)


@router.get("/services")
def list_services(session: ReadSessionDep, _user: Staff) -> list[ServicePublic]:
    return [ServicePublic.model_validate(service) for service in all_services(session)]


@router.post("/services", status_code=201)
def create_service(
    body: ServiceCreate, session: WriteSessionDep, now: NowDep, user: Admin
) -> ServicePublic:
    service = add_service(
        session,
        code=body.code,
        name=body.name,
        kind=body.kind,
        minutes=body.duration_minutes,
        cleanup_minutes=body.cleanup_minutes,
        room_kind=body.room_kind,
        professions=body.professions,
        actor=audit.staff(user),
        now=now,
    )
    return ServicePublic.model_validate(service)


@router.patch("/services/{service_id}")
def change_service(
    service_id: PathId, body: ServiceUpdate, session: WriteSessionDep, now: NowDep, user: Admin
) -> ServicePublic:
    changes = body.changes()
    service: Service = update_service(
        session,
        service_id=service_id,
        actor=audit.staff(user),
        now=now,
        name=changes.get("name"),
        minutes=changes.get("duration_minutes"),
        cleanup_minutes=changes.get("cleanup_minutes"),
        room_kind=changes.get("room_kind"),
        professions=changes.get("professions"),
    )
    return ServicePublic.model_validate(service)


@router.get("/rooms")
def list_rooms(session: ReadSessionDep, _user: Staff) -> list[RoomPublic]:
    return [RoomPublic.model_validate(room) for room in all_rooms(session)]


@router.post("/rooms", status_code=201)
def create_room(body: RoomCreate, session: WriteSessionDep, now: NowDep, user: Admin) -> RoomPublic:
    room = add_room(
        session,
        location_id=body.location_id,
        name=body.name,
        kind=body.kind,
        actor=audit.staff(user),
        now=now,
    )
    return RoomPublic.model_validate(room)


@router.patch("/rooms/{room_id}")
def change_room(
    room_id: PathId, body: RoomUpdate, session: WriteSessionDep, now: NowDep, user: Admin
) -> RoomPublic:
    room = update_room(session, room_id=room_id, actor=audit.staff(user), now=now, **body.changes())
    return RoomPublic.model_validate(room)


@router.get("/locations")
def list_locations(session: ReadSessionDep, _user: Staff) -> list[LocationPublic]:
    return [location_public(found) for found in all_locations(session)]


@router.post("/locations", status_code=201)
def create_location(
    body: LocationCreate, session: WriteSessionDep, now: NowDep, user: Admin
) -> LocationPublic:
    location = add_location(
        session,
        name=body.name,
        time_zone=body.time_zone,
        phone=body.phone,
        opening=weekly(body.opening),
        actor=audit.staff(user),
        now=now,
    )
    return location_public(location_hours(session, location.id or 0))


@router.patch("/locations/{location_id}")
def change_location(
    location_id: PathId, body: LocationUpdate, session: WriteSessionDep, now: NowDep, user: Admin
) -> LocationPublic:
    update_location(
        session,
        location_id=location_id,
        actor=audit.staff(user),
        now=now,
        name=body.name,
        phone=body.phone,
        time_zone=body.time_zone,
        opening=None if body.opening is None else weekly(body.opening),
    )
    return location_public(location_hours(session, location_id))


def weekly(opening: list[Opening]) -> WeeklyHours:
    return {span.weekday: (span.opens, span.closes) for span in opening}


def location_public(found: LocationHours) -> LocationPublic:
    return LocationPublic(
        id=found.location.id or 0,
        name=found.location.name,
        time_zone=found.location.time_zone,
        phone=found.location.phone,
        opening=[Opening.model_validate(span) for span in found.opening],
    )

"""Admin: rooms and services. Changes go through `admin.clinic`, which refuses what would strand
booked visits and writes the audit entries."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel
from sqlmodel import Session
from starlette.responses import Response

from scheduler.admin.clinic import add_room, add_service, get_record, update_room, update_service
from scheduler.admin.directory import all_rooms, all_services
from scheduler.api.auth import Admin
from scheduler.api.deps import NowDep, ReadSessionDep, WriteSessionDep
from scheduler.core import audit
from scheduler.core.errors import DomainError
from scheduler.models import Profession, RoomKind, Service, ServiceKind
from scheduler.web.admin.page import admin_page
from scheduler.web.forms import saved

router = APIRouter(include_in_schema=False)


class RoomForm(BaseModel):
    name: str
    kind: RoomKind


class ServiceChange(BaseModel):
    name: str
    minutes: int
    cleanup_minutes: int
    room_kind: RoomKind
    professions: list[Profession] = []


class NewService(ServiceChange):
    code: str
    kind: ServiceKind


@router.get("/admin/rooms")
def rooms(request: Request, session: ReadSessionDep, _user: Admin) -> Response:
    return _rooms_page(request, session)


@router.post("/admin/rooms")
def new_room(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    form: Annotated[RoomForm, Form()],
) -> Response:
    return saved(
        session,
        lambda: add_room(
            session,
            location_id=None,
            name=form.name,
            kind=form.kind,
            actor=audit.staff(user),
            now=now,
        ),
        then="/admin/rooms",
        refused=lambda error: _rooms_page(request, session, error),
    )


@router.post("/admin/rooms/{room_id}")
def change_room(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    room_id: int,
    form: Annotated[RoomForm, Form()],
) -> Response:
    return saved(
        session,
        lambda: update_room(
            session,
            room_id=room_id,
            name=form.name,
            kind=form.kind,
            actor=audit.staff(user),
            now=now,
        ),
        then="/admin/rooms",
        refused=lambda error: _rooms_page(request, session, error),
    )


@router.get("/admin/services")
def services(request: Request, session: ReadSessionDep, _user: Admin) -> Response:
    return _services_page(request, session)


@router.post("/admin/services")
def new_service(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    form: Annotated[NewService, Form()],
) -> Response:
    return saved(
        session,
        lambda: add_service(
            session,
            code=form.code.strip(),
            name=form.name,
            kind=form.kind,
            minutes=form.minutes,
            cleanup_minutes=form.cleanup_minutes,
            room_kind=form.room_kind,
            professions=form.professions,
            actor=audit.staff(user),
            now=now,
        ),
        then="/admin/services",
        refused=lambda error: _services_page(request, session, error),
    )


@router.get("/admin/services/{service_id}")
def service(request: Request, session: ReadSessionDep, _user: Admin, service_id: int) -> Response:
    return _service_page(request, session, service_id)


@router.post("/admin/services/{service_id}")
def change_service(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    service_id: int,
    form: Annotated[ServiceChange, Form()],
) -> Response:
    return saved(
        session,
        lambda: update_service(
            session,
            service_id=service_id,
            name=form.name,
            minutes=form.minutes,
            cleanup_minutes=form.cleanup_minutes,
            room_kind=form.room_kind,
            professions=form.professions,
            actor=audit.staff(user),
            now=now,
        ),
        then="/admin/services",
        refused=lambda error: _service_page(request, session, service_id, error),
    )


def _rooms_page(request: Request, session: Session, error: DomainError | None = None) -> Response:
    return admin_page(
        request,
        "admin_rooms.html",
        tab="rooms",
        rooms=all_rooms(session),
        kinds=list(RoomKind),
        error=error,
    )


def _services_page(
    request: Request, session: Session, error: DomainError | None = None
) -> Response:
    return admin_page(
        request,
        "admin_services.html",
        tab="services",
        services=all_services(session),
        kinds=list(ServiceKind),
        room_kinds=list(RoomKind),
        professions=list(Profession),
        error=error,
    )


def _service_page(
    request: Request, session: Session, service_id: int, error: DomainError | None = None
) -> Response:
    return admin_page(
        request,
        "admin_service.html",
        tab="services",
        service=get_record(session, Service, service_id, "service"),
        room_kinds=list(RoomKind),
        professions=list(Profession),
        error=error,
    )

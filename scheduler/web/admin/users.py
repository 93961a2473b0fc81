"""Admin: staff accounts. A new account's password is shown once, on the page that creates it."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel
from sqlmodel import Session, col, select
from starlette.responses import Response

from scheduler.admin.directory import all_practitioners
from scheduler.api.auth import Admin
from scheduler.api.deps import NowDep, ReadSessionDep, WriteSessionDep
from scheduler.core import audit
from scheduler.core.errors import DomainError
from scheduler.models import Role, User
from scheduler.staff.accounts import NewUser, add_user, set_user_active
from scheduler.web.admin.page import admin_page
from scheduler.web.forms import attempt, saved

router = APIRouter(include_in_schema=False)


class NewAccount(BaseModel):
    name: str
    role: Role
    practitioner_id: int | None = None


class Active(BaseModel):
    active: bool = False


@router.get("/admin/users")
def users(request: Request, session: ReadSessionDep, _user: Admin) -> Response:
    return _page(request, session)


@router.post("/admin/users")
def new_user(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    form: Annotated[NewAccount, Form()],
) -> Response:
    def add() -> NewUser:
        linked = form.practitioner_id if form.role == Role.PRACTITIONER else None
        created = add_user(session, name=form.name, role=form.role, now=now, practitioner_id=linked)
        audit.record_change(
            session,
            actor=audit.staff(user),
            action="user.created",
            subject=f"user:{created.user.id}",
            now=now,
            role=form.role.value,
        )
        return created

    return attempt(
        session,
        add,
        done=lambda created: _page(request, session, created=created),
        refused=lambda error: _page(request, session, error=error),
    )


@router.post("/admin/users/{user_id}/active")
def switch(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    user_id: int,
    form: Annotated[Active, Form()],
) -> Response:
    return saved(
        session,
        lambda: set_user_active(session, user_id=user_id, active=form.active, by=user, now=now),
        then="/admin/users",
        refused=lambda error: _page(request, session, error=error),
    )


def _page(
    request: Request,
    session: Session,
    *,
    created: NewUser | None = None,
    error: DomainError | None = None,
) -> Response:
    practitioners = all_practitioners(session)
    return admin_page(
        request,
        "admin_users.html",
        tab="users",
        users=session.exec(select(User).order_by(col(User.role), col(User.name))).all(),
        practitioners=practitioners,
        names={p.id: p.name for p in practitioners},
        roles=list(Role),
        created=created,
        error=error,
    )

"""Admin: the texts patients get (with a live preview and segment count), the send window and
the audit log. Changes go through the core, which checks them and writes the audit entries."""

from datetime import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel
from sqlmodel import Session
from starlette.responses import Response

from scheduler.api.auth import Admin
from scheduler.api.deps import NowDep, PolicyDep, ReadSessionDep, WriteSessionDep
from scheduler.api.errors import status_of
from scheduler.core import audit
from scheduler.core.errors import DomainError
from scheduler.core.policy import Policy
from scheduler.messaging.send_window import reset_send_window, send_window, set_send_window
from scheduler.messaging.templates import (
    BUILT_IN,
    PLACEHOLDERS,
    preview_template,
    save_template,
    template_states,
)
from scheduler.staff.audit_view import readable
from scheduler.web.admin.page import admin_page
from scheduler.web.clinic_clock import clinic_clock
from scheduler.web.forms import saved, see_other
from scheduler.web.rendering import page

router = APIRouter(include_in_schema=False)


class TemplateForm(BaseModel):
    body: str


class WindowForm(BaseModel):
    opens: time
    closes: time


@router.get("/admin/templates")
def templates(request: Request, session: ReadSessionDep, _user: Admin) -> Response:
    return admin_page(
        request,
        "admin_templates.html",
        tab="templates",
        states=template_states(session),
    )


@router.get("/admin/templates/{name}")
def template(request: Request, session: ReadSessionDep, _user: Admin, name: str) -> Response:
    state = next((s for s in template_states(session) if s.name == name), None)
    return _template_page(request, session, name, state.text if state else "")


@router.get("/admin/templates/{name}/preview")
def template_preview(
    request: Request, session: ReadSessionDep, _user: Admin, name: str, body: str = ""
) -> Response:
    """The text as typed, rendered and measured: what the editor shows while typing."""
    return _preview(request, session, name=name, text=body, template="_template_preview.html")


@router.post("/admin/templates/{name}")
def change_template(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
    name: str,
    form: Annotated[TemplateForm, Form()],
) -> Response:
    return saved(
        session,
        lambda: save_template(session, name=name, text=form.body, actor=audit.staff(user), now=now),
        then="/admin/templates",
        refused=lambda error: _template_page(request, session, name, form.body, error),
    )


@router.get("/admin/send-window")
def window(request: Request, session: ReadSessionDep, policy: PolicyDep, _user: Admin) -> Response:
    return _window_page(request, session, policy)


@router.post("/admin/send-window")
def change_window(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: Admin,
    form: Annotated[WindowForm, Form()],
) -> Response:
    return saved(
        session,
        lambda: set_send_window(
            session, opens=form.opens, closes=form.closes, actor=audit.staff(user), now=now
        ),
        then="/admin/send-window",
        refused=lambda error: _window_page(request, session, policy, error),
    )


@router.post("/admin/send-window/reset")
def default_window(session: WriteSessionDep, now: NowDep, user: Admin) -> Response:
    reset_send_window(session, actor=audit.staff(user), now=now)
    return see_other("/admin/send-window")


@router.get("/admin/audit")
def audit_log(
    request: Request, session: ReadSessionDep, now: NowDep, _user: Admin, subject: str = ""
) -> Response:
    zone = clinic_clock(session, now).zone
    entries = audit.recent_entries(session, subject=subject.strip() or None)
    shown = readable(session, entries, zone=zone)
    return admin_page(
        request,
        "admin_audit.html",
        tab="audit",
        entries=shown,
        subject=subject,
        about=shown[0].about if subject.strip() and shown else subject,
        zone=zone,
    )


def _template_page(
    request: Request, session: Session, name: str, text: str, error: DomainError | None = None
) -> Response:
    return _preview(
        request, session, name=name, text=text, template="admin_template.html", error=error
    )


def _preview(
    request: Request,
    session: Session,
    *,
    name: str,
    text: str,
    template: str,
    error: DomainError | None = None,
) -> Response:
    """A template's page or its preview; a text that does not render says why instead."""
    try:
        rendered, problem = preview_template(session, name=name, text=text), None
    except DomainError as refused:
        rendered, problem = None, refused.message
    if name not in BUILT_IN:
        problem = f"There is no message text {name!r}."
    return page(
        request,
        template,
        status_of(error) if error else (404 if name not in BUILT_IN else 200),
        section="admin",
        tab="templates",
        name=name,
        text=text,
        built_in=BUILT_IN.get(name, ("", 1))[0],
        placeholders=PLACEHOLDERS,
        rendered=rendered,
        problem=problem,
        error=error,
    )


def _window_page(
    request: Request, session: Session, policy: Policy, error: DomainError | None = None
) -> Response:
    opens, closes = send_window(session, policy)
    return admin_page(
        request,
        "admin_send_window.html",
        tab="send-window",
        opens=opens,
        closes=closes,
        default=policy.send_window,
        changed=(opens, closes) != policy.send_window,
        error=error,
    )

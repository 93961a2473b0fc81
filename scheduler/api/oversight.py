"""What admins and the front desk keep an eye on: the audit log, the texts' wording, the replies
that need a person."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from scheduler.api.auth import Admin, FrontDesk
from scheduler.api.deps import NowDep, ReadSessionDep, WriteSessionDep
from scheduler.api.schemas.common import ERRORS, PathId, Text
from scheduler.api.schemas.staff import (
    AuditEntryPublic,
    InboxEntry,
    TemplatePublic,
    TemplateUpdate,
    inbox_entry,
    template_public,
)
from scheduler.core import audit
from scheduler.messaging.log import mark_handled, replies_needing_attention
from scheduler.messaging.templates import save_template, template_states

router = APIRouter(prefix="/api/v1", tags=["oversight"], responses=ERRORS)


@router.get("/audit")
def audit_log(
    session: ReadSessionDep,
    _user: Admin,
    subject: Annotated[Text | None, Query(examples=["visit:12"])] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntryPublic]:
    """Newest first."""
    entries = audit.recent_entries(session, subject=subject, limit=limit)
    return [AuditEntryPublic.model_validate(entry) for entry in entries]


@router.get("/templates")
def list_templates(session: ReadSessionDep, _user: Admin) -> list[TemplatePublic]:
    return [template_public(state) for state in template_states(session)]


@router.put("/templates/{name}")
def replace_template(
    name: Annotated[str, Path(max_length=40, pattern=r"^[a-z0-9_]+$")],
    body: TemplateUpdate,
    session: WriteSessionDep,
    now: NowDep,
    user: Admin,
) -> TemplatePublic:
    """422 for an unknown template or placeholder, or a text over its segment budget."""
    state = save_template(session, name=name, text=body.body, actor=audit.staff(user), now=now)
    return template_public(state)


@router.get("/inbox")
def inbox(
    session: ReadSessionDep, _user: FrontDesk, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[InboxEntry]:
    """Unhandled replies a person should read, newest first."""
    return [inbox_entry(entry) for entry in replies_needing_attention(session, limit=limit)]


@router.post("/inbox/{reply_id}/handled", status_code=204)
def handled(reply_id: PathId, session: WriteSessionDep, now: NowDep, user: FrontDesk) -> Response:
    mark_handled(session, reply_id=reply_id, now=now, actor=audit.staff(user))
    return Response(status_code=204)

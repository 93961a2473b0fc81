"""Replies from patients that need a person: urgent words, high soreness, anything for the desk
(a request to move, a question), newest first."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from scheduler.api.auth import FrontDesk
from scheduler.api.deps import NowDep, ReadSessionDep, WriteSessionDep
from scheduler.core import audit
from scheduler.messaging.log import mark_handled, replies_needing_attention, replies_waiting
from scheduler.patients.replies import FOR_THE_DESK
from scheduler.web.clinic_clock import clinic_clock
from scheduler.web.forms import see_other
from scheduler.web.rendering import page, wants_fragment

router = APIRouter(include_in_schema=False)


@router.get("/inbox")
def inbox(request: Request, session: ReadSessionDep, now: NowDep, _user: FrontDesk) -> Response:
    return page(
        request,
        "inbox.html",
        section="inbox",
        entries=replies_needing_attention(session),
        said_by_badge=FOR_THE_DESK.attention,
        zone=clinic_clock(session, now).zone,
    )


@router.get("/inbox/count")
def inbox_count(session: ReadSessionDep, _user: FrontDesk) -> Response:
    """How many replies wait, for the badge in the navigation (empty when none)."""
    waiting = replies_waiting(session)
    return Response(str(waiting) if waiting else "", media_type="text/plain")


@router.post("/inbox/{reply_id}/handled")
def handled(
    request: Request, session: WriteSessionDep, now: NowDep, user: FrontDesk, reply_id: int
) -> Response:
    mark_handled(session, reply_id=reply_id, now=now, actor=audit.staff(user))
    if wants_fragment(request):
        return Response("")  # the row goes away where it stood
    return see_other("/inbox")

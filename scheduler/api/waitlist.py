"""The waitlist for the front desk and integrations: who waits, what they were offered."""

from typing import Annotated

from fastapi import APIRouter, Query

from scheduler.api.auth import FrontDesk
from scheduler.api.deps import NowDep, ReadSessionDep, WriteSessionDep
from scheduler.api.schemas.common import ERRORS, PathId
from scheduler.api.schemas.waitlist import WaitlistEntryPublic, WaitlistIn, entry_public
from scheduler.core import audit
from scheduler.waitlist.entries import add_to_waitlist, listed_entry, remove_from_waitlist, waitlist

router = APIRouter(prefix="/api/v1/waitlist", tags=["waitlist"], responses=ERRORS)


@router.get("")
def list_waitlist(
    session: ReadSessionDep,
    _user: FrontDesk,
    include_closed: Annotated[bool, Query(description="Also booked, removed, ended")] = False,
) -> list[WaitlistEntryPublic]:
    """Most urgent first, then longest waiting: the order offers go out in."""
    return [entry_public(listed) for listed in waitlist(session, include_closed=include_closed)]


@router.post("", status_code=201)
def add_entry(
    body: WaitlistIn, session: WriteSessionDep, now: NowDep, user: FrontDesk
) -> WaitlistEntryPublic:
    entry = add_to_waitlist(
        session, patient_id=body.patient_id, wants=body.wants(), now=now, actor=audit.staff(user)
    )
    return entry_public(listed_entry(session, entry.id or 0))


@router.post("/{entry_id}/remove")
def remove_entry(
    entry_id: PathId, session: WriteSessionDep, now: NowDep, user: FrontDesk
) -> WaitlistEntryPublic:
    remove_from_waitlist(session, entry_id=entry_id, now=now, actor=audit.staff(user))
    return entry_public(listed_entry(session, entry_id))

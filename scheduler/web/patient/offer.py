"""The page a waitlist offer's link opens: the time on offer and one button to take it.

No login: the signed link is the key. A link we did not sign gets 403 and changes nothing; a
closed offer says what became of it.
"""

from fastapi import APIRouter, Request
from sqlmodel import Session, col, select
from starlette.responses import Response

from scheduler.api.auth import PUBLIC
from scheduler.api.deps import NowDep, PolicyDep, ReadSessionDep, WriteSessionDep
from scheduler.clinic.catalogue import resolve_location
from scheduler.core.wallclock import clinic_zone
from scheduler.models import OfferStatus, Practitioner, WaitlistEntry, WaitlistOffer
from scheduler.waitlist.answers import Answer, offer_by_link, service_names, take_offer
from scheduler.web.patient.link import PRIVATE
from scheduler.web.rendering import page

router = APIRouter(include_in_schema=False)


@router.get("/w/{token}", dependencies=[PUBLIC])
def offer_page(request: Request, session: ReadSessionDep, now: NowDep, token: str) -> Response:
    offer = offer_by_link(session, token)
    if offer is None:
        return _unknown_link(request)
    return _offer_page(request, session, offer, now=now, token=token)


@router.post("/w/{token}", dependencies=[PUBLIC])
def take(
    request: Request, session: WriteSessionDep, now: NowDep, policy: PolicyDep, token: str
) -> Response:
    offer = offer_by_link(session, token)
    if offer is None:
        return _unknown_link(request)
    answer = take_offer(session, offer_id=offer.id or 0, now=now, policy=policy)
    return _offer_page(request, session, answer.offer, now=now, token=token, answer=answer)


def _offer_page(
    request: Request,
    session: Session,
    offer: WaitlistOffer,
    *,
    now: NowDep,
    token: str,
    answer: Answer | None = None,
) -> Response:
    entry = session.get_one(WaitlistEntry, offer.entry_id)
    location = resolve_location(session, entry.location_id)
    ids = [int(str(part["practitioner_id"])) for part in offer.plan]
    names = session.exec(select(Practitioner.name).where(col(Practitioner.id).in_(ids))).all()
    response = page(
        request,
        "waitlist_offer.html",
        offer=offer,
        open=offer.status == OfferStatus.OPEN and offer.expires_at > now,
        answer=answer,
        location=location,
        clinic_name=location.name,
        services=service_names(session, offer),
        practitioners=", ".join(names),
        zone=clinic_zone(location.time_zone),
        token=token,
    )
    response.headers.update(PRIVATE)
    return response


def _unknown_link(request: Request) -> Response:
    response = page(request, "waitlist_offer.html", status_code=403, offer=None)
    response.headers.update(PRIVATE)
    return response

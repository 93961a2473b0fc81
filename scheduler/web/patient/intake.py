"""The intake form a patient's personal link opens (`/i/<token>`), on a phone, without signing in
and without JavaScript: the date of birth, then the form, then a thank-you page.

The signed token is the credential. A post must come from our own page: browsers that say where
a request comes from (Sec-Fetch-Site, Origin) are refused a cross-site one, and the form carries
a key only our page gives out. The date of birth travels with the form and is checked again on
sending it, so one POST with every field is enough, and no cookie is needed. Pages are sent
no-store and no-referrer like the visit pages.
"""

from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from sqlmodel import Session
from starlette.responses import Response

from scheduler.api.auth import PUBLIC
from scheduler.api.deps import NowDep, ReadSessionDep, WriteSessionDep
from scheduler.api.errors import status_of
from scheduler.clinic.intake_links import check_date_of_birth, linked_to, why_closed
from scheduler.core import signing
from scheduler.core.errors import DomainError, NotAllowed, RuleViolation
from scheduler.core.wallclock import clinic_zone
from scheduler.models import Contraindication, IntakeLink
from scheduler.patients.intake_form import (
    Answers,
    clinic_of,
    consent_shown,
    first_name,
    next_visit,
    submit_intake,
)
from scheduler.web.forms import attempt, see_other
from scheduler.web.patient.link import private
from scheduler.web.rendering import page

router = APIRouter(include_in_schema=False, dependencies=[PUBLIC])

# One question per contraindication, in the patient's words; ticked means yes.
QUESTIONS = {
    Contraindication.ANTICOAGULANTS: (
        "I take a medicine that thins the blood (for example warfarin, apixaban, rivaroxaban "
        "or a daily aspirin)."
    ),
    Contraindication.BLEEDING_DISORDER: (
        "I bleed or bruise very easily, or I have a bleeding condition."
    ),
    Contraindication.PREGNANCY: "I am pregnant, or I might be.",
    Contraindication.NEEDLE_PHOBIA_OR_FAINTING: (
        "I am very afraid of needles, or I have fainted during an injection or a blood test."
    ),
    Contraindication.IMPLANTED_DEVICE: (
        "I have a pacemaker or another device implanted in my body."
    ),
    Contraindication.LOCAL_INFECTION: (
        "I have an infection, a wound or a skin problem where I may be treated."
    ),
}
SIGN = "sign"  # the form's step: the full form, as opposed to the date of birth alone


@router.get("/i/{token}")
def intake_page(request: Request, session: ReadSessionDep, now: NowDep, token: str) -> Response:
    """The date of birth first; a page saying why, when the link no longer opens the form."""
    link, closed = _link(session, token, now)
    if link is None or closed:
        return _closed(request, session, link, closed, now)
    return _date_of_birth_page(request, session, link)


@router.post("/i/{token}")
def intake_post(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    token: str,
    date_of_birth: Annotated[str, Form()] = "",
    form_key: Annotated[str, Form()] = "",
    step: Annotated[str, Form()] = "",
    conditions: Annotated[str, Form(max_length=10_000)] = "",
    medications: Annotated[str, Form(max_length=10_000)] = "",
    flags: Annotated[list[str] | None, Form()] = None,
    consent: Annotated[str, Form()] = "",
    signature: Annotated[str, Form(max_length=1_000)] = "",
    consent_version: Annotated[str, Form()] = "",
) -> Response:
    link, closed = _link(session, token, now)
    if link is None or closed:
        return _closed(request, session, link, closed, now)
    if _cross_site(request) or form_key != _form_key(session, link):
        return _refused_post(request, session, link)
    typed = _checked_date_of_birth(request, session, link, date_of_birth, now)
    if isinstance(typed, Response):
        return typed
    if step != SIGN:
        return _form_page(request, session, link, now=now, typed=typed, answers=None)
    answers = Answers(
        conditions=conditions.splitlines(),
        medications=medications.splitlines(),
        flags=flags or [],
        consent=consent == "yes",
        signature=signature,
        consent_version=int(consent_version) if consent_version.isdigit() else None,
    )
    return private(
        attempt(
            session,
            lambda: submit_intake(session, link=link, answers=answers, now=now),
            done=lambda _: see_other(f"/i/{token}"),
            refused=lambda error: _form_page(
                request, session, link, now=now, typed=typed, answers=answers, error=error
            ),
        )
    )


def _checked_date_of_birth(
    request: Request, session: Session, link: IntakeLink, typed: str, now: datetime
) -> date | Response:
    """The date typed when it is the patient's; else the page to answer with. A miss is committed
    even so: that is what makes the third one lock the link."""
    day = _typed_date(typed)
    if day is None:
        error = RuleViolation(
            "Please enter your date of birth as day, month and year.", field="date_of_birth"
        )
        return _date_of_birth_page(request, session, link, error=error, status=422)
    try:
        check_date_of_birth(session, link=link, typed=day, now=now)
    except DomainError as missed:
        session.commit()
        session.refresh(link)
        if link.locked_at is not None:
            return _closed(request, session, link, why_closed(link, now=now), now)
        return _date_of_birth_page(request, session, link, error=missed, status=422)
    return day


def _link(session: Session, token: str, now: datetime) -> tuple[IntakeLink | None, str | None]:
    link = linked_to(session, token=token)
    if link is None:
        return None, "This link does not work. Please use the link in your text message."
    return link, why_closed(link, now=now)


def _closed(
    request: Request,
    session: Session,
    link: IntakeLink | None,
    closed: str | None,
    now: datetime,
) -> Response:
    """The thank-you page for a used link; for any other, why it no longer opens the form."""
    if link is not None and link.used_at is not None:
        return private(
            page(
                request,
                "intake_done.html",
                clinic=clinic_of(session, link),
                visit=next_visit(session, patient_id=link.patient_id, now=now),
                zone_of=lambda location: clinic_zone(location.time_zone),
            )
        )
    return private(
        page(
            request,
            "intake_closed.html",
            403,
            clinic=clinic_of(session, link) if link else None,
            message=closed,
        )
    )


def _refused_post(request: Request, session: Session, link: IntakeLink) -> Response:
    return private(
        page(
            request,
            "intake_closed.html",
            403,
            clinic=clinic_of(session, link),
            message="This form did not come from our page. Please open the link in your text "
            "message again.",
        )
    )


def _date_of_birth_page(
    request: Request,
    session: Session,
    link: IntakeLink,
    *,
    error: DomainError | None = None,
    status: int = 200,
) -> Response:
    return private(
        page(
            request,
            "intake_date_of_birth.html",
            status_of(error) if isinstance(error, NotAllowed) else status,
            clinic=clinic_of(session, link),
            form_key=_form_key(session, link),
            error=error,
        )
    )


def _form_page(
    request: Request,
    session: Session,
    link: IntakeLink,
    *,
    now: datetime,
    typed: date,
    answers: Answers | None,
    error: DomainError | None = None,
) -> Response:
    """The form, with what was typed when it comes back with a refusal."""
    consent = consent_shown(session, now=now)
    return private(
        page(
            request,
            "intake_form.html",
            status_of(error) if error else 200,
            clinic=clinic_of(session, link),
            first_name=first_name(session, link),
            form_key=_form_key(session, link),
            date_of_birth=typed.isoformat(),
            questions=QUESTIONS,
            consent=consent,
            answers=answers,
            step=SIGN,
            error=error,
        )
    )


def _form_key(session: Session, link: IntakeLink) -> str:
    return signing.sign(signing.signing_key(session), signing.INTAKE_FORM, link.id or 0)


def _typed_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _cross_site(request: Request) -> bool:
    """The browser says the post comes from another site. With no-referrer, as these pages ask,
    a browser sends `Origin: null` even for our own form: that says nothing either way."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin", "null")
    return origin != "null" and urlsplit(origin).netloc != request.headers.get("host", "")

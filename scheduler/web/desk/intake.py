"""A patient's intake from the staff's side: text the form, make a link to read out, enter a
signed paper form, and mark a signed intake reviewed."""

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from scheduler.api.auth import Staff
from scheduler.api.deps import NowDep, PolicyDep, ReadSessionDep, WriteSessionDep
from scheduler.api.errors import status_of
from scheduler.clinic.patients import get_patient
from scheduler.core.errors import DomainError, RuleViolation
from scheduler.models import Contraindication
from scheduler.staff.access import require_intake_access
from scheduler.staff.intakes import (
    Answers,
    enter_paper_intake,
    give_intake_link,
    review_intake,
)
from scheduler.web.forms import saved, see_other
from scheduler.web.rendering import page

router = APIRouter(include_in_schema=False)


@router.post("/patients/{patient_id}/intake-link")
def send_or_make_link(
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: Staff,
    patient_id: int,
    send: Annotated[str, Form()] = "yes",
) -> Response:
    """Texts the form (`send=yes`), or makes a link shown on the patient's page to read out."""
    link = give_intake_link(
        session, user=user, patient_id=patient_id, now=now, policy=policy, send=send != "no"
    )
    shown = "intake=sent" if send != "no" else f"intake_link={link.id}"
    return see_other(f"/patients/{patient_id}?{shown}#intake")


@router.get("/patients/{patient_id}/intake/paper")
def paper_form(request: Request, session: ReadSessionDep, user: Staff, patient_id: int) -> Response:
    patient = get_patient(session, patient_id)
    require_intake_access(session, user, patient_id)
    return _paper_page(request, patient_id=patient_id, name=patient.name)


@router.post("/patients/{patient_id}/intake/paper")
def enter_paper_form(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Staff,
    patient_id: int,
    conditions: Annotated[str, Form(max_length=10_000)] = "",
    medications: Annotated[str, Form(max_length=10_000)] = "",
    flags: Annotated[list[str] | None, Form()] = None,
    signed: Annotated[str, Form()] = "",
) -> Response:
    """Refused unless the paper form was signed: an unsigned one gives no consent."""
    typed = {"conditions": conditions, "medications": medications, "flags": flags or []}

    def enter() -> object:
        if signed != "yes":
            raise RuleViolation(
                "Tick that the patient signed the paper form; an unsigned form gives no consent.",
                field="signed",
                code="consent_missing",
            )
        answers = Answers(conditions.splitlines(), medications.splitlines(), flags or [])
        return enter_paper_intake(
            session, user=user, patient_id=patient_id, answers=answers, now=now
        )

    return saved(
        session,
        enter,
        then=f"/patients/{patient_id}?intake=entered#intake",
        refused=lambda error: _paper_page(
            request,
            patient_id=patient_id,
            name=get_patient(session, patient_id).name,
            typed=typed,
            error=error,
        ),
    )


@router.post("/patients/{patient_id}/intake/review")
def mark_reviewed(
    *,
    session: WriteSessionDep,
    now: NowDep,
    user: Staff,
    patient_id: int,
    back: Annotated[str, Form()] = "",
) -> Response:
    review_intake(session, user=user, patient_id=patient_id, now=now)
    return see_other(back if back == "/my-day" else f"/patients/{patient_id}?intake=reviewed")


def _paper_page(
    request: Request,
    *,
    patient_id: int,
    name: str,
    typed: Mapping[str, object] | None = None,
    error: DomainError | None = None,
) -> Response:
    return page(
        request,
        "intake_paper.html",
        status_of(error) if error else 200,
        section="patients",
        patient_id=patient_id,
        name=name,
        flags=list(Contraindication),
        typed=typed or {"conditions": "", "medications": "", "flags": []},
        error=error,
    )

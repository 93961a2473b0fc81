"""Patients: search as you type, quick create with the number checked as typed, and the
patient's page (intake details only for the patient's practitioners and admins)."""

from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel
from sqlmodel import Session, select
from starlette.responses import Response

from scheduler.api.auth import FrontDesk, Staff
from scheduler.api.deps import NowDep, PolicyDep, ReadSessionDep, SettingsDep, WriteSessionDep
from scheduler.api.errors import status_of
from scheduler.clinic.intake_links import why_closed
from scheduler.clinic.patients import find_patients, normalise_mobile, register_patient
from scheduler.core import audit, signing
from scheduler.core.errors import DomainError, RuleViolation
from scheduler.core.settings import Settings
from scheduler.models import IntakeLink, Patient, Role, VisitStatus
from scheduler.staff.board import patient_appointments
from scheduler.staff.patient_record import patient_record
from scheduler.staff.plans import plans_of_patient
from scheduler.web.clinic_clock import clinic_clock
from scheduler.web.forms import attempt, see_other
from scheduler.web.rendering import page, wants_fragment

router = APIRouter(include_in_schema=False)
KEPT = ("service", "practitioner", "day", "days")  # Find a time's choices


class NewPatient(BaseModel):
    name: str = ""
    phone: str = ""
    date_of_birth: date | None = None
    sms_consent: bool | None = None  # asked every time: nothing is assumed


@router.get("/patients")
def patients(request: Request, session: ReadSessionDep, _user: FrontDesk, q: str = "") -> Response:
    """The search; asked from Find a time, each result's Book link keeps the services, day and
    days already chosen there (sent along with the search)."""
    found = find_patients(session, text=q)
    if wants_fragment(request):
        keep = urlencode([(k, v) for k, v in request.query_params.multi_items() if k in KEPT])
        return page(request, "_patient_results.html", found=found, q=q, keep=keep)
    return _page(request, found=found, q=q, new=NewPatient())


@router.get("/patients/phone-check")
def phone_check(
    request: Request,
    *,
    session: ReadSessionDep,
    settings: SettingsDep,
    _user: FrontDesk,
    phone: str = "",
) -> Response:
    """What the number will be stored as, or what is wrong with it; and who already has it."""
    if not phone.strip():
        return page(request, "_phone_check.html", number=None, error=None, holders=[])
    try:
        number = normalise_mobile(phone, region=settings.phone_region)
    except RuleViolation as error:
        return page(request, "_phone_check.html", number=None, error=error.message, holders=[])
    holders = session.exec(select(Patient).where(Patient.phone == number)).all()
    return page(request, "_phone_check.html", number=number, error=None, holders=holders)


@router.post("/patients")
def add_patient(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    settings: SettingsDep,
    user: FrontDesk,
    form: Annotated[NewPatient, Form()],
) -> Response:
    def add() -> Patient:
        if form.date_of_birth is None:
            raise RuleViolation("Give the date of birth.", field="date_of_birth")
        if form.sms_consent is None:
            raise RuleViolation(
                "Ask whether we may text this number, and choose the answer.",
                field="sms_consent",
            )
        patient = register_patient(
            session=session,
            now=now,
            name=form.name,
            phone=form.phone,
            date_of_birth=form.date_of_birth,
            region=settings.phone_region,
            sms_consent=form.sms_consent,
            actor=audit.staff(user),
        )
        return patient

    return attempt(
        session,
        add,
        done=lambda patient: see_other(f"/book?patient_id={patient.id}"),
        refused=lambda error: _page(
            request, found=[], q="", new=form, error=error, status=status_of(error)
        ),
    )


@router.get("/patients/{patient_id}")
def patient_page(
    request: Request,
    *,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    user: Staff,
    patient_id: int,
    settings: SettingsDep,
    intake: str | None = None,
    intake_link: int | None = None,
) -> Response:
    """Contact data, visits and intake flags; intake details too for admins and the patient's
    own practitioners, each look written to the audit log (hence a writing session)."""
    record = patient_record(session, user=user, patient_id=patient_id, now=now, policy=policy)
    appointments = patient_appointments(session, patient_id=patient_id)
    upcoming = [a for a in appointments if a.ends_at >= now and a.status == VisitStatus.BOOKED]
    return page(
        request,
        "patient.html",
        section="my-day" if user.role == Role.PRACTITIONER else "patients",
        record=record,
        patient=record.patient,
        desk=user.role != Role.PRACTITIONER,
        upcoming=list(reversed(upcoming)),
        history=[a for a in appointments if a not in upcoming],
        zone=clinic_clock(session, now).zone,
        plans=plans_of_patient(session, patient_id=patient_id),
        intake_done=intake,
        intake_url=_readable_link(session, settings, patient_id, intake_link, now),
    )


def _readable_link(
    session: Session, settings: Settings, patient_id: int, link_id: int | None, now: datetime
) -> str | None:
    """The address of a link just made for reading out, while it is the patient's and open."""
    link = session.get(IntakeLink, link_id) if link_id is not None else None
    if link is None or link.patient_id != patient_id or why_closed(link, now=now):
        return None
    key = signing.signing_key(session)
    return signing.link(settings.public_url, key, signing.INTAKE, link.id or 0)


def _page(
    request: Request,
    *,
    found: object,
    q: str,
    new: NewPatient,
    error: DomainError | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "patients.html",
        status,
        section="patients",
        found=found,
        q=q,
        new=new,
        error=error,
    )

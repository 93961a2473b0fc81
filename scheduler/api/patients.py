"""Patients and their intake. The front desk sees contact data, visits and intake flags; intake
details only reach admins and the patient's own practitioners."""

from typing import Annotated

from fastapi import APIRouter, Query

from scheduler.api.auth import FrontDesk, Staff
from scheduler.api.deps import NowDep, PolicyDep, ReadSessionDep, SettingsDep, WriteSessionDep
from scheduler.api.schemas.common import ERRORS, PathId, Text
from scheduler.api.schemas.patients import (
    IntakeIn,
    IntakeLinkIn,
    IntakeLinkPublic,
    IntakePublic,
    PatientCreate,
    PatientPublic,
    PatientRecordPublic,
    PatientUpdate,
    intake_public,
    record_public,
)
from scheduler.clinic.patients import find_patients, register_patient, update_patient
from scheduler.core import audit, signing
from scheduler.staff.intakes import Answers, give_intake_link, save_intake
from scheduler.staff.patient_record import patient_record

router = APIRouter(prefix="/api/v1/patients", tags=["patients"], responses=ERRORS)


@router.get("")
def search_patients(
    session: ReadSessionDep,
    _user: FrontDesk,
    q: Annotated[Text, Query(description="Part of a name or phone number")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[PatientPublic]:
    return [PatientPublic.model_validate(p) for p in find_patients(session, text=q, limit=limit)]


@router.post("", status_code=201)
def create_patient(
    body: PatientCreate,
    session: WriteSessionDep,
    now: NowDep,
    settings: SettingsDep,
    user: FrontDesk,
) -> PatientPublic:
    patient = register_patient(
        session=session,
        now=now,
        name=body.name,
        phone=body.phone,
        date_of_birth=body.date_of_birth,
        region=settings.phone_region,
        sms_consent=body.sms_consent,
        actor=audit.staff(user),
    )
    return PatientPublic.model_validate(patient)


@router.patch("/{patient_id}")
def change_patient(
    *,
    patient_id: PathId,
    body: PatientUpdate,
    session: WriteSessionDep,
    now: NowDep,
    settings: SettingsDep,
    user: FrontDesk,
) -> PatientPublic:
    patient = update_patient(
        session,
        patient_id=patient_id,
        now=now,
        region=settings.phone_region,
        actor=audit.staff(user),
        **body.changes(),
    )
    return PatientPublic.model_validate(patient)


@router.get("/{patient_id}")
def show_patient(
    patient_id: PathId, session: WriteSessionDep, now: NowDep, policy: PolicyDep, user: Staff
) -> PatientRecordPublic:
    """The patient, their visits, SMS consent and intake. Showing intake details writes an
    `intake.viewed` audit entry, hence a write session. A practitioner sees only their own
    patients."""
    return record_public(
        patient_record(session, user=user, patient_id=patient_id, now=now, policy=policy)
    )


@router.put("/{patient_id}/intake")
def replace_intake(
    patient_id: PathId, body: IntakeIn, session: WriteSessionDep, now: NowDep, user: Staff
) -> IntakePublic:
    """Admins and the patient's own practitioners record the intake; the front desk may not."""
    intake = save_intake(
        session,
        user=user,
        patient_id=patient_id,
        answers=Answers(body.conditions, body.medications, body.flags),
        consent=body.consent,
        now=now,
    )
    return intake_public(intake, details=True)


@router.post("/{patient_id}/intake-link")
def intake_link(
    *,
    patient_id: PathId,
    session: WriteSessionDep,
    now: NowDep,
    policy: PolicyDep,
    settings: SettingsDep,
    user: Staff,
    body: IntakeLinkIn | None = None,
) -> IntakeLinkPublic:
    """A new link to the patient's intake form, working for 14 days or until used. It is texted
    to the patient (as `intake_request`, within the send window) unless the body says
    `{"send": false}`, for reading it out over the phone."""
    link = give_intake_link(
        session,
        user=user,
        patient_id=patient_id,
        now=now,
        policy=policy,
        send=body.send if body else True,
    )
    url = signing.link(
        settings.public_url, signing.signing_key(session), signing.INTAKE, link.id or 0
    )
    return IntakeLinkPublic(url=url, expires_at=link.expires_at)

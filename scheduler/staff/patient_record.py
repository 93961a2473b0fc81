"""A patient as staff see them, with who may see what.

The front desk sees contact data, visits and the intake's flags; the intake's details
(conditions, medications) only reach admins and the patient's own practitioners, and every time
they do an `intake.viewed` entry goes into the audit log in the same transaction.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from scheduler.clinic.intake import IntakeStatus, intake_status
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.policy import Policy
from scheduler.models import Intake, Patient, SmsOptOut, User, Visit
from scheduler.scheduling.visits import VisitView, visit_views
from scheduler.staff.access import may_see_intake, require_patient_access


@dataclass(frozen=True)
class PatientRecord:
    patient: Patient
    opted_out: bool  # the number texted STOP: no texts whatever `sms_consent` says
    visits: list[VisitView]  # newest first
    intake: Intake | None
    intake_details: bool  # False: show the intake's flags and consent only
    intake_status: IntakeStatus
    may_enter_intake: bool  # a paper form, a review: admins and the patient's practitioners


def patient_record(
    session: Session, *, user: User, patient_id: int, now: datetime, policy: Policy
) -> PatientRecord:
    """The patient for `user`; intake details only when their role and relationship allow."""
    patient = get_patient(session, patient_id)
    require_patient_access(session, user, patient_id)
    status = intake_status(session, patient_id=patient_id, now=now, policy=policy)
    intake = status.intake
    may_see = may_see_intake(session, user, patient_id)
    details = intake is not None and may_see
    if details:
        staff_audit(session, user, "intake.viewed", patient_id, now)
    visits = session.exec(
        select(Visit).where(Visit.patient_id == patient_id).order_by(col(Visit.id).desc())
    ).all()
    return PatientRecord(
        patient=patient,
        opted_out=session.get(SmsOptOut, patient.phone) is not None,
        visits=visit_views(session, visits),
        intake=intake,
        intake_details=details,
        intake_status=status,
        may_enter_intake=may_see,
    )


def staff_audit(
    session: Session, user: User, action: str, patient_id: int, now: datetime, *, detail: str = ""
) -> None:
    subject = f"patient:{patient_id}"
    actor = audit.staff(user)
    audit.record(session, actor=actor, action=action, subject=subject, now=now, detail=detail)

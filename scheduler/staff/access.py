"""Who may see what, beyond their role: a practitioner's own day and their own patients' intake.

Roles decide which routes a user reaches; these rules decide which records. Admins see all; the
front desk sees scheduling, contact data and intake flags but never intake details; a
practitioner sees their own schedule and the intake of patients they have a visit with.
"""

from sqlmodel import Session, col, select

from scheduler.core.errors import NotAllowed
from scheduler.models import Appointment, Role, User


def require_own_schedule(user: User, practitioner_id: int) -> None:
    if user.role == Role.PRACTITIONER and user.practitioner_id != practitioner_id:
        raise NotAllowed("You can see only your own schedule.", code="not_your_schedule")


def require_intake_access(session: Session, user: User, patient_id: int) -> None:
    if not may_see_intake(session, user, patient_id):
        raise NotAllowed(
            "Intake details are for the patient's practitioners and admins.",
            code="intake_private",
        )


def may_see_intake(session: Session, user: User, patient_id: int) -> bool:
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.PRACTITIONER and _treats(session, user.practitioner_id, patient_id)


def require_patient_access(session: Session, user: User, patient_id: int) -> None:
    """The front desk and admins see every patient; a practitioner only those they treat."""
    if user.role == Role.PRACTITIONER and not _treats(session, user.practitioner_id, patient_id):
        raise NotAllowed("This is not one of your patients.", code="not_your_patient")


def _treats(session: Session, practitioner_id: int | None, patient_id: int) -> bool:
    return (
        session.exec(
            select(Appointment.id).where(
                col(Appointment.practitioner_id) == practitioner_id,
                col(Appointment.patient_id) == patient_id,
            )
        ).first()
        is not None
    )

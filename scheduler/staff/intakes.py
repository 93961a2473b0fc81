"""What staff do about a patient's intake: send the form (or make a link to read out), enter a
paper form, and mark a signed intake reviewed.

The front desk may send the form, never see or enter its contents; a paper form and a review are
for admins and the patient's own practitioners. Each is audited without the answers.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from scheduler.clinic.consent import current_consent
from scheduler.clinic.intake import Signing, mark_reviewed, record_intake
from scheduler.clinic.intake_links import issue_link, retire_open_links
from scheduler.clinic.patients import get_patient
from scheduler.core import audit
from scheduler.core.policy import Policy
from scheduler.messaging.intake_texts import send_form, withdraw_intake_texts
from scheduler.models import Intake, IntakeLink, Role, User
from scheduler.staff.access import require_intake_access, require_patient_access
from scheduler.staff.patient_record import staff_audit


def give_intake_link(
    session: Session, *, user: User, patient_id: int, now: datetime, policy: Policy, send: bool
) -> IntakeLink:
    """A new link to the form, texted to the patient unless `send` is False (to read it out)."""
    get_patient(session, patient_id)
    require_patient_access(session, user, patient_id)
    actor = audit.staff(user)
    if send:
        link = send_form(session, patient_id=patient_id, now=now, actor=actor, policy=policy)
    else:
        link = issue_link(session, patient_id=patient_id, now=now, actor=actor)
    action = "intake.link_sent" if send else "intake.link_made"
    audit.record(session, actor=actor, action=action, subject=f"patient:{patient_id}", now=now)
    return link


@dataclass(frozen=True)
class Answers:
    conditions: Sequence[str]
    medications: Sequence[str]
    flags: Sequence[str]


def save_intake(
    session: Session,
    *,
    user: User,
    patient_id: int,
    answers: Answers,
    consent: bool,
    now: datetime,
) -> Intake:
    """Record the intake as `user` (an admin or one of the patient's practitioners), who has
    reviewed it by doing so."""
    intake = _record(session, user, patient_id, answers, now, consent=consent, reviewer=user.name)
    detail = f"flags={','.join(intake.flags)}, consent={consent}"
    staff_audit(session, user, "intake.recorded", patient_id, now, detail=detail)
    return intake


def enter_paper_intake(
    session: Session, *, user: User, patient_id: int, answers: Answers, now: datetime
) -> Intake:
    """A signed paper form, typed in by an admin or one of the patient's practitioners: the
    consent is recorded as signed on paper and seen by them. A practitioner who enters it has
    reviewed it. Links and texts still out for the form stop."""
    version = current_consent(session, now=now).version
    intake = _record(
        session,
        user,
        patient_id,
        answers,
        now,
        consent=True,
        reviewer=user.name if user.role == Role.PRACTITIONER else None,
        signing=Signing(version, on_paper_seen_by=user.name),
    )
    withdraw_intake_texts(session, patient_id=patient_id, now=now)
    retire_open_links(session, patient_id=patient_id, now=now)
    detail = f"on paper, consent version {version}"
    staff_audit(session, user, "intake.signed", patient_id, now, detail=detail)
    return intake


def review_intake(session: Session, *, user: User, patient_id: int, now: datetime) -> Intake:
    get_patient(session, patient_id)
    require_intake_access(session, user, patient_id)
    intake = mark_reviewed(session, patient_id=patient_id, reviewer=user.name, now=now)
    staff_audit(session, user, "intake.reviewed", patient_id, now)
    return intake


def _record(
    session: Session,
    user: User,
    patient_id: int,
    answers: Answers,
    now: datetime,
    *,
    consent: bool,
    reviewer: str | None,
    signing: Signing | None = None,
) -> Intake:
    get_patient(session, patient_id)
    require_intake_access(session, user, patient_id)
    return record_intake(
        session=session,
        now=now,
        patient_id=patient_id,
        conditions=answers.conditions,
        medications=answers.medications,
        flags=answers.flags,
        consent=consent,
        reviewed_by=reviewer,
        signing=signing,
    )

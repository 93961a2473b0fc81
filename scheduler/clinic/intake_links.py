"""A patient's personal link to the intake form: issued for one patient, it works for
LINK_LIFETIME, until it is used, or until MISSES_ALLOWED wrong dates of birth lock it. A new one
can always be issued; the patient's older links stop working once one of them is used.

The date of birth is asked before anything else, so a forwarded link does not open the form.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import case, update
from sqlmodel import Session, col

from scheduler.core import signing
from scheduler.core.errors import NotAllowed, RuleViolation
from scheduler.models import IntakeLink, Patient

LINK_LIFETIME = timedelta(days=14)
MISSES_ALLOWED = 3


def issue_link(
    session: Session,
    *,
    patient_id: int,
    now: datetime,
    actor: str,
    visit_id: int | None = None,
    sent_at: datetime | None = None,
) -> IntakeLink:
    """A new link, working for LINK_LIFETIME from `sent_at` (when its text goes out; now by
    default)."""
    link = IntakeLink(
        patient_id=patient_id,
        visit_id=visit_id,
        created_at=now,
        created_by=actor,
        expires_at=max(sent_at or now, now) + LINK_LIFETIME,
    )
    session.add(link)
    session.flush()
    return link


def linked_to(session: Session, *, token: str) -> IntakeLink | None:
    """The link the token was signed for, open or not; None when we did not sign it."""
    link_id = signing.verify(signing.signing_key(session), signing.INTAKE, token)
    return session.get(IntakeLink, link_id) if link_id is not None else None


def why_closed(link: IntakeLink, *, now: datetime) -> str | None:
    if link.used_at is not None:
        return "We already have your form from this link. Thank you."
    if link.locked_at is not None:
        return (
            "This link is locked because the date of birth did not match. Please call us and "
            "we will send you a new one."
        )
    if link.expires_at <= now:
        return "This link has expired. Please call us and we will send you a new one."
    return None


def check_date_of_birth(session: Session, *, link: IntakeLink, typed: date, now: datetime) -> None:
    """Passes when `typed` is the patient's date of birth; otherwise counts a miss (the caller
    must keep it: it is flushed before the refusal) and, at the last one, locks the link."""
    patient = session.get_one(Patient, link.patient_id)
    if typed == patient.date_of_birth:
        return
    misses = col(IntakeLink.misses) + 1
    session.execute(
        update(IntakeLink)
        .where(col(IntakeLink.id) == link.id)
        .values(misses=misses, locked_at=case((misses >= MISSES_ALLOWED, now), else_=None))
    )
    session.refresh(link)
    if link.locked_at is not None:
        raise NotAllowed(why_closed(link, now=now) or "", field="token", code="link_locked")
    left = MISSES_ALLOWED - link.misses
    raise RuleViolation(
        f"That date of birth does not match our records. {left} "
        f"{'try' if left == 1 else 'tries'} left.",
        field="date_of_birth",
        code="wrong_date_of_birth",
    )


def use_link(session: Session, *, link: IntakeLink, now: datetime) -> None:
    """This link is used, and the patient's other links stop working: one form per request.
    Refused when another request used it first."""
    used = session.execute(
        update(IntakeLink)
        .where(col(IntakeLink.id) == link.id, col(IntakeLink.used_at).is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise NotAllowed(
            "We already have your form from this link. Thank you.",
            field="token",
            code="link_closed",
        )
    retire_open_links(session, patient_id=link.patient_id, now=now)
    session.refresh(link)


def retire_open_links(session: Session, *, patient_id: int, now: datetime) -> None:
    """The patient's links not yet used stop working now: the form has arrived."""
    session.execute(
        update(IntakeLink)
        .where(
            col(IntakeLink.patient_id) == patient_id,
            col(IntakeLink.used_at).is_(None),
            col(IntakeLink.expires_at) > now,
        )
        .values(expires_at=now)
    )

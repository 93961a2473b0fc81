"""The intake: conditions, medications, contraindication flags and the signed consent, and how
long it stays current.

An intake is current for `Policy.intake_valid_months` from its signing; after that dry needling
is refused as if there were none, until the patient fills in the form again.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from scheduler.clinic.patients import get_patient
from scheduler.core.errors import RuleViolation
from scheduler.core.policy import Policy
from scheduler.models import Contraindication, Intake, IntakeLink

MOST_ENTRIES = 30
MOST_ENTRY_CHARACTERS = 200


@dataclass(frozen=True)
class Signing:
    """A consent signed now: by the typed name on the patient's form, or on paper, seen by a
    member of staff."""

    consent_version: int
    signature: str | None = None
    on_paper_seen_by: str | None = None


def record_intake(
    *,
    session: Session,
    now: datetime,
    patient_id: int,
    conditions: Sequence[str],
    medications: Sequence[str],
    flags: Sequence[str],
    consent: bool,
    reviewed_by: str | None = None,
    signing: Signing | None = None,
) -> Intake:
    """Create or replace the patient's intake. A `signing` starts a new consent now; without one,
    consent keeps its first signing time.

    The patient's row is locked first, so two first saves at once replace one another instead
    of both inserting (the second would fail on the one-intake-per-patient constraint).
    """
    get_patient(session, patient_id, lock=True)
    intake = session.exec(select(Intake).where(Intake.patient_id == patient_id)).first()
    intake = intake or Intake(patient_id=patient_id, updated_at=now)
    intake.conditions = entries(conditions, field="conditions")
    intake.medications = entries(medications, field="medications")
    intake.flags = known_flags(flags)
    if signing is not None:
        intake.consent_signed_at = now
        intake.consent_version = signing.consent_version
        intake.signature = signing.signature
        intake.signed_on_paper_seen_by = signing.on_paper_seen_by
    elif consent:
        intake.consent_signed_at = intake.consent_signed_at or now
    else:
        intake.consent_signed_at = None
    intake.reviewed_by = reviewed_by
    intake.reviewed_at = now if reviewed_by else None
    intake.updated_at = now
    session.add(intake)
    session.flush()
    return intake


def known_flags(flags: Collection[str]) -> list[str]:
    known = {flag.value for flag in Contraindication}
    unknown = [flag for flag in flags if flag not in known]
    if unknown:
        raise RuleViolation(
            f"Unknown contraindication flag(s): {', '.join(unknown)}; "
            f"use {', '.join(sorted(known))}.",
            field="flags",
            code="unknown_flag",
        )
    return sorted(set(flags))


def entries(values: Sequence[str], *, field: str) -> list[str]:
    """A list as typed, one entry per item: blanks dropped, each entry on one line."""
    cleaned = [" ".join(value.split()) for value in values]
    cleaned = [value for value in cleaned if value]
    if len(cleaned) > MOST_ENTRIES:
        raise RuleViolation(
            f"Please list at most {MOST_ENTRIES}.", field=field, code="too_many_entries"
        )
    if any(len(value) > MOST_ENTRY_CHARACTERS for value in cleaned):
        raise RuleViolation(
            f"Please keep each line under {MOST_ENTRY_CHARACTERS} characters.",
            field=field,
            code="entry_too_long",
        )
    return cleaned


def mark_reviewed(session: Session, *, patient_id: int, reviewer: str, now: datetime) -> Intake:
    intake = session.exec(select(Intake).where(Intake.patient_id == patient_id)).first()
    if intake is None or intake.consent_signed_at is None:
        raise RuleViolation(
            "There is no signed intake to review.", field="patient_id", code="intake_missing"
        )
    intake.reviewed_by, intake.reviewed_at = reviewer, now
    session.add(intake)
    session.flush()
    return intake


def valid_until(intake: Intake, policy: Policy) -> datetime | None:
    """When the signed intake stops being current; None while it is unsigned."""
    if intake.consent_signed_at is None:
        return None
    return intake.consent_signed_at + relativedelta(months=policy.intake_valid_months)


def is_current(intake: Intake | None, *, now: datetime, policy: Policy) -> bool:
    until = valid_until(intake, policy) if intake else None
    return until is not None and now < until


class IntakeState(StrEnum):
    NONE = "none"
    WAITING = "waiting"  # a link went out and still works
    NEEDS_REVIEW = "needs_review"  # current, not yet reviewed by a practitioner
    SIGNED = "signed"  # current and reviewed
    EXPIRED = "expired"  # signed once, no longer current, and no link waiting


@dataclass(frozen=True)
class IntakeStatus:
    state: IntakeState
    intake: Intake | None
    valid_until: datetime | None
    link_expires_at: datetime | None  # the newest link still open, if any

    @property
    def current(self) -> bool:
        return self.state in (IntakeState.NEEDS_REVIEW, IntakeState.SIGNED)


def intake_status(
    session: Session, *, patient_id: int, now: datetime, policy: Policy
) -> IntakeStatus:
    return intake_statuses(session, patient_ids={patient_id}, now=now, policy=policy)[patient_id]


def intake_statuses(
    session: Session, *, patient_ids: Collection[int], now: datetime, policy: Policy
) -> dict[int, IntakeStatus]:
    """Each patient's intake state, in two statements whatever their number."""
    ids = list(patient_ids)
    intakes = {
        intake.patient_id: intake
        for intake in session.exec(select(Intake).where(col(Intake.patient_id).in_(ids)))
    }
    open_links = session.exec(
        select(IntakeLink.patient_id, IntakeLink.expires_at).where(
            col(IntakeLink.patient_id).in_(ids),
            col(IntakeLink.used_at).is_(None),
            col(IntakeLink.locked_at).is_(None),
            col(IntakeLink.expires_at) > now,
        )
    ).all()
    links: dict[int, datetime] = {}
    for patient_id, expires_at in open_links:
        links[patient_id] = max(expires_at, links.get(patient_id, expires_at))
    return {
        patient_id: _status(intakes.get(patient_id), links.get(patient_id), now, policy)
        for patient_id in ids
    }


def _status(
    intake: Intake | None, link_expires_at: datetime | None, now: datetime, policy: Policy
) -> IntakeStatus:
    until = valid_until(intake, policy) if intake else None
    if until is not None and now < until:
        reviewed = intake is not None and intake.reviewed_at is not None
        state = IntakeState.SIGNED if reviewed else IntakeState.NEEDS_REVIEW
    elif link_expires_at is not None:
        state = IntakeState.WAITING
    elif until is not None:
        state = IntakeState.EXPIRED
    else:
        state = IntakeState.NONE
    return IntakeStatus(state, intake, until, link_expires_at)

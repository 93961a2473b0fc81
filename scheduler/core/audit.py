"""The audit log: who booked, moved, cancelled, completed, viewed an intake, changed a template.

Entries are written in the same transaction as the change they describe, so a change that rolls
back leaves no entry and a committed change always has one. The table refuses updates and deletes.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from scheduler.models import AuditEntry, User


def staff(user: User) -> str:
    return f"user:{user.id} {user.name}"


def patient_actor(patient_id: int) -> str:
    return f"patient:{patient_id}"


def record(
    session: Session, *, actor: str, action: str, subject: str, now: datetime, detail: str = ""
) -> None:
    session.add(AuditEntry(at=now, actor=actor, action=action, subject=subject, detail=detail))
    session.flush()


def record_change(
    session: Session, *, actor: str, action: str, subject: str, now: datetime, **changes: object
) -> None:
    """An entry whose detail lists the changed values given (None: left as it was)."""
    detail = ", ".join(f"{key}={value}" for key, value in changes.items() if value is not None)
    record(session, actor=actor, action=action, subject=subject, now=now, detail=detail)


def recent_entries(
    session: Session, *, subject: str | None = None, limit: int = 200
) -> Sequence[AuditEntry]:
    """Newest first."""
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if subject:
        query = query.where(AuditEntry.subject == subject)
    return session.exec(query).all()

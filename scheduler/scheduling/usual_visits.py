"""What the front desk usually books, offered as one-click choices on the booking page."""

from collections import Counter, defaultdict
from datetime import datetime

from sqlmodel import Session, col, select

from scheduler.models import Appointment, Service, Visit

Combination = tuple[str, ...]  # service codes in visit order


def usual_visits(
    session: Session, *, since: datetime, patient_id: int | None = None, limit: int = 4
) -> list[Combination]:
    """The patient's latest visit first, then the clinic's most booked visits since `since`
    (most booked first, ties by codes); each combination once."""
    latest = _combinations(session, since=None, patient_id=patient_id) if patient_id else {}
    found = list(latest.values())[-1:]
    counted = Counter(_combinations(session, since=since, patient_id=None).values())
    for combination, _ in sorted(counted.items(), key=lambda item: (-item[1], item[0])):
        if combination not in found:
            found.append(combination)
    return found[:limit]


def _combinations(
    session: Session, *, since: datetime | None, patient_id: int | None
) -> dict[int, Combination]:
    """Each visit's service codes, by visit id in booking order."""
    query = (
        select(Appointment.visit_id, Service.code)
        .join(Service, col(Service.id) == Appointment.service_id)
        .join(Visit, col(Visit.id) == Appointment.visit_id)
        .order_by(col(Visit.booked_at), col(Visit.id), col(Appointment.position))
    )
    if since is not None:
        query = query.where(col(Visit.booked_at) >= since)
    if patient_id is not None:
        query = query.where(col(Visit.patient_id) == patient_id)
    codes: dict[int, list[str]] = defaultdict(list)
    for visit_id, code in session.exec(query):
        codes[visit_id].append(code)
    return {visit_id: tuple(found) for visit_id, found in codes.items()}

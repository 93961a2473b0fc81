"""Whether a queued text is still right to send: the one place that says so.

A worker decides over a text's world as it read it; the claim of a text the dispatcher cleared
re-checks the rule in SQL without reading. The visit's part of the rule is one function written
with `==` and `&` only, so values as read give the decision and columns give the claim's
condition. The patient's part, consent and no opt-out, is two facts joined by "and", said in each
form here; tests/test_send_rule.py runs every case through both forms on SQLite and PostgreSQL.
"""

from typing import Any

from sqlalchemy import ColumnElement, Exists, and_, exists, literal, or_
from sqlmodel import col

from scheduler.models import Message, Patient, SmsOptOut, Visit, VisitStatus

# Which state of its visit each kind of text still makes sense in; a kind not named here (a
# reminder) needs its visit booked.
STILL_RIGHT = {
    "confirmation": VisitStatus.BOOKED,
    "reschedule_notice": VisitStatus.BOOKED,
    "cancellation_notice": VisitStatus.CANCELLED,
    "aftercare": VisitStatus.COMPLETED,
    "aftercare_checkin": VisitStatus.COMPLETED,
    "aftercare_followup": VisitStatus.COMPLETED,
}


def visit_fits(needed: VisitStatus, *, status: Any, version_now: Any, version: Any) -> Any:
    """The visit is in the state its text needs and, when that is booked, still at the version
    the text was planned for: a move bumps the version, and the text names the old time.

    Given values (a bool comes back) or columns (a SQL condition comes back) alike."""
    in_state = status == needed
    return in_state & (version_now == version) if needed == VisitStatus.BOOKED else in_state


def visit_moved_on(
    *,
    kind: str,
    visit_status: VisitStatus | None,
    visit_version: int | None,
    visit_version_now: int | None,
) -> str | None:
    """Why a text may no longer go, its visit as read having moved on (cancelled, completed,
    moved), or None while it may; a text of no visit (`visit_status` None) always may."""
    if visit_status is None:
        return None
    needed = STILL_RIGHT.get(kind, VisitStatus.BOOKED)
    if visit_fits(
        needed, status=visit_status, version_now=visit_version_now, version=visit_version
    ):
        return None
    if visit_status == needed:
        return "the visit moved"
    return f"the visit is {visit_status.value.replace('_', ' ')}"


def can_be_texted(*, consents: bool, opted_out: bool) -> bool:
    """The patient still consents to texts and the number has not opted out."""
    return consents and not opted_out


def still_right_in_sql() -> ColumnElement[bool]:
    """The rule over the message row a claim updates, for a claim that reads nothing first: its
    visit, if it has one, is as its kind of text needs, and the patient can be texted."""
    others = {kind: state for kind, state in STILL_RIGHT.items() if state != VisitStatus.BOOKED}
    booked = and_(
        col(Message.kind).not_in([literal(kind) for kind in others]),  # bound once
        _visit_fits_in_sql(VisitStatus.BOOKED),
    )
    by_kind = [
        and_(col(Message.kind) == kind, _visit_fits_in_sql(state)) for kind, state in others.items()
    ]
    visit_right = exists().where(col(Visit.id) == col(Message.visit_id), or_(booked, *by_kind))
    return and_(or_(col(Message.visit_id).is_(None), visit_right), can_be_texted_in_sql())


def _visit_fits_in_sql(needed: VisitStatus) -> ColumnElement[bool]:
    """`visit_fits` over the visit row and the message row's planned version."""
    version_now, version = col(Visit.version), col(Message.visit_version)
    fits: ColumnElement[bool] = visit_fits(
        needed, status=col(Visit.status), version_now=version_now, version=version
    )
    return fits


def can_be_texted_in_sql() -> ColumnElement[bool]:
    """`can_be_texted` over the message row's patient and number."""
    consents = exists().where(col(Patient.id) == col(Message.patient_id), col(Patient.sms_consent))
    return and_(consents, ~opted_out_in_sql())


def opted_out_in_sql() -> Exists:
    """The message row's number has opted out."""
    return exists().where(col(SmsOptOut.phone) == col(Message.to_phone))

"""The sending rule's two forms agree on every case: a worker that reads a text and decides in
Python, and a worker that claims a cleared text with the rule in SQL, on SQLite and PostgreSQL.

Each case is a text with its own patient and visit, written as rows, so the table can name
worlds the desk would rarely make (aftercare for a visit that moved before it took place).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.core import db
from scheduler.messaging.sending import claim_for_sending
from scheduler.messaging.statements import CLAIM_CLEARED
from scheduler.models import Location, Message, MessageStatus, Patient, SmsOptOut, Visit
from scheduler.models import VisitStatus as State
from tests.factories import CURRENT_TIME, POLICY, PUBLIC_URL

NOON = CURRENT_TIME + timedelta(hours=5)  # 12:00 in New York, inside the send window
SENT_OR_SETTLED = {
    MessageStatus.SENDING: True,
    MessageStatus.CANCELLED: False,
    MessageStatus.SKIPPED: False,
}


@dataclass(frozen=True)
class Case:
    right: bool  # the text is still right to send
    kind: str = "reminder_24h"
    visit: State | None = State.BOOKED  # None: the text belongs to no visit
    moved: bool = False  # the visit's version moved on from the one the text was planned at
    consents: bool = True
    opted_out: bool = False


CASES = {
    "a reminder of a booked visit": Case(True),
    "a reminder of a visit that moved": Case(False, moved=True),
    "a reminder of a cancelled visit": Case(False, visit=State.CANCELLED),
    "a reminder of a visit that started": Case(False, visit=State.CHECKED_IN),
    "a reminder of a visit that took place": Case(False, visit=State.COMPLETED),
    "a reminder of a missed visit": Case(False, visit=State.NO_SHOW),
    "a confirmation of a booked visit": Case(True, kind="confirmation"),
    "a confirmation of a visit that moved": Case(False, kind="confirmation", moved=True),
    "a reschedule notice of a booked visit": Case(True, kind="reschedule_notice"),
    "a cancellation notice of a cancelled visit": Case(
        True, kind="cancellation_notice", visit=State.CANCELLED
    ),
    "a cancellation notice of a booked visit": Case(False, kind="cancellation_notice"),
    "aftercare for a visit that took place": Case(True, kind="aftercare", visit=State.COMPLETED),
    "aftercare for a visit that moved before it took place": Case(
        True, kind="aftercare", visit=State.COMPLETED, moved=True
    ),
    "aftercare for a missed visit": Case(False, kind="aftercare", visit=State.NO_SHOW),
    "a check-in for a visit still under way": Case(
        False, kind="aftercare_checkin", visit=State.CHECKED_IN
    ),
    "a follow-up for a booked visit": Case(False, kind="aftercare_followup"),
    "an answer that belongs to no visit": Case(True, kind="reply", visit=None),
    "an answer about a booked visit": Case(True, kind="reply"),
    "an answer about a visit cancelled since": Case(False, kind="reply", visit=State.CANCELLED),
    "a waitlist offer": Case(True, kind="waitlist_offer", visit=None),
    "a reminder to a patient who withdrew consent": Case(False, consents=False),
    "a reminder to a number that opted out": Case(False, opted_out=True),
    "an answer to a patient who withdrew consent": Case(
        False, kind="reply", visit=None, consents=False
    ),
    "an answer to a number that opted out": Case(False, kind="reply", visit=None, opted_out=True),
    "aftercare to a number that opted out": Case(
        False, kind="aftercare", visit=State.COMPLETED, opted_out=True
    ),
}


def test_a_worker_deciding_and_a_claim_of_a_cleared_text_agree_on_every_case(
    engine: Engine,
) -> None:
    verdicts = {
        name: both_forms(engine, case, phone=f"+1212555{number:04d}")
        for number, (name, case) in enumerate(CASES.items())
    }

    assert verdicts == {name: (case.right, case.right) for name, case in CASES.items()}


def both_forms(engine: Engine, case: Case, *, phone: str) -> tuple[bool | None, bool]:
    """Whether a worker that reads the text sends it (True) or settles it (False), and whether
    a claim of it cleared takes it. A worker whose decision its claim contradicts does neither:
    it reads again, and at last leaves the text queued (None)."""
    read, cleared = texts(engine, case, phone=phone)
    with db.autocommit_connection(engine) as connection:
        claim_for_sending(
            connection, message_id=read, now=NOON, policy=POLICY, public_url=PUBLIC_URL
        )
        status = connection.execute(select(col(Message.status)).where(col(Message.id) == read))
        claimed = connection.execute(CLAIM_CLEARED, {"message_id": cleared, "now": NOON})
        return SENT_OR_SETTLED.get(status.scalar_one()), claimed.one_or_none() is not None


def texts(engine: Engine, case: Case, *, phone: str) -> tuple[int, int]:
    """Two queued texts of `case` to a patient of their own, with a clinic of their own: one
    for a worker to read and decide, one a dispatcher cleared."""
    with db.session(engine) as session, db.transaction(session):
        clinic = Location(name="Riverside Physio", time_zone="America/New_York")
        patient = Patient(
            name="Alex Moreno",
            phone=phone,
            date_of_birth=date(1985, 4, 12),
            sms_consent=case.consents,
            created_at=CURRENT_TIME,
        )
        if case.opted_out:
            session.add(SmsOptOut(phone=phone, opted_out_at=CURRENT_TIME, keyword="STOP"))
        session.add_all([clinic, patient])
        session.flush()
        visit_id = visit(session, case, patient=patient, clinic=clinic)
        both = [text(case, patient=patient, visit_id=visit_id, cleared=c) for c in (False, True)]
        session.add_all(both)
        session.flush()
        return both[0].id or 0, both[1].id or 0


def visit(session: Session, case: Case, *, patient: Patient, clinic: Location) -> int | None:
    """The id of the case's visit, or None for a text of no visit."""
    if case.visit is None:
        return None
    row = Visit(
        patient_id=patient.id or 0,
        location_id=clinic.id or 0,
        status=case.visit,
        version=2 if case.moved else 1,
        booked_at=CURRENT_TIME,
    )
    session.add(row)
    session.flush()
    return row.id


def text(case: Case, *, patient: Patient, visit_id: int | None, cleared: bool) -> Message:
    """A queued text of the case's kind, planned at its visit's first version: `cleared`, its
    words stored by a dispatcher, or worded when planned, as an offer is."""
    words = {"cleared_body": "Hi", "cleared_until": NOON + timedelta(hours=1)}
    return Message(
        idempotency_key=f"{patient.phone}:{cleared}",
        visit_id=visit_id,
        visit_version=1 if visit_id else None,
        patient_id=patient.id or 0,
        kind=case.kind,
        template="confirmation",
        to_phone=patient.phone,
        send_at=NOON,
        not_after=NOON + timedelta(days=1),
        status=MessageStatus.QUEUED,
        created_at=CURRENT_TIME,
        updated_at=CURRENT_TIME,
        **(words if cleared else {"body": "Hi"}),
    )

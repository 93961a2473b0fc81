"""The waitlist: freed time offered most urgent and longest waiting first, a few at a time; the
first yes books it and later ones hear it is taken; unanswered offers move on to the next."""

import threading
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.admin.practitioners import add_time_off, remove_time_off, set_working_hours
from scheduler.clinic.setup import Shift
from scheduler.core import db
from scheduler.models import (
    Appointment,
    InboundMessage,
    Message,
    MessageStatus,
    OfferStatus,
    Opening,
    Patient,
    SmsOptOut,
    Visit,
    VisitStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from scheduler.patients.replies import receive_text
from scheduler.scheduling.booking import reschedule_visit
from scheduler.scheduling.visits import cancel_visit
from scheduler.waitlist.entries import Wants, add_to_waitlist, listed_entry, remove_from_waitlist
from scheduler.waitlist.offers import offer_openings
from tests.factories import (
    CURRENT_TIME,
    POLICY,
    Clinic,
    assessed_patient,
    book,
    make_clinic,
    make_patient,
    next_weekday,
)

TUESDAY = next_weekday(1)
# Monday 10:00 in New York: inside the send window.
NOW = CURRENT_TIME + timedelta(hours=3)
PUBLIC_URL = "https://clinic.example.org"


def cancelled_massage(session: Session, clinic: Clinic, *, at: int = 10) -> Visit:
    """Alex's massage with Lena on Tuesday, cancelled: an hour of Lena's time is free."""
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, at), "massage-60", practitioner=clinic.lena)
    return cancel_visit(
        session=session,
        now=NOW - timedelta(minutes=5),
        visit_id=visit.id or 0,
        reason="ill",
        cancelled_by="front desk",
        policy=POLICY,
    )


def waiting(
    session: Session,
    name: str,
    phone: str,
    *,
    urgency: int = 1,
    added: datetime = NOW - timedelta(days=3),
    services: tuple[str, ...] = ("massage-60",),
    **wants: object,
) -> Patient:
    patient = make_patient(session, name=name, phone=phone, intake=True)
    add_to_waitlist(
        session,
        patient_id=patient.id or 0,
        wants=Wants(
            services=services,
            until=TUESDAY + timedelta(days=14),
            urgency=urgency,
            **wants,  # type: ignore[arg-type]
        ),
        now=added,
        actor="user:frontdesk",
    )
    return patient


def offer(session: Session, now: datetime = NOW, at_once: int = 2) -> int:
    policy = replace(POLICY, offers_at_once=at_once)
    return offer_openings(session, now=now, policy=policy, public_url=PUBLIC_URL)


def offers_by_patient(session: Session) -> dict[str, OfferStatus]:
    rows = session.exec(
        select(Patient.name, WaitlistOffer.status)
        .join(WaitlistEntry, col(WaitlistEntry.id) == WaitlistOffer.entry_id)
        .join(Patient, col(Patient.id) == WaitlistEntry.patient_id)
    ).all()
    return {name.split()[0]: OfferStatus(status) for name, status in rows}


def offer_texts(session: Session) -> list[Message]:
    query = select(Message).where(Message.kind == "waitlist_offer")
    return list(session.exec(query.order_by(col(Message.id))))


def reply(session: Session, phone: str, body: str, now: datetime, sid: str) -> str:
    inbound = receive_text(session, sid=sid, from_phone=phone, body=body, now=now, policy=POLICY)
    answer = session.exec(
        select(Message).where(Message.idempotency_key == f"reply:{inbound.provider_sid}")
    ).one()
    return answer.template


def test_a_cancelled_visit_goes_to_the_most_urgent_then_longest_waiting(session: Session) -> None:
    clinic = make_clinic(session)
    cancelled_massage(session, clinic)
    waiting(session, "Ann Routine", "+12125550111", added=NOW - timedelta(days=9))
    waiting(session, "Ben Urgent", "+12125550112", urgency=3)
    waiting(session, "Cal Routine", "+12125550113", added=NOW - timedelta(days=2))
    waiting(session, "Dee Soon", "+12125550114", urgency=2)

    assert offer(session) == 2

    assert offers_by_patient(session) == {"Ben": OfferStatus.OPEN, "Dee": OfferStatus.OPEN}
    texts = offer_texts(session)
    assert [t.to_phone for t in texts] == ["+12125550112", "+12125550114"]
    for text in texts:
        assert text.status == MessageStatus.SCHEDULED and text.send_at == NOW
        assert text.not_after == NOW + POLICY.offer_expiry
        assert text.body is not None
        assert f"{TUESDAY:%a %d %b} at 10:00" in text.body
        assert f"{PUBLIC_URL}/w/" in text.body
        assert "Reply YES" in text.body
    offered = session.exec(select(WaitlistOffer)).first()
    assert offered is not None and offered.starts_at == clinic.at(TUESDAY, 10)
    assert offered.plan[0]["service"] == "massage-60"


def test_the_first_yes_gets_it_and_a_later_yes_hears_it_is_taken(session: Session) -> None:
    clinic = make_clinic(session)
    cancelled_massage(session, clinic)
    ben = waiting(session, "Ben Urgent", "+12125550112", urgency=3)
    dee = waiting(session, "Dee Soon", "+12125550114", urgency=2)
    offer(session)

    later = NOW + timedelta(minutes=4)
    assert reply(session, dee.phone, "Yes", later, "SM" + "d" * 32) == "waitlist_booked"
    assert reply(session, ben.phone, "YES", later, "SM" + "b" * 32) == "waitlist_taken"
    assert reply(session, dee.phone, "y", later, "SM" + "e" * 32) == "waitlist_booked"  # again

    booked = session.exec(
        select(Visit).where(Visit.patient_id == dee.id, Visit.status == VisitStatus.BOOKED)
    ).one()
    appointment = session.exec(select(Appointment).where(Appointment.visit_id == booked.id)).one()
    assert appointment.starts_at == clinic.at(TUESDAY, 10)
    taken = session.exec(select(WaitlistOffer).where(WaitlistOffer.visit_id == booked.id)).one()
    assert appointment.practitioner_id == taken.plan[0]["practitioner_id"]
    assert offers_by_patient(session) == {"Dee": OfferStatus.ACCEPTED, "Ben": OfferStatus.TAKEN}
    entries = {e.patient_id: e for e in session.exec(select(WaitlistEntry))}
    assert entries[dee.id or 0].status == WaitlistStatus.BOOKED
    assert listed_entry(session, entries[dee.id or 0].id or 0).visit_id == booked.id
    assert entries[ben.id or 0].status == WaitlistStatus.WAITING  # still on the list
    assert booked.booked_by == f"patient:{dee.id}"
    first = session.exec(select(Opening).order_by(col(Opening.id))).first()
    assert first is not None and first.closed_at == later
    assert "booked from the waitlist" in (first.outcome or "")


def test_unanswered_offers_expire_and_the_next_patients_are_offered(session: Session) -> None:
    clinic = make_clinic(session)
    cancelled_massage(session, clinic)
    for n, name in enumerate(["Ann A", "Ben B", "Cal C"]):
        waiting(session, name, f"+1212555012{n}", added=NOW - timedelta(days=9 - n))
    offer(session)
    assert offers_by_patient(session) == {"Ann": OfferStatus.OPEN, "Ben": OfferStatus.OPEN}

    assert offer(session, NOW + timedelta(minutes=29)) == 0  # still open: nothing new
    assert offer(session, NOW + POLICY.offer_expiry) == 1

    assert offers_by_patient(session) == {
        "Ann": OfferStatus.EXPIRED,
        "Ben": OfferStatus.EXPIRED,
        "Cal": OfferStatus.OPEN,
    }
    assert offer(session, NOW + 2 * POLICY.offer_expiry) == 0  # nobody else waits
    opening = session.exec(select(Opening)).one()
    assert opening.outcome == "no one else on the waitlist suits it"


def test_a_late_yes_is_told_the_time_is_gone(session: Session) -> None:
    clinic = make_clinic(session)
    cancelled_massage(session, clinic)
    ann = waiting(session, "Ann A", "+12125550120")
    offer(session)
    offer(session, NOW + POLICY.offer_expiry)

    late = NOW + POLICY.offer_expiry + timedelta(minutes=1)
    assert reply(session, ann.phone, "yes", late, "SM" + "a" * 32) == "waitlist_taken"
    assert session.exec(select(Visit).where(Visit.patient_id == ann.id)).first() is None


def test_nothing_is_offered_in_quiet_hours_nor_too_close_to_make_it(session: Session) -> None:
    clinic = make_clinic(session)
    cancelled_massage(session, clinic)
    waiting(session, "Ann A", "+12125550120")
    monday = TUESDAY - timedelta(days=1)

    assert offer(session, clinic.at(monday, 21)) == 0
    assert offer(session, clinic.at(TUESDAY, 7, 30)) == 0
    assert session.exec(select(WaitlistOffer)).first() is None

    assert offer(session, clinic.at(TUESDAY, 9, 45)) == 0  # 30 min to answer, 1 h notice
    opening = session.exec(select(Opening)).one()
    assert opening.outcome == "too close to offer"


def test_the_offer_respects_days_times_and_who_the_patient_wants(session: Session) -> None:
    clinic = make_clinic(session)
    cancelled_massage(session, clinic)
    waiting(session, "Wed Only", "+12125550120", weekdays=[2])
    waiting(session, "Early Bird", "+12125550121", latest=datetime.min.time().replace(hour=9))
    waiting(session, "Gone Quiet", "+12125550122")
    session.add(SmsOptOut(phone="+12125550122", opted_out_at=NOW, keyword="STOP"))
    waiting(session, "Any Time", "+12125550123", practitioner_ids=[clinic.lena.id])

    offer(session)

    assert offers_by_patient(session) == {"Any": OfferStatus.OPEN}


def test_only_times_the_patient_could_book_are_offered(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "dry-needling-30", practitioner=clinic.dana)
    cancel_visit(
        session=session,
        now=NOW,
        visit_id=visit.id or 0,
        reason="ill",
        cancelled_by="front desk",
        policy=POLICY,
    )
    new = make_patient(session, name="New Patient", phone="+12125550130")  # no assessment yet
    add_to_waitlist(
        session,
        patient_id=new.id or 0,
        wants=Wants(services=["dry-needling-30"], until=TUESDAY),
        now=NOW,
        actor="user:frontdesk",
    )
    assessed = assessed_patient(session, clinic, name="Sam Assessed", phone="+12125550131", hour=11)
    add_to_waitlist(
        session,
        patient_id=assessed.id or 0,
        wants=Wants(services=["dry-needling-30"], until=TUESDAY),
        now=NOW,
        actor="user:frontdesk",
    )

    offer(session)

    assert offers_by_patient(session) == {"Sam": OfferStatus.OPEN}


def test_leaving_the_list_withdraws_the_offer_and_its_unsent_text(session: Session) -> None:
    clinic = make_clinic(session)
    cancelled_massage(session, clinic)
    ann = waiting(session, "Ann A", "+12125550120")
    offer(session)
    entry = session.exec(select(WaitlistEntry).where(WaitlistEntry.patient_id == ann.id)).one()

    remove_from_waitlist(session, entry_id=entry.id or 0, now=NOW, actor="user:frontdesk")

    assert offers_by_patient(session) == {"Ann": OfferStatus.WITHDRAWN}
    assert [t.status for t in offer_texts(session)] == [MessageStatus.CANCELLED]


def test_a_moved_visit_frees_its_old_time(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "massage-60", practitioner=clinic.lena)

    reschedule_visit(
        session=session,
        now=NOW,
        visit_id=visit.id or 0,
        start=clinic.at(TUESDAY, 15),
        policy=POLICY,
    )

    opening = session.exec(select(Opening)).one()
    assert (opening.starts_at, opening.ends_at) == (clinic.at(TUESDAY, 10), clinic.at(TUESDAY, 11))
    assert opening.cause == f"visit {visit.id} moved"


def test_five_yeses_at_once_book_one_visit_and_the_rest_hear_it_is_taken(
    engine: Engine,
) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        clinic = make_clinic(session)
        cancelled_massage(session, clinic)
        phones = [f"+1212555014{n}" for n in range(5)]
        for n, phone in enumerate(phones):
            waiting(session, f"P{n} Race", phone)
        assert offer(session, at_once=5) == 5

    start = threading.Barrier(len(phones))
    answers: dict[str, str] = {}

    def say_yes(n: int, phone: str) -> None:
        start.wait()
        with db.booking_session(engine) as session, db.transaction(session):
            answers[phone] = reply(session, phone, "YES", NOW + timedelta(minutes=2), f"SM{n:032d}")

    threads = [threading.Thread(target=say_yes, args=(n, p)) for n, p in enumerate(phones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers.values()) == ["waitlist_booked"] + ["waitlist_taken"] * 4
    with db.session(engine) as session:
        booked = session.exec(
            select(Visit).where(Visit.status == VisitStatus.BOOKED, Visit.booked_by != "")
        ).all()
        assert len(booked) == 1
        winner = next(phone for phone, answer in answers.items() if answer == "waitlist_booked")
        assert session.get_one(Patient, booked[0].patient_id).phone == winner
        statuses = sorted(offers_by_patient(session).values())
        assert statuses == [OfferStatus.ACCEPTED] + [OfferStatus.TAKEN] * 4
        assert len(session.exec(select(InboundMessage)).all()) == 5


def test_the_waitlist_says_when_an_entry_is_past_its_end_date(session: Session) -> None:
    clinic = make_clinic(session)
    cancelled_massage(session, clinic)
    patient = make_patient(session, name="Short Wait", phone="+12125550150", intake=True)
    add_to_waitlist(
        session,
        patient_id=patient.id or 0,
        wants=Wants(services=["massage-60"], until=date(2026, 11, 23)),
        now=NOW,
        actor="user:frontdesk",
    )

    offer(session, NOW + timedelta(days=1))

    entry = session.exec(select(WaitlistEntry)).one()
    assert entry.status == WaitlistStatus.ENDED


def test_longer_hours_and_cancelled_time_off_are_offered_too(session: Session) -> None:
    clinic = make_clinic(session)
    friday = TUESDAY + timedelta(days=3)
    leave = add_time_off(
        session,
        practitioner_id=clinic.lena.id or 0,
        starts_at=clinic.at(friday, 8),
        ends_at=clinic.at(friday, 17),
        reason="course",
        actor="user:ada",
        now=NOW,
    )
    remove_time_off(
        session,
        practitioner_id=clinic.lena.id or 0,
        time_off_id=leave.id or 0,
        actor="user:ada",
        now=NOW,
    )
    late_tuesdays = [Shift(weekday, time(8), time(17)) for weekday in (0, 2, 3, 4)]
    set_working_hours(
        session,
        practitioner_id=clinic.lena.id or 0,
        location_id=None,
        shifts=[*late_tuesdays, Shift(1, time(8), time(19))],
        actor="user:ada",
        now=NOW,
    )

    openings = session.exec(select(Opening).order_by(col(Opening.id))).all()
    spans = [(o.starts_at, o.ends_at) for o in openings]
    assert spans == [
        (clinic.at(friday, 8), clinic.at(friday, 17)),
        (clinic.at(TUESDAY, 17), clinic.at(TUESDAY, 19)),
        (clinic.at(TUESDAY + timedelta(days=7), 17), clinic.at(TUESDAY + timedelta(days=7), 19)),
    ]
    assert openings[0].cause == "time off of Lena Novak removed"

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from scheduler.clinic.setup import add_time_off
from scheduler.core.errors import RuleViolation
from scheduler.core.policy import Policy
from scheduler.scheduling.availability import PartRequest, Slot
from scheduler.scheduling.slots import find_open_slots
from tests.factories import (
    CURRENT_TIME,
    POLICY,
    assessed_patient,
    book,
    make_clinic,
    make_patient,
    next_weekday,
)

TUESDAY = next_weekday(1)
EVERY_DAY = range(7)


def local_starts(slots: list[Slot], zone: ZoneInfo) -> list[str]:
    return [f"{slot.starts_at.astimezone(zone):%H:%M}" for slot in slots]


def open_slots(
    session: Session,
    parts: list[PartRequest],
    day: date,
    *,
    now: datetime = CURRENT_TIME,
    days: int = 1,
    policy: Policy = POLICY,
) -> list[Slot]:
    return find_open_slots(
        session=session, now=now, parts=parts, first_day=day, days=days, policy=policy
    )


def test_it_lists_starts_on_the_grid_inside_hours(session: Session) -> None:
    clinic = make_clinic(session, lunch=None)

    slots = open_slots(
        session, [PartRequest("massage-60", practitioner_id=clinic.lena.id)], TUESDAY
    )

    starts = local_starts(slots, clinic.zone)
    assert starts[0] == "08:00"
    assert starts[-1] == "16:00"
    assert len(starts) == 33


def test_it_skips_lunch_time_off_and_bookings_with_their_cleanup(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    book(session, alex, clinic.at(TUESDAY, 9), "massage-30", practitioner=clinic.lena)
    add_time_off(
        session,
        practitioner=clinic.lena,
        starts_at=clinic.at(TUESDAY, 15),
        ends_at=clinic.at(TUESDAY, 17),
    )

    slots = open_slots(
        session, [PartRequest("massage-30", practitioner_id=clinic.lena.id)], TUESDAY
    )

    starts = local_starts(slots, clinic.zone)
    assert "08:15" in starts  # ends 08:45, cleanup to 08:55, before the 09:00 booking
    assert "08:30" not in starts  # its cleanup would run into the 09:00 booking
    assert "09:30" not in starts  # the 09:00 booking's cleanup runs to 09:40
    assert "09:45" in starts
    assert "12:15" not in starts and "12:30" not in starts and "13:00" in starts
    assert starts[-1] == "14:30"


def test_it_finds_combined_visits_with_different_practitioners(session: Session) -> None:
    clinic = make_clinic(session)

    slots = open_slots(
        session, [PartRequest("dry-needling-30"), PartRequest("massage-60")], TUESDAY
    )

    first = slots[0]
    assert first.starts_at.astimezone(clinic.zone).time() == time(8)
    needling, massage = first.appointments
    assert massage.starts_at == needling.ends_at
    assert needling.practitioner_id in (clinic.dana.id, clinic.marcus.id)


def test_it_respects_notice_and_horizon(session: Session) -> None:
    clinic = make_clinic(session, workdays=EVERY_DAY)
    now = clinic.at(TUESDAY, 10, 5).astimezone(UTC)

    slots = open_slots(
        session,
        [PartRequest("massage-30")],
        TUESDAY,
        now=now,
        days=3,
        policy=Policy(minimum_notice=timedelta(hours=1), horizon=timedelta(days=1)),
    )

    assert slots[0].starts_at == clinic.at(TUESDAY, 11, 15)
    assert slots[-1].starts_at <= now + timedelta(days=1)


def test_it_stops_offering_needling_after_the_certificate_expires(session: Session) -> None:
    clinic = make_clinic(session)
    expiry = clinic.marcus.needling_certified_until
    assert expiry is not None
    day_after = next_weekday(2, datetime.combine(expiry, time(12), tzinfo=UTC))

    slots = open_slots(session, [PartRequest("dry-needling-30")], day_after)

    assert {s.appointments[0].practitioner_id for s in slots} == {clinic.dana.id}


def test_it_refuses_an_unqualified_practitioner_preference(session: Session) -> None:
    clinic = make_clinic(session)

    with pytest.raises(RuleViolation, match="no dry needling certificate on file"):
        open_slots(
            session, [PartRequest("dry-needling-30", practitioner_id=clinic.priya.id)], TUESDAY
        )


TRANSITIONS = [
    ("America/New_York", date(2026, 3, 8), "02:30"),
    ("America/New_York", date(2026, 11, 1), None),
    ("Europe/Amsterdam", date(2026, 3, 29), "02:30"),
    ("Europe/Amsterdam", date(2026, 10, 25), None),
]


@pytest.mark.parametrize(("zone", "day", "gap"), TRANSITIONS)
def test_it_offers_slots_from_nine_local_on_dst_days(
    session: Session, zone: str, day: date, gap: str | None
) -> None:
    now = datetime.combine(day - timedelta(days=3), time(12), tzinfo=UTC)
    clinic = make_clinic(
        session,
        time_zone=zone,
        opening=(time(7), time(20)),
        hours=(time(9), time(17)),
        lunch=None,
        workdays=EVERY_DAY,
        today=now.date(),
    )

    slots = open_slots(
        session, [PartRequest("massage-60", practitioner_id=clinic.lena.id)], day, now=now
    )

    starts = local_starts(slots, clinic.zone)
    assert starts[0] == "09:00"
    assert starts[-1] == "16:00"
    assert len(starts) == 29
    assert all(s.starts_at.astimezone(clinic.zone).date() == day for s in slots)
    hours = {(s.appointments[0].ends_at - s.starts_at) for s in slots}
    assert hours == {timedelta(hours=1)}


@pytest.mark.parametrize(("zone", "day"), [(z, d) for z, d, gap in TRANSITIONS if gap])
def test_it_refuses_a_booking_at_a_time_the_clock_skips(
    session: Session, zone: str, day: date
) -> None:
    now = datetime.combine(day - timedelta(days=3), time(12), tzinfo=UTC)
    clinic = make_clinic(
        session,
        time_zone=zone,
        opening=(time(0), time(23)),
        hours=(time(0), time(23)),
        lunch=None,
        workdays=EVERY_DAY,
        today=now.date(),
    )
    bea = make_patient(session)

    with pytest.raises(RuleViolation, match="does not exist") as refused:
        book(session, bea, clinic.at(day, 2, 30), "massage-30", now=now)
    assert refused.value.code == "nonexistent_local_time"


def test_it_leaves_out_times_the_patient_is_already_booked(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    book(session, alex, clinic.at(TUESDAY, 10), "massage-60", practitioner=clinic.lena)

    slots = find_open_slots(
        session=session,
        now=CURRENT_TIME,
        parts=[PartRequest("exercise-45", practitioner_id=clinic.dana.id)],
        first_day=TUESDAY,
        days=1,
        patient_id=alex.id,
        policy=POLICY,
    )

    starts = local_starts(slots, clinic.zone)
    assert "09:15" in starts and "11:00" in starts
    assert not {"09:30", "10:00", "10:45"} & set(starts)

"""Admin edits: each keeps its rules, never strands a booked visit, and leaves an audit entry."""

from datetime import date, time, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from scheduler.admin.clinic import add_service, update_location, update_room, update_service
from scheduler.admin.practitioners import (
    add_practitioner,
    add_time_off,
    remove_time_off,
    set_certification,
    set_working_hours,
    update_practitioner,
)
from scheduler.clinic.setup import Shift
from scheduler.core import audit
from scheduler.core.errors import Conflict, NotFound, RuleViolation
from scheduler.models import Profession, RoomKind, ServiceKind
from tests.factories import CURRENT_TIME, Clinic, assessed_patient, book, make_clinic, next_weekday

ADMIN = "user:1 ada"
BY_ADMIN: dict[str, Any] = {"actor": ADMIN, "now": CURRENT_TIME}
TUESDAY = next_weekday(1)


def booked_tuesday_needling(session: Session, clinic: Clinic) -> int:
    alex = assessed_patient(session, clinic)
    visit = book(session, alex, clinic.at(TUESDAY, 10), "dry-needling-30", practitioner=clinic.dana)
    return visit.id or 0


def actions(session: Session) -> list[str]:
    return [entry.action for entry in audit.recent_entries(session)]


def test_it_changes_a_service_for_later_bookings_and_audits_it(session: Session) -> None:
    make_clinic(session)
    service = update_service(session, service_id=1, **BY_ADMIN, name="Assessment, long", minutes=75)

    assert (service.name, service.duration_minutes) == ("Assessment, long", 75)
    entry = audit.recent_entries(session)[0]
    assert (entry.action, entry.subject, entry.actor) == ("service.updated", "service:1", ADMIN)
    assert "minutes=75" in entry.detail


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"minutes": 0}, "duration_minutes"),
        ({"cleanup_minutes": -5}, "duration_minutes"),
        ({"professions": []}, "professions"),
        ({"name": "  "}, "name"),
    ],
)
def test_it_refuses_a_service_that_cannot_be_given(
    session: Session, changes: dict[str, object], field: str
) -> None:
    make_clinic(session)
    with pytest.raises(RuleViolation) as refused:
        update_service(session, service_id=1, **BY_ADMIN, **changes)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_it_refuses_a_second_service_with_the_same_code(session: Session) -> None:
    make_clinic(session)
    with pytest.raises(RuleViolation, match="already a service") as refused:
        add_service(
            session,
            code="massage-30",
            name="Another massage",
            kind=ServiceKind.MASSAGE,
            minutes=30,
            cleanup_minutes=0,
            room_kind=RoomKind.TREATMENT_ROOM,
            professions=[Profession.MASSAGE_THERAPIST],
            **BY_ADMIN,
        )
    assert refused.value.code == "code_taken"


def test_it_will_not_turn_a_room_with_visits_booked_into_a_gym(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    book(session, alex, clinic.at(TUESDAY, 10), "massage-30", room=clinic.rooms["Room 2"])

    with pytest.raises(Conflict, match="visit") as refused:
        update_room(
            session,
            room_id=clinic.rooms["Room 2"].id or 0,
            kind=RoomKind.GYM,
            **BY_ADMIN,
        )
    assert refused.value.code == "visits_booked"
    renamed = update_room(
        session,
        room_id=clinic.rooms["Gym"].id or 0,
        name="Big gym",
        **BY_ADMIN,
    )
    assert renamed.name == "Big gym"


def test_it_keeps_opening_hours_around_the_visits_booked(session: Session) -> None:
    clinic = make_clinic(session)
    booked_tuesday_needling(session, clinic)
    short_tuesday = {TUESDAY.weekday(): (time(12), time(18))}

    with pytest.raises(Conflict, match="outside those opening hours"):
        update_location(
            session,
            location_id=clinic.location.id or 0,
            opening=short_tuesday,
            **BY_ADMIN,
        )
    with pytest.raises(Conflict, match="current clock"):
        update_location(
            session,
            location_id=clinic.location.id or 0,
            time_zone="Europe/Amsterdam",
            **BY_ADMIN,
        )
    with pytest.raises(RuleViolation) as unknown_zone:
        update_location(
            session,
            location_id=clinic.location.id or 0,
            time_zone="Mars/Olympus",
            **BY_ADMIN,
        )
    assert unknown_zone.value.code == "unknown_time_zone"


def test_it_adds_a_practitioner_who_books_once_they_have_hours(session: Session) -> None:
    clinic = make_clinic(session)
    sam = add_practitioner(
        session,
        name="Sam Okafor",
        profession=Profession.MASSAGE_THERAPIST,
        **BY_ADMIN,
    )
    set_working_hours(
        session,
        practitioner_id=sam.id or 0,
        location_id=clinic.location.id or 0,
        shifts=[Shift(TUESDAY.weekday(), time(9), time(17), time(12), time(12, 30))],
        **BY_ADMIN,
    )
    alex = assessed_patient(session, clinic)

    visit = book(session, alex, clinic.at(TUESDAY, 9), "massage-60", practitioner=sam)

    assert visit.id is not None
    assert actions(session)[:1] == ["visit.booked"]
    assert {"practitioner.created", "working_hours.set"} <= set(actions(session))


@pytest.mark.parametrize(
    ("shift", "code"),
    [
        (Shift(1, time(17), time(9)), "bad_hours"),
        (Shift(1, time(9), time(17), time(8), time(9)), "bad_break"),
        (Shift(1, time(9), time(17), time(12)), "bad_break"),
        (Shift(7, time(9), time(17)), "bad_weekday"),
    ],
)
def test_it_refuses_hours_that_make_no_sense(session: Session, shift: Shift, code: str) -> None:
    clinic = make_clinic(session)
    with pytest.raises(RuleViolation) as refused:
        set_working_hours(
            session,
            practitioner_id=clinic.dana.id or 0,
            location_id=clinic.location.id or 0,
            shifts=[shift],
            **BY_ADMIN,
        )
    assert refused.value.code == code


def test_it_will_not_shorten_hours_under_a_booked_visit(session: Session) -> None:
    clinic = make_clinic(session)
    booked_tuesday_needling(session, clinic)
    afternoons = [Shift(day, time(13), time(17)) for day in range(5)]

    with pytest.raises(Conflict, match="outside those hours"):
        set_working_hours(
            session,
            practitioner_id=clinic.dana.id or 0,
            location_id=clinic.location.id or 0,
            shifts=afternoons,
            **BY_ADMIN,
        )


def test_it_refuses_time_off_over_a_booked_visit_and_names_it(session: Session) -> None:
    clinic = make_clinic(session)
    visit_id = booked_tuesday_needling(session, clinic)

    with pytest.raises(Conflict, match=f"visit {visit_id} on Tue") as refused:
        add_time_off(
            session,
            practitioner_id=clinic.dana.id or 0,
            starts_at=clinic.at(TUESDAY, 8),
            ends_at=clinic.at(TUESDAY, 12),
            reason="dentist",
            **BY_ADMIN,
        )
    assert refused.value.code == "visits_booked"


def test_it_adds_and_removes_time_off(session: Session) -> None:
    clinic = make_clinic(session)
    leave = add_time_off(
        session,
        practitioner_id=clinic.dana.id or 0,
        starts_at=clinic.at(TUESDAY, 8),
        ends_at=clinic.at(TUESDAY, 12),
        reason="dentist",
        **BY_ADMIN,
    )
    with pytest.raises(RuleViolation, match="ends before it starts"):
        add_time_off(
            session,
            practitioner_id=clinic.dana.id or 0,
            starts_at=clinic.at(TUESDAY, 12),
            ends_at=clinic.at(TUESDAY, 8),
            reason="",
            **BY_ADMIN,
        )

    remove_time_off(
        session,
        practitioner_id=clinic.dana.id or 0,
        time_off_id=leave.id or 0,
        **BY_ADMIN,
    )

    assert actions(session)[:2] == ["time_off.removed", "time_off.added"]
    with pytest.raises(NotFound):
        remove_time_off(
            session,
            practitioner_id=clinic.dana.id or 0,
            time_off_id=leave.id or 0,
            **BY_ADMIN,
        )


def test_it_keeps_a_certificate_that_booked_needling_relies_on(session: Session) -> None:
    clinic = make_clinic(session)
    booked_tuesday_needling(session, clinic)

    with pytest.raises(Conflict, match="dry needling booked after that"):
        set_certification(
            session,
            practitioner_id=clinic.dana.id or 0,
            issued_by=None,
            valid_until=None,
            **BY_ADMIN,
        )
    renewed = set_certification(
        session,
        practitioner_id=clinic.dana.id or 0,
        issued_by="Dry Needling Institute",
        valid_until=TUESDAY,
        **BY_ADMIN,
    )
    assert renewed.needling_certified_until == TUESDAY


def test_it_wants_both_halves_of_a_certificate(session: Session) -> None:
    clinic = make_clinic(session)
    with pytest.raises(RuleViolation) as refused:
        set_certification(
            session,
            practitioner_id=clinic.priya.id or 0,
            issued_by="Dry Needling Institute",
            valid_until=None,
            **BY_ADMIN,
        )
    assert refused.value.field == "valid_until"


def test_it_certifies_a_practitioner_who_may_then_needle(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    set_certification(
        session,
        practitioner_id=clinic.priya.id or 0,
        issued_by="Dry Needling Institute",
        valid_until=date(2027, 12, 31),
        **BY_ADMIN,
    )

    visit = book(
        session, alex, clinic.at(TUESDAY, 11), "dry-needling-30", practitioner=clinic.priya
    )

    assert visit.id is not None


def test_it_deactivates_a_practitioner_only_once_their_visits_are_moved(session: Session) -> None:
    clinic = make_clinic(session)
    booked_tuesday_needling(session, clinic)

    with pytest.raises(Conflict, match="still has visits booked"):
        update_practitioner(
            session,
            practitioner_id=clinic.dana.id or 0,
            active=False,
            **BY_ADMIN,
        )
    with pytest.raises(Conflict, match="does not give"):
        update_practitioner(
            session,
            practitioner_id=clinic.dana.id or 0,
            profession=Profession.MASSAGE_THERAPIST,
            **BY_ADMIN,
        )
    later = CURRENT_TIME + timedelta(days=30)
    left = update_practitioner(
        session, practitioner_id=clinic.dana.id or 0, active=False, actor=ADMIN, now=later
    )
    assert not left.active

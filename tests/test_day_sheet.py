from sqlmodel import Session

from scheduler.staff.day_sheet import practitioner_day
from tests.factories import assessed_patient, book, make_clinic, make_patient, next_weekday

TUESDAY = next_weekday(1)


def test_it_lists_the_day_with_flags_and_first_needling(session: Session) -> None:
    clinic = make_clinic(session)
    alex = assessed_patient(session, clinic)
    bea = make_patient(session, name="Bea", phone="+12125550199", intake=True, flags=["pregnancy"])
    nine = clinic.at(TUESDAY, 9)
    book(session, bea, nine, "assessment-60", "dry-needling-30", practitioner=clinic.dana)
    book(session, alex, clinic.at(TUESDAY, 14), "dry-needling-15", practitioner=clinic.dana)
    book(session, alex, clinic.at(TUESDAY, 16), "massage-30", practitioner=clinic.lena)

    day = practitioner_day(session, practitioner_id=clinic.dana.id or 0, day=TUESDAY)

    assert [(e.starts_at.astimezone(clinic.zone).strftime("%H:%M"), e.patient) for e in day] == [
        ("09:00", "Bea"),
        ("10:00", "Bea"),
        ("14:00", "Alex Moreno"),
    ]
    assessment, needling, alex_needling = day
    assert needling.first_needling and alex_needling.first_needling
    assert not assessment.first_needling
    assert needling.intake_flags == ("pregnancy",)
    assert needling.visit_services == ("assessment-60", "dry-needling-30")
    assert needling.room.startswith("Room")

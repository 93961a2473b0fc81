"""The catalogue kept in memory is never older than the database: every write to its tables, from
any process and by any route, is seen by the next transaction, and by the one that made it."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, event, inspect
from sqlmodel import col

from scheduler.clinic.catalogue import catalogue
from scheduler.core import db
from scheduler.core.errors import NotFound, RuleViolation
from scheduler.models import CatalogueVersion, Practitioner, TimeOff, WorkingHours
from scheduler.scheduling.rules import get_practitioner
from tests.factories import CURRENT_TIME, Clinic, assessed_patient, book, make_clinic, next_weekday

CATALOGUE_TABLES = ("location", "opening_hours", "service", "practitioner", "room", "working_hours")
TUESDAY = next_weekday(1)


@pytest.fixture
def clinic(engine: Engine) -> Clinic:
    with db.booking_session(engine) as session, db.transaction(session):
        return make_clinic(session)


def version(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(col(CatalogueVersion.version))).scalar_one())


@pytest.mark.parametrize("table", CATALOGUE_TABLES)
def test_a_write_to_any_catalogue_table_changes_the_version(
    engine: Engine, clinic: Clinic, table: str
) -> None:
    before = version(engine)
    with engine.begin() as connection:  # plain SQL, as another program would write it
        connection.execute(sa.text(f"UPDATE {table} SET id = id WHERE id = 1"))

    assert version(engine) != before


def test_time_off_is_read_for_the_days_asked_and_leaves_the_version_alone(
    engine: Engine, clinic: Clinic
) -> None:
    before = version(engine)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(TimeOff).values(
                practitioner_id=clinic.dana.id, starts_at=CURRENT_TIME, ends_at=CURRENT_TIME
            )
        )

    assert version(engine) == before


def test_hours_changed_by_another_process_apply_to_the_next_booking(
    engine: Engine, clinic: Clinic
) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        alex = assessed_patient(session, clinic)  # a booking: the catalogue is now remembered
    with engine.begin() as connection:  # Dana now stops at 09:00, written outside this process
        connection.execute(
            sa.update(WorkingHours)
            .where(col(WorkingHours.practitioner_id) == clinic.dana.id)
            .values(ends=time(9))
        )

    with db.booking_session(engine) as session, pytest.raises(RuleViolation) as refused:
        book(session, alex, clinic.at(TUESDAY, 10), "dry-needling-30", practitioner=clinic.dana)
    assert refused.value.code == "outside_hours"


def test_a_change_is_seen_in_its_own_transaction_and_forgotten_when_rolled_back(
    engine: Engine, clinic: Clinic
) -> None:
    lena = clinic.lena.id or 0
    with db.booking_session(engine) as session:
        assert get_practitioner(session, lena).active
        session.get_one(Practitioner, lena).active = False
        session.flush()
        with pytest.raises(NotFound):
            get_practitioner(session, lena)
        session.rollback()

        assert get_practitioner(session, lena).active


def test_it_asks_for_the_version_once_per_transaction(engine: Engine, clinic: Clinic) -> None:
    with db.booking_session(engine) as session, counted_version_reads(engine) as reads:
        first = catalogue(session)
        catalogue(session)
        assert len(reads) == 1
        session.commit()
        again = catalogue(session)

        assert len(reads) == 2
        assert again is first  # nothing changed: the same objects, not read again


def test_its_objects_are_detached_so_no_session_can_change_them(
    engine: Engine, clinic: Clinic
) -> None:
    with db.booking_session(engine) as session:
        dana = get_practitioner(session, clinic.dana.id or 0)
        assert inspect(dana).detached
        assert session.get_one(Practitioner, clinic.dana.id) is not dana


@contextmanager
def counted_version_reads(engine: Engine) -> Iterator[list[str]]:
    """The statements that read the catalogue's version while the block runs."""
    reads: list[str] = []

    def seen(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        if "catalogue_version" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield reads
    finally:
        event.remove(engine, "before_cursor_execute", seen)

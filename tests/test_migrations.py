"""The migrations build exactly the schema the models describe, and can be undone.

Comparing the two is what keeps a generated migration from dropping what the models do not
name: migration 0003 once dropped the busy-time index that way.
"""

import sqlite3
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from scheduler.core.db import make_engine
from scheduler.core.migrate import alembic_config, upgrade


def differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), SQLModel.metadata))


def test_the_migrated_database_is_what_the_models_describe(engine: Engine) -> None:
    assert differences(engine) == []


def test_every_migration_can_be_undone_and_done_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'triggerpoint.sqlite3'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    assert inspect(engine).get_table_names() == ["alembic_version"]
    engine.dispose()

    upgrade(url)
    engine = make_engine(url)
    assert differences(engine) == []
    engine.dispose()


def test_texts_not_yet_tried_lose_the_words_an_earlier_clearing_stored_in_their_body(
    tmp_path: Path,
) -> None:
    """Migration 0010: a cleared text's words move beside its body; a text deferred after a
    clearing is worded again; an offer's planned words and every tried text's stay."""
    path = tmp_path / "triggerpoint.sqlite3"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "0009")
    texts = {  # kind, status, attempts, cleared until, body
        "cleared": ("reminder_24h", "queued", 0, "2026-11-23 20:00:00+00:00", "Cleared words"),
        "deferred": ("reminder_2h", "scheduled", 0, None, "Words from last night"),
        "offer": ("waitlist_offer", "scheduled", 0, None, "A time came free"),
        "retried": ("confirmation", "queued", 1, "2026-11-23 20:00:00+00:00", "Tried once"),
    }
    with sqlite3.connect(path) as database:
        database.execute(
            "INSERT INTO patient (id, name, phone, date_of_birth, sms_consent, created_at)"
            " VALUES (1, 'Alex Moreno', '+12125550101', '1980-01-01', 1, '2026-11-22 08:00:00')"
        )
        for key, (kind, status, attempts, cleared_until, body) in texts.items():
            database.execute(
                "INSERT INTO message (idempotency_key, patient_id, kind, template, to_phone,"
                " body, send_at, not_after, status, attempts, cleared_until, created_at,"
                " updated_at) VALUES (?, 1, ?, ?, '+12125550101', ?, '2026-11-23 08:00:00',"
                " '2026-11-23 20:00:00', ?, ?, ?, '2026-11-22 08:00:00', '2026-11-22 08:00:00')",
                (key, kind, kind, body, status, attempts, cleared_until),
            )

    upgrade(url)
    with sqlite3.connect(path) as database:
        after = dict(
            (key, (body, cleared_body))
            for key, body, cleared_body in database.execute(
                "SELECT idempotency_key, body, cleared_body FROM message"
            )
        )
    command.downgrade(alembic_config(url), "0009")
    with sqlite3.connect(path) as database:
        undone = dict(database.execute("SELECT idempotency_key, body FROM message"))

    assert after == {
        "cleared": (None, "Cleared words"),
        "deferred": (None, None),
        "offer": ("A time came free", None),
        "retried": ("Tried once", None),
    }
    assert undone == {
        "cleared": "Cleared words",
        "deferred": None,
        "offer": "A time came free",
        "retried": "Tried once",
    }

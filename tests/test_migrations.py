"""The migrations build exactly the schema the models describe, and can be undone.

Comparing the two is what keeps a generated migration from dropping what the models do not
name: migration 0003 once dropped the busy-time index that way.
"""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from scheduler.db import make_engine
from scheduler.migrate import alembic_config, upgrade


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

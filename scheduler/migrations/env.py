"""Alembic environment: migrates the database named by the settings (or the caller's URL)."""

from alembic import context
from sqlmodel import SQLModel

import scheduler.models  # noqa: F401  (registers every table on the metadata)
from scheduler.core.db import make_engine

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url") or None
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()

"""a version number for the clinic's catalogue, changed by triggers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What booking reads on every request and only an admin changes. Time off is left out: it is
# read for the days in question, not kept.
CATALOGUE = ("location", "opening_hours", "service", "practitioner", "room", "working_hours")
# A new random number, not the next one: a change that is rolled back must not leave its number
# to the next change, or a catalogue read inside the rolled-back transaction would pass for it.
NEW_VERSION = {
    "postgresql": "UPDATE catalogue_version SET version = floor(random() * 4e18)::bigint",
    "sqlite": "UPDATE catalogue_version SET version = random()",
}


def upgrade() -> None:
    version = op.create_table(
        "catalogue_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(version, [{"id": 1, "version": secrets.randbits(62)}])
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION new_catalogue_version() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {NEW_VERSION[dialect]}; RETURN NULL; END $$"
        )
        for table in CATALOGUE:
            op.execute(
                f"CREATE TRIGGER {table}_catalogue_version "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION new_catalogue_version()"
            )
    else:  # SQLite has row triggers only, one per event
        for table in CATALOGUE:
            for event in ("insert", "update", "delete"):
                op.execute(
                    f"CREATE TRIGGER {table}_catalogue_version_{event} AFTER {event.upper()} "
                    f"ON {table} BEGIN {NEW_VERSION[dialect]}; END"
                )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in CATALOGUE:
            op.execute(f"DROP TRIGGER {table}_catalogue_version ON {table}")
        op.execute("DROP FUNCTION new_catalogue_version()")
    else:
        for table in CATALOGUE:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_catalogue_version_{event}")
    op.drop_table("catalogue_version")

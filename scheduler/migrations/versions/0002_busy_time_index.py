"""Index that answers "who is busy in this window" from the index alone

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

Availability loads every booked interval of a month in one query; with the columns it needs in
the index, the database never has to visit the table rows.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["starts_at", "busy_until", "practitioner_id", "room_id", "status"]


def upgrade() -> None:
    op.create_index("ix_appointment_busy_time", "appointment", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_appointment_busy_time", table_name="appointment")

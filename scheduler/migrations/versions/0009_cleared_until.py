"""the instant until which a dispatcher's decision to send a queued text holds

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21

The dispatcher now reads the world of the texts it hands out, all of a tick's at once, settles
those that must not go, and stores the others' words with the instant its decision holds until.
A worker then claims such a text with one conditional update instead of a read and an update.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message") as message:
        message.add_column(sa.Column("cleared_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message") as message:
        message.drop_column("cleared_until")

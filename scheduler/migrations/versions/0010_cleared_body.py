"""the words a dispatcher rendered when it cleared a text, kept apart from the words sent

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22

A cleared text's words were stored as its body, which also holds the words a text was planned
with (an offer, an answer). A text deferred after it was cleared then kept words rendered the
day before. The clearing's words now have a column of their own, forgotten on deferral; the
body is what was planned or, once claimed, what was sent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message") as message:
        message.add_column(sa.Column("cleared_body", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message") as message:
        message.drop_column("cleared_body")

"""a visit moved from inside the late-cancel window remembers it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08

Moving a visit the day before to next week and then cancelling it would otherwise dodge the
late-cancel rule; a visit moved from inside the window keeps its lateness for a later
cancellation. Visits moved before this migration are taken as moved in time.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visit") as visit:
        visit.add_column(
            sa.Column("moved_late", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("visit") as visit:
        visit.drop_column("moved_late")

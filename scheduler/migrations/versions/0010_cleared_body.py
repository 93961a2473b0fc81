"""the words a dispatcher rendered when it cleared a text, kept apart from the words sent

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22

A cleared text's words were stored as its body, which also holds the words a waitlist offer
is planned with. A text deferred after it was cleared then kept words rendered the day before.
The clearing's words now have a column of their own, forgotten on deferral; the body is what
was planned or, once claimed, what was sent.

Texts not yet tried keep no rendered words in their body: a cleared one's move to the new
column, any other's (deferred or swept back after a clearing) are dropped and rendered again.
Undone, the clearing's words go back to the body, where the earlier code looks for them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


PLANNED_WORDS = "waitlist_offer"  # the one kind whose body is written when it is planned


def upgrade() -> None:
    with op.batch_alter_table("message") as message:
        message.add_column(sa.Column("cleared_body", sa.String(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE message"
            " SET cleared_body = CASE WHEN cleared_until IS NOT NULL THEN body END, body = NULL"
            " WHERE status IN ('scheduled', 'queued') AND attempts = 0"
            " AND kind <> :planned AND body IS NOT NULL"
        ).bindparams(planned=PLANNED_WORDS)
    )


def downgrade() -> None:
    op.execute("UPDATE message SET body = cleared_body WHERE body IS NULL")
    with op.batch_alter_table("message") as message:
        message.drop_column("cleared_body")

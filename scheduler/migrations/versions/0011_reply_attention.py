"""why a patient's reply needs a person, in the words the inbox shows

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

Replies are now read for the warning signs after dry needling, and an opt-out (CANCEL, STOP)
from a patient reaches the inbox too, so the inbox says why each reply is there: the signs a
reply describes, the signs it mentions only as absent, or that the patient can no longer be
texted. Replies stored before keep an empty reason; the inbox then says it from their meaning.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_message") as inbound:
        inbound.add_column(sa.Column("attention", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_message") as inbound:
        inbound.drop_column("attention")

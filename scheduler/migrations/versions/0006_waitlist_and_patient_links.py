"""the waitlist, its openings and offers, and the key that signs patients' links

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def instant(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "waitlist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("practitioner_ids", sa.JSON(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("earliest", sa.Time(), nullable=True),
        sa.Column("latest", sa.Time(), nullable=True),
        sa.Column("urgency", sa.Integer(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=7), nullable=False),
        instant("added_at"),
        sa.Column("added_by", sa.String(), nullable=False),
        instant("closed_at", nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_waitlist_entry_patient_id", "waitlist_entry", ["patient_id"])
    op.create_index("ix_waitlist_entry_status", "waitlist_entry", ["status"])
    op.create_table(
        "opening",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        instant("starts_at"),
        instant("ends_at"),
        sa.Column("cause", sa.String(), nullable=False),
        instant("found_at"),
        instant("closed_at", nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_opening_closed_at", "opening", ["closed_at"])
    op.create_table(
        "waitlist_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("opening_id", sa.Integer(), nullable=False),
        instant("starts_at"),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        instant("offered_at"),
        instant("expires_at"),
        instant("answered_at", nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["waitlist_entry.id"]),
        sa.ForeignKeyConstraint(["opening_id"], ["opening.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "opening_id"),
    )
    op.create_index("ix_waitlist_offer_entry_id", "waitlist_offer", ["entry_id"])
    op.create_index("ix_waitlist_offer_opening_id", "waitlist_offer", ["opening_id"])
    op.create_index("ix_waitlist_offer_status", "waitlist_offer", ["status"])
    signing_key = op.create_table(
        "signing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        instant("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    # Every database gets its own key, so no two clinics' links can be forged from one another.
    op.bulk_insert(
        signing_key, [{"id": 1, "key": secrets.token_hex(32), "created_at": datetime.now(UTC)}]
    )


def downgrade() -> None:
    op.drop_table("signing_key")
    op.drop_table("waitlist_offer")
    op.drop_table("opening")
    op.drop_table("waitlist_entry")

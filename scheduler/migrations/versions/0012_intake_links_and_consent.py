"""the intake a patient gives by their own link, the consent text they sign, by version, and
a treatment plan's spacing

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08

A patient fills in the intake and signs the consent from a personal link (`intake_link`); the
consent's words are kept as versions (`consent_text`) and the intake says which one was signed,
by which typed name, or that it was a paper form and who saw it. Intake texts say which link they
carry (`message.intake_link_id`). Intakes recorded before keep empty columns: their consent was
recorded by staff. A plan keeps the days between its visits, so it can be extended.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def instant(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "consent_text",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        instant("created_at"),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "intake_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        instant("created_at"),
        sa.Column("created_by", sa.String(), nullable=False),
        instant("expires_at"),
        instant("used_at", nullable=True),
        sa.Column("misses", sa.Integer(), nullable=False),
        instant("locked_at", nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_intake_link_patient_id", "intake_link", ["patient_id"])
    with op.batch_alter_table("intake") as intake:
        intake.add_column(sa.Column("consent_version", sa.Integer(), nullable=True))
        intake.add_column(sa.Column("signature", sa.String(), nullable=True))
        intake.add_column(sa.Column("signed_on_paper_seen_by", sa.String(), nullable=True))
        intake.add_column(instant("reviewed_at", nullable=True))
        intake.create_foreign_key(
            "fk_intake_consent_version", "consent_text", ["consent_version"], ["version"]
        )
    # An intake a member of staff recorded was reviewed by them when they recorded it.
    op.execute("UPDATE intake SET reviewed_at = updated_at WHERE reviewed_by IS NOT NULL")
    with op.batch_alter_table("treatment_plan") as plan:
        plan.add_column(sa.Column("every_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("message") as message:
        message.add_column(sa.Column("intake_link_id", sa.Integer(), nullable=True))
        message.create_foreign_key(
            "fk_message_intake_link_id", "intake_link", ["intake_link_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("message") as message:
        message.drop_constraint("fk_message_intake_link_id", type_="foreignkey")
        message.drop_column("intake_link_id")
    with op.batch_alter_table("treatment_plan") as plan:
        plan.drop_column("every_days")
    with op.batch_alter_table("intake") as intake:
        intake.drop_constraint("fk_intake_consent_version", type_="foreignkey")
        intake.drop_column("reviewed_at")
        intake.drop_column("signed_on_paper_seen_by")
        intake.drop_column("signature")
        intake.drop_column("consent_version")
    op.drop_index("ix_intake_link_patient_id", table_name="intake_link")
    op.drop_table("intake_link")
    op.drop_table("consent_text")

"""messages

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_template",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "sms_opt_out",
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("keyword", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("phone"),
    )
    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_sid", sa.String(), nullable=False),
        sa.Column("from_phone", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("meaning", sa.String(), nullable=False),
        sa.Column("soreness", sa.Integer(), nullable=True),
        sa.Column("needs_attention", sa.Boolean(), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_sid"),
    )
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_message_from_phone"), ["from_phone"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_message_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_message_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("visit_version", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("template", sa.String(), nullable=False),
        sa.Column("to_phone", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=True),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "queued",
                "sending",
                "sent",
                "delivered",
                "undelivered",
                "failed",
                "cancelled",
                "skipped",
                "unknown",
                name="messagestatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_sid", sa.String(), nullable=True),
        sa.Column("error_code", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("provider_sid"),
    )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_send_at"), ["send_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_visit_id"), ["visit_id"], unique=False)

    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_busy_time"))
        batch_op.drop_index(batch_op.f("ix_appointment_patient_starts"))
        batch_op.drop_index(batch_op.f("ix_appointment_practitioner_starts"))
        batch_op.drop_index(batch_op.f("ix_appointment_room_starts"))
        batch_op.create_index(batch_op.f("ix_appointment_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_appointment_practitioner_id"), ["practitioner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_appointment_room_id"), ["room_id"], unique=False)

    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("soreness", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("attention", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_column("attention")
        batch_op.drop_column("soreness")

    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_room_id"))
        batch_op.drop_index(batch_op.f("ix_appointment_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_appointment_patient_id"))
        batch_op.create_index(
            batch_op.f("ix_appointment_room_starts"), ["room_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_appointment_practitioner_starts"),
            ["practitioner_id", "starts_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_appointment_patient_starts"), ["patient_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_appointment_busy_time"),
            ["starts_at", "busy_until", "practitioner_id", "room_id", "status"],
            unique=False,
        )

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_visit_id"))
        batch_op.drop_index(batch_op.f("ix_message_status"))
        batch_op.drop_index(batch_op.f("ix_message_send_at"))
        batch_op.drop_index(batch_op.f("ix_message_patient_id"))

    op.drop_table("message")
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_message_received_at"))
        batch_op.drop_index(batch_op.f("ix_inbound_message_patient_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_message_from_phone"))

    op.drop_table("inbound_message")
    op.drop_table("sms_opt_out")
    op.drop_table("message_template")

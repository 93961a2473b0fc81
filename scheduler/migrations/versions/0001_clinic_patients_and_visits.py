"""clinic, patients and visits

Revision ID: 0001
Revises:
Create Date: 2026-11-21

The appointment table carries the guarantee that matters most: no practitioner, room or patient
is ever in two visits at once. PostgreSQL enforces it with exclusion constraints; SQLite, which has
none, with triggers (bookings there also run under BEGIN IMMEDIATE, see scheduler.core.db).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Same statuses as scheduler.models.visit.HOLDS_TIME, frozen here as this revision knew them.
HOLDING = "('booked', 'checked_in', 'completed')"
# Who may not be double booked, and over which range: practitioners and rooms stay busy through
# the cleanup time, a patient only while treated. Appointments of one visit never clash with
# each other (they are laid out back to back by the booking code).
GUARDED = (("practitioner_id", "busy_until"), ("room_id", "busy_until"), ("patient_id", "ends_at"))


def _exclude_overlaps_on_postgresql() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for column, until in GUARDED:
        op.execute(
            f"ALTER TABLE appointment ADD CONSTRAINT appointment_{column}_no_overlap "
            f"EXCLUDE USING gist ({column} WITH =, visit_id WITH <>, "
            f"tstzrange(starts_at, {until}, '[)') WITH &&) WHERE (status IN {HOLDING})"
        )


def _refuse_overlaps_on_sqlite() -> None:
    clash = " OR ".join(
        f"(a.{column} = NEW.{column} AND a.starts_at < NEW.{until} AND NEW.starts_at < a.{until})"
        for column, until in GUARDED
    )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER appointment_no_overlap_{event.lower()} BEFORE {event} ON appointment "
            f"WHEN NEW.status IN {HOLDING} BEGIN "
            f"SELECT RAISE(ABORT, 'appointment_overlap') FROM appointment a "
            f"WHERE a.id IS NOT NEW.id AND a.visit_id <> NEW.visit_id "
            f"AND a.status IN {HOLDING} AND ({clash}) LIMIT 1; END"
        )


def upgrade() -> None:
    op.create_table(
        "location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("time_zone", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "patient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sms_consent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patient_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_patient_phone"), ["phone"], unique=False)

    op.create_table(
        "practitioner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column(
            "profession",
            sa.Enum(
                "physical_therapist",
                "chiropractor",
                "acupuncturist",
                "nurse",
                "physician",
                "massage_therapist",
                name="profession",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("needling_certified_by", sa.String(), nullable=True),
        sa.Column("needling_certified_until", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "assessment",
                "dry_needling",
                "massage",
                "exercise",
                name="servicekind",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("cleanup_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "room_kind",
            sa.Enum("treatment_room", "gym", name="roomkind", native_enum=False),
            nullable=False,
        ),
        sa.Column("professions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("medications", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("consent_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id"),
    )
    op.create_table(
        "opening_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("opening_hours", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opening_hours_location_id"), ["location_id"], unique=False
        )

    op.create_table(
        "room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("treatment_room", "gym", name="roomkind", native_enum=False),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("room", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_location_id"), ["location_id"], unique=False)

    op.create_table(
        "time_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioner.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("time_off", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_time_off_practitioner_id"), ["practitioner_id"], unique=False
        )

    op.create_table(
        "treatment_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("treatment_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_plan_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "working_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("break_starts", sa.Time(), nullable=True),
        sa.Column("break_ends", sa.Time(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioner.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("working_hours", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_working_hours_location_id"), ["location_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_working_hours_practitioner_id"), ["practitioner_id"], unique=False
        )

    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "booked",
                "checked_in",
                "completed",
                "cancelled",
                "no_show",
                name="visitstatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("booked_by", sa.String(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(), nullable=True),
        sa.Column("cancel_reason", sa.String(), nullable=True),
        sa.Column("late_cancel", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["treatment_plan.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("busy_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "booked",
                "checked_in",
                "completed",
                "cancelled",
                "no_show",
                name="visitstatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioner.id"],
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["room.id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("ends_at > starts_at", name="appointment_has_length"),
        sa.CheckConstraint("busy_until >= ends_at", name="appointment_busy_covers_it"),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index("ix_appointment_patient_starts", ["patient_id", "starts_at"])
        batch_op.create_index(
            "ix_appointment_practitioner_starts", ["practitioner_id", "starts_at"]
        )
        batch_op.create_index("ix_appointment_room_starts", ["room_id", "starts_at"])
        batch_op.create_index(batch_op.f("ix_appointment_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_appointment_visit_id"), ["visit_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        _exclude_overlaps_on_postgresql()
    else:
        _refuse_overlaps_on_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column, _ in GUARDED:
            op.execute(f"ALTER TABLE appointment DROP CONSTRAINT appointment_{column}_no_overlap")
    else:
        op.execute("DROP TRIGGER appointment_no_overlap_insert")
        op.execute("DROP TRIGGER appointment_no_overlap_update")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_visit_id"))
        batch_op.drop_index(batch_op.f("ix_appointment_starts_at"))
        batch_op.drop_index("ix_appointment_room_starts")
        batch_op.drop_index("ix_appointment_practitioner_starts")
        batch_op.drop_index("ix_appointment_patient_starts")

    op.drop_table("appointment")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_plan_id"))
        batch_op.drop_index(batch_op.f("ix_visit_patient_id"))

    op.drop_table("visit")
    with op.batch_alter_table("working_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_working_hours_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_working_hours_location_id"))

    op.drop_table("working_hours")
    with op.batch_alter_table("treatment_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_plan_patient_id"))

    op.drop_table("treatment_plan")
    with op.batch_alter_table("time_off", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_time_off_practitioner_id"))

    op.drop_table("time_off")
    with op.batch_alter_table("room", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_location_id"))

    op.drop_table("room")
    with op.batch_alter_table("opening_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opening_hours_location_id"))

    op.drop_table("opening_hours")
    op.drop_table("intake")
    op.drop_table("service")
    op.drop_table("practitioner")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_phone"))
        batch_op.drop_index(batch_op.f("ix_patient_name"))

    op.drop_table("patient")
    op.drop_table("location")

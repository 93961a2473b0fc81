"""Independent checks of what the product promises, written as plainly as possible."""

from sqlalchemy import Engine, text

HOLDING = "('booked', 'checked_in', 'completed')"

OVERLAPS_SQL = f"""
SELECT count(*) FROM appointment a JOIN appointment b
  ON a.id < b.id AND a.visit_id <> b.visit_id
 AND a.status IN {HOLDING} AND b.status IN {HOLDING}
 AND ((a.practitioner_id = b.practitioner_id AND a.starts_at < b.busy_until
       AND b.starts_at < a.busy_until)
   OR (a.room_id = b.room_id AND a.starts_at < b.busy_until AND b.starts_at < a.busy_until)
   OR (a.patient_id = b.patient_id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at))
"""


def count_overlaps(engine: Engine) -> int:
    """Pairs of appointments of different visits that share a practitioner, room or patient."""
    with engine.connect() as connection:
        return int(connection.execute(text(OVERLAPS_SQL)).scalar_one())

"""The schedule and its rules: open times for a visit, booking it whole or not at all,
moving, cancelling, completing, treatment plans. Writes a visit's texts through
`messaging.outbox` in the same transaction. Imports `messaging`, `clinic`, `core`, `models`.
"""

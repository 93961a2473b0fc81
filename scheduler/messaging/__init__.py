"""Texts to patients: which a visit gets and when (planning, outbox, send window), their
words (templates, segments), sending them once, and what staff read of them.
Imports `clinic`, `core` and `models`.
"""

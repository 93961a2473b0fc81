"""What every context stands on: settings, the database, the clock and the clinic's wall
clock, domain errors, the policy, intervals, the audit log, signed links, logging.
Imports only `scheduler.models`.
"""

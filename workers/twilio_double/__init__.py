"""A local Twilio Messages API for tests and benchmarks; see app.py."""

from workers.twilio_double.app import DoubleState, create_app, make_server, serve
from workers.twilio_double.faults import Faults, Outcome

__all__ = ["DoubleState", "Faults", "Outcome", "create_app", "make_server", "serve"]

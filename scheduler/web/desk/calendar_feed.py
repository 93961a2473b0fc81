"""A practitioner's appointments as an iCalendar feed at a private address, for phone calendars.

The route is public: the random token in the address is the only key. The feed names patients
by first name and initial and leaves intake out, since phone calendars sync to other companies.
"""

from datetime import datetime

from fastapi import APIRouter
from icalendar import Calendar, Event
from starlette.responses import Response

from scheduler.api.auth import PUBLIC
from scheduler.api.deps import NowDep, ReadSessionDep
from scheduler.clinic.catalogue import resolve_location
from scheduler.scheduling.rules import get_practitioner
from scheduler.staff.calendar_feed import feed_appointments, feed_practitioner
from scheduler.staff.day_sheet import ScheduledAppointment

router = APIRouter(include_in_schema=False)


@router.get("/calendar/{token}.ics", dependencies=[PUBLIC])
def calendar_feed(session: ReadSessionDep, now: NowDep, token: str) -> Response:
    practitioner = get_practitioner(session, feed_practitioner(session, token))
    calendar = Calendar()
    calendar.add("prodid", "-//Triggerpoint//Day sheet//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Triggerpoint · {practitioner.name}")
    clinic = resolve_location(session, None).name
    for appointment in feed_appointments(session, practitioner_id=practitioner.id or 0, now=now):
        calendar.add_component(_event(appointment, clinic=clinic, now=now))
    return Response(
        calendar.to_ical(),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


def _event(appointment: ScheduledAppointment, *, clinic: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"appointment-{appointment.appointment_id}@triggerpoint")
    event.add("dtstamp", now)
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", f"{_short_name(appointment.patient)} · {appointment.service}")
    event.add("location", f"{appointment.room}, {clinic}")
    if len(appointment.visit_services) > 1:
        event.add("description", "Visit: " + " + ".join(appointment.visit_services))
    return event


def _short_name(name: str) -> str:
    """Alex Moreno -> Alex M."""
    first, *rest = name.split()
    return f"{first} {rest[-1][0]}." if rest else first

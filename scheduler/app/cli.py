"""The `triggerpoint` command line.

Each command imports the heavy parts it needs (the web server, migrations, the availability
search) when it runs, so that `triggerpoint worker` and `triggerpoint dispatcher`, which a
clinic restarts, start without loading the whole product.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import typer
from sqlmodel import Session, col, select

from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.core.errors import DomainError
from scheduler.core.logs import configure_logging
from scheduler.core.policy import current_policy
from scheduler.core.settings import get_settings
from scheduler.core.wallclock import clinic_zone
from scheduler.models import Location, Practitioner, Role, Room

if TYPE_CHECKING:
    from scheduler.scheduling.availability import Slot

app = typer.Typer(help="Triggerpoint: scheduling and aftercare for dry needling clinics.")
db_app = typer.Typer(help="The database.")
app.add_typer(db_app, name="db")
user_app = typer.Typer(help="Staff accounts.")
app.add_typer(user_app, name="user")
DEMO_SLOTS = 8


@app.callback()
def main() -> None:
    configure_logging(get_settings())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the latest schema."""
    from scheduler.core import migrate

    migrate.upgrade(get_settings().database_url)


@user_app.command("add")
def user_add(
    name: str,
    role: Annotated[Role, typer.Option(help="admin, front_desk or practitioner")],
    practitioner: Annotated[
        int | None, typer.Option(help="The practitioner record a practitioner's account is")
    ] = None,
) -> None:
    """Create a staff account; prints its password and an API token, shown only this once."""
    from scheduler.staff.accounts import add_user

    with db.booking_session(db.make_engine()) as session, db.transaction(session):
        try:
            created = add_user(
                session, name=name, role=role, now=utc_now(), practitioner_id=practitioner
            )
        except DomainError as error:
            raise typer.BadParameter(error.message, param_hint=error.field) from error
    typer.echo(f"user: {name} ({role.value})")
    typer.echo(f"password: {created.password}")
    typer.echo(f"api token: {created.api_token}")


@app.command()
def seed(demo: Annotated[bool, typer.Option("--demo", help="The demo clinic")] = False) -> None:
    """Fill an empty database with the demo clinic."""
    from scheduler.app.demo import ensure_demo_clinic

    if not demo:
        raise typer.BadParameter("only --demo is available", param_hint="--demo")
    typer.echo(
        "Seeded the demo clinic."
        if ensure_demo_clinic(get_settings(), now=utc_now())
        else "The database already holds a clinic."
    )


@app.command()
def overview() -> None:
    """The clinic at a glance: everyone's next clinic day and the first open times after it."""
    from scheduler.app.demo import ensure_demo_clinic
    from scheduler.scheduling.availability import PartRequest
    from scheduler.scheduling.slots import find_open_slots

    ensure_demo_clinic(get_settings(), now=utc_now())
    with db.session(db.make_engine()) as session:
        zone = _zone(session)
        day = utc_now().astimezone(zone).date()
        while day.weekday() >= 5:
            day += timedelta(days=1)
        for practitioner in session.exec(select(Practitioner).order_by(col(Practitioner.id))):
            _print_day(session, practitioner, day, zone)
        typer.echo("\nFirst open times for dry needling (30 min) followed by massage (60 min):")
        slots = find_open_slots(
            session=session,
            now=utc_now(),
            parts=[PartRequest("dry-needling-30"), PartRequest("massage-60")],
            first_day=day,
            days=7,
            policy=current_policy(),
        )
        _print_slots(session, slots[:DEMO_SLOTS], zone)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Web worker processes")] = 1,
) -> None:
    """Serve the web app, the JSON API and Twilio's webhooks."""
    from scheduler.app.serving import serve as serve_app

    serve_app(host=host, port=port, workers=workers)


@app.command()
def availability(
    services: Annotated[str, typer.Option(help="Service codes in visit order, comma-separated")],
    from_: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    days: Annotated[int, typer.Option(min=1, max=62)] = 1,
    practitioner: Annotated[int | None, typer.Option(help="Only this practitioner id")] = None,
) -> None:
    """List the open start times for a visit (--practitioner takes the parts they can give)."""
    from scheduler.scheduling.slots import find_open_slots, parts_for

    codes = [code.strip() for code in services.split(",")]
    with _clinic_session() as session:
        try:
            parts = parts_for(session, codes, practitioner)
            slots = find_open_slots(
                session=session,
                now=utc_now(),
                parts=parts,
                first_day=_day(from_),
                days=days,
                policy=current_policy(),
            )
        except DomainError as error:
            _fail(error)
        _print_slots(session, slots, _zone(session))
        typer.echo(f"{len(slots)} open start(s).")


@contextmanager
def _clinic_session() -> Iterator[Session]:
    """A read session on a database that holds a clinic, or a clear word on what to run."""
    engine = db.make_engine()
    if not sa.inspect(engine).has_table("location"):
        typer.echo(
            "error: the database has no tables yet; run `triggerpoint db upgrade`.", err=True
        )
        raise typer.Exit(2)
    with db.session(engine) as session:
        if session.exec(select(Location)).first() is None:
            typer.echo("error: no clinic set up yet; try `triggerpoint seed --demo`.", err=True)
            raise typer.Exit(2)
        yield session


def _print_slots(session: Session, slots: "list[Slot]", zone: ZoneInfo) -> None:
    names = {p.id: p.name for p in session.exec(select(Practitioner))}
    rooms = {r.id: r.name for r in session.exec(select(Room))}
    for slot in slots:
        who = ", ".join(
            f"{a.service.code} with {names[a.practitioner_id]} in {rooms[a.room_id]}"
            for a in slot.appointments
        )
        typer.echo(f"{slot.starts_at.astimezone(zone):%a %Y-%m-%d %H:%M}  {who}")


@app.command()
def schedule(
    practitioner: Annotated[str, typer.Option(help="Name, or part of it")],
    date_: Annotated[str, typer.Option("--date", help="YYYY-MM-DD (default today)")] = "",
) -> None:
    """Show a practitioner's day."""
    with _clinic_session() as session:
        matches = session.exec(
            select(Practitioner).where(col(Practitioner.name).icontains(practitioner))
        ).all()
        if len(matches) != 1:
            found = ", ".join(p.name for p in matches) or "nobody"
            raise typer.BadParameter(
                f"{practitioner!r} matches {found}", param_hint="--practitioner"
            )
        zone = _zone(session)
        day = _day(date_) if date_ else utc_now().astimezone(zone).date()
        _print_day(session, matches[0], day, zone)


def _print_day(session: Session, practitioner: Practitioner, day: date, zone: ZoneInfo) -> None:
    from scheduler.staff.day_sheet import practitioner_day

    entries = practitioner_day(session, practitioner_id=practitioner.id or 0, day=day)
    typer.echo(f"{practitioner.name}, {day:%A %d %B %Y}")
    for entry in entries:
        marks = [*entry.intake_flags, *(["FIRST NEEDLING"] if entry.first_needling else [])]
        typer.echo(
            f"  {entry.starts_at.astimezone(zone):%H:%M}-{entry.ends_at.astimezone(zone):%H:%M}"
            f"  {entry.patient:<20} {entry.service:<22} {entry.room:<8}"
            f" {entry.status:<10} {' '.join(marks)}"
        )
    if not entries:
        typer.echo("  No appointments.")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from error


def _zone(session: Session) -> ZoneInfo:
    location = session.exec(select(Location)).first()
    return clinic_zone(location.time_zone if location else get_settings().clinic_time_zone)


def _fail(error: DomainError) -> None:
    typer.echo(f"error: {error.message}", err=True)
    raise typer.Exit(2)

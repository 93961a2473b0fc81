"""The web application: JSON API, webhooks and pages, all thin over the core."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from scheduler.api import (
    clinic,
    metrics,
    oversight,
    practitioners,
    twilio_webhooks,
)
from scheduler.api import patients as patients_api
from scheduler.api import visits as visits_api
from scheduler.api import waitlist as waitlist_api
from scheduler.api.security_headers import SecurityHeaders
from scheduler.app import health
from scheduler.app.errors import install_error_handlers
from scheduler.web import sign_in
from scheduler.web.admin import clinic as admin_clinic
from scheduler.web.admin import consent as admin_consent
from scheduler.web.admin import hours as admin_hours
from scheduler.web.admin import location as admin_location
from scheduler.web.admin import messages as admin_messages
from scheduler.web.admin import practitioners as admin_practitioners
from scheduler.web.admin import users as admin_users
from scheduler.web.desk import board, booking, calendar_feed, inbox, my_day
from scheduler.web.desk import intake as intake_desk
from scheduler.web.desk import patients as patient_pages
from scheduler.web.desk import plans as plan_pages
from scheduler.web.desk import visits as visit_pages
from scheduler.web.desk import waitlist as waitlist_pages
from scheduler.web.patient import intake as intake_pages
from scheduler.web.patient import link as patient_link
from scheduler.web.patient import offer as waitlist_offer

STATIC = Path(__file__).parent.parent / "web" / "static"
# Every route lives on one of these routers; a test walks them to check each route's policy.
ROUTERS = (
    health.router,
    metrics.router,
    twilio_webhooks.router,
    sign_in.router,
    clinic.router,
    practitioners.router,
    patients_api.router,
    visits_api.router,
    oversight.router,
    waitlist_api.router,
    board.router,
    booking.router,
    patient_pages.router,
    intake_desk.router,
    plan_pages.router,
    visit_pages.router,
    my_day.router,
    calendar_feed.router,
    patient_link.router,
    intake_pages.router,
    inbox.router,
    waitlist_pages.router,
    waitlist_offer.router,
    admin_practitioners.router,
    admin_hours.router,
    admin_location.router,
    admin_clinic.router,
    admin_messages.router,
    admin_consent.router,
    admin_users.router,
)


def create_app() -> FastAPI:
    app = FastAPI(title="Triggerpoint", docs_url="/docs")
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app

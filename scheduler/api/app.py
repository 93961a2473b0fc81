"""The web application: JSON API, webhooks and pages, all thin over the core."""

from fastapi import FastAPI

from scheduler.api import health, twilio_webhooks


def create_app() -> FastAPI:
    app = FastAPI(title="Triggerpoint", docs_url="/docs")
    app.include_router(health.router)
    app.include_router(twilio_webhooks.router)
    return app

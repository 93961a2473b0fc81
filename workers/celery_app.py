"""The Celery application: Redis carries only "send message N now"; the database keeps the rest.

Late acknowledgement with reject-on-worker-lost makes a killed worker's task run again; that is
safe because a task only acts after winning a conditional claim on its row.

On Redis, a task a worker has taken waits in Redis's "unacked" set until the worker acknowledges
it. When the whole worker dies (SIGKILL, a lost machine) nobody rejects it: a live worker puts it
back once it is older than the visibility timeout, checked every RESTORE_SECONDS. Kombu's
defaults are an hour and about 100 s; with ours it comes back within about a minute. A task
redelivered while its first copy still runs finds its row claimed and does nothing.
"""

from typing import Any

from celery import Celery

from scheduler.app.broker import transport_options
from scheduler.core.settings import Settings, get_settings

RESTORE_SECONDS = 5


def make_app(broker_url: str | None = None) -> Celery:
    settings = get_settings()
    if broker_url:
        settings = settings.model_copy(update={"broker_url": broker_url})
    app = Celery("triggerpoint", broker=settings.broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        # Enforced by a prefork pool only. `triggerpoint worker` runs threads: there the Twilio
        # client's connect and read timeouts bound a send.
        task_time_limit=120,
        task_soft_time_limit=90,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_connection_retry_on_startup=True,
        broker_transport=_transport(settings.broker_url),
        broker_transport_options=transport_options(settings) | _redelivery(settings),
        worker_hijack_root_logger=False,
        include=["workers.tasks"],
    )
    return app


def _transport(broker_url: str) -> str | None:
    """Ours for plain Redis (see workers.redis_broker); kombu's own for any other scheme."""
    return "workers.redis_broker:Transport" if broker_url.startswith("redis://") else None


def _redelivery(settings: Settings) -> dict[str, Any]:
    return {
        "visibility_timeout": settings.broker_visibility_timeout_seconds,
        "unacked_restore_interval": RESTORE_SECONDS,
        "unacked_restore_throttle": 1,  # scan on every interval, not every tenth
    }


app = make_app()

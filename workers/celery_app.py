"""The Celery application: Redis carries only "send message N now"; the database keeps the rest.

Late acknowledgement with reject-on-worker-lost makes a killed worker's task run again; that is
safe because a task only acts after winning a conditional claim on its row.
"""

from celery import Celery

from scheduler.settings import get_settings


def make_app(broker_url: str | None = None) -> Celery:
    app = Celery("triggerpoint", broker=broker_url or get_settings().broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_time_limit=120,
        task_soft_time_limit=90,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        include=["workers.tasks"],
    )
    return app


app = make_app()

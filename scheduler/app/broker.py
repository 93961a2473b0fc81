"""The message broker as the web app sees it: how to reach it, and whether it answers.

Only the workers send through it; the web app only asks whether it is there (/readyz).
A filesystem:// broker is a folder of message files, the embedded default that needs no server:
producers and consumers share one folder, and kombu locks each file while it reads it.
"""

from pathlib import Path
from typing import Any

from kombu.connection import Connection
from kombu.exceptions import OperationalError

from scheduler.core.settings import Settings


def transport_options(settings: Settings) -> dict[str, Any]:
    if not settings.broker_url.startswith("filesystem://"):
        return {}
    folder = Path(settings.broker_folder).resolve()
    for sub in ("queue", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    queue = str(folder / "queue")
    return {
        "data_folder_in": queue,
        "data_folder_out": queue,
        "control_folder": str(folder / "control"),
        "polling_interval": 0.1,  # an empty folder is cheap to look at; texts leave sooner
    }


def broker_answers(settings: Settings, *, timeout_seconds: float = 2.0) -> bool:
    """True when a connection to the broker can be opened now."""
    connection = Connection(
        settings.broker_url,
        transport_options=transport_options(settings),
        connect_timeout=timeout_seconds,
    )
    try:
        connection.ensure_connection(max_retries=1, timeout=timeout_seconds)
    except (OperationalError, OSError):
        return False
    finally:
        connection.release()
    return True

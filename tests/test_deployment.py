"""The production stack as files: docker-compose.yml, the Dockerfile and .env.example.

Docker cannot run here, so the compose file is checked against the Compose Specification's
JSON schema and every command our image runs is parsed by the real command line.
"""

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from scheduler.core.settings import Settings
from workers.cli import app

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_SCHEMA = Path(__file__).parent / "data" / "compose-spec.schema.json"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def ours(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run our image."""
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("image") == "triggerpoint:latest"
    }


def test_the_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = yaml.safe_load(COMPOSE_SCHEMA.read_text())
    jsonschema.validate(compose, schema, cls=jsonschema.Draft7Validator)


@pytest.fixture(autouse=True)
def logging_as_it_was() -> Iterator[None]:
    """The command line sets up logging on the runner's stream, which is closed once it returns."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def parses(arguments: list[str]) -> bool:
    """Whether `triggerpoint` accepts the command line; --help keeps it from running it."""
    return CliRunner().invoke(app, [*arguments, "--help"]).exit_code == 0


def test_every_service_of_ours_runs_a_real_command(compose: dict[str, Any]) -> None:
    services = ours(compose)
    assert set(services) == {"migrate", "web", "worker", "dispatcher"}
    for name, service in services.items():
        program, *arguments = service["command"]
        assert program == "triggerpoint", name
        assert parses(arguments), f"{name}: {arguments}"


def test_a_wrong_command_would_be_caught() -> None:
    assert not parses(["serve", "--no-such-option"])
    assert not parses(["no-such-command"])


def test_workers_scale_and_the_dispatcher_stays_alone(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "container_name" not in services["worker"]
    assert "ports" not in services["worker"]
    assert services["dispatcher"]["deploy"]["replicas"] == 1
    assert services["redis"]["command"][1:] == [
        "--appendonly",
        "yes",
        "--maxmemory-policy",
        "noeviction",
    ]
    assert all("healthcheck" in services[name] for name in ("postgres", "redis", "web"))
    assert "flower" in services


def test_secrets_are_required_not_defaulted() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID"):
        assert re.search(rf"\$\{{{secret}:\?[^}}]+\}}", text), secret
        assert f"${{{secret}:-" not in text


def test_env_example_names_every_setting_with_a_comment() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    documented = {
        line.split("=", 1)[0]: lines[number - 1]
        for number, line in enumerate(lines)
        if line and not line.startswith("#")
    }
    for name, field in Settings.model_fields.items():
        variable = field.validation_alias or f"TRIGGERPOINT_{name.upper()}"
        assert variable in documented, variable
        assert documented[variable].startswith("# "), variable


def test_the_image_runs_the_command_line_it_installs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    assert 'CMD ["triggerpoint", "serve"' in dockerfile
    assert "USER triggerpoint" in dockerfile

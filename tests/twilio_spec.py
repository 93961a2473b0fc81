"""Twilio's own OpenAPI description of API v2010, so that the Twilio double answers to it rather
than to our reading of the docs.

Twilio ships the description on npm inside @twilio/cli-core. The pinned tarball is fetched once
with `npm pack` into .triggerpoint/specs/ (ignored by git), checked against its pinned sha512
before anything in it is read, and only the one JSON member is read out of it. Without npm or a
reachable registry the tests that need it skip, or fail under TRIGGERPOINT_REQUIRE_SERVICES=1.
"""

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT4

from tests.conftest import missing_service

PACKAGE, VERSION = "@twilio/cli-core", "9.0.0"
INTEGRITY = "sha512-FPHm5gXAUwM2oATmQi3AGYPFz4Urg5G5/vDkpUu5WqNuwueQaS93HwXjdX1OM+miuq0LMimdfbXDTLEp4Nsjfg=="  # noqa: E501
MEMBER = "package/src/services/twilio-api/twilio_api_v2010.json"
CACHE = Path(__file__).resolve().parents[1] / ".triggerpoint" / "specs"
SPEC_URI = "urn:twilio:api_v2010"
NPM_TIMEOUT_SECONDS = 300
# npm's error codes for a registry it could not talk to (any other failure is a real failure).
_UNREACHABLE = re.compile(
    r"\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ESOCKETTIMEDOUT|ENETUNREACH"
    r"|EHOSTUNREACH|ERR_SOCKET_TIMEOUT|E50[0234])\b"
)


def integrity(path: Path) -> str:
    """The tarball's Subresource Integrity string, the form npm records and prints."""
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def fetch_tarball(cache: Path = CACHE) -> Path:
    """The pinned tarball in `cache`, fetched when missing or not the pinned bytes.

    npm packs into a folder of this process's own, and the checked file is renamed into place:
    test processes running side by side each see either no tarball or a whole one.
    """
    tarball = cache / f"twilio-cli-core-{VERSION}.tgz"
    if tarball.is_file() and integrity(tarball) == INTEGRITY:
        return tarball
    npm = shutil.which("npm")
    if npm is None:
        missing_service(f"npm is not installed, so {PACKAGE}@{VERSION} cannot be fetched")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".pack-") as folder:
        command = [npm, "pack", f"{PACKAGE}@{VERSION}", "--json", "--ignore-scripts"]
        command += ["--pack-destination", folder]
        # npm waits 5 minutes for a silent registry by default; the user's settings still win.
        env = {"npm_config_fetch_timeout": "60000", "npm_config_fetch_retries": "2"} | os.environ
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                env=env,
                timeout=NPM_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            missing_service(f"npm pack {PACKAGE}@{VERSION} took over {NPM_TIMEOUT_SECONDS} s")
        said = f"{done.stdout}\n{done.stderr}".strip()
        if done.returncode != 0 and (unreachable := _UNREACHABLE.search(said)):
            missing_service(f"the npm registry cannot be reached ({unreachable[0]})")
        assert done.returncode == 0, f"npm pack {PACKAGE}@{VERSION} failed:\n{said[-2000:]}"
        [packed] = Path(folder).glob("*.tgz")
        got = integrity(packed)
        assert got == INTEGRITY, f"{PACKAGE}@{VERSION} has integrity {got}, pinned {INTEGRITY}"
        packed.replace(tarball)
    return tarball


def read_member(tarball: Path) -> dict[str, Any]:
    """The v2010 description, read straight from its one member: nothing is extracted to disk."""
    with tarfile.open(tarball, "r:gz") as archive:
        member = archive.getmember(MEMBER)
        assert member.isfile(), f"{MEMBER} is not a regular file in {tarball.name}"
        stream = archive.extractfile(member)
        assert stream is not None
        with stream:
            document: dict[str, Any] = json.load(stream)
    return document


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0's `nullable: true` as JSON Schema says it: null is one more type (or value)."""
    schema = dict(schema)
    if schema.get("nullable") is True and "$ref" not in schema:
        if isinstance(kind := schema.get("type"), str):
            schema["type"] = [kind, "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    for key in ("properties", "patternProperties"):
        if key in schema:
            schema[key] = {name: _nullable(sub) for name, sub in schema[key].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            schema[key] = _nullable(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            schema[key] = [_nullable(sub) for sub in schema[key]]
    return schema


def _schemas_as_json_schema(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every schema in it (components and responses) made plain JSON Schema."""
    components = document["components"]
    schemas = {name: _nullable(s) for name, s in components["schemas"].items()}
    paths = {
        path: {
            method: _responses_as_json_schema(operation) if method in _METHODS else operation
            for method, operation in item.items()
        }
        for path, item in document["paths"].items()
    }
    return {**document, "components": {**components, "schemas": schemas}, "paths": paths}


_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _responses_as_json_schema(operation: dict[str, Any]) -> dict[str, Any]:
    responses = {
        status: {
            **response,
            "content": {
                media: {**body, "schema": _nullable(body["schema"])} if "schema" in body else body
                for media, body in response.get("content", {}).items()
            },
        }
        for status, response in operation.get("responses", {}).items()
    }
    return {**operation, "responses": responses}


def _pointer(*tokens: str) -> str:
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)


def _rfc_2822_gmt(value: object) -> bool:
    """Twilio's dates, e.g. "Thu, 24 Aug 2023 05:01:45 +0000": exactly as Python would write
    that moment in GMT, so a missing weekday, another zone or ISO 8601 all fail."""
    if not isinstance(value, str):
        return True
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return moment.utcoffset() is not None and format_datetime(moment) == value


def _relative_uri(value: object) -> bool:
    """Twilio's URIs are relative to https://api.twilio.com: an absolute path, no spaces."""
    if not isinstance(value, str):
        return True
    return value.startswith("/") and not urlsplit(value).netloc and " " not in value


def _uri_map(value: object) -> bool:
    if not isinstance(value, dict):
        return True
    return all(isinstance(uri, str) and _relative_uri(uri) for uri in value.values())


def _currency(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch("[A-Za-z]{3}", value) is not None


def _integer_within(bits: int) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        return not isinstance(value, int) or -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)

    return check


def _format_checker() -> FormatChecker:
    """Only the formats whose meaning the description makes plain; others (e.g. phone-number,
    which also covers sender IDs and channel addresses) are not checked."""
    checker = FormatChecker(formats=())
    formats: dict[str, Callable[[object], bool]] = {
        "date-time-rfc-2822": _rfc_2822_gmt,
        "uri": _relative_uri,
        "uri-map": _uri_map,
        "currency": _currency,
        "int32": _integer_within(32),
        "int64": _integer_within(64),
    }
    for name, check in formats.items():
        checker.checks(name)(check)
    return checker


@dataclass(frozen=True)
class TwilioSpec:
    """The description, and schema errors of a body against one of its responses."""

    document: dict[str, Any]  # as shipped
    registry: Registry[Any]  # the same with OpenAPI's nullable made JSON Schema

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "TwilioSpec":
        resource = DRAFT4.create_resource(_schemas_as_json_schema(document))
        return cls(document, Registry().with_resource(SPEC_URI, resource))

    def response(self, path: str, method: str, status: str) -> dict[str, Any]:
        found: dict[str, Any] = self.document["paths"][path][method]["responses"][status]
        return found

    def response_schema(self, path: str, method: str, status: str) -> dict[str, Any]:
        """A schema for the JSON body of one response, found by path, method and status."""
        tokens = ("paths", path, method, "responses", status, "content", "application/json")
        return {"$ref": f"{SPEC_URI}#{_pointer(*tokens, 'schema')}"}

    def component(self, name: str) -> dict[str, Any]:
        return {"$ref": f"{SPEC_URI}#{_pointer('components', 'schemas', name)}"}

    def resolved(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The schema a `$ref` (to the end of a chain of them) stands for."""
        resolver = self.registry.resolver(base_uri=SPEC_URI)
        while "$ref" in schema:
            resolved = resolver.lookup(schema["$ref"])
            schema, resolver = resolved.contents, resolved.resolver
        return schema

    def error_responses(self) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        """Every 4xx or 5xx response the description gives a JSON body, with that body's schema
        (path, method, status, schema)."""
        for path, item in self.document["paths"].items():
            for method, operation in item.items():
                if method not in _METHODS:
                    continue
                for status, response in operation.get("responses", {}).items():
                    if status[0] in "45" and "application/json" in response.get("content", {}):
                        yield path, method, status, self.response_schema(path, method, status)

    def errors(self, body: Any, schema: dict[str, Any]) -> list[str]:
        """Each way `body` breaks `schema`, with where: empty when it fits."""
        validator = Draft4Validator(schema, registry=self.registry, format_checker=_CHECKER)
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
            for error in validator.iter_errors(body)
        ]


_CHECKER = _format_checker()


@pytest.fixture(scope="session")
def twilio_spec() -> TwilioSpec:
    return TwilioSpec.from_document(read_member(fetch_tarball()))

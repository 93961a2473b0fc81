"""The Twilio double held to Twilio's own OpenAPI description (tests/twilio_spec.py), not to our
reading of the docs: over real HTTP, every body the double answers with fits the schema that the
description gives the same path, method and status, with every field it names and no other.

The double's one answer without a body, the "reset" fault's dropped connection, has no shape to
check; tests/test_sms_gateway.py covers it.
"""

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests import conftest
from tests.twilio_fixtures import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    Double,
    twilio_double,
    twilio_double_server,
)
from tests.twilio_spec import INTEGRITY, TwilioSpec, fetch_tarball, integrity, twilio_spec

# Fixtures, imported so that pytest finds them here.
__all__ = ["twilio_double", "twilio_double_server", "twilio_spec"]

MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGE = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"
ACCOUNT = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
SERVICE_SID = "MG" + "fedcba9876543210" * 2
PATIENT = "+12125550101"
Request = Callable[[httpx.Client, Double], httpx.Response]


@pytest.fixture
def api(twilio_double: Double) -> Iterator[httpx.Client]:
    """Plain HTTP to the double as the account: the raw bodies, not what a client made of them."""
    with httpx.Client(
        base_url=twilio_double.url, auth=(ACCOUNT_SID, AUTH_TOKEN), trust_env=False
    ) as client:
        yield client


def fields(spec: TwilioSpec, schema: dict[str, Any]) -> set[str]:
    return set(spec.resolved(schema)["properties"])


def examples(spec: TwilioSpec, path: str, method: str, status: str) -> dict[str, Any]:
    content = spec.response(path, method, status)["content"]["application/json"]
    return {name: example["value"] for name, example in content.get("examples", {}).items()}


def fitting(spec: TwilioSpec, response: httpx.Response, path: str, method: str) -> Any:
    """The body, once it fits what the description says `method` on `path` answers with that
    status: its schema, and its fields exactly (Twilio's schemas mark none as required)."""
    status = str(response.status_code)
    assert status in spec.document["paths"][path][method]["responses"], response.text
    assert response.headers["content-type"].startswith("application/json")
    schema, body = spec.response_schema(path, method, status), response.json()
    assert spec.errors(body, schema) == []
    assert set(body) == fields(spec, schema)
    return body


def fitting_page(spec: TwilioSpec, response: httpx.Response) -> dict[str, Any]:
    """A list page, and each message in it with every field of the message resource."""
    page: dict[str, Any] = fitting(spec, response, MESSAGES, "get")
    listed = spec.resolved(spec.response_schema(MESSAGES, "get", "200"))["properties"]["messages"]
    for message in page["messages"]:
        assert set(message) == fields(spec, listed["items"])
    return page


def page_without_messages(page: dict[str, Any]) -> dict[str, Any]:
    """The page with its messages' sids only: their statuses move on as the double delivers."""
    sids = [message["sid"] for message in page["messages"]]
    return {key: value for key, value in page.items() if key != "messages"} | {"sids": sids}


def error_schema(spec: TwilioSpec) -> dict[str, Any]:
    """The v2010 description gives the Messages operations no error response. The error bodies
    it does describe (409 on updating an Account, 408 on updating a call's Recording) share one
    schema, {code, message, more_info, status}: the legacy body that twilio-python's
    Version.exception reads (not RFC 9457's type and title). The double is held to that."""
    declared = [schema for *_, schema in spec.error_responses()]
    assert declared, "the description declares no error body at all"
    assert len({repr(spec.resolved(schema)) for schema in declared}) == 1
    return declared[0]


def create(api: httpx.Client, **form: str) -> httpx.Response:
    return api.post(f"{ACCOUNT}/Messages.json", data=form)


def send(api: httpx.Client, to: str = PATIENT) -> str:
    created = create(api, To=to, From=FROM_NUMBER, Body="See you at 10:00.")
    assert created.status_code == 201, created.text
    return str(created.json()["sid"])


def test_it_reads_twilios_own_examples_as_fitting_their_schemas(twilio_spec: TwilioSpec) -> None:
    """Had OpenAPI's `nullable` or Twilio's formats been misread, Twilio's examples would fail."""
    operations = [(MESSAGES, "post", "201"), (MESSAGES, "get", "200"), (MESSAGE, "get", "200")]
    for path, method, status in operations:
        schema = twilio_spec.response_schema(path, method, status)
        assert examples(twilio_spec, path, method, status)
        for example in examples(twilio_spec, path, method, status).values():
            assert twilio_spec.errors(example, schema) == []
    message = twilio_spec.component("api.v2010.account.message")
    for path, method, status in [(MESSAGES, "post", "201"), (MESSAGE, "get", "200")]:
        schema = twilio_spec.response_schema(path, method, status)
        assert twilio_spec.resolved(schema) == twilio_spec.resolved(message)
    assert len(fields(twilio_spec, message)) == 20


def test_it_tells_a_schema_error_where_it_is(twilio_spec: TwilioSpec) -> None:
    """The checks below pass only because the double fits, not because nothing is checked."""
    message = twilio_spec.component("api.v2010.account.message")
    wrong = {"sid": 5, "status": "posted", "date_sent": "2024-05-01T10:00:00Z", "body": None}

    assert sorted(twilio_spec.errors(wrong, message)) == [
        "date_sent: '2024-05-01T10:00:00Z' is not a 'date-time-rfc-2822'",
        f"sid: 5 is not of type {'string'!r}, {'null'!r}",
        "status: 'posted' is not one of "
        + repr(twilio_spec.resolved(twilio_spec.component("message_enum_status"))["enum"]),
    ]


@pytest.mark.parametrize(
    ("form", "faults"),
    [
        pytest.param({"From": FROM_NUMBER, "Body": "See you at 10:00."}, {}, id="from-a-number"),
        pytest.param({"MessagingServiceSid": SERVICE_SID, "Body": "Hi"}, {}, id="via-a-service"),
        pytest.param({"From": FROM_NUMBER, "Body": "Ça va? 👍 " * 20}, {}, id="in-segments"),
        pytest.param(
            {"From": FROM_NUMBER, "Body": "Hi", "StatusCallback": "http://127.0.0.1:9/status"},
            {"callbacks": "off"},
            id="with-a-status-callback",
        ),
        pytest.param({"From": FROM_NUMBER, "Body": "Hi"}, {"latency_ms": 5}, id="slowly"),
        pytest.param(
            {"From": FROM_NUMBER, "Body": "Hi"},
            {"fault": "hang", "next": 1, "hang_seconds": 0.05},
            id="after-a-hang",
        ),
    ],
)
def test_it_creates_a_message_as_twilio_describes_one(
    api: httpx.Client,
    twilio_double: Double,
    twilio_spec: TwilioSpec,
    form: dict[str, str],
    faults: dict[str, Any],
) -> None:
    if faults:
        twilio_double.set_faults(**faults)

    created = fitting(twilio_spec, create(api, To=PATIENT, **form), MESSAGES, "post")

    assert created["status"] == ("accepted" if "MessagingServiceSid" in form else "queued")
    assert created["body"] == form["Body"]


def test_it_fetches_a_message_as_twilio_describes_one_through_every_status(
    api: httpx.Client, twilio_double: Double, twilio_spec: TwilioSpec
) -> None:
    twilio_double.set_faults(
        outcomes={
            "0102": {"status": "undelivered", "error_code": 30003},
            "0103": {"status": "failed", "error_code": 30008},
        }
    )
    sids = {
        send(api, to): status
        for to, status in [
            ("+12125550101", "delivered"),
            ("+12125550102", "undelivered"),
            ("+12125550103", "failed"),
        ]
    }
    seen: dict[str, set[str]] = {sid: set() for sid in sids}
    deadline = time.monotonic() + 5
    while any(final not in seen[sid] for sid, final in sids.items()):
        assert time.monotonic() < deadline, seen
        for sid in sids:
            fetched = fitting(
                twilio_spec, api.get(f"{ACCOUNT}/Messages/{sid}.json"), MESSAGE, "get"
            )
            seen[sid].add(fetched["status"])


def test_it_lists_every_page_as_twilio_describes_one(
    api: httpx.Client, twilio_spec: TwilioSpec
) -> None:
    sent = [send(api) for _ in range(5)]
    send(api, to="+12125550199")

    pages = [
        fitting_page(twilio_spec, api.get(f"{ACCOUNT}/Messages.json?To=%2B12125550101&PageSize=2"))
    ]
    while (following := pages[-1]["next_page_uri"]) is not None:
        pages.append(fitting_page(twilio_spec, api.get(following)))
    back = fitting_page(twilio_spec, api.get(pages[-1]["previous_page_uri"]))
    beyond = fitting_page(twilio_spec, api.get(pages[0]["uri"].replace("Page=0", "Page=7")))

    listed = [sid for page in pages for sid in page_without_messages(page)["sids"]]
    assert listed == sent[::-1]
    assert [(page["start"], page["end"]) for page in pages] == [(0, 1), (2, 3), (4, 4)]
    assert page_without_messages(back) == page_without_messages(pages[1])
    assert (beyond["messages"], beyond["next_page_uri"]) == ([], None)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"To": PATIENT},
        {"From": FROM_NUMBER, "DateSent": "2024-05-01"},
        {"DateSent>": "2024-05-01T00:00:00Z"},
        {"DateSent<": "2024-05-01T00:00:00Z"},
    ],
    ids=["all", "to", "from-on-a-day", "sent-after", "sent-before"],
)
def test_it_lists_a_search_as_twilio_describes_one(
    api: httpx.Client, twilio_spec: TwilioSpec, query: dict[str, str]
) -> None:
    send(api)

    fitting_page(twilio_spec, api.get(f"{ACCOUNT}/Messages.json", params=query))


@pytest.mark.parametrize(
    "example",
    # The other empty examples search by dates in forms twilio-python never sends.
    ["readEmptySentdateLess", "readEmptySentdateEquals", "readEmptySentdateGreater"],
)
def test_it_answers_an_empty_search_just_as_twilios_own_example(
    api: httpx.Client, twilio_spec: TwilioSpec, example: str
) -> None:
    expected = examples(twilio_spec, MESSAGES, "get", "200")[example]
    query = parse_qsl(urlsplit(expected["uri"]).query)

    page = fitting_page(twilio_spec, api.get(f"{ACCOUNT}/Messages.json", params=query))

    account = expected["uri"].split("/")[3]
    assert page == {
        key: value.replace(account, ACCOUNT_SID) if isinstance(value, str) else value
        for key, value in expected.items()
    }


def _create(**form: str) -> Request:
    return lambda api, double: create(api, **form)


def _faulty(fault: str, **more: Any) -> Request:
    def request(api: httpx.Client, double: Double) -> httpx.Response:
        double.set_faults(fault=fault, next=1, **more)
        return create(api, To=PATIENT, From=FROM_NUMBER, Body="Hi")

    return request


def _unknown_sid(api: httpx.Client, double: Double) -> httpx.Response:
    return api.get(f"{ACCOUNT}/Messages/SM{'0' * 32}.json")


def _search_by_date(sent: str) -> Request:
    """The double reads dates as it compares them: it needs a message to compare with."""

    def request(api: httpx.Client, double: Double) -> httpx.Response:
        send(api)
        return api.get(f"{ACCOUNT}/Messages.json", params={"DateSent": sent})

    return request


def _as(token: str, method: str, path: str) -> Request:
    """A request with another auth token."""
    return lambda api, double: api.request(method, path, auth=(ACCOUNT_SID, token))


ERRORS: dict[str, tuple[Request, int]] = {
    "create-unauthenticated": (_as("wrong", "POST", f"{ACCOUNT}/Messages.json"), 20003),
    "fetch-unauthenticated": (_as("wrong", "GET", f"{ACCOUNT}/Messages/SM1.json"), 20003),
    "list-unauthenticated": (_as("wrong", "GET", f"{ACCOUNT}/Messages.json"), 20003),
    "no-to": (_create(From=FROM_NUMBER, Body="Hi"), 21604),
    "no-from": (_create(To=PATIENT, Body="Hi"), 21603),
    "no-body": (_create(To=PATIENT, From=FROM_NUMBER), 21602),
    "refused-from": (_create(To=PATIENT, From="+15005550007", Body="Hi"), 21606),
    "refused-to": (_create(To="+15005550009", From=FROM_NUMBER, Body="Hi"), 21614),
    "429": (_faulty("429", retry_after_seconds=3), 20429),
    "500": (_faulty("500"), 20500),
    "503": (_faulty("503"), 20503),
    "unknown-message": (_unknown_sid, 20404),
    "bad-page-size": (lambda api, double: api.get(f"{ACCOUNT}/Messages.json?PageSize=ten"), 20001),
    "bad-date": (_search_by_date("May"), 20001),
    "unknown-path": (lambda api, double: api.get(f"{ACCOUNT}/Calls.json"), 20404),
    "unknown-method": (lambda api, double: api.delete(f"{ACCOUNT}/Messages.json"), 20004),
}


@pytest.mark.parametrize(("request_", "code"), ERRORS.values(), ids=ERRORS.keys())
def test_it_says_no_in_the_error_body_twilio_describes(
    api: httpx.Client,
    twilio_double: Double,
    twilio_spec: TwilioSpec,
    request_: Request,
    code: int,
) -> None:
    refused = request_(api, twilio_double)

    assert refused.status_code >= 400
    assert refused.headers["content-type"].startswith("application/json")
    schema, body = error_schema(twilio_spec), refused.json()
    assert twilio_spec.errors(body, schema) == []
    assert set(body) == fields(twilio_spec, schema)
    assert body["code"] == code
    assert body["status"] == refused.status_code


def test_it_skips_when_npm_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(conftest, "SERVICES_REQUIRED", False)

    with pytest.raises(pytest.skip.Exception, match="npm is not installed"):
        fetch_tarball(tmp_path / "specs")


@pytest.mark.parametrize("required", [False, True], ids=["skips", "fails-when-required"])
def test_it_skips_or_fails_when_the_registry_cannot_be_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, required: bool
) -> None:
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")  # nothing listens there
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    monkeypatch.setattr(conftest, "SERVICES_REQUIRED", required)
    outcome = pytest.fail.Exception if required else pytest.skip.Exception

    with pytest.raises(outcome, match="registry cannot be reached"):
        fetch_tarball(tmp_path / "specs")


def test_it_refuses_a_tarball_that_is_not_the_pinned_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tests.twilio_spec.INTEGRITY", "sha512-" + "A" * 86 + "==")

    with pytest.raises(AssertionError, match=re.escape(f"has integrity {INTEGRITY}")):
        fetch_tarball(tmp_path)
    assert list(tmp_path.glob("*.tgz")) == []


def test_it_fetches_again_over_a_cached_tarball_that_is_not_the_pinned_one(
    tmp_path: Path,
) -> None:
    tarball = tmp_path / fetch_tarball().name  # first in the shared cache, then from npm's
    tarball.write_bytes(b"not the tarball")

    assert fetch_tarball(tmp_path) == tarball
    assert integrity(tarball) == INTEGRITY

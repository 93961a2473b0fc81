"""Every answer, page or API, error or not, forbids framing and type sniffing and keeps the
address inside the site; a route's own stricter choice stands (see test_patient_link)."""

import pytest

from tests.web_fixtures import Web


@pytest.mark.parametrize(
    ("who", "path"),
    [(None, "/login"), (None, "/healthz"), ("frank", "/api/v1/services"), (None, "/no-such-page")],
)
def test_every_answer_carries_the_baseline_headers(web: Web, who: str | None, path: str) -> None:
    with web.api(who) if who else web.client() as client:
        answer = client.get(path)

    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"

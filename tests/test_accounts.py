"""Staff accounts over real HTTP: sign-in, rotation, throttling, CSRF, tokens, the audit log."""

from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError

from scheduler.core import audit, db
from scheduler.core.errors import NotSignedIn, RuleViolation, Throttled
from scheduler.core.settings import Settings
from scheduler.models import AuditEntry, LoginSession, Role
from scheduler.staff.accounts import add_user, sign_in, token_user
from tests.factories import CURRENT_TIME, make_clinic
from tests.twilio_fixtures import served
from tests.web_fixtures import PASSWORD, Web, add_staff, serve_app


def test_it_signs_in_with_a_cookie_only_scripts_cannot_read(web: Web) -> None:
    with web.client() as client:
        response = client.post("/login", data={"name": "frank", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/board"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP here; Secure is set over HTTPS


def test_it_sends_a_practitioner_to_their_own_day(web: Web) -> None:
    with web.client() as client:
        response = client.post("/login", data={"name": "dana", "password": PASSWORD})
    assert response.headers["location"] == "/my-day"


def test_the_start_page_leads_each_one_home_and_the_icon_is_there(web: Web) -> None:
    with web.client() as anyone:
        stranger = anyone.get("/", headers={"Accept": "text/html"})
        icon = anyone.get("/favicon.ico")
    homes = {}
    for name in ("frank", "dana", "ada"):
        with web.browser(name) as client:
            homes[name] = client.get("/").headers["location"]

    assert (stranger.status_code, stranger.headers["location"]) == (303, "/login?next=/")
    assert homes == {"frank": "/board", "dana": "/my-day", "ada": "/board"}
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_it_gives_a_new_session_at_sign_in_and_ends_the_old_one(web: Web) -> None:
    with web.browser("frank") as client:
        planted = client.cookies["tp_session"]
        client.post("/login", data={"name": "frank", "password": PASSWORD})
        assert client.cookies["tp_session"] != planted
    with db.session(web.engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 1


def test_it_refuses_a_wrong_password_without_saying_which_part_was_wrong(web: Web) -> None:
    with web.client() as client:
        wrong_password = client.post("/login", data={"name": "frank", "password": "nope"})
        no_such_user = client.post("/login", data={"name": "nobody", "password": "nope"})
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert "Wrong user name or password." in wrong_password.text
    assert "tp_session" not in wrong_password.headers.get("set-cookie", "")


def fail_to_sign_in(engine: Engine, *, name: str, ip: str, seconds: int = 0) -> None:
    """A wrong password, with the failed attempt committed as the sign-in form commits it."""
    now = CURRENT_TIME + timedelta(seconds=seconds)
    with (
        db.booking_session(engine) as session,
        db.transaction(session),
        pytest.raises(NotSignedIn),
    ):
        sign_in(session, name=name, password="guess", ip=ip, now=now)


def test_it_throttles_an_account_after_five_failures_even_with_the_right_password(
    engine: Engine,
) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        add_user(session, name="frank", role=Role.FRONT_DESK, now=CURRENT_TIME)
    for attempt in range(5):
        fail_to_sign_in(engine, name="frank", ip="10.0.0.1", seconds=attempt)
    with db.booking_session(engine) as session, pytest.raises(Throttled):
        sign_in(session, name="frank", password="guess", ip="10.0.0.2", now=CURRENT_TIME)


def test_it_lets_an_account_try_again_after_the_throttle_window(web: Web) -> None:
    with web.client() as client:
        for _ in range(5):
            client.post("/login", data={"name": "frank", "password": "nope"})
        refused = client.post("/login", data={"name": "frank", "password": PASSWORD})
    assert refused.status_code == 429
    with db.session(web.engine) as session, db.transaction(session):
        session.execute(sa.text("UPDATE login_attempt SET at = :old"), {"old": "2000-01-01"})
    with web.client() as client:
        assert client.post("/login", data={"name": "frank", "password": PASSWORD}).is_redirect


def test_it_throttles_one_address_trying_many_accounts(engine: Engine) -> None:
    for attempt in range(20):
        fail_to_sign_in(engine, name=f"user{attempt}", ip="10.0.0.9")
    with db.booking_session(engine) as session, pytest.raises(Throttled):
        sign_in(session, name="someone-else", password="x", ip="10.0.0.9", now=CURRENT_TIME)


def test_it_refuses_a_cookie_authenticated_post_without_the_csrf_token(web: Web) -> None:
    with web.browser("frank") as client:
        refused = client.post("/logout")
        wrong = client.post("/logout", data={"csrf_token": "forged"})
        assert refused.status_code == wrong.status_code == 403
        assert refused.json()["error"]["code"] == "csrf_failed"
        csrf = web.csrf_token(client)
        assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
        assert client.post("/logout", headers={"X-CSRF-Token": csrf}).status_code == 401


def test_it_takes_a_bearer_token_without_csrf_and_refuses_a_made_up_one(web: Web) -> None:
    with web.api("frank") as client:
        assert client.post("/logout").status_code == 303
    with web.client(headers={"Authorization": "Bearer tp_madeup"}) as client:
        response = client.post("/logout")
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "bad_token", "message": "The API token is not valid."}
    }


def test_it_ties_a_practitioner_account_to_a_practitioner_record(engine: Engine) -> None:
    with db.booking_session(engine) as session, pytest.raises(RuleViolation) as refused:
        add_user(session, name="pat", role=Role.PRACTITIONER, now=CURRENT_TIME)
    assert refused.value.field == "practitioner_id"


def test_it_keeps_only_a_digest_of_api_tokens(engine: Engine) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        created = add_user(session, name="ada", role=Role.ADMIN, now=CURRENT_TIME)
    with db.session(engine) as session:
        stored = session.scalar(sa.text("SELECT token_hash FROM api_token"))
        assert created.api_token not in str(stored)
        assert token_user(session, created.api_token) is not None


def test_the_audit_log_refuses_updates_and_deletes(engine: Engine) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        audit.record(
            session, actor="system", action="visit.booked", subject="visit:1", now=CURRENT_TIME
        )
    for statement in ("UPDATE audit_entry SET actor = 'someone'", "DELETE FROM audit_entry"):
        with db.session(engine) as session, pytest.raises(DatabaseError):
            session.execute(sa.text(statement))
            session.commit()
    with db.session(engine) as session:
        assert [entry.actor for entry in audit.recent_entries(session)] == ["system"]
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1


def test_it_refuses_a_sign_in_form_posted_from_another_site(web: Web) -> None:
    with web.client() as client:
        forged = client.post(
            "/login",
            data={"name": "frank", "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
        )
        own = client.post(
            "/login", data={"name": "frank", "password": PASSWORD}, headers={"Origin": web.url}
        )
    assert forged.status_code == 403
    assert "tp_session" not in forged.headers.get("set-cookie", "")
    assert own.status_code == 303


def test_it_marks_the_cookie_secure_when_the_public_address_is_https(engine: Engine) -> None:
    with db.booking_session(engine) as session, db.transaction(session):
        clinic = make_clinic(session)
    add_staff(engine, clinic)
    _app, server = serve_app(engine, Settings(public_url="https://clinic.example.org"))
    with served(server) as url:
        response = httpx.post(f"{url}/login", data={"name": "frank", "password": PASSWORD})
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()

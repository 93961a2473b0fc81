"""Deny by default: every route declares who may call it, and each role gets exactly that."""

import re

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from scheduler.api.auth import RoleGate, public
from scheduler.app.web_app import ROUTERS
from scheduler.models import Role
from tests.web_fixtures import Web

Policy = frozenset[Role] | None  # None: public


def policy_of(dependant: Dependant) -> Policy | str:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RoleGate):
            return dependency.call.roles
        if dependency.call is public:
            return None
        found = policy_of(dependency)
        if found != "missing":
            return found
    return "missing"


def api_routes() -> list[APIRoute]:
    return [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]


def test_every_route_declares_who_may_call_it() -> None:
    without_policy = [
        f"{sorted(route.methods or ())} {route.path}"
        for route in api_routes()
        if policy_of(route.dependant) == "missing"
    ]
    assert without_policy == []


def gated_calls() -> list[tuple[str, str, frozenset[Role]]]:
    calls: list[tuple[str, str, frozenset[Role]]] = []
    for route in api_routes():
        roles = policy_of(route.dependant)
        if isinstance(roles, frozenset):
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            calls.extend((method, path, roles) for method in sorted(route.methods or ()))
    return calls


ACCOUNT_OF = {Role.ADMIN: "ada", Role.FRONT_DESK: "frank", Role.PRACTITIONER: "dana"}


def test_each_role_reaches_exactly_the_routes_its_policy_names(web: Web) -> None:
    mismatches = []
    for method, path, roles in gated_calls():
        with web.client() as anonymous:
            if anonymous.request(method, path).status_code != 401:
                mismatches.append(f"anonymous {method} {path}")
        for role, account in ACCOUNT_OF.items():
            with web.api(account) as client:
                response = client.request(method, path)
            refused = response.status_code == 403 and _code(response) == "role_forbidden"
            if refused == (role in roles):
                mismatches.append(f"{role} {method} {path}: {response.status_code}")
    assert mismatches == []


def _code(response: object) -> str:
    try:
        return str(response.json()["error"]["code"])  # type: ignore[attr-defined]
    except (ValueError, KeyError, TypeError):
        return ""

"""Every route is either public or closed: anonymous users are sent to login, other roles get 403."""
import re

import pytest

from blueprints.shared import allowed_roles
from models import Role

SAMPLE_VALUES = {"int": "1", "default": "x", "string": "x", "path": "x"}
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
KNOWN_ARGUMENTS = {"isodate": "2026-10-01", "kind": "methods", "code": "en"}


def sample_url(rule) -> str:
    def fill(match):
        converter, name = match.group(1) or "default", match.group(2)
        return KNOWN_ARGUMENTS.get(name, SAMPLE_VALUES.get(converter, "1"))

    return ARGUMENT.sub(fill, rule.rule)


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule, method


def test_every_route_declares_who_may_use_it(app):
    with app.test_request_context():
        undeclared = [r.endpoint for r, _ in routes(app) if allowed_roles(r.endpoint) == frozenset()]
    assert undeclared == []


def test_anonymous_users_are_sent_to_login_from_every_closed_route(app, client):
    checked = 0
    with app.test_request_context():
        closed = [(r, m) for r, m in routes(app) if allowed_roles(r.endpoint) is not None]
    for rule, method in closed:
        url = sample_url(rule)
        response = client.open(url, method=method)
        if url.startswith("/api/"):
            assert response.status_code == 401, url
        else:
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/auth/login?next="), url
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("role", list(Role))
def test_roles_get_403_where_they_may_not_go(app, client, login, role):
    login(role)
    refused = 0
    with app.test_request_context():
        closed = [(r, m) for r, m in routes(app) if allowed_roles(r.endpoint) is not None]
        forbidden = [(r, m) for r, m in closed if role not in allowed_roles(r.endpoint)]
    for rule, method in forbidden:
        if rule.endpoint == "auth.logout":
            continue
        response = client.open(sample_url(rule), method=method)
        assert response.status_code == 403, (role, rule.rule)
        refused += 1
    if role is Role.admin:
        assert refused == 0
    else:
        assert refused >= 15  # every admin page


def test_public_routes_answer_anonymous_users(client):
    assert client.get("/").status_code == 200
    assert client.get("/auth/login").status_code == 200

"""The checks JSON API with a token: run the checks, read a run with its counts and paginated findings."""
from datetime import date, timedelta

import pytest
from openapi_spec_validator import validate

from models import (
    CaseStatus,
    CheckFinding,
    CheckKind,
    CheckRun,
    CheckRunStatus,
    CheckTrigger,
    Purpose,
    Role,
    UnitKind,
    db,
)
from tests.conftest import ID_NUMBER, PASSWORD, PHONE, csrf_token_from

TODAY = date.today()


class Caller:
    """A test client that sends one user's API token with every request."""

    def __init__(self, client, token, user):
        self.client, self.user = client, user
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url, **query):
        return self.client.get(url, query_string=query, headers=self.headers)

    def post(self, url, **query):
        return self.client.post(url, query_string=query, headers=self.headers)


@pytest.fixture
def api(app, make_user):
    """api(role, **kw): a new user of that role and a caller with a token made by `flask create-token`."""
    def factory(role=Role.supervisor, **kwargs):
        user = make_user(role=role, **kwargs)
        result = app.test_cli_runner().invoke(args=["create-token", user.username])
        assert result.exit_code == 0, result.output
        return Caller(app.test_client(), result.output.strip(), user)

    return factory


@pytest.fixture
def overdue(make_unit, make_petition):
    """Three cases of one unit past their handling deadline, with a petitioner whose data must not leak."""
    unit = make_unit("城关镇")
    ids = [make_petition(summary=f"超期未办{n}", lead_unit=unit, status=CaseStatus.in_progress, name="王小二",
                         received_on=TODAY - timedelta(days=120), accepted_on=TODAY - timedelta(days=110),
                         due_on=TODAY - timedelta(days=50 - n)) for n in range(3)]
    return unit, ids


def stored_run(app, findings=(), status=CheckRunStatus.finished, lock=None):
    """A run of the checks written directly, with findings given as CheckFinding keyword dicts."""
    with app.app_context():
        run = CheckRun(trigger=CheckTrigger.page, status=status, running_lock=lock, as_of=TODAY)
        db.session.add(run)
        db.session.flush()
        for fields in findings:
            db.session.add(CheckFinding(first_run_id=run.id, **fields))
        db.session.commit()
        return run.id


def test_the_document_describes_the_checks_routes(api):
    document = api(Role.handler).get("/api/v1/openapi.json").json
    validate(document)
    assert "post" in document["paths"]["/checks/run"] and "get" in document["paths"]["/checks/runs/{run_id}"]
    assert {"page", "per_page"} <= {p["name"] for p in document["paths"]["/checks/run"]["post"]["parameters"]}


@pytest.mark.parametrize("role", [Role.clerk, Role.handler, Role.leader])
def test_only_supervisors_and_admins_may_run_or_read_checks(app, client, api, role):
    run_id = stored_run(app)
    assert client.post("/api/v1/checks/run").status_code == 401
    caller = api(role)
    for response in (caller.post("/api/v1/checks/run"), caller.get(f"/api/v1/checks/runs/{run_id}")):
        assert response.status_code == 403 and response.json["status"] == 403 and response.json["error"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CheckRun.id))) == 1  # nothing ran


def test_a_run_answers_its_counts_and_findings_without_personal_data(app, api, overdue):
    unit, ids = overdue
    supervisor = api(Role.supervisor)
    response = supervisor.post("/api/v1/checks/run")
    assert response.status_code == 201, response.json
    run = response.json
    assert response.headers["Location"].endswith(f"/api/v1/checks/runs/{run['id']}")
    assert run["trigger"]["value"] == "api" and run["status"]["value"] == "finished" and run["as_of"] == str(TODAY)
    counts = {count["kind"]: count for count in run["counts"]}
    overdue_count = counts["overdue_case"]
    assert overdue_count["found"] == 3 and overdue_count["new"] == 3 and overdue_count["label"]
    found = [item for item in run["findings"]["items"] if item["kind"] == "overdue_case"]
    assert sorted(item["links"]["case"]["id"] for item in found) == sorted(ids)
    first = found[0]
    assert first["label"] and first["first_run_id"] == run["id"] and first["resolved_run_id"] is None
    assert first["links"]["unit"] == {"id": unit.id, "name": "城关镇"} and first["links"]["case"]["number"]
    text = response.get_data(as_text=True)
    assert "王小二" not in text and ID_NUMBER not in text and PHONE not in text and PHONE[-4:] not in text

    again = api(Role.admin).post("/api/v1/checks/run").json
    assert again["id"] != run["id"]
    counts = {count["kind"]: count for count in again["counts"]}
    assert counts["overdue_case"]["found"] == 3 and counts["overdue_case"]["new"] == 0  # not doubled
    assert {item["first_run_id"] for item in again["findings"]["items"] if item["kind"] == "overdue_case"} == {
        run["id"]}
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CheckFinding.id)).where(
            CheckFinding.kind == CheckKind.overdue_case)) == 3


def test_a_stored_run_pages_its_findings(app, api, overdue):
    run_id = api().post("/api/v1/checks/run").json["id"]
    supervisor = api(Role.supervisor)
    whole = supervisor.get(f"/api/v1/checks/runs/{run_id}").json
    total = whole["findings"]["total"]
    assert total >= 3 and whole["id"] == run_id
    first = supervisor.get(f"/api/v1/checks/runs/{run_id}", per_page="2").json["findings"]
    assert (first["page"], first["per_page"], first["total"], first["has_next"], len(first["items"])) == (
        1, 2, total, True, 2)
    last_page = (total + 1) // 2
    last = supervisor.get(f"/api/v1/checks/runs/{run_id}", per_page="2", page=str(last_page)).json["findings"]
    assert last["has_next"] is False
    seen = {item["id"] for page in range(1, last_page + 1) for item in supervisor.get(
        f"/api/v1/checks/runs/{run_id}", per_page="2", page=str(page)).json["findings"]["items"]}
    assert len(seen) == total


@pytest.mark.parametrize("query, field", [({"page": "0"}, "page"), ({"page": "x"}, "page"),
                                          ({"per_page": "101"}, "per_page"), ({"per_page": "²"}, "per_page")])
def test_bad_page_arguments_name_the_argument_and_run_nothing(app, api, query, field):
    response = api().post("/api/v1/checks/run", **query)
    assert response.status_code == 400 and response.json["field"] == field and response.json["error"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CheckRun.id))) == 0


def test_a_missing_run_is_404_json(api):
    response = api().get("/api/v1/checks/runs/987654")
    assert response.status_code == 404 and response.json["status"] == 404 and response.json["error"]


def test_a_run_in_progress_refuses_a_second_one(app, api):
    stored_run(app, status=CheckRunStatus.running, lock=1)
    response = api().post("/api/v1/checks/run")
    assert response.status_code == 409 and response.json["status"] == 409 and response.json["error"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CheckRun.id))) == 1


def test_a_finding_about_an_accusation_is_not_shown_to_the_accused_unit(app, api, make_unit, make_petition):
    accused = make_unit("县住建局", kind=UnitKind.department)
    secret = make_petition(summary="检举某局干部", purpose=Purpose.accusation, accused_unit=accused,
                           status=CaseStatus.in_progress)
    other = make_petition(summary="一般事项", status=CaseStatus.in_progress)
    run_id = stored_run(app, findings=[
        {"kind": CheckKind.overdue_case, "subject": f"petition:{secret}", "petition_id": secret},
        {"kind": CheckKind.overdue_case, "subject": f"petition:{other}", "petition_id": other},
        {"kind": CheckKind.uncovered_day, "subject": "day:2026-11-02", "day": date(2026, 11, 2)}])
    insider = api(Role.supervisor, unit=accused).get(f"/api/v1/checks/runs/{run_id}").json["findings"]
    assert insider["total"] == 2 and secret not in {(item["links"]["case"] or {}).get("id")
                                                    for item in insider["items"]}
    outsider = api(Role.supervisor).get(f"/api/v1/checks/runs/{run_id}").json["findings"]
    assert outsider["total"] == 3
    day = next(item for item in outsider["items"] if item["kind"] == "uncovered_day")
    assert day["links"] == {"case": None, "session_id": None, "leader": None, "unit": None, "item_id": None,
                            "day": "2026-11-02"}


def test_session_callers_need_the_csrf_token_to_run(csrf_app, make_user):
    client = csrf_app.test_client()
    user = make_user(Role.supervisor)
    token = csrf_token_from(client.get("/auth/login").data)
    client.post("/auth/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    refused = client.post("/api/v1/checks/run")
    assert refused.status_code == 400 and refused.json["status"] == 400
    page_token = csrf_token_from(client.get("/supervision/assessment").data)
    assert client.post("/api/v1/checks/run", headers={"X-CSRFToken": page_token}).status_code == 201

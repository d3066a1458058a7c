"""Schemathesis against the OpenAPI document, in-process: every operation, fuzzed, keeps its documented contract.

Each case goes through WSGI with a real API token, against the demo data and a stored run of the checks, and is
checked for: no 500, a documented status code, content type and headers, and a body that matches its schema.
Path ids mostly name records that exist (a workflow step goes to a case where it is allowed), and half the fuzzed
bodies get right what a schema cannot say, so successes are checked as well as refusals.

The schema is the document the app serves (the first test compares them), loaded from the module rather than
with schemathesis.pytest.from_fixture, which sets `_nodeid` on the test item: pytest 9 nodes have none.
"""
import json
from datetime import date

import hypothesis.strategies as st
import pytest
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import demo
import demo_cases
import demo_supervision
from blueprints.api.openapi import DOCUMENT, form_fields
from blueprints.cases.forms import ACTION_FORMS, RegisterForm
from blueprints.cases.services import allowed_steps
from blueprints.shared import MAX_ID
from blueprints.supervision import runs
from models import Category, CheckRun, CheckTrigger, Leader, Petition, Role, Unit, User, db
from tests.conftest import clear_tables, serve_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
EXISTING = {}  # kind of record → ids in the database, filled by `api_app` before any case is generated
KINDS = {"case_id": "case", "run_id": "run", "category_id": "category", "leader_id": "leader"}  # else a unit
# What the plausible bodies fill in where a field is missing or blank.
FILLED = {"channel": "visit", "purpose": "claim", "summary": "反映工资拖欠", "petitioners": [{"name": "王某"}],
          "responsible_person": "李科长", "handling_opinion": "核实工资表", "closure_standard": "工资发放到位",
          "text": "已核实", "forwarded_to": "市信访局", "days": 10, "outcome": "support", "satisfaction": "satisfied"}
DATES = ("received_on", "on", "ended_on")
FIELDS = {action: set(form_fields(form)) for action, form in ACTION_FORMS.items()}
FIELDS[None] = set(form_fields(RegisterForm)) - {"attachments"}


def existing(kind: str, value):
    """A whole number up to the documented maximum becomes the id of a record of that kind unless it is a multiple
    of 7 (then most often a 404); other values stay as generated."""
    number = int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value
    if type(number) is int and 0 <= number <= MAX_ID and number % 7 and EXISTING.get(kind):
        return EXISTING[kind][number % len(EXISTING[kind])]
    return value


def flatmap_body(context, body):
    """Half the bodies keep what was generated; the others are made plausible."""
    if not isinstance(body, dict):
        return st.just(body)
    return st.sampled_from([body, plausible(body)])


def plausible(body: dict) -> dict:
    """What a schema cannot state, set right: ids that exist, today for the day of a step, no stale version, and
    the fields the registration or the step needs where they are missing or blank."""
    action = body.get("action")
    if action is not None and action not in FIELDS:
        return body
    fixed = {**body, "version": None} if action else dict(body)
    for name in FIELDS[action]:
        value = fixed.get(name)
        if name.endswith("_ids"):
            fixed.pop(name, None)  # a co-unit may not be the lead unit; left out, the case keeps its own
        elif name.endswith("_id"):
            fixed[name] = existing(KINDS.get(name, "unit"), 1)
        elif name in DATES:
            fixed[name] = date.today().isoformat()
        elif name == "petitioners":
            names = [entry.get("name") for entry in value or () if isinstance(entry, dict)]
            fixed[name] = [{"name": each.strip()[:50]} for each in names if isinstance(each, str) and each.strip()]
            fixed[name] = fixed[name] or FILLED[name]
        elif name == "persons":
            fixed[name] = 1
        elif name in FILLED and not (isinstance(value, str) and value.strip()):
            fixed[name] = FILLED[name]
    return fixed


def load_schema(max_examples: int, coverage: bool):
    """The document, generating the same cases on every run (derandomized, no example database)."""
    config = {"generation": {"deterministic": True, "database": "none", "max-examples": max_examples},
              "phases": {"coverage": {"enabled": coverage}}}
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(DOCUMENT)),
                                            config=schemathesis.Config.from_dict(config))
    loaded.hook(flatmap_body)
    return loaded


# The admin may take every step: each operation fuzzed, plus its boundaries and wrong values (the coverage phase).
schema = load_schema(max_examples=30, coverage=True)
# A township's handler: refusals (403) and other units' cases (404), fuzzed briefly.
unit_schema = load_schema(max_examples=10, coverage=False)


def load_world():
    """The demo data (units, users of every role, 200 cases, sessions, supervision) and a stored run of the checks;
    notes the ids of each kind, and the cases where each workflow step is allowed to the admin."""
    clear_tables()
    today = date.today()
    demo.load(1, today)
    db.session.commit()
    demo_cases.load_cases(demo_cases.FIRST_LOAD, 1, today)
    demo_supervision.load(today)
    db.session.commit()
    admin = db.session.scalar(db.select(User).where(User.username == Role.admin.value))
    runs.run_checks(CheckTrigger.page, admin.id, today)
    EXISTING.clear()
    for kind, model in (("case", Petition), ("run", CheckRun), ("category", Category), ("leader", Leader),
                        ("unit", Unit)):
        EXISTING[kind] = db.session.scalars(db.select(model.id).order_by(model.id)).all()
    for petition in db.session.scalars(db.select(Petition).order_by(Petition.id)):
        for action, steps in allowed_steps(petition, admin).items():
            for step in steps:
                EXISTING.setdefault(f"{action}/{step}", []).append(petition.id)


@pytest.fixture(scope="module")
def api_app(database_url):
    """One app on the demo world for every operation of this module (loading it takes a second or two)."""
    yield from serve_app(database_url, prepare=load_world)


@pytest.fixture(scope="module")
def tokens(api_app):
    """{role: Authorization header} for the demo admin and handler, with tokens made by `flask create-token`."""
    found = {}
    for role in (Role.admin, Role.handler):
        result = api_app.test_cli_runner().invoke(args=["create-token", role.value])
        assert result.exit_code == 0, result.output
        found[role] = {"Authorization": f"Bearer {result.output.strip()}"}
    return found


def test_the_served_document_is_the_one_tested(api_app, tokens):
    served = api_app.test_client().get("/api/v1/openapi.json", headers=tokens[Role.handler])
    assert served.status_code == 200 and served.json == schema.raw_schema
    assert len(EXISTING["case"]) == demo_cases.FIRST_LOAD and EXISTING["run"] and EXISTING["accept/accept"]


@pytest.mark.parametrize("url, field", [
    ("/api/v1/cases?leader=9223372036854775808", "leader"),  # was a 500: too large for the database
    ("/api/v1/cases?category=9223372036854775808", "category"),
    ("/api/v1/cases?unit=9223372036854775808", "unit"),
    ("/api/v1/cases?township=9223372036854775808", "township"),
    ("/api/v1/cases?page=2147483648", "page"),
    ("/api/v1/cases?per_page=" + "9" * 5000, "per_page"),  # was a 500: int() refuses 4,300 digits and more
    ("/api/v1/checks/runs/{run}?page=184467440737095518", "page"),  # was a 500: the OFFSET overflowed
    ("/api/v1/stats?from=0001-01-01&to=0001-12-31", "to"),  # was a 500: no year before the year 1
])
def test_numbers_and_days_out_of_range_answer_400(api_app, tokens, url, field):
    response = api_app.test_client().get(url.format(run=EXISTING["run"][0]), headers=tokens[Role.admin])
    assert response.status_code == 400 and response.json["field"] == field, response.json


@pytest.mark.parametrize("method, url", [
    ("GET", "/api/v1/cases/9223372036854775808"), ("POST", "/api/v1/cases/9223372036854775808/actions"),
    ("GET", "/api/v1/checks/runs/2147483648"),
])
def test_ids_too_large_for_the_database_answer_404(api_app, tokens, method, url):
    response = api_app.test_client().open(url, method=method, json={"action": "accept", "step": "accept"},
                                          headers=tokens[Role.admin])
    assert response.status_code == 404 and response.json["status"] == 404


@pytest.mark.parametrize("url, body, field", [  # each was a 500 on PostgreSQL, whose text cannot hold a NUL
    ("/api/v1/cases?q=%00", None, "q"),
    ("/api/v1/cases", {"summary": "反映\x00问题"}, "summary"),
    ("/api/v1/cases", {"petitioners": [{"name": "王某"}, {"name": "李\x00四"}]}, "petitioners-1-name"),
    ("/api/v1/cases/{case}/actions", {"action": "progress", "step": "progress", "text": "已\x00核实"}, "text"),
])
def test_a_nul_character_answers_400_naming_the_field(api_app, tokens, url, body, field):
    url = url.format(case=EXISTING["progress/progress"][0])
    client, headers = api_app.test_client(), tokens[Role.admin]
    response = client.get(url, headers=headers) if body is None else client.post(url, json=plausible(body),
                                                                                 headers=headers)
    assert response.status_code == 400 and response.json["field"] == field, response.json
    assert response.json["error"] == "无法处理该请求。请检查填写的内容后重试。"


def test_a_body_nested_deeper_than_the_parser_goes_answers_400(api_app, tokens):
    response = api_app.test_client().post("/api/v1/cases", data="[" * 100_000, content_type="application/json",
                                          headers=tokens[Role.admin])  # was a 500: RecursionError
    assert response.status_code == 400 and response.json["field"] is None


def call_and_validate(case, app, headers):
    body = case.body if isinstance(case.body, dict) else {}
    step = f"{body.get('action')}/{body.get('step')}"
    for name, value in (case.path_parameters or {}).items():
        case.path_parameters[name] = existing(step if name == "case_id" and step in EXISTING else KINDS[name], value)
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)


@schema.parametrize()
def test_every_operation_keeps_its_documented_contract(case, api_app, tokens):
    call_and_validate(case, api_app, tokens[Role.admin])


@unit_schema.parametrize()
def test_a_units_user_is_refused_as_documented(case, api_app, tokens):
    call_and_validate(case, api_app, tokens[Role.handler])

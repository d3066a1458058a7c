"""The cases JSON API with a token: the pages' permissions, masking, registration, workflow steps, OpenAPI."""
import re
from datetime import date, timedelta

import pytest
from openapi_spec_validator import validate

from blueprints.cases.idnumber import make_id_number
from models import AuditAction, AuditLog, CaseStatus, LeaderPost, Petition, Purpose, Role, UnitKind, db
from tests.conftest import ID_NUMBER, PASSWORD, PHONE, csrf_token_from

TODAY = date.today()


class Caller:
    """A test client that sends one user's API token with every request."""

    def __init__(self, client, token, user):
        self.client, self.user = client, user
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url, **query):
        return self.client.get(url, query_string=query, headers=self.headers)

    def post(self, url, body):
        return self.client.post(url, json=body, headers=self.headers)

    def act(self, petition_id, body):
        """A workflow step, dated today unless the body says otherwise."""
        return self.post(f"/api/v1/cases/{petition_id}/actions", {"on": TODAY.isoformat(), **body})


@pytest.fixture
def api(app, make_user):
    """api(role, **kw): a new user of that role and a caller with a token made by `flask create-token`."""
    def factory(role=Role.clerk, **kwargs):
        user = make_user(role=role, **kwargs)
        result = app.test_cli_runner().invoke(args=["create-token", user.username])
        assert result.exit_code == 0, result.output
        return Caller(app.test_client(), result.output.strip(), user)

    return factory


def register_body(category, **overrides):
    body = {"channel": "visit", "received_on": TODAY.isoformat(), "purpose": "claim", "category_id": category.id,
            "persons": 1, "summary": "反映工资拖欠",
            "petitioners": [{"name": "李四", "id_number": ID_NUMBER, "phone": PHONE, "address": "西村2号",
                             "village": "西村"}]}
    body.update(overrides)
    return body


def count_petitions(app):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Petition.id)))


# --- the document ------------------------------------------------------------------------------------------------

def test_the_openapi_document_is_valid_and_describes_every_api_route(app, client, api):
    assert client.get("/api/v1/openapi.json").status_code == 401
    document = api(Role.handler).get("/api/v1/openapi.json").json
    validate(document)
    assert "bearerAuth" in document["components"]["securitySchemes"]
    assert {"error", "field"} <= document["components"]["schemas"]["Error"]["properties"].keys()
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")]
    assert len(routes) >= 7
    for rule in routes:
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        assert path in document["paths"], f"{rule.rule} is missing from blueprints/api/openapi.py"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in document["paths"][path], f"{method} {rule.rule} is not documented"


# --- reading -----------------------------------------------------------------------------------------------------

def test_tokens_see_what_the_pages_show(client, api, make_unit, make_petition):
    assert client.get("/api/v1/cases").status_code == 401
    town = make_unit("城关镇")
    accused = make_unit("县住建局", kind=UnitKind.department)
    mine = make_petition(summary="本单位承办", lead_unit=town)
    make_petition(summary="别的单位承办")
    secret = make_petition(summary="检举某局领导", purpose=Purpose.accusation, accused_unit=accused)

    handler = api(Role.handler, unit=town)
    listing = handler.get("/api/v1/cases").json
    assert [item["summary"] for item in listing["items"]] == ["本单位承办"] and listing["total"] == 1
    assert handler.get(f"/api/v1/cases/{mine}").status_code == 200
    assert handler.get(f"/api/v1/cases/{secret}").status_code == 404

    insider = api(Role.clerk, unit=accused)
    listing = insider.get("/api/v1/cases").json
    assert listing["total"] == 2 and "检举某局领导" not in str(listing)
    assert insider.get("/api/v1/cases", q="检举").json["total"] == 0
    assert insider.get("/api/v1/cases", purpose="accusation").json["items"] == []
    missing = insider.get(f"/api/v1/cases/{secret}")
    assert missing.status_code == 404 and missing.json["status"] == 404 and "error" in missing.json
    assert insider.act(secret, {"action": "accept", "step": "accept"}).status_code == 404
    assert api(Role.clerk).get("/api/v1/cases").json["total"] == 3


def test_the_list_masks_personal_data_searches_by_id_number_and_pages(api, make_petition):
    other_id = make_id_number("330102", date(1980, 1, 1), 1)
    make_petition(summary="反映宅基地纠纷", name="赵六", id_number=other_id, phone="13900001111")
    for n in range(3):
        make_petition(summary=f"反映物业收费{n}")
    clerk = api(Role.clerk)
    listing = clerk.get("/api/v1/cases", per_page="2")
    assert listing.status_code == 200
    body = listing.json
    assert (body["page"], body["per_page"], body["total"], body["total_capped"], body["has_next"]) == (1, 2, 4, False,
                                                                                                     True)
    assert ID_NUMBER not in listing.get_data(as_text=True) and PHONE not in listing.get_data(as_text=True)
    person = body["items"][0]["petitioners"][0]
    assert person["id_number"] == "330102********" + ID_NUMBER[-4:] and person["phone"] == "138****5678"
    assert person["address"] == "…"
    assert "timeline" not in body["items"][0] and body["items"][0]["clocks"][0]["key"] == "acceptance"
    assert clerk.get("/api/v1/cases", per_page="2", page="2").json["has_next"] is False
    found = clerk.get("/api/v1/cases", q=ID_NUMBER).json
    assert found["total"] == 3 and all(item["summary"].startswith("反映物业收费") for item in found["items"])
    assert [item["summary"] for item in clerk.get("/api/v1/cases", q=other_id).json["items"]] == ["反映宅基地纠纷"]


@pytest.mark.parametrize("query, field", [
    ({"per_page": "101"}, "per_page"), ({"page": "0"}, "page"), ({"from": "2026-02-30"}, "from"),
    ({"status": "lost"}, "status"), ({"unit": "abc"}, "unit"), ({"unit": "²"}, "unit"), ({"page": "²"}, "page"),
    ({"sort": "random"}, "sort"),
])
def test_bad_list_arguments_name_the_argument(api, query, field):
    response = api(Role.clerk).get("/api/v1/cases", **query)
    assert response.status_code == 400 and response.json["field"] == field and response.json["error"]


def test_the_case_has_its_clocks_with_days_left_and_the_provisional_flag(api, make_petition):
    counted = make_petition(received_on=date(2026, 9, 20))
    late = make_petition(received_on=date(2026, 12, 25))
    clerk = api(Role.clerk)
    clock = clerk.get(f"/api/v1/cases/{counted}").json["clocks"][0]
    assert clock["due"] == "2026-10-08" and clock["provisional"] is False  # 15 days roll past National Day
    assert clock["days_left"] == (date(2026, 10, 8) - TODAY).days and clock["running"] is True
    assert (clock["rule"], clock["start"], clock["length"]) == ("calendar_days", "2026-09-20", 15)
    assert "2026-10-05" in clock["skipped"]
    case = clerk.get(f"/api/v1/cases/{late}").json
    assert case["clocks"][0]["provisional"] is True and case["clocks"][0]["provisional_years"] == [2027]
    assert case["status"] == {"value": "registered", "label": "登记"} and case["allowed_steps"]["accept"]
    assert case["timeline"] == [] and case["revealed"] is False  # the fixture writes no registration line


def test_reveal_is_for_those_who_may_see_personal_data_and_is_audited(app, api, make_petition):
    petition_id = make_petition()
    supervisor = api(Role.supervisor)
    shown = supervisor.get(f"/api/v1/cases/{petition_id}")
    assert ID_NUMBER not in shown.get_data(as_text=True) and shown.json["may_reveal"] is False
    refused = supervisor.get(f"/api/v1/cases/{petition_id}", reveal="1")
    assert refused.status_code == 403 and refused.json["field"] == "reveal"
    clerk = api(Role.clerk)
    assert ID_NUMBER not in clerk.get(f"/api/v1/cases/{petition_id}").get_data(as_text=True)
    with app.app_context():
        reveals = db.select(db.func.count(AuditLog.id)).where(AuditLog.action == AuditAction.reveal)
        assert db.session.scalar(reveals) == 0
    revealed = clerk.get(f"/api/v1/cases/{petition_id}", reveal="1").json
    person = revealed["petitioners"][0]
    assert revealed["revealed"] and (person["id_number"], person["phone"], person["address"]) == (ID_NUMBER, PHONE,
                                                                                                  "东村1号")
    with app.app_context():
        entry = db.session.scalar(db.select(AuditLog).where(AuditLog.action == AuditAction.reveal))
        assert entry.actor_id == clerk.user.id and entry.object_id == str(petition_id)
        assert entry.changes == {"fields": ["id_number", "phone"]}


# --- registering -------------------------------------------------------------------------------------------------

def test_a_clerk_registers_a_petition(app, api, category):
    clerk = api(Role.clerk)
    response = clerk.post("/api/v1/cases", register_body(category, received_on="2026-09-20"))
    assert response.status_code == 201
    case = response.json
    assert response.headers["Location"] == f"/api/v1/cases/{case['id']}"
    assert case["number"] == f"XF2026-{case['id']:07d}" and case["status"]["value"] == "registered"
    assert case["due_on"] == "2026-10-08" and case["category"]["name"] == "城乡建设"
    assert case["petitioners"][0]["id_number"] != ID_NUMBER  # masked in the answer too
    assert [line["kind"]["value"] for line in case["timeline"]] == ["registered"]
    assert clerk.get(response.headers["Location"]).json["number"] == case["number"]


@pytest.mark.parametrize("overrides, field, message", [
    ({"petitioners": [{"name": "李四", "id_number": "110105194912310021"}]}, "petitioners-0-id_number", "身份证号"),
    ({"received_on": (TODAY + timedelta(days=1)).isoformat()}, "received_on", "未来"),
    ({"purpose": "accusation"}, "accused_unit_id", "被检举"),
    ({"summary": ""}, "summary", "必填"),
    ({"petitioners": [{"name": "李四", "phone": "abc"}]}, "petitioners-0-phone", "数字"),
    ({"petitioners": []}, "petitioners-0-name", ""),  # the page's sub-form message is not translated yet
    ({"petitioners": [{"name": "李四", "nickname": "小李"}]}, "petitioners-0-nickname", ""),
    ({"petitioners": "李四"}, "petitioners", ""),
    ({"persons": "many"}, "persons", ""),
    ({"category_id": 999999}, "category_id", ""),
    ({"summary": {"text": "x"}}, "summary", ""),
    ({"colour": "red"}, "colour", ""),
])
def test_bad_registrations_name_the_field_and_save_nothing(app, api, category, overrides, field, message):
    response = api(Role.clerk).post("/api/v1/cases", register_body(category, **overrides))
    assert response.status_code == 400, response.json
    assert response.json["field"] == field and message in response.json["error"]
    assert count_petitions(app) == 0


def test_registration_needs_a_json_object_and_an_office_role(app, api, category):
    clerk = api(Role.clerk)
    response = clerk.client.post("/api/v1/cases", data="channel=visit", headers=clerk.headers)
    assert response.status_code == 400 and response.json["field"] is None
    assert clerk.post("/api/v1/cases", [register_body(category)]).status_code == 400
    refused = api(Role.handler).post("/api/v1/cases", register_body(category))
    assert refused.status_code == 403 and refused.json["status"] == 403
    assert count_petitions(app) == 0


def test_a_likely_repeat_visit_is_answered_with_the_earlier_cases(app, api, category, make_petition):
    earlier = make_petition(summary="上次反映的事")
    clerk = api(Role.clerk)
    first = clerk.post("/api/v1/cases", register_body(category))
    assert first.status_code == 409 and first.json["field"] == "repeat_checked"
    assert [match["id"] for match in first.json["matches"]] == [earlier] and first.json["error"]
    assert count_petitions(app) == 1
    saved = clerk.post("/api/v1/cases", register_body(category, repeat_checked=True, is_repeat=True))
    assert saved.status_code == 201 and count_petitions(app) == 2
    with app.app_context():
        assert db.session.get(Petition, saved.json["id"]).is_repeat



def test_a_registration_sent_again_with_its_idempotency_key_returns_the_first_case(app, api, category):
    clerk, other = api(Role.clerk), api(Role.clerk)
    key = {"Idempotency-Key": "intake-7f3a-0001"}
    first = clerk.client.post("/api/v1/cases", json=register_body(category), headers={**clerk.headers, **key})
    again = clerk.client.post("/api/v1/cases", json=register_body(category), headers={**clerk.headers, **key})
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"] and again.headers["Location"] == first.headers["Location"]
    assert count_petitions(app) == 1
    # Keys belong to their caller: another clerk's same key is a new registration (a repeat, so it says so).
    body = register_body(category, repeat_checked=True, is_repeat=True)
    assert other.client.post("/api/v1/cases", json=body, headers={**other.headers, **key}).status_code == 201
    assert count_petitions(app) == 2


@pytest.mark.parametrize("key, status", [("", 400), ("含中文", 400), ("x" * 201, 400), ("intake-7f3a-0001", 422)])
def test_a_bad_or_reused_idempotency_key_is_refused_and_saves_nothing(app, api, category, key, status):
    clerk = api(Role.clerk)
    sent = {"Idempotency-Key": "intake-7f3a-0001"}
    assert clerk.client.post("/api/v1/cases", json=register_body(category),
                             headers={**clerk.headers, **sent}).status_code == 201
    other_body = register_body(category, summary="另一件事", repeat_checked=True)
    response = clerk.client.post("/api/v1/cases", json=other_body,
                                 headers={**clerk.headers, "Idempotency-Key": key.encode().decode("latin-1")})
    assert response.status_code == status and response.json["field"] == "Idempotency-Key" and response.json["error"]
    assert count_petitions(app) == 1

# --- workflow steps ----------------------------------------------------------------------------------------------

@pytest.fixture
def package(make_unit, make_leader):
    unit = make_unit(name="县人社局", kind=UnitKind.department)
    co_unit = make_unit(name="县财政局", kind=UnitKind.department)
    leader = make_leader(name="张副县长", post=LeaderPost.county_leader)
    return unit, co_unit, leader


def assign_body(package, **overrides):
    unit, co_unit, leader = package
    body = {"action": "assign", "step": "assign", "leader_id": leader.id, "lead_unit_id": unit.id,
            "co_unit_ids": [co_unit.id], "responsible_person": "李科长", "handling_opinion": "核实工资表",
            "closure_standard": "工资发放到位", "duty_facts": True, "is_key": False}
    body.update(overrides)
    return body


def test_a_case_goes_from_intake_to_closure_through_the_api(app, api, make_petition, package):
    received = TODAY - timedelta(days=20)
    petition_id = make_petition(received_on=received)
    clerk = api(Role.clerk)
    accepted = clerk.act(petition_id, {"action": "accept", "step": "accept", "text": "符合受理条件", "version": 1,
                                       "on": (received + timedelta(days=2)).isoformat()})
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["status"]["value"] == "accepted" and accepted.json["version"] > 1
    assigned = clerk.act(petition_id, assign_body(package, version=accepted.json["version"]))
    assert assigned.status_code == 200, assigned.json
    assert assigned.json["lead_unit"]["name"] == "县人社局"
    assert [unit["name"] for unit in assigned.json["co_units"]] == ["县财政局"]
    # Fields left out keep the package: only the responsible person changes.
    again = clerk.act(petition_id, {"action": "assign", "step": "assign", "responsible_person": "王科长"})
    assert again.status_code == 200 and again.json["responsible_person"] == "王科长"
    assert again.json["co_units"] == assigned.json["co_units"] and again.json["leader"]["name"] == "张副县长"
    for body in ({"action": "progress", "step": "progress", "text": "已约谈信访人", "duty_resolve": True},
                 {"action": "opinion", "step": "issue", "outcome": "support", "text": "支持补发工资"},
                 {"action": "return-visit", "step": "record", "satisfaction": "satisfied"},
                 {"action": "close", "step": "close", "resolution": "mediation"}):
        response = clerk.act(petition_id, body)
        assert response.status_code == 200, (body, response.json)
    case = response.json
    assert case["status"]["value"] == "closed" and case["outcome"]["value"] == "support" and case["due_on"] is None
    assert [line["kind"]["value"] for line in case["timeline"]] == [
        "accepted", "assigned", "assigned", "progress", "opinion_issued", "return_visit", "closed"]
    assert case["timeline"][0]["text"] == "符合受理条件" and case["timeline"][0]["author"] == "测试clerk"
    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        assert petition.duty_facts and petition.duty_resolve and petition.satisfaction.value == "satisfied"


def test_refused_steps_answer_with_a_message_and_the_version(app, api, make_petition):
    petition_id = make_petition(received_on=TODAY - timedelta(days=3))
    clerk = api(Role.clerk)
    early = clerk.act(petition_id, {"action": "accept", "step": "accept",
                                    "on": (TODAY - timedelta(days=5)).isoformat()})
    assert early.status_code == 400 and early.json["field"] == "on" and early.json["error"]
    illegal = clerk.act(petition_id, {"action": "close", "step": "close"})
    assert illegal.status_code == 409 and illegal.json["error"] and illegal.json["version"] == 1
    accepted = clerk.act(petition_id, {"action": "accept", "step": "accept", "version": 1})
    assert accepted.status_code == 200
    stale = clerk.act(petition_id, {"action": "progress", "step": "progress", "text": "旧页面", "version": 1})
    assert stale.status_code == 409 and stale.json["version"] == accepted.json["version"] and stale.json["error"]
    for body, field in (({"action": "archive", "step": "x"}, "action"), ({"step": "accept"}, "action"),
                        ({"action": ["accept"], "step": "accept"}, "action"),
                        ({"action": "progress", "step": "progress"}, "text"),
                        ({"action": "progress", "step": "fly", "text": "x"}, "step"),
                        ({"action": "progress", "step": "progress", "text": "x", "satisfaction": "y"}, "satisfaction"),
                        ({"action": "progress", "step": "progress", "text": "x", "on": "yesterday"}, "on"),
                        ({"action": "progress", "step": "progress", "text": "x", "on": None}, "on")):
        response = clerk.act(petition_id, body)
        assert response.status_code == 400 and response.json["field"] == field, (body, response.json)
    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        assert petition.status is CaseStatus.accepted and len(petition.events) == 1


def test_a_handler_submits_an_opinion_but_may_not_issue_it(app, api, make_petition, make_unit):
    unit = make_unit(name="县人社局", kind=UnitKind.department)
    petition_id = make_petition(status=CaseStatus.in_progress, lead_unit=unit, accepted_on=TODAY)
    handler = api(Role.handler, unit=unit)
    issue = {"action": "opinion", "step": "issue", "outcome": "explain", "text": "解释政策"}
    refused = handler.act(petition_id, issue)
    assert refused.status_code == 403, refused.json
    assert refused.json["error"] and "version" not in refused.json
    submitted = handler.act(petition_id, {**issue, "step": "submit"})
    assert submitted.status_code == 200 and submitted.json["allowed_steps"].get("opinion") == ["submit"]
    assert submitted.json["may_reveal"] is True  # the handling unit may reveal, audited
    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        assert petition.opinion_pending and petition.status is CaseStatus.in_progress


def test_session_callers_need_the_csrf_token_to_post(csrf_app, make_user, make_petition):
    client = csrf_app.test_client()
    user = make_user(Role.clerk)
    token = csrf_token_from(client.get("/auth/login").data)
    client.post("/auth/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    petition_id = make_petition()
    assert client.get(f"/api/v1/cases/{petition_id}").status_code == 200
    url, body = f"/api/v1/cases/{petition_id}/actions", {"action": "accept", "step": "accept", "on": TODAY.isoformat()}
    refused = client.post(url, json=body)
    assert refused.status_code == 400 and refused.json["status"] == 400
    page_token = csrf_token_from(client.get(f"/cases/{petition_id}").data)
    accepted = client.post(url, json=body, headers={"X-CSRFToken": page_token})
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["status"]["value"] == "accepted"

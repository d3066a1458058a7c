"""The permissions matrix: every route × every role × a record of the user's own unit or another's, then the
accusation rule (nothing reaches the accused unit) and personal data (masked unless an audited reveal is allowed).

MATRIX below is the complete statement of who may call what; tests/test_access.py checks the role rule alone."""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, time, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from blueprints.cases.access import may_see_personal_data
from blueprints.cases.idnumber import make_id_number
from blueprints.cases.workflow import clock_dates
from blueprints.shared import allowed_roles, mask_id_number, mask_phone, official_calendar
from blueprints.supervision import runs
from blueprints.supervision.notices import notice_number
from models import (
    ApiToken,
    Attachment,
    AuditAction,
    AuditLog,
    Campaign,
    CaseStatus,
    Category,
    Channel,
    CheckFinding,
    CheckTrigger,
    Inspection,
    InspectionEvidence,
    InspectionMethod,
    InspectionRound,
    InspectionTarget,
    Leader,
    LeaderPost,
    NoticeLevel,
    Petition,
    Petitioner,
    Purpose,
    Rating,
    ReceptionMethod,
    ReceptionSession,
    RectificationItem,
    RectificationStatus,
    Role,
    RoundKind,
    SessionStatus,
    SupervisionNotice,
    Unit,
    UnitKind,
    User,
    db,
)
from tests.conftest import PASSWORD, serve_app

TODAY = date.today()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# --- the matrix ------------------------------------------------------------------------------------------------
# One line per route and method. A cell is what that role gets:
#   ok     allowed: the page, the file, a redirect elsewhere, or the form's own refusal of the empty input (400, 409)
#   login  302 to /auth/login?next=…          401  the API's "authentication required"
#   403    refused for the role               404  as if the record did not exist
#   a/b    on a record of the user's own unit (a) and of another unit (b): the case's lead unit or co-unit, the unit
#          an item or notice is addressed to; for a leader, the cases they are package leader of and the items and
#          notices addressed to them (blueprints/cases/access.py, blueprints/supervision/access.py).
# The leader is an ordinary county leader; a main leader (county secretary or head) also reads the weekly report and
# opens every package case from it (tests/test_packages.py). Admins, clerks and supervisors belong to the office.
# Requests are harmless: GET the page; POST an empty form (or an empty JSON body) to a record whose state makes it a
# no-op. Only the access outcome is checked; the forms' own rules are the business of each feature's tests.
MATRIX = """
rule                                                      method  anon   admin  clerk  leader   handler  supervisor
/                                                         GET     ok     ok     ok     ok       ok       ok
/notice                                                   GET     ok     ok     ok     ok       ok       ok
/receptions.ics                                           GET     ok     ok     ok     ok       ok       ok
/auth/login                                               GET     ok     ok     ok     ok       ok       ok
/auth/login                                               POST    ok     ok     ok     ok       ok       ok
/auth/language/<code>                                     GET     ok     ok     ok     ok       ok       ok
/auth/language/<code>                                     POST    ok     ok     ok     ok       ok       ok
/auth/home                                                GET     login  ok     ok     ok       ok       ok
/auth/password                                            GET     login  ok     ok     ok       ok       ok
/auth/password                                            POST    login  ok     ok     ok       ok       ok
/auth/logout                                              POST    login  ok     ok     ok       ok       ok

/admin/users                                              GET     login  ok     403    403      403      403
/admin/users/new                                          GET     login  ok     403    403      403      403
/admin/users/new                                          POST    login  ok     403    403      403      403
/admin/users/<int:user_id>/edit                           GET     login  ok     403    403      403      403
/admin/users/<int:user_id>/edit                           POST    login  ok     403    403      403      403
/admin/units                                              GET     login  ok     403    403      403      403
/admin/units/new                                          GET     login  ok     403    403      403      403
/admin/units/new                                          POST    login  ok     403    403      403      403
/admin/units/<int:unit_id>/edit                           GET     login  ok     403    403      403      403
/admin/units/<int:unit_id>/edit                           POST    login  ok     403    403      403      403
/admin/leaders                                            GET     login  ok     403    403      403      403
/admin/leaders/new                                        GET     login  ok     403    403      403      403
/admin/leaders/new                                        POST    login  ok     403    403      403      403
/admin/leaders/<int:leader_id>/edit                       GET     login  ok     403    403      403      403
/admin/leaders/<int:leader_id>/edit                       POST    login  ok     403    403      403      403
/admin/lists                                              GET     login  ok     403    403      403      403
/admin/lists/<kind>/new                                   GET     login  ok     403    403      403      403
/admin/lists/<kind>/new                                   POST    login  ok     403    403      403      403
/admin/lists/<kind>/<int:item_id>/edit                    GET     login  ok     403    403      403      403
/admin/lists/<kind>/<int:item_id>/edit                    POST    login  ok     403    403      403      403
/admin/calendar                                           GET     login  ok     403    403      403      403
/admin/calendar/day/<isodate>                             GET     login  ok     403    403      403      403
/admin/calendar/day/<isodate>                             POST    login  ok     403    403      403      403
/admin/calendar/<int:year>/import                         GET     login  ok     403    403      403      403
/admin/calendar/<int:year>/import                         POST    login  ok     403    403      403      403
/admin/calendar/<int:year>/confirm                        POST    login  ok     403    403      403      403
/admin/audit                                              GET     login  ok     403    403      403      403

/cases/                                                   GET     login  ok     ok     ok       ok       ok
/cases/new                                                GET     login  ok     ok     403      403      403
/cases/new                                                POST    login  ok     ok     403      403      403
/cases/<int:petition_id>                                  GET     login  ok     ok     ok/404   ok/404   ok
/cases/<int:petition_id>/sheet                            GET     login  ok     ok     ok/404   ok/404   ok
/cases/<int:petition_id>/actions/<action>                 POST    login  ok     ok     ok/404   ok/404   ok
/cases/<int:petition_id>/reveal                           POST    login  ok     ok     403/404  ok/404   403
/cases/<int:petition_id>/attachments                      POST    login  ok     ok     ok/404   ok/404   403
/cases/<int:petition_id>/attachments/<int:attachment_id>  GET     login  ok     ok     ok/404   ok/404   ok
/cases/export                                             GET     login  ok     ok     ok       ok       ok
/cases/export                                             POST    login  ok     ok     403      403      403
/cases/import                                             GET     login  ok     ok     403      403      403
/cases/import                                             POST    login  ok     ok     403      403      403
/cases/mine                                               GET     login  ok     403    ok       403      403
/cases/weekly                                             GET     login  ok     ok     403      403      ok
/cases/weekly.xlsx                                        GET     login  ok     ok     403      403      ok

/reception/                                               GET     login  ok     ok     ok       403      ok
/reception/new                                            GET     login  ok     ok     ok       403      403
/reception/new                                            POST    login  ok     ok     ok       403      403
/reception/<int:session_id>                               GET     login  ok     ok     ok       403      ok
/reception/<int:session_id>/edit                          GET     login  ok     ok     ok       403      403
/reception/<int:session_id>/edit                          POST    login  ok     ok     ok       403      403
/reception/<int:session_id>/copy                          GET     login  ok     ok     ok       403      403
/reception/<int:session_id>/copy                          POST    login  ok     ok     ok       403      403
/reception/<int:session_id>/publish                       POST    login  ok     ok     ok       403      403
/reception/<int:session_id>/delete                        POST    login  ok     ok     ok       403      403
/reception/<int:session_id>/cancel                        POST    login  ok     ok     ok       403      403
/reception/<int:session_id>/reschedule                    POST    login  ok     ok     ok       403      403
/reception/<int:session_id>/record                        POST    login  ok     ok     ok       403      403
/reception/<int:session_id>/batches                       POST    login  ok     ok     ok       403      403
/reception/rota                                           GET     login  ok     ok     ok       403      ok
/reception/rota/publish                                   POST    login  ok     ok     ok       403      403
/reception/quotas                                         GET     login  ok     ok     ok       403      ok
/reception/quotas                                         POST    login  ok     ok     403      403      403

/supervision/                                             GET     login  ok     ok     ok       ok       ok
/supervision/items                                        GET     login  ok     ok     ok       ok       ok
/supervision/items/new                                    GET     login  ok     403    403      403      ok
/supervision/items/new                                    POST    login  ok     403    403      403      ok
/supervision/items/<int:item_id>                          GET     login  ok     404    ok/404   ok/404   ok
/supervision/items/<int:item_id>/progress                 POST    login  ok     404    ok/404   ok/404   ok
/supervision/items/<int:item_id>/edit                     GET     login  ok     403    403      403      ok
/supervision/items/<int:item_id>/edit                     POST    login  ok     403    403      403      ok
/supervision/items/<int:item_id>/verify                   POST    login  ok     403    403      403      ok
/supervision/items/<int:item_id>/sign-off                 POST    login  ok     403    403      403      ok
/supervision/items/<int:item_id>/escalate                 POST    login  ok     403    403      403      ok
/supervision/notices                                      GET     login  ok     ok     ok       ok       ok
/supervision/notices/new                                  GET     login  ok     403    403      403      ok
/supervision/notices/new                                  POST    login  ok     403    403      403      ok
/supervision/notices/<int:notice_id>                      GET     login  ok     404    ok/404   ok/404   ok
/supervision/notices/<int:notice_id>/sheet                GET     login  ok     404    ok/404   ok/404   ok
/supervision/notices/<int:notice_id>/reply                POST    login  ok     403    ok/403   ok/403   ok
/supervision/notices/<int:notice_id>/escalate             POST    login  ok     403    403      403      ok
/supervision/inspections                                  GET     login  ok     403    403      403      ok
/supervision/inspections/new                              GET     login  ok     403    403      403      ok
/supervision/inspections/new                              POST    login  ok     403    403      403      ok
/supervision/inspections/<int:inspection_id>              GET     login  ok     403    403      403      ok
/supervision/inspections/<int:inspection_id>/edit         GET     login  ok     403    403      403      ok
/supervision/inspections/<int:inspection_id>/edit         POST    login  ok     403    403      403      ok
/supervision/inspections/<int:inspection_id>/evidence     POST    login  ok     403    403      403      ok
/supervision/evidence/<int:evidence_id>                   GET     login  ok     403    403      403      ok
/supervision/rounds                                       GET     login  ok     403    403      403      ok
/supervision/rounds/new                                   GET     login  ok     403    403      403      ok
/supervision/rounds/new                                   POST    login  ok     403    403      403      ok
/supervision/rounds/plan                                  POST    login  ok     403    403      403      ok
/supervision/rounds/<int:round_id>                        GET     login  ok     403    403      403      ok
/supervision/checks                                       GET     login  ok     403    403      403      ok
/supervision/checks/run                                   POST    login  ok     403    403      403      ok
/supervision/checks/runs/<int:run_id>                     GET     login  ok     403    403      403      ok
/supervision/assessment                                   GET     login  ok     403    403      403      ok
/supervision/assessment/weights                           POST    login  ok     403    403      403      ok

/stats/                                                   GET     login  ok     ok     ok       ok       ok
/stats/print                                              GET     login  ok     ok     ok       ok       ok
/stats/dashboard.xlsx                                     GET     login  ok     ok     ok       ok       ok
/stats/breakdown                                          GET     login  ok     ok     ok       ok       ok
/stats/trend                                              GET     login  ok     ok     ok       ok       ok
/stats/annual                                             GET     login  ok     ok     ok       403      ok
/stats/annual.xlsx                                        GET     login  ok     ok     ok       403      ok
/stats/campaigns                                          GET     login  ok     ok     ok       ok       ok
/stats/campaigns/new                                      GET     login  ok     ok     403      403      403
/stats/campaigns/new                                      POST    login  ok     ok     403      403      403
/stats/campaigns/<int:campaign_id>                        GET     login  ok     ok     ok       ok       ok
/stats/campaigns/<int:campaign_id>/edit                   GET     login  ok     ok     403      403      403
/stats/campaigns/<int:campaign_id>/edit                   POST    login  ok     ok     403      403      403
/stats/campaigns/<int:campaign_id>/tag                    POST    login  ok     ok     403      403      403

/api/v1/receptions                                        GET     ok     ok     ok     ok       ok       ok
/api/v1/me                                                GET     401    ok     ok     ok       ok       ok
/api/v1/openapi.json                                      GET     401    ok     ok     ok       ok       ok
/api/v1/cases                                             GET     401    ok     ok     ok       ok       ok
/api/v1/cases                                             POST    401    ok     ok     403      403      403
/api/v1/cases/<int:case_id>                               GET     401    ok     ok     ok/404   ok/404   ok
/api/v1/cases/<int:case_id>/actions                       POST    401    ok     ok     ok/404   ok/404   ok
/api/v1/stats                                             GET     401    ok     ok     ok       ok       ok
/api/v1/checks/run                                        POST    401    ok     403    403      403      ok
/api/v1/checks/runs/<int:run_id>                          GET     401    ok     403    403      403      ok
"""
ROLES = ("anon", "admin", "clerk", "leader", "handler", "supervisor")
# URL arguments naming a record that belongs to a unit: these routes are checked on an own and another's record.
SCOPED_ARGUMENTS = {"petition_id", "case_id", "item_id", "notice_id"}
OUTCOMES = {"ok", "login", "401", "403", "404"}


@dataclass(frozen=True)
class Cell:
    rule: str
    method: str
    role: str
    expected: str
    record: str | None = None  # "own", "other", or None for routes without a unit's record

    def __str__(self):
        return f"{self.method} {self.rule} {self.role}" + (f" {self.record}" if self.record else "")


def parse_matrix(text: str) -> dict[tuple[str, str], dict[str, str]]:
    rows = {}
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert lines[0].split()[2:] == list(ROLES)
    for line in lines[1:]:
        rule, method, *cells = line.split()
        assert len(cells) == len(ROLES) and (rule, method) not in rows, line
        assert all(part in OUTCOMES for cell in cells for part in cell.split("/")), line
        rows[(rule, method)] = dict(zip(ROLES, cells))
    return rows


ROWS = parse_matrix(MATRIX)


def is_scoped(rule: str) -> bool:
    return bool(SCOPED_ARGUMENTS & set(re.findall(r"<(?:\w+:)?(\w+)>", rule))) and not rule.startswith("/admin/")


def cells() -> list[Cell]:
    found = []
    for (rule, method), row in ROWS.items():
        for role, value in row.items():
            if is_scoped(rule) and role != "anon":
                own, _, other = value.partition("/")
                found += [Cell(rule, method, role, own, "own"), Cell(rule, method, role, other or own, "other")]
            else:
                assert "/" not in value, f"{rule} {method} {role}: own/other only where a unit's record is named"
                found.append(Cell(rule, method, role, value))
    return found


def plain_rule(rule) -> str:
    """The rule as MATRIX spells it: converters without their arguments (<int(max=…):x> is <int:x>)."""
    return re.sub(r"<(\w+)\([^)]*\):", r"<\1:", rule.rule)


def routes_of(app) -> set[tuple[str, str]]:
    return {(plain_rule(rule), method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


# --- the world every cell is checked in ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world_app(database_url, tmp_path_factory):
    """One app and database for the whole matrix: building the records once keeps a thousand requests fast. The
    matrix runs first in this file; the tests after it empty the database for their own records."""
    yield from serve_app(database_url, ATTACHMENT_DIR=str(tmp_path_factory.mktemp("files")))


def add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def add_user(role: Role, unit: Unit) -> User:
    user = User(username=f"{role.value}-{uuid.uuid4().hex[:8]}", display_name=f"矩阵{role.value}", role=role,
                unit_id=unit.id)
    user.set_password(PASSWORD)
    return add(user)


def add_petition(summary: str, lead_unit=None, leader=None, co_units=(), accused_unit=None,
                 purpose=Purpose.claim, status=CaseStatus.in_progress, id_number=None, phone="13812345678",
                 received_on=None) -> Petition:
    """A case as the register and assign steps leave it, with one petitioner and its stored clock dates."""
    received = received_on or TODAY - timedelta(days=3)
    petition = Petition(number=f"M{uuid.uuid4().hex[:12]}", received_on=received, channel=Channel.visit,
                        purpose=purpose, summary=summary, status=status,
                        accepted_on=received if status is not CaseStatus.registered else None,
                        lead_unit_id=lead_unit.id if lead_unit else None, leader_id=leader.id if leader else None,
                        accused_unit_id=accused_unit.id if accused_unit else None, co_units=list(co_units))
    for column, value in clock_dates(petition, official_calendar()).items():
        setattr(petition, column, value)
    petition.decided_on = petition.accepted_on
    petition.petitioners.append(Petitioner(
        name="王某", id_number=id_number or make_id_number("330102", date(1975, 6, 1), 17), phone=phone,
        address="东村1号"))
    return add(petition)


def stored_file(app, model, **fields):
    """A file record whose bytes are really on disk (downloads send them)."""
    name = uuid.uuid4().hex
    Path(app.config["ATTACHMENT_DIR"]).mkdir(parents=True, exist_ok=True)
    (Path(app.config["ATTACHMENT_DIR"]) / name).write_bytes(PDF)
    return add(model(filename="扫描件.pdf", stored_name=name, content_type="application/pdf", size=len(PDF),
                     sha256=hashlib.sha256(PDF).hexdigest(), **fields))


@dataclass
class World:
    app: object
    ids: dict
    clients: dict  # role → a test client logged in as that role (anon: not logged in)
    tokens: dict  # role → API token

    def url(self, rule: str, record: str | None) -> str:
        side = record or "own"

        def fill(match):
            name = match.group(1)
            if name == "item_id" and rule.startswith("/admin/lists/"):
                return str(self.ids["category"])
            if name == "case_id":
                name = "petition_id"
            if name in SCOPED_ARGUMENTS | {"attachment_id"}:
                return str(self.ids[f"{name}:{side}"])
            return str(self.ids[name])

        return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", fill, rule)


def build_world(app) -> dict:
    """Two units with a case, an item and a notice each; a leader who packages the first unit's case; one of every
    other record a route names."""
    with app.app_context():
        office = add(Unit(name="县信访局", kind=UnitKind.county))
        government = add(Unit(name="县人民政府", kind=UnitKind.county))
        own_unit = add(Unit(name="城关镇", kind=UnitKind.township))
        other_unit = add(Unit(name="河西镇", kind=UnitKind.township))
        users = {role.value: add_user(role, office) for role in (Role.admin, Role.clerk, Role.supervisor)}
        users["leader"] = add_user(Role.leader, government)
        users["handler"] = add_user(Role.handler, own_unit)
        own_leader = add(Leader(name="张副县长", title="副县长", portfolio="信访", post=LeaderPost.county_leader,
                                unit_id=government.id, user_id=users["leader"].id))
        other_leader = add(Leader(name="李副县长", title="副县长", portfolio="农业", post=LeaderPost.county_leader,
                                  unit_id=government.id))
        category = add(Category(name="城乡建设"))
        method = add(ReceptionMethod(name="定点接访"))
        session = add(ReceptionSession(day=TODAY + timedelta(days=7), start_time=time(9), end_time=time(12),
                                       place="县群众工作中心", unit_id=government.id, method_id=method.id,
                                       status=SessionStatus.published, leaders=[own_leader]))
        ids = {"user_id": users["clerk"].id, "unit_id": own_unit.id, "leader_id": own_leader.id,
               "category": category.id, "session_id": session.id, "kind": "categories", "code": "zh_CN",
               "action": "progress", "year": TODAY.year, "isodate": TODAY.isoformat()}
        for side, unit, leader in (("own", own_unit, own_leader), ("other", other_unit, other_leader)):
            petition = add_petition(f"{unit.name}承办的案件", lead_unit=unit, leader=leader)
            ids[f"petition_id:{side}"] = petition.id
            ids[f"attachment_id:{side}"] = stored_file(app, Attachment, petition_id=petition.id).id
            item = add(RectificationItem(unit_id=unit.id, leader_id=leader.id, responsible_person="李四",
                                         problem=f"{unit.name}台账不全", measures="补齐台账", opened_on=TODAY,
                                         deadline=TODAY + timedelta(days=30), status=RectificationStatus.open))
            ids[f"item_id:{side}"] = item.id
            notice = add(SupervisionNotice(number=notice_number(TODAY.year, 1 if side == "own" else 2), unit_id=unit.id,
                                           leader_id=leader.id, level=NoticeLevel.reminder, issued_on=TODAY,
                                           requirement="请报送办理情况"))
            ids[f"notice_id:{side}"] = notice.id
        inspection = add(Inspection(target=InspectionTarget.unit, unit_id=own_unit.id, inspected_on=TODAY,
                                    method=InspectionMethod.ledger_review, inspectors="督查组", findings="台账不全",
                                    rating=Rating.failed))
        ids["inspection_id"] = inspection.id
        ids["evidence_id"] = stored_file(app, InspectionEvidence, inspection_id=inspection.id).id
        ids["round_id"] = add(InspectionRound(kind=RoundKind.bimonthly, name="第一轮督查", starts_on=TODAY,
                                              ends_on=TODAY + timedelta(days=30))).id
        ids["campaign_id"] = add(Campaign(name="春季大排查", starts_on=TODAY - timedelta(days=30),
                                          ends_on=TODAY)).id
        ids["users"] = {role: user.username for role, user in users.items()}
        ids["tokens"] = {}
        for role, user in users.items():
            token = uuid.uuid4().hex
            add(ApiToken(user_id=user.id, token_hash=ApiToken.digest(token)))
            ids["tokens"][role] = token
        db.session.commit()
        ids["run_id"] = runs.run_checks(CheckTrigger.cli, None, TODAY).id
    return ids


def logged_in(app, username: str):
    client = app.test_client()
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.data
    return client


@pytest.fixture(scope="module")
def world(world_app):
    ids = build_world(world_app)
    clients = {role: logged_in(world_app, username) for role, username in ids["users"].items()}
    clients["anon"] = world_app.test_client()
    return World(world_app, ids, clients, ids["tokens"])


def outcome(response) -> str:
    code = response.status_code
    if code in (401, 403, 404):
        return str(code)
    if code >= 500:
        return str(code)
    if code in (301, 302, 303) and response.headers.get("Location", "").startswith("/auth/login?next="):
        return "login"
    return "ok"


def call(world: World, cell: Cell):
    url = world.url(cell.rule, cell.record)
    app = world.app
    if url.startswith("/api/"):
        # API callers carry a token, and a cookie-less client proves the token alone opens the door.
        headers = {"Authorization": f"Bearer {world.tokens[cell.role]}"} if cell.role != "anon" else {}
        body = {} if cell.method == "POST" else None
        return app.test_client().open(url, method=cell.method, headers=headers, json=body)
    return world.clients[cell.role].open(url, method=cell.method, data={} if cell.method == "POST" else None)


# --- the tests ----------------------------------------------------------------------------------------------------

def test_the_matrix_names_every_route_and_method_once(world_app):
    with world_app.app_context():
        live = routes_of(world_app)
    assert sorted(live - ROWS.keys()) == [], "routes missing from MATRIX"
    assert sorted(ROWS.keys() - live) == [], "MATRIX names routes the app does not have"
    endpoints = {rule.endpoint for rule in world_app.url_map.iter_rules() if rule.endpoint != "static"}
    covered = {rule.endpoint for rule in world_app.url_map.iter_rules()
               if (plain_rule(rule), "GET") in ROWS or (plain_rule(rule), "POST") in ROWS}
    assert endpoints == covered


def test_the_matrix_agrees_with_the_declared_roles(world_app):
    """A role the view does not declare is refused (403) on every record; anonymous callers go to the login."""
    endpoints = {(plain_rule(rule), method): rule.endpoint for rule in world_app.url_map.iter_rules()
                 for method in rule.methods}
    with world_app.test_request_context():
        for (rule, method), row in ROWS.items():
            declared = allowed_roles(endpoints[(rule, method)])
            for role in ROLES[1:]:
                if declared is None:
                    assert row[role] == "ok", (rule, method, role)
                elif Role(role) not in declared:
                    assert row[role] == "403", (rule, method, role)
            if declared is None:
                assert row["anon"] == "ok", rule
            else:
                assert row["anon"] == ("401" if rule.startswith("/api/") else "login"), rule


@pytest.mark.parametrize("cell", cells(), ids=str)
def test_cell(world, cell):
    response = call(world, cell)
    try:
        got = outcome(response)
    finally:
        response.close()
    if cell.rule == "/auth/logout" and cell.role != "anon":
        world.clients[cell.role] = logged_in(world.app, world.ids["users"][cell.role])
    assert got == cell.expected, f"{cell}: {response.status_code} {response.headers.get('Location', '')}"


# --- accusations: nothing reaches the accused unit (DOMAIN §6) ------------------------------------------------------

SECRET_SUMMARY = "检举县住建局干部违规收受礼金"
SECRET_ID = make_id_number("330102", date(1968, 3, 3), 25)
SECRET_PHONE = "13900007777"
CONTROL_SUMMARY = "反映住建局办事拖延"


@dataclass
class Reader:
    """One user's view of the site: pages through their session, the API through their token."""

    client: object
    token: str

    def page(self, url, method="GET", **data) -> str:
        response = self.client.open(url, method=method, data=data or None)
        return shown(response)

    def api(self, url, method="GET", body=None) -> str:
        response = self.client.open(url, method=method, json=body, headers={"Authorization": f"Bearer {self.token}"})
        return shown(response)


def shown(response) -> str:
    """What a response shows: its status, and its text (a workbook's cell values; JSON as sent)."""
    try:
        data = response.get_data()
        if response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
            book = load_workbook(BytesIO(data), read_only=True)
            text = "\n".join(str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                             for value in row if value is not None)
            book.close()
        else:
            text = data.decode()
        return f"{response.status_code}\n{text}"
    finally:
        response.close()


@dataclass(frozen=True)
class Surface:
    """A place a case can show up; `control` when the unit's own, ordinary case shows there too (proof that the
    place lists cases for this user at all), `marker` when the case shows as something other than its number."""

    name: str
    roles: frozenset
    view: object  # (Reader, ids) -> str
    control: bool = False
    marker: object = None  # (ids) -> str

    def __str__(self):
        return self.name


EVERYONE = frozenset(Role)
SUPERVISORS = frozenset({Role.admin, Role.supervisor})
OFFICE = frozenset({Role.admin, Role.clerk})
PERIOD = {"from": (TODAY - timedelta(days=60)).isoformat(), "to": TODAY.isoformat()}


def registration(reader: Reader, ids) -> str:
    """Registering the same petitioner again: the repeat-visit warning lists the earlier cases by the same person."""
    return reader.page("/cases/new", method="POST", channel="visit", received_on=TODAY.isoformat(), purpose="claim",
                       category_id=str(ids["category"]), persons="1", summary="再次来访",
                       **{"petitioners-0-name": "钱某", "petitioners-0-id_number": SECRET_ID})


def api_groups(reader: Reader, ids) -> str:
    answer = reader.api("/api/v1/stats?" + "&".join(f"{k}={v}" for k, v in {**PERIOD, "by": "purpose"}.items()))
    status, _, body = answer.partition("\n")
    return status + " " + " ".join(f"group:{group['key']}" for group in json.loads(body)["groups"])


ACCUSATION_SURFACES = (
    Surface("case list", EVERYONE, lambda r, ids: r.page("/cases/"), control=True),
    Surface("search by words", EVERYONE, lambda r, ids: r.page("/cases/?q=收受礼金")),
    Surface("search by ID number", EVERYONE, lambda r, ids: r.page(f"/cases/?q={SECRET_ID}")),
    Surface("search by phone", EVERYONE, lambda r, ids: r.page(f"/cases/?q={SECRET_PHONE}")),
    Surface("search by case number", EVERYONE, lambda r, ids: r.page(f"/cases/?q={ids['number']}"),
            marker=lambda ids: SECRET_SUMMARY),  # the search box shows the number typed
    Surface("list of accusations", EVERYONE, lambda r, ids: r.page("/cases/?purpose=accusation")),
    Surface("statistics drill-down", EVERYONE,
            lambda r, ids: r.page(f"/cases/?figure=total&from={PERIOD['from']}&to={PERIOD['to']}"), control=True),
    Surface("breakdown by purpose", EVERYONE,
            lambda r, ids: r.page(f"/stats/breakdown?by=purpose&from={PERIOD['from']}&to={PERIOD['to']}"),
            marker=lambda ids: "purpose=accusation"),  # the row's links to its cases
    Surface("API statistics by purpose", EVERYONE, api_groups, marker=lambda ids: "group:accusation"),
    Surface("case page", EVERYONE, lambda r, ids: r.page(f"/cases/{ids['secret']}")),
    Surface("case sheet", EVERYONE, lambda r, ids: r.page(f"/cases/{ids['secret']}/sheet")),
    Surface("workflow step", EVERYONE, lambda r, ids: r.page(f"/cases/{ids['secret']}/actions/progress", "POST")),
    Surface("reveal", OFFICE | {Role.handler}, lambda r, ids: r.page(f"/cases/{ids['secret']}/reveal", "POST")),
    Surface("ledger export", EVERYONE, lambda r, ids: r.page("/cases/export"), control=True),
    Surface("ledger export in full", OFFICE, lambda r, ids: r.page("/cases/export", "POST"), control=True),
    Surface("my package cases", frozenset({Role.leader}), lambda r, ids: r.page("/cases/mine"), control=True),
    Surface("weekly report", OFFICE | {Role.supervisor}, lambda r, ids: r.page("/cases/weekly"), control=True),
    Surface("weekly workbook", OFFICE | {Role.supervisor}, lambda r, ids: r.page("/cases/weekly.xlsx"),
            control=True),
    Surface("repeat-visit warning", OFFICE, registration),
    Surface("API case list", EVERYONE, lambda r, ids: r.api("/api/v1/cases"), control=True),
    Surface("API search", EVERYONE, lambda r, ids: r.api(f"/api/v1/cases?q={SECRET_ID}")),
    Surface("API case", EVERYONE, lambda r, ids: r.api(f"/api/v1/cases/{ids['secret']}")),
    Surface("API workflow step", EVERYONE,  # the step's own refusal of the empty body (400) finds the case
            lambda r, ids: r.api(f"/api/v1/cases/{ids['secret']}/actions", "POST", {"action": "progress"})[:3],
            marker=lambda ids: "400"),
    Surface("check run", SUPERVISORS, lambda r, ids: r.page(f"/supervision/checks/runs/{ids['run']}"), control=True),
    Surface("API check run", SUPERVISORS, lambda r, ids: r.api(f"/api/v1/checks/runs/{ids['run']}"),
            marker=lambda ids: ids["number"], control=True),
    Surface("rectification items", SUPERVISORS, lambda r, ids: r.page("/supervision/items")),
    Surface("rectification item", SUPERVISORS, lambda r, ids: r.page(f"/supervision/items/{ids['item']}")),
    Surface("new item from the case", SUPERVISORS,
            lambda r, ids: r.page(f"/supervision/items/new?petition={ids['secret']}")),
    Surface("notices", SUPERVISORS, lambda r, ids: r.page("/supervision/notices")),
    Surface("notice", SUPERVISORS, lambda r, ids: r.page(f"/supervision/notices/{ids['notice']}")),
    Surface("notice sheet", SUPERVISORS, lambda r, ids: r.page(f"/supervision/notices/{ids['notice']}/sheet")),
    Surface("new notice on the case", SUPERVISORS,
            lambda r, ids: r.page(f"/supervision/notices/new?petition={ids['secret']}")),
    Surface("inspections", SUPERVISORS, lambda r, ids: r.page("/supervision/inspections")),
    Surface("inspection of the case", SUPERVISORS,
            lambda r, ids: r.page(f"/supervision/inspections/{ids['inspection']}")),
    Surface("new inspection of the case", SUPERVISORS,
            lambda r, ids: r.page(f"/supervision/inspections/new?petition={ids['secret']}"),
            marker=lambda ids: ids["number"]),  # the form's case number field
)


@pytest.fixture
def accusation(app, make_unit, make_user, make_leader, make_petition, category):
    """An accusation against 县住建局, handled by 县纪委监委 with 住建局 as co-unit and packaged by a leader who heads
    住建局: everyone of 住建局 would see it but for the accusation rule. Beside it, 住建局's own ordinary case."""
    accused = make_unit("县住建局", kind=UnitKind.department)
    discipline = make_unit("县纪委监委", kind=UnitKind.county)
    office = make_unit("县信访局", kind=UnitKind.county)
    leader_user = make_user(Role.leader, unit=accused)
    leader = make_leader(name="赵副县长", user=leader_user)
    received = TODAY - timedelta(days=20)  # the 15-day acceptance clock has run out: the checks find both cases
    secret = make_petition(summary=SECRET_SUMMARY, purpose=Purpose.accusation, accused_unit=accused,
                           lead_unit=discipline, co_units=[accused], leader=leader, id_number=SECRET_ID,
                           phone=SECRET_PHONE, received_on=received, category_id=category.id,
                           due_on=received + timedelta(days=15))
    control = make_petition(summary=CONTROL_SUMMARY, lead_unit=accused, leader=leader, received_on=received,
                            category_id=category.id, due_on=received + timedelta(days=15))
    with app.app_context():
        number = db.session.get(Petition, secret).number = f"XF{received.year}-{secret:07d}"
        item = add(RectificationItem(petition_id=secret, unit_id=discipline.id, responsible_person="孙某",
                                     problem="核查进度滞后", measures="加快核查", opened_on=TODAY,
                                     deadline=TODAY + timedelta(days=30), status=RectificationStatus.open))
        notice = add(SupervisionNotice(number=notice_number(TODAY.year, 1), petition_id=secret,
                                       unit_id=discipline.id, level=NoticeLevel.reminder, issued_on=TODAY,
                                       requirement="请报送核查进度"))
        inspection = add(Inspection(target=InspectionTarget.case, petition_id=secret, inspected_on=TODAY,
                                    method=InspectionMethod.phone_callback, inspectors="督查组",
                                    findings="电话回访", rating=Rating.passed))
        ids = {"secret": secret, "control": control, "number": number, "item": item.id, "notice": notice.id,
               "inspection": inspection.id, "category": category.id, "accused": accused.id,
               "discipline": discipline.id, "office": office.id, "leader_user": leader_user}
        db.session.commit()
        ids["run"] = runs.run_checks(CheckTrigger.cli, None, TODAY).id
        assert db.session.scalar(db.select(db.func.count(CheckFinding.id)).where(CheckFinding.petition_id == secret))
    return ids


def reader_for(app, user) -> Reader:
    token = uuid.uuid4().hex
    with app.app_context():
        db.session.add(ApiToken(user_id=user.id, token_hash=ApiToken.digest(token)))
        db.session.commit()
    return Reader(logged_in(app, user.username), token)


def move_user(app, user, unit_id: int) -> None:
    with app.app_context():
        db.session.get(User, user.id).unit_id = unit_id
        db.session.commit()


def markers(surface: Surface, ids) -> list[str]:
    return [surface.marker(ids)] if surface.marker else [ids["number"], SECRET_SUMMARY]


def accused_unit(app, ids) -> Unit:
    with app.app_context():
        unit = db.session.get(Unit, ids["accused"])
        db.session.expunge(unit)
        return unit


@pytest.mark.parametrize("role", [Role.admin, Role.clerk, Role.leader, Role.handler, Role.supervisor],
                         ids=lambda role: role.value)
def test_an_accusation_reaches_nobody_of_the_accused_unit(app, make_user, accusation, role):
    """Everyone of 住建局 is walked through every place a case shows up: the accusation is not there (its own
    ordinary case is, where the place lists cases). Moved to another unit, the same user finds it in each place."""
    user = accusation["leader_user"] if role is Role.leader else make_user(role, unit=accused_unit(app, accusation))
    reader = reader_for(app, user)
    surfaces = [surface for surface in ACCUSATION_SURFACES if role in surface.roles]
    leaks = {}
    for surface in surfaces:
        view = surface.view(reader, accusation)
        found = [marker for marker in markers(surface, accusation) if marker in view]
        if found or (surface.control and CONTROL_SUMMARY not in view and
                     (surface.marker is None or str(accusation["control"]) not in view)):
            leaks[surface.name] = found or "the unit's own case is missing: the place shows nothing to compare"
    assert leaks == {}

    move_user(app, user, accusation["discipline"] if role is Role.handler else accusation["office"])
    missing = [surface.name for surface in surfaces
               if not all(marker in surface.view(reader, accusation) for marker in markers(surface, accusation))]
    assert missing == [], "elsewhere the accusation shows; these places prove nothing"


# --- personal data: masked unless an audited reveal is allowed (DOMAIN §6) -------------------------------------------

PERSON_ID = make_id_number("330102", date(1981, 8, 8), 41)
PERSON_PHONE = "13700001234"
PERSON_ADDRESS = "城关镇幸福路8号"
MASKED_ID, MASKED_PHONE = mask_id_number(PERSON_ID), mask_phone(PERSON_PHONE)

# Where a petitioner's data shows up, and which masked values it shows there (proof the petitioner is there at all).
MASKED_SURFACES = (
    ("case page", lambda r, case: r.page(f"/cases/{case}"), (MASKED_ID, MASKED_PHONE)),
    ("case list", lambda r, case: r.page("/cases/"), (MASKED_PHONE,)),
    ("case sheet", lambda r, case: r.page(f"/cases/{case}/sheet"), (MASKED_ID, MASKED_PHONE)),
    ("ledger export", lambda r, case: r.page("/cases/export"), (MASKED_ID, MASKED_PHONE)),
    ("API case list", lambda r, case: r.api("/api/v1/cases"), (MASKED_ID, MASKED_PHONE)),
    ("API case", lambda r, case: r.api(f"/api/v1/cases/{case}"), (MASKED_ID, MASKED_PHONE)),
)
# The three ways to the full values, and who may use each: "ok" shows them and writes one audit entry; a refusal
# shows nothing and writes none.
REVEALS = (
    ("case page", lambda r, case: r.page(f"/cases/{case}/reveal", "POST")),
    ("API case", lambda r, case: r.api(f"/api/v1/cases/{case}?reveal=1")),
    ("ledger export", lambda r, case: r.page("/cases/export", "POST")),
)
REVEAL_OUTCOMES = {  # reader: (case page, API case, ledger export)
    "admin": ("ok", "ok", "ok"),
    "clerk": ("ok", "ok", "ok"),
    "leader": ("403", "403", "403"),
    "handler of the lead unit": ("ok", "ok", "403"),
    "handler of a co-unit": ("ok", "ok", "403"),
    "supervisor": ("403", "403", "403"),
}


@pytest.fixture
def person_case(app, make_unit, make_user, make_leader, make_petition):
    """reader name → (user, the id of a case that user sees, with one petitioner whose data is personal)."""
    def factory(reader: str):
        lead, co = make_unit(), make_unit()
        role = Role(reader.split()[0])
        unit = co if reader == "handler of a co-unit" else lead if role is Role.handler else make_unit()
        user = make_user(role, unit=unit)
        leader = make_leader(user=user if role is Role.leader else None)
        case = make_petition(summary="反映征地补偿", lead_unit=lead, co_units=[co], leader=leader, id_number=PERSON_ID,
                             phone=PERSON_PHONE, status=CaseStatus.in_progress)
        with app.app_context():
            db.session.scalars(db.select(Petitioner).where(Petitioner.petition_id == case)).one().address = \
                PERSON_ADDRESS
            db.session.commit()
        return user, case

    return factory


def reveals_of(app, user) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(AuditLog.id)).where(
            AuditLog.action == AuditAction.reveal, AuditLog.actor_id == user.id))


@pytest.mark.parametrize("reader", list(REVEAL_OUTCOMES))
def test_personal_data_is_masked_everywhere_and_revealed_only_where_allowed_and_audited(app, person_case, reader):
    user, case = person_case(reader)
    view = reader_for(app, user)
    for name, show, masked in MASKED_SURFACES:
        text = show(view, case)
        assert all(value in text for value in masked), f"{name}: the petitioner is not shown at all"
        assert PERSON_ID not in text and PERSON_PHONE not in text and PERSON_ADDRESS not in text, name
    assert reveals_of(app, user) == 0

    for (name, reveal), expected in zip(REVEALS, REVEAL_OUTCOMES[reader]):
        text = reveal(view, case)
        if expected == "ok":
            assert text.startswith("200") and PERSON_ID in text and PERSON_PHONE in text, name
            assert reveals_of(app, user) == 1, f"{name}: the reveal is not in the audit log"
        else:
            assert text.startswith(expected) and PERSON_ID not in text and PERSON_PHONE not in text, name
            assert reveals_of(app, user) == 0, name
        with app.app_context():  # each reveal counts by itself
            db.session.execute(db.delete(AuditLog).where(AuditLog.actor_id == user.id,
                                                         AuditLog.action == AuditAction.reveal))
            db.session.commit()


def test_the_reveal_rule_is_the_one_the_pages_use(app, person_case):
    """REVEAL_OUTCOMES above follows may_see_personal_data: the case page's and the API's reveal agree with it."""
    for reader, outcomes in REVEAL_OUTCOMES.items():
        user, case = person_case(reader)
        with app.app_context():
            allowed = may_see_personal_data(db.session.get(User, user.id), db.session.get(Petition, case))
        assert allowed == (outcomes[0] == "ok") == (outcomes[1] == "ok"), reader

"""XSS payloads in every text column come back escaped on every page that shows them: every GET route of the URL
map, its arguments filled with the ids of the seeded objects, as every role and anonymously; search and filter boxes
echo a payload escaped; the JSON API answers application/json."""
import html
import re
from datetime import date
from html.parser import HTMLParser
from itertools import product
from urllib.parse import urlencode, urlsplit

import pytest
from flask import url_for

from blueprints.shared import allowed_roles
from models import (
    Attachment,
    CalendarDay,
    Campaign,
    Category,
    CheckRun,
    Inspection,
    InspectionEvidence,
    InspectionRound,
    Leader,
    Petition,
    ReceptionMethod,
    ReceptionSession,
    RectificationItem,
    Role,
    SupervisionNotice,
    Unit,
    User,
    db,
)
from tests.conftest import clear_tables, serve_app
from tests.marked_data import PUBLIC, XSS, seed, users, xss_probe

# A payload that reached the page as markup: a script, an image with a handler, or the short form's tag.
RAW = re.compile(r"<script>alert\(|<img\b[^>]*onerror=alert|<i>x\d+</i>")
QUERY_PAYLOAD = '"\'><img src=x onerror=alert(999)><script>alert("q999")</script>'
# Objects whose ids fill the URL arguments of the same name: the first two and the last four of each (the last are
# marked_data's hand-made records: the package case, the closed, forwarded and accused cases, the odd sessions, …).
ARGUMENT_MODELS = {
    "petition_id": Petition, "case_id": Petition, "session_id": ReceptionSession, "leader_id": Leader,
    "unit_id": Unit, "user_id": User, "run_id": CheckRun, "evidence_id": InspectionEvidence,
    "inspection_id": Inspection, "item_id": RectificationItem, "notice_id": SupervisionNotice,
    "round_id": InspectionRound, "campaign_id": Campaign,
}
LIST_MODELS = {"categories": Category, "methods": ReceptionMethod}
# The columns each role must have seen escaped somewhere, so a crawl that shows nothing cannot pass.
PETITION_TEXTS = {("petition", "summary"), ("petitioner", "name"), ("petition", "handling_opinion"),
                  ("petition_event", "text"), ("attachment", "filename")}
SCHEDULE_TEXTS = {("reception_session", "place"), ("unit", "name"), ("leader", "name"), ("leader", "title")}
SUPERVISION_TEXTS = {("rectification_item", "problem"), ("rectification_item", "measures"),
                     ("rectification_progress", "text"), ("supervision_notice", "requirement"),
                     ("supervision_notice", "reply_text"), ("supervision_notice_event", "text")}
ADMIN_TEXTS = {("user_account", "display_name"), ("user_account", "username"), ("category", "name"),
               ("reception_method", "name"), ("audit_log", "object_label"), ("calendar_day", "note")}
SUPERVISOR_TEXTS = {("inspection", "findings"), ("inspection", "inspectors"), ("inspection_round", "name"),
                    ("check_finding", "detail"), ("check_run", "error"), ("inspection_evidence", "filename")}
KEY_COLUMNS = {
    Role.admin: PETITION_TEXTS | SCHEDULE_TEXTS | SUPERVISION_TEXTS | ADMIN_TEXTS | SUPERVISOR_TEXTS,
    Role.clerk: PETITION_TEXTS | SCHEDULE_TEXTS
    | {("reception_batch", "matter"), ("reception_record", "notes"), ("reception_session", "internal_remarks")},
    Role.leader: PETITION_TEXTS | SCHEDULE_TEXTS | SUPERVISION_TEXTS,
    Role.handler: PETITION_TEXTS | SUPERVISION_TEXTS,
    Role.supervisor: PETITION_TEXTS | SCHEDULE_TEXTS | SUPERVISION_TEXTS | SUPERVISOR_TEXTS,
}


@pytest.fixture(scope="module")
def marked(database_url, tmp_path_factory):
    """One app for the module on a database seeded with an XSS payload in every text column: (app, markers)."""
    files = tmp_path_factory.mktemp("attachments")
    markers = {}

    def prepare():
        clear_tables()
        markers.update(seed(XSS, files))

    served = serve_app(database_url, prepare, ATTACHMENT_DIR=str(files))
    yield next(served), markers
    next(served, None)


def client_of(app, role: Role | None):
    """A test client logged in as the demo user of that role (None: anonymous)."""
    client = app.test_client()
    if role is not None:
        with app.app_context():
            user_id = users()[role].id
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = str(user_id), True
    return client


def sample_ids(model) -> list[int]:
    ids = db.session.scalars(db.select(model.id).order_by(model.id)).all()
    return sorted(set(ids[:2] + ids[-4:]))


def argument_values(rule) -> list[dict]:
    """Every combination of real values for the rule's URL arguments (inside an app context)."""
    if rule.endpoint == "cases.download_attachment":
        return [{"petition_id": p, "attachment_id": a}
                for a, p in db.session.execute(db.select(Attachment.id, Attachment.petition_id))]
    if rule.endpoint == "admin.edit_list_item" and "item_id" in rule.arguments:
        return [{"kind": kind, "item_id": i} for kind, model in LIST_MODELS.items() for i in sample_ids(model)]
    special = {
        "kind": list(LIST_MODELS), "code": ["en", "zh_CN"], "year": [date.today().year],
        "isodate": [date.today().isoformat(), *(d.isoformat() for d in db.session.scalars(db.select(CalendarDay.day)))],
    }
    names = sorted(rule.arguments)
    choices = [special[name] if name in special else sample_ids(ARGUMENT_MODELS[name]) for name in names]
    return [dict(zip(names, values)) for values in product(*choices)]


def urls_for(app, role: Role | None, lists_only: bool = False) -> list[str]:
    """The GET URLs of every route the role may open (anonymous: the public ones), with real arguments;
    `lists_only`: those of the routes without arguments (where the search and filter forms are)."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            roles = allowed_roles(rule.endpoint)
            if rule.endpoint == "static" or "GET" not in rule.methods or (lists_only and rule.arguments):
                continue
            if (roles is None) if role is None else (roles is None or role in roles):
                found.extend(url_for(rule.endpoint, **values) for values in argument_values(rule))
    return sorted(set(found))


def is_html(response) -> bool:
    return response.mimetype == "text/html"


def check_page(url, response, markers, seen) -> None:
    """No 5xx; an HTML page holds no payload as markup; record which columns it shows escaped."""
    assert response.status_code < 500, (url, response.status_code)
    body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json")) else ""
    if is_html(response):
        raw = RAW.search(body)
        assert raw is None, (url, body[max(0, raw.start() - 300):raw.end() + 100])
        shown = html.unescape(body)
        seen.update(column for marker, column in markers.items() if xss_probe(marker) in shown)
    elif RAW.search(body):
        # A payload outside HTML is harmless only in a type no browser renders as a page.
        assert response.mimetype in ("application/json", "text/calendar"), (url, response.mimetype)


def crawl(client, urls, markers) -> tuple[set, int]:
    seen, pages = set(), 0
    for url in urls:
        with client.get(url) as response:
            check_page(url, response, markers, seen)
            pages += is_html(response) and response.status_code == 200
    return seen, pages


@pytest.mark.parametrize("role", list(Role))
def test_every_page_shows_the_payloads_escaped(marked, role):
    app, markers = marked
    urls = urls_for(app, role)
    seen, pages = crawl(client_of(app, role), urls, markers)
    assert pages >= 15, pages
    missing = KEY_COLUMNS[role] - seen
    assert not missing, sorted(missing)
    if role is Role.admin:
        marked_columns = set(markers.values())
        assert len(seen) >= 0.85 * len(marked_columns), sorted(marked_columns - seen)


def test_public_pages_show_only_public_payloads_escaped(marked):
    app, markers = marked
    urls = urls_for(app, None)
    assert {"/", "/notice", "/receptions.ics", "/api/v1/receptions", "/auth/login"} <= set(urls)
    seen, pages = crawl(client_of(app, None), urls, markers)
    assert pages >= 3
    assert seen >= SCHEDULE_TEXTS | {("reception_method", "name"), ("reception_session", "topic"),
                                     ("reception_session", "cancel_reason"), ("leader", "portfolio")}
    assert seen <= PUBLIC, sorted(seen - PUBLIC)


class GetForms(HTMLParser):
    """The GET forms of a page: [(action, [(name, kind)])], kind being the input type or "select"/"textarea"."""

    def __init__(self):
        super().__init__()
        self.forms, self.current = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = [] if (attrs.get("method") or "get").lower() == "get" else None
            if self.current is not None:
                self.forms.append((attrs.get("action") or "", self.current))
        elif self.current is not None and tag in ("input", "select", "textarea") and attrs.get("name"):
            self.current.append((attrs["name"], attrs.get("type", "text") if tag == "input" else tag))

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def filled_forms(url, body) -> set[str]:
    """Each GET form of the page submitted with the payload in every field a person can type or choose in."""
    parser = GetForms()
    parser.feed(body)
    submissions = set()
    for action, fields in parser.forms:
        typed = {name: QUERY_PAYLOAD for name, kind in fields if kind not in ("hidden", "checkbox", "radio", "submit")}
        if typed:
            submissions.add(f"{action or urlsplit(url).path}?{urlencode(sorted(typed.items()))}")
    return submissions


@pytest.mark.parametrize("role, forms", [(None, 1), (Role.admin, 14), (Role.handler, 5)])
def test_search_and_filter_boxes_echo_a_payload_escaped(marked, role, forms):
    app, markers = marked
    client = client_of(app, role)
    submissions = set()
    for url in urls_for(app, role, lists_only=True):
        with client.get(url) as response:
            if is_html(response) and response.status_code == 200:
                submissions |= filled_forms(url, response.get_data(as_text=True))
    assert len(submissions) >= forms, submissions
    echoed = 0
    for url in sorted(submissions):
        with client.get(url) as response:
            check_page(url, response, {}, set())
            echoed += is_html(response) and 'onerror=alert(999)' in html.unescape(response.get_data(as_text=True))
    assert echoed >= len(submissions) // 3, echoed  # most forms keep what was typed, escaped


def test_the_json_api_answers_application_json(marked):
    app, markers = marked
    client = client_of(app, Role.admin)
    with app.app_context():
        case_id = db.session.scalars(db.select(Petition.id).order_by(Petition.id.desc())).first()
        run_id = db.session.scalar(db.select(CheckRun.id).order_by(CheckRun.id))
    urls = ["/api/v1/cases", f"/api/v1/cases/{case_id}", "/api/v1/me", "/api/v1/openapi.json", "/api/v1/stats",
            f"/api/v1/checks/runs/{run_id}", "/api/v1/receptions", "/api/v1/cases/999999", "/api/v1/nowhere"]
    bearer = {"Authorization": "Bearer marked-data-token"}
    for url in urls:
        for response in (client.get(url), app.test_client().get(url, headers=bearer)):
            assert response.mimetype == "application/json", (url, response.mimetype, response.status_code)
            assert response.status_code < 500, (url, response.status_code)
    listed = client.get("/api/v1/cases").get_data(as_text=True)
    assert "<script>alert(" in listed or "\\u003cscript\\u003ealert(" in listed  # the payloads are in there
    assert app.test_client().get("/api/v1/cases").mimetype == "application/json"  # 401 too





def test_revealed_personal_data_is_escaped_too(marked):
    """The address and the full ID number and phone appear only after the (POST) reveal; escaped there as well."""
    app, markers = marked
    client = client_of(app, Role.clerk)
    with app.app_context():
        case = db.session.scalars(db.select(Petition).where(Petition.leader_id.is_not(None), Petition.persons == 2)
                                  .order_by(Petition.id.desc())).first()
        case_id, id_number, phone = case.id, case.petitioners[0].id_number, case.petitioners[0].phone
    hidden = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert id_number not in hidden and phone not in hidden
    seen = set()
    with client.post(f"/cases/{case_id}/reveal") as response:
        check_page(f"/cases/{case_id}/reveal", response, markers, seen)
        assert id_number in response.get_data(as_text=True) and phone in response.get_data(as_text=True)
    assert {("petitioner", "address"), ("petitioner", "name"), ("petition", "summary")} <= seen

"""Two people edit the same record at once: both load the form, the first saves, the second saves other values and
is refused with a message; what the second typed is still in the form and the database holds the first save (the
optimistic version column, models.Versioned; blueprints/shared.py version_conflict). One table for every versioned
record a page edits, and the API's case steps."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from blueprints.shared import official_calendar
from models import (
    AssessmentWeight,
    Campaign,
    CaseStatus,
    Category,
    Inspection,
    InspectionMethod,
    InspectionTarget,
    Leader,
    NoticeLevel,
    Petition,
    Rating,
    ReceptionMethod,
    ReceptionQuota,
    ReceptionSession,
    RectificationItem,
    RectificationProgress,
    RectificationStatus,
    Role,
    SessionStatus,
    SupervisionNotice,
    Unit,
    UnitKind,
    User,
    db,
)
from tests.conftest import PASSWORD, persist

TODAY = date.today()
RECORD_CHANGED = "其他人修改了这条记录"  # blueprints/shared.py flash_concurrent_change, in the default language
CASE_CHANGED = "他人修改了本件"  # the case workflow's refusal "changed" (blueprints/cases/services.py)


# --- reading a form as a browser would post it -------------------------------------------------------------------

class PostForms(HTMLParser):
    """The POST forms of a page: [(action, fields)], each field as the browser would send it (no buttons, no files)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, MultiDict]] = []
        self.fields: MultiDict | None = None
        self.select: tuple[str, bool] | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            if (attributes.get("method") or "get").lower() == "post":
                self.fields = MultiDict()
                self.forms.append((attributes.get("action") or "", self.fields))
        elif self.fields is None:
            return
        elif tag == "option" and self.select is not None:
            self.options.append((attributes.get("value") or "", "selected" in attributes))
        elif "name" not in attributes:
            return
        elif tag == "input":
            name, kind = attributes["name"], (attributes.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.fields.add(name, attributes.get("value") or "on")
            elif kind not in ("submit", "button", "reset", "image", "file"):
                self.fields.add(name, attributes.get("value") or "")
        elif tag == "select":
            self.select, self.options = (attributes["name"], "multiple" in attributes), []
        elif tag == "textarea":
            self.textarea, self.text = attributes["name"], ""

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.fields = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.add(self.textarea, self.text.removeprefix("\r\n").removeprefix("\n"))
            self.textarea = None
        elif tag == "select" and self.select is not None:
            name, multiple = self.select
            chosen = [value for value, selected in self.options if selected]
            for value in chosen if (chosen or multiple) else [value for value, _ in self.options[:1]]:
                self.fields.add(name, value)
            self.select = None


def post_form(html: str, action: str) -> MultiDict:
    """The fields of the page's POST form with this action ("" for a form that posts to the page itself)."""
    parser = PostForms()
    parser.feed(html)
    parser.close()
    for form_action, fields in parser.forms:
        if form_action == action:
            return MultiDict(fields)
    raise AssertionError(f"no POST form with action {action!r}: {[a for a, _ in parser.forms]}")


# --- the table ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Save:
    """One person's save: their role, the page they load the form from, the form's action ("" posts to the page
    itself) and what they type. `{id}` is the record's id. A page under /api/ is the JSON API (token callers)."""

    role: Role
    page: str
    action: str
    values: dict


@dataclass(frozen=True)
class Edit:
    name: str
    make: object  # (place) -> the record's id
    first: Save
    second: Save
    stored: object  # (record id) -> what the database holds; it must be `expected`, the first save
    expected: object
    message: str = RECORD_CHANGED

    def __str__(self):
        return self.name


@dataclass
class Place:
    """The records every edit needs: a township (the handlers' unit), the county, a leader, a method, a category."""

    app: object
    make_petition: object
    make_session: object
    unit: Unit
    county: Unit
    leader: Leader
    method: ReceptionMethod
    category: Category
    made: dict = field(default_factory=dict)


@pytest.fixture
def place(app, make_unit, make_leader, make_method, make_petition, make_session):
    county = make_unit("县信访局", kind=UnitKind.county)
    return Place(app, make_petition, make_session, make_unit("城关镇"), county, make_leader(unit=county),
                 make_method("定点接访"), persist(app, Category(name="城乡建设")))


def stored(model, column):
    """The column of the record as the database holds it now."""
    def read(app, ident):
        with app.app_context():
            return getattr(db.session.get(model, ident), column)
    return read


def working_day(app, start: date, step: int) -> date:
    """The first working day of the official calendar from `start`, walking by `step` days."""
    with app.app_context():
        calendar = official_calendar()
    day = start
    while not calendar.is_working_day(day):
        day += timedelta(days=step)
    return day


def package(place: Place) -> int:
    return place.make_petition(lead_unit=place.unit, leader=place.leader, status=CaseStatus.in_progress,
                               received_on=TODAY - timedelta(days=5), accepted_on=TODAY - timedelta(days=5),
                               responsible_person="王主任", handling_opinion="依法处理", closure_standard="群众满意")


def session(status: SessionStatus, day: date):
    def make(place: Place) -> int:
        return place.make_session(day=day, status=status, leaders=[place.leader], unit=place.county,
                                  method=place.method)
    return make


def item(place: Place) -> int:
    opened = working_day(place.app, TODAY - timedelta(days=3), -1)
    deadline = working_day(place.app, TODAY + timedelta(days=20), 1)
    return persist(place.app, RectificationItem(
        unit_id=place.unit.id, responsible_person="李四", problem="接访台账不全", measures="补齐台账",
        opened_on=opened, deadline=deadline, status=RectificationStatus.open)).id


def inspection(place: Place) -> int:
    return persist(place.app, Inspection(
        target=InspectionTarget.unit, unit_id=place.unit.id, inspected_on=TODAY - timedelta(days=2),
        method=InspectionMethod.on_site, inspectors="督查组", findings="登记不全", rating=Rating.basic)).id


def notice(place: Place) -> int:
    from blueprints.supervision.notices import issue, notice_number

    with place.app.app_context():
        record = SupervisionNotice(number=notice_number(TODAY.year, 1), unit_id=place.unit.id,
                                   level=NoticeLevel.reminder, issued_on=TODAY - timedelta(days=5),
                                   requirement="请于五日内报送办理情况")
        issue(record, None)
        db.session.add(record)
        db.session.commit()
        return record.id


def campaign(place: Place) -> int:
    return persist(place.app, Campaign(name="春季大排查", starts_on=TODAY - timedelta(days=30), ends_on=TODAY,
                                       description="排查矛盾纠纷")).id


def weights(app, _ident):
    with app.app_context():
        row = db.session.get(AssessmentWeight, "acceptance")
        return row.weight if row else None


def quota(app, _ident):
    with app.app_context():
        row = db.session.get(ReceptionQuota, "county_secretary")
        return row.days_per_month if row else None


def progress_entries(app, ident):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(RectificationProgress.id))
                                 .where(RectificationProgress.item_id == ident))


def progress_and_verification(app, ident):
    return progress_entries(app, ident), stored(RectificationItem, "verification")(app, ident)


def level_and_reply(app, ident):
    with app.app_context():
        row = db.session.get(SupervisionNotice, ident)
        return row.level, row.reply_text


def session_state(app, ident):
    with app.app_context():
        row = db.session.get(ReceptionSession, ident)
        return row.status, row.day, row.cancel_reason


CLERK, ADMIN, HANDLER, SUPERVISOR = Role.clerk, Role.admin, Role.handler, Role.supervisor
CASE = "/cases/{id}"
SESSION = "/reception/{id}"
ITEM = "/supervision/items/{id}"
NOTICE = "/supervision/notices/{id}"
LATER = (TODAY + timedelta(days=10)).isoformat()
EDITS = (
    Edit("case: the package (assign step)", package,
         Save(CLERK, CASE, CASE + "/actions/assign", {"responsible_person": "张科长"}),
         Save(CLERK, CASE, CASE + "/actions/assign", {"responsible_person": "李科长"}),
         stored(Petition, "responsible_person"), "张科长", CASE_CHANGED),
    Edit("case: the opinion draft (handlers of the lead unit)", package,
         Save(HANDLER, CASE, CASE + "/actions/opinion", {"outcome": "support", "text": "支持其诉求"}),
         Save(HANDLER, CASE, CASE + "/actions/opinion", {"outcome": "explain", "text": "向其解释政策"}),
         stored(Petition, "opinion_text"), "支持其诉求", CASE_CHANGED),
    Edit("case: a step through the API", package,
         Save(CLERK, "/api/v1/cases/{id}", "assign", {"responsible_person": "张科长"}),
         Save(CLERK, "/api/v1/cases/{id}", "assign", {"responsible_person": "李科长"}),
         stored(Petition, "responsible_person"), "张科长", CASE_CHANGED),
    Edit("reception session: the edit form", session(SessionStatus.draft, TODAY + timedelta(days=7)),
         Save(CLERK, SESSION + "/edit", "", {"topic": "征地拆迁专题"}),
         Save(CLERK, SESSION + "/edit", "", {"topic": "劳动保障专题"}),
         stored(ReceptionSession, "topic"), "征地拆迁专题"),
    Edit("reception session: edited, then rescheduled on the old page",
         session(SessionStatus.published, TODAY + timedelta(days=7)),
         Save(CLERK, SESSION + "/edit", "", {"topic": "征地拆迁专题"}),
         Save(CLERK, SESSION, SESSION + "/reschedule", {"day": LATER, "start_time": "14:30", "end_time": "17:30"}),
         session_state, (SessionStatus.published, TODAY + timedelta(days=7), "")),
    Edit("reception session: rescheduled, then cancelled on the old page",
         session(SessionStatus.published, TODAY + timedelta(days=7)),
         Save(CLERK, SESSION, SESSION + "/reschedule", {"day": LATER, "start_time": "14:30", "end_time": "17:30"}),
         Save(CLERK, SESSION, SESSION + "/cancel", {"reason": "领导临时公务外出"}),
         session_state, (SessionStatus.published, TODAY + timedelta(days=10), "")),
    Edit("reception session: edited, then recorded as held on the old page",
         session(SessionStatus.published, TODAY),
         Save(CLERK, SESSION + "/edit", "", {"topic": "征地拆迁专题"}),
         Save(CLERK, SESSION, SESSION + "/record", {"notes": "接待群众三批"}),
         session_state, (SessionStatus.published, TODAY, "")),
    Edit("rectification item: the edit form", item,
         Save(SUPERVISOR, ITEM + "/edit", "", {"measures": "一周内补齐台账"}),
         Save(SUPERVISOR, ITEM + "/edit", "", {"measures": "两周内补齐台账"}),
         stored(RectificationItem, "measures"), "一周内补齐台账"),
    Edit("rectification item: progress, then a verification on the old page", item,
         Save(HANDLER, ITEM, ITEM + "/progress", {"text": "已补齐台账"}),
         Save(SUPERVISOR, ITEM, ITEM + "/verify", {"verification": "现场抽查，已规范"}),
         progress_and_verification, (1, "")),
    Edit("rectification item: two progress entries from one page state", item,
         Save(HANDLER, ITEM, ITEM + "/progress", {"text": "已补齐台账"}),
         Save(HANDLER, ITEM, ITEM + "/progress", {"text": "已建立长效机制"}),
         progress_entries, 1),
    Edit("inspection: the edit form", inspection,
         Save(SUPERVISOR, "/supervision/inspections/{id}/edit", "", {"findings": "登记不全，已当场指出"}),
         Save(SUPERVISOR, "/supervision/inspections/{id}/edit", "", {"findings": "登记规范"}),
         stored(Inspection, "findings"), "登记不全，已当场指出"),
    Edit("supervision notice: escalated, then replied to on the old page", notice,
         Save(SUPERVISOR, NOTICE, NOTICE + "/escalate", {"reply_due_on": LATER}),
         Save(HANDLER, NOTICE, NOTICE + "/reply", {"text": "已按要求报送"}),
         level_and_reply, (NoticeLevel.supervision, "")),
    Edit("campaign: the edit form", campaign,
         Save(CLERK, "/stats/campaigns/{id}/edit", "", {"description": "排查土地纠纷"}),
         Save(CLERK, "/stats/campaigns/{id}/edit", "", {"description": "排查劳资纠纷"}),
         stored(Campaign, "description"), "排查土地纠纷"),
    Edit("user account", lambda place: place.made["user"].id,
         Save(ADMIN, "/admin/users/{id}/edit", "", {"display_name": "张三（信访科）"}),
         Save(ADMIN, "/admin/users/{id}/edit", "", {"display_name": "张三（督查科）"}),
         stored(User, "display_name"), "张三（信访科）"),
    Edit("unit", lambda place: place.unit.id,
         Save(ADMIN, "/admin/units/{id}/edit", "", {"name": "城关街道"}),
         Save(ADMIN, "/admin/units/{id}/edit", "", {"name": "城关社区"}),
         stored(Unit, "name"), "城关街道"),
    Edit("leader", lambda place: place.leader.id,
         Save(ADMIN, "/admin/leaders/{id}/edit", "", {"title": "县委副书记"}),
         Save(ADMIN, "/admin/leaders/{id}/edit", "", {"title": "常务副县长"}),
         stored(Leader, "title"), "县委副书记"),
    Edit("content category", lambda place: place.category.id,
         Save(ADMIN, "/admin/lists/categories/{id}/edit", "", {"name": "城乡建设管理"}),
         Save(ADMIN, "/admin/lists/categories/{id}/edit", "", {"name": "住房城乡建设"}),
         stored(Category, "name"), "城乡建设管理"),
    Edit("reception method", lambda place: place.method.id,
         Save(ADMIN, "/admin/lists/methods/{id}/edit", "", {"name": "定点接访（中心）"}),
         Save(ADMIN, "/admin/lists/methods/{id}/edit", "", {"name": "定点接访（乡镇）"}),
         stored(ReceptionMethod, "name"), "定点接访（中心）"),
    Edit("assessment weights", lambda place: None,
         Save(SUPERVISOR, "/supervision/assessment", "/supervision/assessment/weights", {"acceptance": "50"}),
         Save(SUPERVISOR, "/supervision/assessment", "/supervision/assessment/weights", {"acceptance": "10"}),
         weights, 50),
    Edit("reception quotas", lambda place: None,
         Save(CLERK, "/reception/quotas", "/reception/quotas", {"county_secretary": "3"}),
         Save(CLERK, "/reception/quotas", "/reception/quotas", {"county_secretary": "4"}),
         quota, 3),
)


# --- the people editing --------------------------------------------------------------------------------------------

class Editor:
    """One person at their own browser (or API client): loads the form, later saves what they typed into it."""

    def __init__(self, app, user, save: Save, record):
        self.app, self.save_ = app, save
        self.page = save.page.format(id=record)
        self.action = save.action.format(id=record) if save.action else self.page
        self.client = app.test_client()
        if self.page.startswith("/api/"):
            from models import ApiToken
            token = f"token-{user.id}-concurrent"
            with app.app_context():
                db.session.add(ApiToken(user_id=user.id, token_hash=ApiToken.digest(token)))
                db.session.commit()
            self.headers = {"Authorization": f"Bearer {token}"}
        else:
            answer = self.client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
            assert answer.status_code == 302
            self.headers = {}

    def load(self):
        response = self.client.get(self.page, headers=self.headers)
        assert response.status_code == 200, self.page
        if self.headers:  # the API: the case as read, with its version
            self.fields = {"action": self.save_.action, "step": self.save_.action, "on": TODAY.isoformat(),
                           "version": response.json["version"]}
            return
        self.fields = post_form(response.get_data(as_text=True), self.action if self.save_.action else "")
        assert "version" in self.fields or any(name.startswith("version_") for name in self.fields), \
            f"{self.page}: the form carries no version, so a stale save cannot be told from a fresh one"

    def save(self):
        if self.headers:
            return self.client.post(f"{self.page}/actions", json={**self.fields, **self.save_.values},
                                    headers=self.headers)
        for name, value in self.save_.values.items():
            assert name in self.fields, f"{self.page}: the form has no field {name}"
            self.fields.setlist(name, [value])
        return self.client.post(self.action, data=self.fields)


@pytest.mark.parametrize("edit", EDITS, ids=str)
def test_the_second_of_two_saves_is_refused_and_keeps_its_input(app, place, make_user, edit):
    place.made["user"] = make_user(Role.clerk, unit=place.county)
    record = edit.make(place)
    first, second = (Editor(app, make_user(save.role, unit=place.unit if save.role is HANDLER else place.county),
                            save, record) for save in (edit.first, edit.second))
    first.load()
    second.load()

    saved = first.save()
    assert saved.status_code == (200 if first.headers else 302), saved.get_data(as_text=True)[:2000]
    assert edit.stored(app, record) == edit.expected, "the first save did not go through"

    refused = second.save()
    if second.headers:
        assert refused.status_code == 409 and edit.message in refused.json["error"]
        with app.app_context():
            assert refused.json["version"] == db.session.get(Petition, record).version
    else:
        page = refused.get_data(as_text=True)
        assert refused.status_code in (200, 400, 409), refused.status_code
        assert edit.message in page, "the second person is not told why nothing was saved"
        shown = post_form(page, second.action if edit.second.action else "")
        lost = {name: shown.get(name) for name, value in edit.second.values.items() if shown.get(name) != value}
        assert lost == {}, "what the second person typed is lost"
    assert edit.stored(app, record) == edit.expected, "the second save overwrote the first"

"""Hostile input (hypothesis): every POST form and API endpoint gets generated values (unicode with control
characters and NULs, very long strings, huge and negative numbers, dates and not-dates, empty, missing, repeated
and unknown fields, broken bodies, wrong JSON) and must never answer 500; a refusal must leave nothing written,
so a half-saved change fails the test.

Each target posts as a role that may use the route, to an object in the state where the step is allowed; the
values are the form's own fields (from its WTForms class, the real choices from its page), mostly plausible (real
ids, dates near today and at the calendar's ends, the longest allowed text) with some turned hostile, so that both
the validation and the code behind it are reached. A refusal is anything but the route's success (a redirect with
a success message, or its 2xx); the engine's events tell which tables a committed transaction wrote to, and a
refusal may have written none (nor stored a file). After a success the test opens the page it led to and posts the
next example to a fresh object. The 500s this test found are posted first, every run (Target.regressions)."""
from __future__ import annotations

import gc
import io
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable

import pytest
from flask import message_flashed, request
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from jinja2 import BytecodeCache
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import event
from werkzeug.datastructures import MultiDict
from werkzeug.security import generate_password_hash
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FileField,
    HiddenField,
    IntegerField,
    SelectFieldBase,
    SelectMultipleField,
    SubmitField,
    TimeField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import Length, NumberRange

from blueprints.admin.forms import CalendarDayForm, CalendarImportForm, LeaderForm, ListItemForm, UnitForm, UserForm
from blueprints.auth.forms import LoginForm, PasswordForm
from blueprints.cases.attachments import AttachmentForm
from blueprints.cases.forms import ACTION_FORMS, RegisterForm
from blueprints.cases.ledger import COLUMNS as LEDGER_COLUMNS
from blueprints.cases.ledger_views import ImportForm
from blueprints.cases.workflow import clock_dates, steps_of
from blueprints.reception.forms import (
    BatchForm,
    CancelForm,
    QuotaForm,
    RecordForm,
    RescheduleForm,
    RotaForm,
    SessionForm,
)
from blueprints.reception.rota_views import default_month
from blueprints.shared import XLSX, allowed_roles, official_calendar
from blueprints.stats.campaign_forms import CampaignForm
from blueprints.supervision.assessment_forms import WeightsForm
from blueprints.supervision.inspection_forms import (
    EditInspectionForm,
    EvidenceForm,
    InspectionForm,
    RoundForm,
    YearPlanForm,
)
from blueprints.supervision.item_forms import ItemForm, ProgressForm, SignOffForm, VerifyForm
from blueprints.supervision.notice_forms import EscalateForm, NoticeForm, ReplyForm
from blueprints.supervision.notices import notice_number
from models import (
    ApiToken,
    AssessmentWeight,
    CalendarYear,
    Campaign,
    CaseStatus,
    Category,
    Channel,
    CheckFinding,
    CheckKind,
    CheckRun,
    CheckRunStatus,
    CheckTrigger,
    Inspection,
    InspectionMethod,
    InspectionTarget,
    Leader,
    LeaderPost,
    NoticeLevel,
    Outcome,
    Petition,
    Petitioner,
    Purpose,
    Rating,
    ReceptionBatch,
    ReceptionMethod,
    ReceptionRecord,
    ReceptionSession,
    RectificationItem,
    RectificationStatus,
    Role,
    Satisfaction,
    SessionStatus,
    SupervisionNotice,
    Unit,
    UnitKind,
    User,
    db,
)
from tests.conftest import ID_NUMBER, PASSWORD, PHONE

EXAMPLES = 200
PAGES_OPENED = 3  # pages of one kind a success leads to, opened at once (the last one is opened again at the end)
# A multipart body cut off inside a file leaves Werkzeug's half-written spooled file to the garbage collector (its
# parser drops it on the error; nothing of the application's): collected at the end of each test, under this filter.
pytestmark = pytest.mark.filterwarnings("ignore:Unclosed file <tempfile.SpooledTemporaryFile:ResourceWarning")
TODAY = date.today()
HUGE_ID = "99999999999999999999"  # past any integer column: SQLite cannot even bind it
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")  # a login per example stays fast
_serial = itertools.count(1)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


# --- generated values ------------------------------------------------------------------------------------------

SPECIAL = (
    "", " ", "\x00", "a\x00b", "\r\n", "\t", "\x1b[31m", "\u202e", "\ufeff", "\u200b", "İ", "ß", "𠮷", "\U0010ffff",
    "0", "-0", "-1", "+1", "1.5", "1e3", "1e309", "NaN", "inf", "-inf", "0x10", "1_000", "²", "١٢", "１２",
    "2147483648", "-2147483649", "9223372036854775808", "-9223372036854775809", "9" * 40, "-" + "9" * 40,
    "2026-02-30", "2026-13-01", "0000-00-00", "0001-01-01", "9999-12-31", "10000-01-01", "-2026-01-01",
    "2026-1-1", "2026/01/01", "20260101", "today", "24:00", "23:60", "9:00", "-1:00", "12:00:00", "25:61",
    "None", "null", "true", "false", "y", "on", "[]", "{}", "<script>alert(1)</script>", "' OR '1'='1",
    "%(name)s", "%s%s%n", "{0}", "{{ 7*7 }}", "../../etc/passwd", "//evil.example", "javascript:alert(1)",
    "XF2026-0000001", "XF2026-", "=cmd|' /C calc'!A0", "é" * 3, "e\u0301",
)
LONG = st.builds(lambda piece, n: piece * n,
                 st.sampled_from(["a", "字", "𠮷", "\x00", "İ", " ", "%", "\u0301", "9"]),
                 st.sampled_from([19, 33, 51, 65, 101, 201, 301, 501, 2001, 5001, 10001, 100_001]))
NUMBERS = st.one_of(st.integers(), st.integers(min_value=-2**80, max_value=2**80), st.floats()).map(str)
NOT_QUITE_DATES = st.one_of(
    st.dates().map(date.isoformat),
    st.builds("{}-{}-{}".format, st.integers(-1, 99999), st.integers(-1, 13), st.integers(-1, 32)),
    st.datetimes().map(str), st.times().map(str))
HOSTILE = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=20), LONG, NUMBERS, NOT_QUITE_DATES,
                    st.builds(lambda text, n: text * n, st.text(min_size=1, max_size=5), st.integers(10, 80)))
UNKNOWN_NAMES = st.one_of(st.sampled_from([
    "csrf_token", "id", "status", "role", "version", "created_by_id", "submit", "next", "__class__", "",
    "petitioners-99999999999999999999-name", "petitioners--1-name", "petitioners-x-name", "petitioners-0",
    "co_unit_ids", "leader_ids", "day-2026-13-01", "day-" + day(1), "day-", "batch"]), st.text(max_size=20))
RAW_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=xyz",
             "multipart/form-data; boundary=", "application/json", "text/plain", "application/octet-stream")
RAW_BODIES = st.one_of(
    st.binary(max_size=600),
    st.sampled_from([b"%", b"a=%ff%fe&b=%00", b"=&=&&==", b"a" * 70_000, b"--xyz\r\nContent-Disposition: form-data\r\n",
                     b"--xyz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.pdf\"\r\n\r\n%PDF-",
                     b"[" * 5000, b"{\"a\": \"\\ud800\"}", b"\xff\xfe{\x00}\x00"]))

PLAIN_TEXTS = ("测试内容", "王某", "反映拆迁补偿问题", " 前后有空格 ", "a", "督查组", "城关镇", "XF2026-0000001")
NEAR_TODAY = st.integers(-3, 1).map(day)
EDGE_DATES = st.sampled_from(["9999-12-31", "9999-12-30", "0001-01-01", "2000-02-29"])  # a calendar's ends
DATE_VALUES = st.one_of(NEAR_TODAY, NEAR_TODAY, NEAR_TODAY, EDGE_DATES, EDGE_DATES, st.integers(-500, 500).map(day),
                        st.dates().map(date.isoformat))
TIME_VALUES = st.one_of(st.sampled_from(["09:00", "12:00", "00:00", "23:59", "14:30"]),
                        st.times().map(lambda moment: moment.strftime("%H:%M")))
BOOLEAN_VALUES = st.sampled_from(["y", "", "0", "false", "on"])
SUBMIT_VALUES = st.sampled_from(["", "", "y"])

# Values a field of this name takes in real use, whatever form it is on.
PLAUSIBLE_BY_NAME = {
    "id_number": st.sampled_from([ID_NUMBER, ID_NUMBER.lower(), "", "330102197506011234"]),
    "phone": st.sampled_from([PHONE, "0571-88888888", "+8613812345678", ""]),
    "username": st.sampled_from(["clerk", "CLERK", " clerk ", "nobody", "new-user", "İ" * 64]),
    "password": st.sampled_from([PASSWORD, "wrong-password", "short", ""]),
    "current_password": st.sampled_from([PASSWORD, "wrong-password"]),
    "new_password": st.sampled_from(["another-horse-10", "short"]),
    "confirm": st.sampled_from(["another-horse-10", "other"]),
    "next": st.sampled_from(["", "/cases/", "//evil.example", "https://evil.example/", "/\\evil.example",
                             "javascript:alert(1)", "/auth/home?x=%00"]),
    "month": st.sampled_from([default_month(), TODAY.strftime("%Y-%m"), "2026-13", "9999-12", "0001-01", "1-1"]),
    "csv_text": st.sampled_from([f"{TODAY.year}-10-01,rest\n{TODAY.year}-10-10,workday",
                                 f"{TODAY.year}-10-01,rest", "date,kind", f"{TODAY.year}-02-30,rest", "x,y,z"]),
    "year": st.sampled_from(["2026", "2000", "2100", "1999", "2101"]),
    "repeat_checked": st.sampled_from(["", "1", "0"]),
    "confirmed": st.sampled_from(["1", "0", ""]),
}


@dataclass(frozen=True)
class Upload:
    """A file for a file field: its name, bytes and declared type."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


UPLOAD_CONTENTS = {".pdf": b"%PDF-1.4\n%\xe2\xe3\n", ".jpg": b"\xff\xd8\xff\xe0JFIF", ".png": b"\x89PNG\r\n\x1a\n",
                   ".tif": b"II*\x00"}
GOOD_UPLOADS = st.builds(lambda suffix, padding: Upload(f"扫描件{suffix}", UPLOAD_CONTENTS[suffix] + padding),
                         st.sampled_from(sorted(UPLOAD_CONTENTS)), st.binary(max_size=64))
BAD_UPLOADS = st.builds(
    Upload,
    st.one_of(st.sampled_from(["", ".pdf", "../../etc/passwd.pdf", "a\x00.pdf", "a\r\n.pdf", "a\".pdf", "a.exe",
                               "con.pdf", "\u202efdp.exe", "a" * 300 + ".pdf", "x.PDF", ".", "..", "/", "a.pdf."]),
              st.text(max_size=40)),
    st.one_of(st.binary(max_size=300), st.sampled_from([b"", b"%PDF-", b"\x00" * 5000, b"%PDF-" + b"x" * 5000])),
    st.sampled_from(["application/pdf", "image/jpeg", "text/html", "", "application/octet-stream"]))
UPLOADS = st.lists(st.one_of(GOOD_UPLOADS, BAD_UPLOADS), max_size=3)
ATTACHMENT_LIMIT = 4096  # per file in these tests, so the "too large" refusal is reached with small bodies

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), HOSTILE)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


class Live:
    """A value known only when the example is sent: the version the object has now, or a record's id (an attribute
    of the World: ids differ from test to test)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"Live({self.name!r})"


VERSION = Live("version")


@dataclass
class Example:
    """One request to post: generated, or a regression example of the table."""

    pairs: list = field(default_factory=list)  # (name, value) for a form, in order, names repeated
    body: object = None  # a JSON body (any JSON value)
    raw: bytes | None = None
    content_type: str | None = None
    query: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)
    variant: object = None  # which kind of object it is posted to (see Target.variants)


def ledger_workbook(cells: list[dict]) -> Upload:
    """A ledger workbook (the import's header) with the given rows; control characters Excel refuses left out."""
    book = Workbook()
    sheet = book.active
    sheet.append(list(LEDGER_COLUMNS))
    for row in cells:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
                      for value in (row.get(column) for column in LEDGER_COLUMNS)])
    out = io.BytesIO()
    book.save(out)
    return Upload("台账.xlsx", out.getvalue(), XLSX)


LEDGER_ROW = {
    "信访日期": st.sampled_from([TODAY - timedelta(days=5), day(-5), day(3), "2026/02/30", 45000, 1.5]),
    "信访形式": st.sampled_from(["来访", "来信", "网上信访", "什么"]),
    "信访目的": st.sampled_from(["求决", "检举控告", "x"]),
    "内容分类": st.sampled_from(["城乡建设", "城乡建设/房屋拆迁与补偿", "新分类", ""]),
    "信访人姓名": st.sampled_from(["王某", "王某、李某", "", "甲" * 60]),
    "证件号码": st.sampled_from([ID_NUMBER, "123", ""]),
    "手机号码": st.sampled_from([PHONE, 13812345678, "abc"]),
    "问题属地": st.sampled_from(["城关镇", "新镇", ""]),
    "信访人数": st.sampled_from([1, 5, 0, -1, 10_000, 10_001, 2**31, 10**12, "9" * 30, "三", 2.5]),
    "是否集体访": st.sampled_from(["是", "否", "maybe"]),
    "概况": st.sampled_from(["反映拆迁补偿问题", "", "字" * 6000]),
    "是否受理": st.sampled_from(["是", "否", "转送", ""]),
    "受理日期": st.sampled_from([day(-4), day(-6), "", "9999-12-31"]),
    "责任单位": st.sampled_from(["城关镇", "住建局", "无此单位"]),
    "包案领导": st.sampled_from(["张书记（县委书记）", "张书记", "无名（无）"]),
    "办结期限": st.sampled_from([day(60), "", "0001-01-01"]),
    "是否办结": st.sampled_from(["是", "否"]),
    "回访满意度": st.sampled_from(["满意", "不满意", "x"]),
}
VALID_LEDGER_ROW = {"信访日期": day(-5), "信访形式": "来访", "信访目的": "求决", "内容分类": "城乡建设",
                    "信访人姓名": "王某", "证件号码": ID_NUMBER, "手机号码": PHONE, "住址": "东村1号",
                    "问题属地": "城关镇", "信访人数": 1, "概况": "反映拆迁补偿问题", "是否受理": "否"}
LEDGER_CHANGES = st.sampled_from(sorted(LEDGER_ROW)).flatmap(  # a cell of a row the import takes, changed
    lambda column: st.one_of(LEDGER_ROW[column], HOSTILE, NUMBERS).map(lambda value: (column, value)))
LEDGER_ROWS = st.lists(st.lists(LEDGER_CHANGES, max_size=3).map(lambda changes: VALID_LEDGER_ROW | dict(changes)),
                       max_size=3)
WORKBOOKS = st.one_of(LEDGER_ROWS.map(ledger_workbook), BAD_UPLOADS,
                      st.binary(max_size=200).map(lambda content: Upload("台账.xlsx", b"PK\x03\x04" + content)))


# --- the records every target needs -----------------------------------------------------------------------------

class World:
    """Units, categories, leaders and one user per role, made once per test; factories for the objects posted to."""

    def __init__(self, app):
        self.app = app
        with app.app_context():
            county = Unit(name="县委", kind=UnitKind.county)
            town = Unit(name="城关镇", kind=UnitKind.township, parent=county)
            department = Unit(name="住建局", kind=UnitKind.department, parent=county)
            category = Category(name="城乡建设")
            subcategory = Category(name="房屋拆迁与补偿", parent=category)
            method = ReceptionMethod(name="定点接访")
            users = {role: User(username=role.value, display_name=f"测试{role.value}", role=role,
                                unit=town if role is Role.handler else county, password_hash=CHEAP_HASH)
                     for role in Role}
            other = User(username="other", display_name="另一个用户", role=Role.clerk, unit=county,
                         password_hash=CHEAP_HASH)
            secretary = Leader(name="张书记", title="县委书记", post=LeaderPost.county_secretary, unit=county,
                               user=users[Role.leader])
            deputy = Leader(name="李县长", title="副县长", post=LeaderPost.county_leader, unit=county)
            db.session.add_all([county, town, department, category, subcategory, method, *users.values(), other,
                                secretary, deputy])
            db.session.commit()
            self.county, self.town, self.department = county.id, town.id, department.id
            self.category, self.subcategory, self.method = category.id, subcategory.id, method.id
            self.users = {role: user.id for role, user in users.items()}
            self.other_user, self.secretary, self.deputy = other.id, secretary.id, deputy.id

    def add(self, *records):
        """Commit new records; returns the first one's id."""
        with self.app.app_context():
            db.session.add_all(records)
            db.session.commit()
            return records[0].id if hasattr(records[0], "id") else None

    def token(self, role: Role) -> str:
        token = f"hostile-{role.value}-{next(_serial)}"
        self.add(ApiToken(user_id=self.users[role], token_hash=ApiToken.digest(token)))
        return token

    # cases
    def case_values(self, state: str) -> dict:
        accepted = dict(status=CaseStatus.accepted, accepted_on=TODAY - timedelta(days=8),
                        decided_on=TODAY - timedelta(days=8))
        package = dict(status=CaseStatus.in_progress, leader_id=self.secretary, lead_unit_id=self.town,
                       responsible_person="赵六", handling_opinion="约谈核实", closure_standard="补偿到位")
        issued = dict(status=CaseStatus.opinion_issued, outcome=Outcome.support, opinion_text="支持",
                      opinion_on=TODAY - timedelta(days=3))
        reviewed = dict(status=CaseStatus.closed, review_requested_on=TODAY - timedelta(days=2),
                        review_decided_on=TODAY - timedelta(days=1), closed_on=TODAY - timedelta(days=1))
        chains = {
            "registered": [],
            "accepted": [accepted],
            "in_progress": [accepted, package],
            "extension_pending": [accepted, package, dict(extension_days=10, extension_reason="材料较多")],
            "key_draft": [accepted, package, dict(is_key=True, outcome=Outcome.support, opinion_text="草稿",
                                                  opinion_pending=True)],
            "opinion_issued": [accepted, package, issued],
            "return_visited": [accepted, package, issued, dict(status=CaseStatus.return_visited,
                                                               satisfaction=Satisfaction.satisfied,
                                                               return_visit_on=TODAY - timedelta(days=1))],
            "review": [accepted, package, issued, dict(status=CaseStatus.review,
                                                       review_requested_on=TODAY - timedelta(days=1))],
            "reviewed": [accepted, package, issued, reviewed],
            "re_review": [accepted, package, issued, reviewed, dict(status=CaseStatus.re_review,
                                                                     re_review_requested_on=TODAY)],
            "to_report": [accepted, dict(channel=Channel.assigned, assigned_from="市信访局",
                                         report_due_on=TODAY + timedelta(days=10))],
        }
        values = {}
        for step in chains[state]:
            values.update(step)
        return values

    def case(self, state: str = "registered") -> int:
        with self.app.app_context():
            petition = Petition(number=f"HX{next(_serial):06d}", received_on=TODAY - timedelta(days=10),
                                channel=Channel.visit, purpose=Purpose.claim, category_id=self.category,
                                township_id=self.town, summary="反映拆迁补偿问题", status=CaseStatus.registered,
                                extension_days=0, hearing_days=0)
            for name, value in self.case_values(state).items():
                setattr(petition, name, value)
            for name, value in clock_dates(petition, official_calendar()).items():
                setattr(petition, name, value)
            petition.petitioners.append(Petitioner(name="王某", id_number=ID_NUMBER, phone=PHONE, address="东村1号",
                                                   village="东村"))
            db.session.add(petition)
            db.session.commit()
            return petition.id

    # reception
    def session(self, status=SessionStatus.published, offset: int = 7, held: bool = False) -> int:
        with self.app.app_context():
            item = ReceptionSession(day=TODAY + timedelta(days=offset), start_time=time(9), end_time=time(12),
                                    place=f"接待室{next(_serial)}", unit_id=self.county, method_id=self.method,
                                    status=status, leaders=[db.session.get(Leader, self.deputy)])
            db.session.add(item)
            if held:
                db.session.add(ReceptionRecord(session=item, notes="", recorded_by_id=self.users[Role.clerk]))
            db.session.commit()
            return item.id

    def batch(self) -> int:
        session_id = self.session(SessionStatus.held, offset=-1, held=True)
        with self.app.app_context():
            record = db.session.scalar(db.select(ReceptionRecord).where(ReceptionRecord.session_id == session_id))
            batch = ReceptionBatch(record=record, petitioner_names="王某、李某", persons=2, matter="反映拆迁补偿问题")
            db.session.add(batch)
            db.session.commit()
            return batch.id

    # supervision
    def inspection(self) -> int:
        return self.add(Inspection(target=InspectionTarget.unit, unit_id=self.town,
                                   inspected_on=TODAY - timedelta(days=20), method=InspectionMethod.on_site,
                                   inspectors="督查组", findings="台账不全", rating=Rating.basic))

    def item(self, verified: bool = False, overdue: bool = False) -> int:
        inspection = self.inspection()
        item = RectificationItem(inspection_id=inspection, unit_id=self.town, leader_id=self.secretary,
                                 responsible_person="赵六", problem="台账不全", measures="补齐台账",
                                 opened_on=TODAY - timedelta(days=15),
                                 deadline=TODAY - timedelta(days=3) if overdue else TODAY + timedelta(days=20),
                                 status=RectificationStatus.open)
        if verified:
            item.verification, item.verified_on = "已补齐", TODAY - timedelta(days=1)
            item.verified_by_id = self.users[Role.supervisor]
        return self.add(item)

    def notice(self, item_id: int | None = None) -> int:
        number = notice_number(TODAY.year, 9000 + next(_serial))
        return self.add(SupervisionNotice(number=number, item_id=item_id, unit_id=self.town,
                                          leader_id=self.secretary, level=NoticeLevel.reminder,
                                          issued_on=TODAY - timedelta(days=10), requirement="限期整改"))

    def overdue_item_with_notice(self) -> tuple[int, int]:
        item_id = self.item(overdue=True)
        return item_id, self.notice(item_id)

    def finding(self) -> int:
        petition = self.case("in_progress")
        run = self.add(CheckRun(trigger=CheckTrigger.cli, status=CheckRunStatus.finished, as_of=TODAY))
        return self.add(CheckFinding(kind=CheckKind.overdue_case, subject=f"petition:{petition}",
                                     petition_id=petition, unit_id=self.town, leader_id=self.secretary,
                                     detail="超期", first_run_id=run))

    def campaign(self) -> int:
        return self.add(Campaign(name=f"专项活动{next(_serial)}", starts_on=TODAY - timedelta(days=30),
                                 ends_on=TODAY + timedelta(days=30), description=""))

    def number_of(self, petition_id: int) -> str:
        with self.app.app_context():
            return db.session.get(Petition, petition_id).number


@dataclass(frozen=True)
class Posting:
    """Where an example is posted, the page whose select options hold the real choices, and the object whose
    version the form carries."""

    url: str
    page: str | None = None
    versioned: tuple | None = None  # (model, id)


# --- the table: every POST route, who posts, and to what ------------------------------------------------------------

def posted(variant=None, **fields) -> Example:
    """A regression example: these fields as a form post (to an object of `variant`)."""
    return Example(pairs=list(fields.items()), variant=variant)


def redirected_with_success(response, flashes) -> bool:
    return response.status_code in (302, 303) and "success" in {category for category, _ in flashes}


def redirected(response, flashes) -> bool:
    return response.status_code in (302, 303)


def answered_ok(response, flashes) -> bool:
    return response.status_code == 200


def workbook_sent(response, flashes) -> bool:
    return response.status_code == 200 and response.mimetype == XLSX


def api_success(response, flashes) -> bool:
    return response.status_code in (200, 201)


@dataclass(frozen=True)
class Target:
    """One POST route as a role that may use it: how to get a real URL, which form's fields to post, and what a
    success looks like (anything else is a refusal, which must write nothing)."""

    rule: str
    role: Role | None
    prepare: Callable[[World], Posting]
    form: type | None = None
    extra: Callable[[World], dict] = lambda world: {}
    name: str = ""
    json: bool = False
    query: Callable[[World], st.SearchStrategy] | None = None
    succeeded: Callable = redirected_with_success
    writes_on_refusal: frozenset = frozenset()
    variants: tuple = ()  # when given, prepare(world, variant) and each example draws a variant
    regressions: tuple = ()  # examples always posted first: the 500s and partial writes this test found
    renew: bool = True  # a success changes the object's state: the next example gets a fresh one

    @property
    def id(self) -> str:
        return f"{self.rule}[{self.name}]" if self.name else self.rule


def case_posting(state: str, suffix: str) -> Callable[[World], Posting]:
    def prepare(world):
        petition = world.case(state)
        return Posting(f"/cases/{petition}/{suffix}", f"/cases/{petition}", (Petition, petition))
    return prepare


def act(action: str, role: Role, *states: str, regressions=()) -> Target:
    """A workflow step on the case page, on a case in one of `states` (each example draws one)."""
    return Target("/cases/<int:petition_id>/actions/<action>", role,
                  lambda world, state: case_posting(state, f"actions/{action}")(world),
                  ACTION_FORMS[action], lambda world: {"step": st.sampled_from(steps_of(action))}, name=action,
                  variants=states, regressions=regressions)


def session_posting(status=SessionStatus.published, offset=7, suffix="", held=False):
    def prepare(world):
        session_id = world.session(status, offset, held)
        return Posting(f"/reception/{session_id}{suffix}", f"/reception/{session_id}", (ReceptionSession, session_id))
    return prepare


def item_posting(suffix: str, verified: bool = False):
    def prepare(world):
        item_id = world.item(verified=verified)
        return Posting(f"/supervision/items/{item_id}{suffix}", f"/supervision/items/{item_id}",
                       (RectificationItem, item_id))
    return prepare


def escalate_item(world):
    item_id, notice_id = world.overdue_item_with_notice()
    return Posting(f"/supervision/items/{item_id}/escalate", f"/supervision/items/{item_id}",
                   (SupervisionNotice, notice_id))


def notice_posting(suffix: str):
    def prepare(world):
        notice_id = world.notice()
        return Posting(f"/supervision/notices/{notice_id}{suffix}", f"/supervision/notices/{notice_id}",
                       (SupervisionNotice, notice_id))
    return prepare


def fixed(url: str, page: str | None = None, versioned=None):
    return lambda world: Posting(url, page, versioned)


def edited(url: str, model, ident: Callable[[World], int]):
    def prepare(world):
        key = ident(world)
        return Posting(url.format(key), url.format(key), (model, key))
    return prepare


LIST_ITEMS = {"categories": (Category, lambda world: world.subcategory),
              "methods": (ReceptionMethod, lambda world: world.method)}


def fresh_weights(world):
    with world.app.app_context():  # a save raises the versions the page read: start every example unsaved
        db.session.execute(db.delete(AssessmentWeight))
        db.session.commit()
    return Posting("/supervision/assessment/weights", "/supervision/assessment")


def password_reset(world):
    with world.app.app_context():
        db.session.get(User, world.users[Role.clerk]).password_hash = CHEAP_HASH
        db.session.commit()
    return Posting("/auth/password", "/auth/password")


def registration_extra(world):
    batch = world.batch()
    return {"batch": st.sampled_from([str(batch), "", "0", HUGE_ID, "1e3", "²"]),
            "add_petitioner": st.sampled_from(["", "", "", "y"])}


def rota_days(world):
    """The rota's day-YYYY-MM-DD keys: working days of the proposed month, a weekend, a day of another month."""
    year, month = (int(part) for part in default_month().split("-"))
    leaders = st.sampled_from([str(world.deputy), str(world.secretary), "", "0", "x"])
    return {f"day-{date(year, month, n).isoformat()}": leaders for n in (3, 4, 5, 6, 7, 8, 9)} | {
        f"day-{day(-1)}": leaders}


def case_sources(world):
    """?petition=, ?inspection=, ?item= or ?finding= of a new rectification item or notice."""
    sources = [("petition", world.case("in_progress")), ("inspection", world.inspection()),
               ("item", world.item()), ("finding", world.finding())]
    pairs = [[(name, str(ident))] for name, ident in sources]
    return st.one_of(st.sampled_from([[], *pairs]),
                     st.lists(st.tuples(st.sampled_from([name for name, _ in sources]), HOSTILE), max_size=2))


LIST_ARGS = st.lists(st.tuples(
    st.sampled_from(["q", "status", "channel", "purpose", "category", "township", "unit", "leader", "from", "to",
                     "figure", "campaign", "campaign_tag", "clock", "sort", "page"]),
    st.one_of(HOSTILE, st.sampled_from(["registered", "visit", "overdue", "due", "1", day(-5), "total", "found"]))),
    max_size=4)
PAGE_ARGS = st.lists(st.tuples(st.sampled_from(["page", "per_page"]),
                               st.one_of(st.sampled_from(["1", "100", "0", "101", "-1", "abc", "²"]), HOSTILE)),
                     max_size=2)


def register_json(world):
    return {"channel": st.sampled_from([c.value for c in Channel]), "received_on": DATE_VALUES,
            "purpose": st.sampled_from([p.value for p in Purpose]), "category_id": st.sampled_from(
                [world.category, world.subcategory, str(world.category)]),
            "township_id": st.sampled_from([world.town, None, ""]), "persons": st.integers(-2, 10_002),
            "summary": st.sampled_from(PLAIN_TEXTS), "accused_unit_id": st.sampled_from([None, world.department]),
            "assigned_from": st.sampled_from(["", "市信访局"]), "report_due_on": st.sampled_from([None, day(10)]),
            "is_repeat": st.booleans(), "is_skip_level": st.booleans(), "repeat_checked": st.booleans(),
            "petitioners": st.lists(st.fixed_dictionaries(
                {"name": st.sampled_from(["王某", "李某"])},
                optional={"id_number": PLAUSIBLE_BY_NAME["id_number"], "phone": PLAUSIBLE_BY_NAME["phone"],
                          "address": st.sampled_from(["东村1号", ""]), "village": st.sampled_from(["东村", ""])}),
                max_size=3)}


def action_json(world):
    """The fields of one action, the action chosen first: a body with another action's fields is refused."""
    extra = {"forwarded_to": st.just("市民政局"), "leader_id": st.sampled_from([world.secretary, world.deputy]),
             "lead_unit_id": st.sampled_from([world.town, world.department]),
             "co_unit_ids": st.lists(st.sampled_from([world.town, world.department, world.county]), max_size=2),
             "responsible_person": st.just("赵六"), "handling_opinion": st.just("约谈"),
             "closure_standard": st.just("补偿到位"), "report_due_on": st.sampled_from([None, day(20)]),
             "is_key": st.booleans(), "duty_facts": st.booleans(), "days": st.integers(-1, 31),
             "outcome": st.sampled_from([o.value for o in Outcome]),
             "satisfaction": st.sampled_from([s.value for s in Satisfaction]), "resolution": st.just("mediation"),
             "ended_on": DATE_VALUES}

    def fields(action):
        if action not in ACTION_FORMS:
            return {"action": st.just(action)}
        form = ACTION_FORMS[action]
        return {"action": st.just(action), "step": st.sampled_from(steps_of(action)), "on": DATE_VALUES,
                "text": st.sampled_from(PLAIN_TEXTS), "version": st.just(VERSION)} | {
            name: strategy for name, strategy in extra.items() if isinstance(getattr(form, name, None), UnboundField)}
    return fields


TARGETS = (
    # auth
    Target("/auth/login", None, fixed("/auth/login", "/auth/login"), LoginForm, succeeded=redirected,
           writes_on_refusal=frozenset({"login_attempt", "audit_log"}), regressions=(
               posted(username="İ" * 64, password="wrong-password"),  # lower() made it 128 characters: PostgreSQL
               posted(username="a\x00b", password="wrong-password"))),  # PostgreSQL text cannot hold a NUL
    Target("/auth/logout", Role.clerk, fixed("/auth/logout"), succeeded=redirected),
    Target("/auth/password", Role.clerk, password_reset, PasswordForm, regressions=(
        Example(raw=b"[" * 5000, content_type="application/json"),  # Flask-WTF parsed it: RecursionError
        Example(raw=b"1", content_type="application/json"))),  # … and fed it to MultiDict: TypeError
    Target("/auth/language/<code>", Role.clerk, fixed("/auth/language/en"),
           extra=lambda world: {"next": PLAUSIBLE_BY_NAME["next"]}, succeeded=redirected),
    # admin
    Target("/admin/users/new", Role.admin, fixed("/admin/users/new", "/admin/users/new"), UserForm),
    Target("/admin/users/<int:user_id>/edit", Role.admin,
           edited("/admin/users/{}/edit", User, lambda world: world.other_user), UserForm),
    Target("/admin/units/new", Role.admin, fixed("/admin/units/new", "/admin/units/new"), UnitForm),
    Target("/admin/units/<int:unit_id>/edit", Role.admin,
           edited("/admin/units/{}/edit", Unit, lambda world: world.department), UnitForm),
    Target("/admin/leaders/new", Role.admin, fixed("/admin/leaders/new", "/admin/leaders/new"), LeaderForm),
    Target("/admin/leaders/<int:leader_id>/edit", Role.admin,
           edited("/admin/leaders/{}/edit", Leader, lambda world: world.deputy), LeaderForm),
    Target("/admin/lists/<kind>/new", Role.admin,
           lambda world, kind: Posting(f"/admin/lists/{kind}/new", f"/admin/lists/{kind}/new"), ListItemForm,
           variants=("categories", "methods")),
    Target("/admin/lists/<kind>/<int:item_id>/edit", Role.admin,
           lambda world, kind: edited(f"/admin/lists/{kind}/{{}}/edit", *LIST_ITEMS[kind])(world), ListItemForm,
           variants=("categories", "methods")),
    Target("/admin/calendar/day/<isodate>", Role.admin,
           fixed(f"/admin/calendar/day/{day(20)}", f"/admin/calendar/day/{day(20)}"), CalendarDayForm),
    Target("/admin/calendar/<int:year>/import", Role.admin,
           fixed(f"/admin/calendar/{TODAY.year}/import", f"/admin/calendar/{TODAY.year}/import"), CalendarImportForm,
           extra=lambda world: {"csv_file": st.one_of(
               st.sampled_from(["2026-10-01,rest\n", "\ufeff2026-10-01,workday\r\n", "x"]).map(
                   lambda text: Upload("calendar.csv", text.encode())), BAD_UPLOADS)}),
    Target("/admin/calendar/<int:year>/confirm", Role.admin, fixed(f"/admin/calendar/{TODAY.year}/confirm"),
           extra=lambda world: {"confirmed": PLAUSIBLE_BY_NAME["confirmed"]}),
    # cases
    Target("/cases/new", Role.clerk, fixed("/cases/new", "/cases/new"), RegisterForm, extra=registration_extra,
           regressions=(posted(batch=HUGE_ID),)),  # SQLite cannot bind it
    act("accept", Role.clerk, "registered"),
    act("assign", Role.clerk, "accepted", "in_progress"),
    act("progress", Role.handler, "in_progress"),
    act("extend", Role.admin, "in_progress", "extension_pending"),  # request, then approve
    act("opinion", Role.admin, "in_progress", "key_draft",  # submit and issue; sign off a key case's draft
        regressions=(posted("in_progress", step="submit", on=day(0), text="意见", outcome=" ", version=VERSION),)),
    act("return-visit", Role.clerk, "opinion_issued"),
    act("close", Role.clerk, "return_visited",
        regressions=(posted("return_visited", step="close", on=day(0), resolution=" ", version=VERSION),)),
    act("review", Role.clerk, "opinion_issued", "review"),  # request, then decide
    act("re-review", Role.clerk, "reviewed", "re_review",  # request, then hearings and the decision
        regressions=(posted("re_review", step="hearing", on=day(0), ended_on="9999-12-31", version=VERSION),)),
    act("report-back", Role.clerk, "to_report"),
    Target("/cases/<int:petition_id>/attachments", Role.clerk, case_posting("in_progress", "attachments"),
           AttachmentForm, renew=False),
    Target("/cases/<int:petition_id>/reveal", Role.clerk, case_posting("registered", "reveal"),
           succeeded=answered_ok, renew=False),
    Target("/cases/export", Role.clerk, fixed("/cases/export"), query=lambda world: LIST_ARGS,
           succeeded=workbook_sent),
    Target("/cases/import", Role.admin, fixed("/cases/import", "/cases/import"), ImportForm,
           extra=lambda world: {"workbook": WORKBOOKS},
           regressions=(posted(workbook=ledger_workbook([VALID_LEDGER_ROW | {"信访人数": "9" * 30}])),)),
    # reception
    Target("/reception/new", Role.clerk, fixed("/reception/new", "/reception/new"), SessionForm),
    Target("/reception/<int:session_id>/edit", Role.clerk,
           session_posting(SessionStatus.draft, suffix="/edit"), SessionForm),
    Target("/reception/<int:session_id>/copy", Role.leader, session_posting(suffix="/copy"), SessionForm),
    Target("/reception/<int:session_id>/publish", Role.clerk, session_posting(SessionStatus.draft, suffix="/publish")),
    Target("/reception/<int:session_id>/delete", Role.clerk, session_posting(SessionStatus.draft, suffix="/delete")),
    Target("/reception/<int:session_id>/cancel", Role.clerk, session_posting(suffix="/cancel"), CancelForm),
    Target("/reception/<int:session_id>/reschedule", Role.clerk, session_posting(suffix="/reschedule"),
           RescheduleForm),
    Target("/reception/<int:session_id>/record", Role.clerk, session_posting(offset=-1, suffix="/record"),
           RecordForm),
    Target("/reception/<int:session_id>/batches", Role.clerk,
           session_posting(SessionStatus.held, offset=-1, suffix="/batches", held=True), BatchForm),
    Target("/reception/quotas", Role.clerk, fixed("/reception/quotas", "/reception/quotas"), QuotaForm,
           regressions=(posted(county_secretary="9" * 400),)),  # NumberRange's isnan() overflowed
    Target("/reception/rota/publish", Role.clerk, fixed("/reception/rota/publish", "/reception/rota"), RotaForm,
           extra=rota_days),
    # statistics
    Target("/stats/campaigns/new", Role.clerk, fixed("/stats/campaigns/new", "/stats/campaigns/new"), CampaignForm,
           regressions=(posted(name="专项", starts_on="9999-06-01", ends_on="9999-12-31"),)),  # a year on: 10000
    Target("/stats/campaigns/<int:campaign_id>/edit", Role.clerk,
           edited("/stats/campaigns/{}/edit", Campaign, World.campaign), CampaignForm),
    Target("/stats/campaigns/<int:campaign_id>/tag", Role.clerk,
           lambda world: Posting(f"/stats/campaigns/{world.campaign()}/tag"), renew=False),
    # supervision
    Target("/supervision/assessment/weights", Role.supervisor, fresh_weights, WeightsForm),
    Target("/supervision/checks/run", Role.supervisor, fixed("/supervision/checks/run")),
    Target("/supervision/inspections/new", Role.supervisor,
           fixed("/supervision/inspections/new", "/supervision/inspections/new"), InspectionForm,
           extra=lambda world: {"case_number": st.sampled_from(
               [world.number_of(world.case("accepted")), "hx000001", "XF2026-1", ""])}),
    Target("/supervision/inspections/<int:inspection_id>/edit", Role.supervisor,
           edited("/supervision/inspections/{}/edit", Inspection, World.inspection), EditInspectionForm),
    Target("/supervision/inspections/<int:inspection_id>/evidence", Role.supervisor,
           lambda world: Posting(f"/supervision/inspections/{world.inspection()}/evidence"), EvidenceForm,
           renew=False),
    Target("/supervision/items/new", Role.supervisor, fixed("/supervision/items/new", "/supervision/items/new"),
           ItemForm, query=case_sources, regressions=(  # working days counted from a refused opening date
               posted(unit_id=Live("town"), responsible_person="赵六", problem="问题", measures="措施",
                      opened_on="9999-12-30", deadline_kind="working_days", working_days="5"),)),
    Target("/supervision/items/<int:item_id>/edit", Role.supervisor,
           edited("/supervision/items/{}/edit", RectificationItem, World.item), ItemForm),
    Target("/supervision/items/<int:item_id>/escalate", Role.supervisor, escalate_item, EscalateForm,
           regressions=(posted(happened_on=day(0), accountability_form=" ", version=VERSION),)),
    Target("/supervision/items/<int:item_id>/progress", Role.handler, item_posting("/progress"), ProgressForm),
    Target("/supervision/items/<int:item_id>/sign-off", Role.supervisor, item_posting("/sign-off", verified=True),
           SignOffForm),
    Target("/supervision/items/<int:item_id>/verify", Role.supervisor, item_posting("/verify"), VerifyForm),
    Target("/supervision/notices/<int:notice_id>/escalate", Role.supervisor, notice_posting("/escalate"),
           EscalateForm, regressions=(posted(happened_on=day(0), accountability_form=" ", version=VERSION),)),
    Target("/supervision/notices/<int:notice_id>/reply", Role.handler, notice_posting("/reply"), ReplyForm),
    Target("/supervision/notices/new", Role.supervisor,
           fixed("/supervision/notices/new", "/supervision/notices/new"), NoticeForm, query=case_sources),
    Target("/supervision/rounds/new", Role.supervisor, fixed("/supervision/rounds/new", "/supervision/rounds/new"),
           RoundForm),
    Target("/supervision/rounds/plan", Role.supervisor, fixed("/supervision/rounds/plan", "/supervision/rounds"),
           YearPlanForm),
    # the JSON API
    Target("/api/v1/cases", Role.clerk, fixed("/api/v1/cases"), json=True, extra=register_json,
           succeeded=api_success),
    Target("/api/v1/cases/<int:case_id>/actions", Role.admin,
           lambda world: (lambda ident: Posting(f"/api/v1/cases/{ident}/actions", None, (Petition, ident)))(
               world.case("in_progress")), json=True, extra=action_json, succeeded=api_success),
    Target("/api/v1/checks/run", Role.supervisor, fixed("/api/v1/checks/run"), json=True,
           query=lambda world: PAGE_ARGS, succeeded=api_success),
)


# --- from a form class to generated requests ----------------------------------------------------------------------

class PageOptions(HTMLParser):
    """The values a page offers for each select, checkbox and radio name: the real choices of a form."""

    def __init__(self):
        super().__init__()
        self.options: dict[str, list[str]] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "select":
            self._select = attributes.get("name")
        elif tag == "option" and self._select:
            self.options.setdefault(self._select, []).append(attributes.get("value") or "")
        elif tag == "input" and attributes.get("type") in ("checkbox", "radio") and attributes.get("name"):
            self.options.setdefault(attributes["name"], []).append(attributes.get("value") or "y")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def validator(field, kind):
    return next((check for check in field.validators if isinstance(check, kind)), None)


def text_values(field) -> st.SearchStrategy:
    length = validator(field, Length)
    longest = length.max if length and length.max and length.max > 0 else None
    choices = [st.sampled_from(PLAIN_TEXTS), st.text(min_size=1, max_size=30)]
    if longest:  # the longest text the form accepts, in characters that are 1, 3 and 4 bytes long
        choices.append(st.sampled_from(["a" * longest, "字" * longest, "𠮷" * longest, "İ" * longest,
                                        " " + "字" * longest + " "]))
    return st.one_of(choices)


def integer_values(field) -> st.SearchStrategy:
    bounds = validator(field, NumberRange)
    low = bounds.min if bounds and bounds.min is not None else -5
    high = bounds.max if bounds and bounds.max is not None else low + 1000
    return st.one_of(st.sampled_from([low, high, low - 1, high + 1]), st.integers(low, high)).map(str)


def choice_values(field, options: dict) -> st.SearchStrategy:
    values = options.get(field.name)
    if not values and field.choices is not None:
        values = [str(next(iter(choice))) for choice in field.choices]
    values = [value for value in values or [] if value is not None] or ["1", "2", "3"]
    if isinstance(field, SelectMultipleField):
        return st.lists(st.sampled_from(values), max_size=min(len(values), 4))
    return st.sampled_from(values)


def field_values(field, options: dict) -> dict[str, st.SearchStrategy]:
    """{posted name: strategy of plausible values} for one bound field (a FieldList gives two entries' fields)."""
    if isinstance(field, FieldList):
        names = {}
        for sub in field.entries[0]:
            for index in (0, 1):
                name = sub.name.replace(f"{field.name}-0-", f"{field.name}-{index}-")
                names[name] = field_values(sub, options)[sub.name]
        return names
    if field.short_name in PLAUSIBLE_BY_NAME:
        return {field.name: PLAUSIBLE_BY_NAME[field.short_name]}
    if isinstance(field, FileField):
        strategy = UPLOADS if "Multiple" in type(field).__name__ else st.one_of(GOOD_UPLOADS, BAD_UPLOADS)
    elif isinstance(field, SubmitField):
        strategy = SUBMIT_VALUES
    elif isinstance(field, BooleanField):
        strategy = BOOLEAN_VALUES
    elif isinstance(field, SelectFieldBase):
        strategy = choice_values(field, options)
    elif isinstance(field, DateField):
        strategy = DATE_VALUES
    elif isinstance(field, TimeField):
        strategy = TIME_VALUES
    elif isinstance(field, IntegerField):
        strategy = integer_values(field)
    elif isinstance(field, HiddenField):
        strategy = st.just(VERSION) if field.short_name == "version" else st.sampled_from(["", "1"])
    else:
        strategy = text_values(field)
    return {field.name: strategy}


MODES = ("plausible",) * 6 + ("hostile", "hostile", "empty", "missing", "repeated")
SHAPES = ("form",) * 8 + ("multipart", "raw")


@st.composite
def form_examples(draw, fields: dict, query, variants):
    """A form post: each field plausible, hostile, empty, missing or repeated; unknown fields; broken bodies."""
    example = Example(query=draw(query), variant=draw(variants))
    shape = draw(st.sampled_from(SHAPES))
    if shape == "raw":
        example.raw, example.content_type = draw(RAW_BODIES), draw(st.sampled_from(RAW_TYPES))
        return example
    clean = draw(st.integers(0, 2)) == 0  # a third of the examples reach the code behind the validation
    for name, plausible in fields.items():
        mode = "plausible" if clean else draw(st.sampled_from(MODES))
        if mode == "missing":
            continue
        if mode == "empty":
            values = [""]
        elif mode == "hostile":
            values = [draw(HOSTILE)]
        elif mode == "repeated":
            values = [draw(st.one_of(plausible, HOSTILE)) for _ in range(draw(st.integers(2, 3)))]
        else:
            values = [draw(plausible)]
        for value in values:
            example.pairs += [(name, each) for each in value] if isinstance(value, list) else [(name, value)]
    if not clean:
        example.pairs += draw(st.lists(st.tuples(UNKNOWN_NAMES, HOSTILE), max_size=3))
    if shape == "multipart":
        example.content_type = "multipart/form-data"
    return example


@st.composite
def json_examples(draw, fields, query, variants):
    """A JSON body: an object of the real keys with plausible or wrongly typed values, or anything else."""
    example = Example(query=draw(query), content_type="application/json", variant=draw(variants))
    shape = draw(st.sampled_from(("object",) * 8 + ("other", "raw")))
    if shape == "raw":
        example.raw, example.content_type = draw(RAW_BODIES), draw(st.sampled_from(RAW_TYPES))
        return example
    if shape == "other":
        example.body = draw(JSON_VALUES)
        return example
    if callable(fields):  # the keys depend on a first choice (the action of a workflow step)
        fields = fields(draw(st.sampled_from(sorted(ACTION_FORMS) + ["no-such-action"])))
    clean = draw(st.integers(0, 2)) == 0
    body = {}
    for name, plausible in fields.items():
        mode = "plausible" if clean else draw(st.sampled_from(("plausible",) * 6 + ("hostile", "missing")))
        if mode != "missing":
            body[name] = draw(plausible) if mode == "plausible" else draw(JSON_VALUES)
    if not clean:
        names = st.one_of(UNKNOWN_NAMES, st.sampled_from(sorted(fields))) if fields else UNKNOWN_NAMES
        body.update(draw(st.dictionaries(names, JSON_VALUES, max_size=2)))
    example.body = body
    if draw(st.integers(0, 7)) == 0:
        example.headers["Idempotency-Key"] = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126),
                                                          max_size=210))
    return example


# --- sending and checking -------------------------------------------------------------------------------------

WRITE = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
STAMPED = frozenset({"api_token"})  # every API request stamps its token's last use


class CommittedWrites:
    """The tables a committed transaction wrote to, from the engine's events: what a refused request must not leave
    behind. A flush that is rolled back leaves nothing and is not counted; every committed INSERT, UPDATE or DELETE
    is, even one that leaves the row as it was."""

    def __init__(self, engine, ignored=frozenset()):
        self.engine, self.ignored = engine, ignored | STAMPED
        self.pending: dict = {}  # connection -> tables written in its open transaction
        self.tables: set[str] = set()
        self.listeners = (("before_cursor_execute", self.executed), ("commit", self.committed),
                          ("rollback", self.rolled_back))
        for name, listener in self.listeners:
            event.listen(engine, name, listener)

    def executed(self, connection, cursor, statement, parameters, context, executemany):
        written = WRITE.match(statement)
        if written and written.group(1) not in self.ignored:
            self.pending.setdefault(connection, set()).add(written.group(1))

    def committed(self, connection):
        self.tables |= self.pending.pop(connection, set())

    def rolled_back(self, connection):
        self.pending.pop(connection, None)

    def remove(self) -> None:
        for name, listener in self.listeners:
            event.remove(self.engine, name, listener)


class Bench:
    """Posts the examples of one target as its role and checks each answer and the database."""

    def __init__(self, app, target: Target, folder: Path):
        self.app, self.target, self.folder = app, target, folder
        self.client = app.test_client()
        self.world = World(app)
        self.postings = {variant: self.prepare(variant) for variant in target.variants or (None,)}
        self.headers = {"Authorization": f"Bearer {self.world.token(target.role)}"} if target.json else {}
        self.flashes: list[tuple[str, str]] = []
        # The pages successes led to, by kind (/cases/N): the first few of each kind are opened at once, and the
        # latest of each kind again at the end, with everything the examples saved.
        self.shown: dict[str, list[str]] = {}
        with app.app_context():
            self.writes = CommittedWrites(db.engine, target.writes_on_refusal)
        self.versions: dict = {}  # the version each posting's object has, read once after each change
        self.signed_in = False  # the client holds the target's fresh session (no response changed it since)
        self.has_files = target.form is not None and any(
            isinstance(getattr(target.form, name, None), UnboundField) and
            issubclass(getattr(target.form, name).field_class, FileField) for name in dir(target.form))

    def prepare(self, variant) -> Posting:
        return self.target.prepare(self.world) if variant is None else self.target.prepare(self.world, variant)

    def record_flash(self, sender, message, category, **extra):
        self.flashes.append((category, message))

    def sign_in(self) -> None:
        """A fresh session for the next example: the target's role signed in (no scrypt per example), no flashes;
        kept as long as no answer changes it (signs out, switches the language, leaves a message)."""
        if self.target.json or self.signed_in:
            return
        self.signed_in = True
        with self.client.session_transaction() as session:
            session.clear()
            if self.target.role is not None:
                session["_user_id"] = str(self.world.users[self.target.role])
                session["_fresh"] = True

    def page_options(self) -> dict[str, list[str]]:
        options: dict[str, list[str]] = {}
        for page in sorted({posting.page for posting in self.postings.values() if posting.page}):
            self.sign_in()
            response = self.client.get(page)
            assert response.status_code == 200, (page, response.status_code)
            parser = PageOptions()
            parser.feed(response.get_data(as_text=True))
            for name, values in parser.options.items():
                options[name] = sorted(set(options.get(name, [])) | set(values))
        self.signed_in = False
        return options

    def fields(self) -> dict:
        extra = self.target.extra(self.world)
        if self.target.json:
            return extra
        options = self.page_options()
        found = {}
        if self.target.form is not None:
            with self.app.test_request_context():
                form = self.target.form(meta={"csrf": False}, formdata=None)
            for bound in form:
                found.update(field_values(bound, options))
        return found | extra

    def strategy(self):
        query = self.target.query(self.world) if self.target.query else st.just([])
        variants = st.sampled_from(self.target.variants) if self.target.variants else st.none()
        examples = json_examples if self.target.json else form_examples
        return examples(self.fields(), query, variants)

    def stored_files(self) -> int:
        return sum(1 for _ in self.folder.rglob("*")) if self.has_files and self.folder.exists() else 0

    def version(self, posting: Posting):
        if posting.versioned is None:
            return ""
        if posting not in self.versions:
            model, ident = posting.versioned
            with self.app.app_context():
                self.versions[posting] = db.session.scalar(db.select(model.version).where(model.id == ident))
        return self.versions[posting]

    def resolve(self, value, posting: Posting):
        if value is VERSION:
            return self.version(posting)
        if isinstance(value, Live):
            return getattr(self.world, value.name)
        if isinstance(value, list):
            return [self.resolve(each, posting) for each in value]
        if isinstance(value, dict):
            return {key: self.resolve(each, posting) for key, each in value.items()}
        return value

    def send(self, example: Example, posting: Posting):
        options = {"query_string": MultiDict(example.query), "headers": {**self.headers, **example.headers}}
        if example.raw is not None:
            options.update(data=example.raw, content_type=example.content_type)
        elif self.target.json:
            options.update(data=json.dumps(self.resolve(example.body, posting), ensure_ascii=False),
                           content_type=example.content_type)
        else:
            data = MultiDict()
            for name, value in example.pairs:
                if isinstance(value, Upload):
                    value = (io.BytesIO(value.content), value.filename, value.content_type)
                data.add(name, str(self.resolve(value, posting)) if isinstance(value, Live) else value)
            options.update(data=data)
            if example.content_type:
                options["content_type"] = example.content_type
        response = self.client.post(posting.url, **options)
        response.close()  # a workbook is sent from a temporary file
        response.request.environ["wsgi.input"].close()  # a body over 500 KB is built in a temporary file
        self.signed_in = self.signed_in and "Set-Cookie" not in response.headers
        return response

    def open(self, location: str) -> None:
        """Open a page a success led to (it shows what was saved)."""
        self.sign_in()
        response = self.client.get(location)
        response.close()
        self.signed_in = self.signed_in and "Set-Cookie" not in response.headers
        assert response.status_code < 500, location

    def check(self, example: Example) -> None:
        self.sign_in()
        self.flashes.clear()
        files = self.stored_files()
        self.writes.tables.clear()
        response = self.send(example, self.postings[example.variant])
        assert response.status_code < 500
        if self.target.succeeded(response, self.flashes):
            location = response.headers.get("Location") if response.status_code in (302, 303) else None
            if location:
                seen = self.shown.setdefault(re.sub(r"\d+", "N", location), [])
                if len(seen) < PAGES_OPENED and location not in seen:
                    self.open(location)
                seen.append(location)
            if self.target.renew:
                self.postings[example.variant] = self.prepare(example.variant)
            self.versions = {}
            return
        assert not self.writes.tables, f"refused with {response.status_code}, but wrote to {sorted(self.writes.tables)}"
        assert self.stored_files() == files, f"refused with {response.status_code}, but stored a file"


class CompiledTemplates(BytecodeCache):
    """Templates compiled once for all the tests' apps (each test builds its own app and would compile them again)."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = CompiledTemplates()


# --- tests ---------------------------------------------------------------------------------------------------------

def plain_rule(rule: str) -> str:
    """/cases/<int(max=9):case_id> → /cases/<int:case_id>: the table names routes without converter arguments."""
    return re.sub(r"<(\w+)\([^)]*\):", r"<\1:", rule)


def test_the_table_covers_every_post_route_with_a_role_that_may_use_it(app):
    posted = {plain_rule(rule.rule): rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert {target.rule for target in TARGETS} == set(posted)
    assert len(posted) >= 54
    with app.test_request_context():
        for target in TARGETS:
            roles = allowed_roles(posted[target.rule])
            assert roles is None or target.role in roles, target.id  # public routes take any caller


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.id)
def test_hostile_posts_get_no_server_error_and_refusals_write_nothing(app, tmp_path, target):
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "files")
    app.config["ATTACHMENT_MAX_BYTES"] = ATTACHMENT_LIMIT
    app.config["LOGIN_MAX_FAILURES"] = 50  # the full login path for most examples, the lockout for the rest
    app.jinja_env.bytecode_cache = TEMPLATES
    bench = Bench(app, target, tmp_path / "files")
    for posting in bench.postings.values():
        matched, _ = app.url_map.bind("localhost").match(posting.url, method="POST", return_rule=True)
        assert plain_rule(matched.rule) == target.rule

    def post(hostile):
        note(hostile)  # printed in full for a failing example
        bench.check(hostile)

    post = given(hostile=bench.strategy())(post)
    for regression in target.regressions:
        post = example(hostile=regression)(post)
    post = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example])(post)

    try:
        with message_flashed.connected_to(bench.record_flash, app):
            post()
    finally:
        bench.writes.remove()
    for seen in bench.shown.values():
        if len(seen) > 1:
            bench.open(seen[-1])
    gc.collect()


def huge_id_url(rule) -> str:
    """The rule's URL with every int argument past the largest id, the others given plausible values."""
    known = {"isodate": day(1), "kind": "methods", "code": "en", "action": "accept"}

    def fill(match):
        converter, name = match.group(1) or "", match.group(2)
        return HUGE_ID if converter == "int" else known.get(name, "x")

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", fill, rule.rule)


def test_every_route_answers_an_id_past_the_largest_as_unknown(app, client, login):
    login(Role.admin)
    checked = 0
    for rule in app.url_map.iter_rules():
        if "<int" not in rule.rule:
            continue
        url = huge_id_url(rule)
        for method in sorted(rule.methods & {"GET", "POST"}):
            assert client.open(url, method=method).status_code == 404, (method, url)
            checked += 1
    assert checked >= 40


@pytest.mark.parametrize(("url", "status"), [
    ("/admin/users?unit=²", 200),  # a digit to str.isdigit(), not to int()
    (f"/admin/users?unit={HUGE_ID}", 200),
    ("/reception/?leader=²", 200),
    ("/reception/?month=0000-01", 200),
    ("/reception/?month=9999-12", 200),  # its next month would be in year 10000
    ("/reception/?month=²²²²-01", 200),
    (f"/cases/?township={HUGE_ID}", 200),
    (f"/cases/?campaign={HUGE_ID}", 200),
    ("/cases/?category=" + "9" * 5000, 200),  # int() refuses more than 4,300 digits
    ("/cases/?q=a%00b", 400),  # a PostgreSQL text value cannot hold a NUL
    (f"/supervision/items?unit={HUGE_ID}", 200),
    (f"/supervision/notices?unit={HUGE_ID}", 200),
    (f"/supervision/inspections?unit={HUGE_ID}", 200),
    (f"/supervision/inspections/new?petition={HUGE_ID}", 404),
    (f"/supervision/items/new?finding={HUGE_ID}", 404),
    (f"/supervision/notices/new?item={HUGE_ID}", 404),
    ("/stats/annual?year=" + "9" * 5000, 400),
    ("/?leader=²", 200),
])
def test_query_arguments_no_database_can_hold_are_ignored_or_refused(client, login, url, status):
    login(Role.admin)
    assert client.get(url).status_code == status  # an error page never answers 200


def test_a_refusal_that_leaves_a_write_behind_fails_the_check(app, tmp_path):
    @app.before_request
    def half_saved():
        if request.method == "POST":
            db.session.add(CalendarYear(year=2099))
            db.session.commit()
            return "refused", 400
        return None

    bench = Bench(app, next(target for target in TARGETS if target.rule == "/supervision/checks/run"), tmp_path)
    try:
        with pytest.raises(AssertionError, match="refused with 400, but wrote to .*'calendar_year'"):
            bench.check(Example())
    finally:
        bench.writes.remove()

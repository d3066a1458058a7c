"""The case ledger workbook (信访事项台账, LEDGER.md): read and check a file, import it in one go, export as a stream.

Import runs in two phases. `check_ledger` reads the workbook and checks every cell, every name it refers to and
every match with a petition already stored, writing nothing; `import_ledger` then creates and updates. A file with
any problem is never written at all. Export writes the same columns, so an export re-imports with no change.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from uuid import uuid4
from xml.etree import ElementTree

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, range_boundaries
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from blueprints.cases.access import visible_petitions
from blueprints.cases.idnumber import is_valid_id_number
from blueprints.cases.workflow import clock_dates
from blueprints.shared import mask_id_number, mask_phone, official_calendar
from models import (
    COLLECTIVE_VISIT_PERSONS,
    CaseStatus,
    Category,
    Channel,
    EventKind,
    Leader,
    LeaderPost,
    Outcome,
    Petition,
    PetitionEvent,
    Petitioner,
    Purpose,
    Resolution,
    Satisfaction,
    Unit,
    UnitKind,
    db,
    petition_co_unit,
)

SHEET = "信访事项台账"
COLUMNS = (
    "信访件编号", "信访日期", "信访形式", "信访目的", "内容分类", "信访人姓名", "证件号码", "手机号码", "住址",
    "问题属地", "信访人数", "是否集体访", "是否重复访", "是否越级访", "概况", "是否受理", "受理日期", "责任单位",
    "协办单位", "包案领导", "办结期限", "处理意见", "办结日期", "是否办结", "回访满意度", "交办来源", "化解方式",
    "备注",
)
COLUMN_WIDTHS = {"信访件编号": 16, "内容分类": 24, "信访人姓名": 18, "证件号码": 21, "手机号码": 14, "住址": 24,
                 "概况": 40, "协办单位": 18, "包案领导": 16, "备注": 24}
MAX_ROWS = 100_000
MAX_PERSONS = 10_000  # as on the registration form
EXPORT_BATCH = 500  # petitions fetched and written at a time, so memory stays flat however long the list
LOOKUP_BATCH = 500  # values per IN (...) when matching rows with stored petitions

# The ledger's own words for the enums: fixed by LEDGER.md, independent of the interface language.
CHANNELS = {"来访": Channel.visit, "来信": Channel.letter, "网上信访": Channel.online, "电话": Channel.phone,
            "领导信箱": Channel.mailbox, "上级交办": Channel.assigned, "上级转送": Channel.forwarded,
            "接访": Channel.reception, "下访排查": Channel.visit_down}
PURPOSES = {"求决": Purpose.claim, "申诉": Purpose.appeal, "意见建议": Purpose.suggestion,
            "检举控告": Purpose.accusation, "涉法涉诉": Purpose.litigation, "其他": Purpose.other}
OUTCOMES = {"支持": Outcome.support, "解释说明": Outcome.explain, "不予支持": Outcome.reject}
SATISFACTIONS = {"满意": Satisfaction.satisfied, "基本满意": Satisfaction.basically,
                 "不满意": Satisfaction.dissatisfied, "未评价": Satisfaction.not_evaluated}
RESOLUTIONS = {"调解": Resolution.mediation, "和解": Resolution.settlement, "行政处理": Resolution.administrative,
               "解释疏导": Resolution.guidance, "司法途径": Resolution.judicial, "其他": Resolution.other}
YES_NO = {"是": True, "否": False}
ACCEPTED, NOT_ACCEPTED, FORWARDED = "是", "否", "转送"
ACCEPTANCE = {ACCEPTED: ACCEPTED, NOT_ACCEPTED: NOT_ACCEPTED, FORWARDED: FORWARDED}
LABELS = {member: label for mapping in (CHANNELS, PURPOSES, OUTCOMES, SATISFACTIONS, RESOLUTIONS)
          for label, member in mapping.items()}

SEPARATORS = re.compile(r"[、，,；;]")
LEADER_WITH_TITLE = re.compile(r"^(.+?)\s*[（(]\s*(.*?)\s*[）)]$")
ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
PHONE = re.compile(r"^\+?[0-9-]{5,20}$")
MASKED_ADDRESS = "…"  # what the case page shows for a hidden address
TOWNSHIP_ENDINGS = ("镇", "乡", "街道", "办事处")
FINISHED = frozenset({CaseStatus.closed, CaseStatus.final})
# States in which a due date (办结期限) given in the file is kept; otherwise the clocks decide it.
OPEN = frozenset({CaseStatus.registered, CaseStatus.accepted, CaseStatus.in_progress, CaseStatus.review,
                  CaseStatus.re_review})
# The Petition column each ledger column sets, to name the changed columns in the timeline.
FIELD_COLUMNS = {
    "received_on": "信访日期", "channel": "信访形式", "purpose": "信访目的", "category_id": "内容分类",
    "township_id": "问题属地", "persons": "信访人数", "is_collective": "是否集体访", "is_repeat": "是否重复访",
    "is_skip_level": "是否越级访", "summary": "概况", "accepted_on": "受理日期",
    "lead_unit_id": "责任单位", "leader_id": "包案领导", "due_on": "办结期限", "outcome": "处理意见",
    "closed_on": "办结日期", "satisfaction": "回访满意度", "assigned_from": "交办来源", "resolution": "化解方式",
    "remarks": "备注",
}
CLOCK_FIELDS = ("extension_days", "extension_approved_on", "review_requested_on", "re_review_requested_on",
                "hearing_days", "report_due_on", "reported_on")

NOT_A_WORKBOOK = _l("This file is not an Excel workbook (.xlsx) or it is damaged. Open it in Excel or WPS and "
                    "save it as an .xlsx workbook.")


@dataclass(frozen=True)
class Problem:
    """One reason the file cannot be imported: the Excel row and column it concerns, and why."""

    row: int | None  # as Excel numbers it; None for the file as a whole
    column: str
    reason: object  # a lazily translated string

    def __str__(self) -> str:
        if self.row is None:
            return str(self.reason)
        return _("Row %(row)d · %(column)s: %(reason)s", row=self.row, column=self.column, reason=self.reason)


class Bad(ValueError):
    """A cell that cannot be read; carries the reason the user sees."""


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    created_names: list[str] = field(default_factory=list)  # units, leaders and categories made on the way


# ---------------------------------------------------------------------------------------------------------------
# Reading the workbook


def read_workbook(stream) -> tuple[list[tuple[int, dict]], list[Problem]]:
    """The non-blank data rows as (Excel row number, {column: raw value}), or the problems with the file's shape."""
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises zip, XML, key and value errors alike for a damaged or foreign file
        return [], [Problem(None, "", NOT_A_WORKBOOK)]
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        sheet.reset_dimensions()  # some programs write a wrong size; read whatever rows are there
        lines = sheet.iter_rows(values_only=True)
        positions, problems = header_positions(next(lines, ()))
        problems += [merged_problem(ref, positions) for ref in merged_ranges(stream, sheet.title)]
        if problems:
            return [], problems
        rows = []
        for number, values in enumerate(lines, start=2):
            cells = {name: values[index] if index < len(values) else None for name, index in positions.items()}
            if any(clean(value) for value in cells.values()):
                rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                return [], [Problem(None, "", _l("The file has more than %(n)d rows; split it into smaller files.",
                                                   n=MAX_ROWS))]
        if not rows:
            return [], [Problem(None, "", _l("The sheet has no rows below the header."))]
        return rows, []
    except Exception:  # a sheet that breaks half-way through is as unreadable as one that never opens
        return [], [Problem(None, "", NOT_A_WORKBOOK)]
    finally:
        book.close()


def header_positions(header) -> tuple[dict[str, int], list[Problem]]:
    """Where each ledger column is; the order may differ, but every column must be there exactly once."""
    positions, problems = {}, []
    for index, value in enumerate(header):
        name = clean(value)
        cell = f"{get_column_letter(index + 1)}1"
        if not name:
            continue
        if name not in COLUMNS:
            problems.append(Problem(1, name, _l("not a column of the ledger (cell %(cell)s)", cell=cell)))
        elif name in positions:
            problems.append(Problem(1, name, _l("the column appears twice (cell %(cell)s)", cell=cell)))
        else:
            positions[name] = index
    problems += [Problem(1, name, _l("this column is missing from the header row"))
                 for name in COLUMNS if name not in positions]
    return positions, problems


NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def merged_ranges(stream, title: str) -> list[str]:
    """The merged ranges of a sheet, read from its XML: openpyxl's read-only mode does not report them."""
    with zipfile.ZipFile(stream) as archive:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        links = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        rel = next(sheet.get(REL_ID) for sheet in book.iterfind("m:sheets/m:sheet", NS) if sheet.get("name") == title)
        target = next(link.get("Target") for link in links.iterfind("p:Relationship", NS) if link.get("Id") == rel)
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        ranges = []
        with archive.open(path) as xml:
            for _event, element in ElementTree.iterparse(xml):
                if element.tag == f"{{{NS['m']}}}mergeCell":
                    ranges.append(element.get("ref"))
                elif element.tag == f"{{{NS['m']}}}row":
                    element.clear()  # keep memory flat on long sheets
        return ranges


def merged_problem(ref: str, positions: dict[str, int]) -> Problem:
    first_column, first_row, _last_column, _last_row = range_boundaries(ref)
    names = {index: name for name, index in positions.items()}
    column = names.get(first_column - 1, get_column_letter(first_column))
    return Problem(first_row, column, _l("merged cells (%(range)s) cannot be imported: unmerge them and fill in "
                                         "every cell", range=ref))


def clean(value) -> str:
    """A cell as text: numbers without a trailing .0, whitespace trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# ---------------------------------------------------------------------------------------------------------------
# Checking the cells of one row (no database)


def parse_text(limit: int, required: bool = False):
    def parse(value):
        text = clean(value)
        if required and not text:
            raise Bad(_l("required"))
        if len(text) > limit:
            raise Bad(_l("longer than %(n)d characters", n=limit))
        return text
    return parse


def parse_choice(mapping: dict, required: bool = False):
    def parse(value):
        text = clean(value)
        if not text:
            if required:
                raise Bad(_l("required; one of %(allowed)s", allowed="、".join(mapping)))
            return None
        if text not in mapping:
            raise Bad(_l("“%(value)s” is not one of %(allowed)s", value=text, allowed="、".join(mapping)))
        return mapping[text]
    return parse


def parse_yes_no(value):
    if isinstance(value, bool):
        return value
    return parse_choice(YES_NO)(value)


def parse_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean(value)
    if not text:
        return None
    match = ISO_DATE.match(text) if isinstance(value, str) else None
    try:
        if match:
            return date(*map(int, match.groups()))
    except ValueError:
        pass
    raise Bad(_l("“%(value)s” is not a date: write YYYY-MM-DD or use an Excel date", value=text))


def parse_persons(value):
    text = clean(value)
    if not text:
        return 1
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PERSONS))
            and 1 <= int(text) <= MAX_PERSONS):
        raise Bad(_l("“%(value)s” is not a whole number from 1 to %(most)d", value=text, most=MAX_PERSONS))
    return int(text)


def parse_names(value):
    names = [name.strip() for name in SEPARATORS.split(clean(value)) if name.strip()]
    if not names:
        raise Bad(_l("required"))
    if any(len(name) > 50 for name in names):
        raise Bad(_l("a name is longer than %(n)d characters", n=50))
    return names


def parse_id_numbers(value):
    if isinstance(value, (int, float)):
        raise Bad(_l("stored as a number, which Excel rounds: format the column as text and type the ID number "
                     "again"))
    parts = [part.strip().upper() for part in SEPARATORS.split(clean(value))] if clean(value) else []
    for part in parts:
        if part and "*" not in part and not is_valid_id_number(part):
            raise Bad(_l("“%(value)s” is not a valid resident ID number (check the 18 characters and the last one)",
                         value=part))
    return parts


def parse_phones(value):
    parts = [part.strip() for part in SEPARATORS.split(clean(value))] if clean(value) else []
    for part in parts:
        if part and "*" not in part and not PHONE.match(part):
            raise Bad(_l("“%(value)s” is not a phone number (digits only, 5 to 20)", value=part))
    return parts


def parse_unit_names(value):
    return list(dict.fromkeys(name.strip() for name in SEPARATORS.split(clean(value)) if name.strip()))


PARSERS = {
    "信访件编号": parse_text(32), "信访日期": parse_date, "信访形式": parse_choice(CHANNELS, required=True),
    "信访目的": parse_choice(PURPOSES, required=True), "内容分类": parse_text(200), "信访人姓名": parse_names,
    "证件号码": parse_id_numbers, "手机号码": parse_phones, "住址": parse_text(1000), "问题属地": parse_text(100),
    "信访人数": parse_persons, "是否集体访": parse_yes_no, "是否重复访": parse_yes_no, "是否越级访": parse_yes_no,
    "概况": parse_text(5000, required=True), "是否受理": parse_choice(ACCEPTANCE), "受理日期": parse_date,
    "责任单位": parse_text(100), "协办单位": parse_unit_names, "包案领导": parse_text(100), "办结期限": parse_date,
    "处理意见": parse_choice(OUTCOMES), "办结日期": parse_date, "是否办结": parse_yes_no,
    "回访满意度": parse_choice(SATISFACTIONS), "交办来源": parse_text(100), "化解方式": parse_choice(RESOLUTIONS),
    "备注": parse_text(5000),
}
assert tuple(PARSERS) == COLUMNS


def parse_row(line: int, cells: dict, today: date) -> tuple[dict, list[Problem]]:
    """The row's values by column, checked cell by cell and then against each other."""
    values, problems = {}, []

    def problem(column, reason):
        problems.append(Problem(line, column, reason))

    for column, parse in PARSERS.items():
        try:
            values[column] = parse(cells.get(column))
        except Bad as error:
            problem(column, error.args[0])
            values[column] = None
    received = values["信访日期"]
    if not clean(cells.get("信访日期")):
        problem("信访日期", _l("required"))
    elif received and received > today:
        problem("信访日期", _l("cannot be in the future"))
    if values["是否受理"] == ACCEPTED and not clean(cells.get("受理日期")):
        problem("受理日期", _l("required when the case is accepted (是否受理 = 是)"))
    if values["是否办结"] and not clean(cells.get("办结日期")):
        problem("办结日期", _l("required when the case is closed (是否办结 = 是)"))
    # The statistics count the dates: a row whose dates contradict its 是否受理 / 是否办结 would be counted
    # otherwise than it reads.
    if values["是否受理"] in (NOT_ACCEPTED, FORWARDED) and values["受理日期"]:
        problem("受理日期", _l("must be empty when the case was not accepted here (是否受理 = 否 or 转送)"))
    if values["是否办结"] and values["是否受理"] != ACCEPTED:
        problem("是否办结", _l("a case is closed only after it was accepted (是否受理 = 是)"))
    for column in ("受理日期", "办结日期", "办结期限"):
        if received and values[column] and values[column] < received:
            problem(column, _l("earlier than the date received (信访日期)"))
    names = values["信访人姓名"] or []
    for column in ("证件号码", "手机号码"):
        if names and len(values[column] or []) > len(names):
            problem(column, _l("more values than names in 信访人姓名"))
    return values, problems


def row_status(values: dict) -> CaseStatus:
    """The state a ledger row describes: the furthest step its columns record."""
    if values["是否办结"]:
        return CaseStatus.closed
    if values["回访满意度"] not in (None, Satisfaction.not_evaluated):
        return CaseStatus.return_visited
    if values["处理意见"] is not None:
        return CaseStatus.opinion_issued
    if values["责任单位"] or values["包案领导"]:
        return CaseStatus.in_progress
    return {ACCEPTED: CaseStatus.accepted, NOT_ACCEPTED: CaseStatus.not_accepted,
            FORWARDED: CaseStatus.forwarded}.get(values["是否受理"], CaseStatus.registered)


def acceptance_of(status: CaseStatus, accepted_on: date | None) -> str | None:
    """The 是否受理 cell for a stored case."""
    if status is CaseStatus.not_accepted:
        return NOT_ACCEPTED
    if status is CaseStatus.forwarded:
        return FORWARDED
    return ACCEPTED if accepted_on else None


# ---------------------------------------------------------------------------------------------------------------
# Names the file refers to: units, leaders, categories


class References:
    """The units, leaders and categories by the names a ledger uses; remembers what an import may create."""

    def __init__(self, create_missing: bool):
        self.create_missing = create_missing
        self.units = dict(db.session.execute(db.select(Unit.name, Unit.id)).all())
        self.unit_names = {unit_id: name for name, unit_id in self.units.items()}
        self.county_id = db.session.scalar(db.select(Unit.id).where(Unit.kind == UnitKind.county)
                                           .order_by(Unit.parent_id.is_not(None), Unit.sort_order, Unit.id).limit(1))
        self.leaders: dict[str, list[tuple[int, str]]] = {}
        self.leader_labels: dict[int, str] = {}
        for leader_id, name, title in db.session.execute(db.select(Leader.id, Leader.name, Leader.title)
                                                         .order_by(Leader.id)):
            self._add_leader(leader_id, name, title)
        self.categories = {(parent_id, name): category_id for category_id, parent_id, name in db.session.execute(
            db.select(Category.id, Category.parent_id, Category.name))}
        parents = {category_id: (parent_id, name) for (parent_id, name), category_id in self.categories.items()}
        self.category_paths = {category_id: self._path(parents, category_id) for category_id in parents}
        self.new_units: dict[str, None] = {}
        self.new_leaders: dict[str, str] = {}  # name -> title: one new leader per name
        self.new_categories: dict[tuple[str, ...], None] = {}

    @staticmethod
    def _path(parents, category_id) -> str:
        names, seen = [], set()
        while category_id is not None and category_id not in seen:
            seen.add(category_id)
            category_id, name = parents[category_id]
            names.append(name)
        return "_".join(reversed(names))

    def _add_leader(self, leader_id: int, name: str, title: str) -> None:
        self.leaders.setdefault(name, []).append((leader_id, title))
        self.leader_labels[leader_id] = f"{name}（{title}）" if title else name

    # Each check_* returns a reason when the name can neither be found nor created, else None.

    def check_unit(self, name: str):
        if name in self.units:
            return None
        if self.create_missing:
            self.new_units[name] = None
            return None
        return _l("no unit named “%(name)s” (an admin can add it, or import with “create missing”)", name=name)

    def check_leader(self, text: str):
        name, title = split_leader(text)
        entries = self.leaders.get(name, [])
        if entries:
            if len(entries) == 1 or len([entry for entry in entries if entry[1] == title]) == 1:
                return None
            return _l("several leaders are named “%(name)s”: add the title in brackets, e.g. %(name)s（副县长）",
                      name=name)
        if not self.create_missing:
            return _l("no leader named “%(name)s” (an admin can add the leader, or import with “create missing”)",
                      name=name)
        if self.county_id is None:
            return _l("no leader named “%(name)s”, and no county unit to create the leader in", name=name)
        if not self.new_leaders.get(name):
            self.new_leaders[name] = title
        return None

    def check_category(self, path: str):
        names = [name.strip() for name in path.split("_")]
        if any(not name for name in names):
            return _l("“%(value)s” has an empty level; levels are joined by _", value=path)
        if (None, names[0]) not in self.categories:
            return _l("no content category “%(name)s” at the first level", name=names[0])
        parent = self.categories[(None, names[0])]
        for depth, name in enumerate(names[1:], start=2):
            if (parent, name) not in self.categories:
                if self.create_missing:
                    self.new_categories[tuple(names)] = None
                    return None
                return _l("no content category “%(path)s” (an admin can add it, or import with “create missing”)",
                          path="_".join(names[:depth]))
            parent = self.categories[(parent, name)]
        return None

    def unit_id(self, name: str) -> int | None:
        return self.units[name] if name else None

    def leader_id(self, text: str) -> int | None:
        if not text:
            return None
        name, title = split_leader(text)
        entries = self.leaders[name]
        titled = [entry_id for entry_id, entry_title in entries if entry_title == title]
        return titled[0] if len(titled) == 1 else entries[0][0]

    def category_id(self, path: str) -> int | None:
        parent = None
        for name in (path.split("_") if path else ()):
            parent = self.categories[(parent, name.strip())]
        return parent

    def create(self) -> list[str]:
        """Create what the file names and is missing (only reached with create_missing); returns the names."""
        made = []
        for name in self.new_units:
            kind = UnitKind.township if name.endswith(TOWNSHIP_ENDINGS) else UnitKind.department
            unit = Unit(name=name, kind=kind, parent_id=self.county_id, sort_order=0)
            db.session.add(unit)
            db.session.flush()
            self.units[name] = unit.id
            self.unit_names[unit.id] = name
            made.append(name)
        for name, title in self.new_leaders.items():
            leader = Leader(name=name, title=title, post=LeaderPost.county_leader, unit_id=self.county_id)
            db.session.add(leader)
            db.session.flush()
            self._add_leader(leader.id, name, title)
            made.append(self.leader_labels[leader.id])
        for names in self.new_categories:
            parent = None
            for depth, name in enumerate(names, start=1):
                if (parent, name) not in self.categories:
                    category = Category(name=name, parent_id=parent)
                    db.session.add(category)
                    db.session.flush()
                    self.categories[(parent, name)] = category.id
                    made.append("_".join(names[:depth]))
                parent = self.categories[(parent, name)]
        return made


def split_leader(text: str) -> tuple[str, str]:
    """`陈某某（副县长）` → ("陈某某", "副县长"); a bare name has an empty title."""
    match = LEADER_WITH_TITLE.match(text.strip())
    return (match.group(1).strip(), match.group(2)) if match else (text.strip(), "")


def check_references(line: int, values: dict, refs: References) -> list[Problem]:
    checks = [(column, refs.check_unit, values[column]) for column in ("问题属地", "责任单位") if values[column]]
    checks += [("协办单位", refs.check_unit, name) for name in values["协办单位"] or ()]
    if values["包案领导"]:
        checks.append(("包案领导", refs.check_leader, values["包案领导"]))
    if values["内容分类"]:
        checks.append(("内容分类", refs.check_category, values["内容分类"]))
    return [Problem(line, column, reason) for column, check, name in checks
            if (reason := check(name)) is not None]


# ---------------------------------------------------------------------------------------------------------------
# Matching rows with stored petitions, and the petitioners a row describes


def blank_number_key(received_on, names, summary) -> tuple:
    """How a row without a case number is recognised on a second import: date, petitioners and summary."""
    return received_on, tuple(names), summary


def stored_petitions(rows: list[tuple[int, dict]]) -> tuple[dict[str, Petition], dict[tuple, Petition]]:
    """The stored petitions the rows may refer to: by case number, and by blank_number_key for rows without one."""
    numbers = sorted({values["信访件编号"] for _line, values in rows if values["信访件编号"]})
    summaries = sorted({values["概况"] for _line, values in rows if not values["信访件编号"] and values["概况"]})
    by_number, by_key = {}, {}
    loading = (selectinload(Petition.petitioners), selectinload(Petition.co_units))
    for start in range(0, len(numbers), LOOKUP_BATCH):
        for petition in db.session.scalars(db.select(Petition).options(*loading)
                                           .where(Petition.number.in_(numbers[start:start + LOOKUP_BATCH]))):
            by_number[petition.number] = petition
    for start in range(0, len(summaries), LOOKUP_BATCH):
        for petition in db.session.scalars(db.select(Petition).options(*loading).order_by(Petition.id.desc())
                                           .where(Petition.summary.in_(summaries[start:start + LOOKUP_BATCH]))):
            key = blank_number_key(petition.received_on, [p.name for p in petition.petitioners], petition.summary)
            by_key[key] = petition  # newest first, so the oldest match wins
    return by_number, by_key


def mask_address(value: str) -> str:
    return MASKED_ADDRESS if value else ""


def row_people(line: int, values: dict, stored: Petition | None) -> tuple[list[tuple], list[Problem]]:
    """(name, ID number, phone, address) per petitioner; a masked value stands for the stored one it masks."""
    names = values["信访人姓名"]
    address = values["住址"] or ""
    parts = address.split("、")
    addresses = parts if len(names) > 1 and len(parts) == len(names) else [address]
    known = [(p.id_number, p.phone, p.address) for p in stored.petitioners] if stored else []
    problems, people = [], []
    columns = (("证件号码", values["证件号码"] or [], mask_id_number),
               ("手机号码", values["手机号码"] or [], mask_phone), ("住址", addresses, mask_address))
    for index, name in enumerate(names):
        person = [name]
        for position, (column, given, mask) in enumerate(columns):
            value = given[index] if index < len(given) else ""
            masked = value == MASKED_ADDRESS if column == "住址" else "*" in value
            if masked:
                original = known[index][position] if index < len(known) else ""
                if not original or mask(original) != value:
                    problems.append(Problem(line, column, _l(
                        "“%(value)s” is masked and does not match a stored value: write the full value", value=value)))
                value = original
            person.append(value)
        people.append(tuple(person))
    return people, problems


def check_ledger(stream, create_missing: bool, user=None, today: date | None = None):
    """Read and check a whole ledger without writing: (rows, references, problems).

    Each row is (Excel row number, values by column, petitioners, the stored petition it matches or None).
    A row may not change a stored case the user may not see (an accusation against their unit): the command
    line (no user) may."""
    today = today or date.today()
    raw, problems = read_workbook(stream)
    if problems:
        return [], None, problems
    refs = References(create_missing)
    parsed = []
    for line, cells in raw:
        values, row_problems = parse_row(line, cells, today)
        problems += row_problems + check_references(line, values, refs)
        parsed.append((line, values))
    by_number, by_key = stored_petitions([(line, values) for line, values in parsed if values["信访人姓名"]])
    hidden = hidden_petitions(user, [p.id for p in (*by_number.values(), *by_key.values())])
    rows, seen_numbers, seen_keys, seen_petitions = [], {}, {}, {}
    for line, values in parsed:
        if not values["信访人姓名"] or values["信访日期"] is None or not values["概况"]:
            continue  # already reported
        number = values["信访件编号"]
        key = blank_number_key(values["信访日期"], values["信访人姓名"], values["概况"])
        stored = by_number.get(number) if number else by_key.get(key)
        if number and number in seen_numbers:
            problems.append(Problem(line, "信访件编号", _l("the same number as row %(row)d", row=seen_numbers[number])))
        elif not number and key in seen_keys:
            problems.append(Problem(line, "信访件编号", _l(
                "the same date, petitioners and summary as row %(row)d; give the rows case numbers",
                row=seen_keys[key])))
        elif stored is not None and stored.id in seen_petitions:
            problems.append(Problem(line, "信访件编号", _l("the same case as row %(row)d",
                                                          row=seen_petitions[stored.id])))
        elif stored is not None and stored.id in hidden:
            problems.append(Problem(line, "信访件编号", _l("matches a stored case you may not change")))
        if number:
            seen_numbers.setdefault(number, line)
        else:
            seen_keys.setdefault(key, line)
        if stored is not None:
            seen_petitions.setdefault(stored.id, line)
        people, people_problems = row_people(line, values, stored)
        problems += people_problems
        rows.append((line, values, people, stored))
    problems.sort(key=lambda p: (p.row or 0, COLUMNS.index(p.column) if p.column in COLUMNS else -1))
    return rows, refs, problems


def hidden_petitions(user, ids: list[int]) -> set[int]:
    """Which of these petitions the user may not see; none for the command line."""
    if user is None or not ids:
        return set()
    visible = set()
    for start in range(0, len(ids), LOOKUP_BATCH):
        visible.update(db.session.scalars(db.select(Petition.id).where(
            Petition.id.in_(ids[start:start + LOOKUP_BATCH]), visible_petitions(user))))
    return set(ids) - visible


# ---------------------------------------------------------------------------------------------------------------
# Writing


def petition_fields(values: dict, refs: References, stored: Petition | None, calendar) -> dict:
    """The Petition columns a row sets; the state is derived again only when the columns that decide it changed."""
    persons = values["信访人数"]
    fields = {
        "received_on": values["信访日期"], "channel": values["信访形式"], "purpose": values["信访目的"],
        "category_id": refs.category_id(values["内容分类"]), "township_id": refs.unit_id(values["问题属地"]),
        "persons": persons, "summary": values["概况"],
        "is_collective": values["是否集体访"] if values["是否集体访"] is not None
        else persons >= COLLECTIVE_VISIT_PERSONS,
        "is_repeat": bool(values["是否重复访"]), "is_skip_level": bool(values["是否越级访"]),
        "accepted_on": values["受理日期"], "lead_unit_id": refs.unit_id(values["责任单位"]),
        "leader_id": refs.leader_id(values["包案领导"]), "outcome": values["处理意见"],
        "closed_on": values["办结日期"], "satisfaction": values["回访满意度"], "assigned_from": values["交办来源"],
        "resolution": values["化解方式"], "remarks": values["备注"],
    }
    if stored is not None and status_inputs(fields, values["是否受理"], bool(values["是否办结"])) == status_inputs(
            {name: getattr(stored, name) for name in fields}, acceptance_of(stored.status, stored.accepted_on),
            stored.status in FINISHED):
        fields["status"] = stored.status  # the ledger cannot tell these states apart: keep the stored one
    else:
        fields["status"] = row_status(values)
    clock_values = {name: getattr(stored, name) if stored else None for name in CLOCK_FIELDS}
    clock_values.update(extension_days=clock_values["extension_days"] or 0,
                        hearing_days=clock_values["hearing_days"] or 0)
    dates = clock_dates(SimpleNamespace(**fields, **clock_values), calendar)
    given_due = values["办结期限"]
    if stored is not None and given_due == stored.due_on and all(
            fields[name] == getattr(stored, name) for name in ("received_on", "channel", "status", "accepted_on")):
        dates["due_on"] = stored.due_on  # what the export wrote and nothing a clock starts from changed
    elif given_due and fields["status"] in OPEN:
        dates["due_on"] = given_due
    fields.update(dates)
    # The ledger has no date for a refusal or a forwarding: a stored one stays, an accepted row's is its 受理日期.
    refused = stored is not None and fields["status"] in (CaseStatus.not_accepted, CaseStatus.forwarded)
    fields["decided_on"] = fields["accepted_on"] or (stored.decided_on if refused else None)
    return fields


def status_inputs(fields: dict, acceptance: str | None, finished: bool) -> tuple:
    return (acceptance, fields["accepted_on"], fields["lead_unit_id"], fields["leader_id"], fields["outcome"],
            finished, fields["closed_on"], fields["satisfaction"])


def import_ledger(stream, filename: str, user=None, create_missing: bool = False,
                  today: date | None = None) -> ImportResult:
    """Check the whole file, then create and update petitions in the session; the caller commits.

    `user` is who imports (None on the command line). With any problem nothing is added to the session and the
    problems are returned."""
    today = today or date.today()
    author_id = user.id if user is not None else None
    rows, refs, problems = check_ledger(stream, create_missing, user, today)
    if problems:
        db.session.rollback()
        return ImportResult(problems=problems)
    result = ImportResult(created_names=refs.create())
    calendar = official_calendar()
    numbered_later = []
    for _line, values, people, stored in rows:
        fields = petition_fields(values, refs, stored, calendar)
        co_units = [refs.units[name] for name in values["协办单位"]]
        if stored is None:
            petition = Petition(number=values["信访件编号"] or uuid4().hex, **fields)
            petition.petitioners = [Petitioner(name=name, id_number=id_number, phone=phone, address=address)
                                    for name, id_number, phone, address in people]
            petition.co_units = [db.session.get(Unit, unit_id) for unit_id in co_units]
            petition.events.append(PetitionEvent(kind=EventKind.imported, happened_on=today, text=filename,
                                                 author_id=author_id))
            db.session.add(petition)
            if not values["信访件编号"]:
                numbered_later.append(petition)
            result.created += 1
        elif changed := update_petition(stored, fields, people, co_units):
            stored.events.append(PetitionEvent(kind=EventKind.imported, happened_on=today, author_id=author_id,
                                               text=f"{filename}: {'、'.join(changed)}"))
            result.updated += 1
        else:
            result.unchanged += 1
    try:
        db.session.flush()
        # Numbers like the register flow: the id is known only after the flush (see services.register_petition).
        for petition in numbered_later:
            petition.number = f"XF{petition.received_on.year}-{petition.id:07d}"
        db.session.flush()
    except IntegrityError:  # a generated number that a row of the file also gives, or a concurrent import
        db.session.rollback()
        return ImportResult(problems=[Problem(None, "", _l(
            "A case number in the file clashes with one the import gave or another user saved meanwhile; nothing "
            "was imported. Import the file again."))])
    return result


def update_petition(petition: Petition, fields: dict, people: list[tuple], co_units: list[int]) -> list[str]:
    """Set what differs from the row; returns the ledger columns that changed (none: the petition is untouched)."""
    changed = [name for name, value in fields.items() if getattr(petition, name) != value]
    for name in changed:
        setattr(petition, name, fields[name])
    columns = [FIELD_COLUMNS[name] for name in changed if name in FIELD_COLUMNS]
    stored_people = [(p.name, p.id_number, p.phone, p.address) for p in petition.petitioners]
    if stored_people != people:
        for index, person in enumerate(people):
            if index < len(petition.petitioners):
                for name, value in zip(("name", "id_number", "phone", "address"), person):
                    setattr(petition.petitioners[index], name, value)
            else:
                name, id_number, phone, address = person
                petition.petitioners.append(Petitioner(name=name, id_number=id_number, phone=phone, address=address))
        for extra in petition.petitioners[len(people):]:
            db.session.delete(extra)
        del petition.petitioners[len(people):]
        columns.append("信访人姓名")
    if {unit.id for unit in petition.co_units} != set(co_units):
        petition.co_units = [db.session.get(Unit, unit_id) for unit_id in co_units]
        columns.append("协办单位")
    # The state alone changes when only 是否受理 or 是否办结 did (they have no column of their own).
    return columns or (["是否受理/是否办结"] if "status" in changed else [])


# ---------------------------------------------------------------------------------------------------------------
# Export


def ledger_cells(petition, people: list[tuple], co_unit_ids: list[int], refs: References, reveal: bool) -> list:
    """One ledger row for a stored petition (a Petition or a row with its columns); masked unless reveal."""
    mask = (lambda value: value, lambda value: value, lambda value: value) if reveal else (
        mask_id_number, mask_phone, mask_address)
    personal = []
    for position in range(1, 4):
        parts = [mask[position - 1](person[position]) for person in people]
        while len(parts) > 1 and not parts[-1]:
            parts.pop()  # the ID number, phone or address of the first petitioner only: one value
        personal.append("、".join(parts))
    co_units = sorted(refs.unit_names[unit_id] for unit_id in co_unit_ids)
    values = (
        petition.number, petition.received_on, LABELS[petition.channel], LABELS[petition.purpose],
        refs.category_paths.get(petition.category_id, ""), "、".join(person[0] for person in people), *personal,
        refs.unit_names.get(petition.township_id, ""), petition.persons, yes_no(petition.is_collective),
        yes_no(petition.is_repeat), yes_no(petition.is_skip_level), petition.summary,
        acceptance_of(petition.status, petition.accepted_on), petition.accepted_on,
        refs.unit_names.get(petition.lead_unit_id, ""), "、".join(co_units),
        refs.leader_labels.get(petition.leader_id, ""),
        petition.due_on, LABELS.get(petition.outcome), petition.closed_on, yes_no(petition.status in FINISHED),
        LABELS.get(petition.satisfaction), petition.assigned_from, LABELS.get(petition.resolution), petition.remarks,
    )
    return [value if value not in ("", None) else None for value in values]


def yes_no(flag: bool) -> str:
    return "是" if flag else "否"


def export_ledger(query, target, reveal: bool) -> int:
    """Write the petitions of a list query to `target` as a ledger workbook, a batch at a time; returns the count.

    Only the petition columns are selected and streamed (no ORM objects pile up in the session), and the
    write-only workbook keeps its rows in a temporary file, so a long export needs no more memory than a short one.
    """
    refs = References(create_missing=False)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    for index, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS.get(name, 11)
    bold = Font(bold=True)
    sheet.append([styled(sheet, name, font=bold) for name in COLUMNS])
    stream = db.session.execute(query.with_only_columns(*Petition.__table__.columns)
                                .execution_options(yield_per=EXPORT_BATCH))
    count = 0
    for batch in stream.partitions():
        ids = [row.id for row in batch]
        people, co_units = {}, {}
        for row in db.session.execute(db.select(Petitioner.petition_id, Petitioner.name, Petitioner.id_number,
                                                Petitioner.phone, Petitioner.address)
                                      .where(Petitioner.petition_id.in_(ids)).order_by(Petitioner.id)):
            people.setdefault(row.petition_id, []).append(tuple(row)[1:])
        for petition_id, unit_id in db.session.execute(
                db.select(petition_co_unit.c.petition_id, petition_co_unit.c.unit_id)
                .where(petition_co_unit.c.petition_id.in_(ids))):
            co_units.setdefault(petition_id, []).append(unit_id)
        for row in batch:
            cells = ledger_cells(row, people.get(row.id, []), co_units.get(row.id, []), refs, reveal)
            sheet.append([styled(sheet, value) for value in cells])
        count += len(batch)
    book.save(target)
    return count


def styled(sheet, value, font=None):
    """The value, or a write-only cell for text that starts with = (kept as text, never run as a formula) or that
    needs a font. Plain values are cheaper: openpyxl builds their cells itself."""
    if font is None and not (isinstance(value, str) and value.startswith("=")):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell

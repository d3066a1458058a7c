"""The year's work report (年度工作报告): totals against last year, the top categories and townships, supervision and
reception in the year, each an SQL aggregate; and the same tables as a workbook, one sheet per table.

Case figures are the user's (visible_petitions) and come from figures.py. Supervision figures are office-wide for
those who read every case or the main leaders' reports; anyone else counts what is addressed to their unit or to
them, as on the supervision pages. No table names a petitioner.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, or_, true

import figures
from blueprints.cases.access import READ_ALL, visible_petitions
from blueprints.cases.ledger import styled
from blueprints.cases.packages import is_main_leader
from blueprints.stats.reception_figures import RECEPTION_LABELS, ReceptionLine, reception_counts
from blueprints.supervision.access import visible_items, visible_notices
from models import (
    AccountabilityForm,
    Category,
    Inspection,
    Leader,
    NoticeEventKind,
    NoticeLevel,
    Rating,
    RectificationItem,
    RectificationStatus,
    SupervisionNotice,
    SupervisionNoticeEvent,
    Unit,
    db,
)

FIRST_YEAR = 2000
TOP = 10
REPORT_RECEPTION = ("held", "batches", "persons")


def read_year(value: str | None, today: date) -> tuple[int | None, str | None]:
    """The year asked for (this year when none is given), or None and why it cannot be reported."""
    text = (value or "").strip()
    if not text:
        return today.year, None
    if not (text.isascii() and text.isdigit()) or len(text) > 4:  # int() refuses more than 4,300 digits
        return None, _("Year: “%(value)s” is not a year; give four digits such as %(year)d.",
                       value=text[:40], year=today.year)
    year = int(text)
    if not FIRST_YEAR <= year <= today.year + 1:
        return None, _("Year: give a year from %(first)d to %(last)d.", first=FIRST_YEAR, last=today.year + 1)
    return year, None


# --- the tables -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupLine:
    """One township or category among the top ten: items this year and last year."""

    key: int
    name: str
    items: int
    last_year: int
    change: figures.Change | None


@dataclass(frozen=True)
class RectificationFigures:
    opened: int
    closed: int  # verified and signed off (销号) in the year
    still_open: int  # on `as_of`
    overdue: int  # still open on `as_of` and past their deadline


@dataclass(frozen=True)
class NoticeLine:
    level: NoticeLevel
    issued: int  # notices issued at this level in the year
    escalated: int  # notices raised to this level in the year

    @property
    def total(self) -> int:
        return self.issued + self.escalated


@dataclass(frozen=True)
class AnnualReport:
    year: int
    period: figures.Period
    last_period: figures.Period
    as_of: date  # the day the open rectification items are counted on: the year's last day, or today
    lines: list[figures.Line]
    categories: list[GroupLine]
    townships: list[GroupLine]
    ratings: list[tuple[Rating, int]]
    rectification: RectificationFigures
    notices: list[NoticeLine]
    accountability: list[tuple[AccountabilityForm, int]]
    reception: list[ReceptionLine]

    @property
    def inspections(self) -> int:
        return sum(count for _rating, count in self.ratings)

    @property
    def accountability_total(self) -> int:
        return sum(count for _form, count in self.accountability)


def annual_report(user, year: int, today: date) -> AnnualReport:
    """Every table of the year's report for this user."""
    period = figures.Period(date(year, 1, 1), date(year, 12, 31))
    last_period = period.last_year()
    scope = visible_petitions(user)
    items, notices, inspections = supervision_scopes(user)
    as_of = min(period.end, today)
    _groups, now, before = figures.beside_last_year(scope, period, today)
    return AnnualReport(
        year, period, last_period, as_of, figures.compared_lines(now, before),
        top_groups(scope, "category", period, today), top_groups(scope, "township", period, today),
        inspection_ratings(inspections, period), rectification_figures(items, period, as_of),
        notice_lines(notices, period), accountability_forms(notices, period), reception_lines(user, period))


def top_groups(scope, by: str, period: figures.Period, today: date) -> list[GroupLine]:
    """The ten groups with the most items in the period (ties in the site's order of units or categories), each
    with last year's items; items without a township or category are left out of the ranking."""
    now = figures.count_figures(scope, period, today, by=by)
    before = figures.count_figures(scope, period.last_year(), today, by=by)
    keys = [key for key in now if key is not None]
    model = Category if by == "category" else Unit
    order = {key: (sort_order, name) for key, sort_order, name in db.session.execute(
        db.select(model.id, model.sort_order, model.name).where(model.id.in_(keys))).all()} if keys else {}
    ranked = sorted(keys, key=lambda key: (-now[key]["total"], *order.get(key, (0, "")), key))[:TOP]
    lines = []
    for key in ranked:
        items, last_year = now[key]["total"], before.get(key, {}).get("total", 0)
        lines.append(GroupLine(key, order.get(key, (0, ""))[1], items, last_year,
                               figures.year_on_year(items, last_year)))
    return lines


def supervision_scopes(user) -> tuple:
    """The conditions on rectification items, notices and inspections this user counts: all of them for those who
    read every case (and the main leaders); otherwise what is addressed to their unit or to them."""
    if user.role in READ_ALL or is_main_leader(user):
        return true(), true(), true()
    own = [Inspection.leader_id.in_(db.select(Leader.id).where(Leader.user_id == user.id))]
    if user.unit_id is not None:
        own.append(Inspection.unit_id == user.unit_id)
    return visible_items(user), visible_notices(user), or_(*own)


def inspection_ratings(scope, period: figures.Period) -> list[tuple[Rating, int]]:
    """Inspections done in the period by rating, every rating listed."""
    found = dict(db.session.execute(
        db.select(Inspection.rating, db.func.count())
        .where(Inspection.inspected_on.between(period.start, period.end), scope)
        .group_by(Inspection.rating)).all())
    return [(rating, found.get(rating, 0)) for rating in Rating]


def rectification_figures(scope, period: figures.Period, as_of: date) -> RectificationFigures:
    """Items opened and signed off in the period; items open on `as_of`, and of those the ones past their deadline
    then (overdue as the ledger counts it: the deadline is before that day)."""
    open_then = and_(RectificationItem.opened_on <= as_of,
                     or_(RectificationItem.closed_on.is_(None), RectificationItem.closed_on > as_of))
    count = db.func.count()
    row = db.session.execute(
        db.select(count.filter(RectificationItem.opened_on.between(period.start, period.end)),
                  count.filter(RectificationItem.status == RectificationStatus.closed,
                               RectificationItem.closed_on.between(period.start, period.end)),
                  count.filter(open_then),
                  count.filter(open_then, RectificationItem.deadline < as_of))
        .where(scope)).one()
    return RectificationFigures(*(int(value or 0) for value in row))


def notice_lines(scope, period: figures.Period) -> list[NoticeLine]:
    """Per level of the ladder (NoticeLevel's order): notices issued at it and notices raised to it in the period
    (their history)."""
    found = {(level, kind): count for level, kind, count in db.session.execute(
        db.select(SupervisionNoticeEvent.level, SupervisionNoticeEvent.kind, db.func.count())
        .join(SupervisionNotice, SupervisionNotice.id == SupervisionNoticeEvent.notice_id)
        .where(SupervisionNoticeEvent.happened_on.between(period.start, period.end),
               SupervisionNoticeEvent.kind.in_((NoticeEventKind.issued, NoticeEventKind.escalated)), scope)
        .group_by(SupervisionNoticeEvent.level, SupervisionNoticeEvent.kind)).all()}
    return [NoticeLine(level, found.get((level, NoticeEventKind.issued), 0),
                       found.get((level, NoticeEventKind.escalated), 0)) for level in NoticeLevel]


def accountability_forms(scope, period: figures.Period) -> list[tuple[AccountabilityForm, int]]:
    """Accountability decided in the period (notices raised to 问责 then) by form, every form listed."""
    found = dict(db.session.execute(
        db.select(SupervisionNotice.accountability_form, db.func.count(db.distinct(SupervisionNotice.id)))
        .join(SupervisionNoticeEvent, SupervisionNoticeEvent.notice_id == SupervisionNotice.id)
        .where(SupervisionNoticeEvent.kind == NoticeEventKind.escalated,
               SupervisionNoticeEvent.level == NoticeLevel.accountability,
               SupervisionNoticeEvent.happened_on.between(period.start, period.end), scope)
        .group_by(SupervisionNotice.accountability_form)).all())
    return [(form, found.get(form, 0)) for form in AccountabilityForm]


def reception_lines(user, period: figures.Period) -> list[ReceptionLine]:
    """Sessions held, batches and persons received in the period and the same period last year (the dashboard's
    reception counts)."""
    now, before = reception_counts(user, period, period.last_year())
    return [ReceptionLine(key, RECEPTION_LABELS[key], now[key], before[key],
                          figures.year_on_year(now[key], before[key])) for key in REPORT_RECEPTION]


# --- the workbook -----------------------------------------------------------------------------------------------

SHEET_NAMES = {
    "totals": _l("Totals"), "categories": _l("Top categories"), "townships": _l("Top townships"),
    "inspections": _l("Inspections"), "rectification": _l("Rectification"), "notices": _l("Notices"),
    "accountability": _l("Accountability"), "reception": _l("Reception"),
}
COUNT_FORMAT = "#,##0"
RATE_FORMAT = '0.0"%"'  # the value is the percentage itself (25.0), as the API gives it
POINTS_FORMAT = '+0.0;-0.0;0.0'
PERCENT_CHANGE_FORMAT = '+0.0"%";-0.0"%";0.0"%"'


def write_workbook(report: AnnualReport, target) -> None:
    """The report's tables as a workbook, one sheet per table, written to `target`."""
    book = Workbook(write_only=True)
    year, last = str(report.year), str(report.year - 1)
    change, change_percent = _("Change"), _("Change (%)")
    _sheet(book, "totals", [_("Figure"), year, last, change, change_percent],
           [_line_cells(line) for line in report.lines])
    for key, lines in (("categories", report.categories), ("townships", report.townships)):
        name = _("Category") if key == "categories" else _("Township")
        _sheet(book, key, [_("Rank"), name, year, last, change, change_percent],
               [[rank, line.name, line.items, line.last_year, *_change_cells(line.change, False)]
                for rank, line in enumerate(lines, start=1)], wide=2)
    _sheet(book, "inspections", [_("Rating"), _("Inspections")],
           [[str(rating.label), count] for rating, count in report.ratings] + [[_("All inspections"),
                                                                                report.inspections]])
    items = report.rectification
    as_of = report.as_of.isoformat()
    _sheet(book, "rectification", [_("Rectification items"), _("Items")], [
        [_("Opened in the year"), items.opened], [_("Verified and signed off in the year"), items.closed],
        [_("Still open on %(day)s", day=as_of), items.still_open],
        [_("of which overdue on %(day)s", day=as_of), items.overdue]])
    _sheet(book, "notices", [_("Level"), _("Issued"), _("Escalated to this level"), _("In all")],
           [[str(line.level.label), line.issued, line.escalated, line.total] for line in report.notices])
    _sheet(book, "accountability", [_("Form of accountability"), _("Decisions")],
           [[str(form.label), count] for form, count in report.accountability]
           + [[_("All decisions"), report.accountability_total]])
    _sheet(book, "reception", [_("Reception"), year, last, change, change_percent],
           [[str(line.label), line.value, line.last_year, *_change_cells(line.change, False)]
            for line in report.reception])
    book.save(target)


def _line_cells(line: figures.Line) -> list:
    if line.is_rate:
        return [str(line.label), _rate(line.value), _rate(line.last_year), *_change_cells(line.change, True)]
    return [str(line.label), line.value, line.last_year, *_change_cells(line.change, False)]


def _rate(value: float | None):
    """A rate with one decimal as a number, — when there was nothing to count."""
    return "—" if value is None else (figures.one_decimal(value), RATE_FORMAT)


def _change_cells(change: figures.Change | None, is_rate: bool) -> list:
    """The difference (in points for a rate) and the relative change in %; — where there is no comparison."""
    if change is None:
        return ["—", "—"]
    delta = (figures.one_decimal(change.delta), POINTS_FORMAT) if is_rate else (int(change.delta), "+#,##0;-#,##0;0")
    percent = "—" if change.percent is None else (figures.one_decimal(change.percent), PERCENT_CHANGE_FORMAT)
    return [delta, percent]


def _sheet(book, key: str, header: list, rows: list[list], wide: int = 1) -> None:
    """A sheet with a bold header and the names in column `wide`; a value given as (number, format) is written
    with that number format."""
    sheet = book.create_sheet(str(SHEET_NAMES[key])[:31])
    for index in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 36 if index == wide else 14
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([styled(sheet, str(name), font=bold) for name in header])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])


def _cell(sheet, value):
    if isinstance(value, tuple):
        cell = WriteOnlyCell(sheet, value=value[0])
        cell.number_format = value[1]
        return cell
    if isinstance(value, int):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = COUNT_FORMAT
        return cell
    return styled(sheet, value)

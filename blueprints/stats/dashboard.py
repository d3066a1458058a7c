"""The dashboard's pieces: the period asked for, its figures beside last year's, the breakdown tables, the trend.

Everything is counted by figures.py (one SQL query per table); this module only chooses the periods, names the
groups and orders the rows. The links to the case lists are built in the templates (stats/_period.html).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from blueprints.reception.services import month_bounds
from blueprints.shared import list_date
from blueprints.stats.charts import BarChart, Point, bar_chart
from blueprints.supervision.assessment import BY_LEADER, BY_UNIT, row_names
from figures import (
    BREAKDOWNS,
    COUNT_KEYS,
    COUNT_LABELS,
    PRESETS,
    Line,
    Period,
    beside_last_year,
    compared_lines,
    count_figures,
    monthly_counts,
    period_problem,
    preset_period,
    rates_of,
)
from models import Category, db

CUSTOM = "custom"
DEFAULT_PERIOD = "year"
# The columns of a breakdown table: the main counts, then the rates.
BREAKDOWN_COUNTS = ("total", "visits", "letters", "online", "phone", "accepted", "closed", "repeat", "packages")
BREAKDOWN_RATES = ("acceptance_rate", "closure_rate", "on_time_acceptance", "on_time_handling", "mediation_rate",
                   "satisfaction_rate", "repeat_rate")
TREND_KEYS = ("total", "accepted", "closed")
TREND_MONTHS = 24


# --- the period ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PeriodChoice:
    """The period of the query string: a preset or a custom range, with the dates as the form shows them (a
    custom range as typed), and the problem that keeps it from being counted, if any."""

    name: str
    start_text: str
    end_text: str
    period: Period | None
    problem: str | None = None

    @property
    def args(self) -> dict[str, str]:
        """The query arguments that ask for the same period (to carry it from page to page)."""
        if self.name == CUSTOM and self.period is not None:
            return {"period": CUSTOM, "from": self.period.start.isoformat(), "to": self.period.end.isoformat()}
        return {"period": self.name}


def period_choice(args, today: date) -> PeriodChoice:
    """?period=month|quarter|year|custom&from=YYYY-MM-DD&to=YYYY-MM-DD; this year by default, a custom range when
    only the dates are given."""
    start_text, end_text = args.get("from") or "", args.get("to") or ""
    name = args.get("period") or (CUSTOM if start_text or end_text else DEFAULT_PERIOD)
    if name in PRESETS:
        period = preset_period(name, today)
        return PeriodChoice(name, period.start.isoformat(), period.end.isoformat(), period)
    if name != CUSTOM:
        return PeriodChoice(name, start_text, end_text, None,
                            _("Choose this month, this quarter, this year or a range of dates."))
    start, end = list_date(args, "from"), list_date(args, "to")
    problem = period_problem(start, end)
    return PeriodChoice(CUSTOM, start_text, end_text, None if problem else Period(start, end), problem)


# --- the figures beside last year's -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    """A period's counts beside the same period last year, and the lines the dashboard shows."""

    period: Period
    last_year: Period
    now: dict[str, int]
    before: dict[str, int]
    lines: list[Line]


def compare(scope, period: Period, today: date) -> Comparison:
    """The dashboard's two period counts, counted at the same time (figures.beside_last_year)."""
    _groups, now, before = beside_last_year(scope, period, today)
    return Comparison(period, period.last_year(), now, before, compared_lines(now, before))


# --- breakdowns ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupRow:
    """One group of a breakdown: its name, the case list's arguments that list it (None for the items without a
    value, or where the list cannot select exactly this group), its counts and rates."""

    name: str
    note: str
    list_args: dict[str, str] | None
    counts: dict[str, int]
    rates: dict[str, float | None]
    is_none: bool = False


def breakdown_rows(scope, period: Period, today: date, by: str) -> tuple[list[GroupRow], GroupRow]:
    """The groups of a breakdown, most items first, the items without a value last; and the whole period's row
    (every item is in exactly one group, so it adds the groups up)."""
    found = count_figures(scope, period, today, by)
    names = group_names(by, [key for key in found if key is not None])
    rows = []
    for key, counts in found.items():
        if key is None:
            rows.append(GroupRow(_("(not set)"), "", None, counts, rates_of(counts), is_none=True))
        else:
            name, note, value = names.get(key, (str(key), "", str(key)))
            list_args = None if value is None else {BREAKDOWNS[by].list_arg: value}
            rows.append(GroupRow(name, note, list_args, counts, rates_of(counts)))
    rows.sort(key=lambda row: (row.is_none, -row.counts["total"], row.name))
    whole = {key: sum(row.counts[key] for row in rows) for key in COUNT_KEYS}
    return rows, GroupRow(_("All"), "", {}, whole, rates_of(whole))


def group_names(by: str, keys: list) -> dict:
    """{group: (name, note, the case list's filter value)} for the groups of a breakdown."""
    if by in ("channel", "purpose"):
        return {key: (str(key.label), "", key.value) for key in keys}
    if by in ("township", "unit", "leader"):
        return {key: (name, note, str(key))
                for key, (name, note) in row_names(BY_LEADER if by == "leader" else BY_UNIT, keys).items()}
    return category_names(by, keys)


def category_names(by: str, keys: list) -> dict:
    """Category names (a subcategory under its parent). The case list's category filter takes in the
    subcategories of a first-level category, so in the subcategory breakdown a first-level category that has
    subcategories (cases filed on the parent itself) cannot be listed exactly and gets no link."""
    if not keys:
        return {}
    parent = db.aliased(Category)
    rows = db.session.execute(db.select(Category.id, Category.name, parent.name)
                              .outerjoin(parent, parent.id == Category.parent_id)
                              .where(Category.id.in_(keys))).all()
    with_children = set(db.session.scalars(db.select(Category.parent_id).where(Category.parent_id.in_(keys))))
    names = {}
    for key, name, parent_name in rows:
        exact = by == "category" or key not in with_children
        names[key] = (f"{parent_name} / {name}" if parent_name else name, "", str(key) if exact else None)
    return names


# --- the trend ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Month:
    """One month of the trend: its first and last day and its counts."""

    start: date
    end: date
    counts: dict[str, int]

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)


def trend(scope, today: date) -> list[Month]:
    """The TREND_MONTHS months ending with the current one, counted in one query."""
    first_month = today.year * 12 + today.month - 1 - (TREND_MONTHS - 1)
    first = date(first_month // 12, first_month % 12 + 1, 1)
    return [Month(start, month_bounds(start.year, start.month)[1], counts)
            for start, counts in monthly_counts(scope, first, TREND_MONTHS, today, TREND_KEYS)]


def trend_chart(months: list[Month], key: str) -> BarChart:
    """One figure's bars by month; the latest twelve months stand out, the year is written under each January."""
    latest = len(months) - 12
    return bar_chart(key, str(COUNT_LABELS[key]), [
        Point(str(month.start.month), month.counts[key],
              str(month.start.year) if month.start.month == 1 or index == 0 else "",
              f"{month.start:%Y-%m}: {month.counts[key]:,}", index >= latest)
        for index, month in enumerate(months)])

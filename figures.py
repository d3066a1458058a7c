"""The statistics of DOMAIN §7: every figure as one SQL condition over the cases received in a period.

A count is `COUNT(*) FILTER (WHERE condition)` (or the persons summed) over the cases received in the period that
the user may see; a rate is one count over another. All counts of a period come from one pass over the
`ix_petition_stats` index, grouped by a breakdown when one is asked for; nothing loads cases into Python. The same
condition filters the case list a figure links to (`?figure=<key>`), so every number can be checked by counting.

The on-time rates count the clocks of the items received in the period (as the assessment does): acceptance is
due for an item once it is decided or its acceptance due date has passed; handling is due for an accepted item
once its opinion is out or its handling due date (with an approved extension) has passed. The due dates are the
ones the case keeps (`workflow.set_clock_dates`), counted on the official calendar.
"""
from __future__ import annotations

import calendar as month_calendar
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, extract, or_

from models import CaseStatus, Category, Channel, Petition, Purpose, Resolution, Satisfaction, db

VISIT_CHANNELS = (Channel.visit, Channel.reception, Channel.visit_down)  # a person in front of an official
ONLINE_CHANNELS = (Channel.online, Channel.mailbox)
RESOLVED = (CaseStatus.closed, CaseStatus.final)
SATISFIED = (Satisfaction.satisfied, Satisfaction.basically)
DISPUTE_PURPOSES = (Purpose.claim,)  # 求决类: the disputes the mediation rate (调结率) counts
MAX_PERIOD_DAYS = 3 * 366 + 1


def rate(part: float, whole: int) -> float | None:
    """part ÷ whole as a percentage; None when there is nothing to count (shown as —, never a division by zero)."""
    if not whole:
        return None
    return 100.0 * part / whole


# --- the figures ---------------------------------------------------------------------------------------------------

def _handled_on():
    """The day the handling ended: the opinion issued, else the closure for a case closed without one on record."""
    return db.func.coalesce(Petition.opinion_on, Petition.closed_on)


def _accepted():
    return Petition.accepted_on.is_not(None)


def _from_above():
    return Petition.assigned_from != ""


def _closed():
    return and_(_accepted(), Petition.closed_on.is_not(None))


def _visits():
    return Petition.channel.in_(VISIT_CHANNELS)


CONDITIONS = {
    "total": lambda today: None,
    "visits": lambda today: _visits(),
    "collective": lambda today: and_(_visits(), Petition.is_collective.is_(True)),
    "letters": lambda today: Petition.channel == Channel.letter,
    "letters_from_above": lambda today: and_(Petition.channel == Channel.letter, _from_above()),
    "online": lambda today: Petition.channel.in_(ONLINE_CHANNELS),
    "phone": lambda today: Petition.channel == Channel.phone,
    "accepted": lambda today: _accepted(),
    "closed": lambda today: _closed(),
    "acceptance_due": lambda today: or_(Petition.decided_on.is_not(None), and_(
        Petition.status == CaseStatus.registered, Petition.acceptance_due_on < today)),
    "acceptance_on_time": lambda today: Petition.decided_on <= Petition.acceptance_due_on,
    "handling_due": lambda today: and_(_accepted(), or_(_handled_on().is_not(None),
                                                        Petition.handling_due_on < today)),
    "handling_on_time": lambda today: and_(_accepted(), _handled_on() <= Petition.handling_due_on),
    "from_above": lambda today: _from_above(),
    "from_above_accepted": lambda today: and_(_from_above(), _accepted()),
    "from_above_closed": lambda today: and_(_from_above(), _closed()),
    "disputes": lambda today: and_(_accepted(), Petition.purpose.in_(DISPUTE_PURPOSES)),
    "mediated": lambda today: and_(_accepted(), Petition.purpose.in_(DISPUTE_PURPOSES),
                                   Petition.resolution == Resolution.mediation),
    "evaluated": lambda today: and_(_closed(), Petition.satisfaction.is_not(None),
                                    Petition.satisfaction != Satisfaction.not_evaluated),
    "satisfied": lambda today: and_(_closed(), Petition.satisfaction.in_(SATISFIED)),
    "repeat": lambda today: Petition.is_repeat.is_(True),
    "packages": lambda today: Petition.leader_id.is_not(None),
    "packages_resolved": lambda today: and_(Petition.leader_id.is_not(None), Petition.status.in_(RESOLVED)),
}

COUNT_LABELS = {
    "total": _l("Items (letters and visits)"),
    "visits": _l("Visits (batches)"),
    "visit_persons": _l("Visits (persons)"),
    "collective": _l("Collective visits (batches)"),
    "collective_persons": _l("Collective visits (persons)"),
    "letters": _l("Letters"),
    "letters_from_above": _l("of which forwarded from above"),
    "online": _l("Online items"),
    "phone": _l("Phone items"),
    "accepted": _l("Accepted as cases"),
    "closed": _l("Closed"),
    "acceptance_due": _l("Due for acceptance"),
    "acceptance_on_time": _l("Accepted or decided on time"),
    "handling_due": _l("Due for handling"),
    "handling_on_time": _l("Handled on time"),
    "from_above": _l("Items assigned from above"),
    "from_above_accepted": _l("Assigned from above and accepted"),
    "from_above_closed": _l("Assigned from above and closed"),
    "disputes": _l("Disputes taken up"),
    "mediated": _l("Disputes settled by mediation"),
    "evaluated": _l("Closed and evaluated"),
    "satisfied": _l("Satisfied or basically satisfied"),
    "repeat": _l("Repeat items"),
    "packages": _l("Package cases"),
    "packages_resolved": _l("Package cases resolved"),
}
# Sums of persons: (key, the count whose items they are). Their link is that count's list.
PERSON_SUMS = {"visit_persons": "visits", "collective_persons": "collective"}
COUNT_KEYS = tuple(COUNT_LABELS)
FIGURE_KEYS = frozenset(CONDITIONS) | frozenset(PERSON_SUMS)  # what the case list's ?figure= accepts


@dataclass(frozen=True)
class Rate:
    key: str
    label: str
    part: str
    whole: str


RATES = {rate_.key: rate_ for rate_ in (
    Rate("acceptance_rate", _l("Acceptance rate"), "accepted", "total"),
    Rate("closure_rate", _l("Closure rate"), "closed", "accepted"),
    Rate("on_time_acceptance", _l("On-time acceptance rate"), "acceptance_on_time", "acceptance_due"),
    Rate("on_time_handling", _l("On-time handling rate"), "handling_on_time", "handling_due"),
    Rate("from_above_closure", _l("Closure rate of items assigned from above"), "from_above_closed",
         "from_above_accepted"),
    Rate("mediation_rate", _l("Mediation rate"), "mediated", "disputes"),
    Rate("participation_rate", _l("Participation rate"), "evaluated", "closed"),
    Rate("satisfaction_rate", _l("Satisfaction rate"), "satisfied", "evaluated"),
    Rate("repeat_rate", _l("Repeat rate"), "repeat", "total"),
    Rate("package_resolution", _l("Package case resolution rate"), "packages_resolved", "packages"),
)}


def figure_condition(key: str, today: date):
    """The SQL condition of a count (a persons sum: its items' count); None for every item. KeyError if unknown."""
    return CONDITIONS[PERSON_SUMS.get(key, key)](today)


def _aggregate(key: str, today: date):
    condition = figure_condition(key, today)
    if key in PERSON_SUMS:
        return db.func.coalesce(db.func.sum(Petition.persons).filter(condition), 0)
    return db.func.count() if condition is None else db.func.count().filter(condition)


# --- periods ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """A range of days, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def last_year(self) -> Period:
        """The same days a year earlier. A month's last day stays its last day (February 2029 compares with the
        whole of February 2028), so 29 February becomes the 28th."""
        return Period(_year_earlier(self.start), _year_earlier(self.end, keep_month_end=True))


def _year_earlier(day: date, keep_month_end: bool = False) -> date:
    last_day = month_calendar.monthrange(day.year - 1, day.month)[1]
    if keep_month_end and day.day == month_calendar.monthrange(day.year, day.month)[1]:
        return date(day.year - 1, day.month, last_day)
    return date(day.year - 1, day.month, min(day.day, last_day))


PRESETS = {"month": _l("This month"), "quarter": _l("This quarter"), "year": _l("This year")}


def preset_period(name: str, today: date) -> Period:
    """This month, quarter or year, up to its last day (so last year's figure covers the whole same period)."""
    if name == "month":
        start = today.replace(day=1)
        return Period(start, start.replace(day=month_calendar.monthrange(today.year, today.month)[1]))
    if name == "quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        start = date(today.year, first_month, 1)
        last_month = first_month + 2
        return Period(start, date(today.year, last_month, month_calendar.monthrange(today.year, last_month)[1]))
    return Period(date(today.year, 1, 1), date(today.year, 12, 31))


def period_problem(start: date | None, end: date | None) -> str | None:
    """Why a custom range cannot be counted, or None."""
    if start is None or end is None:
        return _l("Give both dates of the range as YYYY-MM-DD.")
    if end < start:
        return _l("The range ends before it starts.")
    if start.year == date.min.year:  # the year 1 has no last year to compare with
        return _l("Year: give a year from %(first)d to %(last)d.", first=date.min.year + 1, last=date.max.year)
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        return _l("A range may span at most three years.")
    return None


# --- breakdowns ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Breakdown:
    key: str
    label: str
    list_arg: str  # the case list's filter for one group


BREAKDOWNS = {breakdown.key: breakdown for breakdown in (
    Breakdown("township", _l("Township"), "township"),
    Breakdown("unit", _l("Lead unit"), "unit"),
    Breakdown("category", _l("Category"), "category"),
    Breakdown("subcategory", _l("Subcategory"), "category"),
    Breakdown("channel", _l("Channel"), "channel"),
    Breakdown("purpose", _l("Purpose"), "purpose"),
    Breakdown("leader", _l("Responsible leader"), "leader"),
)}


def _group_column(by: str):
    if by == "category":  # the first level: a second-level category counts under its parent
        return db.func.coalesce(Category.parent_id, Petition.category_id)
    return {"township": Petition.township_id, "unit": Petition.lead_unit_id, "subcategory": Petition.category_id,
            "channel": Petition.channel, "purpose": Petition.purpose, "leader": Petition.leader_id}[by]


# --- counting -----------------------------------------------------------------------------------------------------

def count_figures(scope, period: Period, today: date, by: str | None = None) -> dict:
    """Every count of the period, in one query: {group: {key: n}}, the group None without a breakdown.

    `scope` is the caller's condition on petitions (blueprints/cases/access.visible_petitions). A group without
    any item is absent; with a breakdown, items without a value (no township, no leader…) form the group None."""
    columns = [_aggregate(key, today).label(key) for key in COUNT_KEYS]
    query = db.select(*columns).where(Petition.received_on.between(period.start, period.end), scope)
    if by is not None:
        group = _group_column(by).label("group")
        query = query.add_columns(group).group_by(group)
        if by == "category":
            query = query.outerjoin(Category, Category.id == Petition.category_id)
    rows = db.session.execute(query).all()
    found = {}
    for row in rows:
        counts = {key: int(getattr(row, key)) for key in COUNT_KEYS}
        if by is None or counts["total"]:
            found[row.group if by is not None else None] = counts
    return found


def period_counts(scope, period: Period, today: date) -> dict[str, int]:
    """The counts of the whole period (all zero without any item)."""
    return count_figures(scope, period, today).get(None) or dict.fromkeys(COUNT_KEYS, 0)


def beside_last_year(scope, period: Period, today: date, by: str | None = None) -> tuple[dict, dict, dict]:
    """(count_figures of the period, the period's counts, the counts of the same period last year). Every item is
    in exactly one group (None included), so the groups add up to the period's counts. Counted at the same time: last
    year's on a connection of its own. Each is one pass over the index (a year at 1,000,000 cases is 0.23 s of
    SQLite's work, bench/stats.py), so with two cores the answer takes one pass's time instead of two; PostgreSQL
    already spreads each pass over parallel workers, so there it changes little."""
    app = current_app._get_current_object()

    def last_year():
        with app.app_context():  # its own session and connection, removed when the context ends
            return period_counts(scope, period.last_year(), today)

    with ThreadPoolExecutor(max_workers=1) as pool:
        before = pool.submit(last_year)
        groups = count_figures(scope, period, today, by)
        now = {key: sum(counts[key] for counts in groups.values()) for key in COUNT_KEYS}
        return groups, now, before.result()


def rates_of(counts: dict[str, int]) -> dict[str, float | None]:
    """Every rate in %, None where its whole is zero (shown as —)."""
    return {key: rate(counts[item.part], counts[item.whole]) for key, item in RATES.items()}


def monthly_counts(scope, first: date, months: int, today: date, keys=("total", "accepted", "closed")):
    """[(first day of the month, {key: n})] for `months` months from the month of `first`, zero where nothing."""
    start = first.replace(day=1)
    year, month = start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1
    end = date(year, month, 1) - timedelta(days=1)
    year_of, month_of = extract("year", Petition.received_on), extract("month", Petition.received_on)
    rows = db.session.execute(
        db.select(year_of.label("year"), month_of.label("month"),
                  *[_aggregate(key, today).label(key) for key in keys])
        .where(Petition.received_on.between(start, end), scope)
        .group_by(year_of, month_of)
    ).all()
    found = {(int(row.year), int(row.month)): {key: int(getattr(row, key)) for key in keys} for row in rows}
    series = []
    for offset in range(months):
        year, month = start.year + (start.month - 1 + offset) // 12, (start.month - 1 + offset) % 12 + 1
        series.append((date(year, month, 1), found.get((year, month), dict.fromkeys(keys, 0))))
    return series


# --- year on year and display ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """This period against the same period last year: the difference and the relative change in %."""

    delta: float
    percent: float | None  # None when last year had nothing to compare with


def year_on_year(now: float | None, before: float | None) -> Change | None:
    """(now − before) and (now − before) ÷ before in %; None when either side is missing (a rate of nothing)."""
    if now is None or before is None:
        return None
    return Change(now - before, rate(now - before, before) if before else None)


MINUS = "\u2212"


def format_count(value: float | None) -> str:
    return "—" if value is None else f"{int(value):,}"


def format_rate(value: float | None) -> str:
    """A percentage with one decimal place (25.0%), — when there was nothing to count."""
    return "—" if value is None else f"{value:.1f}%"


def _signed(value: float, decimals: int) -> str:
    text = f"{abs(value):,.{decimals}f}"
    if round(value, decimals) == 0:
        return f"±{text}"
    return f"+{text}" if value > 0 else f"{MINUS}{text}"


def format_change(change: Change | None, is_rate: bool = False) -> str:
    """±N and ±N.N % (a rate's difference is in percentage points, with one decimal); — without a comparison."""
    if change is None:
        return "—"
    delta = _signed(change.delta, 1 if is_rate else 0) + (" pt" if is_rate else "")
    percent = "—" if change.percent is None else _signed(change.percent, 1) + "%"
    return f"{delta} / {percent}"


def one_decimal(value: float | None) -> float | None:
    """A rate as the API gives it: a number with one decimal, null when there was nothing to count."""
    return None if value is None else round(value, 1)


# --- the dashboard's lines -------------------------------------------------------------------------------------

# The order of the dashboard, the report and the API: each count, with the rate it leads to after it.
FIGURE_ORDER = (
    "total", "visits", "visit_persons", "collective", "collective_persons", "letters", "letters_from_above",
    "online", "phone", "accepted", "acceptance_rate", "closed", "closure_rate", "acceptance_due",
    "acceptance_on_time", "on_time_acceptance", "handling_due", "handling_on_time", "on_time_handling",
    "from_above", "from_above_accepted", "from_above_closed", "from_above_closure", "disputes", "mediated",
    "mediation_rate", "evaluated", "participation_rate", "satisfied", "satisfaction_rate", "repeat", "repeat_rate",
    "packages", "packages_resolved", "package_resolution",
)
assert set(FIGURE_ORDER) == set(COUNT_KEYS) | set(RATES)


@dataclass(frozen=True)
class Line:
    """One figure of a period beside the same period last year. `link` is the count whose cases it lists (a
    rate: its part; `whole` its whole)."""

    key: str
    label: str
    is_rate: bool
    value: float | None
    last_year: float | None
    change: Change | None
    link: str
    whole: str | None = None


def figure_value(key: str, counts: dict[str, int]) -> float | None:
    if key in RATES:
        return rate(counts[RATES[key].part], counts[RATES[key].whole])
    return counts[key]


def compared_lines(now: dict[str, int], before: dict[str, int]) -> list[Line]:
    """Every figure in FIGURE_ORDER with its value, last year's and the change."""
    lines = []
    for key in FIGURE_ORDER:
        value, last_year = figure_value(key, now), figure_value(key, before)
        if key in RATES:
            item = RATES[key]
            lines.append(Line(key, item.label, True, value, last_year, year_on_year(value, last_year), item.part,
                              item.whole))
        else:
            lines.append(Line(key, COUNT_LABELS[key], False, value, last_year, year_on_year(value, last_year),
                              PERSON_SUMS.get(key, key)))
    return lines

"""The official working-day calendar and the counting of deadlines on it (DOMAIN §3, §5)."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import chinese_calendar

RULE_CALENDAR_DAYS = "calendar_days"
RULE_WORKING_DAYS = "working_days"

SOURCE_OVERRIDE = "override"
SOURCE_PACKAGE = "package"
SOURCE_WEEKEND = "weekend"

# Longer than any real holiday by far: a run this long means the override table is broken,
# and failing beats looping until date.max.
MAX_REST_RUN = 366

ONE_DAY = timedelta(days=1)


@cache
def package_knows_year(year: int) -> bool:
    """Whether chinese_calendar has the State Council's notice for this year."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@dataclass(frozen=True)
class DayStatus:
    """Whether one day is worked, and which calendar said so."""

    day: date
    is_working: bool
    source: str
    provisional: bool
    holiday_name: str | None  # on a make-up workday, the holiday it pays for

    @property
    def is_weekend(self) -> bool:
        """Saturday or Sunday."""
        return self.day.weekday() >= 5

    @property
    def is_makeup_workday(self) -> bool:
        """A Saturday or Sunday worked in exchange for a holiday (调休上班)."""
        return self.is_weekend and self.is_working

    @property
    def is_holiday(self) -> bool:
        """A Monday to Friday that is a rest day."""
        return not self.is_weekend and not self.is_working


@dataclass(frozen=True)
class Calendar:
    """The package's calendar, corrected and extended by the admin's calendar table."""

    overrides: Mapping[date, bool] = field(default_factory=dict)
    confirmed_years: frozenset[int] = frozenset()

    def knows_year(self, year: int) -> bool:
        """Whether the year's holidays are published, by the package or by an admin."""
        return year in self.confirmed_years or package_knows_year(year)

    def status(self, day: date) -> DayStatus:
        """How the calendar classifies one day."""
        provisional = not self.knows_year(day.year)
        if day in self.overrides:
            return DayStatus(day, self.overrides[day], SOURCE_OVERRIDE, provisional, None)
        if package_knows_year(day.year):
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            return DayStatus(day, not on_holiday, SOURCE_PACKAGE, provisional, name)
        return DayStatus(day, day.weekday() < 5, SOURCE_WEEKEND, provisional, None)

    def is_working_day(self, day: date) -> bool:
        """Whether the office works on this day."""
        return self.status(day).is_working

    def year(self, year: int) -> list[DayStatus]:
        """The status of every day of the year, in order."""
        day, statuses = date(year, 1, 1), []
        while day.year == year:
            statuses.append(self.status(day))
            day += ONE_DAY
        return statuses

    def working_days_in_year(self, year: int) -> int:
        """How many working days the year has."""
        return sum(status.is_working for status in self.year(year))


@dataclass(frozen=True)
class DueDate:
    """A deadline together with everything needed to explain how it was counted."""

    rule: str
    start: date
    length: int
    due: date
    skipped: tuple[date, ...]
    sources: frozenset[str]
    provisional_years: tuple[int, ...]

    @property
    def provisional(self) -> bool:
        """Whether some day counted lies in a year nobody has published yet."""
        return bool(self.provisional_years)

    @property
    def nominal_due(self) -> date:
        """The due date before rolling forward off a rest day."""
        if self.rule == RULE_CALENDAR_DAYS:
            return self.start + timedelta(days=self.length)
        return self.due

    def days_left(self, today: date) -> int:
        """Calendar days from today to the due date; negative once overdue."""
        return (self.due - today).days


def _check_length(length: int) -> None:
    if length < 0:
        raise ValueError(f"a deadline length cannot be negative, got {length}")


def _days_after(calendar: Calendar, day: date) -> Iterator[DayStatus]:
    """The status of each day after `day`, stopping an endless run of rest days."""
    rest_run = 0
    while True:
        day += ONE_DAY
        status = calendar.status(day)
        rest_run = 0 if status.is_working else rest_run + 1
        if rest_run >= MAX_REST_RUN:
            raise ValueError(f"no working day in the {MAX_REST_RUN} days up to {day}")
        yield status


def _explained(rule: str, start: date, length: int, examined: list[DayStatus]) -> DueDate:
    """The due date is the last day examined; with nothing examined it is the start itself."""
    return DueDate(
        rule=rule,
        start=start,
        length=length,
        due=examined[-1].day if examined else start,
        skipped=tuple(status.day for status in examined if not status.is_working),
        sources=frozenset(status.source for status in examined),
        provisional_years=tuple(sorted({s.day.year for s in examined if s.provisional})),
    )


def add_calendar_days(calendar: Calendar, start: date, length: int) -> DueDate:
    """Count calendar days from the day after start; a last day at rest rolls to a working day."""
    _check_length(length)
    examined = [calendar.status(start + timedelta(days=length))]
    if not examined[0].is_working:
        for status in _days_after(calendar, examined[0].day):
            examined.append(status)
            if status.is_working:
                break
    return _explained(RULE_CALENDAR_DAYS, start, length, examined)


def add_working_days(calendar: Calendar, start: date, length: int) -> DueDate:
    """Count working days (make-up workdays too); day 1 is the first working day after start."""
    _check_length(length)
    examined, counted = [], 0
    days = _days_after(calendar, start)
    while counted < length:
        examined.append(next(days))
        counted += examined[-1].is_working
    return _explained(RULE_WORKING_DAYS, start, length, examined)


_COUNTERS = {RULE_CALENDAR_DAYS: add_calendar_days, RULE_WORKING_DAYS: add_working_days}


def add_days(calendar: Calendar, start: date, length: int, rule: str) -> DueDate:
    """Count a deadline by the rule a clock's setting names."""
    if rule not in _COUNTERS:
        raise ValueError(f"unknown counting rule {rule!r}")
    return _COUNTERS[rule](calendar, start, length)


def is_working_day(calendar: Calendar, day: date) -> bool:
    """Whether the office works on this day."""
    return calendar.is_working_day(day)


WORKING_WORDS = frozenset({"workday", "working", "work", "班", "上班", "工作日"})
REST_WORDS = frozenset({"rest", "restday", "holiday", "休", "休息", "休息日", "节假日"})


@dataclass(frozen=True)
class CsvProblem:
    """One bad line of a calendar import: where, what it said, and why it is refused."""

    line: int
    text: str
    reason: str  # "format", "date", "kind", "year" or "duplicate"


def parse_calendar_csv(text: str, year: int) -> tuple[dict[date, bool], list[CsvProblem]]:
    """Read `date,kind` lines (optional header, blank lines and # comments allowed) for one year.

    Returns the days found and every problem; callers write nothing when problems is not empty.
    """
    days: dict[date, bool] = {}
    problems: list[CsvProblem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#") or line.replace(" ", "").lower() == "date,kind":
            continue
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) != 2:
            problems.append(CsvProblem(number, line, "format"))
            continue
        try:
            day = date.fromisoformat(cells[0])
        except ValueError:
            problems.append(CsvProblem(number, line, "date"))
            continue
        kind = cells[1].lower()
        if kind not in WORKING_WORDS and kind not in REST_WORDS:
            problems.append(CsvProblem(number, line, "kind"))
        elif day.year != year:
            problems.append(CsvProblem(number, line, "year"))
        elif day in days:
            problems.append(CsvProblem(number, line, "duplicate"))
        else:
            days[day] = kind in WORKING_WORDS
    return days, problems

"""Tests for the working-day calendar and deadline counting, against the real 2026 notice."""

from datetime import date, timedelta

import pytest

from workdays import (
    RULE_CALENDAR_DAYS,
    RULE_WORKING_DAYS,
    SOURCE_OVERRIDE,
    SOURCE_PACKAGE,
    SOURCE_WEEKEND,
    Calendar,
    add_calendar_days,
    add_days,
    add_working_days,
    is_working_day,
    package_knows_year,
)

PACKAGE = Calendar()
# A pretend 2027 notice: New Year's Day moved to a rest day, paid back on Saturday 01-02.
NOTICE_2027 = Calendar(
    overrides={date(2027, 1, 1): False, date(2027, 1, 2): True},
    confirmed_years=frozenset({2027}),
)


def d(text):
    return date.fromisoformat(text)


def days(first, last):
    """Every date from first to last inclusive, as a tuple."""
    start, end = d(first), d(last)
    return tuple(start + timedelta(days=n) for n in range((end - start).days + 1))


@pytest.mark.parametrize(
    "year, known", [(2003, False), (2004, True), (2025, True), (2026, True), (2027, False)]
)
def test_package_knows_year(year, known):
    assert package_knows_year(year) is known


@pytest.mark.parametrize(
    "day, holiday_name",
    [
        ("2026-01-04", "New Year's Day"),
        ("2026-02-14", "Spring Festival"),
        ("2026-02-28", "Spring Festival"),
        ("2026-05-09", "Labour Day"),
        ("2026-09-20", "National Day"),
        ("2026-10-10", "National Day"),
    ],
)
def test_2026_makeup_workdays(day, holiday_name):
    status = PACKAGE.status(d(day))
    assert status.is_working and status.is_makeup_workday and status.is_weekend
    assert not status.is_holiday and not status.provisional
    assert status.source == SOURCE_PACKAGE
    assert status.holiday_name == holiday_name


def test_2026_has_exactly_the_six_makeup_workdays():
    makeup = [status.day for status in PACKAGE.year(2026) if status.is_makeup_workday]
    assert makeup == [d(day) for day in (
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"
    )]


@pytest.mark.parametrize(
    "holiday_name, first, last",
    [
        ("New Year's Day", "2026-01-01", "2026-01-03"),
        ("Spring Festival", "2026-02-15", "2026-02-23"),
        ("Tomb-sweeping Day", "2026-04-04", "2026-04-06"),
        ("Labour Day", "2026-05-01", "2026-05-05"),
        ("Dragon Boat Festival", "2026-06-19", "2026-06-21"),
        ("Mid-autumn Festival", "2026-09-25", "2026-09-27"),
        ("National Day", "2026-10-01", "2026-10-07"),
    ],
)
def test_2026_holidays_are_rest_days(holiday_name, first, last):
    for day in days(first, last):
        status = PACKAGE.status(day)
        assert not status.is_working, day
        assert status.is_holiday is not status.is_weekend
        assert (status.source, status.holiday_name) == (SOURCE_PACKAGE, holiday_name)
        assert not is_working_day(PACKAGE, day)


@pytest.mark.parametrize(
    "day, is_working, is_holiday",
    [
        ("2026-01-05", True, False),   # the Monday after New Year
        ("2026-02-24", True, False),   # first day back after Spring Festival
        ("2026-03-07", False, False),  # an ordinary Saturday
        ("2026-06-19", False, True),   # Dragon Boat Festival, a Friday
        ("2026-10-08", True, False),   # the Thursday after National Day
    ],
)
def test_2026_ordinary_and_boundary_days(day, is_working, is_holiday):
    status = PACKAGE.status(d(day))
    assert (status.is_working, status.is_holiday) == (is_working, is_holiday)
    assert status.is_working is is_working_day(PACKAGE, d(day))


@pytest.mark.parametrize(
    "calendar, year, working_days, length",
    [
        (PACKAGE, 2026, 248, 365),
        (PACKAGE, 2027, 261, 365),      # weekends only: 52 weeks and one Friday
        (NOTICE_2027, 2027, 261, 365),  # one rest day traded for one Saturday
        (PACKAGE, 2028, 260, 366),      # a leap year that starts on a Saturday
    ],
)
def test_working_days_in_year(calendar, year, working_days, length):
    statuses = calendar.year(year)
    assert len(statuses) == length
    assert [status.day for status in statuses] == sorted(status.day for status in statuses)
    assert calendar.working_days_in_year(year) == working_days


# start, length, nominal due, due, skipped
CALENDAR_DAY_CASES = [
    # 15-day acceptance clock ending in Spring Festival
    ("2026-02-01", 15, "2026-02-16", "2026-02-24", days("2026-02-16", "2026-02-23")),
    # 60-day handling clock ending in National Day
    ("2026-08-04", 60, "2026-10-03", "2026-10-08", days("2026-10-03", "2026-10-07")),
    # ending on New Year's Day rolls onto the make-up Sunday
    ("2025-12-17", 15, "2026-01-01", "2026-01-04", days("2026-01-01", "2026-01-03")),
    # 60 days ending in Tomb-sweeping Day
    ("2026-02-03", 60, "2026-04-04", "2026-04-07", days("2026-04-04", "2026-04-06")),
    # landing on a make-up Saturday does not roll
    ("2026-09-25", 15, "2026-10-10", "2026-10-10", ()),
    ("2025-12-30", 60, "2026-02-28", "2026-02-28", ()),
    # an ordinary weekend rolls to Monday
    ("2026-03-06", 15, "2026-03-21", "2026-03-23", days("2026-03-21", "2026-03-22")),
    # an ordinary working day stays put
    ("2026-03-02", 15, "2026-03-17", "2026-03-17", ()),
    # length 0 is the start itself, rolled off a holiday
    ("2026-10-01", 0, "2026-10-01", "2026-10-08", days("2026-10-01", "2026-10-07")),
    ("2026-03-02", 0, "2026-03-02", "2026-03-02", ()),
]


@pytest.mark.parametrize("start, length, nominal_due, due, skipped", CALENDAR_DAY_CASES)
def test_add_calendar_days(start, length, nominal_due, due, skipped):
    result = add_calendar_days(PACKAGE, d(start), length)
    assert (result.rule, result.start, result.length) == (RULE_CALENDAR_DAYS, d(start), length)
    assert result.nominal_due == d(nominal_due)
    assert result.due == d(due)
    assert result.skipped == skipped
    assert result.sources == {SOURCE_PACKAGE}
    assert not result.provisional and result.provisional_years == ()


# start, length, due, skipped
WORKING_DAY_CASES = [
    # across Spring Festival, the make-up Saturday 02-14 counted
    ("2026-02-12", 5, "2026-02-26", days("2026-02-15", "2026-02-23")),
    # across National Day, the make-up Saturday 10-10 counted
    ("2026-09-30", 5, "2026-10-13", days("2026-10-01", "2026-10-07") + (d("2026-10-11"),)),
    # across Labour Day, the make-up Saturday 05-09 counted
    ("2026-04-30", 5, "2026-05-11", days("2026-05-01", "2026-05-05") + (d("2026-05-10"),)),
    # across a plain weekend
    ("2026-03-05", 5, "2026-03-12", days("2026-03-07", "2026-03-08")),
    # starting on a Saturday: day 1 is Monday
    ("2026-03-07", 1, "2026-03-09", (d("2026-03-08"),)),
    # length 0 is the start, even on a holiday
    ("2026-10-01", 0, "2026-10-01", ()),
]


@pytest.mark.parametrize("start, length, due, skipped", WORKING_DAY_CASES)
def test_add_working_days(start, length, due, skipped):
    result = add_working_days(PACKAGE, d(start), length)
    assert (result.rule, result.start, result.length) == (RULE_WORKING_DAYS, d(start), length)
    assert result.due == result.nominal_due == d(due)
    assert result.skipped == skipped
    assert result.sources <= {SOURCE_PACKAGE}
    assert result.provisional_years == ()


@pytest.mark.parametrize(
    "rule, counter",
    [(RULE_CALENDAR_DAYS, add_calendar_days), (RULE_WORKING_DAYS, add_working_days)],
)
def test_add_days_dispatches_on_rule(rule, counter):
    assert add_days(PACKAGE, d("2026-09-30"), 5, rule) == counter(PACKAGE, d("2026-09-30"), 5)


# calendar, rule, start, length, due, skipped, sources, provisional years
UNPUBLISHED_YEAR_CASES = [
    # 2027 unknown: weekends only, provisional
    (PACKAGE, RULE_CALENDAR_DAYS, "2027-03-01", 15, "2027-03-16", (), {SOURCE_WEEKEND}, (2027,)),
    (PACKAGE, RULE_CALENDAR_DAYS, "2027-03-05", 15, "2027-03-22",
     days("2027-03-20", "2027-03-21"), {SOURCE_WEEKEND}, (2027,)),
    (PACKAGE, RULE_WORKING_DAYS, "2027-03-05", 5, "2027-03-12",
     days("2027-03-06", "2027-03-07"), {SOURCE_WEEKEND}, (2027,)),
    # started in December 2026, ending in January 2027
    (PACKAGE, RULE_CALENDAR_DAYS, "2026-12-17", 15, "2027-01-01", (), {SOURCE_WEEKEND}, (2027,)),
    (PACKAGE, RULE_WORKING_DAYS, "2026-12-30", 2, "2027-01-01",
     (), {SOURCE_PACKAGE, SOURCE_WEEKEND}, (2027,)),
    (PACKAGE, RULE_WORKING_DAYS, "2026-12-30", 5, "2027-01-06",
     days("2027-01-02", "2027-01-03"), {SOURCE_PACKAGE, SOURCE_WEEKEND}, (2027,)),
    # the same clocks once the 2027 notice is loaded: exact
    (NOTICE_2027, RULE_CALENDAR_DAYS, "2027-03-01", 15, "2027-03-16", (), {SOURCE_WEEKEND}, ()),
    (NOTICE_2027, RULE_CALENDAR_DAYS, "2026-12-17", 15, "2027-01-02",
     (d("2027-01-01"),), {SOURCE_OVERRIDE}, ()),
    (NOTICE_2027, RULE_WORKING_DAYS, "2026-12-30", 2, "2027-01-02",
     (d("2027-01-01"),), {SOURCE_PACKAGE, SOURCE_OVERRIDE}, ()),
    (NOTICE_2027, RULE_WORKING_DAYS, "2026-12-30", 5, "2027-01-06",
     (d("2027-01-01"), d("2027-01-03")), {SOURCE_PACKAGE, SOURCE_OVERRIDE, SOURCE_WEEKEND}, ()),
]


@pytest.mark.parametrize(
    "calendar, rule, start, length, due, skipped, sources, provisional_years",
    UNPUBLISHED_YEAR_CASES,
)
def test_unpublished_year(calendar, rule, start, length, due, skipped, sources, provisional_years):
    result = add_days(calendar, d(start), length, rule)
    assert result.due == d(due)
    assert result.skipped == skipped
    assert result.sources == sources
    assert result.provisional_years == provisional_years
    assert result.provisional is bool(provisional_years)


@pytest.mark.parametrize(
    "calendar, day, is_working, source, provisional",
    [
        (PACKAGE, "2027-01-01", True, SOURCE_WEEKEND, True),
        (PACKAGE, "2027-01-02", False, SOURCE_WEEKEND, True),
        (NOTICE_2027, "2027-01-01", False, SOURCE_OVERRIDE, False),
        (NOTICE_2027, "2027-01-02", True, SOURCE_OVERRIDE, False),
        (NOTICE_2027, "2027-01-04", True, SOURCE_WEEKEND, False),
        (NOTICE_2027, "2027-01-09", False, SOURCE_WEEKEND, False),
        # an admin's single entry does not publish the whole year
        (Calendar(overrides={d("2027-01-01"): False}), "2027-01-01", False, SOURCE_OVERRIDE, True),
        (NOTICE_2027, "2028-01-03", True, SOURCE_WEEKEND, True),
    ],
)
def test_status_in_unpublished_years(calendar, day, is_working, source, provisional):
    status = calendar.status(d(day))
    assert (status.is_working, status.source, status.provisional) == (
        is_working, source, provisional
    )
    assert status.holiday_name is None
    assert calendar.knows_year(d(day).year) is not provisional


OVERRIDES_2026 = Calendar(
    overrides={d("2026-10-07"): True, d("2026-10-08"): True, d("2026-03-02"): False}
)


@pytest.mark.parametrize(
    "day, is_working",
    [
        ("2026-10-07", True),   # a National Day holiday, worked after all
        ("2026-10-08", True),   # already a working day: the entry still wins
        ("2026-03-02", False),  # an ordinary Monday made a rest day
    ],
)
def test_overrides_win_over_the_package(day, is_working):
    status = OVERRIDES_2026.status(d(day))
    assert (status.is_working, status.source) == (is_working, SOURCE_OVERRIDE)
    assert not status.provisional and status.holiday_name is None


@pytest.mark.parametrize(
    "rule, start, length, due, skipped, sources",
    [
        (RULE_CALENDAR_DAYS, "2026-02-15", 15, "2026-03-03", (d("2026-03-02"),),
         {SOURCE_OVERRIDE, SOURCE_PACKAGE}),
        (RULE_WORKING_DAYS, "2026-02-27", 2, "2026-03-03", (d("2026-03-01"), d("2026-03-02")),
         {SOURCE_OVERRIDE, SOURCE_PACKAGE}),
        (RULE_WORKING_DAYS, "2026-09-30", 1, "2026-10-07", days("2026-10-01", "2026-10-06"),
         {SOURCE_OVERRIDE, SOURCE_PACKAGE}),
        (RULE_CALENDAR_DAYS, "2026-09-22", 15, "2026-10-07", (), {SOURCE_OVERRIDE}),
    ],
)
def test_overrides_change_deadlines(rule, start, length, due, skipped, sources):
    result = add_days(OVERRIDES_2026, d(start), length, rule)
    assert (result.due, result.skipped, result.sources) == (d(due), skipped, sources)
    assert not result.provisional


ALL_REST = Calendar(
    overrides={day: False for day in days("2027-01-01", "2028-12-31")},
    confirmed_years=frozenset({2027, 2028}),
)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_calendar_days(PACKAGE, d("2026-03-02"), -1),
        lambda: add_working_days(PACKAGE, d("2026-03-02"), -1),
        lambda: add_days(PACKAGE, d("2026-03-02"), -1, RULE_CALENDAR_DAYS),
        lambda: add_days(PACKAGE, d("2026-03-02"), 5, "natural_days"),
        lambda: add_calendar_days(ALL_REST, d("2026-12-31"), 1),
        lambda: add_calendar_days(ALL_REST, d("2027-06-01"), 0),
        lambda: add_working_days(ALL_REST, d("2026-12-31"), 1),
    ],
    ids=[
        "negative calendar", "negative working", "negative add_days", "unknown rule",
        "all rest calendar", "all rest calendar length 0", "all rest working",
    ],
)
def test_invalid_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    "today, days_left",
    [("2026-02-01", 23), ("2026-02-20", 4), ("2026-02-24", 0), ("2026-02-27", -3)],
)
def test_days_left(today, days_left):
    result = add_calendar_days(PACKAGE, d("2026-02-01"), 15)  # due 2026-02-24
    assert result.days_left(d(today)) == days_left

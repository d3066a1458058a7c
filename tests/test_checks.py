"""The automated check rules as plain functions: rows and parameters in, findings out (no app, no database)."""
from datetime import date, time, timedelta

from blueprints.supervision.checks import (
    CHECKS,
    CaseClock,
    CaseProgress,
    ClosedCase,
    ItemDeadline,
    QuotaCount,
    RepeatGroup,
    SessionRow,
    closed_without_return_visit,
    due_soon_cases,
    overdue_cases,
    overdue_items,
    quota_shortfalls,
    repeat_matters,
    stale_cases,
    uncovered_working_days,
    unrecorded_sessions,
)
from models import CaseStatus, CheckKind, RectificationStatus, SessionStatus
from workdays import Calendar

TODAY = date(2026, 11, 16)  # a Monday


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def test_every_check_kind_has_exactly_one_rule():
    assert [check.kind for check in CHECKS] == list(CheckKind)


def test_overdue_cases_are_past_their_due_date_and_carry_unit_and_leader():
    rows = [CaseClock(1, days_ago(12), 7, 3), CaseClock(2, days_ago(1), None, None), CaseClock(3, TODAY, 7, 3),
            CaseClock(4, None, 7, 3)]
    found = overdue_cases(rows, TODAY)
    assert [f.petition_id for f in found] == [1, 2]
    first = found[0]
    assert (first.kind, first.subject, first.unit_id, first.leader_id) == (CheckKind.overdue_case, "petition:1", 7, 3)
    assert first.detail == "due 2026-11-04, 12 days overdue"
    assert found[1].detail == "due 2026-11-15, 1 day overdue"


def test_due_soon_counts_today_and_the_last_day_of_the_window_but_not_beyond():
    rows = [CaseClock(1, TODAY, 1, None), CaseClock(2, TODAY + timedelta(days=5), 1, None),
            CaseClock(3, TODAY + timedelta(days=6), 1, None), CaseClock(4, days_ago(1), 1, None)]
    assert [f.petition_id for f in due_soon_cases(rows, TODAY, 5)] == [1, 2]
    assert [f.petition_id for f in due_soon_cases(rows, TODAY, 6)] == [1, 2, 3]
    assert due_soon_cases(rows[:1], TODAY)[0].detail == "due 2026-11-16, 0 days left"


def test_quota_shortfall_is_per_leader_and_month_of_today():
    rows = [QuotaCount(5, 9, 2, 1, 0), QuotaCount(6, 9, 2, 2, 1), QuotaCount(7, 9, 1, 0, 0)]
    found = quota_shortfalls(rows, TODAY)
    assert [(f.leader_id, f.unit_id, f.subject) for f in found] == [(5, 9, "leader:5:2026-11"),
                                                                     (7, 9, "leader:7:2026-11")]
    assert found[0].detail == "2026-11: 1 of 2 reception days scheduled, 0 held"
    # Next month the same leader is a new finding (the subject names the month).
    assert quota_shortfalls(rows[:1], date(2026, 12, 1))[0].subject == "leader:5:2026-12"


def test_uncovered_days_follow_the_official_calendar_with_make_up_saturdays_and_holidays():
    calendar = Calendar()
    # February 2026: Spring Festival rest from 02-15 to 02-23, make-up working Saturdays 02-14 and 02-28.
    working = [day for day in (date(2026, 2, 1) + timedelta(days=n) for n in range(28)) if calendar.is_working_day(day)]
    assert date(2026, 2, 14) in working and date(2026, 2, 16) not in working
    covered = set(working) - {date(2026, 2, 14), date(2026, 2, 10)}
    found = uncovered_working_days(covered, date(2026, 2, 5), calendar)
    assert [f.day for f in found] == [date(2026, 2, 10), date(2026, 2, 14)]
    assert [f.subject for f in found] == ["day:2026-02-10", "day:2026-02-14"]
    assert found[1].detail == "2026-02-14, a make-up working day: no reception session published"
    assert found[0].detail == "2026-02-10, a working day: no reception session published"


def test_an_admins_holiday_override_is_not_an_uncovered_day_and_unknown_years_say_provisional():
    holiday = date(2026, 11, 18)
    covered = [day for day in (date(2026, 11, 1) + timedelta(days=n) for n in range(30)) if day != holiday]
    assert [f.day for f in uncovered_working_days(covered, TODAY, Calendar())] == [holiday]
    assert uncovered_working_days(covered, TODAY, Calendar(overrides={holiday: False})) == []
    found = uncovered_working_days([], date(2027, 3, 1), Calendar())
    assert len(found) == 23 and all(f.detail.endswith("(provisional calendar)") for f in found)


def test_unrecorded_sessions_only_after_their_day():
    row = SessionRow(4, days_ago(1), time(9), time(12), SessionStatus.published, False, 2, 8)
    found = unrecorded_sessions([row, row._replace(id=5, day=TODAY), row._replace(id=6, recorded=True),
                                 row._replace(id=7, status=SessionStatus.held)], TODAY)
    assert [(f.session_id, f.subject, f.day, f.unit_id, f.leader_id) for f in found] == [
        (4, "session:4", days_ago(1), 2, 8)]
    assert found[0].detail == "session of 2026-11-15 09:00–12:00 has no reception record"


def test_stale_cases_use_the_configured_number_of_days():
    row = CaseProgress(1, CaseStatus.in_progress, days_ago(40), TODAY + timedelta(days=20), days_ago(20), 3, 4)
    found = stale_cases([row], TODAY, 14)
    assert [(f.subject, f.unit_id, f.leader_id) for f in found] == [("petition:1", 3, 4)]
    assert found[0].detail == "no timeline entry since 2026-10-27 (20 days)"
    assert stale_cases([row], TODAY, 21) == []  # configurable
    assert stale_cases([row._replace(last_entry_on=days_ago(10))], TODAY, 14) == []
    # Accepted within the window: no entry is expected yet; the acceptance counts when nothing else is there.
    assert stale_cases([row._replace(accepted_on=days_ago(10), last_entry_on=None)], TODAY, 14) == []
    assert stale_cases([row._replace(last_entry_on=None)], TODAY, 14)[0].detail.startswith("no timeline entry since "
                                                                                           "2026-10-07")
    # Not being handled, or already overdue (reported as overdue instead): not stale.
    assert stale_cases([row._replace(status=CaseStatus.opinion_issued)], TODAY, 14) == []
    assert stale_cases([row._replace(due_on=days_ago(1))], TODAY, 14) == []


def test_closed_without_return_visit_in_the_look_back_period():
    row = ClosedCase(1, CaseStatus.closed, days_ago(10), None, 3, None)
    found = closed_without_return_visit([row, row._replace(id=2, return_visit_on=days_ago(12)),
                                         row._replace(id=3, closed_on=days_ago(91)),
                                         row._replace(id=4, status=CaseStatus.return_visited)], TODAY, 90)
    assert [(f.petition_id, f.unit_id) for f in found] == [(1, 3)]
    assert found[0].detail == "closed 2026-11-06 without a return visit"


def test_repeat_matter_links_the_latest_case_and_never_identifies_the_person():
    rows = [RepeatGroup(41, 2, "城乡建设", 3, 900, days_ago(5), 6, 7),
            RepeatGroup(41, 3, "民政", 1, 901, days_ago(5), 6, None),  # once only: not a repeat
            RepeatGroup(52, 2, "城乡建设", 2, 902, days_ago(120), 6, None)]  # latest before the window
    found = repeat_matters(rows, TODAY, 90)
    assert len(found) == 1
    finding = found[0]
    assert (finding.subject, finding.petition_id, finding.unit_id, finding.leader_id) == (
        "person:41:category:2", 900, 6, 7)
    assert finding.detail == ("城乡建设: raised 3 times, latest received 2026-11-11; the matter is not resolved yet")
    # Two rows of one person and matter: the latest case is the one linked.
    again = repeat_matters([rows[0], rows[0]._replace(petition_id=950, received_on=days_ago(1))], TODAY, 90)
    assert [f.petition_id for f in again] == [950]


def test_overdue_items_are_open_items_past_their_deadline():
    row = ItemDeadline(8, RectificationStatus.open, days_ago(3), 5, None)
    found = overdue_items([row, row._replace(id=9, status=RectificationStatus.closed),
                           row._replace(id=10, deadline=TODAY)], TODAY)
    assert [(f.item_id, f.subject, f.unit_id) for f in found] == [(8, "item:8", 5)]
    assert found[0].detail == "deadline 2026-11-13, 3 days overdue"

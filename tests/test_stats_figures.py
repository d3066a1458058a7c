"""The figures of DOMAIN §7 against ledgers counted on paper: every count and rate of a period, year on year, year
boundaries and leap days, empty ranges, breakdowns, monthly series, permissions, the case list behind each figure,
and an imported ledger workbook counted row by row."""
import re
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import Workbook, load_workbook

from blueprints.cases import ledger
from blueprints.cases.access import visible_petitions
from figures import (
    COUNT_KEYS,
    FIGURE_KEYS,
    FIGURE_ORDER,
    MAX_PERIOD_DAYS,
    PERSON_SUMS,
    RATES,
    Change,
    Period,
    compared_lines,
    count_figures,
    format_change,
    format_count,
    format_rate,
    monthly_counts,
    one_decimal,
    period_counts,
    period_problem,
    preset_period,
    rate,
    rates_of,
    year_on_year,
)
from models import (
    CaseStatus,
    Category,
    Channel,
    LeaderPost,
    Purpose,
    Resolution,
    Role,
    Satisfaction,
    UnitKind,
)
from tests.conftest import persist

MINUS = "\u2212"
LISTED = re.compile(r'<a href="/cases/(\d+)">')
# The dates the statistics read; make_petition would compute the due dates and decided_on unless given, so every
# ledger item below gives all of them (None where the case has none).
DATES = ("accepted_on", "decided_on", "acceptance_due_on", "handling_due_on", "opinion_on", "closed_on")


# --- references and ledgers ----------------------------------------------------------------------------------------

@pytest.fixture
def refs(app, make_unit, make_leader):
    """Two townships (and a third only items outside the period use), two lead units, a category tree, two leaders."""
    county = make_unit("示范县", kind=UnitKind.county)
    c1 = persist(app, Category(name="城乡建设"))
    return SimpleNamespace(
        T1=make_unit("东城镇"), T2=make_unit("西城镇"), T3=make_unit("北山乡"),
        U1=make_unit("县住建局", kind=UnitKind.department), U2=make_unit("县人社局", kind=UnitKind.department),
        C1=c1, C1a=persist(app, Category(name="房屋拆迁与补偿", parent_id=c1.id)),
        C2=persist(app, Category(name="劳动和社会保障")),
        L1=make_leader("陈某", unit=county), L2=make_leader("林某", unit=county))


def add_items(make_petition, items: dict) -> dict:
    """Create the items {name: columns}; returns {name: petition id}."""
    ids = {}
    for name, columns in items.items():
        columns = {**dict.fromkeys(DATES), **columns}
        ids[name] = make_petition(summary=f"事项{name}", **columns)
    return ids


def main_ledger(start: date, refs) -> dict:
    """Fourteen items received in the 31 days from `start` and two just outside.

    `day(n)` is the n-th day of the period. In the dated test the period is March 2025, so day(n) is 3月n日, day(32) is
    1 April and day(41) is 10 April, the day the figures are counted ("today"). Every figure below is worked out
    from this table in MEMBERS."""
    def day(n):
        return start + timedelta(days=n - 1)

    return {
        # A visit settled by mediation, closed, evaluated satisfied; leader L1's package case.
        "A": dict(received_on=day(3), channel=Channel.visit, persons=1, purpose=Purpose.claim, status=CaseStatus.closed,
                  accepted_on=day(5), decided_on=day(5), acceptance_due_on=day(18), handling_due_on=day(65),
                  opinion_on=day(32), closed_on=day(36), resolution=Resolution.mediation,
                  satisfaction=Satisfaction.satisfied, leader=refs.L1, township_id=refs.T1.id, lead_unit=refs.U1,
                  category_id=refs.C1a.id),
        # A collective visit of 7, accepted a day late (day 20 > due day 19), handling not yet due (day 80), repeat.
        "B": dict(received_on=day(4), channel=Channel.visit, persons=7, is_collective=True, purpose=Purpose.claim,
                  status=CaseStatus.in_progress, accepted_on=day(20), decided_on=day(20), acceptance_due_on=day(19),
                  handling_due_on=day(80), is_repeat=True, leader=refs.L1, township_id=refs.T1.id, lead_unit=refs.U1,
                  category_id=refs.C1.id),
        # A letter of 5 signatories forwarded from the city: not a collective *visit*; handling overdue (day 25).
        "C": dict(received_on=day(5), channel=Channel.letter, persons=5, is_collective=True, assigned_from="市信访局",
                  purpose=Purpose.appeal, status=CaseStatus.in_progress, accepted_on=day(7), decided_on=day(7),
                  acceptance_due_on=day(20), handling_due_on=day(25), township_id=refs.T2.id, lead_unit=refs.U2,
                  category_id=refs.C2.id),
        # A letter never decided, its acceptance clock run out on day 21: due, not on time.
        "D": dict(received_on=day(6), channel=Channel.letter, purpose=Purpose.suggestion,
                  status=CaseStatus.registered, acceptance_due_on=day(21)),
        # Online, refused on time (decided day 12, due day 25).
        "E": dict(received_on=day(10), channel=Channel.online, purpose=Purpose.other, status=CaseStatus.not_accepted,
                  decided_on=day(12), acceptance_due_on=day(25), township_id=refs.T2.id, category_id=refs.C1a.id),
        # The leaders' mailbox, undecided, acceptance due day 45 (after today): not yet due.
        "F": dict(received_on=day(28), channel=Channel.mailbox, purpose=Purpose.claim, status=CaseStatus.registered,
                  acceptance_due_on=day(45), township_id=refs.T1.id),
        # Phone, assigned by the province, undecided, due today (day 41): not yet due (due *before* today counts).
        "G": dict(received_on=day(26), channel=Channel.phone, purpose=Purpose.claim, status=CaseStatus.registered,
                  acceptance_due_on=day(41), assigned_from="省信访局", category_id=refs.C2.id),
        # Phone from the city, closed on day 31 without an opinion on record (handled = closed), settled by
        # reconciliation (not mediation), not evaluated.
        "H": dict(received_on=day(12), channel=Channel.phone, purpose=Purpose.claim, status=CaseStatus.closed,
                  accepted_on=day(13), decided_on=day(13), acceptance_due_on=day(27), handling_due_on=day(73),
                  closed_on=day(31), resolution=Resolution.settlement, satisfaction=Satisfaction.not_evaluated,
                  assigned_from="市信访局", township_id=refs.T2.id, lead_unit=refs.U2, category_id=refs.C1a.id),
        # Raised at a reception by 2, opinion two days late (day 34 > due day 32), mediated, dissatisfied.
        "I": dict(received_on=day(14), channel=Channel.reception, persons=2, purpose=Purpose.claim,
                  status=CaseStatus.closed, accepted_on=day(14), decided_on=day(14), acceptance_due_on=day(28),
                  handling_due_on=day(32), opinion_on=day(34), closed_on=day(39), resolution=Resolution.mediation,
                  satisfaction=Satisfaction.dissatisfied, township_id=refs.T1.id, lead_unit=refs.U1,
                  category_id=refs.C2.id),
        # Found on a visit down, in progress, handling due today (day 41): not yet due; leader L2.
        "J": dict(received_on=day(17), channel=Channel.visit_down, persons=1, purpose=Purpose.claim,
                  status=CaseStatus.in_progress, accepted_on=day(18), decided_on=day(18), acceptance_due_on=day(31),
                  handling_due_on=day(41), leader=refs.L2, township_id=refs.T1.id, lead_unit=refs.U2,
                  category_id=refs.C1.id),
        # A collective visit of 6 on the period's last day, mediated, closed, basically satisfied; leader L2.
        "K": dict(received_on=day(31), channel=Channel.visit, persons=6, is_collective=True, purpose=Purpose.claim,
                  status=CaseStatus.closed, accepted_on=day(31), decided_on=day(31), acceptance_due_on=day(46),
                  handling_due_on=day(91), opinion_on=day(33), closed_on=day(40), resolution=Resolution.mediation,
                  satisfaction=Satisfaction.basically, leader=refs.L2, township_id=refs.T2.id, lead_unit=refs.U1,
                  category_id=refs.C1a.id),
        # Forwarded from the city on the period's first day, sent on to the court side on day 3; a repeat.
        "L": dict(received_on=day(1), channel=Channel.forwarded, purpose=Purpose.litigation,
                  status=CaseStatus.forwarded, decided_on=day(3), acceptance_due_on=day(16), assigned_from="市信访局",
                  is_repeat=True),
        # A suggestion with its opinion out and a satisfied return visit, not yet closed: not evaluated as closed.
        "M": dict(received_on=day(20), channel=Channel.visit, persons=1, purpose=Purpose.suggestion,
                  status=CaseStatus.return_visited, accepted_on=day(21), decided_on=day(21),
                  acceptance_due_on=day(34), handling_due_on=day(81), opinion_on=day(32),
                  satisfaction=Satisfaction.satisfied, leader=refs.L1, township_id=refs.T1.id, lead_unit=refs.U1,
                  category_id=refs.C1.id),
        # An appeal through re-review (final), mediated: mediation counts only for claims (求决).
        "O": dict(received_on=day(2), channel=Channel.visit, persons=3, purpose=Purpose.appeal, status=CaseStatus.final,
                  accepted_on=day(2), decided_on=day(2), acceptance_due_on=day(16), handling_due_on=day(62),
                  opinion_on=day(20), closed_on=day(25), resolution=Resolution.mediation,
                  satisfaction=Satisfaction.satisfied, leader=refs.L1, township_id=refs.T2.id, lead_unit=refs.U2,
                  category_id=refs.C2.id),
        # Outside the period by one day on either side: they count in nothing.
        "X1": dict(received_on=day(0), channel=Channel.visit, persons=9, is_collective=True, purpose=Purpose.claim,
                   status=CaseStatus.closed, accepted_on=day(1), decided_on=day(1), acceptance_due_on=day(15),
                   handling_due_on=day(60), opinion_on=day(10), closed_on=day(11), resolution=Resolution.mediation,
                   satisfaction=Satisfaction.satisfied, is_repeat=True, assigned_from="市信访局", leader=refs.L1,
                   township_id=refs.T3.id, lead_unit=refs.U1, category_id=refs.C1.id),
        "X2": dict(received_on=day(32), channel=Channel.letter, purpose=Purpose.claim, status=CaseStatus.accepted,
                   accepted_on=day(33), decided_on=day(33), acceptance_due_on=day(47), handling_due_on=day(93),
                   assigned_from="市信访局", leader=refs.L2, township_id=refs.T3.id),
    }


# Which items each count takes, worked out from the table above with today = day 41.
MEMBERS = {
    "total": "ABCDEFGHIJKLMO",  # 14 items received in days 1–31 (X1 day 0 and X2 day 32 are outside)
    "visits": "ABIJKMO",  # visit A B K M O + reception I + visit down J = 7
    "collective": "BK",  # visits marked collective; C is a collective *letter* and does not count
    "letters": "CD",
    "letters_from_above": "C",  # D has no 交办来源
    "online": "EF",  # online E + leaders' mailbox F
    "phone": "GH",  # (L came by Channel.forwarded: in the total, in none of the channel counts: 7+2+2+2+1 = 14)
    "accepted": "ABCHIJKMO",  # accepted_on set: 9; D F G registered, E refused, L forwarded
    "closed": "AHIKO",  # accepted with closed_on: 5; M has its opinion and return visit but no closure
    # Decided (9 accepted + E refused + L forwarded = 11) or still registered and due before day 41: D (day 21);
    # F (due day 45) and G (due day 41, today) are not yet due: 12.
    "acceptance_due": "ABCDEHIJKLMO",
    # decided_on <= acceptance_due_on: all 11 decided but B (20 > 19); D undecided is late: 10.
    "acceptance_on_time": "ACEHIJKLMO",
    # Accepted and handled (opinion, else closure): A 32, H 31 (closed), I 34, K 33, M 32, O 20; or handling due
    # before day 41 and not handled: C (due 25). B (due 80) and J (due 41, today) are not yet due: 7.
    "handling_due": "ACHIKMO",
    # handled <= handling_due_on: A 32<=65, H 31<=73, K 33<=91, M 32<=81, O 20<=62; I 34>32 late, C not handled: 5.
    "handling_on_time": "AHKMO",
    "from_above": "CGHL",  # 交办来源 filled, whatever the channel
    "from_above_accepted": "CH",
    "from_above_closed": "H",
    "disputes": "ABHIJK",  # accepted claims (求决); F G are claims but not accepted; C O are appeals
    "mediated": "AIK",  # of those, resolution = mediation (H was reconciled; O is an appeal)
    "evaluated": "AIKO",  # closed with a satisfaction other than not evaluated (H); M is not closed
    "satisfied": "AKO",  # satisfied A O + basically K; I was dissatisfied
    "repeat": "BL",
    "packages": "ABJKMO",  # a responsible leader: L1 A B M O, L2 J K
    "packages_resolved": "AKO",  # status closed (A K) or final (O); B J in progress, M return visited
}
PERSONS = {"A": 1, "B": 7, "C": 5, "I": 2, "J": 1, "K": 6, "M": 1, "O": 3}  # the others: 1
EXPECTED = {key: len(items) for key, items in MEMBERS.items()}
EXPECTED["visit_persons"] = 1 + 7 + 2 + 1 + 6 + 1 + 3  # A B I J K M O = 21
EXPECTED["collective_persons"] = 7 + 6  # B K = 13
# The rates on paper (one decimal as shown):
EXPECTED_RATES = {
    "acceptance_rate": ("64.3%", 100 * 9 / 14),  # accepted 9 ÷ total 14
    "closure_rate": ("55.6%", 100 * 5 / 9),  # closed 5 ÷ accepted 9
    "on_time_acceptance": ("83.3%", 100 * 10 / 12),  # on time 10 ÷ due 12
    "on_time_handling": ("71.4%", 100 * 5 / 7),  # on time 5 ÷ due 7
    "from_above_closure": ("50.0%", 50.0),  # from above closed 1 ÷ from above accepted 2
    "mediation_rate": ("50.0%", 50.0),  # mediated 3 ÷ disputes 6 (调结率)
    "participation_rate": ("80.0%", 80.0),  # evaluated 4 ÷ closed 5 (参评率)
    "satisfaction_rate": ("75.0%", 75.0),  # satisfied 3 ÷ evaluated 4 (满意率)
    "repeat_rate": ("14.3%", 100 * 2 / 14),  # repeat 2 ÷ total 14
    "package_resolution": ("50.0%", 50.0),  # resolved 3 ÷ packages 6
}

MARCH = Period(date(2025, 3, 1), date(2025, 3, 31))
MARCH_TODAY = date(2025, 4, 10)  # day 41


def last_year_ledger(start: date, refs) -> dict:
    """Four items in the same period a year earlier (`day(n)` as in main_ledger, from last year's start)."""
    def day(n):
        return start + timedelta(days=n - 1)

    return {
        "Y1": dict(received_on=day(5), channel=Channel.visit, persons=2, purpose=Purpose.claim,
                   status=CaseStatus.closed, accepted_on=day(6), decided_on=day(6), acceptance_due_on=day(20),
                   handling_due_on=day(67), opinion_on=day(25), closed_on=day(30), resolution=Resolution.mediation,
                   leader=refs.L1),  # no return visit: closed, not evaluated
        "Y2": dict(received_on=day(10), channel=Channel.visit, persons=5, is_collective=True, purpose=Purpose.claim,
                   status=CaseStatus.in_progress, accepted_on=day(11), decided_on=day(11), acceptance_due_on=day(25),
                   handling_due_on=day(72), is_repeat=True),  # handling due long before today, never handled
        "Y3": dict(received_on=day(15), channel=Channel.letter, purpose=Purpose.suggestion,
                   status=CaseStatus.not_accepted, decided_on=day(18), acceptance_due_on=day(29)),
        "Y4": dict(received_on=day(31), channel=Channel.phone, purpose=Purpose.other, status=CaseStatus.registered,
                   acceptance_due_on=day(46)),  # never decided, overdue
    }


# Last year's counts on paper: total 4; visits Y1 Y2 (persons 2 + 5 = 7); collective Y2 (5); letters Y3; phone Y4;
# accepted Y1 Y2; closed Y1; acceptance due: Y1 Y2 Y3 decided + Y4 overdue = 4, on time Y1 Y2 Y3 = 3; handling due:
# Y1 handled + Y2 overdue = 2, on time Y1 = 1; disputes Y1 Y2, mediated Y1; evaluated 0; repeat Y2; packages Y1,
# resolved Y1. Nothing came from above.
LAST_YEAR = dict.fromkeys(COUNT_KEYS, 0) | {
    "total": 4, "visits": 2, "visit_persons": 7, "collective": 1, "collective_persons": 5, "letters": 1, "phone": 1,
    "accepted": 2, "closed": 1, "acceptance_due": 4, "acceptance_on_time": 3, "handling_due": 2,
    "handling_on_time": 1, "disputes": 2, "mediated": 1, "repeat": 1, "packages": 1, "packages_resolved": 1}

# Every line of the comparison: (value, last year, change) as shown. Counts: now − before and ÷ before; rates: the
# difference in points and the rate's relative change; — where last year had nothing to compare with.
COMPARED = {
    "total": ("14", "4", "+10 / +250.0%"),  # (14 − 4) ÷ 4 = 2.5
    "visits": ("7", "2", "+5 / +250.0%"),
    "visit_persons": ("21", "7", "+14 / +200.0%"),
    "collective": ("2", "1", "+1 / +100.0%"),
    "collective_persons": ("13", "5", "+8 / +160.0%"),
    "letters": ("2", "1", "+1 / +100.0%"),
    "letters_from_above": ("1", "0", "+1 / —"),  # nothing last year: no relative change
    "online": ("2", "0", "+2 / —"),
    "phone": ("2", "1", "+1 / +100.0%"),
    "accepted": ("9", "2", "+7 / +350.0%"),
    "acceptance_rate": ("64.3%", "50.0%", "+14.3 pt / +28.6%"),  # 64.29 − 50 = 14.29; 14.29 ÷ 50 = 28.57 %
    "closed": ("5", "1", "+4 / +400.0%"),
    "closure_rate": ("55.6%", "50.0%", "+5.6 pt / +11.1%"),  # 55.56 − 50 = 5.56; ÷ 50 = 11.1 %
    "acceptance_due": ("12", "4", "+8 / +200.0%"),
    "acceptance_on_time": ("10", "3", "+7 / +233.3%"),
    "on_time_acceptance": ("83.3%", "75.0%", "+8.3 pt / +11.1%"),  # 83.33 − 75 = 8.33; ÷ 75 = 11.1 %
    "handling_due": ("7", "2", "+5 / +250.0%"),
    "handling_on_time": ("5", "1", "+4 / +400.0%"),
    "on_time_handling": ("71.4%", "50.0%", "+21.4 pt / +42.9%"),  # 71.43 − 50 = 21.43; ÷ 50 = 42.9 %
    "from_above": ("4", "0", "+4 / —"),
    "from_above_accepted": ("2", "0", "+2 / —"),
    "from_above_closed": ("1", "0", "+1 / —"),
    "from_above_closure": ("50.0%", "—", "—"),  # 0 ÷ 0 last year: no rate, no change
    "disputes": ("6", "2", "+4 / +200.0%"),
    "mediated": ("3", "1", "+2 / +200.0%"),
    "mediation_rate": ("50.0%", "50.0%", "±0.0 pt / ±0.0%"),
    "evaluated": ("4", "0", "+4 / —"),
    "participation_rate": ("80.0%", "0.0%", "+80.0 pt / —"),  # 0 of 1 closed last year: 0.0 %, not —
    "satisfied": ("3", "0", "+3 / —"),
    "satisfaction_rate": ("75.0%", "—", "—"),  # nobody evaluated last year
    "repeat": ("2", "1", "+1 / +100.0%"),
    "repeat_rate": ("14.3%", "25.0%", f"{MINUS}10.7 pt / {MINUS}42.9%"),  # 14.29 − 25 = −10.71; ÷ 25 = −42.9 %
    "packages": ("6", "1", "+5 / +500.0%"),
    "packages_resolved": ("3", "1", "+2 / +200.0%"),
    "package_resolution": ("50.0%", "100.0%", f"{MINUS}50.0 pt / {MINUS}50.0%"),
}


def clerk_scope(make_user):
    return visible_petitions(make_user(Role.clerk))


def shown(value, is_rate):
    return format_rate(value) if is_rate else format_count(value)


# --- the pure functions ------------------------------------------------------------------------------------------

def test_the_domain_worked_example():
    # 520 items this year, 600 last year: down 80, −80 ÷ 600 = −13.3 %; 130 accepted: 25.0 %; 117 closed: 90.0 %.
    change = year_on_year(520, 600)
    assert change.delta == -80 and change.percent == pytest.approx(-13.333, abs=1e-3)
    assert format_change(change) == f"{MINUS}80 / {MINUS}13.3%"
    assert rate(130, 520) == 25.0 and format_rate(rate(130, 520)) == "25.0%"
    assert rate(117, 130) == 90.0 and format_rate(rate(117, 130)) == "90.0%"
    now = dict.fromkeys(COUNT_KEYS, 0) | {"total": 520, "accepted": 130, "closed": 117}
    before = dict.fromkeys(COUNT_KEYS, 0) | {"total": 600}
    lines = {line.key: line for line in compared_lines(now, before)}
    assert format_change(lines["total"].change, lines["total"].is_rate) == f"{MINUS}80 / {MINUS}13.3%"
    assert format_rate(lines["acceptance_rate"].value) == "25.0%"
    assert format_rate(lines["closure_rate"].value) == "90.0%" and lines["closure_rate"].last_year is None
    assert rates_of(now)["acceptance_rate"] == 25.0 and rates_of(now)["closure_rate"] == 90.0


def test_rates_and_changes_with_nothing_to_count_are_none_and_shown_as_a_dash():
    assert rate(0, 0) is None and rate(3, 0) is None and rate(0, 4) == 0.0
    assert format_rate(None) == "—" and format_count(None) == "—" and format_change(None) == "—"
    assert year_on_year(None, 50.0) is None and year_on_year(50.0, None) is None
    assert year_on_year(3, 0) == Change(3, None) and format_change(Change(3, None)) == "+3 / —"
    assert year_on_year(0, 0) == Change(0, None) and format_change(Change(0, None)) == "±0 / —"
    assert year_on_year(0, 4) == Change(-4, -100.0) and format_change(Change(-4, -100.0)) == f"{MINUS}4 / {MINUS}100.0%"
    assert one_decimal(None) is None and one_decimal(100 * 2 / 3) == 66.7


def test_changes_are_signed_counts_and_rates_in_points_with_one_decimal():
    assert format_change(Change(-1.3, -1.4), is_rate=True) == f"{MINUS}1.3 pt / {MINUS}1.4%"
    assert format_change(Change(1234, 12.345)) == "+1,234 / +12.3%"
    assert format_change(Change(0, 0.0)) == "±0 / ±0.0%"
    # A difference that rounds to nothing is neither up nor down.
    assert format_change(Change(0.04, 0.04), is_rate=True) == "±0.0 pt / ±0.0%"
    assert format_change(Change(-0.04, -0.04), is_rate=True) == "±0.0 pt / ±0.0%"
    assert format_count(1234567) == "1,234,567" and format_rate(100.0) == "100.0%" and format_rate(0.0) == "0.0%"
    assert format_rate(100 * 2 / 3) == "66.7%" and format_rate(100 / 3) == "33.3%"


def test_the_same_period_last_year_across_a_year_boundary_and_a_leap_day():
    assert Period(date(2025, 12, 1), date(2026, 1, 31)).last_year() == Period(date(2024, 12, 1), date(2025, 1, 31))
    assert Period(date(2025, 12, 1), date(2026, 1, 31)).days == 62
    assert Period(date(2028, 2, 29), date(2028, 2, 29)).last_year() == Period(date(2027, 2, 28), date(2027, 2, 28))
    assert Period(date(2028, 2, 1), date(2028, 2, 29)).last_year() == Period(date(2027, 2, 1), date(2027, 2, 28))
    assert Period(date(2028, 2, 29), date(2028, 3, 31)).last_year() == Period(date(2027, 2, 28), date(2027, 3, 31))
    assert Period(date(2029, 3, 1), date(2029, 3, 31)).last_year() == Period(date(2028, 3, 1), date(2028, 3, 31))


@pytest.mark.parametrize("name, today, start, end", [
    ("month", date(2026, 2, 15), date(2026, 2, 1), date(2026, 2, 28)),
    ("month", date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29)),
    ("month", date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
    ("quarter", date(2026, 1, 1), date(2026, 1, 1), date(2026, 3, 31)),
    ("quarter", date(2026, 5, 20), date(2026, 4, 1), date(2026, 6, 30)),
    ("quarter", date(2026, 9, 30), date(2026, 7, 1), date(2026, 9, 30)),
    ("quarter", date(2026, 12, 31), date(2026, 10, 1), date(2026, 12, 31)),
    ("year", date(2028, 2, 29), date(2028, 1, 1), date(2028, 12, 31)),
])
def test_preset_periods_run_to_their_last_day(name, today, start, end):
    assert preset_period(name, today) == Period(start, end)


def test_last_year_of_a_february_after_a_leap_year_is_the_whole_february():
    february = preset_period("month", date(2029, 2, 10))
    assert february.last_year() == preset_period("month", date(2028, 2, 10))


def test_period_problems():
    assert period_problem(None, date(2026, 1, 1)) is not None and period_problem(date(2026, 1, 1), None) is not None
    assert period_problem(date(2026, 1, 2), date(2026, 1, 1)) is not None
    assert period_problem(date(2026, 1, 1), date(2026, 1, 1)) is None
    start = date(2024, 1, 1)
    assert period_problem(start, start + timedelta(days=MAX_PERIOD_DAYS - 1)) is None
    assert period_problem(start, start + timedelta(days=MAX_PERIOD_DAYS)) is not None
    assert period_problem(date(1, 1, 1), date(1, 12, 31)) is not None  # the year 1 has no last year
    assert period_problem(date(2, 1, 1), date(2, 1, 1)) is None


def test_every_figure_is_ordered_once_and_every_count_can_be_listed():
    assert len(FIGURE_ORDER) == len(set(FIGURE_ORDER)) == len(COUNT_KEYS) + len(RATES)
    assert set(COUNT_KEYS) <= FIGURE_KEYS and set(MEMBERS) | set(PERSON_SUMS) == set(COUNT_KEYS)


# --- one period counted on paper ---------------------------------------------------------------------------------

def test_every_count_and_rate_of_a_period_matches_the_paper(app, refs, make_petition, make_user):
    add_items(make_petition, main_ledger(MARCH.start, refs))
    with app.app_context():
        counts = period_counts(clerk_scope(make_user), MARCH, MARCH_TODAY)
    assert counts == EXPECTED
    rates = rates_of(counts)
    assert set(rates) == set(EXPECTED_RATES)
    for key, (text, value) in EXPECTED_RATES.items():
        assert rates[key] == pytest.approx(value) and format_rate(rates[key]) == text, key


def test_the_clocks_move_with_today(app, refs, make_petition, make_user):
    add_items(make_petition, main_ledger(MARCH.start, refs))
    with app.app_context():
        scope = clerk_scope(make_user)
        # On 11 April (day 42) G's acceptance clock (due day 41) and J's handling clock (due day 41) have run out.
        later = period_counts(scope, MARCH, MARCH_TODAY + timedelta(days=1))
        # On 21 March (day 21) D's clock (due day 21) has not yet run out, C's handling (due 25) neither.
        earlier = period_counts(scope, MARCH, date(2025, 3, 21))
    assert (later["acceptance_due"], later["acceptance_on_time"]) == (13, 10)
    assert (later["handling_due"], later["handling_on_time"]) == (8, 5)
    assert earlier["acceptance_due"] == 11 and earlier["handling_due"] == 6  # ACHIKMO less C
    assert {key: later[key] for key in ("total", "accepted", "closed")} == {"total": 14, "accepted": 9, "closed": 5}


def test_year_on_year_against_the_same_period_last_year(app, refs, make_petition, make_user):
    add_items(make_petition, main_ledger(MARCH.start, refs))
    add_items(make_petition, last_year_ledger(MARCH.last_year().start, refs))
    assert MARCH.last_year() == Period(date(2024, 3, 1), date(2024, 3, 31))
    with app.app_context():
        scope = clerk_scope(make_user)
        now = period_counts(scope, MARCH, MARCH_TODAY)
        before = period_counts(scope, MARCH.last_year(), MARCH_TODAY)
    assert now == EXPECTED and before == LAST_YEAR
    lines = compared_lines(now, before)
    assert [line.key for line in lines] == list(FIGURE_ORDER)
    shown_lines = {line.key: (shown(line.value, line.is_rate), shown(line.last_year, line.is_rate),
                              format_change(line.change, line.is_rate)) for line in lines}
    assert shown_lines == COMPARED
    by_key = {line.key: line for line in lines}
    assert by_key["visit_persons"].link == "visits" and by_key["collective_persons"].link == "collective"
    assert (by_key["satisfaction_rate"].link, by_key["satisfaction_rate"].whole) == ("satisfied", "evaluated")
    assert by_key["repeat_rate"].change.delta == pytest.approx(100 * 2 / 14 - 25)


def test_a_period_across_the_year_boundary(app, make_petition, make_user):
    now = Period(date(2025, 12, 1), date(2026, 1, 31))
    before = now.last_year()
    visit, letter = dict(channel=Channel.visit), dict(channel=Channel.letter)
    add_items(make_petition, {
        "out1": dict(received_on=date(2024, 11, 30), **visit),
        "ly1": dict(received_on=date(2024, 12, 1), **letter),
        "ly2": dict(received_on=date(2024, 12, 31), accepted_on=date(2025, 1, 2), decided_on=date(2025, 1, 2),
                    status=CaseStatus.accepted, **visit),
        "ly3": dict(received_on=date(2025, 1, 1), channel=Channel.phone),
        "ly4": dict(received_on=date(2025, 1, 31), **visit),
        "out2": dict(received_on=date(2025, 2, 1), **visit),
        "out3": dict(received_on=date(2025, 11, 30), **visit),
        "now1": dict(received_on=date(2025, 12, 1), accepted_on=date(2025, 12, 2), decided_on=date(2025, 12, 2),
                     closed_on=date(2026, 1, 5), status=CaseStatus.closed, **visit),
        "now2": dict(received_on=date(2025, 12, 31), **letter),
        "now3": dict(received_on=date(2026, 1, 1), channel=Channel.online, accepted_on=date(2026, 1, 2),
                     decided_on=date(2026, 1, 2), status=CaseStatus.accepted),
        "now4": dict(received_on=date(2026, 1, 31), persons=6, is_collective=True, **visit),
        "out4": dict(received_on=date(2026, 2, 1), **visit),
    })
    with app.app_context():
        scope = clerk_scope(make_user)
        this, last = period_counts(scope, now, date(2026, 3, 1)), period_counts(scope, before, date(2026, 3, 1))
        series = monthly_counts(scope, date(2024, 11, 1), 16, date(2026, 3, 1))
        from_mid_month = monthly_counts(scope, date(2025, 12, 15), 2, date(2026, 3, 1))
    # This period: now1 now2 now3 now4 = 4; visits now1 now4 (persons 1 + 6), collective now4; accepted now1 now3,
    # closed now1 (closed on 5 January, but counted by the day it was received).
    assert {key: this[key] for key in ("total", "visits", "visit_persons", "collective", "collective_persons",
                                       "letters", "online", "phone", "accepted", "closed")} == {
        "total": 4, "visits": 2, "visit_persons": 7, "collective": 1, "collective_persons": 6, "letters": 1,
        "online": 1, "phone": 0, "accepted": 2, "closed": 1}
    # Last year: ly1 ly2 ly3 ly4 = 4; visits ly2 ly4; letter ly1; phone ly3; accepted ly2 (on 2 January).
    assert {key: last[key] for key in ("total", "visits", "letters", "phone", "accepted", "closed")} == {
        "total": 4, "visits": 2, "letters": 1, "phone": 1, "accepted": 1, "closed": 0}
    lines = {line.key: line for line in compared_lines(this, last)}
    assert format_change(lines["total"].change) == "±0 / ±0.0%"
    assert format_change(lines["accepted"].change) == "+1 / +100.0%"
    # 立案率 50.0 % (2 of 4) against 25.0 % (1 of 4); 办结率 50.0 % (1 of 2) against 0.0 % (0 of 1).
    assert format_change(lines["acceptance_rate"].change, True) == "+25.0 pt / +100.0%"
    assert format_change(lines["closure_rate"].change, True) == "+50.0 pt / —"
    # Sixteen months from November 2024, every month present, zero where nothing was received.
    expected_totals = [1, 2, 2, 1] + [0] * 8 + [1, 2, 2, 1]  # Nov 2024 – Feb 2025, Mar – Oct 2025, Nov 2025 – Feb 2026
    expected_months = [date(2024 + (10 + n) // 12, (10 + n) % 12 + 1, 1) for n in range(16)]
    assert [month for month, _counts in series] == expected_months
    assert [counts["total"] for _month, counts in series] == expected_totals
    assert series[1][1] == {"total": 2, "accepted": 1, "closed": 0}  # December 2024: ly1, ly2
    assert series[13][1] == {"total": 2, "accepted": 1, "closed": 1}  # December 2025: now1, now2
    assert series[14][1] == {"total": 2, "accepted": 1, "closed": 0}  # January 2026: now3, now4
    # A series starting mid-month takes the whole month.
    assert from_mid_month == [(date(2025, 12, 1), {"total": 2, "accepted": 1, "closed": 1}),
                              (date(2026, 1, 1), {"total": 2, "accepted": 1, "closed": 0})]


def test_a_leap_day_and_its_same_day_last_year(app, make_petition, make_user):
    add_items(make_petition, {
        "a": dict(received_on=date(2027, 2, 28)), "b": dict(received_on=date(2028, 2, 28)),
        "c": dict(received_on=date(2028, 2, 29), channel=Channel.letter), "d": dict(received_on=date(2028, 3, 1)),
    })
    leap_day = Period(date(2028, 2, 29), date(2028, 2, 29))
    february = preset_period("month", date(2028, 2, 29))
    with app.app_context():
        scope = clerk_scope(make_user)
        assert period_counts(scope, leap_day, date(2028, 3, 2))["letters"] == 1  # c alone
        assert period_counts(scope, leap_day.last_year(), date(2028, 3, 2))["total"] == 1  # a, on 28 February 2027
        assert period_counts(scope, february, date(2028, 3, 2))["total"] == 2  # b c
        assert period_counts(scope, february.last_year(), date(2028, 3, 2))["total"] == 1  # a
        series = monthly_counts(scope, date(2028, 2, 1), 2, date(2028, 3, 2))
    assert [(month, counts["total"]) for month, counts in series] == [(date(2028, 2, 1), 2), (date(2028, 3, 1), 1)]


def test_a_range_with_no_data_counts_zero_and_rates_nothing(app, refs, make_petition, make_user):
    add_items(make_petition, main_ledger(MARCH.start, refs))
    empty = Period(date(2030, 1, 1), date(2030, 12, 31))
    with app.app_context():
        scope = clerk_scope(make_user)
        counts = period_counts(scope, empty, MARCH_TODAY)
        groups = {by: count_figures(scope, empty, MARCH_TODAY, by=by) for by in
                  ("township", "unit", "category", "subcategory", "channel", "purpose", "leader")}
        series = monthly_counts(scope, empty.start, 12, MARCH_TODAY)
    assert counts == dict.fromkeys(COUNT_KEYS, 0)
    assert rates_of(counts) == dict.fromkeys(RATES)
    assert all(format_rate(value) == "—" for value in rates_of(counts).values())
    assert groups == dict.fromkeys(groups, {})
    assert [month for month, _counts in series] == [date(2030, month, 1) for month in range(1, 13)]
    assert all(counts == {"total": 0, "accepted": 0, "closed": 0} for _month, counts in series)
    for line in compared_lines(counts, counts):
        assert shown(line.value, line.is_rate) == ("—" if line.is_rate else "0"), line.key
        assert format_change(line.change, line.is_rate) == ("—" if line.is_rate else "±0 / —"), line.key
    # Against a year that had items: every count fell by all of them; the rates have nothing to compare.
    lines = {line.key: line for line in compared_lines(counts, EXPECTED)}
    assert format_change(lines["total"].change) == f"{MINUS}14 / {MINUS}100.0%"
    assert lines["acceptance_rate"].change is None and format_change(lines["acceptance_rate"].change, True) == "—"


# --- breakdowns --------------------------------------------------------------------------------------------------

# The items of each group, read off the ledger table (the None group: items without a value).
GROUPS = {
    "township": {"T1": "ABFIJM", "T2": "CEHKO", None: "DGL"},  # T3 has only X1 and X2, outside the period
    "unit": {"U1": "ABIKM", "U2": "CHJO", None: "DEFGL"},
    "category": {"C1": "ABEHJKM", "C2": "CGIO", None: "DFL"},  # A E H K are in C1's subcategory C1a
    "subcategory": {"C1a": "AEHK", "C1": "BJM", "C2": "CGIO", None: "DFL"},
    "channel": {Channel.visit: "ABKMO", Channel.reception: "I", Channel.visit_down: "J", Channel.letter: "CD",
                Channel.online: "E", Channel.mailbox: "F", Channel.phone: "GH", Channel.forwarded: "L"},
    "purpose": {Purpose.claim: "ABFGHIJK", Purpose.appeal: "CO", Purpose.suggestion: "DM", Purpose.other: "E",
                Purpose.litigation: "L"},
    "leader": {"L1": "ABMO", "L2": "JK", None: "CDEFGHIL"},
}


def group_expected(items: str) -> dict[str, int]:
    """A group's counts: the items it shares with each count's items (persons summed over its visits)."""
    expected = {key: len(set(items) & set(members)) for key, members in MEMBERS.items()}
    for key, count_key in PERSON_SUMS.items():
        expected[key] = sum(PERSONS.get(item, 1) for item in set(items) & set(MEMBERS[count_key]))
    return expected


def group_key(group, refs):
    return getattr(refs, group).id if isinstance(group, str) else group


@pytest.mark.parametrize("by", list(GROUPS))
def test_breakdowns_count_each_group_and_add_up_to_the_period(app, refs, make_petition, make_user, by):
    add_items(make_petition, main_ledger(MARCH.start, refs))
    with app.app_context():
        found = count_figures(clerk_scope(make_user), MARCH, MARCH_TODAY, by=by)
    expected = {group_key(group, refs): group_expected(items) for group, items in GROUPS[by].items()}
    assert found == expected
    assert sum(len(items) for items in GROUPS[by].values()) == 14  # every item in exactly one group
    for key in COUNT_KEYS:
        assert sum(counts[key] for counts in found.values()) == EXPECTED[key], key


def test_breakdown_paper_spot_checks(app, refs, make_petition, make_user):
    add_items(make_petition, main_ledger(MARCH.start, refs))
    with app.app_context():
        scope = clerk_scope(make_user)
        township = count_figures(scope, MARCH, MARCH_TODAY, by="township")
        leader = count_figures(scope, MARCH, MARCH_TODAY, by="leader")
        category = count_figures(scope, MARCH, MARCH_TODAY, by="category")
        assert count_figures(scope, MARCH, MARCH_TODAY) == {None: EXPECTED}
    # 东城镇 T1: A B F I J M = 6; visits A B I J M with 1 + 7 + 2 + 1 + 1 = 12 persons; accepted A B I J M = 5;
    # closed A I = 2; mediated A I = 2 of disputes A B I J = 4.
    t1 = township[refs.T1.id]
    assert (t1["total"], t1["visits"], t1["visit_persons"], t1["accepted"], t1["closed"]) == (6, 5, 12, 5, 2)
    assert (t1["mediated"], t1["disputes"]) == (2, 4)
    assert refs.T3.id not in township and township[None]["total"] == 3  # D G L
    # Leader L1: A B M O, resolved A (closed) O (final) = 2; L2: J K, resolved K = 1; no leader: 8, none a package.
    assert (leader[refs.L1.id]["packages"], leader[refs.L1.id]["packages_resolved"]) == (4, 2)
    assert (leader[refs.L2.id]["packages"], leader[refs.L2.id]["packages_resolved"]) == (2, 1)
    assert (leader[None]["total"], leader[None]["packages"]) == (8, 0)
    # 城乡建设 takes in its subcategory: B J M directly, A E H K through 房屋拆迁与补偿.
    assert refs.C1a.id not in category and category[refs.C1.id]["total"] == 7


# --- monthly series ----------------------------------------------------------------------------------------------

def test_monthly_counts_fill_the_months_without_items_with_zeros(app, refs, make_petition, make_user):
    add_items(make_petition, main_ledger(MARCH.start, refs))
    with app.app_context():
        series = monthly_counts(clerk_scope(make_user), date(2025, 1, 20), 5, MARCH_TODAY,
                                keys=("total", "visit_persons", "handling_due"))
    # January none; February X1 (9 persons); March the 14 (21 persons, 7 handling due); April X2 (a letter: 0
    # persons of visits; accepted day 33, handling due day 93, not handled: not due on 10 April); May none.
    assert series == [
        (date(2025, 1, 1), {"total": 0, "visit_persons": 0, "handling_due": 0}),
        (date(2025, 2, 1), {"total": 1, "visit_persons": 9, "handling_due": 1}),
        (date(2025, 3, 1), {"total": 14, "visit_persons": 21, "handling_due": 7}),
        (date(2025, 4, 1), {"total": 1, "visit_persons": 0, "handling_due": 0}),
        (date(2025, 5, 1), {"total": 0, "visit_persons": 0, "handling_due": 0}),
    ]


# --- permissions -------------------------------------------------------------------------------------------------

@pytest.fixture
def unit_ledger(make_unit, make_petition, make_leader):
    """Five items received in May 2025 around two units; returns the units and the items' ids."""
    u1, u2 = make_unit("县住建局", kind=UnitKind.department), make_unit("县人社局", kind=UnitKind.department)
    received = dict(received_on=date(2025, 5, 10))
    ids = add_items(make_petition, {
        "P1": dict(lead_unit=u1, **received),  # U1 leads
        "P2": dict(lead_unit=u2, co_units=[u1], **received),  # U1 co-handles
        "P3": dict(lead_unit=u2, **received),
        "P4": dict(lead_unit=u1, purpose=Purpose.accusation, accused_unit=u1, **received),  # against U1
        "P5": dict(lead_unit=u1, purpose=Purpose.accusation, accused_unit=u2, **received),  # against U2
    })
    return SimpleNamespace(u1=u1, u2=u2, ids=ids)


MAY = Period(date(2025, 5, 1), date(2025, 5, 31))


@pytest.mark.parametrize("role, unit, total", [
    (Role.handler, "u1", 3),  # P1 P2 P5: not P3 (not theirs), not P4 (against U1)
    (Role.handler, "u2", 2),  # P2 P3: P4 P5 are led by U1
    (Role.clerk, "u1", 4),  # everything but P4, the accusation against the clerk's own unit
    (Role.supervisor, "u2", 4),  # everything but P5
    (Role.admin, None, 5),  # a unit of their own: everything
])
def test_figures_count_only_what_the_user_may_see(app, make_user, unit_ledger, role, unit, total):
    user = make_user(role, unit=getattr(unit_ledger, unit) if unit else None)
    with app.app_context():
        counts = period_counts(visible_petitions(user), MAY, date(2025, 6, 1))
        by_unit = count_figures(visible_petitions(user), MAY, date(2025, 6, 1), by="unit")
    assert counts["total"] == total
    assert sum(group["total"] for group in by_unit.values()) == total


def test_an_accusation_against_a_unit_never_counts_for_it_in_any_breakdown(app, make_user, unit_ledger):
    handler = make_user(Role.handler, unit=unit_ledger.u1)
    with app.app_context():
        for by in ("unit", "purpose", "channel", "township"):
            groups = count_figures(visible_petitions(handler), MAY, date(2025, 6, 1), by=by)
            assert sum(group["total"] for group in groups.values()) == 3, by
        purposes = count_figures(visible_petitions(handler), MAY, date(2025, 6, 1), by="purpose")
    assert purposes[Purpose.accusation]["total"] == 1  # P5 only, the accusation against the other unit


def test_a_leader_counts_own_package_cases_and_a_main_leader_all(app, make_user, make_leader, make_petition):
    own, main = make_user(Role.leader), make_user(Role.leader)
    chen = make_leader("陈某", user=own)
    make_leader("县委书记", post=LeaderPost.county_secretary, user=main)
    other = make_leader("林某")
    add_items(make_petition, {"a": dict(received_on=date(2025, 5, 3), leader=chen),
                              "b": dict(received_on=date(2025, 5, 4), leader=other),
                              "c": dict(received_on=date(2025, 5, 5))})
    with app.app_context():
        assert period_counts(visible_petitions(own), MAY, date(2025, 6, 1))["total"] == 1
        assert period_counts(visible_petitions(main), MAY, date(2025, 6, 1))["packages"] == 2
        assert period_counts(visible_petitions(main), MAY, date(2025, 6, 1))["total"] == 2  # c is no package case


# --- every figure's case list ------------------------------------------------------------------------------------

def listed(client, **args) -> list[int]:
    response = client.get("/cases/", query_string=args)
    assert response.status_code == 200
    return sorted(int(number) for number in LISTED.findall(response.get_data(as_text=True)))


def test_every_figures_case_list_lists_exactly_its_cases(app, client, login, refs, make_petition):
    # The list counts with date.today(), so the ledger is dated from today: day 41 is today, as in March.
    today = date.today()
    period = Period(today - timedelta(days=40), today - timedelta(days=10))
    ids = add_items(make_petition, main_ledger(period.start, refs))
    clerk = login(Role.clerk)
    with app.app_context():
        counts = period_counts(visible_petitions(clerk), period, today)
    assert counts == EXPECTED
    span = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    for key in sorted(FIGURE_KEYS):
        members = MEMBERS[PERSON_SUMS.get(key, key)]
        rows = listed(client, figure=key, **span)
        assert rows == sorted(ids[item] for item in members), key
        assert len(rows) == counts[PERSON_SUMS.get(key, key)], key
    assert listed(client, figure="no-such-figure", **span) == sorted(ids[item] for item in MEMBERS["total"])


@pytest.mark.parametrize("by", list(GROUPS))
def test_each_groups_case_list_lists_its_cases(app, client, login, refs, make_petition, by):
    today = date.today()
    period = Period(today - timedelta(days=40), today - timedelta(days=10))
    ids = add_items(make_petition, main_ledger(period.start, refs))
    login(Role.clerk)
    span = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    arg = {"township": "township", "unit": "unit", "category": "category", "subcategory": "category",
           "channel": "channel", "purpose": "purpose", "leader": "leader"}[by]
    for group, items in GROUPS[by].items():
        if group is None:
            continue  # the list has no filter for "without a value"
        value = group_key(group, refs)
        value = value.value if hasattr(value, "value") else value
        if by == "subcategory" and group == "C1":
            items = GROUPS["category"]["C1"]  # a first-level category lists its subcategories too
        for key in ("total", "accepted", "closed", "handling_on_time", "packages_resolved"):
            expected = sorted(ids[item] for item in set(items) & set(MEMBERS[key]))
            assert listed(client, figure=key, **{arg: value}, **span) == expected, (group, key)


def test_a_handlers_case_list_matches_the_handlers_figures(app, client, login, unit_ledger):
    handler = login(Role.handler, unit=unit_ledger.u1)
    span = {"from": MAY.start.isoformat(), "to": MAY.end.isoformat()}
    with app.app_context():
        counts = period_counts(visible_petitions(handler), MAY, date.today())
    rows = listed(client, figure="total", **span)
    assert len(rows) == counts["total"] == 3
    assert rows == sorted(unit_ledger.ids[name] for name in ("P1", "P2", "P5"))


# --- an imported ledger workbook counted row by row -----------------------------------------------------------------

TEMPLATE = Path(__file__).parent / "data" / "ledger-template.xlsx"


def ledger_workbook(rows: list[dict]) -> bytes:
    """The template's header with these rows (by column name) below it."""
    header = next(load_workbook(TEMPLATE).active.iter_rows(values_only=True))
    assert tuple(header) == ledger.COLUMNS
    book = Workbook()
    sheet = book.active
    sheet.title = ledger.SHEET
    sheet.append(list(header))
    for row in rows:
        assert set(row) <= set(header)
        sheet.append([row.get(name) for name in header])
    target = BytesIO()
    book.save(target)
    return target.getvalue()


def row(number, received, channel, purpose, **cells) -> dict:
    """A ledger row by column name, with the yes/no columns filled."""
    return {"信访件编号": f"TJ2025-{number:03d}", "信访日期": received, "信访形式": channel, "信访目的": purpose,
            "信访人姓名": f"信访人{number}", "概况": f"反映事项{number}", "是否集体访": "否", "是否重复访": "否",
            "是否越级访": "否", **cells}


def import_rows() -> list[dict]:
    """Twelve rows: ten received in May 2025, one on each side of it."""
    closed = {"是否受理": "是", "是否办结": "是", "处理意见": "支持"}
    return [
        row(1, "2025-04-30", "来访", "求决", 信访人数=3, 是否受理="是", 受理日期="2025-05-02"),  # outside
        row(2, "2025-05-01", "来访", "求决", 信访人数=5, 是否集体访="是", 受理日期="2025-05-03",
            办结日期="2025-05-20", 回访满意度="满意", 化解方式="调解", 问题属地="东城镇", 责任单位="县住建局",
            包案领导="陈某某", 内容分类="城乡建设_房屋拆迁与补偿", **closed),
        row(3, "2025-05-02", "来信", "意见建议", 交办来源="市信访局", 是否受理="是", 受理日期="2025-05-05",
            责任单位="县人社局"),
        row(4, "2025-05-06", "网上信访", "求决", 是否受理="否"),
        row(5, "2025-05-07", "电话", "其他"),  # not yet decided
        row(6, "2025-05-10", "领导信箱", "求决", 是否受理="转送"),
        row(7, "2025-05-12", "接访", "求决", 信访人数=2, 是否重复访="是", 受理日期="2025-05-12",
            办结日期="2025-05-30", 回访满意度="基本满意", 化解方式="和解", **closed),
        row(8, "2025-05-20", "下访排查", "求决", 是否受理="是", 受理日期="2025-05-21", 包案领导="陈某某"),
        row(9, "2025-05-31", "来访", "申诉", 信访人数=6, 是否集体访="是", 是否重复访="是", 受理日期="2025-05-31",
            办结日期="2025-06-10", 回访满意度="未评价", 交办来源="省信访局", **closed),
        row(10, "2025-05-15", "上级交办", "求决", 交办来源="市信访局", 是否受理="是", 受理日期="2025-05-16"),
        row(11, "2025-05-18", "来信", "求决", 受理日期="2025-05-19", 办结日期="2025-06-01", 回访满意度="不满意",
            化解方式="调解", **closed),
        row(12, "2025-06-01", "来信", "求决", 是否受理="是", 受理日期="2025-06-02"),  # outside
    ]


def count_rows(rows: list[dict], period: Period) -> dict[str, int]:
    """The figures counted off the workbook's rows, by the ledger's own columns."""
    def when(row):
        return date.fromisoformat(row["信访日期"])

    rows = [row for row in rows if period.start <= when(row) <= period.end]
    visits = [row for row in rows if row["信访形式"] in ("来访", "接访", "下访排查")]
    collective = [row for row in visits if row["是否集体访"] == "是"]
    accepted = [row for row in rows if row.get("是否受理") == "是"]
    closed = [row for row in accepted if row.get("是否办结") == "是"]
    evaluated = [row for row in closed if row.get("回访满意度") in ("满意", "基本满意", "不满意")]
    disputes = [row for row in accepted if row["信访目的"] == "求决"]
    return {
        "total": len(rows), "visits": len(visits), "visit_persons": sum(row.get("信访人数", 1) for row in visits),
        "collective": len(collective), "collective_persons": sum(row["信访人数"] for row in collective),
        "letters": sum(row["信访形式"] == "来信" for row in rows),
        "letters_from_above": sum(row["信访形式"] == "来信" and bool(row.get("交办来源")) for row in rows),
        "online": sum(row["信访形式"] in ("网上信访", "领导信箱") for row in rows),
        "phone": sum(row["信访形式"] == "电话" for row in rows),
        "accepted": len(accepted), "closed": len(closed), "repeat": sum(row["是否重复访"] == "是" for row in rows),
        "from_above": sum(bool(row.get("交办来源")) for row in rows),
        "from_above_accepted": sum(bool(row.get("交办来源")) for row in accepted),
        "from_above_closed": sum(bool(row.get("交办来源")) for row in closed),
        "disputes": len(disputes), "mediated": sum(row.get("化解方式") == "调解" for row in disputes),
        "evaluated": len(evaluated), "satisfied": sum(row["回访满意度"] in ("满意", "基本满意") for row in evaluated),
        "packages": sum(bool(row.get("包案领导")) for row in rows),
        "packages_resolved": sum(bool(row.get("包案领导")) for row in closed),
    }


@pytest.fixture
def ledger_names(app, make_unit, make_leader):
    """The names the rows use."""
    county = make_unit("示范县", kind=UnitKind.county)
    make_unit("东城镇", parent=county)
    for name in ("县住建局", "县人社局"):
        make_unit(name, kind=UnitKind.department, parent=county)
    make_leader("陈某某", unit=county)
    parent = persist(app, Category(name="城乡建设"))
    persist(app, Category(name="房屋拆迁与补偿", parent_id=parent.id))


def upload(client, rows: list[dict]):
    return client.post("/cases/import", data={"workbook": (BytesIO(ledger_workbook(rows)), "台账.xlsx")},
                       content_type="multipart/form-data")


def test_an_imported_ledger_reads_as_its_rows_count(app, client, login, ledger_names):
    rows = import_rows()
    clerk = login(Role.clerk)
    response = upload(client, rows)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        counts = period_counts(visible_petitions(clerk), MAY, date.today())
        channels = count_figures(visible_petitions(clerk), MAY, date.today(), by="channel")
    by_hand = count_rows(rows, MAY)
    # On paper: rows 2–11 (10); visits 2 7 8 9 (5 + 2 + 1 + 6 = 14 persons), collective 2 9 (11 persons); letters
    # 3 11, from above 3; online 4 6; phone 5; accepted 2 3 7 8 9 10 11 (7), closed 2 7 9 11 (4); repeat 7 9; from
    # above 3 9 10, accepted 3 9 10, closed 9; disputes (accepted 求决) 2 7 8 10 11, mediated 2 11; evaluated 2 7 11,
    # satisfied 2 7; packages 2 8, resolved 2.
    assert by_hand == {
        "total": 10, "visits": 4, "visit_persons": 14, "collective": 2, "collective_persons": 11, "letters": 2,
        "letters_from_above": 1, "online": 2, "phone": 1, "accepted": 7, "closed": 4, "repeat": 2, "from_above": 3,
        "from_above_accepted": 3, "from_above_closed": 1, "disputes": 5, "mediated": 2, "evaluated": 3,
        "satisfied": 2, "packages": 2, "packages_resolved": 1}
    assert {key: counts[key] for key in by_hand} == by_hand
    per_channel = {}
    for row in rows:
        if MAY.start <= date.fromisoformat(row["信访日期"]) <= MAY.end:
            channel = ledger.CHANNELS[row["信访形式"]]
            per_channel[channel] = per_channel.get(channel, 0) + 1
    assert {channel: group["total"] for channel, group in channels.items()} == per_channel


def test_a_row_whose_dates_contradict_its_yes_no_cells_is_refused_or_counted_as_the_row_says(
        app, client, login, ledger_names):
    rows = [
        row(1, "2025-05-05", "来访", "求决", 是否受理="否", 受理日期="2025-05-06"),  # refused, yet a date of acceptance
        row(2, "2025-05-05", "来访", "求决", 是否受理="是", 受理日期="2025-05-06", 是否办结="否",
            办结日期="2025-05-20"),  # accepted, not closed, yet a date of closure
        row(3, "2025-05-05", "来访", "求决", 是否办结="是", 办结日期="2025-05-20"),  # closed, never accepted
        row(4, "2025-05-05", "来访", "求决", 是否受理="转送", 受理日期="2025-05-06", 是否办结="是",
            办结日期="2025-05-20"),  # forwarded elsewhere, yet accepted and closed here
        row(5, "2025-05-05", "来访", "求决", 是否受理="是", 受理日期="2025-05-06", 是否办结="是",
            办结日期="2025-05-20"),  # the one consistent closed row
    ]
    clerk = login(Role.clerk)
    if upload(client, rows).status_code != 302:
        return  # refused, naming the cells: the office corrects the file first
    with app.app_context():
        counts = period_counts(visible_petitions(clerk), MAY, date.today())
    # By the rows: accepted (是否受理 = 是) 2 and 5; closed among them (是否办结 = 是) 5. The import stores rows
    # 1 2 4 5 with accepted_on and rows 2 3 4 5 with closed_on, so the figures say accepted 4 (1 2 4 5) and closed
    # 3 (2 4 5; row 3 has no acceptance).
    assert (counts["accepted"], counts["closed"]) == (count_rows(rows, MAY)["accepted"],
                                                      count_rows(rows, MAY)["closed"]) == (2, 1)

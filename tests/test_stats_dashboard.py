"""The statistics dashboard, its breakdowns, the trend, the workbook and the printable report, through their URLs:
each figure shown beside last year's and linked to a case list that counts the same, the period form, the
permissions (a unit counts its own cases, never an accusation against itself)."""
from __future__ import annotations

import html
import re
from datetime import date
from io import BytesIO

import pytest
from conftest import persist
from openpyxl import load_workbook

from blueprints.stats.charts import axis_top, nice_step
from figures import FIGURE_ORDER, preset_period
from models import (
    CaseStatus,
    Category,
    Channel,
    LeaderPost,
    Purpose,
    ReceptionBatch,
    ReceptionQuota,
    ReceptionRecord,
    Role,
    SessionStatus,
    UnitKind,
)

YEAR_2025 = {"period": "custom", "from": "2025-01-01", "to": "2025-12-31"}
MINUS = "\u2212"


@pytest.fixture
def ledger(app, make_unit, make_leader, make_petition, category):
    """Five items received in 2025 and two in 2024, worked out below."""
    town = make_unit("城关镇")
    river = make_unit("河口镇")
    bureau = make_unit("县住建局", kind=UnitKind.department)
    leader = make_leader("王县长", unit=town)
    demolition = persist(app, Category(name="房屋拆迁与补偿", parent_id=category.id))
    # 2025: 2 visits (1 + 6 persons, one collective), 1 letter from above, 1 online, 1 phone → 5 items.
    make_petition(received_on=date(2025, 3, 1), township_id=town.id, lead_unit=bureau, leader=leader,
                  category_id=demolition.id, accepted_on=date(2025, 3, 3), closed_on=date(2025, 5, 1),
                  status=CaseStatus.closed)                                       # accepted and closed
    make_petition(received_on=date(2025, 4, 10), township_id=town.id, persons=6, is_collective=True,
                  category_id=category.id, accepted_on=date(2025, 4, 12), status=CaseStatus.in_progress)
    make_petition(received_on=date(2025, 6, 1), channel=Channel.letter, township_id=river.id,
                  assigned_from="市信访局", lead_unit=bureau)                      # not accepted yet
    make_petition(received_on=date(2025, 12, 31), channel=Channel.online, is_repeat=True)  # no township
    make_petition(received_on=date(2025, 7, 7), channel=Channel.phone, township_id=river.id,
                  purpose=Purpose.suggestion)
    # 2024: 2 items, 1 accepted.
    make_petition(received_on=date(2024, 2, 2), township_id=town.id, accepted_on=date(2024, 2, 3),
                  status=CaseStatus.accepted)
    make_petition(received_on=date(2024, 12, 31), channel=Channel.letter)
    make_petition(received_on=date(2026, 1, 1))                                   # after the period
    return {"town": town, "river": river, "bureau": bureau, "leader": leader, "category": category,
            "demolition": demolition}


def english(client):
    client.post("/auth/language/en")


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def row(page: str, row_id: str) -> dict[str, tuple[str, list[str]]]:
    """{cell class: (text, [link targets])} of the table row with this id; the row header under "name"."""
    body = re.search(rf'<tr id="{re.escape(row_id)}"[^>]*>(.*?)</tr>', page, re.S).group(1)
    found = {}
    header = re.search(r"<th[^>]*>(.*?)</th>", body, re.S)
    if header:
        found["name"] = (text_of(header.group(1)), [])
    for css, content in re.findall(r'<td class="([^"]*)">(.*?)</td>', body, re.S):
        found[css] = (text_of(content), [html.unescape(href) for href in re.findall(r'href="([^"]+)"', content)])
    return found


def listed(client, url: str) -> int:
    """How many cases the case list at `url` shows (one page is enough here)."""
    page = client.get(url).get_data(as_text=True)
    return len(re.findall(r'href="/cases/\d+"', page))


# --- the dashboard ------------------------------------------------------------------------------------------------

def test_every_figure_is_shown_beside_last_year_with_its_change_and_links(client, login, ledger):
    login(Role.clerk)
    english(client)
    response = client.get("/stats/", query_string=YEAR_2025)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2025-01-01 to 2025-12-31" in page and "2024-01-01 to 2024-12-31" in page
    for key in FIGURE_ORDER:
        assert f'id="figure-{key}"' in page, key

    total = row(page, "figure-total")
    assert total["value"] == ("5", ["/cases/?figure=total&from=2025-01-01&to=2025-12-31"])
    assert total["last-year"] == ("2", ["/cases/?figure=total&from=2024-01-01&to=2024-12-31"])
    assert total["change"][0] == "+3 / +150.0%"
    persons = row(page, "figure-visit_persons")
    assert persons["value"] == ("7", ["/cases/?figure=visits&from=2025-01-01&to=2025-12-31"])  # 1 + 6 persons
    assert row(page, "figure-collective_persons")["value"][0] == "6"
    assert row(page, "figure-letters_from_above")["value"][0] == "1"
    assert row(page, "figure-online")["value"][0] == "1" and row(page, "figure-phone")["value"][0] == "1"

    # A rate: its value links to its part's cases, and its part and whole are shown and linked.
    acceptance = row(page, "figure-acceptance_rate")
    assert acceptance["value"][0] == "40.0% 2 / 5"
    assert acceptance["value"][1] == ["/cases/?figure=accepted&from=2025-01-01&to=2025-12-31",
                                      "/cases/?figure=accepted&from=2025-01-01&to=2025-12-31",
                                      "/cases/?figure=total&from=2025-01-01&to=2025-12-31"]
    assert acceptance["last-year"][0] == "50.0% 1 / 2"
    assert acceptance["change"][0] == f"{MINUS}10.0 pt / {MINUS}20.0%"
    assert row(page, "figure-closure_rate")["value"][0] == "50.0% 1 / 2"
    assert row(page, "figure-satisfaction_rate")["value"][0].startswith("—")  # nothing evaluated: no rate

    for endpoint in ("/stats/breakdown?by=township&amp;", "/stats/trend?", "/stats/dashboard.xlsx?", "/stats/print?"):
        assert endpoint in page, endpoint


@pytest.mark.parametrize("key", ["accepted", "visits", "letters_from_above", "repeat"])
def test_a_figure_links_to_a_case_list_that_counts_as_many(client, login, ledger, key):
    login(Role.clerk)
    page = client.get("/stats/", query_string=YEAR_2025).get_data(as_text=True)
    value, links = row(page, f"figure-{key}")["value"]
    assert listed(client, links[0]) == int(value) > 0
    last_year, links = row(page, f"figure-{key}")["last-year"]
    assert listed(client, links[0]) == int(last_year)


def test_a_rate_links_its_part_and_its_whole(client, login, ledger):
    login(Role.clerk)
    page = client.get("/stats/", query_string=YEAR_2025).get_data(as_text=True)
    _, (value_link, part_link, whole_link) = row(page, "figure-closure_rate")["value"]
    assert listed(client, part_link) == 1 and listed(client, whole_link) == 2


def test_the_default_is_this_year_and_the_presets_follow_today(client, login):
    login(Role.clerk)
    english(client)
    year = preset_period("year", date.today())
    page = client.get("/stats/").get_data(as_text=True)
    assert f"{year.start.isoformat()} to {year.end.isoformat()}" in page
    assert '<a href="/stats/?period=year" aria-current="true">' in page
    month = preset_period("month", date.today())
    page = client.get("/stats/", query_string={"period": "month"}).get_data(as_text=True)
    assert f"{month.start.isoformat()} to {month.end.isoformat()}" in page
    assert f'name="from" value="{month.start.isoformat()}"' in page
    assert "/stats/breakdown?by=township&amp;period=month" in page  # the period goes along to the other pages


@pytest.mark.parametrize("args, message", [
    ({"from": "2025-12-31", "to": "2025-01-01"}, "The range ends before it starts."),
    ({"from": "2025-02-30", "to": "2025-03-31"}, "Give both dates of the range as YYYY-MM-DD."),
    ({"from": "2025-01-01", "to": ""}, "Give both dates of the range as YYYY-MM-DD."),
    ({"from": "2020-01-01", "to": "2025-12-31"}, "A range may span at most three years."),
    ({"from": "0001-01-01", "to": "0001-12-31"}, "Year: give a year from 2 to 9999."),  # no last year to compare
    ({"period": "decade"}, "Choose this month, this quarter, this year or a range of dates."),
])
def test_a_bad_range_keeps_what_was_typed_and_says_why(client, login, ledger, args, message):
    login(Role.clerk)
    english(client)
    query = {"period": "custom", **args}
    for url in ("/stats/", "/stats/dashboard.xlsx", "/stats/print", "/stats/breakdown"):
        response = client.get(url, query_string=query)
        assert response.status_code == 400, url
        page = response.get_data(as_text=True)
        assert message in page, url
        assert 'id="figure-total"' not in page and "stats-breakdown" not in page, url
        for name in ("from", "to"):
            if name in args:
                assert f'name="{name}" value="{html.escape(args[name])}"' in page, url


# --- reception figures ---------------------------------------------------------------------------------------------

@pytest.fixture
def receptions(app, make_unit, make_leader, make_session):
    """2025: one session of each status (a draft is never counted) and a held one of another unit; 2024: one."""
    county = make_unit("县信访局", kind=UnitKind.county)
    town = make_unit("东山镇")
    li = make_leader("李县长", post=LeaderPost.county_leader, unit=county)
    zhao = make_leader("赵镇长", post=LeaderPost.township_head, unit=town)
    persist(app, ReceptionQuota(post=LeaderPost.county_leader, days_per_month=2))
    persist(app, ReceptionQuota(post=LeaderPost.township_head, days_per_month=1))

    def session(day, status, leader=li, unit=county, batches=()):
        session_id = make_session(day=day, leaders=[leader], unit=unit, status=status)
        if status is SessionStatus.held:
            record = persist(app, ReceptionRecord(session_id=session_id))
            for persons, settled in batches:
                persist(app, ReceptionBatch(record_id=record.id, petitioner_names="张某", persons=persons,
                                            matter="反映问题", settled=settled))

    session(date(2025, 3, 5), SessionStatus.held, batches=[(1, True), (5, False)])
    session(date(2025, 4, 5), SessionStatus.held, batches=[(2, True)])
    session(date(2025, 5, 5), SessionStatus.published)
    session(date(2025, 6, 5), SessionStatus.cancelled)
    session(date(2025, 7, 5), SessionStatus.draft)
    session(date(2025, 8, 5), SessionStatus.held, leader=zhao, unit=town, batches=[(3, False)])
    session(date(2024, 3, 5), SessionStatus.held, batches=[(1, True)])
    return {"county": county, "town": town, "li": li, "zhao": zhao}


def test_reception_figures_beside_last_year_and_quota_fulfilment(client, login, receptions):
    login(Role.supervisor)
    page = client.get("/stats/", query_string=YEAR_2025).get_data(as_text=True)
    counts = {key: row(page, f"reception-{key}") for key in
              ("scheduled", "held", "cancelled", "batches", "persons", "settled")}
    assert {key: cells["value"][0] for key, cells in counts.items()} == {
        "scheduled": "5", "held": "3", "cancelled": "1", "batches": "4", "persons": "11", "settled": "2"}
    assert {key: cells["last-year"][0] for key, cells in counts.items()} == {
        "scheduled": "1", "held": "1", "cancelled": "0", "batches": "1", "persons": "1", "settled": "1"}
    assert counts["held"]["change"][0] == "+2 / +200.0%"
    # 2025 is over: 12 months of quota. 李 held 2 days of 24; 赵 1 of 12.
    li, zhao = row(page, f"quota-{receptions['li'].id}"), row(page, f"quota-{receptions['zhao'].id}")
    assert [cell[0] for cell in list(li.values())[1:]] == ["2", "24", "8.3%"]
    assert [cell[0] for cell in list(zhao.values())[1:]] == ["1", "12", "8.3%"]
    assert li["name"][0] == "李县长 副县长 · 县信访局"


def test_a_unit_reads_the_reception_figures_of_its_own_sessions_and_leaders(client, login, receptions):
    login(Role.handler, unit=receptions["town"])
    page = client.get("/stats/", query_string=YEAR_2025).get_data(as_text=True)
    assert row(page, "reception-held")["value"][0] == "1" and row(page, "reception-persons")["value"][0] == "3"
    assert f'id="quota-{receptions["zhao"].id}"' in page and f'id="quota-{receptions["li"].id}"' not in page


# --- breakdowns ---------------------------------------------------------------------------------------------------

def breakdown_rows(page: str) -> dict[str, dict[str, tuple[str, list[str]]]]:
    """{group name: cells} of a breakdown table, the whole period under "All"."""
    ids = re.findall(r'<tr id="(group-[\w-]+)"', page)
    return {row(page, row_id)["name"][0]: row(page, row_id) for row_id in ids}


def test_the_breakdown_by_township_has_a_row_per_group_each_count_linked(client, login, ledger):
    login(Role.clerk)
    english(client)
    response = client.get("/stats/breakdown", query_string={"by": "township", **YEAR_2025})
    assert response.status_code == 200
    rows = breakdown_rows(response.get_data(as_text=True))
    assert list(rows) == ["城关镇", "河口镇", "(not set)", "All"]  # most items first, the items without a value last
    town, river, none, whole = rows.values()
    assert town["count total"] == ("2", [f"/cases/?figure=total&township={ledger['town'].id}"
                                         "&from=2025-01-01&to=2025-12-31"])
    assert town["count accepted"][0] == "2" and town["count acceptance_rate"][0] == "100.0%"
    assert town["count visits"][0] == "2" and town["count closed"][0] == "1"
    assert river["count letters"][0] == "1" and river["count phone"][0] == "1"
    assert river["count acceptance_rate"] == ("0.0%", [f"/cases/?figure=accepted&township={ledger['river'].id}"
                                                       "&from=2025-01-01&to=2025-12-31"])
    assert none["count total"] == ("1", []) and none["count repeat"] == ("1", [])  # no link for "(not set)"
    assert whole["count total"] == ("5", ["/cases/?figure=total&from=2025-01-01&to=2025-12-31"])
    assert whole["count repeat_rate"][0] == "20.0%"
    for cells in (town, river):
        for name in ("count total", "count accepted", "count visits"):
            value, links = cells[name]
            assert listed(client, links[0]) == int(value), name


def test_breakdowns_name_their_groups(client, login, ledger):
    login(Role.clerk)
    english(client)

    def rows(by):
        return breakdown_rows(client.get("/stats/breakdown", query_string={"by": by, **YEAR_2025}).get_data(
            as_text=True))

    channels = rows("channel")
    assert channels["Visit"]["count total"] == ("2", ["/cases/?figure=total&channel=visit"
                                                      "&from=2025-01-01&to=2025-12-31"])
    assert set(channels) == {"Visit", "Letter", "Online", "Phone", "All"}
    assert rows("purpose")["Suggestion"]["count total"][1][0].startswith("/cases/?figure=total&purpose=suggestion")
    leaders = rows("leader")
    assert leaders["王县长 副县长 · " + ledger["town"].name]["count total"][0] == "1"
    assert leaders["(not set)"]["count total"][0] == "4"
    units = rows("unit")
    assert units["县住建局"]["count total"][0] == "2"
    # The first level takes in its subcategories; the subcategory breakdown keeps them apart.
    categories = rows("category")
    assert categories["城乡建设"]["count total"] == ("2", [f"/cases/?figure=total&category={ledger['category'].id}"
                                                       "&from=2025-01-01&to=2025-12-31"])
    subcategories = rows("subcategory")
    assert subcategories["城乡建设 / 房屋拆迁与补偿"]["count total"][1] == [
        f"/cases/?figure=total&category={ledger['demolition'].id}&from=2025-01-01&to=2025-12-31"]
    # Filed on the parent itself: the list's category filter would take in the subcategory too, so no link.
    assert subcategories["城乡建设"]["count total"] == ("1", [])


def test_an_unknown_breakdown_is_refused_with_a_message(client, login, ledger):
    login(Role.clerk)
    english(client)
    response = client.get("/stats/breakdown", query_string={"by": "petitioner", **YEAR_2025})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose one of the breakdowns above." in page and "stats-breakdown" not in page
    assert "/stats/breakdown?by=township&amp;period=custom" in page


# --- the trend ----------------------------------------------------------------------------------------------------

def months_ago(count: int) -> date:
    today = date.today()
    index = today.year * 12 + today.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def test_the_trend_shows_24_months_as_charts_with_their_tables(client, login, make_petition):
    make_petition(received_on=date.today(), accepted_on=date.today(), status=CaseStatus.accepted)
    make_petition(received_on=date.today())
    make_petition(received_on=months_ago(23))
    make_petition(received_on=months_ago(24))                                      # before the 24 months
    login(Role.clerk)
    response = client.get("/stats/trend")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    this_month, first_month = date.today().strftime("%Y-%m"), months_ago(23).strftime("%Y-%m")
    for key in ("total", "accepted", "closed"):
        assert page.count(f'<tr id="trend-{key}-') == 24
        section = re.search(rf'<section class="trend-figure" id="trend-{key}">(.*?)</section>', page, re.S).group(1)
        assert section.count('<rect class="bar') == 24 and "<svg" in section
    assert row(page, f"trend-total-{this_month}")["count"][0] == "2"
    assert row(page, f"trend-accepted-{this_month}")["count"][0] == "1"
    assert row(page, f"trend-total-{first_month}")["count"][0] == "1"
    assert f'id="trend-total-{months_ago(24).strftime("%Y-%m")}"' not in page
    value, links = row(page, f"trend-total-{this_month}")["count"]
    assert listed(client, links[0]) == 2
    assert "style=" not in page and "<script>" not in page


def test_the_axis_of_a_chart_is_round():
    assert [nice_step(value) for value in (0, 0.5, 1, 1.5, 3, 7, 12, 60)] == [1, 1, 1, 2, 5, 10, 20, 100]
    assert axis_top(0) == (1, 1) and axis_top(7) == (8, 2) and axis_top(130) == (150, 50)


# --- workbook and print -------------------------------------------------------------------------------------------

def test_the_workbook_has_a_sheet_per_table(client, login, ledger, receptions):
    login(Role.clerk)
    english(client)
    response = client.get("/stats/dashboard.xlsx", query_string=YEAR_2025)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "2025-01-01-2025-12-31.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames == ["Figures", "Township", "Lead unit", "Category", "Subcategory", "Channel", "Purpose",
                               "Responsible leader", "Monthly trend", "Reception", "Quota fulfilment"]
    figures = {sheet_row[0]: sheet_row[1:] for sheet_row in book["Figures"].iter_rows(values_only=True)}
    assert figures["Figure"] == ("2025-01-01 – 2025-12-31", "2024-01-01 – 2024-12-31", "Change", "Change (%)")
    assert figures["Items (letters and visits)"] == (5, 2, 3, 150.0)
    assert figures["Acceptance rate (%)"] == (40.0, 50.0, -10.0, -20.0)
    assert figures["Satisfaction rate (%)"] == (None, None, None, None)
    townships = {sheet_row[0]: sheet_row[1:] for sheet_row in book["Township"].iter_rows(values_only=True)}
    assert townships["城关镇"][:2] == (2, 2) and townships["All"][0] == 5 and townships["(not set)"][0] == 1
    header = [cell.value for cell in book["Township"][1]]
    assert header[1] == "Items (letters and visits)" and header[-1] == "Repeat rate (%)"
    assert townships["城关镇"][header.index("Acceptance rate (%)") - 1] == 100.0
    trend = list(book["Monthly trend"].iter_rows(values_only=True))
    assert trend[0] == ("Month", "Items (letters and visits)", "Accepted as cases", "Closed") and len(trend) == 25
    reception = {sheet_row[0]: sheet_row[1:] for sheet_row in book["Reception"].iter_rows(values_only=True)}
    assert reception["Sessions held"] == (3, 1, 2, 200.0)
    quotas = list(book["Quota fulfilment"].iter_rows(values_only=True))
    assert quotas[1][0] == "李县长" and quotas[1][2:] == (2, 24, 8.3)


def test_the_print_page_is_the_report_of_the_period(client, login, ledger, receptions):
    login(Role.leader)  # a leader who leads no package case: the case figures are zero, the receptions are not
    english(client)
    response = client.get("/stats/print", query_string=YEAR_2025)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r"<title>Statistics report 2025-01-01 to 2025-12-31 ·", page)
    assert row(page, "figure-total")["value"][0] == "0"
    assert row(page, "figure-acceptance_rate")["value"][0] == "— (0 / 0)"
    assert row(page, "reception-held")["value"][0] == "3"
    assert "/cases/?figure=" not in page and "data-print" in page and "js/print.js" in page


# --- permissions --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", list(Role))
def test_every_statistics_role_opens_every_page(client, login, role):
    login(role)
    for url in ("/stats/", "/stats/breakdown", "/stats/trend", "/stats/dashboard.xlsx", "/stats/print"):
        assert client.get(url).status_code == 200, url


def test_a_handler_counts_only_the_cases_of_their_unit(client, login, ledger):
    login(Role.handler, unit=ledger["bureau"])
    page = client.get("/stats/", query_string=YEAR_2025).get_data(as_text=True)
    assert row(page, "figure-total")["value"][0] == "2"          # the two 2025 cases 县住建局 leads
    assert row(page, "figure-letters_from_above")["value"][0] == "1"
    assert row(page, "figure-total")["last-year"][0] == "0"
    _, links = row(page, "figure-total")["value"]
    assert listed(client, links[0]) == 2
    rows = breakdown_rows(client.get("/stats/breakdown", query_string={"by": "township", **YEAR_2025})
                          .get_data(as_text=True))
    assert rows["合计"]["count total"][0] == "2" and set(rows) == {"城关镇", "河口镇", "合计"}


def test_an_accusation_never_counts_for_the_accused_unit(client, login, ledger, make_petition):
    make_petition(received_on=date(2025, 9, 9), purpose=Purpose.accusation, accused_unit=ledger["bureau"],
                  lead_unit=ledger["town"], summary="检举某局干部", accepted_on=date(2025, 9, 10),
                  status=CaseStatus.accepted)
    login(Role.clerk, unit=ledger["town"])
    page = client.get("/stats/", query_string=YEAR_2025).get_data(as_text=True)
    assert row(page, "figure-total")["value"][0] == "6" and row(page, "figure-accepted")["value"][0] == "3"

    login(Role.clerk, unit=ledger["bureau"])                 # office staff of the accused unit
    page = client.get("/stats/", query_string=YEAR_2025).get_data(as_text=True)
    assert row(page, "figure-total")["value"][0] == "5" and row(page, "figure-accepted")["value"][0] == "2"
    rows = breakdown_rows(client.get("/stats/breakdown", query_string={"by": "purpose", **YEAR_2025})
                          .get_data(as_text=True))
    assert rows["合计"]["count total"][0] == "5" and not any("检举控告" in name for name in rows)

    login(Role.handler, unit=ledger["bureau"])
    page = client.get("/stats/", query_string=YEAR_2025).get_data(as_text=True)
    assert row(page, "figure-total")["value"][0] == "2"
    book = load_workbook(BytesIO(client.get("/stats/dashboard.xlsx", query_string=YEAR_2025).data))
    assert [sheet_row[1] for sheet_row in book.worksheets[0].iter_rows(values_only=True)][1] == 2

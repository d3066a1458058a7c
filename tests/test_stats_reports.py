"""The year's work report and the weekly package report, through their pages and workbooks, against a small ledger
whose figures are worked out by hand in the comments."""
from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from blueprints.cases.packages import week_start
from models import (
    AccountabilityForm,
    CaseStatus,
    Category,
    Channel,
    EventKind,
    Inspection,
    InspectionMethod,
    InspectionTarget,
    LeaderPost,
    NoticeEventKind,
    NoticeLevel,
    PetitionEvent,
    Purpose,
    Rating,
    ReceptionBatch,
    ReceptionRecord,
    RectificationItem,
    RectificationStatus,
    Role,
    SessionStatus,
    SupervisionNotice,
    SupervisionNoticeEvent,
    UnitKind,
)
from tests.conftest import ID_NUMBER, PHONE, persist

YEAR = 2025
D = date


def in_english(client):
    client.post("/auth/language/en")


def row_text(page: str, row_id: str) -> str:
    """The text of one table row, tags dropped and spaces collapsed; "" when the page has no such row."""
    match = re.search(rf'<tr id="{re.escape(row_id)}"[^>]*>(.*?)</tr>', page, re.S)
    if not match:
        return ""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def download(client, url: str):
    """(response, workbook) of a workbook URL; the response is closed, as a WSGI server closes the file it sent."""
    with client.get(url) as response:
        return response, load_workbook(io.BytesIO(response.data))


def status_of(client, url: str) -> int:
    with client.get(url) as response:
        return response.status_code


def sheet_rows(book, title: str) -> list[tuple]:
    return list(book[title].iter_rows(values_only=True))


# --- the ledger ---------------------------------------------------------------------------------------------------

@pytest.fixture
def ledger(app, make_unit, make_petition):
    """Cases on both sides of the year boundaries of 2025.

    2025: #1 visit 1 person (东城镇, 拆迁 under 城乡建设, accepted, closed), #2 letter (东城镇, 城乡建设, accepted),
          #3 collective visit of 6 (西山乡, 劳动), #4 phone on 31 Dec (西山乡, 劳动), #8 online (东城镇, 劳动).
    2024: #5 visit of 2 on 31 Dec (东城镇, 拆迁, accepted and closed in 2025), #6 letter (东城镇, 劳动).
    2026: #7 visit on 1 Jan (东城镇, 城乡建设): in neither year.
    """
    east, west = make_unit("东城镇"), make_unit("西山乡")
    building = persist(app, Category(name="城乡建设"))
    demolition = persist(app, Category(name="房屋拆迁与补偿", parent_id=building.id))
    labour = persist(app, Category(name="劳动和社会保障"))
    make_petition(received_on=D(2025, 1, 1), channel=Channel.visit, township_id=east.id, category_id=demolition.id,
                  accepted_on=D(2025, 1, 3), closed_on=D(2025, 2, 10), status=CaseStatus.closed)
    make_petition(received_on=D(2025, 3, 15), channel=Channel.letter, township_id=east.id, category_id=building.id,
                  accepted_on=D(2025, 3, 20), status=CaseStatus.in_progress)
    make_petition(received_on=D(2025, 6, 1), channel=Channel.visit, persons=6, is_collective=True,
                  township_id=west.id, category_id=labour.id)
    make_petition(received_on=D(2025, 12, 31), channel=Channel.phone, township_id=west.id, category_id=labour.id)
    make_petition(received_on=D(2024, 12, 31), channel=Channel.visit, persons=2, township_id=east.id,
                  category_id=demolition.id, accepted_on=D(2025, 1, 2), closed_on=D(2025, 1, 20),
                  status=CaseStatus.closed)
    make_petition(received_on=D(2024, 5, 5), channel=Channel.letter, township_id=east.id, category_id=labour.id)
    make_petition(received_on=D(2026, 1, 1), channel=Channel.visit, township_id=east.id, category_id=building.id)
    make_petition(received_on=D(2025, 8, 8), channel=Channel.online, township_id=east.id, category_id=labour.id)
    return {"east": east, "west": west, "building": building, "labour": labour}


@pytest.fixture
def supervision(app, make_unit, make_session):
    """Inspections, rectification items, notices and reception sessions around 2025 (counted in the tests)."""
    unit = make_unit("县住建局", kind=UnitKind.department)
    for day, rating in ((D(2025, 1, 1), Rating.passed), (D(2025, 6, 1), Rating.passed),
                        (D(2025, 12, 31), Rating.failed), (D(2024, 12, 31), Rating.basic),
                        (D(2026, 1, 1), Rating.basic)):
        persist(app, Inspection(target=InspectionTarget.unit, unit_id=unit.id, inspected_on=day,
                                method=InspectionMethod.on_site, inspectors="督查组", rating=rating))
    # (opened, deadline, closed): i1 signed off in 2025; i2 opened and signed off in 2025; i3 open, overdue at the
    # year end (deadline 30 Dec); i4 open, due on 31 Dec so not overdue yet; i5 open at the year end, overdue,
    # signed off in 2026; i6 opened in 2026.
    for opened, deadline, closed in ((D(2024, 11, 1), D(2024, 12, 1), D(2025, 3, 1)),
                                     (D(2025, 2, 1), D(2025, 5, 1), D(2025, 4, 20)),
                                     (D(2025, 6, 1), D(2025, 12, 30), None),
                                     (D(2025, 10, 1), D(2025, 12, 31), None),
                                     (D(2025, 11, 1), D(2025, 11, 30), D(2026, 1, 10)),
                                     (D(2026, 1, 5), D(2026, 3, 1), None)):
        persist(app, RectificationItem(
            unit_id=unit.id, responsible_person="李科长", problem="台账不全", measures="补齐台账", opened_on=opened,
            deadline=deadline, closed_on=closed, verified_on=closed,
            status=RectificationStatus.closed if closed else RectificationStatus.open))
    # Each notice: its history as (kind, level, day); the notice keeps the last level.
    issued, up = NoticeEventKind.issued, NoticeEventKind.escalated
    r, s, c, a = NoticeLevel.reminder, NoticeLevel.supervision, NoticeLevel.circulation, NoticeLevel.accountability
    for number, (history, form) in enumerate((
            ([(issued, r, D(2025, 3, 1)), (up, s, D(2025, 4, 1)), (up, c, D(2025, 5, 1)), (up, a, D(2025, 6, 1))],
             AccountabilityForm.criticism),
            ([(issued, s, D(2025, 7, 1))], None),
            ([(issued, r, D(2024, 12, 20)), (up, s, D(2025, 1, 5)), (up, c, D(2025, 2, 1)), (up, a, D(2025, 3, 1))],
             AccountabilityForm.admonition),
            ([(issued, s, D(2025, 11, 1)), (up, c, D(2025, 12, 1)), (up, a, D(2026, 1, 3))],
             AccountabilityForm.organisational),
            ([(issued, r, D(2025, 12, 31))], None)), start=1):
        notice = SupervisionNotice(number=f"督办〔测试〕第{number:04d}号", unit_id=unit.id, level=history[-1][1],
                                   issued_on=history[0][2], requirement="限期办理", accountability_form=form,
                                   accountability_decision="决定" if form else "")
        notice.events = [SupervisionNoticeEvent(kind=kind, level=level, happened_on=day)
                         for kind, level, day in history]
        persist(app, notice)
    # Sessions held in 2025: 3 Mar (batches of 1 and 5), 31 Dec (a batch of 2), 8 Aug (no batch), 5 May (not
    # recorded); 6 Jun only published. In 2024: 31 Dec (a batch of 3).
    for day, status, batches in ((D(2025, 3, 3), SessionStatus.held, [1, 5]),
                                 (D(2025, 12, 31), SessionStatus.held, [2]),
                                 (D(2025, 8, 8), SessionStatus.held, []), (D(2025, 5, 5), SessionStatus.held, None),
                                 (D(2025, 6, 6), SessionStatus.published, None),
                                 (D(2024, 12, 31), SessionStatus.held, [3])):
        session_id = make_session(day=day, status=status)
        if batches is not None:
            persist(app, ReceptionRecord(session_id=session_id, batches=[
                ReceptionBatch(petitioner_names="赵某某", persons=persons, matter="反映问题") for persons in batches]))


# --- the annual report page ---------------------------------------------------------------------------------------

def test_the_totals_compare_the_year_with_the_last_across_the_year_boundaries(client, login, ledger):
    login(Role.clerk)
    in_english(client)
    response = client.get(f"/stats/annual?year={YEAR}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Year 2025" in page
    # 2025: #1 #2 #3 #4 #8 = 5 items; 2024: #5 #6 = 2 → +3, +150.0 %.
    assert row_text(page, "line-total") == "Items (letters and visits) 5 2 +3 / +150.0%"
    # Visits: #1 #3 (1 + 6 persons) against #5 (2 persons).
    assert row_text(page, "line-visits") == "Visits (batches) 2 1 +1 / +100.0%"
    assert row_text(page, "line-visit_persons") == "Visits (persons) 7 2 +5 / +250.0%"
    # The collective visit #3; none in 2024, so no relative change.
    assert row_text(page, "line-collective") == "Collective visits (batches) 1 0 +1 / —"
    assert row_text(page, "line-collective_persons") == "Collective visits (persons) 6 0 +6 / —"
    assert row_text(page, "line-letters") == "Letters 1 1 ±0 / ±0.0%"
    assert row_text(page, "line-online") == "Online items 1 0 +1 / —"
    assert row_text(page, "line-phone") == "Phone items 1 0 +1 / —"
    # Accepted: #1 #2 of 5 = 40.0 %; 2024: #5 of 2 = 50.0 % → −10.0 points, −20.0 %.
    assert row_text(page, "line-accepted") == "Accepted as cases 2 1 +1 / +100.0%"
    assert row_text(page, "line-acceptance_rate") == "Acceptance rate 40.0% 50.0% −10.0 pt / −20.0%"
    # Closed: #1 of 2 accepted = 50.0 %; 2024: #5 of 1 = 100.0 % → −50.0 points, −50.0 %.
    assert row_text(page, "line-closed") == "Closed 1 1 ±0 / ±0.0%"
    assert row_text(page, "line-closure_rate") == "Closure rate 50.0% 100.0% −50.0 pt / −50.0%"
    # Nothing was evaluated in either year: the rate is — and so is its change.
    assert row_text(page, "line-satisfaction_rate") == "Satisfaction rate — — —"
    assert 'href="/cases/?figure=total&amp;from=2025-01-01&amp;to=2025-12-31"' in page
    assert 'href="/cases/?figure=total&amp;from=2024-01-01&amp;to=2024-12-31"' in page


def test_a_count_links_to_exactly_the_cases_it_counted(client, login, ledger):
    login(Role.clerk)
    page = client.get(f"/stats/annual?year={YEAR}").get_data(as_text=True)
    link = re.search(r'<tr id="line-visits".*?<a href="([^"]+)"', page, re.S).group(1)
    listed = client.get(html.unescape(link)).get_data(as_text=True)
    assert len(set(re.findall(r'href="/cases/(\d+)"', listed))) == 2  # #1 and #3


def test_the_top_categories_and_townships_carry_last_year_and_the_change(client, login, ledger):
    login(Role.clerk)
    in_english(client)
    page = client.get(f"/stats/annual?year={YEAR}").get_data(as_text=True)
    labour, building = ledger["labour"].id, ledger["building"].id
    # 劳动: #3 #4 #8 against #6; 城乡建设 with its subcategory: #1 #2 against #5 (#7 is 2026).
    assert row_text(page, f"category-{labour}") == "1 劳动和社会保障 3 1 +2 / +200.0%"
    assert row_text(page, f"category-{building}") == "2 城乡建设 2 1 +1 / +100.0%"
    assert page.index(f'id="category-{labour}"') < page.index(f'id="category-{building}"')
    east, west = ledger["east"].id, ledger["west"].id
    # 东城镇: #1 #2 #8 against #5 #6; 西山乡: #3 #4 against nothing.
    assert row_text(page, f"township-{east}") == "1 东城镇 3 2 +1 / +50.0%"
    assert row_text(page, f"township-{west}") == "2 西山乡 2 0 +2 / —"
    assert f'category={building}' in page and f'township={west}' in page


def test_only_ten_groups_are_ranked_most_items_first(client, login, make_unit, make_petition):
    login(Role.clerk)
    townships = [make_unit(f"乡镇{index:02d}") for index in range(12)]
    for index, township in enumerate(townships):
        for _ in range(index + 1):  # 乡镇00 one item … 乡镇11 twelve
            make_petition(received_on=D(YEAR, 5, 1), township_id=township.id)
    page = client.get(f"/stats/annual?year={YEAR}").get_data(as_text=True)
    ranked = re.findall(r'<tr id="township-(\d+)"', page)
    assert ranked == [str(township.id) for township in reversed(townships[2:])]
    assert row_text(page, f"township-{townships[11].id}").startswith("1 乡镇11 12 0")


def test_the_supervision_and_reception_of_the_year(client, login, supervision):
    login(Role.supervisor)
    in_english(client)
    page = client.get(f"/stats/annual?year={YEAR}").get_data(as_text=True)
    # Inspected 1 Jan, 1 Jun (passed), 31 Dec (failed); 31 Dec 2024 and 1 Jan 2026 are out.
    assert row_text(page, "rating-passed") == "Pass 2"
    assert row_text(page, "rating-basic") == "Basic pass 0"
    assert row_text(page, "rating-failed") == "Fail 1"
    assert row_text(page, "rating-all") == "All inspections 3"
    # Opened in 2025: i2 i3 i4 i5; signed off in 2025: i1 i2; open on 31 Dec: i3 i4 i5; overdue then: i3 i5.
    assert row_text(page, "items-opened") == "Opened in the year 4"
    assert row_text(page, "items-closed") == "Verified and signed off in the year 2"
    assert row_text(page, "items-open") == "Still open on 2025-12-31 3"
    assert row_text(page, "items-overdue") == "of which overdue on 2025-12-31 2"
    # Issued at 催办: n1 n5; at 督办: n2 n4, raised to it: n1 n3; to 通报: n1 n3 n4; to 问责: n1 n3 (n4 in 2026).
    assert row_text(page, "notice-reminder") == "Reminder 2 0 2"
    assert row_text(page, "notice-supervision") == "Formal supervision 2 2 4"
    assert row_text(page, "notice-circulation") == "Circulated criticism 0 3 3"
    assert row_text(page, "notice-accountability") == "Accountability 0 2 2"
    assert row_text(page, "form-criticism").endswith(" 1") and row_text(page, "form-admonition").endswith(" 1")
    assert row_text(page, "form-organisational").endswith(" 0") and row_text(page, "form-disciplinary").endswith(" 0")
    assert row_text(page, "form-all") == "All decisions 2"
    # Held: 3 Mar, 5 May, 8 Aug, 31 Dec against 31 Dec 2024; batches 1 + 5 and 2 against one of 3.
    assert row_text(page, "reception-held") == "Sessions held 4 1 +3 / +300.0%"
    assert row_text(page, "reception-batches") == "Batches received 3 1 +2 / +200.0%"
    assert row_text(page, "reception-persons") == "Persons received 8 3 +5 / +166.7%"
    assert "赵某某" not in page


def test_an_empty_year_shows_zeros_and_dashes(client, login):
    login(Role.admin)
    in_english(client)
    response = client.get("/stats/annual?year=2010")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert row_text(page, "line-total") == "Items (letters and visits) 0 0 ±0 / —"
    for key, label in (("acceptance_rate", "Acceptance rate"), ("closure_rate", "Closure rate"),
                       ("package_resolution", "Package case resolution rate")):
        assert row_text(page, f"line-{key}") == f"{label} — — —"
    assert page.count("No items in this year.") == 2
    assert row_text(page, "rating-all") == "All inspections 0"
    assert row_text(page, "items-open") == "Still open on 2010-12-31 0"
    assert row_text(page, "notice-accountability") == "Accountability 0 0 0"
    assert row_text(page, "reception-persons") == "Persons received 0 0 ±0 / —"


def test_the_current_year_by_default_with_a_print_button_and_the_workbook_link(client, login):
    login(Role.leader)
    in_english(client)
    year = date.today().year
    page = client.get("/stats/annual").get_data(as_text=True)
    assert f"Year {year}" in page and f'value="{year}"' in page
    assert "data-print" in page and 'src="/static/js/print.js"' in page
    assert f'href="/stats/annual.xlsx?year={year}"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script: the CSP forbids it
    assert f"Still open on {date.today().isoformat()}" in page  # the year is not over: open items as of today
    assert status_of(client, "/static/js/print.js") == 200


@pytest.mark.parametrize("value", ["abc", "1999", str(date.today().year + 2), "２０２５", "20 25", "-2025"])
def test_a_bad_year_is_named_and_kept(client, login, value):
    login(Role.clerk)
    in_english(client)
    for url in ("/stats/annual", "/stats/annual.xlsx"):
        response = client.get(url, query_string={"year": value})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Year:" in page and 'id="year-error"' in page
        assert f'value="{html.escape(value)}"' in page
        assert 'id="line-total"' not in page


def test_next_year_may_be_asked_for(client, login):
    login(Role.clerk)
    assert client.get(f"/stats/annual?year={date.today().year + 1}").status_code == 200


@pytest.mark.parametrize("role, status", [(Role.admin, 200), (Role.clerk, 200), (Role.supervisor, 200),
                                          (Role.leader, 200), (Role.handler, 403)])
def test_who_may_read_the_annual_report(client, login, role, status):
    login(role)
    assert client.get("/stats/annual").status_code == status
    assert status_of(client, "/stats/annual.xlsx") == status


def test_a_leader_counts_only_the_own_package_cases_and_what_is_addressed_to_them(app, client, login, make_leader,
                                                                                    make_petition, make_unit):
    user = login(Role.leader)
    me, other = make_leader(user=user), make_leader()
    make_petition(received_on=D(YEAR, 4, 1), leader=me)
    make_petition(received_on=D(YEAR, 4, 2), leader=other)
    make_petition(received_on=D(YEAR, 4, 3))
    unit = make_unit(kind=UnitKind.department)
    for leader in (me, other):
        persist(app, Inspection(target=InspectionTarget.receptions, leader_id=leader.id, inspected_on=D(YEAR, 5, 1),
                                method=InspectionMethod.ledger_review, inspectors="督查组", rating=Rating.failed))
        persist(app, RectificationItem(unit_id=unit.id, leader_id=leader.id, responsible_person="王", problem="问题",
                                       measures="措施", opened_on=D(YEAR, 5, 2), deadline=D(YEAR, 6, 1),
                                       status=RectificationStatus.open))
    in_english(client)
    page = client.get(f"/stats/annual?year={YEAR}").get_data(as_text=True)
    assert row_text(page, "line-total") == "Items (letters and visits) 1 0 +1 / —"
    assert row_text(page, "rating-all") == "All inspections 1"
    assert row_text(page, "items-opened") == "Opened in the year 1"
    login(Role.clerk)
    in_english(client)
    page = client.get(f"/stats/annual?year={YEAR}").get_data(as_text=True)
    assert row_text(page, "line-total") == "Items (letters and visits) 3 0 +3 / —"
    assert row_text(page, "rating-all") == "All inspections 2" and row_text(page, "items-opened").endswith(" 2")


def test_an_accusation_never_counts_for_the_accused_unit(client, login, make_unit, make_petition):
    accused = make_unit("县自然资源局", kind=UnitKind.department)
    make_petition(received_on=D(YEAR, 2, 1), purpose=Purpose.accusation, accused_unit=accused)
    make_petition(received_on=D(YEAR, 2, 2))
    login(Role.clerk, unit=accused)
    in_english(client)
    page = client.get(f"/stats/annual?year={YEAR}").get_data(as_text=True)
    assert row_text(page, "line-total") == "Items (letters and visits) 1 0 +1 / —"


# --- the annual workbook ------------------------------------------------------------------------------------------

def test_the_workbook_has_one_sheet_per_table_with_the_page_figures(client, login, ledger, supervision):
    login(Role.clerk)
    in_english(client)
    response, book = download(client, f"/stats/annual.xlsx?year={YEAR}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "2025.xlsx" in response.headers["Content-Disposition"]
    assert book.sheetnames == ["Totals", "Top categories", "Top townships", "Inspections", "Rectification", "Notices",
                               "Accountability", "Reception"]
    totals = {row[0]: row[1:] for row in sheet_rows(book, "Totals")}
    assert totals["Figure"] == ("2025", "2024", "Change", "Change (%)")
    assert totals["Items (letters and visits)"] == (5, 2, 3, 150.0)
    assert totals["Collective visits (batches)"] == (1, 0, 1, "—")
    assert totals["Acceptance rate"] == (40.0, 50.0, -10.0, -20.0)
    assert totals["Closure rate"] == (50.0, 100.0, -50.0, -50.0)
    assert totals["Satisfaction rate"] == ("—", "—", "—", "—")
    rate_row = next(row for row in book["Totals"].iter_rows() if row[0].value == "Acceptance rate")
    assert rate_row[1].number_format == '0.0"%"'  # the number 40.0 shows as 40.0%
    assert sheet_rows(book, "Top categories")[1:] == [(1, "劳动和社会保障", 3, 1, 2, 200.0),
                                                     (2, "城乡建设", 2, 1, 1, 100.0)]
    assert sheet_rows(book, "Top townships")[1:] == [(1, "东城镇", 3, 2, 1, 50.0), (2, "西山乡", 2, 0, 2, "—")]
    assert sheet_rows(book, "Inspections")[1:] == [("Pass", 2), ("Basic pass", 0), ("Fail", 1), ("All inspections", 3)]
    assert [row[1] for row in sheet_rows(book, "Rectification")[1:]] == [4, 2, 3, 2]
    assert sheet_rows(book, "Notices")[1:] == [("Reminder", 2, 0, 2), ("Formal supervision", 2, 2, 4),
                                              ("Circulated criticism", 0, 3, 3), ("Accountability", 0, 2, 2)]
    assert [row[1] for row in sheet_rows(book, "Accountability")[1:]] == [1, 1, 0, 0, 2]
    assert sheet_rows(book, "Reception") == [("Reception", "2025", "2024", "Change", "Change (%)"),
                                             ("Sessions held", 4, 1, 3, 300.0), ("Batches received", 3, 1, 2, 200.0),
                                             ("Persons received", 8, 3, 5, 166.7)]
    cells = {str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row}
    assert not cells & {"王某", ID_NUMBER, PHONE, "赵某某"}


def test_an_empty_year_workbook_has_zeros_and_dashes(client, login):
    login(Role.supervisor)
    in_english(client)
    _, book = download(client, "/stats/annual.xlsx?year=2010")
    totals = {row[0]: row[1:] for row in sheet_rows(book, "Totals")}
    assert totals["Items (letters and visits)"] == (0, 0, 0, "—")
    assert totals["Acceptance rate"] == ("—", "—", "—", "—")
    assert sheet_rows(book, "Top categories")[1:] == []
    assert sheet_rows(book, "Reception")[1:] == [("Sessions held", 0, 0, 0, "—"), ("Batches received", 0, 0, 0, "—"),
                                                ("Persons received", 0, 0, 0, "—")]


def test_a_name_that_looks_like_a_formula_stays_text(app, client, login, make_unit, make_petition):
    township = make_unit("=1+1")
    make_petition(received_on=D(YEAR, 3, 1), township_id=township.id)
    login(Role.clerk)
    _, book = download(client, f"/stats/annual.xlsx?year={YEAR}")
    cell = book.worksheets[2]["B2"]  # the top townships
    assert cell.value == "=1+1" and cell.data_type == "s"


# --- the weekly package report ------------------------------------------------------------------------------------

MONDAY = week_start(date.today())


@pytest.fixture
def packages(app, make_leader, make_petition, make_unit):
    """Two leaders' package cases this week: one with entries, one quiet and overdue, one quiet; a case that is no
    package; a case closed long ago."""
    zhang, li = make_leader(name="张副县长"), make_leader(name="李副县长")
    unit = make_unit("县人社局", kind=UnitKind.department)
    cases = {
        "reported": make_petition(summary="本周有进展", leader=zhang, status=CaseStatus.in_progress, lead_unit=unit,
                                  due_on=MONDAY + timedelta(days=40), received_on=MONDAY - timedelta(days=30)),
        "late": make_petition(summary="超期的案", leader=zhang, status=CaseStatus.in_progress,
                              due_on=MONDAY - timedelta(days=3), received_on=MONDAY - timedelta(days=80)),
        "quiet": make_petition(summary="李的案", leader=li, status=CaseStatus.accepted,
                               due_on=MONDAY + timedelta(days=50), received_on=MONDAY - timedelta(days=10)),
    }
    make_petition(summary="不是包案", status=CaseStatus.in_progress)
    make_petition(summary="早已办结", leader=li, status=CaseStatus.closed, received_on=MONDAY - timedelta(days=200))
    for on, text in ((MONDAY, "约谈信访人"), (MONDAY + timedelta(days=1), "召开协调会"),
                     (MONDAY - timedelta(days=1), "上周的进展")):
        persist(app, PetitionEvent(petition_id=cases["reported"], kind=EventKind.progress, happened_on=on, text=text))
    return {"zhang": zhang, "li": li, **cases}


def test_the_weekly_workbook_rows_agree_with_the_weekly_page(app, client, login, packages):
    login(Role.clerk)
    in_english(client)
    week = MONDAY.isoformat()
    page = client.get(f"/cases/weekly?week={week}").get_data(as_text=True)
    response, book = download(client, f"/cases/weekly.xlsx?week={week}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"{week}.xlsx" in response.headers["Content-Disposition"]
    assert len(book.sheetnames) == 1
    header, *rows = sheet_rows(book, book.sheetnames[0])
    assert header == ("Responsible leader", "Title", "Number", "Summary of the matter", "Lead unit", "Status", "Due",
                      "Days overdue", "With entries this week", "Entries this week")
    numbers_on_page = re.findall(r'<tr id="case-\d+"[^>]*>\s*<td class="nowrap"><a href="[^"]+">([^<]+)</a>', page)
    assert [row[2] for row in rows] == numbers_on_page and len(rows) == 3
    by_summary = {row[3]: row for row in rows}
    reported, late, quiet = by_summary["本周有进展"], by_summary["超期的案"], by_summary["李的案"]
    assert reported[0] == late[0] == "张副县长" and quiet[0] == "李副县长"
    assert reported[4] == "县人社局" and reported[5] == "In progress" and reported[8] == "Yes"
    tuesday = MONDAY + timedelta(days=1)
    assert reported[9].splitlines() == [f"{MONDAY.isoformat()} Progress · unknown author: 约谈信访人",
                                        f"{tuesday.isoformat()} Progress · unknown author: 召开协调会"]
    assert late[7] == (date.today() - (MONDAY - timedelta(days=3))).days and late[8] == "No" and late[9] is None
    assert late[6].date() == MONDAY - timedelta(days=3)
    assert reported[7] is None and quiet[7] is None
    cells = {str(value) for row in rows for value in row}
    assert not cells & {"王某", ID_NUMBER, PHONE} and "不是包案" not in cells and "早已办结" not in cells


def test_the_weekly_page_prints_and_links_to_its_workbook(client, login, packages):
    login(Role.supervisor)
    in_english(client)
    page = client.get("/cases/weekly").get_data(as_text=True)
    assert "data-print" in page and 'src="/static/js/print.js"' in page
    assert f'href="/cases/weekly.xlsx?week={MONDAY.isoformat()}"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "王某" not in page and PHONE not in page


def test_a_bad_week_gives_this_weeks_workbook(client, login, packages):
    login(Role.clerk)
    response, _ = download(client, "/cases/weekly.xlsx?week=notadate")
    assert response.status_code == 200
    assert f"{MONDAY.isoformat()}.xlsx" in response.headers["Content-Disposition"]
    assert "notadate" not in client.get("/cases/weekly").get_data(as_text=True)  # no warning left for later


@pytest.mark.parametrize("role, post, status", [
    (Role.admin, None, 200), (Role.clerk, None, 200), (Role.supervisor, None, 200), (Role.handler, None, 403),
    (Role.leader, LeaderPost.county_head, 200), (Role.leader, LeaderPost.county_leader, 403), (Role.leader, None, 403)])
def test_the_weekly_workbook_has_the_readers_of_the_weekly_page(client, login, make_leader, role, post, status):
    user = login(role)
    if post is not None:
        make_leader(post=post, user=user)
    assert status_of(client, "/cases/weekly.xlsx") == status
    assert client.get("/cases/weekly").status_code == status


def test_the_main_leaders_workbook_leaves_out_an_accusation_against_their_unit(client, login, make_unit, make_leader,
                                                                               make_petition):
    county = make_unit("县委办", kind=UnitKind.county)
    main = login(Role.leader, unit=county)
    make_leader(post=LeaderPost.county_secretary, user=main, unit=county)
    deputy = make_leader()
    make_petition(summary="检举县委办干部", purpose=Purpose.accusation, accused_unit=county, leader=deputy,
                  status=CaseStatus.in_progress)
    make_petition(summary="普通包案", leader=deputy, status=CaseStatus.in_progress)
    _, book = download(client, "/cases/weekly.xlsx")
    summaries = [row[3] for row in sheet_rows(book, book.sheetnames[0])[1:]]
    assert summaries == ["普通包案"]


"""Package cases through the pages: a leader's own cases with clocks, and the weekly report to the main leader."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from blueprints.cases.packages import parse_week, week_start
from models import CaseStatus, EventKind, LeaderPost, PetitionEvent, Purpose, Role, UnitKind, db
from tests.conftest import persist

TODAY = date.today()
MONDAY = week_start(TODAY)


def in_english(client):
    client.post("/auth/language/en")


def add_event(app, petition_id, on, text="", kind=EventKind.progress, author=None):
    persist(app, PetitionEvent(petition_id=petition_id, kind=kind, happened_on=on, text=text,
                               author_id=author.id if author else None))


def row(page: str, petition_id: int) -> str:
    """The table row of one case, or "" when the page does not list it."""
    match = re.search(rf'<tr id="case-{petition_id}".*?</tr>', page, re.S)
    return match.group(0) if match else ""


def leader_section(page: str, leader) -> tuple[str, str]:
    """A leader's part of the weekly report, split into (cases with entries, cases without)."""
    match = re.search(rf'<section class="package-leader" id="leader-{leader.id}">.*?</section>', page, re.S)
    assert match, f"no section for {leader.name}"
    changed, _, quiet = match.group(0).partition('<table class="table quiet">')
    return changed, quiet


def test_a_leader_sees_only_own_package_cases_with_clocks_duties_and_latest_entry(app, client, login, make_leader,
                                                                                   make_petition):
    user = login(Role.leader)
    in_english(client)
    me = make_leader(user=user)
    late = make_petition(summary="拖了很久的案", leader=me, status=CaseStatus.in_progress,
                         due_on=TODAY - timedelta(days=3), duty_facts=True, duty_guide=True)
    soon = make_petition(summary="快到期的案", leader=me, status=CaseStatus.in_progress,
                         due_on=TODAY + timedelta(days=2))
    done = make_petition(summary="已办结的案", leader=me, status=CaseStatus.closed,
                         received_on=TODAY - timedelta(days=90))
    others = make_petition(summary="别人包的案", leader=make_leader(), status=CaseStatus.in_progress)
    make_petition(summary="无人包案")
    add_event(app, late, TODAY - timedelta(days=20), "初次约谈信访人")
    add_event(app, late, TODAY - timedelta(days=1), "已召开协调会", author=user)

    response = client.get("/cases/mine")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "别人包的案" not in page and "无人包案" not in page and not row(page, others)
    assert page.index(f'id="case-{late}"') < page.index(f'id="case-{soon}"') < page.index(f'id="case-{done}"')
    assert "Overdue by 3 days" in row(page, late) and "Due in 2 days" in row(page, soon)
    assert "Closed" in row(page, done) and f'href="/cases/{late}"' in row(page, late)
    assert "已召开协调会" in row(page, late) and "初次约谈信访人" not in page  # only the latest entry
    assert row(page, late).count('class="done"') == 2 and row(page, soon).count('class="done"') == 0
    assert 'href="/cases/weekly"' not in page  # the report link is for the main leaders


def test_my_package_cases_take_the_same_number_of_queries_for_few_or_many_cases(app, client, login, make_leader,
                                                                               make_petition):
    user = login(Role.leader)
    me = make_leader(user=user)

    def queries_for_page():
        statements = []
        with app.app_context():
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert client.get("/cases/mine").status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    for _ in range(2):
        make_petition(leader=me, status=CaseStatus.in_progress)
    few = queries_for_page()
    assert few > 0
    for _ in range(6):
        petition_id = make_petition(leader=me, status=CaseStatus.in_progress, due_on=TODAY)
        add_event(app, petition_id, TODAY, "进展")
    assert queries_for_page() == few


@pytest.mark.parametrize("role", [Role.handler, Role.clerk, Role.supervisor])
def test_my_package_cases_are_for_leaders_only(client, login, role):
    login(role)
    assert client.get("/cases/mine").status_code == 403


def test_an_admin_may_open_my_package_cases_and_finds_none(client, login, make_leader, make_petition):
    make_petition(summary="某领导的包案", leader=make_leader(), status=CaseStatus.in_progress)
    login(Role.admin)
    response = client.get("/cases/mine")
    assert response.status_code == 200 and "某领导的包案" not in response.get_data(as_text=True)


def test_the_weekly_report_shows_entries_by_case_and_leader_and_the_cases_without_progress(
        app, client, login, make_leader, make_petition):
    main = login(Role.leader)
    in_english(client)
    make_leader(name="县委书记", post=LeaderPost.county_secretary, user=main)
    zhang, li = make_leader(name="张副县长"), make_leader(name="李副县长")
    reported = make_petition(summary="本周有进展", leader=zhang, status=CaseStatus.in_progress,
                             due_on=TODAY + timedelta(days=30), received_on=MONDAY - timedelta(days=30))
    silent = make_petition(summary="本周无进展", leader=zhang, status=CaseStatus.in_progress,
                           due_on=TODAY + timedelta(days=20), received_on=MONDAY - timedelta(days=30))
    late = make_petition(summary="超期的案", leader=zhang, status=CaseStatus.in_progress,
                         due_on=TODAY - timedelta(days=1), received_on=MONDAY - timedelta(days=80))
    closed_long_ago = make_petition(summary="早已办结", leader=li, status=CaseStatus.closed,
                                    received_on=MONDAY - timedelta(days=200))
    li_case = make_petition(summary="李的案", leader=li, status=CaseStatus.accepted,
                            received_on=MONDAY - timedelta(days=10))
    make_petition(summary="不是包案", status=CaseStatus.in_progress)
    with app.app_context():
        author = db.session.get(type(main), main.id)
        author_name = author.display_name
    add_event(app, reported, MONDAY, "约谈信访人，达成初步意见", author=main)
    add_event(app, reported, MONDAY - timedelta(days=1), "上周的进展")
    add_event(app, li_case, MONDAY, "", kind=EventKind.extension_requested, author=main)

    response = client.get("/cases/weekly")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert MONDAY.isoformat() in page and (MONDAY + timedelta(days=6)).isoformat() in page
    assert "不是包案" not in page and "早已办结" not in page and not row(page, closed_long_ago)
    changed, quiet = leader_section(page, zhang)
    assert "约谈信访人，达成初步意见" in row(changed, reported) and author_name in row(changed, reported)
    assert "Progress" in row(changed, reported) and "上周的进展" not in page
    assert row(quiet, silent) and row(quiet, late) and not row(changed, silent)
    assert quiet.index(f'id="case-{late}"') < quiet.index(f'id="case-{silent}"')  # overdue on top
    assert 'class="overdue"' in row(quiet, late) and "Overdue by 1 days" in row(quiet, late)
    assert 'class="overdue"' not in row(quiet, silent)
    assert "3 package cases, 1 with entries this week, 1 overdue." in changed
    li_changed, li_quiet = leader_section(page, li)
    assert "Extension requested" in row(li_changed, li_case) and not li_quiet
    assert "No progress reported this week" in page


def test_a_past_week_shows_its_own_entries_and_pages_by_week(app, client, login, make_leader, make_petition):
    login(Role.clerk)
    in_english(client)
    leader = make_leader()
    earlier = MONDAY - timedelta(days=14)
    petition_id = make_petition(summary="两周前的进展", leader=leader, status=CaseStatus.in_progress,
                                received_on=earlier - timedelta(days=10))
    closed = make_petition(summary="那周办结", leader=leader, status=CaseStatus.closed,
                           received_on=earlier - timedelta(days=10))
    add_event(app, petition_id, earlier + timedelta(days=2), "那一周的约谈")
    add_event(app, closed, earlier + timedelta(days=4), "", kind=EventKind.closed)
    newer = make_petition(summary="后来才收到", leader=leader, status=CaseStatus.in_progress)

    page = client.get(f"/cases/weekly?week={(earlier + timedelta(days=3)).isoformat()}").get_data(as_text=True)
    assert f"week of {earlier.isoformat()} to {(earlier + timedelta(days=6)).isoformat()}" in page
    changed, quiet = leader_section(page, leader)
    assert "那一周的约谈" in row(changed, petition_id) and row(changed, closed) and not row(page, newer)
    assert f'href="/cases/weekly?week={(earlier - timedelta(days=7)).isoformat()}"' in page
    assert f'href="/cases/weekly?week={(earlier + timedelta(days=7)).isoformat()}"' in page
    this_week = client.get("/cases/weekly").get_data(as_text=True)
    assert "那一周的约谈" not in this_week and row(leader_section(this_week, leader)[1], petition_id)


@pytest.mark.parametrize("value", ["notadate", "2026-13-40", "0001-01-01", "９９"])
def test_a_bad_week_is_reported_and_this_week_shown(client, login, value):
    login(Role.supervisor)
    in_english(client)
    response = client.get("/cases/weekly", query_string={"week": value})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Week:" in page and "is not a date of the form YYYY-MM-DD" in page
    assert f"week of {MONDAY.isoformat()}" in page


@pytest.mark.parametrize("post, status", [
    (LeaderPost.county_secretary, 200), (LeaderPost.county_head, 200),
    (LeaderPost.county_leader, 403), (LeaderPost.township_secretary, 403), (None, 403)])
def test_only_the_main_leaders_among_leaders_may_read_the_weekly_report(client, login, make_leader, post, status):
    user = login(Role.leader)
    if post is not None:
        make_leader(post=post, user=user)
    assert client.get("/cases/weekly").status_code == status


@pytest.mark.parametrize("role, status", [(Role.admin, 200), (Role.clerk, 200), (Role.supervisor, 200),
                                          (Role.handler, 403)])
def test_office_roles_read_the_weekly_report_and_units_do_not(client, login, role, status):
    login(role)
    assert client.get("/cases/weekly").status_code == status


def test_the_main_leader_never_sees_an_accusation_against_the_own_unit(client, login, make_unit, make_leader,
                                                                       make_petition):
    county = make_unit("县委办", kind=UnitKind.county)
    main = login(Role.leader, unit=county)
    make_leader(post=LeaderPost.county_head, user=main, unit=county)
    deputy = make_leader(name="王副县长")
    secret = make_petition(summary="检举县委办干部", purpose=Purpose.accusation, accused_unit=county, leader=deputy,
                           status=CaseStatus.in_progress)
    other = make_petition(summary="普通包案", leader=deputy, status=CaseStatus.in_progress)
    page = client.get("/cases/weekly").get_data(as_text=True)
    assert "普通包案" in page and "检举县委办干部" not in page and not row(page, secret)
    assert client.get(f"/cases/{other}").status_code == 200  # the main leader opens any package case from it
    assert client.get(f"/cases/{secret}").status_code == 404


def test_other_leaders_still_see_only_their_own_package_cases(client, login, make_leader, make_petition):
    user = login(Role.leader)
    make_leader(post=LeaderPost.county_leader, user=user)
    other = make_petition(summary="别人的包案", leader=make_leader(), status=CaseStatus.in_progress)
    assert client.get(f"/cases/{other}").status_code == 404
    assert "别人的包案" not in client.get("/cases/").get_data(as_text=True)


def test_the_navigation_offers_the_package_pages_to_their_readers(client, login, make_leader):
    user = login(Role.leader)
    make_leader(post=LeaderPost.county_secretary, user=user)
    home = client.get("/auth/home").get_data(as_text=True)
    assert 'href="/cases/mine"' in home and 'href="/cases/weekly"' not in home
    assert 'href="/cases/weekly"' in client.get("/cases/mine").get_data(as_text=True)
    client.post("/auth/logout")
    login(Role.clerk)
    home = client.get("/auth/home").get_data(as_text=True)
    assert 'href="/cases/weekly"' in home and 'href="/cases/mine"' not in home


def test_parse_week_gives_the_monday_or_none():
    assert parse_week("2026-05-06") == date(2026, 5, 4)
    assert parse_week("2026-05-04") == date(2026, 5, 4)
    assert parse_week(" 2026-05-10 ") == date(2026, 5, 4)
    for value in ("", None, "2026-02-30", "yesterday", "0001-01-01", "9999-12-31"):
        assert parse_week(value) is None

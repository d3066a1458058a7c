"""Campaigns (专项活动) through the pages: tagging by period, township and category (idempotent, narrowed by an
edit), the figures against a ledger counted on paper, every figure's link, who may do what, the CLI command, bad
input and stale edits."""
import re
from datetime import date, timedelta
from html import unescape

import pytest

from blueprints.stats.campaigns import latest_end
from models import Campaign, CampaignCase, CaseStatus, Category, Petition, Purpose, Resolution, Role, UnitKind, db

MARCH = ("2026-03-01", "2026-03-31")


def d(text: str) -> date:
    return date.fromisoformat(text)


def create(client, name="大排查大调处", period=MARCH, township=None, category_id=None, description="", status=302):
    response = client.post("/stats/campaigns/new", data={
        "name": name, "starts_on": period[0], "ends_on": period[1], "township_id": township.id if township else "",
        "category_id": category_id or "", "description": description})
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 302:
        return int(re.fullmatch(r"/stats/campaigns/(\d+)", response.headers["Location"]).group(1))
    return response


def edit(client, campaign_id, **changes):
    """Post the edit form as loaded, with some fields changed."""
    page = client.get(f"/stats/campaigns/{campaign_id}/edit").get_data(as_text=True)
    data = {name: unescape(value) for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page)}
    for name, options in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = [attrs for attrs in re.findall(r"<option([^>]*)>", options) if "selected" in attrs]
        data[name] = re.search(r'value="([^"]*)"', chosen[0]).group(1) if chosen else ""
    data["description"] = unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1)).strip()
    data.update(changes)
    return client.post(f"/stats/campaigns/{campaign_id}/edit", data=data)


def tags(app, campaign_id) -> dict[int, tuple[bool, bool]]:
    with app.app_context():
        return {row.petition_id: (row.found, row.handled) for row in db.session.scalars(
            db.select(CampaignCase).where(CampaignCase.campaign_id == campaign_id))}


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The cells of a table's body rows as text."""
    table = re.search(rf'<table class="table" id="{table_id}">(.*?)</table>', html, re.S).group(1)
    body = table.split("<tbody>", 1)[1]
    return [[" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def listed(client, url: str) -> int:
    page = client.get(url).get_data(as_text=True)
    return len(re.findall(r'<a href="/cases/\d+">', page))


# --- tagging ------------------------------------------------------------------------------------------------------

def test_found_and_handled_in_the_period_within_the_township(app, client, login, make_unit, make_petition):
    login(Role.clerk)
    east, west = make_unit("东镇"), make_unit("西镇")
    found = make_petition(received_on=d("2026-03-02"), township_id=east.id)
    handled = make_petition(received_on=d("2026-02-10"), township_id=east.id, accepted_on=d("2026-02-11"),
                            closed_on=d("2026-03-15"), status=CaseStatus.closed)
    both = make_petition(received_on=d("2026-03-31"), township_id=east.id, accepted_on=d("2026-03-31"),
                         closed_on=d("2026-03-31"), status=CaseStatus.closed)
    make_petition(received_on=d("2026-03-10"), township_id=west.id)  # another township
    make_petition(received_on=d("2026-04-01"), township_id=east.id)  # after the period
    make_petition(received_on=d("2026-02-28"), township_id=east.id, accepted_on=d("2026-02-28"),
                  closed_on=d("2026-04-01"), status=CaseStatus.closed)  # neither received nor closed in it
    campaign_id = create(client, township=east)
    assert tags(app, campaign_id) == {found: (True, False), handled: (False, True), both: (True, True)}
    whole_county = create(client, name="全县大排查")
    assert len(tags(app, whole_county)) == 4


def test_a_first_level_category_takes_in_its_subcategories(app, client, login, make_petition):
    login(Role.clerk)
    with app.app_context():
        building = Category(name="城乡建设")
        other = Category(name="民政")
        db.session.add_all([building, other])
        db.session.flush()
        demolition = Category(name="房屋拆迁与补偿", parent_id=building.id)
        db.session.add(demolition)
        db.session.commit()
        building, other, demolition = building.id, other.id, demolition.id
    parent_case = make_petition(received_on=d("2026-03-03"), category_id=building)
    child_case = make_petition(received_on=d("2026-03-04"), category_id=demolition)
    make_petition(received_on=d("2026-03-05"), category_id=other)
    make_petition(received_on=d("2026-03-06"))  # no category
    assert set(tags(app, create(client, category_id=building))) == {parent_case, child_case}
    assert set(tags(app, create(client, name="拆迁专项", category_id=demolition))) == {child_case}


def test_tagging_again_changes_nothing_and_follows_the_cases(app, client, login, make_unit, make_petition):
    login(Role.admin)
    township = make_unit("南镇")
    first = make_petition(received_on=d("2026-03-02"), township_id=township.id, accepted_on=d("2026-03-03"))
    campaign_id = create(client)
    before = tags(app, campaign_id)
    with app.app_context():
        versions = db.session.scalar(db.select(Campaign.version).where(Campaign.id == campaign_id))
    for _ in range(2):
        assert client.post(f"/stats/campaigns/{campaign_id}/tag").status_code == 302
        assert tags(app, campaign_id) == before == {first: (True, False)}
    with app.app_context():  # re-tagging does not touch the campaign itself (no version bump, no audit noise)
        assert db.session.scalar(db.select(Campaign.version).where(Campaign.id == campaign_id)) == versions
        petition = db.session.get(Petition, first)
        petition.closed_on, petition.status = d("2026-03-20"), CaseStatus.closed
        db.session.commit()
    later = make_petition(received_on=d("2026-03-25"))
    client.post(f"/stats/campaigns/{campaign_id}/tag")
    assert tags(app, campaign_id) == {first: (True, True), later: (True, False)}


def test_an_edit_that_narrows_the_scope_removes_the_tags_that_no_longer_match(app, client, login, make_unit,
                                                                               make_petition):
    login(Role.clerk)
    east, west = make_unit("东镇"), make_unit("西镇")
    early = make_petition(received_on=d("2026-03-02"), township_id=east.id, accepted_on=d("2026-03-02"),
                          closed_on=d("2026-03-28"), status=CaseStatus.closed)
    west_case = make_petition(received_on=d("2026-03-03"), township_id=west.id)
    late = make_petition(received_on=d("2026-03-20"), township_id=east.id)
    campaign_id = create(client)
    assert set(tags(app, campaign_id)) == {early, west_case, late}
    assert edit(client, campaign_id, township_id=str(east.id)).status_code == 302
    assert set(tags(app, campaign_id)) == {early, late}
    assert edit(client, campaign_id, ends_on="2026-03-15").status_code == 302
    assert tags(app, campaign_id) == {early: (True, False)}  # closed after the new end: no longer handled
    assert edit(client, campaign_id, township_id="", ends_on="2026-03-31").status_code == 302
    assert tags(app, campaign_id) == {early: (True, True), west_case: (True, False), late: (True, False)}


# --- figures ------------------------------------------------------------------------------------------------------

@pytest.fixture
def ledger(app, make_unit, make_leader, make_petition):
    """A campaign's ledger (March 2026, the whole county), with the figures counted on paper in the tests."""
    one, two = make_unit("一镇"), make_unit("二镇")
    first, second = make_leader(name="甲领导"), make_leader(name="乙领导")
    closed = {"status": CaseStatus.closed}
    cases = {
        # found, handled, closed, dispute, mediated
        "a": make_petition(received_on=d("2026-03-02"), township_id=one.id, leader=first, accepted_on=d("2026-03-03"),
                           closed_on=d("2026-03-20"), resolution=Resolution.mediation, **closed),
        # found, dispute (open)
        "b": make_petition(received_on=d("2026-03-05"), township_id=one.id, leader=first, accepted_on=d("2026-03-06"),
                           status=CaseStatus.in_progress),
        # handled only, closed, dispute settled otherwise; no leader
        "c": make_petition(received_on=d("2026-02-10"), township_id=one.id, accepted_on=d("2026-02-11"),
                           closed_on=d("2026-03-15"), resolution=Resolution.settlement, **closed),
        # found, handled, closed, a suggestion: no dispute
        "d": make_petition(received_on=d("2026-03-10"), township_id=two.id, leader=second, purpose=Purpose.suggestion,
                           accepted_on=d("2026-03-11"), closed_on=d("2026-03-25"), **closed),
        # found, not accepted: no dispute
        "e": make_petition(received_on=d("2026-03-12"), township_id=two.id, leader=second),
        # found, closed after the period, dispute, mediated; no township, no leader
        "f": make_petition(received_on=d("2026-03-31"), accepted_on=d("2026-03-31"), closed_on=d("2026-04-05"),
                           resolution=Resolution.mediation, **closed),
        # not in the campaign
        "g": make_petition(received_on=d("2026-02-01"), township_id=one.id, accepted_on=d("2026-02-01"),
                           closed_on=d("2026-04-02"), **closed),
        "h": make_petition(received_on=d("2026-04-01"), township_id=two.id),
    }
    return {"units": (one, two), "leaders": (first, second), "cases": cases}


def test_the_figures_agree_with_the_ledger_counted_on_paper(app, client, login, ledger):
    login(Role.clerk)
    campaign_id = create(client)
    page = client.get(f"/stats/campaigns/{campaign_id}").get_data(as_text=True)
    # columns: tagged, found, handled, closed, disputes, mediated, 调结率
    # tagged a b c d e f = 6; found a b d e f = 5; handled a c d = 3; closed a c d f = 4;
    # disputes (accepted claims) a b c f = 4; mediated a f = 2; 2 ÷ 4 = 50.0%
    assert table_rows(page, "campaign-totals") == [["6", "5", "3", "4", "4", "2", "50.0%"]]
    townships = {row[0]: row[1:] for row in table_rows(page, "campaign-townships")}
    # 一镇 a b c: found a b, handled a c, closed a c, disputes a b c, mediated a → 1 ÷ 3 = 33.3%
    assert townships.pop("一镇") == ["3", "2", "2", "2", "3", "1", "33.3%"]
    # 二镇 d e: found d e, handled d, closed d, no dispute → —
    assert townships.pop("二镇") == ["2", "2", "1", "1", "0", "0", "—"]
    # without a township: f
    assert list(townships.values()) == [["1", "1", "0", "1", "1", "1", "100.0%"]]
    leaders = {row[0].split()[0]: row[1:] for row in table_rows(page, "campaign-leaders")}
    assert leaders.pop("甲领导") == ["2", "2", "1", "1", "2", "1", "50.0%"]  # a b
    assert leaders.pop("乙领导") == ["2", "2", "1", "1", "0", "0", "—"]  # d e
    assert list(leaders.values()) == [["2", "1", "1", "2", "2", "1", "50.0%"]]  # c f: found f, handled c


def test_every_figure_links_to_as_many_cases_as_it_says(app, client, login, ledger):
    login(Role.clerk)
    campaign_id = create(client)
    page = client.get(f"/stats/campaigns/{campaign_id}").get_data(as_text=True)
    links = re.findall(r'<a href="(/cases/\?[^"]*campaign=[^"]*)">(\d+)</a>', page)
    assert len(links) == 6 + 2 * 6 + 2 * 6  # the totals, two townships and two leaders (the rest has no filter)
    for url, shown in links:
        assert listed(client, unescape(url)) == int(shown), url
    assert listed(client, f"/cases/?campaign={campaign_id}") == 6
    assert listed(client, f"/cases/?campaign={campaign_id + 1}") == 0  # an unknown campaign lists nothing


def test_the_list_and_the_case_page_name_the_campaign(app, client, login, ledger):
    login(Role.clerk)
    campaign_id = create(client, name="春季大排查")
    listing = client.get("/stats/campaigns").get_data(as_text=True)
    assert "春季大排查" in listing and f"/stats/campaigns/{campaign_id}" in listing
    case_page = client.get(f"/cases/{ledger['cases']['a']}").get_data(as_text=True)
    assert f'<a href="/stats/campaigns/{campaign_id}">春季大排查</a>' in case_page
    assert f"/stats/campaigns/{campaign_id}" not in client.get(f"/cases/{ledger['cases']['g']}").get_data(as_text=True)


# --- who may do what ----------------------------------------------------------------------------------------------

def test_only_office_staff_and_admins_create_edit_and_tag(app, client, login):
    login(Role.clerk)
    campaign_id = create(client)
    for role in (Role.handler, Role.leader, Role.supervisor):
        login(role)
        assert client.get("/stats/campaigns/new").status_code == 403
        assert client.post("/stats/campaigns/new", data={"name": "x"}).status_code == 403
        assert client.get(f"/stats/campaigns/{campaign_id}/edit").status_code == 403
        assert client.post(f"/stats/campaigns/{campaign_id}/tag").status_code == 403
        assert client.get(f"/stats/campaigns/{campaign_id}").status_code == 200
        assert client.get("/stats/campaigns").status_code == 200
    assert client.get("/stats/campaigns/999").status_code == 404


def test_a_unit_counts_only_its_cases_and_never_an_accusation_against_itself(app, client, login, make_unit,
                                                                            make_petition):
    unit, other = make_unit("住建局", kind=UnitKind.department), make_unit("水利局", kind=UnitKind.department)
    make_petition(received_on=d("2026-03-02"), lead_unit=unit)
    make_petition(received_on=d("2026-03-03"), lead_unit=other)
    make_petition(received_on=d("2026-03-04"), lead_unit=unit, accused_unit=unit, purpose=Purpose.accusation)
    login(Role.admin)
    campaign_id = create(client)

    def tagged_shown():
        page = client.get(f"/stats/campaigns/{campaign_id}").get_data(as_text=True)
        first = table_rows(page, "campaign-totals")[0][0]
        listing = client.get("/stats/campaigns").get_data(as_text=True)
        return int(first), int(table_rows_list(listing)[0]), listed(client, f"/cases/?campaign={campaign_id}")

    assert tagged_shown() == (3, 3, 3)
    login(Role.handler, unit=unit)
    assert tagged_shown() == (1, 1, 1)  # its own case, not the accusation against it
    login(Role.clerk, unit=unit)
    assert tagged_shown() == (2, 2, 2)  # every case but the accusation against the clerk's unit


def table_rows_list(html: str) -> list[str]:
    """The tagged counts of the campaign list's rows."""
    return re.findall(r'<td class="count">(\d+)</td>\s*<td class="count">\d+</td>\s*<td class="count">\d+</td>', html)


# --- command line -------------------------------------------------------------------------------------------------

def test_the_command_tags_the_campaigns_running_today(app, client, login, make_petition):
    today = date.today()
    login(Role.clerk)
    running = create(client, name="本月专项", period=((today - timedelta(days=3)).isoformat(), today.isoformat()))
    ended = create(client, name="去年专项", period=("2025-01-01", "2025-01-31"))
    new_case = make_petition(received_on=today)
    old_case = make_petition(received_on=d("2025-01-15"))
    assert new_case not in tags(app, running) and old_case not in tags(app, ended)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tag-campaigns"])
    assert result.exit_code == 0, result.output
    assert f"#{running} 本月专项: 1 found, 0 handled" in result.output and "去年专项" not in result.output
    assert tags(app, running) == {new_case: (True, False)} and tags(app, ended) == {}
    again = runner.invoke(args=["tag-campaigns", "--today", "2025-01-31"])
    assert again.exit_code == 0 and f"#{ended} 去年专项: 1 found, 0 handled" in again.output
    assert tags(app, ended) == {old_case: (True, False)}


# --- bad input and stale edits ------------------------------------------------------------------------------------

def test_bad_input_is_refused_with_the_message_and_the_input_kept(app, client, login):
    login(Role.clerk)
    create(client, name="春季大排查")
    duplicate = create(client, name="春季大排查", description="第二次", status=400).get_data(as_text=True)
    assert 'id="name-error"' in duplicate and "第二次" in duplicate
    reversed_range = create(client, name="秋季", period=("2026-03-31", "2026-03-01"), status=400).get_data(as_text=True)
    assert 'id="ends_on-error"' in reversed_range and 'value="2026-03-31"' in reversed_range
    assert 'value="秋季"' in reversed_range
    too_long = create(client, name="全年", period=("2026-01-01", "2027-01-01"), status=400).get_data(as_text=True)
    assert 'id="ends_on-error"' in too_long
    create(client, name="整年", period=("2026-01-01", "2026-12-31"))  # a whole year is fine
    not_a_date = create(client, name="冬季", period=("2026-02-30", "2026-03-01"), status=400).get_data(as_text=True)
    assert 'id="starts_on-error"' in not_a_date
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Campaign)) == 2


def test_a_stale_edit_is_refused_and_the_input_kept(app, client, login):
    login(Role.clerk)
    campaign_id = create(client, name="春季大排查")
    form = client.get(f"/stats/campaigns/{campaign_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', form).group(1)
    assert edit(client, campaign_id, description="别人先改了").status_code == 302
    stale = client.post(f"/stats/campaigns/{campaign_id}/edit", data={
        "version": version, "name": "我的新名称", "starts_on": MARCH[0], "ends_on": MARCH[1], "township_id": "",
        "category_id": "", "description": ""})
    assert stale.status_code == 409 and 'value="我的新名称"' in stale.get_data(as_text=True)
    with app.app_context():
        item = db.session.get(Campaign, campaign_id)
        assert (item.name, item.description) == ("春季大排查", "别人先改了")


def test_a_campaign_lasts_at_most_a_year():
    assert latest_end(date(2026, 1, 1)) == date(2026, 12, 31)
    assert latest_end(date(2026, 3, 1)) == date(2027, 2, 28)
    assert latest_end(date(2027, 3, 1)) == date(2028, 2, 29)
    assert latest_end(date(2028, 2, 29)) == date(2029, 2, 28)

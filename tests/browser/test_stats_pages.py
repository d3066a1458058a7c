"""Real-browser checks of the statistics: a clerk reads the year's dashboard, follows a figure to its case list and
finds as many cases as the figure says, opens a breakdown, the trend chart, the annual report and a campaign; the
pages are looked at in screenshots."""
from datetime import date

import pytest

from models import CaseStatus, Channel, Role, UnitKind
from tests.browser.test_pages import shot
from tests.browser.test_supervision_pages import log_in

pytestmark = pytest.mark.browser


def test_a_figure_leads_to_as_many_cases_as_it_says(app, browser, live_server, make_user, make_unit, make_petition):
    town = make_unit("城关镇", kind=UnitKind.township)
    year = date.today().year
    for month, channel, accepted in ((1, Channel.visit, True), (2, Channel.letter, True), (3, Channel.letter, False)):
        received = date(year, month, 10)
        make_petition(summary=f"反映事项{month}", channel=channel, township_id=town.id, received_on=received,
                      accepted_on=received if accepted else None,
                      status=CaseStatus.accepted if accepted else CaseStatus.registered, name="王秘密",
                      phone="13900001111")
    make_petition(summary="去年事项", channel=Channel.letter, received_on=date(year - 1, 2, 10))
    clerk = make_user(Role.clerk, username="stats-browser")
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)

    log_in(page, live_server, clerk)
    page.goto(f"{live_server}/stats/?period=year")
    assert page.locator("#figure-total .value a").first.inner_text() == "3"
    assert page.locator("#figure-total .last-year a").first.inner_text() == "1"
    assert page.locator("#figure-total .change").inner_text() == "+2 / +200.0%"
    assert page.locator("#figure-acceptance_rate .value a").first.inner_text() == "66.7%"
    assert "王秘密" not in page.content() and "13900001111" not in page.content()
    shot(page, "stats-dashboard")

    page.locator("#figure-letters .value a").first.click()
    page.wait_for_url(f"{live_server}/cases/?*figure=letters*")
    assert "2" in page.locator(".figure-listed").inner_text()
    assert page.locator("table.table tbody tr").count() == 2
    shot(page, "stats-figure-cases")

    page.goto(f"{live_server}/stats/breakdown?by=township&period=year")
    assert "城关镇" in page.content()
    shot(page, "stats-breakdown")
    page.goto(f"{live_server}/stats/trend")
    assert page.locator("svg").count() >= 1
    shot(page, "stats-trend")
    page.goto(f"{live_server}/stats/annual?year={year}")
    shot(page, "stats-annual")

    page.goto(f"{live_server}/stats/campaigns/new")
    page.fill("#name", "大排查大调处")
    page.fill("#starts_on", f"{year}-01-01")
    page.fill("#ends_on", f"{year}-01-31")
    page.click("#submit")
    page.wait_for_url(f"{live_server}/stats/campaigns/*")
    assert "大排查大调处" in page.locator("h1").inner_text()
    shot(page, "stats-campaign")
    assert blocked == []
    context.close()

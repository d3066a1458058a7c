"""Real-browser checks of the reception pages: a clerk plans and publishes, the public reads it on a phone."""
from datetime import date, timedelta

import pytest

from models import Role, UnitKind
from tests.browser.test_pages import shot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_clerk_plans_publishes_and_the_public_reads_it_on_a_phone(browser, live_server, make_user, make_leader,
                                                                   make_unit, make_method):
    county = make_unit("示范县", kind=UnitKind.county)
    leader = make_leader("张建国", unit=county)
    make_method("定点接访")
    clerk = make_user(Role.clerk, username="browser-clerk")
    day = date.today() + timedelta(days=5)

    desk = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = desk.new_page()
    page.goto(f"{live_server}/auth/login")
    page.fill("#username", clerk.username)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.goto(f"{live_server}/reception/new")
    page.fill("#day", day.isoformat())
    page.fill("#start_time", "09:00")
    page.fill("#end_time", "08:00")
    page.fill("#place", "县群众工作中心一楼接待室")
    page.select_option("#unit_id", str(county.id))
    page.check(f"input[name=leader_ids][value='{leader.id}']")
    page.select_option("#method_id", label="定点接访")
    page.fill("#topic", "城乡建设、征地拆迁")
    page.click("#submit")
    assert "结束时间" in page.locator(".errors").first.inner_text()
    assert page.input_value("#place") == "县群众工作中心一楼接待室"
    shot(page, "session-form-error")
    page.fill("#end_time", "11:30")
    page.click("#submit")
    page.click("button:has-text('发布')")
    assert page.locator(".badge-published").count() == 1
    shot(page, "session-published")
    desk.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    public = phone.new_page()
    public.goto(f"{live_server}/")
    card = public.locator(".session-card").first
    assert "张建国" in card.inner_text() and "09:00–11:30" in card.inner_text()
    assert public.evaluate("document.documentElement.scrollWidth") <= 390
    shot(public, "public-schedule-phone")
    public.goto(f"{live_server}/notice?from={day.isoformat()}&to={(day + timedelta(days=6)).isoformat()}")
    assert public.locator("table tbody tr").count() == 1
    shot(public, "notice")
    phone.close()

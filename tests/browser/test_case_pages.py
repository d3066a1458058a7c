"""Real-browser checks of the case pages: a clerk registers a petition, accepts it and assigns the package."""
from datetime import date, timedelta

import pytest

from models import Category, LeaderPost, Role, UnitKind
from tests.browser.test_pages import shot
from tests.conftest import ID_NUMBER, PASSWORD, persist

pytestmark = pytest.mark.browser


def test_clerk_takes_a_petition_from_registration_to_a_package(app, browser, live_server, make_user, make_leader,
                                                                make_unit):
    persist(app, Category(name="城乡建设"))
    unit = make_unit("县住建局", kind=UnitKind.department)
    make_unit("城关镇", kind=UnitKind.township)
    leader = make_leader("张建国", post=LeaderPost.county_leader)
    clerk = make_user(Role.clerk, username="case-clerk")
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{live_server}/auth/login")
    page.fill("#username", clerk.username)
    page.fill("#password", PASSWORD)
    page.click("#submit")

    page.goto(f"{live_server}/cases/new")
    page.fill("#received_on", (date.today() + timedelta(days=2)).isoformat())
    page.select_option("#category_id", label="城乡建设")
    page.fill("#petitioners-0-name", "王某某")
    page.fill("#petitioners-0-id_number", ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1"))
    page.fill("#summary", "反映房屋拆迁补偿未落实")
    page.click("#submit")
    errors = page.locator(".errors").all_inner_texts()
    assert any("未来" in text for text in errors) and any("身份证" in text for text in errors)
    assert page.input_value("#summary") == "反映房屋拆迁补偿未落实"
    shot(page, "case-register-errors")
    page.fill("#received_on", date.today().isoformat())
    page.fill("#petitioners-0-id_number", ID_NUMBER)
    page.click("#submit")
    page.wait_for_url(f"{live_server}/cases/*")
    assert "登记" in page.locator("h1").inner_text()

    page.click("#action-accept summary")
    page.select_option("#accept-step", "accept")
    page.click("#action-accept button[type=submit], #action-accept input[type=submit]")
    page.wait_for_load_state()
    assert "受理" in page.locator("h1").inner_text()

    page.click("#action-assign summary")
    page.select_option("#assign-leader_id", str(leader.id))
    page.select_option("#assign-lead_unit_id", str(unit.id))
    page.fill("#assign-responsible_person", "李科长")
    page.fill("#assign-handling_opinion", "核实补偿标准，依法依规解决")
    page.fill("#assign-closure_standard", "补偿款足额发放到位")
    page.check("#assign-duty_facts")
    page.click("#action-assign input[type=submit]")
    page.wait_for_load_state()
    assert "办理中" in page.locator("h1").inner_text()
    assert page.locator(".timeline tbody tr").count() == 3  # registered, accepted, assigned
    shot(page, "case-page")
    page.goto(page.url + "/sheet")
    assert "补偿款足额发放到位" in page.content()
    shot(page, "case-sheet")
    assert blocked == []
    context.close()

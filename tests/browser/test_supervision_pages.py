"""Real-browser checks of supervision: a supervisor runs the checks, turns an overdue case into a notice, and the
addressed unit replies to it; the pages are looked at in screenshots."""
from datetime import date, timedelta

import pytest

from models import CaseStatus, LeaderPost, Role, UnitKind
from tests.browser.test_pages import shot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, live_server, user):
    page.context.clear_cookies()  # a fresh session: the next user starts logged out
    page.goto(f"{live_server}/auth/login")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("#submit")


def test_an_overdue_case_becomes_a_notice_that_the_unit_answers(app, browser, live_server, make_user, make_leader,
                                                                 make_unit, make_petition):
    unit = make_unit("县住建局", kind=UnitKind.department)
    leader = make_leader("张建国", post=LeaderPost.county_leader)
    received = date.today() - timedelta(days=90)
    make_petition(summary="反映安置房交付延期", status=CaseStatus.in_progress, lead_unit=unit, leader=leader,
                  received_on=received, accepted_on=received + timedelta(days=3),
                  due_on=date.today() - timedelta(days=20), name="王秘密", phone="13900001111")
    supervisor = make_user(Role.supervisor, username="sv-browser")
    handler = make_user(Role.handler, username="unit-browser", unit=unit)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)

    log_in(page, live_server, supervisor)
    page.goto(f"{live_server}/supervision/checks")
    page.click("text=立即运行自动督查")
    page.wait_for_load_state()
    assert "自动督查已完成" in page.content() and "/supervision/checks/runs/" in page.url
    overdue_findings = page.url.split("?")[0] + "?kind=overdue_case"  # the run just made (ids differ on PostgreSQL)
    page.goto(overdue_findings)
    assert "反映安置房交付延期" in page.content()
    assert "王秘密" not in page.content() and "13900001111" not in page.content()
    shot(page, "supervision-check-run")

    page.goto(overdue_findings)
    page.click("a[href*='/supervision/notices/new?finding=']")
    page.wait_for_load_state()
    assert page.locator("#unit_id").input_value() == str(unit.id)
    page.select_option("#level", "supervision")
    page.fill("#requirement", "请于期限内书面报告办理进展。")
    page.click("#submit")
    assert "回复期限" in " ".join(page.locator(".errors").all_inner_texts())
    assert page.input_value("#requirement") == "请于期限内书面报告办理进展。"
    page.fill("#reply_due_on", (date.today() + timedelta(days=10)).isoformat())
    page.click("#submit")
    page.wait_for_url(f"{live_server}/supervision/notices/*")
    assert "督办〔" in page.locator("h1").inner_text()
    assert "反映安置房交付延期" in page.content()  # the notice is on the case the finding was about
    notice_url = page.url
    shot(page, "supervision-notice")

    log_in(page, live_server, handler)
    page.goto(f"{live_server}/supervision/")
    assert "督办〔" in page.content()
    shot(page, "supervision-unit-landing")
    page.goto(notice_url)
    page.click("#action-reply summary")
    page.fill("#reply-text", "已约谈施工单位，安置房将于下月交付。")
    page.click("#action-reply input[type=submit], #action-reply button[type=submit]")
    page.wait_for_load_state()
    assert "已约谈施工单位" in page.content()
    page.goto(notice_url + "/sheet")
    assert "已约谈施工单位" in page.content() and "王秘密" not in page.content()
    shot(page, "supervision-notice-sheet")
    assert blocked == []
    context.close()

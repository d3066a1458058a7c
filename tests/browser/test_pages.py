"""Real-browser checks in Debian's Chromium: logging in through the page, and the admin calendar."""
from pathlib import Path

import pytest

from models import Role
from tests.conftest import PASSWORD

SCREENSHOTS = Path(__file__).parent / "screenshots"
pytestmark = pytest.mark.browser


def shot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_login_through_the_real_page(page, live_server, make_user):
    user = make_user(Role.admin, username="browser-admin")
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{live_server}/admin/users")
    assert page.url.startswith(f"{live_server}/auth/login?next=")
    page.fill("#username", user.username)
    page.fill("#password", "wrong-password")
    page.click("#submit")
    assert page.locator(".flash-danger").inner_text() == "用户名或密码错误。"
    assert page.input_value("#username") == user.username
    shot(page, "login-refused")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{live_server}/admin/users")
    assert page.locator("h1").inner_text() == "用户"
    assert page.locator("td", has_text="browser-admin").count() == 1
    shot(page, "users")
    page.click("text=退出登录")
    page.wait_for_url(f"{live_server}/auth/login")
    assert blocked == []


def test_calendar_page_on_a_phone_sized_screen(browser, live_server, make_user):
    make_user(Role.admin, username="calendar-admin")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/auth/login")
    page.fill("#username", "calendar-admin")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.goto(f"{live_server}/admin/calendar?year=2026")
    assert page.locator("a.day.makeup").count() == 6
    shot(page, "calendar-2026")
    page.goto(f"{live_server}/admin/calendar?year=2027")
    assert page.locator(".notice.warning").is_visible()
    context.close()
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    mobile = phone.new_page()
    mobile.goto(f"{live_server}/")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    shot(mobile, "public-phone")
    phone.close()

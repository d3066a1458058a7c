"""Logging in and out, throttling, password change, CSRF, session cookie and security headers."""
import time

from models import AuditAction, AuditLog, LoginAttempt, Role, db
from tests.conftest import PASSWORD, csrf_token_from


def post_login(client, username, password, **extra):
    return client.post("/auth/login", data={"username": username, "password": password, **extra})


def test_login_lands_on_home_and_is_audited(app, client, make_user):
    user = make_user(Role.clerk)
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/home"
    assert "测试clerk" in client.get("/auth/home").get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(db.select(AuditLog.action).where(AuditLog.actor_id == user.id)).all()
    assert AuditAction.login in actions


def test_wrong_password_is_refused_in_chinese_and_keeps_the_username(client, make_user):
    user = make_user()
    response = post_login(client, user.username, "wrong-password")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "用户名或密码错误" in page
    assert f'value="{user.username}"' in page


def test_missing_fields_get_messages_next_to_the_field(client):
    page = client.post("/auth/login", data={"username": "", "password": ""}).get_data(as_text=True)
    assert page.count('class="errors"') == 2
    assert "必填" in page or "不能为空" in page


def test_five_failures_lock_the_account_even_with_the_right_password(app, client, make_user):
    user = make_user()
    for _ in range(5):
        assert post_login(client, user.username, "nope-nope").status_code == 401
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)


def test_five_failures_from_one_address_lock_that_address(app, client, make_user):
    user = make_user()
    for attempt in range(5):
        post_login(client, f"someone{attempt}", "nope-nope")
    assert post_login(client, user.username, PASSWORD).status_code == 429
    other_address = client.post("/auth/login", data={"username": user.username, "password": PASSWORD},
                                environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_address.status_code == 302


def test_success_clears_the_account_failures(app, client, make_user):
    user = make_user()
    for _ in range(4):
        post_login(client, user.username, "nope-nope")
    assert post_login(client, user.username, PASSWORD).status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(LoginAttempt.id))) == 0


def test_disabled_account_cannot_log_in(client, make_user):
    user = make_user(active=False)
    assert post_login(client, user.username, PASSWORD).status_code == 401


def test_next_is_followed_only_within_the_site(client, make_user):
    user = make_user()
    response = post_login(client, user.username, PASSWORD, next="/admin/users")
    assert response.headers["Location"] == "/admin/users"
    client.post("/auth/logout")
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = post_login(client, user.username, PASSWORD, next=evil)
        assert response.headers["Location"] == "/auth/home", evil
        client.post("/auth/logout")


def test_logout_is_a_post(client, login):
    login()
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/auth/home").status_code == 302


def test_change_password(client, login):
    user = login()
    wrong = client.post("/auth/password", data={"current_password": "bad", "new_password": "brand-new-pw",
                                                "confirm": "brand-new-pw"})
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    mismatch = client.post("/auth/password", data={"current_password": PASSWORD, "new_password": "brand-new-pw",
                                                   "confirm": "other-pw-123"})
    assert "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    ok = client.post("/auth/password", data={"current_password": PASSWORD, "new_password": "brand-new-pw",
                                             "confirm": "brand-new-pw"})
    assert ok.status_code == 302
    client.post("/auth/logout")
    assert post_login(client, user.username, PASSWORD).status_code == 401
    assert post_login(client, user.username, "brand-new-pw").status_code == 302


def test_password_hash_is_strong(app, make_user):
    user = make_user()
    assert user.password_hash.startswith("scrypt:")


def test_post_without_csrf_token_is_refused_with_a_clear_page(csrf_app, make_user):
    client = csrf_app.test_client()
    user = make_user()
    response = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    token = csrf_token_from(client.get("/auth/login").data)
    response = client.post("/auth/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_session_cookie_flags_and_security_headers(client, make_user):
    user = make_user()
    response = post_login(client, user.username, PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    headers = client.get("/auth/home").headers
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_no_inline_script_or_style_in_pages(client, login):
    login(Role.admin)
    for url in ("/", "/auth/login", "/auth/home", "/admin/users", "/admin/calendar"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "<style" not in page, url


def test_expired_session_sends_the_user_to_login(app, client, make_user):
    app.config["PERMANENT_SESSION_LIFETIME"] = 0  # the signed cookie expires after its first whole second
    user = make_user()
    post_login(client, user.username, PASSWORD)
    time.sleep(1.1)
    response = client.get("/auth/home")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_unknown_url_gets_the_404_page_in_the_layout(client):
    response = client.get("/no/such/page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "您访问的页面不存在" in page and 'class="site-header' in page

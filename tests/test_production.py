"""The production setup, held to what the README promises: gunicorn as gunicorn.conf.py runs it, a crash while
registrations stream in, login throttling across workers, slow and malformed requests, backups under write load and
restores, and the nginx site in deploy/ (checked with `nginx -t`)."""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import closing
from datetime import date
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from models import Category, Petition, RegistrationKey, Role, db
from tests.conftest import ID_NUMBER, PASSWORD, PHONE, csrf_token_from, make_test_app, persist

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


# --- gunicorn, started as `make serve` starts it ------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with gunicorn.conf.py (4 workers × 2 threads) on the database under test, in its own process group
    so that kill() can take down the arbiter and every worker at once, like a power cut."""

    def __init__(self, database_url: str, log: Path):
        self.port, self.log_path = free_port(), log
        self.env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "production-test",
                    "BIND": f"127.0.0.1:{self.port}"}
        self.process = None

    def start(self) -> Server:
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [GUNICORN, "--config", "gunicorn.conf.py", "--access-logformat", "%(p)s %(r)s %(s)s", "app:create_app()"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/auth/login")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("gunicorn did not answer within 30 s:\n" + self.log_path.read_text(errors="replace"))

    def request(self, method, path, body=None, headers=None, timeout=10):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def worker_pids(self) -> set[int]:
        children = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.add(int(stat.parent.name))
        return children

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def server(app, database_url, tmp_path):
    running = []

    def start() -> Server:
        running.append(Server(database_url, tmp_path / "gunicorn.log").start())
        return running[-1]

    yield start
    for each in running:
        each.stop()


def api_token(app, username) -> str:
    result = app.test_cli_runner().invoke(args=["create-token", username])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def integrity(sqlite_file: str) -> list[tuple]:
    with closing(sqlite3.connect(sqlite_file)) as check:
        return check.execute("PRAGMA integrity_check").fetchall()


def registration(category_id: int, number: int) -> bytes:
    return json.dumps({
        "channel": "visit", "received_on": date.today().isoformat(), "purpose": "claim", "category_id": category_id,
        "persons": 1, "summary": f"登记压力测试 {number:04d}", "repeat_checked": True,
        "petitioners": [{"name": "张三", "id_number": ID_NUMBER, "phone": PHONE, "address": "东村1号"}],
    }).encode()


# --- a crash while registrations stream in ------------------------------------------------------------------------

REGISTRATIONS = 1000


def test_a_crash_loses_no_acknowledged_registration_and_repeats_none(app, make_user, server, database_url):
    """kill -9 of every gunicorn process while 1,000 registrations stream in from 4 clients; after the restart the
    clients send again what got no answer, with the same Idempotency-Key. Every acknowledged registration is there
    under the id it was acknowledged with, every registration exactly once, and SQLite's integrity check says ok."""
    clerk = make_user(role=Role.clerk)
    token = api_token(app, clerk.username)
    category_id = persist(app, Category(name="劳动社保")).id
    site = server()
    acknowledged: dict[int, int] = {}  # registration number -> case id
    lock = threading.Lock()

    def send(number: int, connection: http.client.HTTPConnection) -> int | None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                   "Idempotency-Key": f"crash-test-{number:04d}"}
        connection.request("POST", "/api/v1/cases", body=registration(category_id, number), headers=headers)
        response = connection.getresponse()
        answer = response.read()
        assert response.status in (200, 201), (response.status, answer[:300])
        return json.loads(answer)["id"]

    def stream(numbers) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=15)
        for number in numbers:
            try:
                case_id = send(number, connection)
            except (OSError, http.client.HTTPException):
                connection.close()  # the server is gone: this one, and the rest, get no answer
                continue
            with lock:
                acknowledged[number] = case_id
        connection.close()

    clients = [threading.Thread(target=stream, args=(range(start, REGISTRATIONS, 4),)) for start in range(4)]
    for client in clients:
        client.start()
    while len(acknowledged) < 300 and any(client.is_alive() for client in clients):
        time.sleep(0.01)
    site.kill()
    for client in clients:
        client.join()
    before_crash = dict(acknowledged)
    assert 300 <= len(before_crash) < REGISTRATIONS, "the crash must come while registrations stream in"

    site = server()
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=15)
    for number in range(REGISTRATIONS):
        if number not in before_crash:
            acknowledged[number] = send(number, connection)
    connection.close()

    with app.app_context():
        db.session.remove()
        summaries = dict(db.session.execute(db.select(Petition.id, Petition.summary)).all())
        keys = dict(db.session.execute(db.select(RegistrationKey.key, RegistrationKey.petition_id)).all())
    assert len(summaries) == REGISTRATIONS and len(set(summaries.values())) == REGISTRATIONS  # none twice
    for number, case_id in before_crash.items():  # acknowledged before the crash: there, under the same id
        assert summaries[case_id] == f"登记压力测试 {number:04d}"
        assert keys[f"crash-test-{number:04d}"] == case_id
    assert sorted(acknowledged.values()) == sorted(summaries)
    if make_url(database_url).get_backend_name() == "sqlite":
        assert integrity(make_url(database_url).database) == [("ok",)]
    assert "database is locked" not in site.log_text() and "Traceback" not in site.log_text()


# --- login throttling across workers ------------------------------------------------------------------------------

def log_in(site: Server, username: str, password: str) -> tuple[int, str]:
    """One login through the page, on fresh connections (so they land on any worker), as a browser does it."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()),
                                         urllib.request.HTTPErrorProcessor)
    base = f"http://127.0.0.1:{site.port}"
    token = csrf_token_from(opener.open(f"{base}/auth/login", timeout=10).read())
    form = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": password}).encode()
    try:
        response = opener.open(f"{base}/auth/login", data=form, timeout=10)
        return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_login_throttling_holds_across_gunicorn_workers(app, make_user, server):
    user = make_user(role=Role.clerk)
    site = server()
    statuses = [log_in(site, user.username, "wrong-password")[0] for _ in range(app.config["LOGIN_MAX_FAILURES"])]
    assert statuses == [401] * app.config["LOGIN_MAX_FAILURES"]
    status, page = log_in(site, user.username, PASSWORD)  # the right password, too late
    assert status == 429 and "登录失败次数过多" in page
    served_by = set(re.findall(r"^<(\d+)> POST /auth/login", site.log_text(), re.MULTILINE))
    assert len(served_by) >= 2, "the attempts should have reached more than one worker"


# --- slow and malformed requests ----------------------------------------------------------------------------------

MALFORMED = [
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % n for n in range(200)) + b"\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"y" * 20_000 + b"\r\n\r\n",
    b"POST /auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)),  # a TLS hello on the plain port
]


def test_slow_and_malformed_requests_do_not_take_a_worker_down(app, server):
    """Straight to gunicorn: a stalled client holds one thread, not a worker; a malformed head is answered 4xx.
    (Many stalled clients are nginx's to hold: test_behind_nginx_… below.)"""
    site = server()
    workers = site.worker_pids()
    assert len(workers) == 4
    with contextlib.ExitStack() as stalled:  # closed however the test ends, so no socket outlives it
        for index in range(6):  # connect and send nothing, or half a request head, then stall
            client = stalled.enter_context(socket.create_connection(("127.0.0.1", site.port)))
            if index % 2:
                client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        answers = []
        for request in MALFORMED:
            with socket.create_connection(("127.0.0.1", site.port), timeout=10) as raw:
                raw.sendall(request)
                raw.shutdown(socket.SHUT_WR)
                answers.append(raw.recv(100))
        started = time.monotonic()
        statuses = [site.request("GET", "/")[0] for _ in range(20)]
        elapsed = time.monotonic() - started
    assert statuses == [200] * 20 and elapsed < 5  # served at once while the slow clients hang on
    assert [answer[:12] for answer in answers] == [b"HTTP/1.1 400", b"HTTP/1.1 414", b"HTTP/1.1 431",
                                                   b"HTTP/1.1 431", b"HTTP/1.1 400", b"HTTP/1.1 400"], answers
    assert site.worker_pids() == workers  # no worker was killed or replaced
    assert "Traceback" not in site.log_text()


def too_large(site: Server, path: str, content_type: str, limit: int, token: str = "") -> tuple[bytes, str]:
    """A request announcing a body one byte over the limit: the site answers before reading it."""
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as raw:
        raw.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
                    f"Authorization: Bearer {token}\r\n"
                    f"Content-Length: {limit + 1}\r\n\r\n".encode() + b"x" * 65536)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], body.decode()


def test_a_body_over_the_limit_gets_413_with_a_message(app, make_user, server):
    token = api_token(app, make_user(role=Role.clerk).username)
    site = server()
    limit = app.config["MAX_CONTENT_LENGTH"]
    status, body = too_large(site, "/api/v1/cases", "application/json", limit, token)
    assert status == b"HTTP/1.1 413 REQUEST ENTITY TOO LARGE" and "（最多 20 MB）" in json.loads(body)["error"]
    status, body = too_large(site, "/auth/login", "application/x-www-form-urlencoded", limit)
    assert status == b"HTTP/1.1 413 REQUEST ENTITY TOO LARGE" and "发送的内容超过了系统允许的大小（最多 20 MB）" in body
    assert site.request("GET", "/")[0] == 200


# --- backups under write load, and restores -----------------------------------------------------------------------

@pytest.fixture
def spare_databases(database_url, tmp_path):
    """Two empty databases beside the one under test: `source` (migrated) and `target` (nothing in it)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield {name: f"sqlite:///{tmp_path / f'{name}.sqlite3'}" for name in ("source", "target")}
        return
    import psycopg

    names = {name: f"{url.database}_{name}" for name in ("source", "target")}
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in names.values():
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    yield {key: url.set(database=name).render_as_string(hide_password=False) for key, name in names.items()}
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in names.values():
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_under_write_load_restores_every_acknowledged_write(spare_databases, tmp_path):
    from flask_migrate import upgrade

    source = make_test_app(spare_databases["source"])
    with source.app_context():
        upgrade()
        clerk_name = "backup-clerk"
        source.test_cli_runner().invoke(args=["create-user", clerk_name, "--role", "clerk", "--password", PASSWORD])
        category_id = persist(source, Category(name="城乡建设")).id
    token = api_token(source, clerk_name)
    acknowledged: list[tuple[float, int]] = []  # (when the answer came, case id)
    stop = threading.Event()

    def write(offset: int) -> None:
        client = source.test_client()
        number = offset
        while not stop.is_set():
            response = client.post("/api/v1/cases", data=registration(category_id, number),
                                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            assert response.status_code == 201, response.data
            acknowledged.append((time.monotonic(), response.json["id"]))
            number += 3

    writers = [threading.Thread(target=write, args=(offset,)) for offset in range(3)]
    for writer in writers:
        writer.start()
    while len(acknowledged) < 30:
        time.sleep(0.01)
    backup_started = time.monotonic()
    result = source.test_cli_runner().invoke(args=["backup", str(tmp_path / "site.backup")])
    backup_done = time.monotonic()
    while len([at for at, _ in acknowledged if at > backup_done]) < 10:
        time.sleep(0.01)
    stop.set()
    for writer in writers:
        writer.join()
    assert result.exit_code == 0, result.output

    target = make_test_app(spare_databases["target"])
    restored = target.test_cli_runner().invoke(args=["restore", "--yes", str(tmp_path / "site.backup")])
    assert restored.exit_code == 0, restored.output
    with target.app_context():
        present = set(db.session.scalars(db.select(Petition.id)))
        engine_url = make_url(spare_databases["target"])
        db.session.remove()
        db.engine.dispose()
    written = {case_id for _, case_id in acknowledged}
    assert {case_id for at, case_id in acknowledged if at < backup_started} <= present  # acknowledged: kept
    assert present <= written  # nothing that was not written
    assert f"Restored from {tmp_path / 'site.backup'}: {len(present)} cases." in restored.output
    if engine_url.get_backend_name() == "sqlite":
        assert integrity(engine_url.database) == [("ok",)]
    with source.app_context():
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup_and_changes_nothing(app, make_user, tmp_path):
    make_user(username="still-here")
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("信访台账 2026\n")
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(not_a_backup)])
    assert result.exit_code != 0 and "is not" in result.output and "backup" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).where(db.text("username = 'still-here'"))
                                 .select_from(db.table("user_account"))) == 1


def test_restore_asks_before_replacing_the_database(app, tmp_path):
    target = tmp_path / "site.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(target)]).exit_code == 0
    result = app.test_cli_runner().invoke(args=["restore", str(target)], input="n\n")
    assert result.exit_code != 0 and "Go on?" in result.output


# --- the nginx site ---------------------------------------------------------------------------------------------

needs_nginx = pytest.mark.skipif(shutil.which("nginx") is None,
                                 reason="nginx is not installed (scripts/install-system-packages installs it)")


def nginx_config(folder: Path, upstream_port: int = 5000, http_port: int = 80, tls_port: int = 443) -> tuple[Path, str]:
    """deploy/nginx-xinfang.conf inside a minimal nginx.conf in `folder`, with a throwaway certificate at its
    certificate paths and the given ports; returns (nginx.conf, the site's text)."""
    site = (ROOT / "deploy/nginx-xinfang.conf").read_text()
    certificate, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=xinfang.example.gov.cn", "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True)
    replacements = {"/etc/ssl/xinfang/fullchain.pem": str(certificate), "/etc/ssl/xinfang/privkey.pem": str(key),
                    "server 127.0.0.1:5000;": f"server 127.0.0.1:{upstream_port};",
                    "listen 80;": f"listen 127.0.0.1:{http_port};", "listen [::]:80;": "",
                    "listen 443 ssl http2;": f"listen 127.0.0.1:{tls_port} ssl http2;",
                    "listen [::]:443 ssl http2;": "",
                    "/srv/xinfang/static/": f"{ROOT}/static/"}
    for original, replacement in replacements.items():
        assert original in site, original
        site = site.replace(original, replacement)
    (folder / "site.conf").write_text(site)
    (folder / "logs").mkdir(exist_ok=True)
    user = f"user {pwd.getpwuid(os.getuid()).pw_name};\n" if os.getuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(f"{user}error_log {folder}/logs/error.log;\npid {folder}/nginx.pid;\nevents {{}}\n"
                    f"http {{\n  access_log off;\n  client_body_temp_path {folder}/body;\n"
                    f"  proxy_temp_path {folder}/proxy;\n  include {folder}/site.conf;\n}}\n")
    return conf, site


@needs_nginx
def test_the_nginx_site_passes_nginx_t(app, tmp_path):
    conf, site = nginx_config(tmp_path)
    checked = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr and "test is successful" in checked.stderr
    assert f"client_max_body_size {app.config['MAX_CONTENT_LENGTH'] // 2**20}m;" in site  # the site's own limit


@needs_nginx
def test_behind_nginx_a_crowd_of_stalled_and_garbage_clients_does_not_hold_up_the_site(app, server, tmp_path):
    """More stalled connections than gunicorn has threads, plus garbage, against nginx as deploy/ sets it up:
    nginx holds them (and drops them after its timeouts); the site keeps answering through it at once."""
    site = server()
    http_port, tls_port = free_port(), free_port()
    conf, _ = nginx_config(tmp_path, site.port, http_port, tls_port)
    nginx = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    context = ssl.create_default_context(cafile=str(tmp_path / "fullchain.pem"))
    context.check_hostname = False
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", tls_port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and nginx.poll() is None, (tmp_path / "logs/error.log").read_text()
                time.sleep(0.05)
        crowd = []
        for index in range(40):  # 40 > 16 threads: straight to gunicorn this would stall it
            crowd.append(socket.create_connection(("127.0.0.1", tls_port if index % 2 else http_port)))
            if index % 4 == 1:
                crowd[-1].sendall(b"GARBAGE\r\n\r\n")
            elif index % 4 == 2:
                crowd[-1].sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        statuses = []
        for _ in range(20):
            connection = http.client.HTTPSConnection("127.0.0.1", tls_port, timeout=10, context=context)
            connection.request("GET", "/", headers={"Host": "xinfang.example.gov.cn"})
            statuses.append(connection.getresponse().status)
            connection.close()
        elapsed = time.monotonic() - started
        redirect = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        redirect.request("GET", "/cases/", headers={"Host": "xinfang.example.gov.cn"})
        answer = redirect.getresponse()
        redirected = answer.status, answer.getheader("Location")
        redirect.close()
        for each in crowd:
            each.close()
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    assert statuses == [200] * 20 and elapsed < 5
    assert redirected == (301, "https://xinfang.example.gov.cn/cases/")  # plain HTTP only redirects

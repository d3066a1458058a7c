"""Shared fixtures: a migrated database, `app`, `client`, `login(role)` and small factories."""
from __future__ import annotations

import itertools
from datetime import date, time, timedelta
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from app import create_app
from blueprints.cases.idnumber import make_id_number
from blueprints.cases.workflow import clock_dates
from blueprints.shared import official_calendar
from models import (
    CaseStatus,
    Category,
    Channel,
    Petition,
    Petitioner,
    Purpose,
    Leader,
    LeaderPost,
    ReceptionMethod,
    ReceptionSession,
    Role,
    SessionStatus,
    Unit,
    UnitKind,
    User,
    db,
)

PASSWORD = "correct-horse-9"
ID_NUMBER = make_id_number("330102", date(1975, 6, 1), 17)
PHONE = "13812345678"
CHROMIUM = "/usr/bin/chromium"
ON_CI = os.environ.get("CI") == "true"
_counter = itertools.count(1)


def pytest_report_header(config):
    if os.environ.get("DATABASE_URL"):
        return "database: PostgreSQL (DATABASE_URL)"
    return ("database: SQLite (temporary file). PostgreSQL is skipped in this run; "
            "`scripts/with-postgres make test` runs the suite on it, as .ci/run does.")


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's Chromium; without it they are skipped, and on CI that fails the run."""
    if Path(CHROMIUM).exists() and shutil.which("chromium"):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium): browser tests skipped")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    """Under CI=true nothing may be skipped."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if ON_CI and skipped:
        reporter.write_line(f"CI=true: {skipped} test(s) were skipped; failing the run.", red=True)
        session.exitstatus = 1


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The database under test: DATABASE_URL when set (PostgreSQL on CI), else a temporary SQLite file."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    if "test" not in make_url(url).database:
        pytest.exit("The tests empty the database: DATABASE_URL must name a database whose name contains 'test'.", 2)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        upgrade()
        db.engine.dispose()
    return url


def clear_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def make_test_app(database_url, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret",
    }
    config.update(overrides)
    return create_app(config)


def serve_app(database_url, prepare=clear_tables, **overrides):
    """Yield an app whose database `prepare` has readied (emptied by default), and close it afterwards."""
    application = make_test_app(database_url, **overrides)
    with application.app_context():
        prepare()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(database_url):
    """A fresh app on an emptied database; CSRF is off here (see `csrf_app`)."""
    yield from serve_app(database_url)


@pytest.fixture
def csrf_app(database_url):
    """The app with CSRF protection on, as in production."""
    yield from serve_app(database_url, WTF_CSRF_ENABLED=True)


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on its own migrated SQLite file, for SQLite-only behaviour, whatever DATABASE_URL says."""
    yield from serve_app(f"sqlite:///{tmp_path / 'own.sqlite3'}", prepare=upgrade)


@pytest.fixture
def client(app):
    return app.test_client()


def persist(app, obj):
    """Commit a new record and hand it back detached, with its columns loaded."""
    with app.app_context():
        db.session.add(obj)
        db.session.commit()
        db.session.refresh(obj)
        db.session.expunge(obj)
        return obj


@pytest.fixture
def make_unit(app):
    def factory(name=None, kind=UnitKind.township, parent=None):
        return persist(app, Unit(name=name or f"单位{next(_counter)}", kind=kind,
                                 parent_id=parent.id if parent else None))

    return factory


@pytest.fixture
def make_user(app, make_unit):
    def factory(role=Role.clerk, username=None, unit=None, password=PASSWORD, active=True):
        unit = unit or make_unit()
        user = User(username=username or f"{role.value}{next(_counter)}", display_name=f"测试{role.value}",
                    role=role, unit_id=unit.id, active=active)
        user.set_password(password)
        return persist(app, user)

    return factory


@pytest.fixture
def make_leader(app, make_unit):
    def factory(name=None, post=LeaderPost.county_leader, unit=None, user=None):
        unit = unit or make_unit(kind=UnitKind.county)
        return persist(app, Leader(name=name or f"领导{next(_counter)}", title="副县长", portfolio="信访",
                                   post=post, unit_id=unit.id, user_id=user.id if user else None))

    return factory


@pytest.fixture
def make_method(app):
    def factory(name=None):
        return persist(app, ReceptionMethod(name=name or f"定点接访{next(_counter)}"))

    return factory


@pytest.fixture
def make_session(app, make_leader, make_unit, make_method):
    """A reception session (published unless told otherwise), a week ahead by default."""

    def factory(day=None, start=time(9), end=time(12), place=None, leaders=None, status=SessionStatus.published,
                unit=None, method=None, **fields):
        leaders = leaders or [make_leader()]
        unit = unit or make_unit(kind=UnitKind.county)
        method = method or make_method()
        with app.app_context():
            item = ReceptionSession(
                day=day or date.today() + timedelta(days=7), start_time=start, end_time=end,
                place=place or f"接待室{next(_counter)}", unit_id=unit.id, method_id=method.id, status=status,
                leaders=[db.session.get(Leader, leader.id) for leader in leaders], **fields)
            db.session.add(item)
            db.session.commit()
            return item.id

    return factory


@pytest.fixture
def login(client, make_user):
    """login(role) creates a user of that role and logs the client in through the login page."""

    def do_login(role=Role.clerk, **kwargs):
        user = make_user(role=role, **kwargs)
        client.post("/auth/logout")  # a second login() in a test switches users
        response = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.data
        return user

    return do_login


def csrf_token_from(html: bytes | str) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text).group(1)


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free loopback port, for the browser tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture
def category(app):
    return persist(app, Category(name="城乡建设"))


@pytest.fixture
def make_petition(app):
    """A petition with one petitioner, committed; returns its id. Extra keyword arguments set Petition columns."""
    def factory(summary="反映拆迁补偿问题", purpose=Purpose.claim, accused_unit=None, lead_unit=None, leader=None,
                id_number=ID_NUMBER, phone=PHONE, name="王某", received_on=None, status=CaseStatus.registered,
                co_units=(), **fields):
        with app.app_context():
            petition = Petition(number=f"T{next(_counter):06d}", received_on=received_on or date.today(),
                                channel=fields.pop("channel", Channel.visit), purpose=purpose, summary=summary,
                                status=status, accused_unit_id=accused_unit.id if accused_unit else None,
                                lead_unit_id=lead_unit.id if lead_unit else None,
                                leader_id=leader.id if leader else None, **fields)
            # The statistics' stored dates, as the register flow sets them, unless the test gives its own.
            for column, value in clock_dates(petition, official_calendar()).items():
                if column != "due_on" and column not in fields:
                    setattr(petition, column, value)
            if "decided_on" not in fields:
                petition.decided_on = petition.accepted_on
            petition.co_units = [db.session.get(Unit, unit.id) for unit in co_units]
            petition.petitioners.append(Petitioner(name=name, id_number=id_number, phone=phone, address="东村1号"))
            db.session.add(petition)
            db.session.commit()
            return petition.id

    return factory

"""The command-line tasks: init-db, create-user, create-token, seed-demo, backup."""
import sqlite3
import subprocess
from datetime import date

from blueprints.cases.idnumber import is_valid_id_number
from demo_cases import FIRST_LOAD
from models import CaseStatus, Channel, Leader, Petition, Petitioner, Purpose, ReceptionSession, Role, Unit, User, db


def run(app, *args, **kwargs):
    result = app.test_cli_runner().invoke(args=list(args), **kwargs)
    assert result.exit_code == 0, result.output
    return result.output


def test_init_db_is_repeatable(app):
    assert "up to date" in run(app, "init-db")


def test_create_user_with_password_or_prompt(app, client):
    run(app, "create-user", "chen", "--role", "supervisor", "--password", "pw-long-enough")
    run(app, "create-user", "liu", "--role", "clerk", input="prompted-pw-1\nprompted-pw-1\n")
    assert client.post("/auth/login", data={"username": "liu", "password": "prompted-pw-1"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(User.role).where(User.username == "chen")) == Role.supervisor
    duplicate = app.test_cli_runner().invoke(args=["create-user", "chen", "--role", "clerk", "--password", "x" * 9])
    assert duplicate.exit_code != 0 and "exists" in duplicate.output


def test_create_token_prints_a_working_token_that_is_stored_hashed(app, client, make_user):
    user = make_user(Role.clerk, username="api-user")
    token = run(app, "create-token", "api-user").strip()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json["username"] == user.username
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with app.app_context():
        stored = db.session.execute(db.text("SELECT token_hash FROM api_token")).scalar_one()
    assert token not in stored and len(stored) == 64


def test_seed_demo_is_deterministic_idempotent_and_prints_logins(app, client, sqlite_app):
    output = run(app, "seed-demo", "--seed", "7")
    assert "admin" in output and "demo2026" in output

    def snapshot(application):
        with application.app_context():
            names = db.session.scalars(db.select(Leader.name).order_by(Leader.id)).all()
            counts = [db.session.scalar(db.select(db.func.count()).select_from(m))
                      for m in (Unit, Leader, User, ReceptionSession)]
        return names, counts

    first = snapshot(app)
    assert first[1][3] > 0  # the demo includes reception sessions
    assert "already" in run(app, "seed-demo", "--seed", "7")
    assert snapshot(app) == first
    run(sqlite_app, "seed-demo", "--seed", "7")
    assert snapshot(sqlite_app) == first
    for role in Role:
        assert client.post("/auth/login", data={"username": role.value, "password": "demo2026"}).status_code == 302
        client.post("/auth/logout")


def test_seed_demo_adds_generated_petitions_in_bulk(app):
    run(app, "seed-demo", "--seed", "3", "--cases", "120")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Petition.id))) == FIRST_LOAD + 120
        numbers = db.session.scalars(db.select(Petitioner.id_number)).all()
        first = db.session.scalars(db.select(Petition.summary).order_by(Petition.id).limit(5)).all()
    assert len(numbers) == FIRST_LOAD + 120 and all(is_valid_id_number(number) for number in numbers)
    assert "Added 30 petitions." in run(app, "seed-demo", "--seed", "3", "--cases", "30")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Petition.id))) == FIRST_LOAD + 150
        assert db.session.scalars(db.select(Petition.summary).order_by(Petition.id).limit(5)).all() == first
        # The bulk load gives ids itself; a case registered afterwards still gets a free one (PostgreSQL sequence).
        later = Petition(number="AFTER-DEMO", received_on=date.today(), channel=Channel.visit, purpose=Purpose.claim,
                         summary="演示数据之后登记", status=CaseStatus.registered)
        db.session.add(later)
        db.session.commit()
        assert later.id == FIRST_LOAD + 151


def test_sqlite_backup_writes_a_consistent_copy(sqlite_app, tmp_path):
    run(sqlite_app, "create-user", "kept-in-backup", "--role", "clerk", "--password", "pw-long-enough")
    target = tmp_path / "copy.sqlite3"
    run(sqlite_app, "backup", str(target))
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM user_account WHERE username='kept-in-backup'").fetchone()[0] == 1
    finally:
        copy.close()


def test_backup_of_the_database_under_test(app, tmp_path, make_user):
    """On PostgreSQL this is pg_dump's custom format; on SQLite, a database file."""
    make_user(username="in-the-dump")
    target = tmp_path / "backup.bin"
    run(app, "backup", str(target))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert target.read_bytes().startswith(b"SQLite format 3")
    else:
        listing = subprocess.run(["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True)
        assert "TABLE DATA public user_account" in listing.stdout

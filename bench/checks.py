"""Benchmark a full run of the automated checks over 1,000,000 cases, a year of sessions and 10,000 rectification items.

Works on a copy of bench/cases.py's 1M-case database, so the case benchmark's data stays as it is: on SQLite
/tmp/xinfang-bench-checks-1000000.sqlite3 copied from /tmp/xinfang-bench-cases-1000000.sqlite3, on PostgreSQL the
database xinfang_bench_checks_1000000 created from xinfang_bench_1000000 as a template. Either source is seeded by
bench/cases.py's own code when missing (a few minutes). The copy is migrated to the current head, and a year of
reception sessions (one or two per working day, records on most past ones) and 10,000 rectification items (some
overdue) are added once, in bulk Core inserts. Then it times `runs.run_checks` twice, with the stored findings
emptied first: the first run finds everything anew, the second finds the same things again. Per check: the time,
found, new and resolved; then the run's page. Target: under 10 s per run.

    .venv/bin/python bench/checks.py [--cases 1000000] [--fresh]
    scripts/with-postgres .venv/bin/python bench/checks.py --postgres
"""
from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, time as clock, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import cases as case_bench  # noqa: E402  (bench/cases.py: seeding and migrating the 1M-case database)
import demo  # noqa: E402
from app import create_app  # noqa: E402
from blueprints.shared import official_calendar  # noqa: E402
from blueprints.supervision import runs  # noqa: E402
from models import (  # noqa: E402
    CheckCount,
    CheckFinding,
    CheckKind,
    CheckRun,
    CheckTrigger,
    Leader,
    Petition,
    ReceptionMethod,
    ReceptionRecord,
    ReceptionSession,
    RectificationItem,
    RectificationStatus,
    SessionStatus,
    SupervisionNotice,
    Unit,
    UnitKind,
    db,
    reception_session_leader,
)

TARGET_S = 10
BENCH_PLACE = "县群众工作中心（基准测试）"  # marks the sessions this script added
ITEMS = 10_000
FLASK = str(ROOT / ".venv/bin/flask")


def urls(cases: int, postgres: bool) -> tuple[str, str]:
    """(source with the cases, the copy this benchmark works on)."""
    source = case_bench.database_urls([cases], postgres)[cases]
    parsed = make_url(source)
    if parsed.get_backend_name() == "sqlite":
        return source, f"sqlite:////tmp/xinfang-bench-checks-{cases}.sqlite3"
    return source, parsed.set(database=f"xinfang_bench_checks_{cases}").render_as_string(hide_password=False)


def prepare(source: str, target: str, cases: int, fresh: bool) -> None:
    """Copy the case database unless a copy is there, then migrate the copy to the current head."""
    parsed = make_url(target)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        if fresh or not path.exists():
            case_bench.prepare(source, cases, force=False)
            copy_sqlite(Path(make_url(source).database), path)
    elif fresh or case_bench.petitions_in(target) < cases:
        case_bench.prepare(source, cases, force=False)
        copy_postgres(make_url(source), parsed)
    env = {**os.environ, "DATABASE_URL": target}
    subprocess.run([FLASK, "--app", "app", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)


def copy_sqlite(source: Path, target: Path) -> None:
    print(f"copying {source} to {target} …", flush=True)
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    reader, writer = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(partial)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    partial.rename(target)


def copy_postgres(source, target) -> None:
    print(f"copying database {source.database} to {target.database} …", flush=True)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}" TEMPLATE "{source.database}"'))
    engine.dispose()


def add_sessions_and_items(today: date) -> None:
    """A year of sessions and 10,000 rectification items, once (the sessions carry BENCH_PLACE)."""
    if db.session.scalar(db.select(ReceptionSession.id).where(ReceptionSession.place == BENCH_PLACE).limit(1)):
        return
    started = time.monotonic()
    rng = random.Random(5)
    calendar = official_calendar()
    county = db.session.scalar(db.select(Unit.id).where(Unit.kind == UnitKind.county))
    units = db.session.scalars(db.select(Unit.id)).all()
    method = db.session.scalar(db.select(ReceptionMethod.id))
    leaders = db.session.scalars(db.select(Leader.id).where(Leader.active.is_(True))).all()
    now = datetime.now(timezone.utc)
    next_id = (db.session.scalar(db.select(db.func.max(ReceptionSession.id))) or 0) + 1
    sessions, links, records = [], [], []
    for offset in range(-335, 30):
        day = today + timedelta(days=offset)
        if not calendar.is_working_day(day) or rng.random() < 0.02:  # a few days left uncovered
            continue
        for start in rng.sample((clock(9), clock(14)), rng.choice((1, 1, 2))):
            status = SessionStatus.published
            if day < today:
                status = rng.choices((SessionStatus.held, SessionStatus.cancelled, SessionStatus.published),
                                     (90, 5, 5))[0]
            sessions.append({
                "id": next_id, "day": day, "start_time": start, "end_time": clock(start.hour + 3), "place": BENCH_PLACE,
                "unit_id": county, "method_id": method, "topic": "综合", "booking": "电话预约", "capacity": None,
                "public_remarks": "", "internal_remarks": "", "status": status,
                "cancel_reason": "工作调整" if status is SessionStatus.cancelled else "", "previous_day": None,
                "previous_start_time": None, "previous_end_time": None, "sequence": 1, "created_at": now,
                "updated_at": now, "version": 1})
            links.append({"session_id": next_id, "leader_id": rng.choice(leaders)})
            if status is SessionStatus.held:
                records.append({"session_id": next_id, "notes": "", "recorded_by_id": None, "recorded_at": now})
            next_id += 1
    db.session.execute(insert(ReceptionSession), sessions)
    db.session.execute(insert(reception_session_leader), links)
    db.session.execute(insert(ReceptionRecord), records)
    items = []
    for n in range(ITEMS):
        opened = today - timedelta(days=rng.randrange(365))
        deadline = opened + timedelta(days=rng.randrange(15, 90))
        closed = deadline < today and rng.random() < 0.8
        items.append({
            "inspection_id": None, "finding_id": None, "petition_id": None, "unit_id": rng.choice(units),
            "leader_id": rng.choice(leaders) if rng.random() < 0.3 else None, "responsible_person": "整改责任人",
            "problem": f"接访台账记录不全（基准测试 {n}）", "measures": "补齐台账，建立月度核查制度",
            "opened_on": opened,
            "deadline": deadline, "status": RectificationStatus.closed if closed else RectificationStatus.open,
            "verification": "已核实整改到位" if closed else "", "verified_on": deadline if closed else None,
            "verified_by_id": None, "closed_on": deadline if closed else None, "closed_by_id": None,
            "created_by_id": None, "created_at": now, "updated_at": now, "version": 1})
    db.session.execute(insert(RectificationItem), items)
    db.session.commit()
    print(f"added {len(sessions):,} sessions ({len(records):,} with records) and {ITEMS:,} rectification items "
          f"in {time.monotonic() - started:.0f} s", flush=True)


def forget_runs() -> None:
    """Empty the stored runs, so the first run below finds everything anew."""
    db.session.execute(db.update(RectificationItem).values(finding_id=None))
    db.session.execute(db.update(SupervisionNotice).values(finding_id=None))
    for model in (CheckCount, CheckFinding, CheckRun):
        db.session.execute(db.delete(model))
    db.session.commit()


def timed_run(today: date) -> tuple[float, list[tuple[CheckKind, float, CheckCount]]]:
    """One run, with the time of each check (store_check is wrapped for the duration)."""
    per_check = []
    store = runs.store_check

    def timed(connection, run_id, check, params):
        started = time.perf_counter()
        count = store(connection, run_id, check, params)
        per_check.append((check.kind, time.perf_counter() - started, count))
        return count

    runs.store_check = timed
    try:
        started = time.perf_counter()
        runs.run_checks(CheckTrigger.cli, None, today)
        return time.perf_counter() - started, per_check
    finally:
        runs.store_check = store


def print_run(label: str, total: float, per_check) -> None:
    verdict = "met" if total < TARGET_S else "MISSED"
    print(f"\n{label}: {total:.2f} s (target under {TARGET_S} s: {verdict})")
    print(f"  {'check':<20}{'time':>9}{'found':>10}{'new':>10}{'resolved':>10}")
    for kind, seconds, count in per_check:
        print(f"  {kind.value:<20}{seconds:8.2f}s{count.found:>10,}{count.new:>10,}{count.resolved:>10,}")
    rest = total - sum(seconds for _, seconds, _ in per_check)
    print(f"  {'(lock, calendar, commit)':<20}{rest:8.2f}s")


def time_pages(app, run_id: int) -> None:
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "supervisor", "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302, "the demo supervisor could not log in"
    print("\nPages (demo supervisor, median of 5 after a warm-up):")
    for url in ("/supervision/checks", f"/supervision/checks/runs/{run_id}",
                f"/supervision/checks/runs/{run_id}?kind=overdue_case&page=20"):
        times = []
        for n in range(6):
            started = time.perf_counter()
            response = client.get(url)
            if response.status_code != 200:
                sys.exit(f"{url} answered {response.status_code}")
            times.append((time.perf_counter() - started) * 1000)
        print(f"  {url:<55}{sorted(times[1:])[2]:8.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true", help="copy the case database again")
    parser.add_argument("--postgres", action="store_true", help="use databases on the server of DATABASE_URL")
    args = parser.parse_args()
    source, target = urls(args.cases, args.postgres)
    prepare(source, target, args.cases, args.fresh)
    app = create_app({"SQLALCHEMY_DATABASE_URI": target, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    today = date.today()
    with app.app_context():
        add_sessions_and_items(today)
        if args.postgres:
            db.session.commit()
            case_bench.vacuum_analyze(target)
        sizes = {name: db.session.scalar(db.select(db.func.count()).select_from(model)) for name, model in (
            ("cases", Petition), ("sessions", ReceptionSession), ("rectification items", RectificationItem))}
        print(f"{make_url(target).render_as_string()}: " + ", ".join(f"{n:,} {name}" for name, n in sizes.items())
              + f"; as of {today}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
        forget_runs()
        print_run("First run (every finding new)", *timed_run(today))
        print_run("Second run (the same findings again)", *timed_run(today))
        run_id = db.session.scalar(db.select(db.func.max(CheckRun.id)))
        db.session.remove()
    if args.postgres:
        case_bench.vacuum_analyze(target)  # the statistics autovacuum would have after the findings were written
    time_pages(app, run_id)
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()

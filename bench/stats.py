"""Benchmark the statistics at 1,000,000 cases: the API answer and the dashboard page for a full year.

Works on its own copy of the 1M-case database, so the other benchmarks' data stays as it is: on SQLite
/tmp/xinfang-bench-stats-1000000.sqlite3 copied from bench/checks.py's copy when it is there (it has a year of
reception sessions), else from bench/cases.py's database; on PostgreSQL the database xinfang_bench_stats_1000000
created from xinfang_bench_1000000 as a template. Missing sources are seeded by bench/cases.py's own code (minutes
on SQLite, about ten on PostgreSQL). The copy is migrated to the current head (the migration of the statistics
backfills decided_on and the due dates and builds ix_petition_stats) and gets bench/checks.py's year of sessions.

Then, in-process with Flask's test client logged in as the demo clerk, it times the API for the year
(`/api/v1/stats?from=…&to=…`, alone and with `by=township` and `by=category`) and the dashboard page
(`/stats/?period=custom&from=…&to=…`, once it renders figures): `--warmup` rounds, then the median of `--repeat`
rounds, the requests taking turns.
Last, the query plan of the year's count (SQLite must read only ix_petition_stats: a COVERING INDEX; PostgreSQL an
Index Only Scan) and the time of that one query. Targets: API under 300 ms, page under 500 ms (median).

    .venv/bin/python bench/stats.py [--cases 1000000] [--year 2025] [--warmup 3] [--repeat 9] [--fresh]
    scripts/with-postgres .venv/bin/python bench/stats.py --postgres
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cases as case_bench  # noqa: E402  (bench/cases.py: seeding the 1M-case database)
import checks as check_bench  # noqa: E402  (bench/checks.py: copying it, a year of reception sessions)
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import demo  # noqa: E402
import figures  # noqa: E402
from app import create_app  # noqa: E402
from blueprints.cases.access import visible_petitions  # noqa: E402
from models import Petition, User, db  # noqa: E402

TARGETS_MS = {"api": 300, "page": 500}
FLASK = str(ROOT / ".venv/bin/flask")


def urls(cases: int, postgres: bool) -> tuple[str, str]:
    """(the database to copy, the copy this benchmark works on)."""
    source, checks_copy = check_bench.urls(cases, postgres)
    parsed = make_url(source)
    if parsed.get_backend_name() == "sqlite":
        if Path(make_url(checks_copy).database).exists():
            source = checks_copy
        return source, f"sqlite:////tmp/xinfang-bench-stats-{cases}.sqlite3"
    return source, parsed.set(database=f"xinfang_bench_stats_{cases}").render_as_string(hide_password=False)


def prepare(source: str, target: str, cases: int, fresh: bool) -> None:
    """Copy the source unless a copy is there, migrate the copy to the current head, add the sessions once."""
    parsed = make_url(target)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        if fresh or not path.exists():
            if not Path(make_url(source).database).exists():
                case_bench.prepare(source, cases, force=False)
            check_bench.copy_sqlite(Path(make_url(source).database), path)
    elif fresh or case_bench.petitions_in(target) < cases:
        case_bench.prepare(source, cases, force=False)
        check_bench.copy_postgres(make_url(source), parsed)
    print("migrating the copy to the current head …", flush=True)
    started = time.monotonic()
    subprocess.run([FLASK, "--app", "app", "init-db"], cwd=ROOT, env={**os.environ, "DATABASE_URL": target},
                   check=True, capture_output=True)
    print(f"  done in {time.monotonic() - started:.0f} s", flush=True)


def bench_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})


def timed(client, url: str) -> tuple[float, float]:
    """(wall, CPU) in ms of one request; the CPU time of this process includes SQLite's work, not PostgreSQL's."""
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    wall, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    if response.status_code != 200:
        sys.exit(f"{url} answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return wall, cpu


def dashboard_renders_figures(client, url: str) -> bool:
    """Whether the dashboard page is there and shows the year's total (not the placeholder)."""
    response = client.get(url)
    return response.status_code == 200 and "figure=total" in response.get_data(as_text=True)


def measure(app, year: int, warmup: int, repeat: int) -> list[tuple[str, str, float, float, float]]:
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "clerk", "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302, "the demo clerk could not log in"
    span = f"from={year}-01-01&to={year}-12-31"
    requests = [("api", f"/api/v1/stats?{span}"), ("api", f"/api/v1/stats?{span}&by=township"),
                ("api", f"/api/v1/stats?{span}&by=category")]
    page = f"/stats/?period=custom&{span}"
    if dashboard_renders_figures(client, page):
        requests.append(("page", page))
    else:
        print(f"  {page} does not render the figures yet: not measured", flush=True)
    # The requests take turns round by round, so a busy machine slows them all alike.
    for _ in range(warmup):
        for _, url in requests:
            timed(client, url)
    samples = {url: [] for _, url in requests}
    for _ in range(repeat):
        for _, url in requests:
            samples[url].append(timed(client, url))
    results = []
    for kind, url in requests:
        walls, cpus = zip(*samples[url])
        results.append((kind, url, statistics.median(walls), min(walls), statistics.median(cpus)))
    return results


def print_table(results, warmup: int, repeat: int) -> None:
    print(f"\nServer time in ms: Flask test client in-process, demo clerk, median and fastest of {repeat} requests "
          f"after {warmup} rounds of warm-up, the requests taking turns; median CPU time of this process; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'request':<62}{'median':>8}{'fastest':>8}{'cpu':>8}  target")
    for kind, url, median, fastest, cpu in results:
        verdict = "met" if median < TARGETS_MS[kind] else "MISSED"
        print(f"{url:<62}{median:8.0f}{fastest:8.0f}{cpu:8.0f}  under {TARGETS_MS[kind]} ms: {verdict}")


def explain_year(app, year: int) -> None:
    """The year's count as the API runs it for the demo clerk: its time (each run a transaction of its own, as in a
    request) and its plan."""
    with app.app_context():
        clerk = db.session.scalar(db.select(User).where(User.username == "clerk"))
        scope, today = visible_petitions(clerk), date.today()
        period = figures.Period(date(year, 1, 1), date(year, 12, 31))
        postgres = db.engine.dialect.name == "postgresql"
        for by in (None, "township"):
            statements = []

            def keep(connection, cursor, statement, parameters, context, executemany):
                statements.append((statement, parameters))

            event.listen(db.engine, "before_cursor_execute", keep)
            milliseconds = []
            for _ in range(5):
                started = time.perf_counter()
                figures.count_figures(scope, period, today, by=by)
                milliseconds.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            event.remove(db.engine, "before_cursor_execute", keep)
            statement, parameters = statements[-1]
            explain = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
            plan = [" ".join(str(part) for part in (row if postgres else row[3:]))
                    for row in db.session.connection().exec_driver_sql(explain + statement, parameters)]
            wanted = "Index Only Scan using ix_petition_stats" if postgres else "COVERING INDEX ix_petition_stats"
            covered = any(wanted in line for line in plan)
            print(f"\ncount_figures(clerk, {year}, by={by}): median {statistics.median(milliseconds):.0f} ms of 5; "
                  f"{'reads only' if covered else 'does NOT read only'} ix_petition_stats")
            for line in plan:
                print(f"  {line}")
        db.session.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=date.today().year - 1, help="the year counted (last year)")
    parser.add_argument("--warmup", type=int, default=3, help="rounds of requests before timing")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--fresh", action="store_true", help="copy the case database again")
    parser.add_argument("--postgres", action="store_true", help="use databases on the server of DATABASE_URL")
    args = parser.parse_args()
    source, target = urls(args.cases, args.postgres)
    prepare(source, target, args.cases, args.fresh)
    app = bench_app(target)
    with app.app_context():
        check_bench.add_sessions_and_items(date.today())
        db.session.commit()
        received = db.session.scalar(db.select(db.func.count()).select_from(Petition).where(
            Petition.received_on.between(date(args.year, 1, 1), date(args.year, 12, 31))))
        total = db.session.scalar(db.select(db.func.count()).select_from(Petition))
        db.session.remove()
    if args.postgres:
        case_bench.vacuum_analyze(target)  # what autovacuum leaves on a live server (an index-only scan needs it)
    print(f"{make_url(target).render_as_string()}: {total:,} cases, {received:,} received in {args.year}", flush=True)
    print_table(measure(app, args.year, args.warmup, args.repeat), args.warmup, args.repeat)
    explain_year(app, args.year)
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()

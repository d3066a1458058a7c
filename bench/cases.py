"""Benchmark the case list, search and case page at 10,000 and 1,000,000 cases, and the export of 100,000 rows.

For each case count, builds a throwaway database with `flask seed-demo --cases N` (SQLite files under /tmp, kept
and reused by later runs; `--force` seeds again) and migrates it to the current head, so new indexes are built.
Then it times every URL in-process with Flask's test client, logged in as the demo clerk: `--repeat` requests
after a warm-up, median and p90 of the server time in ms. One table shows both sizes and the ratio, against the
targets of the issue: under 50 ms at the largest size and at most 1.25 times the time at the smallest.
When the app has `/cases/export`, the export of `--export-rows` rows runs in a child process: wall time and the
child's peak RSS.

    .venv/bin/python bench/cases.py [--cases 10000 1000000] [--repeat 20] [--force]
    scripts/with-postgres .venv/bin/python bench/cases.py --postgres   # databases xinfang_bench_N on that server

Seeding 1,000,000 cases takes about 2 minutes on SQLite.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

import demo  # noqa: E402
from app import create_app  # noqa: E402
from models import CaseStatus, Petition, Petitioner, db  # noqa: E402

TARGET_MS = 50
TARGET_RATIO = 1.25
LISTED_CASE = re.compile(r'<td class="nowrap"><a href="/cases/\d+">')  # one per row of the case list
WARMUP = 3
FLASK = str(ROOT / ".venv/bin/flask")


def database_urls(cases: list[int], postgres: bool) -> dict[int, str]:
    if not postgres:
        return {n: f"sqlite:////tmp/xinfang-bench-cases-{n}.sqlite3" for n in cases}
    server = make_url(os.environ.get("DATABASE_URL", ""))
    if server.get_backend_name() != "postgresql":
        sys.exit("--postgres needs DATABASE_URL pointing at a PostgreSQL server (scripts/with-postgres)")
    return {n: server.set(database=f"xinfang_bench_{n}").render_as_string(hide_password=False) for n in cases}


def prepare(url: str, cases: int, force: bool) -> None:
    """Seed the database unless a complete one is there, then apply every migration."""
    env = {**os.environ, "DATABASE_URL": url}
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        if force or not path.exists():
            # Seed under another name: an interrupted seed never passes for a complete database.
            partial = path.with_suffix(".partial")
            for leftover in (path, partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
                leftover.unlink(missing_ok=True)
            seed({**env, "DATABASE_URL": f"sqlite:///{partial}"}, cases)
            partial.rename(path)
    elif force or petitions_in(url) < cases:
        recreate_postgres_database(parsed)
        seed(env, cases)
    subprocess.run([FLASK, "--app", "app", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)
    if parsed.get_backend_name() == "postgresql":
        vacuum_analyze(url)


def vacuum_analyze(url: str) -> None:
    """Statistics and visibility map as autovacuum leaves them on a live server, not as a bulk load leaves them."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def seed(env: dict, cases: int) -> None:
    started = time.monotonic()
    print(f"seeding {cases:,} cases (seed-demo) …", flush=True)
    subprocess.run([FLASK, "--app", "app", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([FLASK, "--app", "app", "seed-demo", "--cases", str(cases)], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    print(f"  seeded in {time.monotonic() - started:.0f} s", flush=True)


def petitions_in(url: str) -> int:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM petition")).scalar()
    except (OperationalError, ProgrammingError):
        return -1
    finally:
        engine.dispose()


def recreate_postgres_database(url) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    engine.dispose()


def bench_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})


def login(client) -> None:
    response = client.post("/auth/login", data={"username": "clerk", "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302, "the demo clerk could not log in"


def sample_urls(app) -> list[tuple[str, str, bool]]:
    """(label, URL, whether the issue's target applies) for one database; values picked from its data."""
    with app.app_context():
        middle = db.session.scalar(db.select(db.func.max(Petition.id))) // 2
        item = db.session.get(Petition, middle)
        # A package case in progress: the same kind of case page at every size.
        handled = db.session.scalar(db.select(Petition).where(
            Petition.id >= middle, Petition.leader_id.is_not(None), Petition.status == CaseStatus.in_progress)
            .order_by(Petition.id).limit(1))
        person = db.session.scalar(db.select(Petitioner).where(Petitioner.petition_id == middle))
        named = db.session.scalar(db.select(Petitioner).where(Petitioner.petition_id == middle + 1))
        values = dict(category=item.category_id, township=item.township_id, unit=handled.lead_unit_id,
                      leader=handled.leader_id, number=item.number, id_number=person.id_number, phone=person.phone,
                      name=named.name, page=handled.id)
    today = date.today()

    def cases(**args) -> str:
        return "/cases/?" + urlencode(args) if args else "/cases/"

    return [
        ("list, no filter", cases(), True),
        ("status=in_progress", cases(status="in_progress"), True),
        ("channel=letter", cases(channel="letter"), True),
        ("purpose=claim", cases(purpose="claim"), True),
        ("category", cases(category=values["category"]), True),
        ("township", cases(township=values["township"]), True),
        ("unit (lead unit)", cases(unit=values["unit"]), True),
        ("leader", cases(leader=values["leader"]), True),
        ("clock=overdue", cases(clock="overdue"), True),
        ("clock=due_soon", cases(clock="due_soon"), True),
        ("received from/to (30 days)", cases(**{"from": (today - timedelta(days=60)).isoformat(),
                                               "to": (today - timedelta(days=30)).isoformat()}), True),
        ("sort=oldest", cases(sort="oldest"), True),
        ("sort=due", cases(sort="due"), True),
        ("page 20", cases(page=20), False),
        ("search: ID number", cases(q=values["id_number"]), True),
        ("search: phone", cases(q=values["phone"]), True),
        ("search: case number", cases(q=values["number"]), False),
        ("search: name", cases(q=values["name"]), False),
        ("search: summary word (10 %)", cases(q="宅基地"), False),
        ("search: summary text (1 case)", cases(q=f"演示数据 {middle}"), False),
        ("case page", f"/cases/{values['page']}", True),
    ]


def measure(urls: dict[int, str], repeat: int) -> dict[int, list[tuple]]:
    """(label, target applies, median, p90 and median CPU time in ms, cases listed) per URL and database size.

    The sizes take turns request by request, so a busy machine slows both alike and the ratio stays fair."""
    apps = {cases: bench_app(url) for cases, url in urls.items()}
    clients = {cases: app.test_client() for cases, app in apps.items()}
    samples = {cases: sample_urls(app) for cases, app in apps.items()}
    for client in clients.values():
        login(client)
    results = {cases: [] for cases in urls}
    for index, (label, _, targeted) in enumerate(next(iter(samples.values()))):
        times = {cases: ([], []) for cases in urls}
        listed = {}
        for n in range(WARMUP + repeat):
            for cases, client in clients.items():
                path = samples[cases][index][1]
                started, cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                wall, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
                if response.status_code != 200:
                    sys.exit(f"{path} answered {response.status_code}")
                if n >= WARMUP:
                    times[cases][0].append(wall)
                    times[cases][1].append(cpu)
                listed[cases] = len(LISTED_CASE.findall(response.get_data(as_text=True)))
        for cases, (walls, cpus) in times.items():
            walls.sort()
            results[cases].append((label, targeted, statistics.median(walls), walls[int(0.9 * (len(walls) - 1))],
                                   statistics.median(cpus), listed[cases]))
        print(f"  {label:<32}" + "".join(f"{results[cases][-1][2]:10.1f} ms" for cases in urls), flush=True)
    for app in apps.values():
        with app.app_context():
            db.engine.dispose()
    return results


def print_table(results: dict[int, list], repeat: int) -> None:
    sizes = sorted(results)
    small, large = sizes[0], sizes[-1]
    print(f"\nServer time in ms: Flask test client in-process, demo clerk, {repeat} requests after {WARMUP} warm-up; "
          f"wall-clock median and p90, median CPU time of the process, cases listed on the page; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'':<32}" + "".join(f"{f'{n:,} cases':>30}" for n in sizes) + f"{'ratio':>8}{'ratio':>7}")
    print(f"{'request':<32}" + f"{'median':>8}{'p90':>8}{'cpu':>8}{'cases':>6}" * len(sizes)
          + f"{'(wall)':>8}{'(cpu)':>7}  target")
    for index, (label, targeted, *_) in enumerate(results[small]):
        line = f"{label:<32}" + "".join("".join(f"{value:8.1f}" for value in results[n][index][2:5])
                                        + f"{results[n][index][5]:6d}" for n in sizes)
        ratio = results[large][index][2] / results[small][index][2]
        cpu_ratio = results[large][index][4] / results[small][index][4]
        verdict = ""
        if targeted and len(sizes) > 1:
            met = results[large][index][2] < TARGET_MS and ratio <= TARGET_RATIO
            verdict = "met" if met else "MISSED"
            if results[large][index][5] != results[small][index][5]:
                verdict += f" ({results[small][index][5]} vs {results[large][index][5]} cases listed)"
        print(line + f"{ratio:8.2f}{cpu_ratio:7.2f}  {verdict}")
    print(f"target (rows marked): median under {TARGET_MS} ms at {large:,} cases and at most {TARGET_RATIO}x "
          f"the median at {small:,}")


def has_export(app) -> bool:
    return any(rule.rule == "/cases/export" for rule in app.url_map.iter_rules())


def export_args(url: str, rows: int) -> dict:
    """Query arguments selecting about `rows` petitions: everything received since the day of the rows-th newest."""
    app = bench_app(url)
    with app.app_context():
        since = db.session.scalar(db.select(Petition.received_on).order_by(Petition.received_on.desc())
                                  .offset(rows - 1).limit(1))
        db.engine.dispose()
    return {"from": since.isoformat()} if since else {}


def measure_export(url: str, rows: int) -> None:
    """Run the export in a child process: wall time, rows selected, bytes written and the child's peak RSS."""
    args = export_args(url, rows)
    command = [sys.executable, __file__, "--export-child", url, urlencode(args)]
    started = time.monotonic()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if child.returncode:
        print(f"  export failed (exit {child.returncode}): {output.strip()}")
        return
    # ru_maxrss is in kilobytes on Linux.
    print(f"  /cases/export?{urlencode(args)}: {output.strip()}")
    print(f"  child process: wall time {wall:.1f} s, peak RSS {usage.ru_maxrss / 1024:.0f} MB "
          f"(targets: under 30 s and 200 MB)")


def export_child(url: str, query: str) -> None:
    """In the child: log in, stream the export to nowhere, print what it measured."""
    import resource
    from urllib.parse import parse_qsl

    from blueprints.cases.services import petition_list_query
    from models import User

    app = bench_app(url)
    client = app.test_client()
    login(client)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.monotonic()
    response = client.get(f"/cases/export?{query}", buffered=False)
    size = sum(len(chunk) for chunk in response.iter_encoded())
    response.close()
    elapsed = time.monotonic() - started
    if response.status_code != 200:
        sys.exit(f"/cases/export answered {response.status_code}")
    with app.app_context():
        clerk = db.session.scalar(db.select(User).where(User.username == "clerk"))
        selected = db.session.scalar(db.select(db.func.count()).select_from(
            petition_list_query(clerk, dict(parse_qsl(query))).order_by(None).subquery()))
    print(f"{selected:,} petitions, {size / 1e6:.1f} MB of {response.mimetype} in {elapsed:.1f} s "
          f"(peak RSS before the request, app loaded: {before:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--force", action="store_true", help="seed the databases again even when they exist")
    parser.add_argument("--postgres", action="store_true", help="use databases on the server of DATABASE_URL")
    parser.add_argument("--export-child", nargs=2, metavar=("URL", "QUERY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(*args.export_child)
        return
    urls = database_urls(sorted(args.cases), args.postgres)
    for cases, url in urls.items():
        prepare(url, cases, args.force)
        print(f"{cases:,} cases: {make_url(url).render_as_string()}", flush=True)
    print_table(measure(urls, args.repeat), args.repeat)
    for cases, url in urls.items():
        if cases < args.export_rows:
            continue
        print(f"\nExport at {cases:,} cases (demo clerk, masked ledger workbook):")
        if has_export(bench_app(url)):
            measure_export(url, args.export_rows)
        else:
            print("  no /cases/export route in this app: export not measured")


if __name__ == "__main__":
    main()

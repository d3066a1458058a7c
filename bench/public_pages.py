"""Benchmark the public schedule page and calendar feed under gunicorn (2 workers) with wrk.

For each case count given, seeds a fresh SQLite database with the demo data, a year of published
sessions (one per working day, as the rota makes them) and that many petitions, serves it with
gunicorn and measures `/` and `/receptions.ics` with `wrk -t1 -c8`, with the public cache on and
off. Prints requests/s and latency per URL, so the counts can be compared: the public pages never
read petitions, so their cost must not grow with them.

    .venv/bin/python bench/public_pages.py [--cases 1000 1000000] [--seconds 10]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time as clock
import urllib.request
from datetime import date, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

import demo  # noqa: E402
import demo_cases  # noqa: E402
from app import create_app  # noqa: E402
from models import Leader, ReceptionMethod, ReceptionSession, SessionStatus, Unit, UnitKind, db  # noqa: E402
from workdays import Calendar  # noqa: E402


def seed(database_url: str, cases: int) -> int:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        demo.load(1, date.today())
        db.session.commit()
        county = db.session.scalar(db.select(Unit).where(Unit.kind == UnitKind.county))
        method = db.session.scalar(db.select(ReceptionMethod))
        leaders = db.session.scalars(db.select(Leader)).all()
        calendar, day, rows = Calendar(), date.today() - timedelta(days=180), []
        for n in range(365):
            current = day + timedelta(days=n)
            if calendar.is_working_day(current):
                rows.append(ReceptionSession(
                    day=current, start_time=time(14), end_time=time(17), place="县群众工作中心二楼", unit=county,
                    method=method, leaders=[leaders[n % len(leaders)]], topic="综合", booking="电话预约",
                    status=SessionStatus.published, sequence=1))
        db.session.add_all(rows)
        db.session.commit()
        demo_cases.load_cases(cases, 1, date.today())
        total = db.session.scalar(db.select(db.func.count(ReceptionSession.id)))
        db.engine.dispose()
    return total


def wrk(url: str, seconds: int) -> dict:
    output = subprocess.run(["wrk", "-t1", "-c8", f"-d{seconds}s", "--timeout", "2s", "--latency", url],
                            capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", output).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", output).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rate": rate, "p50": p50, "p99": p99, "errors": int(errors.group(1)) if errors else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument("--cases", type=int, nargs="+", default=[1000])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (scripts/install-system-packages)")
    for cases in args.cases:
        run(cases, args)


def run(cases: int, args) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    started = clock.monotonic()
    sessions = seed(url, cases)
    print(f"{sessions} sessions and {cases} petitions (seeded in {clock.monotonic() - started:.0f} s); "
          f"gunicorn 2 workers; wrk -t1 -c8 -d{args.seconds}s")
    try:
        for cache in ("1", "0"):
            env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "PUBLIC_CACHE": cache}
            print("public cache on (the default)" if cache == "1" else "public cache off (every request renders)")
            measure(env, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure(env: dict, args) -> None:
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{args.port}",
                               "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/", timeout=1)
                break
            except OSError:
                clock.sleep(0.1)
        for path in ("/", "/receptions.ics"):
            result = wrk(base + path, args.seconds)
            print(f"  {path:<18} {result['rate']:8.1f} req/s   p50 {result['p50']:>8}   p99 {result['p99']:>8}"
                  f"   non-2xx {result['errors']}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


if __name__ == "__main__":
    main()

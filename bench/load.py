"""Load test: wrk on a mixed workload against gunicorn as production runs it, on SQLite or PostgreSQL.

Prepares a database (demo data plus `--cases` generated petitions, by bench/cases.py's seeding: a fresh SQLite file
under /tmp, or with --postgres the database xinfang_bench_load on the server DATABASE_URL points at), starts
gunicorn with gunicorn.conf.py (4 workers × 2 threads) on a free loopback port, logs the demo clerk in over HTTP
for a session cookie and makes the clerk an API token. Then four wrk processes run at the same time, one per route,
32 connections in all: the public schedule page (12, anonymous), the case list (8) and case pages across the data
(8) as the clerk, and registrations through the API with the token (4; bench/load.lua makes each petitioner new, so
the repeat-visit check never answers 409). `--warmup` seconds of the same load come first and are not measured.

Prints requests/s and latency per route and the CPU time gunicorn used per request, and checks: no socket error and
no answer but the expected one (200, or 201 for registrations: a redirect to the login page counts as an error), no
"database is locked" and no "Traceback" in gunicorn's error log, p99 under 500 ms per route, and every registration
wrk saw answered 201 is in the database. Exits 1 when a check fails. gunicorn is stopped by its pid whatever
happens; the database and the work folder (gunicorn's log) are removed unless --keep.

    .venv/bin/python bench/load.py [--seconds 60] [--cases 100000] [--warmup 5] [--keep]
    scripts/with-postgres .venv/bin/python bench/load.py --postgres
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy.engine import make_url  # noqa: E402

import cases as case_bench  # noqa: E402  (bench/cases.py: seeding a database, PostgreSQL helpers)
import demo  # noqa: E402
from app import create_app  # noqa: E402
from blueprints.cases.access import visible_petitions  # noqa: E402
from models import Petition, User, db  # noqa: E402

TARGET_P99_MS = 500
CASE_PAGES = 1000  # case ids spread over the data, visited in turn
USER_AGENT = "xinfang-load-bench"  # the same on login and in wrk: the session is bound to it
GUNICORN = str(ROOT / ".venv/bin/gunicorn")
LUA = str(ROOT / "bench/load.lua")
POSTGRES_DATABASE = "xinfang_bench_load"


@dataclass
class Route:
    label: str
    path: str
    connections: int
    mode: str  # bench/load.lua: get, pages or register
    expected: int
    caller: str  # public (no credentials), clerk (the session cookie) or token (the clerk's API token)


ROUTES = (
    Route("public /", "/", 12, "get", 200, "public"),
    Route("case list /cases/", "/cases/", 8, "get", 200, "clerk"),
    Route("case page /cases/<id>", "/cases/", 8, "pages", 200, "clerk"),
    Route("API POST /api/v1/cases", "/api/v1/cases", 4, "register", 201, "token"),
)


# --- the database --------------------------------------------------------------------------------------------------

def database_url(postgres: bool, workdir: Path) -> str:
    if not postgres:
        return f"sqlite:///{workdir / 'load.sqlite3'}"
    server = make_url(os.environ.get("DATABASE_URL", ""))
    if server.get_backend_name() != "postgresql":
        sys.exit("--postgres needs DATABASE_URL pointing at a PostgreSQL server (scripts/with-postgres)")
    return server.set(database=POSTGRES_DATABASE).render_as_string(hide_password=False)


def prepare(url: str, cases: int) -> None:
    """A new database: migrated, the demo data and `cases` generated petitions; on PostgreSQL vacuumed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        case_bench.recreate_postgres_database(parsed)
    case_bench.seed({**os.environ, "DATABASE_URL": url}, cases)
    if parsed.get_backend_name() == "postgresql":
        case_bench.vacuum_analyze(url)


def drop(url: str, workdir: Path) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        from sqlalchemy import create_engine, text

        engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)


def bench_data(url: str, workdir: Path) -> tuple[Path, Path]:
    """The files bench/load.lua reads: case ids the clerk may open, spread over the data, and the body to register."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        clerk = db.session.scalar(db.select(User).where(User.username == "clerk"))
        visible = db.select(Petition.id).where(visible_petitions(clerk))
        count = db.session.scalar(db.select(db.func.count()).select_from(visible.subquery()))
        step = max(1, count // CASE_PAGES)
        ids = db.session.scalars(visible.where(Petition.id % step == 0).order_by(Petition.id)).all()
        category = db.session.scalar(db.select(Petition.category_id).where(Petition.id == ids[len(ids) // 2]))
        db.engine.dispose()
    ids_file, body_file = workdir / "case-ids.txt", workdir / "register.json"
    ids_file.write_text("".join(f"{n}\n" for n in ids))
    # @N@ becomes the wrk run's tag, the wrk thread and a counter: the check counts the rows of a run by its tag.
    body_file.write_text(json.dumps({
        "channel": "visit", "received_on": date.today().isoformat(), "purpose": "claim", "category_id": category,
        "persons": 1, "summary": "负载测试 @N@",
        "petitioners": [{"name": "压测@N@", "village": "压测村"}]}, ensure_ascii=False))
    return ids_file, body_file


def registered(url: str, tag: str) -> tuple[int, int]:
    """Rows the bench registered: petitions, and distinct summaries among them (each request's is its own)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        made = db.select(Petition.summary).where(Petition.summary.like(f"负载测试 {tag}-%")).subquery()
        rows = db.session.scalar(db.select(db.func.count()).select_from(made))
        distinct = db.session.scalar(db.select(db.func.count(db.distinct(made.c.summary))))
        db.engine.dispose()
    return rows, distinct


def api_token(url: str) -> str:
    """A new API token of the demo clerk, by `flask create-token` as an administrator makes one."""
    made = subprocess.run([case_bench.FLASK, "--app", "app", "create-token", "clerk"], cwd=ROOT,
                          env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True)
    if made.returncode:
        sys.exit(f"flask create-token clerk failed:\n{made.stdout}{made.stderr}")
    return made.stdout.strip().splitlines()[-1]


# --- gunicorn --------------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(url: str, port: int, workdir: Path) -> Path:
    """gunicorn as production starts it (gunicorn.conf.py), daemonized on the loopback; answers the pid file."""
    pidfile = workdir / "gunicorn.pid"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32)}
    subprocess.run([GUNICORN, "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--daemon",
                    "--pid", str(pidfile), "--error-logfile", str(workdir / "gunicorn-error.log"),
                    "app:create_app()"], cwd=ROOT, env=env, check=True)
    return pidfile


def wait_until_answering(port: int, pidfile: Path, errorlog: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if pidfile.exists() and arbiter(pidfile) is None:
            break  # gunicorn gave up, e.g. the port was taken meanwhile: what answers there is not ours
        try:
            status, _, _ = fetch(port, "GET", "/")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"gunicorn is not answering; its log:\n{errorlog.read_text() if errorlog.exists() else ''}")


def arbiter(pidfile: Path) -> int | None:
    """The pid in the pid file while it is a running gunicorn (a pid is reused once its process is gone)."""
    pid = int(pidfile.read_text() or 0)
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return pid if b"gunicorn" in command else None


def stop_gunicorn(pidfile: Path) -> None:
    """SIGTERM to the arbiter by its pid, and wait until it is gone (SIGKILL after graceful_timeout and some)."""
    deadline, pid = time.monotonic() + 5, None
    while pid is None and time.monotonic() < deadline:  # a daemon still starting has not written its pid yet
        pid = arbiter(pidfile) if pidfile.exists() else None
        time.sleep(0 if pid else 0.1)
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def process_stats(pid: int) -> dict[int, list[str]]:
    """/proc/N/stat fields after "N (command)" (state, ppid, …, utime at 11) of the arbiter and its workers."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            values = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if stat.parent.name == str(pid) or values[1] == str(pid):
            found[int(stat.parent.name)] = values
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time of gunicorn so far: the arbiter, its workers, and the workers it has reaped (max_requests)."""
    ticks = 0
    for process, values in process_stats(pid).items():
        # utime and stime; the arbiter's cutime and cstime hold those of the workers it has reaped
        ticks += sum(int(value) for value in values[11:15 if process == pid else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def connections_per_worker(pid: int, port: int) -> list[int]:
    """Established client connections each worker holds, most first: a worker serves its own connections only,
    on about one CPU (its threads share the GIL), so an uneven spread leaves CPUs idle and queues pile up."""
    if shutil.which("ss") is None:
        return []
    listing = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"], capture_output=True,
                             text=True).stdout
    held = Counter(int(owner) for owner in re.findall(r"pid=(\d+)", listing))
    return sorted((held[worker] for worker in process_stats(pid) if worker != pid), reverse=True)


# --- HTTP ----------------------------------------------------------------------------------------------------------

def fetch(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body, {"User-Agent": USER_AGENT, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def session_cookie(headers) -> str:
    cookie = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or ():
        cookie.load(value)
    return cookie["session"].value


def log_in(port: int) -> str:
    """The demo clerk's session cookie, by the login form (CSRF token from the page) like a browser."""
    status, headers, page = fetch(port, "GET", "/auth/login")
    field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page)
    token = re.search(r'value="([^"]+)"', field.group(0)).group(1)
    form = urlencode({"csrf_token": token, "username": "clerk", "password": demo.DEMO_PASSWORD})
    status, headers, _ = fetch(port, "POST", "/auth/login", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"session={session_cookie(headers)}"})
    if status != 302:
        sys.exit(f"the demo clerk could not log in: {status}")
    cookie = f"session={session_cookie(headers)}"
    status, _, page = fetch(port, "GET", "/cases/", headers={"Cookie": cookie})
    if status != 200 or case_bench.LISTED_CASE.search(page) is None:
        sys.exit(f"the clerk's session does not open the case list: {status}")
    return cookie


# --- wrk -------------------------------------------------------------------------------------------------------------

@dataclass
class Client:
    """What the wrk processes send besides the route: who they are and the files bench/load.lua reads."""
    port: int
    cookie: str
    token: str
    ids_file: Path
    body_file: Path

    def commands(self, seconds: int, tag: str) -> dict[str, list[str]]:
        """One wrk command line per route; `tag` marks the registrations of this run."""
        return {route.label: self.command(route, seconds, tag) for route in ROUTES}

    def command(self, route: Route, seconds: int, tag: str) -> list[str]:
        headers = {"User-Agent": USER_AGENT}
        if route.caller == "clerk":
            headers["Cookie"] = self.cookie
        elif route.caller == "token":
            headers["Authorization"] = f"Bearer {self.token}"
        script_args = {"get": [], "pages": [str(self.ids_file)], "register": [str(self.body_file), tag]}[route.mode]
        command = ["wrk", "-t1", f"-c{route.connections}", f"-d{seconds}s", "--timeout", "5s", "--latency",
                   "-s", LUA]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        return command + [f"http://127.0.0.1:{self.port}{route.path}", "--", route.mode, str(route.expected),
                          *script_args]


def run_wrk(commands: dict[str, list[str]], seconds: int) -> dict[str, dict]:
    """Every wrk at the same time; the figures done() printed, per route."""
    running = {label: subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True) for label, command in commands.items()}
    figures = {}
    try:
        for label, process in running.items():
            output, _ = process.communicate(timeout=seconds + 60)
            found = re.search(r"^LOAD (\{.*\})$", output, re.MULTILINE)
            if process.returncode or found is None:
                sys.exit(f"wrk for {label} failed ({process.returncode}):\n{output}")
            figures[label] = json.loads(found.group(1))
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return figures


# --- the report ------------------------------------------------------------------------------------------------------

def errors_of(figures: dict) -> int:
    """Socket errors and answers other than the expected status (wrk's non-2xx/3xx count is among the latter)."""
    return figures["connect"] + figures["read"] + figures["write"] + figures["timeout"] + figures["unexpected"]


def print_table(figures: dict[str, dict]) -> None:
    print(f"\n{'route':<24}{'conns':>6}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}{'errors':>8}  statuses")
    total_requests = total_rate = total_errors = 0
    for route in ROUTES:
        result = figures[route.label]
        rate = result["requests"] / (result["duration_us"] / 1e6)
        total_requests, total_rate, total_errors = (total_requests + result["requests"], total_rate + rate,
                                                    total_errors + errors_of(result))
        statuses = " ".join(f"{code}×{n}" for code, n in sorted(result["statuses"].items()))
        sockets = ", ".join(f"{kind} {result[kind]}" for kind in ("connect", "read", "write", "timeout")
                            if result[kind])
        print(f"{route.label:<24}{route.connections:>6}{result['requests']:>10}{rate:>9.1f}"
              + "".join(f"{result[key] / 1000:>9.1f}" for key in ("p50_us", "p90_us", "p99_us", "max_us"))
              + f"{errors_of(result):>8}  {statuses}" + (f"; socket errors: {sockets}" if sockets else ""))
    print(f"{'total':<24}{sum(route.connections for route in ROUTES):>6}{total_requests:>10}{total_rate:>9.1f}"
          f"{'':>36}{total_errors:>8}")


def checks(figures: dict[str, dict], errorlog: Path, rows: int, distinct: int) -> list[tuple[str, bool]]:
    log = errorlog.read_text(errors="replace") if errorlog.exists() else ""
    registering = ROUTES[-1]
    created = figures[registering.label]["statuses"].get(str(registering.expected), 0)
    results = [(f"{route.label}: {figures[route.label]['requests']} requests, "
                f"{errors_of(figures[route.label])} errors",
                figures[route.label]["requests"] > 0 and errors_of(figures[route.label]) == 0) for route in ROUTES]
    results += [(f"{route.label}: p99 {figures[route.label]['p99_us'] / 1000:.1f} ms < {TARGET_P99_MS} ms",
                 figures[route.label]["p99_us"] < TARGET_P99_MS * 1000) for route in ROUTES]
    results += [(f'"database is locked" in the gunicorn error log: {log.count("database is locked")}',
                 "database is locked" not in log),
                (f'"Traceback" in the gunicorn error log: {log.count("Traceback")}', "Traceback" not in log),
                # Requests under way when wrk stops are answered to nobody: up to one per connection more rows.
                (f"registrations answered 201: {created}, in the database: {rows} ({distinct} distinct; "
                 f"at most {registering.connections} more allowed, in flight at the end)",
                 created <= rows <= created + registering.connections and distinct == rows)]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5, help="seconds of the same load first, not measured")
    parser.add_argument("--cases", type=int, default=100_000, help="generated petitions besides the demo data")
    parser.add_argument("--postgres", action="store_true", help="use a database on the server of DATABASE_URL")
    parser.add_argument("--keep", action="store_true", help="leave the database and gunicorn's log afterwards")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (scripts/install-system-packages)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop gunicorn and wrk on the way out, as on ^C
    workdir = Path(tempfile.mkdtemp(prefix="xinfang-bench-load-"))
    url = database_url(args.postgres, workdir)
    try:
        sys.exit(0 if run(url, workdir, args) else 1)
    finally:
        if args.keep:
            print(f"kept: {make_url(url).render_as_string()} and {workdir}")
        else:
            drop(url, workdir)


def run(url: str, workdir: Path, args) -> bool:
    started = time.monotonic()
    prepare(url, args.cases)
    ids_file, body_file = bench_data(url, workdir)
    token = api_token(url)
    print(f"{make_url(url).render_as_string()}: demo data and {args.cases:,} petitions "
          f"(ready in {time.monotonic() - started:.0f} s)", flush=True)
    port, errorlog = free_port(), workdir / "gunicorn-error.log"
    pidfile = start_gunicorn(url, port, workdir)
    try:
        wait_until_answering(port, pidfile, errorlog)
        client = Client(port, log_in(port), token, ids_file, body_file)
        tag = f"{int(time.time()):x}"  # the registrations of this run, unlike those of a run on a kept database
        print(f"gunicorn (gunicorn.conf.py) on 127.0.0.1:{port}", flush=True)
        if args.warmup:
            print(f"warming up: the same load for {args.warmup} s, not measured", flush=True)
            run_wrk(client.commands(args.warmup, f"{tag}w"), args.warmup)
        print(f"{len(ROUTES)} wrk processes at once for {args.seconds} s: "
              f"wrk -t1 -cN -d{args.seconds}s --timeout 5s --latency -s bench/load.lua", flush=True)
        pid, spread = arbiter(pidfile), []
        census = threading.Timer(min(5, args.seconds / 2), lambda: spread.extend(connections_per_worker(pid, port)))
        census.daemon = True
        census.start()
        cpu = cpu_seconds(pid)
        figures = run_wrk(client.commands(args.seconds, tag), args.seconds)
        cpu = cpu_seconds(pid) - cpu
        census.cancel()
    finally:
        stop_gunicorn(pidfile)
    rows, distinct = registered(url, tag)
    print_table(figures)
    requests = sum(result["requests"] for result in figures.values())
    print(f"gunicorn used {cpu:.1f} s of CPU: {cpu * 1000 / max(requests, 1):.1f} ms a request of this mix, "
          f"so {os.cpu_count()} idle CPUs serve it at {os.cpu_count() * requests / max(cpu, 0.01):.0f} requests/s "
          f"at most; load average {os.getloadavg()[0]:.1f} (wrk, gunicorn and anything else running share the CPUs)")
    if spread:
        print(f"connections held by each gunicorn worker {min(5, args.seconds / 2):g} s in: "
              f"{', '.join(map(str, spread))}")
    print("\nchecks:")
    results = checks(figures, errorlog, rows, distinct)
    for text, passed in results:
        print(f"  {'ok  ' if passed else 'FAIL'}  {text}")
    failed = [text for text, passed in results if not passed]
    if failed and errorlog.exists():
        lines = [line for line in errorlog.read_text(errors="replace").splitlines()
                 if "Error" in line or "Traceback" in line or "locked" in line]
        if lines:
            print("\nfrom the gunicorn error log:\n  " + "\n  ".join(lines[:20]))
    return not failed


if __name__ == "__main__":
    main()

"""Storing a run of the automated checks: one run at a time (a lock row), each check's findings compared with the
findings still open, so a problem found again is not stored twice and one no longer found is marked resolved, and
the counts per check. Called by the page, the CLI (`flask run-checks`) and the API."""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale, to_user_timezone
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from blueprints.shared import official_calendar
from blueprints.supervision.checks import CHECKS, Params
from models import CheckCount, CheckFinding, CheckRun, CheckRunStatus, CheckTrigger, as_utc, db, utcnow

# A run that has held the lock this long died without releasing it (killed worker, lost connection): take over.
LOCK_STALE_AFTER = timedelta(minutes=30)
BATCH = 20_000  # candidate rows per rule call, findings per insert
UPDATE_CHUNK = 500  # ids per "UPDATE … WHERE id IN (…)"
INSERTED = ("kind", "subject", "detail", "petition_id", "session_id", "leader_id", "unit_id", "item_id", "day",
            "first_run_id")


class RunInProgress(Exception):
    """Another run holds the lock; the message says since when (in the reader's language and time zone)."""

    def __init__(self, run_id: int, started_at):
        super().__init__(run_id, started_at)
        self.run_id, self.started_at = run_id, as_utc(started_at)

    def __str__(self) -> str:
        return _("The checks are already running (run #%(id)d, started %(time)s). Nothing was started twice: "
                 "wait for that run to finish and look at its results.",
                 id=self.run_id, time=f"{to_user_timezone(self.started_at):%Y-%m-%d %H:%M}")


def open_in(run: CheckRun):
    """The condition for a finding open in a run: found by it or an earlier run, not resolved by it or before it.

    Runs never overlap and a failed run changes no finding, so this needs no table of findings per run."""
    return and_(CheckFinding.first_run_id <= run.id,
                or_(CheckFinding.resolved_run_id.is_(None), CheckFinding.resolved_run_id > run.id))


def open_findings(run: CheckRun):
    """The findings open in a run, as a select."""
    return select(CheckFinding).where(open_in(run))



def settings_text(stale_days: int, lookback_days: int, due_soon_days: int) -> str:
    return f"stale={stale_days}d; lookback={lookback_days}d; due_soon={due_soon_days}d"


def run_checks(trigger: CheckTrigger, user_id: int | None, today: date) -> CheckRun:
    """Run every check as of `today` and store the run; raises RunInProgress while another run holds the lock.

    Details are written in the office's default language, whoever starts the run. The findings are written in one
    transaction after the lock is taken: a run that fails leaves no finding behind, only its failed run row."""
    config = current_app.config
    params = Params(today=today, calendar=None, stale_days=config["CHECK_STALE_DAYS"],
                    lookback_days=config["CHECK_LOOKBACK_DAYS"])
    run_id = take_lock(trigger, user_id, today,
                       settings_text(params.stale_days, params.lookback_days, params.due_soon_days))
    try:
        params = params._replace(calendar=official_calendar())
        connection = db.session.connection()
        with force_locale(config["BABEL_DEFAULT_LOCALE"]):
            counts = [store_check(connection, run_id, check, params) for check in CHECKS]
        run = db.session.get(CheckRun, run_id)
        run.status, run.finished_at, run.running_lock = CheckRunStatus.finished, utcnow(), None
        db.session.add_all(counts)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        release_failed(run_id, error)
        raise
    return run


def take_lock(trigger: CheckTrigger, user_id: int | None, today: date, settings: str) -> int:
    """Insert the running run with running_lock=1 and commit: the unique lock makes a second one fail."""
    holder = None
    for _attempt in range(3):
        run = CheckRun(trigger=trigger, status=CheckRunStatus.running, running_lock=1, as_of=today,
                       settings=settings, started_by_id=user_id)
        db.session.add(run)
        try:
            db.session.commit()
            return run.id
        except IntegrityError:
            db.session.rollback()
        except OperationalError:
            # SQLite: a running run writing its findings kept the database locked past the busy timeout.
            db.session.rollback()
            holder = lock_holder()
            if holder is None:
                raise
            raise RunInProgress(holder.id, holder.started_at) from None
        holder = lock_holder()
        if holder is not None and as_utc(holder.started_at) > utcnow() - LOCK_STALE_AFTER:
            raise RunInProgress(holder.id, holder.started_at)
        if holder is not None:
            abandon(holder.id)
    raise RunInProgress(*holder) if holder else RuntimeError("the check-run lock could not be taken")


def lock_holder():
    """(id, started_at) of the run holding the lock, or None."""
    return db.session.execute(select(CheckRun.id, CheckRun.started_at).where(CheckRun.running_lock == 1)).first()


def abandon(run_id: int) -> None:
    """Mark a run that kept the lock too long as failed; only one of two racing takers changes it."""
    db.session.execute(
        update(CheckRun).where(CheckRun.id == run_id, CheckRun.running_lock == 1)
        .values(status=CheckRunStatus.failed, running_lock=None, finished_at=utcnow(),
                error=f"abandoned: still running after {LOCK_STALE_AFTER}")
        .execution_options(synchronize_session=False))
    db.session.commit()


def release_failed(run_id: int, error: Exception) -> None:
    run = db.session.get(CheckRun, run_id)
    run.status, run.finished_at, run.running_lock = CheckRunStatus.failed, utcnow(), None
    run.error = f"{type(error).__name__}: {error}"[:500]
    db.session.commit()


def store_check(connection, run_id: int, check, params: Params) -> CheckCount:
    """Run one check and bring its open findings up to date: insert the new, resolve the ones no longer found."""
    open_ids = dict(connection.execute(select(CheckFinding.subject, CheckFinding.id).where(
        CheckFinding.kind == check.kind, CheckFinding.resolved_run_id.is_(None))).all())
    seen, pending, new = set(), [], 0
    result = connection.execute(check.select(params).execution_options(yield_per=BATCH))
    for rows in ([result.all()] if check.whole else result.partitions()):
        if check.key is not None:
            rows = [row for row in rows if not already_open(check.key(row), open_ids, seen)]
        for found in check.rule(rows, params):
            if found.subject in seen:
                continue
            seen.add(found.subject)
            if found.subject not in open_ids:
                pending.append(found)
        if len(pending) >= BATCH:
            new += insert_findings(connection, run_id, pending)
            pending = []
    new += insert_findings(connection, run_id, pending)
    gone = [finding_id for subject, finding_id in open_ids.items() if subject not in seen]
    table = CheckFinding.__table__
    for start in range(0, len(gone), UPDATE_CHUNK):
        connection.execute(update(table).where(table.c.id.in_(gone[start:start + UPDATE_CHUNK]))
                           .values(resolved_run_id=run_id))
    return CheckCount(run_id=run_id, kind=check.kind, found=len(seen), new=new, resolved=len(gone))


def already_open(subject: str, open_ids: dict, seen: set) -> bool:
    """Whether the row's finding is open (and so found again: counted as seen, no rule call needed)."""
    if subject in open_ids:
        seen.add(subject)
        return True
    return False


def insert_findings(connection, run_id: int, findings) -> int:
    """Bulk insert below SQLAlchemy: a first run over a million cases inserts hundreds of thousands of findings, and
    per-row parameter handling took longer than the database's own work (bench/checks.py): COPY on PostgreSQL, a
    plain DB-API executemany elsewhere."""
    if not findings:
        return 0
    dialect = connection.dialect
    day = CheckFinding.__table__.c.day.type.bind_processor(dialect) or (lambda value: value)
    rows = [(f.kind.value, f.subject, f.detail[:300], f.petition_id, f.session_id, f.leader_id, f.unit_id, f.item_id,
             None if f.day is None else day(f.day), run_id) for f in findings]
    columns = ", ".join(INSERTED)
    if dialect.name == "postgresql":
        with connection.connection.cursor() as cursor:
            with cursor.copy(f"COPY {CheckFinding.__tablename__} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return len(rows)
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {CheckFinding.__tablename__} ({columns}) VALUES ({', '.join([marker] * len(INSERTED))})", rows)
    return len(rows)

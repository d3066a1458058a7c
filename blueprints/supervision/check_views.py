"""Automated checks (自动督查): the runs with their counts, "run now", and one run's findings with counts by unit and
leader. Supervisors and admins only (the blueprint's default roles)."""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, has_request_context, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from blueprints.cases.services import DUE_SOON_DAYS, sqlite_unindexed
from blueprints.shared import PostForm, get_or_404
from blueprints.supervision import bp
from blueprints.supervision.access import visible_findings
from blueprints.supervision.checks import CASE_KINDS
from blueprints.supervision.runs import RunInProgress, open_findings, open_in, run_checks
from models import (
    CheckCount,
    CheckFinding,
    CheckKind,
    CheckRun,
    CheckRunStatus,
    CheckTrigger,
    Leader,
    Petition,
    Unit,
    db,
)


@bp.route("/checks")
def checks():
    """The runs, newest first, with each check's count and what changed since the run before, and "run now"."""
    page = db.paginate(db.select(CheckRun).options(joinedload(CheckRun.started_by)).order_by(CheckRun.id.desc()),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    running = db.session.scalar(db.select(CheckRun).where(CheckRun.running_lock == 1))
    return render_template("supervision/checks.html", page=page, counts=counts_of([run.id for run in page.items]),
                           kinds=list(CheckKind), form=PostForm(), running=running, settings=current_settings())


@bp.route("/checks/run", methods=["POST"], endpoint="run_checks")
def run_now():
    """Run every check now and show the run; while another run holds the lock, say so and start nothing."""
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        run = run_checks(CheckTrigger.page, current_user.id, date.today())
    except RunInProgress as refused:
        flash(str(refused), "warning")
        return redirect(url_for("supervision.checks"))
    flash(_("The checks have run: %(found)d findings, %(new)d of them new, %(resolved)d resolved since the last run.",
            found=sum(c.found for c in run.counts), new=sum(c.new for c in run.counts),
            resolved=sum(c.resolved for c in run.counts)), "success")
    return redirect(url_for("supervision.check_run", run_id=run.id))


@bp.route("/checks/runs/<int:run_id>")
def check_run(run_id):
    """One run: counts per check, its findings (filterable by check, paginated), case findings by unit and leader."""
    run = get_or_404(CheckRun, run_id)
    counts = counts_of([run.id]).get(run.id, {})
    kind = kind_arg(request.args.get("kind", ""))
    page, by_unit, by_leader = None, [], []
    if run.status is CheckRunStatus.finished:
        page = db.paginate(findings_query(run, kind), per_page=current_app.config["PAGE_SIZE"], error_out=False,
                           count=False)
        # The stored counts are exactly the findings open in a finished run: no COUNT over the findings needed.
        page.total = sum(count.found for key, count in counts.items() if kind in (None, key))
        by_unit, by_leader = case_counts(run)
    return render_template("supervision/check_run.html", run=run, counts=counts, kinds=list(CheckKind), kind=kind,
                           page=page, by_unit=by_unit, by_leader=by_leader, case_kinds=CASE_KINDS)


@bp.url_defaults
def keep_run_id(endpoint, values):
    """Links back to a run's page from that page (the shared pagination macro passes only the query) keep its run."""
    if endpoint == "supervision.check_run" and "run_id" not in values and has_request_context() \
            and request.endpoint == endpoint:
        values["run_id"] = request.view_args["run_id"]


def kind_arg(value: str) -> CheckKind | None:
    """The ?kind= filter; an unknown value is named in a message and ignored."""
    if not value:
        return None
    if value in CheckKind.__members__:
        return CheckKind(value)
    # Shortened: flashed messages travel in the session cookie.
    flash(_("Check: “%(value)s” is not one of the checks, so all findings are shown.", value=value[:40]), "warning")
    return None


def counts_of(run_ids: list[int]) -> dict[int, dict[CheckKind, CheckCount]]:
    counts: dict[int, dict[CheckKind, CheckCount]] = {}
    for count in db.session.scalars(db.select(CheckCount).where(CheckCount.run_id.in_(run_ids))):
        counts.setdefault(count.run_id, {})[count.kind] = count
    return counts


def findings_query(run: CheckRun, kind: CheckKind | None):
    """The run's findings, newest first, with what the page shows of their case, session, leader, unit and item."""
    query = open_findings(run).where(visible_findings(current_user)).options(
        joinedload(CheckFinding.petition).load_only(Petition.id, Petition.number, Petition.summary),
        joinedload(CheckFinding.session), joinedload(CheckFinding.leader), joinedload(CheckFinding.unit),
        selectinload(CheckFinding.item)).order_by(CheckFinding.id.desc())
    # SQLite would take the (kind, first run) index and sort every finding of the check (0.4 s for an overdue check
    # of 260,000 at a million cases); reading the findings newest first and skipping other checks takes a page.
    return query if kind is None else query.where(sqlite_unindexed(CheckFinding.kind) == kind)


def case_counts(run: CheckRun) -> tuple[list, list]:
    """The run's case findings per check by lead unit and by package leader, in one GROUP BY:
    [(unit or leader or None, {kind: n}, total)] each, most findings first."""
    rows = db.session.execute(
        select(CheckFinding.unit_id, CheckFinding.leader_id, CheckFinding.kind, func.count())
        .where(open_in(run), CheckFinding.kind.in_(CASE_KINDS))
        .group_by(CheckFinding.unit_id, CheckFinding.leader_id, CheckFinding.kind)).all()
    return (tabulate(((unit_id, kind, n) for unit_id, _, kind, n in rows), Unit),
            tabulate(((leader_id, kind, n) for _, leader_id, kind, n in rows), Leader))


def tabulate(rows, model) -> list[tuple]:
    table: dict = {}
    for key, kind, n in rows:
        per_kind = table.setdefault(key, {})
        per_kind[kind] = per_kind.get(kind, 0) + n
    names = {row.id: row for row in db.session.scalars(select(model).where(model.id.in_([k for k in table if k])))}
    lines = [(names.get(key), per_kind, sum(per_kind.values())) for key, per_kind in table.items()]
    return sorted(lines, key=lambda line: (-line[2], str(line[0] or "")))


def current_settings() -> dict:
    config = current_app.config
    return {"stale": config["CHECK_STALE_DAYS"], "lookback": config["CHECK_LOOKBACK_DAYS"], "due_soon": DUE_SOON_DAYS}

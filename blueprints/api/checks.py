"""The automated checks through the JSON API: run them now, or read a stored run with its counts and findings;
supervisors and admins, as on the pages. Findings come one page at a time and carry no petitioner's personal data
(a case is named by its number); a finding about a case the caller may not see (an accusation against their own
unit) is left out."""
from __future__ import annotations

from datetime import date

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_
from sqlalchemy.orm import load_only, selectinload

from blueprints.api import bp
from blueprints.api.cases import ApiError, iso, labelled, named, page_args
from blueprints.cases.access import visible_petitions
from blueprints.shared import MAX_ID, role_required
from blueprints.supervision import runs
from models import CheckFinding, CheckRun, CheckTrigger, Leader, Petition, Role, as_utc, db

SUPERVISORS = (Role.supervisor, Role.admin)
FINDING_LOADS = (selectinload(CheckFinding.petition).options(load_only(Petition.id, Petition.number)),
                 selectinload(CheckFinding.leader).options(load_only(Leader.id, Leader.name)),
                 selectinload(CheckFinding.unit))


@bp.route("/checks/run", methods=["POST"])
@role_required(*SUPERVISORS)
def run_checks():
    """Run every automated check now and answer the stored run (201); 409 while another run is in progress."""
    per_page = page_args(request.args)
    try:
        run = runs.run_checks(CheckTrigger.api, current_user.id, date.today())
    except runs.RunInProgress as busy:
        raise ApiError(409, str(busy)) from None
    return run_json(run, per_page), 201, {"Location": url_for("api.check_run", run_id=run.id)}


@bp.route(f"/checks/runs/<int(max={MAX_ID}):run_id>")
@role_required(*SUPERVISORS)
def check_run(run_id):
    """A stored run of the checks with its counts and one page of its findings."""
    per_page = page_args(request.args)
    run = db.session.get(CheckRun, run_id)
    if run is None:
        raise ApiError(404, _("There is no such check run."))
    return run_json(run, per_page)


def moment(value) -> str | None:
    return as_utc(value).isoformat() if value else None


def run_json(run: CheckRun, per_page: int) -> dict:
    """The run, its counts per check and one page of its findings."""
    query = runs.open_findings(run).options(*FINDING_LOADS).order_by(CheckFinding.id)
    scope = visible_petitions(current_user)
    if current_user.unit_id is not None:  # only then can a case be hidden from a supervisor or admin
        seen = db.select(Petition.id).where(Petition.id == CheckFinding.petition_id, scope).exists()
        query = query.where(or_(CheckFinding.petition_id.is_(None), seen))
    page = db.paginate(query, per_page=per_page, error_out=False)
    return {
        "id": run.id, "trigger": labelled(run.trigger), "status": labelled(run.status), "as_of": iso(run.as_of),
        "started_at": moment(run.started_at), "finished_at": moment(run.finished_at),
        "started_by": run.started_by.display_name if run.started_by else None, "error": run.error,
        "counts": [{"kind": count.kind.value, "label": str(count.kind.label), "found": count.found, "new": count.new,
                    "resolved": count.resolved} for count in run.counts],
        "findings": {"items": [finding_json(finding) for finding in page.items], "page": page.page,
                     "per_page": per_page, "total": page.total, "has_next": page.has_next},
    }


def finding_json(finding: CheckFinding) -> dict:
    """A finding with what it links to; a case by its id and number only."""
    case = finding.petition
    return {
        "id": finding.id, "kind": finding.kind.value, "label": str(finding.kind.label), "subject": finding.subject,
        "detail": finding.detail,
        "links": {"case": {"id": case.id, "number": case.number} if case else None,
                  "session_id": finding.session_id, "leader": named(finding.leader), "unit": named(finding.unit),
                  "item_id": finding.item_id, "day": iso(finding.day)},
        "first_run_id": finding.first_run_id, "resolved_run_id": finding.resolved_run_id,
    }

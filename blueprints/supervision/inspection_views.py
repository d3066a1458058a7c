"""Inspection log, evidence files and inspection rounds: supervisors and admins only (the blueprint default)."""
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from blueprints.cases.access import visible_petitions
from blueprints.cases.attachments import UploadRefused, commit_uploads, readable_size, send_stored
from blueprints.shared import (
    active_leaders,
    active_units,
    commit_or_report,
    get_or_404,
    id_from,
    options,
    tree_choices,
    version_conflict,
)
from blueprints.supervision import bp
from blueprints.supervision.access import visible_inspections
from blueprints.supervision.inspection_forms import (
    EditInspectionForm,
    EvidenceForm,
    InspectionForm,
    RoundForm,
    YearPlanForm,
    checked_target,
)
from blueprints.supervision.inspections import (
    RATING_BADGES,
    existing_round_keys,
    inspection_list_query,
    list_arg_problems,
    plan_year,
    round_counts,
    store_evidence,
    target_values,
    uncovered_leaders,
    uncovered_units,
    year_plan,
)
from models import (
    Inspection,
    InspectionEvidence,
    InspectionMethod,
    InspectionRound,
    InspectionTarget,
    Leader,
    Petition,
    Rating,
    RoundKind,
    Unit,
    UnitKind,
    db,
)

FORM_COLUMNS = ("round_id", "inspected_on", "inspectors", "findings")


def leader_label(leader: Leader) -> str:
    return f"{leader.name}（{leader.title}）"


def with_current(rows, current):
    """The active rows a form offers, plus the one a record already names when it is no longer active."""
    return rows if current is None or current in rows else [*rows, current]


def fill_inspection_choices(form, item: Inspection | None = None) -> None:
    units = with_current(active_units(), item.unit if item else None)
    leaders = with_current(active_leaders(), item.leader if item else None)
    rounds = db.session.scalars(db.select(InspectionRound).order_by(InspectionRound.starts_on.desc(),
                                                                    InspectionRound.id.desc())).all()
    form.unit_id.choices = tree_choices(units, empty_label=_("(choose)"))
    form.leader_id.choices = options([("", _("(choose)"))] + [(leader.id, leader_label(leader)) for leader in leaders])
    form.round_id.choices = options([("", _("(none)"))] + [
        (r.id, f"{r.name}（{r.starts_on.isoformat()} – {r.ends_on.isoformat()}）") for r in rounds])


def prefill(args) -> dict:
    """A new inspection's form data from ?round=, ?petition=, ?leader= and ?unit= (404 for unknown ids)."""
    ids = {}
    for name in ("round", "petition", "unit", "leader"):
        value = args.get(name) or ""
        ids[name] = id_from(value)
        if value and ids[name] is None:
            abort(404)
    data = {}
    round_ = get_or_404(InspectionRound, ids["round"]) if ids["round"] else None
    if round_:
        data["round_id"] = round_.id
    if ids["petition"]:
        number = db.session.scalar(db.select(Petition.number).where(Petition.id == ids["petition"],
                                                                    visible_petitions(current_user)))
        if number is None:
            abort(404)
        data.update(target=InspectionTarget.case.value, case_number=number)
    if ids["unit"]:
        unit = get_or_404(Unit, ids["unit"])
        kind = InspectionTarget.township if unit.kind is UnitKind.township else InspectionTarget.unit
        data.update(target=kind.value, unit_id=unit.id)
    if ids["leader"]:
        data.update(target=InspectionTarget.receptions.value, leader_id=get_or_404(Leader, ids["leader"]).id)
        if round_:
            data.update(period_from=round_.starts_on, period_to=round_.ends_on)
    return data


def form_data(item: Inspection) -> dict:
    """An edit form's data from the saved inspection."""
    data = {name: getattr(item, name) for name in (*FORM_COLUMNS, "leader_id", "period_from", "period_to",
                                                   "unit_id", "version")}
    return dict(data, target=item.target.value, method=item.method.value, rating=item.rating.value,
                case_number=item.petition.number if item.petition else "")


def apply_form(form, item: Inspection, target: dict) -> None:
    """Copy a checked form onto the inspection; the target columns of other kinds are cleared."""
    kind = InspectionTarget(form.target.data)
    item.target, item.method, item.rating = kind, InspectionMethod(form.method.data), Rating(form.rating.data)
    for name in FORM_COLUMNS:
        setattr(item, name, getattr(form, name).data)
    for name, value in target_values(kind, target).items():
        setattr(item, name, value)


def load_inspection(inspection_id: int) -> Inspection:
    """The inspection unless it is about an accusation against the user's unit (then 404, as if it did not exist)."""
    item = db.session.scalar(db.select(Inspection).where(Inspection.id == inspection_id,
                                                         visible_inspections(current_user)))
    if item is None:
        abort(404)
    return item


@bp.route("/inspections")
def inspections():
    """The inspection log, filtered by target kind, rating, method, round, dates, unit and leader."""
    for problem in list_arg_problems(request.args):
        flash(problem, "warning")
    query = inspection_list_query(request.args).where(visible_inspections(current_user)).options(
        joinedload(Inspection.unit), joinedload(Inspection.leader), joinedload(Inspection.petition),
        joinedload(Inspection.round))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    units = db.session.scalars(db.select(Unit).order_by(Unit.sort_order, Unit.name)).all()
    leaders = db.session.scalars(db.select(Leader).order_by(Leader.sort_order, Leader.name)).all()
    rounds = db.session.scalars(db.select(InspectionRound).order_by(InspectionRound.starts_on.desc())).all()
    return render_template("supervision/inspections.html", page=page, units=tree_choices(units), leaders=leaders,
                           rounds=rounds, targets=InspectionTarget, ratings=Rating, methods=InspectionMethod,
                           rating_badges=RATING_BADGES)


@bp.route("/inspections/new", methods=["GET", "POST"])
def new_inspection():
    """Log an inspection with its evidence; ?round=, ?petition=, ?leader= and ?unit= prefill the form."""
    form = InspectionForm(data=prefill(request.args) if request.method == "GET" else None)
    fill_inspection_choices(form)
    if form.validate_on_submit() and (target := checked_target(form, current_user)) is not None:
        item = Inspection(created_by_id=current_user.id)
        apply_form(form, item, target)
        try:
            added = store_evidence(item, form.evidence.data, current_user)
        except UploadRefused as refused:
            form.evidence.errors = refused.messages
        else:
            db.session.add(item)
            if commit_uploads(added):
                flash(_("The inspection has been saved."), "success")
                return redirect(url_for("supervision.inspection", inspection_id=item.id))
    if any(upload.filename for upload in form.evidence.data or ()):
        flash(_("No file was saved; choose the files again."), "danger")  # a browser cannot put files back
    return render_template("supervision/inspection_form.html", form=form, item=None), \
        400 if request.method == "POST" else 200


@bp.route("/inspections/<int:inspection_id>/edit", methods=["GET", "POST"])
def edit_inspection(inspection_id):
    """Edit an inspection; a save over someone else's newer change is refused (409) and the input kept."""
    item = load_inspection(inspection_id)
    form = EditInspectionForm(data=form_data(item) if request.method == "GET" else None)
    fill_inspection_choices(form, item)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit() and (target := checked_target(form, current_user)) is not None:
            status = 409
            if not version_conflict(item, form):
                apply_form(form, item, target)
                if commit_or_report():
                    flash(_("The inspection has been saved."), "success")
                    return redirect(url_for("supervision.inspection", inspection_id=item.id))
    return render_template("supervision/inspection_form.html", form=form, item=item), status


def render_inspection(item: Inspection, evidence_form=None, status=200):
    form = evidence_form or EvidenceForm()
    form.files.description = _("JPEG, PNG, PDF or TIFF; at most %(limit)s per file.",
                               limit=readable_size(current_app.config["ATTACHMENT_MAX_BYTES"]))
    return render_template("supervision/inspection.html", item=item, evidence_form=form,
                           rating_badges=RATING_BADGES), status


@bp.route("/inspections/<int:inspection_id>")
def inspection(inspection_id):
    """One inspection: target, findings, rating, evidence and the rectification items opened from it."""
    return render_inspection(load_inspection(inspection_id))


@bp.route("/inspections/<int:inspection_id>/evidence", methods=["POST"])
def upload_evidence(inspection_id):
    """Add evidence files to an inspection; refused files are named and nothing is stored."""
    item = load_inspection(inspection_id)
    form = EvidenceForm()
    if form.validate_on_submit():
        try:
            added = store_evidence(item, form.files.data, current_user)
        except UploadRefused as refused:
            form.files.errors = refused.messages
        else:
            if commit_uploads(added):
                flash(ngettext("%(num)d file attached.", "%(num)d files attached.", len(added)), "success")
            return redirect(url_for("supervision.inspection", inspection_id=item.id, _anchor="evidence"))
    flash(_("No file was saved; choose the files again."), "danger")
    return render_inspection(item, form, 400)


@bp.route("/evidence/<int:evidence_id>")
def inspection_evidence(evidence_id):
    """Send an evidence file, as case files are sent: its own type, a safe name, never cached on the way."""
    evidence = get_or_404(InspectionEvidence, evidence_id)
    load_inspection(evidence.inspection_id)
    return send_stored(evidence)


def planned_year(args) -> int | None:
    """The year whose rounds the rounds page proposes (?plan=YYYY), or None."""
    value = (args.get("plan") or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit() and 2000 <= int(value) <= 2100:
        return int(value)
    flash(_("“%(value)s” is not a year between 2000 and 2100, so no plan is proposed.", value=value), "warning")
    return None


def render_rounds(plan_form, status=200):
    page = db.paginate(db.select(InspectionRound).order_by(InspectionRound.starts_on.desc(), InspectionRound.kind,
                                                           InspectionRound.id.desc()),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    year = planned_year(request.args)
    proposal = []
    if year is not None:
        existing = existing_round_keys(date(year, 1, 1), date(year, 12, 31))
        proposal = [(row, (row[0], row[2], row[3]) in existing) for row in year_plan(year)]
        plan_form.year.data = year
    return render_template("supervision/rounds.html", page=page, counts=round_counts([r.id for r in page.items]),
                           plan_form=plan_form, year=year, proposal=proposal), status


@bp.route("/rounds")
def rounds():
    """Inspection rounds with how much of each is covered; ?plan=YYYY proposes the rounds of a year."""
    return render_rounds(YearPlanForm(year=date.today().year))


@bp.route("/rounds/plan", methods=["POST"])
def plan_rounds():
    """Create the year's six bimonthly rounds and two half-year reviews that do not exist yet (all active
    units and leaders planned); pressing it again creates nothing."""
    form = YearPlanForm()
    if not form.validate_on_submit():
        return render_rounds(form, 400)
    added, existing = plan_year(form.year.data, active_units(), active_leaders())
    if commit_or_report():
        flash(_("Year %(year)d: rounds created: %(added)d; already there: %(existing)d.",
                year=form.year.data, added=len(added), existing=existing), "success")
    return redirect(url_for("supervision.rounds"))


@bp.route("/rounds/new", methods=["GET", "POST"])
def new_round():
    """Plan a round or a half-year review; every active unit and leader is planned unless unticked."""
    units, leaders = active_units(), active_leaders()
    form = RoundForm(data={"unit_ids": [u.id for u in units], "leader_ids": [leader.id for leader in leaders]})
    form.unit_ids.choices = tree_choices(units)
    form.leader_ids.choices = options((leader.id, leader_label(leader)) for leader in leaders)
    if form.validate_on_submit():
        item = InspectionRound(kind=RoundKind(form.kind.data), name=form.name.data, starts_on=form.starts_on.data,
                               ends_on=form.ends_on.data, notes=form.notes.data or "",
                               units=[u for u in units if u.id in form.unit_ids.data],
                               leaders=[leader for leader in leaders if leader.id in form.leader_ids.data])
        db.session.add(item)
        if commit_or_report():
            flash(_("The round has been saved."), "success")
            return redirect(url_for("supervision.round", round_id=item.id))
    return render_template("supervision/round_form.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/rounds/<int:round_id>", endpoint="round")
def show_round(round_id):
    """A round: its inspections, and the planned units and leaders no inspection of it has covered yet."""
    item = db.session.scalar(db.select(InspectionRound).where(InspectionRound.id == round_id).options(
        selectinload(InspectionRound.units), selectinload(InspectionRound.leaders)))
    if item is None:
        abort(404)
    shown = current_app.config["PAGE_SIZE"]  # the rest are on the inspection list filtered by the round
    latest = db.session.scalars(db.select(Inspection).where(Inspection.round_id == item.id,
                                                            visible_inspections(current_user))
                                .options(joinedload(Inspection.unit), joinedload(Inspection.leader),
                                         joinedload(Inspection.petition))
                                .order_by(Inspection.inspected_on.desc(), Inspection.id.desc()).limit(shown + 1)).all()
    open_units = db.session.scalars(uncovered_units(item.id)).all()
    open_leaders = db.session.scalars(uncovered_leaders(item.id)).all()
    return render_template("supervision/round.html", item=item, inspections=latest[:shown],
                           more=len(latest) > shown, open_units=open_units, open_leaders=open_leaders,
                           rating_badges=RATING_BADGES)


@bp.errorhandler(413)
def upload_too_large(error):
    """A body over MAX_CONTENT_LENGTH: say which limit was hit instead of the bare 413 page."""
    db.session.rollback()
    message = _("Evidence files: the files sent together are larger than %(total)s, the most one form may carry. "
                "Nothing was saved; send fewer files at a time (each at most %(limit)s).",
                total=readable_size(current_app.config["MAX_CONTENT_LENGTH"]),
                limit=readable_size(current_app.config["ATTACHMENT_MAX_BYTES"]))
    return render_template("errors/error.html", code=413, message=message), 413

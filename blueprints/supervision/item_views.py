"""The rectification ledger (整改台账) and the supervision landing page: supervisors open, verify and sign off
items; the addressed unit or leader sees its items and adds progress."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload

from blueprints.cases.access import visible_petitions
from blueprints.shared import (
    ALL_ROLES,
    active_units,
    commit_or_report,
    id_from,
    official_calendar,
    role_required,
    tree_choices,
    version_conflict,
)
from blueprints.supervision import bp
from blueprints.supervision.access import (
    is_addressee,
    supervises,
    visible_findings,
    visible_inspections,
    visible_items,
    visible_notices,
)
from blueprints.supervision.item_forms import ItemForm, ProgressForm, SignOffForm, VerifyForm, item_refusal
from blueprints.supervision.items import (
    DEADLINE_IN_WORKING_DAYS,
    addressee_of_finding,
    addressee_of_inspection,
    days_overdue,
    deadline_refusal,
    next_working_day,
    opening_refusal,
    progress_refusal,
    sign_off,
    sign_off_refusal,
    verification_refusal,
    verify,
    working_days_deadline,
)
from blueprints.supervision.notice_forms import EscalateForm
from blueprints.supervision.notice_views import (
    accused_refusal,
    escalation_step,
    fill_addressee_choices,
    record_from_arg,
    trimmed_escalation,
    unique_ids,
    visible_case_ids,
)
from blueprints.supervision.notices import next_level
from models import (
    CheckFinding,
    Inspection,
    NoticeLevel,
    Petition,
    RectificationItem,
    RectificationProgress,
    RectificationStatus,
    SupervisionNotice,
    db,
    utcnow,
)

OVERVIEW_ROWS = 10  # the landing page shows the first few of each list and links to the whole list


# --- landing page ---------------------------------------------------------------------------------------------

@bp.route("/")
@role_required(*ALL_ROLES)
def index():
    """Supervision: supervisors and admins see the overview; a unit or leader what is addressed to them. Every
    role."""
    today = date.today()
    if supervises(current_user):
        return render_template("supervision/index.html", overview=True, levels=NoticeLevel, today=today,
                               **supervisor_overview(today, current_user))
    items = db.session.scalars(
        db.select(RectificationItem).where(visible_items(current_user),
                                           RectificationItem.status == RectificationStatus.open)
        .order_by(RectificationItem.deadline, RectificationItem.id).limit(OVERVIEW_ROWS)).all()
    waiting = db.session.scalars(
        db.select(SupervisionNotice).where(visible_notices(current_user), SupervisionNotice.replied_on.is_(None))
        .order_by(SupervisionNotice.reply_due_on, SupervisionNotice.id).limit(OVERVIEW_ROWS)).all()
    return render_template("supervision/index.html", overview=False, items=items, notices=waiting, today=today)


def supervisor_overview(today: date, user) -> dict:
    """Counts of open and overdue items, open notices by level, notices past their reply deadline, and the first
    rows of the overdue lists; all counted in SQL."""
    open_items = db.select(RectificationItem).where(RectificationItem.status == RectificationStatus.open,
                                                    visible_items(user))
    overdue = open_items.where(RectificationItem.deadline < today)
    late = db.select(SupervisionNotice).where(SupervisionNotice.replied_on.is_(None),
                                              SupervisionNotice.reply_due_on < today, visible_notices(user))
    by_level = dict(db.session.execute(
        db.select(SupervisionNotice.level, func.count()).where(SupervisionNotice.replied_on.is_(None),
                                                               visible_notices(user))
        .group_by(SupervisionNotice.level)).all())
    return {
        "counts": {"open_items": count(open_items), "overdue_items": count(overdue), "late_notices": count(late)},
        "by_level": by_level,
        "items": db.session.scalars(overdue.order_by(RectificationItem.deadline, RectificationItem.id)
                                    .limit(OVERVIEW_ROWS).options(joinedload(RectificationItem.unit))).all(),
        "notices": db.session.scalars(late.order_by(SupervisionNotice.reply_due_on, SupervisionNotice.id)
                                      .limit(OVERVIEW_ROWS).options(joinedload(SupervisionNotice.unit))).all(),
    }


def count(query) -> int:
    return db.session.scalar(db.select(func.count()).select_from(query.subquery()))


# --- the ledger -----------------------------------------------------------------------------------------------

def load_item(item_id: int) -> RectificationItem:
    """The item if this user may see it (supervisors all, a unit or leader what is addressed to them); else 404."""
    item = db.session.scalar(
        db.select(RectificationItem).where(RectificationItem.id == item_id, visible_items(current_user))
        .options(selectinload(RectificationItem.progress).joinedload(RectificationProgress.author)))
    if item is None:
        abort(404)
    return item


@bp.route("/items")
@role_required(*ALL_ROLES)
def items():
    """The ledger, filtered by status, overdue and unit, overdue rows marked; each user sees what access.py
    allows. Every role."""
    today = date.today()
    query = db.select(RectificationItem).where(visible_items(current_user), *item_filters(request.args, today))
    query = query.order_by(RectificationItem.status.desc(), RectificationItem.deadline, RectificationItem.id).options(
        joinedload(RectificationItem.unit), joinedload(RectificationItem.leader),
        joinedload(RectificationItem.petition))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    units = tree_choices(active_units()) if supervises(current_user) else []
    return render_template("supervision/items.html", page=page, statuses=RectificationStatus, units=units,
                           today=today, case_ids=visible_case_ids(item.petition_id for item in page.items))


def item_filters(args, today: date) -> list:
    """SQL conditions from the list's arguments; a malformed one is named in a warning and ignored."""
    conditions = []
    status = args.get("status", "")
    if status:
        if status in {member.value for member in RectificationStatus}:
            conditions.append(RectificationItem.status == RectificationStatus(status))
        else:
            flash(_("Status: “%(value)s” is not a status; showing every status.", value=status[:40]), "warning")
    if args.get("overdue") == "1":
        conditions += [RectificationItem.status == RectificationStatus.open, RectificationItem.deadline < today]
    unit = args.get("unit", "")
    if unit:
        if (ident := id_from(unit)) is not None:
            conditions.append(RectificationItem.unit_id == ident)
        else:
            flash(_("Unit: “%(value)s” is not a unit; showing every unit.", value=unit[:40]), "warning")
    return conditions


@dataclass
class ItemSources:
    """Where a new item comes from: an inspection, a check finding, a case (any may be None)."""

    inspection: Inspection | None
    finding: CheckFinding | None
    petition: Petition | None

    @property
    def case(self) -> Petition | None:
        """The case behind the item, directly or through its inspection or finding (for the accusation rule)."""
        return (self.petition or (self.inspection and self.inspection.petition)
                or (self.finding and self.finding.petition))


def item_sources() -> ItemSources:
    return ItemSources(inspection=record_from_arg(Inspection, "inspection", visible_inspections(current_user)),
                       finding=record_from_arg(CheckFinding, "finding", visible_findings(current_user)),
                       petition=record_from_arg(Petition, "petition", visible_petitions(current_user)))


def item_defaults(sources: ItemSources) -> dict:
    """A new item prefilled from its finding, inspection or case: addressee and the problem found."""
    if sources.finding is not None:
        unit_id, leader_id = addressee_of_finding(sources.finding)
        problem = sources.finding.detail or f"{sources.finding.kind.label}: {sources.finding.subject}"
        return {"unit_id": unit_id, "leader_id": leader_id, "problem": problem}
    if sources.inspection is not None:
        unit_id, leader_id = addressee_of_inspection(sources.inspection)
        return {"unit_id": unit_id, "leader_id": leader_id, "problem": sources.inspection.findings}
    if sources.petition is not None:
        return {"unit_id": sources.petition.lead_unit_id, "leader_id": sources.petition.leader_id,
                "responsible_person": sources.petition.responsible_person}
    return {}


@bp.route("/items/new", methods=["GET", "POST"])
def new_item():
    """Open a rectification item, prefilled from ?inspection=, ?finding= or ?petition=; supervisors and admins."""
    sources = item_sources()
    form = ItemForm(data=item_defaults(sources) if request.method == "GET" else None)
    fill_addressee_choices(form)
    if form.validate_on_submit():
        deadline = checked_deadline(form, sources.inspection, sources.case)
        if deadline is not None:
            item = RectificationItem(
                inspection_id=sources.inspection.id if sources.inspection else None,
                finding_id=sources.finding.id if sources.finding else None,
                petition_id=sources.case.id if sources.case else None,
                status=RectificationStatus.open, created_by_id=current_user.id)
            apply_item_form(form, item, deadline)
            db.session.add(item)
            if commit_or_report():
                flash(_("Rectification item #%(id)d opened, due %(day)s.", id=item.id, day=item.deadline.isoformat()),
                      "success")
                return redirect(url_for("supervision.item", item_id=item.id))
    status = 400 if request.method == "POST" else 200
    return render_template("supervision/item_form.html", form=form, item=None, sources=sources), status


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
def edit_item(item_id):
    """Change an open item (addressee, measures, deadline); a stale save is refused (409). Supervisors, admins."""
    item = load_item(item_id)
    if item.status is not RectificationStatus.open:
        flash(item_refusal("closed"), "danger")
        return redirect(url_for("supervision.item", item_id=item.id))
    form = ItemForm(obj=item)
    fill_addressee_choices(form)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        if version_conflict(item, form):
            status = 409
        elif (deadline := checked_deadline(form, item.inspection, item.petition)) is not None:
            apply_item_form(form, item, deadline)
            if commit_or_report():
                flash(_("The rectification item has been saved."), "success")
                return redirect(url_for("supervision.item", item_id=item.id))
            status = 409
    return render_template("supervision/item_form.html", form=form, item=item, sources=None), status


def checked_deadline(form, inspection, petition) -> date | None:
    """The deadline the form gives (a date, or N working days counted on the official calendar), or None with
    the reason next to its field: before the inspection or the opening, a rest day, the accused unit."""
    calendar, today = official_calendar(), date.today()
    inspected_on = inspection.inspected_on if inspection else None
    key = opening_refusal(form.opened_on.data, today, inspected_on)
    if key:  # the deadline is counted from the opening date (a future one may be the calendar's last day)
        message = item_refusal(key, day=inspected_on and inspected_on.isoformat())
        form.opened_on.errors = [*form.opened_on.errors, message]
        accused_refusal(form, petition)
        return None
    problems = []
    if form.deadline_kind.data == DEADLINE_IN_WORKING_DAYS:
        due = working_days_deadline(calendar, form.opened_on.data, form.working_days.data)
        deadline, field, provisional = due.due, form.working_days, due.provisional
    else:
        deadline, field = form.deadline.data, form.deadline
        provisional = calendar.status(deadline).provisional
    key = deadline_refusal(calendar, deadline, form.opened_on.data, inspected_on)
    if key:
        values = {"day": (inspected_on if key == "before_inspection" else
                          form.opened_on.data if key == "deadline_before_opening" else deadline).isoformat()}
        if key == "rest_day":
            values["next"] = next_working_day(calendar, deadline).isoformat()
        problems.append((field, item_refusal(key, **values)))
    for field, message in problems:
        field.errors = [*field.errors, message]
    if accused_refusal(form, petition) or problems:
        return None
    if provisional:
        flash(_("The deadline %(day)s is counted on a provisional calendar: that year's holidays are not published "
                "yet.", day=deadline.isoformat()), "warning")
    return deadline


def apply_item_form(form, item, deadline: date) -> None:
    item.unit_id, item.leader_id = form.unit_id.data, form.leader_id.data
    item.responsible_person = form.responsible_person.data.strip()
    item.problem, item.measures = form.problem.data.strip(), form.measures.data.strip()
    item.opened_on, item.deadline = form.opened_on.data, deadline


# --- one item and its steps -----------------------------------------------------------------------------------

@bp.route("/items/<int:item_id>")
@role_required(*ALL_ROLES)
def item(item_id):
    """One item: details, overdue mark, progress, verification, sign-off, escalation; the addressed unit or leader
    and supervisors."""
    return render_item(load_item(item_id))


def may_add_progress(user, item) -> bool:
    return supervises(user) or is_addressee(user, item)


def latest_notice(item) -> SupervisionNotice | None:
    return db.session.scalar(db.select(SupervisionNotice).where(SupervisionNotice.item_id == item.id)
                             .order_by(SupervisionNotice.id.desc()).limit(1))


def render_item(item, failed=None):
    """The item page; `failed` is a (name, form) pair whose errors and input are shown again."""
    today, forms, notice = date.today(), {}, latest_notice(item)
    is_open = item.status is RectificationStatus.open
    if is_open and may_add_progress(current_user, item):
        forms["progress"] = ProgressForm(formdata=None, data={"version": item.version})
    if is_open and supervises(current_user):
        forms["verify"] = VerifyForm(formdata=None, data={"version": item.version, "verification": item.verification,
                                                          "verified_on": item.verified_on or today})
        forms["sign_off"] = SignOffForm(formdata=None, data={"version": item.version})
        if item.is_overdue(today) and notice is not None and next_level(notice.level) is not None:
            forms["escalate"] = EscalateForm(formdata=None, data={"version": notice.version})
    if failed:
        forms[failed[0]] = failed[1]
    if "escalate" in forms:
        trimmed_escalation(forms["escalate"], notice)
    forms = {name: unique_ids(form, name) for name, form in forms.items()}
    notices = db.session.scalars(db.select(SupervisionNotice).where(
        SupervisionNotice.item_id == item.id, visible_notices(current_user)).order_by(SupervisionNotice.id)).all()
    return render_template("supervision/item.html", item=item, forms=forms, open_form=failed and failed[0],
                           today=today, days_overdue=days_overdue(item, today), notices=notices, notice=notice,
                           target=next_level(notice.level) if notice else None,
                           case_ids=visible_case_ids([item.petition_id]))


def item_step(item, name: str, form, refusal, change, done: str):
    """Every step on an item page in one order: validate (400, input kept), refuse a stale version (409), the
    rule's refusal (next to the date with 400, else 409), change, commit once, flash, back to the item."""
    if not form.validate_on_submit():
        return render_item(item, (name, form)), 400
    if version_conflict(item, form):
        return render_item(item, (name, form)), 409
    key = refusal()
    if key:
        message = item_refusal(key, day=item.opened_on.isoformat())
        date_field = {"progress": "happened_on", "verify": "verified_on"}.get(name)
        if date_field and key in ("future", "before_opening"):
            getattr(form, date_field).errors = [*getattr(form, date_field).errors, message]
            return render_item(item, (name, form)), 400
        flash(message, "danger")
        return render_item(item, (name, form)), 409
    change()
    if commit_or_report():
        flash(done, "success")
        return redirect(url_for("supervision.item", item_id=item.id))
    return render_item(item, (name, form)), 409


@bp.route("/items/<int:item_id>/progress", methods=["POST"])
@role_required(*ALL_ROLES)
def item_progress(item_id):
    """Add a progress entry: the addressed unit or leader, supervisors and admins."""
    item = load_item(item_id)
    if not may_add_progress(current_user, item):
        abort(403, item_refusal("not_addressee"))
    form = ProgressForm()

    def add():
        item.progress.append(RectificationProgress(happened_on=form.happened_on.data, text=form.text.data.strip(),
                                                   author_id=current_user.id))
        item.updated_at = utcnow()  # a new version: a verification or sign-off based on the old page is refused

    return item_step(item, "progress", form, lambda: progress_refusal(item, form.happened_on.data, date.today()),
                     add, _("The progress entry has been added."))


@bp.route("/items/<int:item_id>/verify", methods=["POST"])
def verify_item(item_id):
    """Record the verification of the effect, which sign-off needs; supervisors and admins."""
    item = load_item(item_id)
    form = VerifyForm()
    return item_step(item, "verify", form,
                     lambda: verification_refusal(item, form.verified_on.data, date.today()),
                     lambda: verify(item, form.verification.data, form.verified_on.data, current_user.id),
                     _("The verification has been recorded; the item can now be signed off."))


@bp.route("/items/<int:item_id>/sign-off", methods=["POST"])
def sign_off_item(item_id):
    """Sign the item off (销号), refused (409) without a recorded verification; supervisors and admins."""
    item = load_item(item_id)
    return item_step(item, "sign_off", SignOffForm(), lambda: sign_off_refusal(item),
                     lambda: sign_off(item, date.today(), current_user.id),
                     _("The item has been signed off (销号)."))


@bp.route("/items/<int:item_id>/escalate", methods=["POST"])
def escalate_item(item_id):
    """Escalate the latest notice of an overdue item one level, or send the supervisor to issue a first notice;
    supervisors and admins."""
    item = load_item(item_id)
    notice = latest_notice(item)
    if notice is None:
        flash(_("This item has no notice yet: issue one first."), "info")
        return redirect(url_for("supervision.new_notice", item=item.id))
    if not item.is_overdue(date.today()):
        flash(_("Only an overdue item is escalated from here; open its notice to escalate it."), "danger")
        return render_item(item), 409
    failed = escalation_step(notice, EscalateForm(), lambda form: render_item(item, ("escalate", form)))
    return failed or redirect(url_for("supervision.item", item_id=item.id))

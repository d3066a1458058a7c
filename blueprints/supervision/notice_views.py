"""Supervision notices (督办单): supervisors issue and escalate them on a case, a rectification item or a check
finding; the addressed unit or leader reads them and replies; everyone who may see one can print its sheet."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from blueprints.cases.access import visible_petitions
from blueprints.shared import (
    ALL_ROLES,
    active_leaders,
    active_units,
    commit_or_report,
    get_or_404,
    id_from,
    options,
    role_required,
    tree_choices,
    version_conflict,
)
from blueprints.supervision import bp
from blueprints.supervision.access import is_addressee, supervises, visible_findings, visible_items, visible_notices
from blueprints.supervision.items import addressee_of_finding, addresses_accused_unit
from blueprints.supervision.notice_forms import (
    ESCALATION_FIELDS,
    ISSUE_FIELDS,
    REPLY_FIELDS,
    EscalateForm,
    NoticeForm,
    ReplyForm,
    notice_refusal,
)
from blueprints.supervision.notices import (
    escalate,
    escalation_refusal,
    issue,
    issue_refusal,
    next_level,
    next_sequence,
    notice_number,
    number_prefix,
    record_reply,
    reply_refusal,
)
from models import (
    AccountabilityForm,
    CheckFinding,
    Leader,
    NoticeLevel,
    Petition,
    RectificationItem,
    SupervisionNotice,
    SupervisionNoticeEvent,
    db,
)

NUMBER_ATTEMPTS = 3  # two supervisors issuing at the same moment may both pick the next number: try again


# --- helpers the rectification pages use too ----------------------------------------------------------------

def record_from_arg(model, name: str, *conditions):
    """The record a `?name=<id>` argument names, or None without one; 404 when it is malformed or unknown."""
    value = request.args.get(name, "")
    if not value:
        return None
    ident = id_from(value)
    if ident is None:
        abort(404)
    found = db.session.scalar(db.select(model).where(model.id == ident, *conditions))
    if found is None:
        abort(404)
    return found


def fill_addressee_choices(form) -> None:
    """Units and leaders a notice or an item may be addressed to."""
    form.unit_id.choices = tree_choices(active_units(), empty_label=_("(choose)"))
    form.leader_id.choices = options([("", _("(none)"))] + [(leader.id, str(leader)) for leader in active_leaders()])


def accused_refusal(form, petition) -> bool:
    """True, with the message next to the unit, when the form addresses a case's accused unit (DOMAIN §6)."""
    leader = db.session.get(Leader, form.leader_id.data) if form.leader_id.data else None
    if not addresses_accused_unit(petition, form.unit_id.data, leader):
        return False
    field = form.unit_id if form.unit_id.data == petition.accused_unit_id else form.leader_id
    field.errors = [*field.errors, notice_refusal("accused_unit")]
    return True


def visible_case_ids(petition_ids) -> set[int]:
    """Of these cases, the ones this user may open (the others are shown as number and summary only)."""
    wanted = {petition_id for petition_id in petition_ids if petition_id}
    if not wanted:
        return set()
    return set(db.session.scalars(db.select(Petition.id).where(Petition.id.in_(wanted),
                                                               visible_petitions(current_user))))


def unique_ids(form, prefix: str):
    """Several forms share one page: keep element ids unique."""
    for field in form:
        field.id = field.label.field_id = f"{prefix}-{field.name}"
    return form


def trimmed_escalation(form, notice):
    """The escalation form without the accountability fields unless the next level is 问责."""
    if next_level(notice.level) is not NoticeLevel.accountability:
        for name in ("accountability_form", "decision"):
            if name in form:
                del form[name]
    return form


def escalation_step(notice, form, render):
    """Escalate the notice one level from a submitted EscalateForm and commit; None when done, else the page
    `render(form)` shows again with the input kept and its status (400 input, 409 stale or not allowed)."""
    if not form.validate_on_submit():
        return render(form), 400
    if version_conflict(notice, form):
        return render(form), 409
    chosen = AccountabilityForm(form.accountability_form.data) if form.accountability_form.data else None
    key = escalation_refusal(notice, form.happened_on.data, date.today(), form.reply_due_on.data, chosen,
                             form.decision.data or "")
    if key:
        return refused(form, key, ESCALATION_FIELDS, render, day=notice.issued_on.isoformat())
    escalate(notice, form.happened_on.data, current_user.id, form.reply_due_on.data, chosen, form.decision.data or "",
             form.text.data or "")
    if not commit_or_report():
        return render(form), 409
    flash(_("Notice %(number)s escalated to: %(level)s.", number=notice.number, level=notice.level.label), "success")
    return None


def refused(form, key: str, fields: dict, render, **values):
    """A rule's refusal: next to its field with 400, else at the top of the page with 409."""
    message = notice_refusal(key, **values)
    if key in fields:
        field = getattr(form, fields[key])
        field.errors = [*field.errors, message]
        return render(form), 400
    flash(message, "danger")
    return render(form), 409


# --- pages ----------------------------------------------------------------------------------------------------

def load_notice(notice_id: int) -> SupervisionNotice:
    """The notice if this user may see it (supervisors all, a unit or leader what is addressed to them); else 404."""
    notice = db.session.scalar(
        db.select(SupervisionNotice).where(SupervisionNotice.id == notice_id, visible_notices(current_user))
        .options(selectinload(SupervisionNotice.events).joinedload(SupervisionNoticeEvent.author)))
    if notice is None:
        abort(404)
    return notice


@bp.route("/notices")
@role_required(*ALL_ROLES)
def notices():
    """Notices, filtered by level, awaiting a reply and unit; each user sees those access.py allows. Every role."""
    query = db.select(SupervisionNotice).where(visible_notices(current_user), *notice_filters(request.args))
    query = query.order_by(SupervisionNotice.issued_on.desc(), SupervisionNotice.id.desc()).options(
        joinedload(SupervisionNotice.unit), joinedload(SupervisionNotice.leader),
        joinedload(SupervisionNotice.petition), joinedload(SupervisionNotice.item))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    units = tree_choices(active_units()) if supervises(current_user) else []
    return render_template("supervision/notices.html", page=page, levels=NoticeLevel, units=units, today=date.today(),
                           case_ids=visible_case_ids(notice.petition_id for notice in page.items))


def notice_filters(args) -> list:
    """SQL conditions from the list's arguments; a malformed one is named in a warning and ignored."""
    conditions = []
    level = args.get("level", "")
    if level:
        if level in {member.value for member in NoticeLevel}:
            conditions.append(SupervisionNotice.level == NoticeLevel(level))
        else:
            flash(_("Level: “%(value)s” is not a level; showing every level.", value=level[:40]), "warning")
    awaiting = args.get("awaiting", "")
    if awaiting in ("1", "late"):
        conditions.append(SupervisionNotice.replied_on.is_(None))
        if awaiting == "late":
            conditions.append(SupervisionNotice.reply_due_on < date.today())
    elif awaiting:
        flash(_("Awaiting a reply: “%(value)s” is not an option; showing all notices.", value=awaiting[:40]),
              "warning")
    unit = args.get("unit", "")
    if unit:
        if (ident := id_from(unit)) is not None:
            conditions.append(SupervisionNotice.unit_id == ident)
        else:
            flash(_("Unit: “%(value)s” is not a unit; showing every unit.", value=unit[:40]), "warning")
    return conditions


@dataclass
class NoticeSources:
    """What a new notice is about: a case, a rectification item, a check finding (any may be None)."""

    petition: Petition | None
    item: RectificationItem | None
    finding: CheckFinding | None

    @property
    def on_case(self) -> Petition | None:
        """The case the notice is on: the one given, or the one a finding is about (not an item's case)."""
        return self.petition or (self.finding and self.finding.petition)

    @property
    def case(self) -> Petition | None:
        """The case behind the notice, directly or through its item or finding (for the accusation rule)."""
        return self.petition or (self.item and self.item.petition) or (self.finding and self.finding.petition)


def notice_sources() -> NoticeSources:
    return NoticeSources(petition=record_from_arg(Petition, "petition", visible_petitions(current_user)),
                         item=record_from_arg(RectificationItem, "item", visible_items(current_user)),
                         finding=record_from_arg(CheckFinding, "finding", visible_findings(current_user)))


def notice_defaults(sources: NoticeSources) -> dict:
    """Addressed by default to the item's unit, the case's lead unit, or the unit a finding points to."""
    if sources.item is not None:
        return {"unit_id": sources.item.unit_id, "leader_id": sources.item.leader_id}
    if sources.petition is not None:
        return {"unit_id": sources.petition.lead_unit_id, "leader_id": sources.petition.leader_id}
    if sources.finding is not None:
        unit_id, leader_id = addressee_of_finding(sources.finding)
        return {"unit_id": unit_id, "leader_id": leader_id}
    return {}


@bp.route("/notices/new", methods=["GET", "POST"])
def new_notice():
    """Issue a notice (催办 or 督办) on a case, a rectification item or a finding; supervisors and admins."""
    sources = notice_sources()
    form = NoticeForm(data=notice_defaults(sources) if request.method == "GET" else None)
    fill_addressee_choices(form)
    if form.validate_on_submit() and not accused_refusal(form, sources.case) and issue_allowed(form):
        notice = issue_numbered(form, sources)
        if notice is not None:
            flash(_("Notice %(number)s issued.", number=notice.number), "success")
            return redirect(url_for("supervision.notice", notice_id=notice.id))
    status = 400 if request.method == "POST" else 200
    return render_template("supervision/notice_form.html", form=form, sources=sources), status


def issue_allowed(form) -> bool:
    key = issue_refusal(NoticeLevel(form.level.data), form.issued_on.data, form.reply_due_on.data, date.today())
    if key:
        field = getattr(form, ISSUE_FIELDS[key])
        field.errors = [*field.errors, notice_refusal(key)]
    return key is None


def issue_numbered(form, sources: NoticeSources) -> SupervisionNotice | None:
    """Number, issue and commit the notice; a number taken by a simultaneous issue is retried, then refused."""
    for _attempt in range(NUMBER_ATTEMPTS):
        year = form.issued_on.data.year
        last = db.session.scalar(
            db.select(SupervisionNotice.number).where(SupervisionNotice.number.startswith(number_prefix(year)))
            .order_by(func.length(SupervisionNotice.number).desc(), SupervisionNotice.number.desc()).limit(1))
        number = notice_number(year, next_sequence(last))
        notice = SupervisionNotice(
            number=number, petition_id=sources.on_case.id if sources.on_case else None,
            item_id=sources.item.id if sources.item else None,
            finding_id=sources.finding.id if sources.finding else None, unit_id=form.unit_id.data,
            leader_id=form.leader_id.data, level=NoticeLevel(form.level.data), issued_on=form.issued_on.data,
            requirement=form.requirement.data.strip(), reply_due_on=form.reply_due_on.data,
            created_by_id=current_user.id)
        issue(notice, current_user.id)
        db.session.add(notice)
        try:
            db.session.commit()
            return notice
        except IntegrityError:
            db.session.rollback()
            if db.session.scalar(db.select(SupervisionNotice.id).where(SupervisionNotice.number == number)) is None:
                flash(_("This would duplicate or break a link to another record; nothing was saved."), "danger")
                return None
    flash(notice_refusal("number_taken"), "danger")
    return None


@bp.route("/notices/<int:notice_id>")
@role_required(*ALL_ROLES)
def notice(notice_id):
    """One notice: what it is about, its level, requirement, reply and history; the addressed unit or leader and
    supervisors. Supervisors escalate it here; the addressee replies."""
    return render_notice(load_notice(notice_id))


def render_notice(notice, failed=None):
    """The notice page; `failed` is a (name, form) pair whose errors and input are shown again."""
    forms = {}
    if supervises(current_user) and next_level(notice.level) is not None:
        forms["escalate"] = EscalateForm(formdata=None, data={"version": notice.version})
    if (supervises(current_user) or is_addressee(current_user, notice)) and notice.replied_on is None:
        forms["reply"] = unique_ids(ReplyForm(formdata=None, data={"version": notice.version}), "reply")
    if failed:
        forms[failed[0]] = failed[1]
    if "escalate" in forms:
        trimmed_escalation(forms["escalate"], notice)
    forms = {name: unique_ids(form, name) for name, form in forms.items()}
    case = notice.petition or (notice.item.petition if notice.item else None)
    return render_template("supervision/notice.html", notice=notice, forms=forms, open_form=failed and failed[0],
                           case=case, case_ids=visible_case_ids([case.id if case else None]),
                           target=next_level(notice.level), today=date.today(),
                           paper_reply=not is_addressee(current_user, notice))


@bp.route("/notices/<int:notice_id>/escalate", methods=["POST"])
def escalate_notice(notice_id):
    """Escalate a notice one level (督办 needs a reply deadline, 问责 its form and decision); supervisors, admins."""
    notice = load_notice(notice_id)
    failed = escalation_step(notice, EscalateForm(), lambda form: render_notice(notice, ("escalate", form)))
    return failed or redirect(url_for("supervision.notice", notice_id=notice.id))


@bp.route("/notices/<int:notice_id>/reply", methods=["POST"])
@role_required(*ALL_ROLES)
def reply_notice(notice_id):
    """Record the written reply: a user of the addressed unit or the addressed leader; supervisors record a reply
    received on paper. Anyone else is refused (403) with a message."""
    notice = get_or_404(SupervisionNotice, notice_id)
    addressee = is_addressee(current_user, notice)
    if not (addressee or supervises(current_user)):
        abort(403, notice_refusal("not_addressee"))
    notice = load_notice(notice_id)  # 404 when it is about an accusation against the user's unit
    form = ReplyForm()

    def render(form):
        return render_notice(notice, ("reply", form))

    if not form.validate_on_submit():
        return render(form), 400
    if version_conflict(notice, form):
        return render(form), 409
    key = reply_refusal(notice, addressee or supervises(current_user), form.replied_on.data, date.today())
    if key:
        return refused(form, key, REPLY_FIELDS, render, day=notice.issued_on.isoformat())
    note = "" if addressee else _("Received on paper, recorded by %(name)s.", name=current_user.display_name)
    record_reply(notice, form.text.data, form.replied_on.data, current_user.id, note)
    if not commit_or_report():
        return render(form), 409
    flash(_("The reply to %(number)s has been recorded.", number=notice.number), "success")
    return redirect(url_for("supervision.notice", notice_id=notice.id))


@bp.route("/notices/<int:notice_id>/sheet")
@role_required(*ALL_ROLES)
def notice_sheet(notice_id):
    """The printable notice sheet (督办单) on A4: no petitioner's personal data. Whoever may see the notice."""
    notice = load_notice(notice_id)
    case = notice.petition or (notice.item.petition if notice.item else None)
    return render_template("supervision/notice_sheet.html", notice=notice, case=case, today=date.today())


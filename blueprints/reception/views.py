"""Reception sessions: list, create, edit, copy, publish, cancel, reschedule, record.

Planners (admins, office staff, leaders) change them; supervisors read them."""
from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from blueprints.reception import PLANNERS, bp
from blueprints.reception.forms import BatchForm, CancelForm, RecordForm, RescheduleForm, SessionForm
from blueprints.reception.services import apply_session_form, conflict_message, touch_public
from blueprints.shared import (
    PostForm,
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
from models import (
    Leader,
    ReceptionBatch,
    ReceptionMethod,
    ReceptionRecord,
    ReceptionSession,
    SessionStatus,
    db,
)

PUBLISH_NOTICE_DAYS = 2  # DOMAIN §1: post at least two days ahead


def fill_session_choices(form) -> None:
    units = active_units()
    form.unit_id.choices = tree_choices(units, empty_label=_("(choose)"))
    if hasattr(form, "accompanying_unit_ids"):
        form.accompanying_unit_ids.choices = options((u.id, u.name) for u in units)
    leaders = active_leaders()
    form.leader_ids.choices = options((leader.id, f"{leader.name}（{leader.title}）") for leader in leaders)
    methods = db.session.scalars(
        db.select(ReceptionMethod).where(ReceptionMethod.active.is_(True)).order_by(ReceptionMethod.sort_order)).all()
    form.method_id.choices = options([("", _("(choose)"))] + [(m.id, m.name) for m in methods])


def session_query():
    return db.select(ReceptionSession).options(
        selectinload(ReceptionSession.leaders), selectinload(ReceptionSession.method))


@bp.route("/")
def sessions():
    """All sessions, filterable by month, status and leader; newest day first."""
    query = session_query().order_by(ReceptionSession.day.desc(), ReceptionSession.start_time)
    args = request.args
    status, leader_id, month = args.get("status", ""), args.get("leader", ""), args.get("month", "")
    if status in {s.value for s in SessionStatus}:
        query = query.where(ReceptionSession.status == SessionStatus(status))
    if (leader := id_from(leader_id)) is not None:
        query = query.where(ReceptionSession.leaders.any(Leader.id == leader))
    if len(month) == 7 and month.isascii() and month[:4].isdigit() and month[5:].isdigit() \
            and 1 <= int(month[:4]) <= 9998 and 1 <= int(month[5:]) <= 12:  # 9999-12 would end in year 10000
        first = date(int(month[:4]), int(month[5:]), 1)
        query = query.where(ReceptionSession.day >= first,
                            ReceptionSession.day < date(first.year + first.month // 12, first.month % 12 + 1, 1))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    leaders = db.session.scalars(db.select(Leader).order_by(Leader.sort_order, Leader.name)).all()
    return render_template("reception/sessions.html", page=page, leaders=leaders, statuses=SessionStatus)


def render_session(item, status=200, **forms):
    """The session page; a rejected action form is passed in so it shows its errors and keeps the input."""
    context = {"batch_form": BatchForm(), "cancel_form": CancelForm(version=item.version), "post_form": PostForm(),
               "reschedule_form": RescheduleForm(obj=item), "record_form": RecordForm(version=item.version)}
    context.update(forms)
    batches = item.record.batches if item.record else []
    return render_template("reception/session.html", item=item, record=item.record, batches=batches,
                           **context), status


@bp.route("/<int:session_id>")
def session(session_id):
    """One session with its record and the actions its state allows."""
    return render_session(get_or_404(ReceptionSession, session_id))


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@bp.route("/<int:session_id>/copy", methods=["GET", "POST"], endpoint="copy_session")
@role_required(*PLANNERS)
def edit_session(session_id=None):
    """Create a draft, edit a draft or published session, or start a new draft from a copy."""
    copying = request.endpoint == "reception.copy_session"
    item = get_or_404(ReceptionSession, session_id) if session_id else None
    if item is not None and not copying and item.status in (SessionStatus.held, SessionStatus.cancelled):
        flash(_("Held and cancelled sessions can no longer be edited."), "warning")
        return redirect(url_for("reception.session", session_id=item.id))
    form = SessionForm(obj=item, leader_ids=[leader.id for leader in item.leaders] if item else None,
                       accompanying_unit_ids=[u.id for u in item.accompanying_units] if item else None)
    fill_session_choices(form)
    target = None if copying else item
    if form.validate_on_submit() and not (target and version_conflict(target, form)) \
            and session_form_allowed(form, target):
        saved = apply_session_form(form, target)
        if commit_or_report():
            flash(_("The session has been saved."), "success")
            return redirect(url_for("reception.session", session_id=saved.id))
    return render_template("reception/session_form.html", form=form, item=target, copying=copying)


def session_form_allowed(form, item) -> bool:
    """Field checks that need the database or the session's state; errors go next to the field."""
    if item is None and form.day.data < date.today():
        form.day.errors.append(_("A new session cannot be on a date in the past."))
        return False
    if item is not None and item.status is SessionStatus.published and (
            (form.day.data, form.start_time.data, form.end_time.data)
            != (item.day, item.start_time, item.end_time)):
        form.day.errors.append(_("The session is published: use Reschedule to change its date or time."))
        return False
    return no_clash(form.leader_ids, item.id if item else None, form, form.place.data, form.leader_ids.data)


def no_clash(field, session_id, form, place, leader_ids) -> bool:
    """False, with the other session named next to `field`, when the form's time clashes with a live session."""
    clash = conflict_message(session_id, form.day.data, form.start_time.data, form.end_time.data, place, leader_ids)
    if clash:
        field.errors.append(clash)
    return clash is None


@bp.route("/<int:session_id>/publish", methods=["POST"])
@role_required(*PLANNERS)
def publish_session(session_id):
    """Publish a draft: from now on the public sees it."""
    item = get_or_404(ReceptionSession, session_id)
    if PostForm().validate_on_submit() and item.status is SessionStatus.draft:
        item.status = SessionStatus.published
        touch_public(item)
        if commit_or_report():
            flash(_("The session is published."), "success")
            if (item.day - date.today()).days < PUBLISH_NOTICE_DAYS:
                flash(_("Sessions should be posted at least two days ahead."), "warning")
    return redirect(url_for("reception.session", session_id=item.id))


@bp.route("/<int:session_id>/delete", methods=["POST"])
@role_required(*PLANNERS)
def delete_session(session_id):
    """Delete a draft; a session the public has seen can only be cancelled."""
    item = get_or_404(ReceptionSession, session_id)
    if item.status is not SessionStatus.draft:
        flash(_("Only drafts can be deleted; cancel a published session instead."), "danger")
        return redirect(url_for("reception.session", session_id=item.id))
    if PostForm().validate_on_submit():
        db.session.delete(item)
        db.session.commit()
        flash(_("The draft has been deleted."), "success")
    return redirect(url_for("reception.sessions"))


def change_state(item, form, form_name, allowed, refusal, apply, done, check=lambda form: True):
    """The shape of every state change of a session: check its state, validate (errors re-shown with the
    input), apply, raise the public SEQUENCE, commit once, and return to the session page."""
    if not allowed:
        flash(refusal, "danger")
    elif not form.validate_on_submit() or version_conflict(item, form) or not check(form):
        return render_session(item, 400, **{form_name: form})
    else:
        apply(form)
        touch_public(item)
        if commit_or_report():
            flash(done, "success")
    return redirect(url_for("reception.session", session_id=item.id))


@bp.route("/<int:session_id>/cancel", methods=["POST"])
@role_required(*PLANNERS)
def cancel_session(session_id):
    """Cancel a published session with a public reason."""
    item = get_or_404(ReceptionSession, session_id)

    def cancel(form):
        item.status, item.cancel_reason = SessionStatus.cancelled, form.reason.data.strip()

    return change_state(item, CancelForm(), "cancel_form", item.status is SessionStatus.published,
                        _("Only published sessions can be cancelled."), cancel,
                        _("The session is cancelled; the public sees the reason."))


@bp.route("/<int:session_id>/reschedule", methods=["POST"])
@role_required(*PLANNERS)
def reschedule_session(session_id):
    """Move a published session; the public sees the old time struck through next to the new one."""
    item = get_or_404(ReceptionSession, session_id)

    def move(form):
        item.previous_day, item.previous_start_time, item.previous_end_time = item.day, item.start_time, item.end_time
        item.day, item.start_time, item.end_time = form.day.data, form.start_time.data, form.end_time.data

    return change_state(item, RescheduleForm(), "reschedule_form", item.status is SessionStatus.published,
                        _("Only published sessions can be rescheduled."), move,
                        _("The session has been rescheduled."), check=lambda form: reschedule_allowed(form, item))


def reschedule_allowed(form, item) -> bool:
    if form.day.data < date.today():
        form.day.errors.append(_("A session cannot be moved into the past."))
        return False
    return no_clash(form.day, item.id, form, item.place, [leader.id for leader in item.leaders])


@bp.route("/<int:session_id>/record", methods=["POST"])
@role_required(*PLANNERS)
def record_session(session_id):
    """Record that a published session was held (on or after its day)."""
    item = get_or_404(ReceptionSession, session_id)

    def hold(form):
        item.status = SessionStatus.held
        db.session.add(ReceptionRecord(session=item, notes=(form.notes.data or "").strip(),
                                       recorded_by_id=current_user.id))

    return change_state(item, RecordForm(), "record_form",
                        item.status is SessionStatus.published and item.day <= date.today(),
                        _("Only a published session can be recorded, on or after its day."), hold,
                        _("The session is recorded as held. Add each visiting batch below."))


@bp.route("/<int:session_id>/batches", methods=["POST"])
@role_required(*PLANNERS)
def add_batch(session_id):
    """Add a visiting batch to a held session's record."""
    item = get_or_404(ReceptionSession, session_id)
    form = BatchForm()
    if item.record is None:
        flash(_("Record the session as held first."), "danger")
    elif not form.validate_on_submit():
        return render_session(item, 400, batch_form=form)
    else:
        db.session.add(ReceptionBatch(record=item.record, petitioner_names=form.petitioner_names.data.strip(),
                                      persons=form.persons.data, matter=form.matter.data.strip(),
                                      answer=(form.answer.data or "").strip(), settled=form.settled.data))
        db.session.commit()
        flash(_("The batch has been added."), "success")
    return redirect(url_for("reception.session", session_id=item.id))

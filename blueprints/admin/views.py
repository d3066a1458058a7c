"""Admin views for users, units, leaders, editable lists and the audit log; admins only."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload

from blueprints.admin import bp
from blueprints.admin.forms import AuditFilterForm, LeaderForm, ListItemForm, UnitForm, UserForm
from blueprints.admin.services import (
    LIST_KINDS,
    apply_leader_form,
    apply_list_form,
    apply_unit_form,
    apply_user_form,
    fill_leader_choices,
    fill_list_choices,
    fill_unit_choices,
    fill_user_choices,
)
from blueprints.shared import (
    commit_or_report,
    enum_options,
    flatten_tree,
    get_or_404,
    id_from,
    options,
    version_conflict,
)
from models import AuditAction, AuditLog, Category, Leader, ReceptionMethod, Role, Unit, User, db

LIST_HEADINGS = {"categories": lambda: _("New content category"), "methods": lambda: _("New reception method")}
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def local_midnight_utc(day):
    return datetime.combine(day, time(), tzinfo=LOCAL_ZONE).astimezone(timezone.utc)


def edit_page(obj, form, apply, back: str, heading: str):
    """The create/edit flow: validate, refuse stale saves, apply, commit once, or re-show the input."""
    if form.validate_on_submit() and not (obj and version_conflict(obj, form)) and apply(form, obj):
        if commit_or_report():
            flash(_("Saved."), "success")
            return redirect(url_for(back))
    return render_template("admin/record_form.html", form=form, heading=heading, back=back)


@bp.route("/users")
def users():
    """List and filter user accounts."""
    query = db.select(User).options(joinedload(User.unit)).order_by(User.username)
    text, role, unit_id = request.args.get("q", "").strip(), request.args.get("role", ""), request.args.get("unit", "")
    if text:
        query = query.where(User.username.contains(text) | User.display_name.contains(text))
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    if (unit := id_from(unit_id)) is not None:
        query = query.where(User.unit_id == unit)
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    units = db.session.scalars(db.select(Unit).order_by(Unit.sort_order, Unit.name)).all()
    return render_template("admin/users.html", page=page, units=flatten_tree(units), roles=Role)


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id=None):
    """Create or edit a user account."""
    user = get_or_404(User, user_id) if user_id else None
    form = UserForm(obj=user)
    fill_user_choices(form)
    heading = _("Edit user %(name)s", name=user.username) if user else _("New user")
    return edit_page(user, form, apply_user_form, "admin.users", heading)


@bp.route("/units")
def units():
    """The unit tree."""
    rows = db.session.scalars(db.select(Unit).order_by(Unit.sort_order, Unit.name)).all()
    return render_template("admin/units.html", rows=flatten_tree(rows))


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
def edit_unit(unit_id=None):
    """Create or edit a unit; a unit cannot be moved under itself or its own descendants."""
    unit = get_or_404(Unit, unit_id) if unit_id else None
    form = UnitForm(obj=unit)
    fill_unit_choices(form, unit)
    heading = _("Edit unit %(name)s", name=unit.name) if unit else _("New unit")
    return edit_page(unit, form, apply_unit_form, "admin.units", heading)


@bp.route("/leaders")
def leaders():
    """List leaders with their unit and linked account."""
    query = (
        db.select(Leader)
        .join(Leader.unit)
        .options(contains_eager(Leader.unit), joinedload(Leader.user))
        .order_by(Unit.sort_order, Leader.sort_order, Leader.name)
    )
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("admin/leaders.html", page=page)


@bp.route("/leaders/new", methods=["GET", "POST"])
@bp.route("/leaders/<int:leader_id>/edit", methods=["GET", "POST"])
def edit_leader(leader_id=None):
    """Create or edit a leader record and its link to a login account."""
    leader = get_or_404(Leader, leader_id) if leader_id else None
    form = LeaderForm(obj=leader)
    fill_leader_choices(form, leader)
    heading = _("Edit leader %(name)s", name=leader.name) if leader else _("New leader")
    return edit_page(leader, form, apply_leader_form, "admin.leaders", heading)


@bp.route("/lists")
def lists():
    """The editable lists: content categories (a tree) and reception methods."""
    categories = db.session.scalars(db.select(Category).order_by(Category.sort_order, Category.name)).all()
    methods = db.session.scalars(db.select(ReceptionMethod).order_by(ReceptionMethod.sort_order)).all()
    return render_template("admin/lists.html", categories=flatten_tree(categories), methods=methods)


@bp.route("/lists/<kind>/new", methods=["GET", "POST"])
@bp.route("/lists/<kind>/<int:item_id>/edit", methods=["GET", "POST"])
def edit_list_item(kind, item_id=None):
    """Create or edit an entry of an editable list."""
    if kind not in LIST_KINDS:
        return render_template("errors/error.html", code=404, message=_("Unknown list.")), 404
    item = get_or_404(LIST_KINDS[kind], item_id) if item_id else None
    form = ListItemForm(obj=item)
    fill_list_choices(form, kind, item)
    apply = lambda form, item: apply_list_form(form, kind, item)  # noqa: E731
    heading = _("Edit %(name)s", name=item.name) if item else LIST_HEADINGS[kind]()
    return edit_page(item, form, apply, "admin.lists", heading)


@bp.route("/audit")
def audit_log():
    """Browse and filter the audit log, newest first."""
    form = AuditFilterForm(request.args)
    form.action.choices = options([("", _("Any"))]) + enum_options(AuditAction)
    types = db.session.scalars(db.select(AuditLog.object_type).distinct().order_by(AuditLog.object_type)).all()
    form.object_type.choices = options([("", _("Any"))] + [(t, t) for t in types])
    query = db.select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if form.validate():
        query = filter_audit(query, form)
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("admin/audit.html", form=form, page=page)


def filter_audit(query, form):
    """Apply the filter form to an audit query; local dates become UTC instants."""
    if form.actor.data:
        query = query.where(AuditLog.actor_name.contains(form.actor.data.strip()))
    if form.action.data:
        query = query.where(AuditLog.action == AuditAction(form.action.data))
    if form.object_type.data:
        query = query.where(AuditLog.object_type == form.object_type.data)
    if form.object_id.data:
        query = query.where(AuditLog.object_id == form.object_id.data.strip())
    if form.date_from.data:
        query = query.where(AuditLog.at >= local_midnight_utc(form.date_from.data))
    if form.date_to.data:
        query = query.where(AuditLog.at < local_midnight_utc(form.date_to.data + timedelta(days=1)))
    return query

"""Petitions: list and search, register, case page, reveal of personal data."""
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from audit import record_event
from blueprints.cases import bp
from blueprints.cases.access import may_see_personal_data, visible_petitions
from blueprints.cases.forms import MAX_PETITIONERS, RegisterForm
from blueprints.cases.services import (
    DUE_SOON_DAYS,
    earlier_matches,
    petition_list_query,
    register_petition,
)
from blueprints.cases.workflow import case_clocks
from blueprints.shared import PostForm, official_calendar, commit_or_report, role_required, tree_choices
from models import AuditAction, CaseStatus, Category, Channel, Petition, Purpose, Role, Unit, db

REGISTRARS = (Role.admin, Role.clerk)


def load_visible(petition_id: int) -> Petition:
    """The petition if this user may know it exists; 404 otherwise (an accused unit learns nothing)."""
    petition = db.session.scalar(
        db.select(Petition).where(Petition.id == petition_id, visible_petitions(current_user))
        .options(selectinload(Petition.petitioners), selectinload(Petition.co_units)))
    if petition is None:
        abort(404)
    return petition


@bp.route("/")
def petitions():
    """Search and filter the petitions this user may see; personal data masked."""
    query = petition_list_query(current_user, request.args).options(selectinload(Petition.petitioners))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    units = db.session.scalars(db.select(Unit).order_by(Unit.sort_order, Unit.name)).all()
    return render_template("cases/list.html", page=page, units=units, statuses=CaseStatus, channels=Channel,
                           purposes=Purpose, today=date.today(), due_soon_days=DUE_SOON_DAYS)


@bp.route("/new", methods=["GET", "POST"])
@role_required(*REGISTRARS)
def register():
    """Register a petition on one page; warns of a likely repeat visit before saving."""
    form = RegisterForm()
    fill_register_choices(form)
    if form.add_petitioner.data and len(form.petitioners) < MAX_PETITIONERS:
        form.petitioners.append_entry()
        return render_template("cases/register.html", form=form, matches=[])
    matches = []
    if form.validate_on_submit():
        matches = earlier_matches(current_user, [entry.data for entry in form.petitioners])
        if not matches or form.repeat_checked.data == "1":
            petition = register_petition(form, current_user.id)
            if commit_or_report():
                flash(_("Petition %(number)s registered.", number=petition.number), "success")
                return redirect(url_for("cases.petition", petition_id=petition.id))
        form.repeat_checked.data = "1"
        form.is_repeat.data = True
    return render_template("cases/register.html", form=form, matches=matches)


def fill_register_choices(form) -> None:
    units = db.session.scalars(db.select(Unit).where(Unit.active.is_(True)).order_by(Unit.sort_order, Unit.name)).all()
    categories = db.session.scalars(
        db.select(Category).where(Category.active.is_(True)).order_by(Category.sort_order, Category.name)).all()
    form.category_id.choices = tree_choices(categories, empty_label=_("(choose)"))
    form.township_id.choices = tree_choices(units, empty_label=_("(none)"))
    form.accused_unit_id.choices = tree_choices(units, empty_label=_("(none)"))


@bp.route("/<int:petition_id>")
def petition(petition_id):
    """The case page: the petition, its petitioners (masked unless revealed) and its clocks."""
    item = load_visible(petition_id)
    return render_petition(item, may_reveal=may_see_personal_data(current_user, item), revealed=False)


def render_petition(item, may_reveal: bool, revealed: bool):
    return render_template("cases/petition.html", item=item, clocks=case_clocks(item, official_calendar()), today=date.today(),
                           may_reveal=may_reveal, revealed=revealed, form=PostForm())


@bp.route("/<int:petition_id>/reveal", methods=["POST"])
def reveal(petition_id):
    """Show full ID numbers and phones to roles that need them; every reveal goes to the audit log."""
    item = load_visible(petition_id)
    if not may_see_personal_data(current_user, item):
        abort(403)
    if not PostForm().validate_on_submit():
        abort(400)
    record_event(AuditAction.reveal, "petition", str(item.id), item.number, {"fields": ["id_number", "phone"]})
    db.session.commit()
    return render_petition(item, may_reveal=True, revealed=True)

"""Petitions: list and search, register, case page, reveal of personal data."""
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from audit import record_event
from blueprints.cases import bp
from blueprints.cases.access import may_see_personal_data, visible_petitions
from blueprints.cases.attachments import commit_uploads, store_uploads, upload_form_for
from blueprints.cases.forms import (
    ACTION_FORMS,
    ACTION_TITLES,
    ASSIGN_FIELDS,
    MAX_PETITIONERS,
    STEP_LABELS,
    RegisterForm,
)
from blueprints.cases.services import (
    DUE_SOON_DAYS,
    StepRefused,
    allowed_steps,
    earlier_matches,
    list_arg_problems,
    paginate_petitions,
    perform_step,
    petition_list_query,
    register_petition,
)
from blueprints.cases.workflow import case_clocks, steps_of
from blueprints.shared import (
    PostForm,
    active_leaders,
    active_units,
    commit_or_report,
    id_from,
    official_calendar,
    options,
    role_required,
    tree_choices,
)
from blueprints.stats.campaigns import petition_campaigns
from figures import COUNT_LABELS, FIGURE_KEYS, PERSON_SUMS
from models import (
    Attachment,
    AuditAction,
    CaseStatus,
    Category,
    Channel,
    Leader,
    Petition,
    PetitionEvent,
    Purpose,
    ReceptionBatch,
    Role,
    Unit,
    db,
)

REGISTRARS = (Role.admin, Role.clerk)
_AUTO = object()  # action_form(): bind the request's form, as Flask-WTF does by default


def load_visible(petition_id: int) -> Petition:
    """The petition if this user may know it exists; 404 otherwise (an accused unit learns nothing)."""
    petition = db.session.scalar(
        db.select(Petition).where(Petition.id == petition_id, visible_petitions(current_user))
        .options(selectinload(Petition.petitioners), selectinload(Petition.co_units),
                 selectinload(Petition.events).joinedload(PetitionEvent.author),
                 selectinload(Petition.attachments).joinedload(Attachment.uploaded_by)))
    if petition is None:
        abort(404)
    return petition


@bp.route("/")
def petitions():
    """Search, filter and sort the petitions this user may see; personal data masked. Any logged-in user."""
    for problem in list_arg_problems(request.args):
        flash(problem, "warning")
    query = petition_list_query(current_user, request.args)
    page = paginate_petitions(query.options(selectinload(Petition.petitioners)),
                              per_page=current_app.config["PAGE_SIZE"])
    figure = figure_listed(request.args.get("figure"), query)
    units = db.session.scalars(db.select(Unit).order_by(Unit.sort_order, Unit.name)).all()
    categories = db.session.scalars(db.select(Category).order_by(Category.sort_order, Category.name)).all()
    leaders = db.session.scalars(db.select(Leader).order_by(Leader.sort_order, Leader.name)).all()
    return render_template("cases/list.html", page=page, units=tree_choices(units), categories=tree_choices(categories),
                           leaders=leaders, statuses=CaseStatus, channels=Channel, purposes=Purpose,
                           today=date.today(), due_soon_days=DUE_SOON_DAYS, figure=figure)


def figure_listed(key: str | None, query) -> tuple[str, int] | None:
    """(label, exact count) when the list shows a statistics figure's cases: the number to check it against."""
    if key not in FIGURE_KEYS:
        return None
    counted = PERSON_SUMS.get(key, key)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.order_by(None).subquery()))
    return COUNT_LABELS[counted], total


@bp.route("/new", methods=["GET", "POST"])
@role_required(*REGISTRARS)
def register():
    """Register a petition on one page (or from an unsettled reception batch); warns of a likely repeat visit."""
    batch = unregistered_batch(request.values.get("batch", ""))
    form = RegisterForm(data=batch_defaults(batch) if batch and request.method == "GET" else None)
    fill_register_choices(form)
    if form.add_petitioner.data and len(form.petitioners) < MAX_PETITIONERS:
        form.petitioners.append_entry()
        return render_template("cases/register.html", form=form, matches=[], batch=batch)
    matches = []
    if form.validate_on_submit():
        matches = earlier_matches(current_user, [entry.data for entry in form.petitioners])
        if not matches or form.repeat_checked.data == "1":
            petition = register_petition(form, current_user.id)
            petition.reception_batch = batch
            if commit_uploads(store_uploads(petition, form.attachments.data, current_user)):
                flash(_("Petition %(number)s registered.", number=petition.number), "success")
                return redirect(url_for("cases.petition", petition_id=petition.id))
        form.repeat_checked.data = "1"
        form.is_repeat.data = True
    return render_template("cases/register.html", form=form, matches=matches, batch=batch)


def unregistered_batch(value: str) -> ReceptionBatch | None:
    """The unsettled reception batch a registration starts from; 404 if it is unknown, settled or registered."""
    if not value:
        return None
    ident = id_from(value)
    batch = db.session.get(ReceptionBatch, ident) if ident is not None else None
    if batch is None or batch.settled or batch.petition is not None:
        abort(404)
    return batch


def batch_defaults(batch: ReceptionBatch) -> dict:
    """A registration prefilled from what the reception record says: 接访一件、处理一件."""
    names = [name.strip() for name in batch.petitioner_names.replace(",", "、").replace("，", "、").split("、")]
    return {"channel": Channel.reception.value, "received_on": batch.record.session.day, "persons": batch.persons,
            "summary": batch.matter, "petitioners": [{"name": name} for name in names if name][:MAX_PETITIONERS]}


def fill_register_choices(form) -> None:
    units = active_units()
    categories = db.session.scalars(
        db.select(Category).where(Category.active.is_(True)).order_by(Category.sort_order, Category.name)).all()
    form.category_id.choices = tree_choices(categories, empty_label=_("(choose)"))
    form.township_id.choices = tree_choices(units, empty_label=_("(none)"))
    form.accused_unit_id.choices = tree_choices(units, empty_label=_("(none)"))


@bp.route("/<int:petition_id>")
def petition(petition_id):
    """The case page: the petition, its package, clocks, timeline and the steps this user may take."""
    item = load_visible(petition_id)
    return render_petition(item)


@bp.route("/<int:petition_id>/sheet")
def sheet(petition_id):
    """The case sheet (一案一表) for printing: package, clocks and timeline, personal data masked."""
    item = load_visible(petition_id)
    return render_template("cases/sheet.html", item=item, clocks=case_clocks(item, official_calendar()),
                           today=date.today())


@bp.route("/<int:petition_id>/actions/<action>", methods=["POST"])
def act(petition_id, action):
    """Take one workflow step (accept, assign, progress, …); refused steps say why and keep the input."""
    item = load_visible(petition_id)
    if action not in ACTION_FORMS:
        abort(404)
    form = action_form(action, item, allowed=steps_of(action))
    if not form.validate_on_submit():
        return render_petition(item, failed=(action, form)), 400
    try:
        perform_step(item, action, form, current_user, date.today())
    except StepRefused as refused:
        db.session.rollback()
        if refused.status in (403, 404):
            abort(refused.status)
        if refused.field:
            getattr(form, refused.field).errors = [refused.message]
        else:
            flash(refused.message, "danger")
        conflict = refused.key == "changed"
        return render_petition(load_visible(petition_id), failed=(action, form), conflict=conflict), refused.status
    if commit_or_report():
        flash(_("Saved: %(step)s.", step=STEP_LABELS[(action, form.step.data)]), "success")
        return redirect(url_for("cases.petition", petition_id=item.id))
    return render_petition(load_visible(petition_id), failed=(action, form), conflict=True), 409


def action_form(action: str, item: Petition, allowed: list[str], formdata=_AUTO, csrf: bool = True):
    """The form of one workflow action, its step choices limited to `allowed`, prefilled from the case."""
    form_class = ACTION_FORMS[action]
    data = {"version": item.version}
    if action == "assign":
        data.update({name: getattr(item, name) for name in ASSIGN_FIELDS},
                    co_unit_ids=[unit.id for unit in item.co_units])
    elif action == "opinion":
        data.update(outcome=item.outcome.value if item.outcome else "", text=item.opinion_text)
    bound = {} if formdata is _AUTO else {"formdata": formdata}
    form = form_class(data=data, meta={} if csrf else {"csrf": False}, **bound)
    form.step.choices = options((step, STEP_LABELS[(action, step)]) for step in allowed)
    for field in form:  # several action forms share one page: keep element ids unique
        field.id = field.label.field_id = f"{action}-{field.name}"
    if action == "assign":
        fill_assign_choices(form)
    return form


def fill_assign_choices(form) -> None:
    units, leaders = active_units(), active_leaders()
    form.leader_id.choices = options([("", _("(choose)"))] + [(leader.id, str(leader)) for leader in leaders])
    form.lead_unit_id.choices = tree_choices(units, empty_label=_("(choose)"))
    form.co_unit_ids.choices = tree_choices(units)


def render_petition(item, revealed: bool = False, failed=None, conflict: bool = False):
    """The case page; `failed` is an (action, form) pair whose errors and input are shown again."""
    forms = {action: action_form(action, item, allowed, formdata=None)
             for action, allowed in allowed_steps(item, current_user).items()}
    if failed:
        forms[failed[0]] = failed[1]
    return render_template("cases/petition.html", item=item, clocks=case_clocks(item, official_calendar()),
                           today=date.today(), may_reveal=may_see_personal_data(current_user, item),
                           revealed=revealed, form=PostForm(), action_forms=forms, open_action=failed and failed[0],
                           conflict_form=failed[1] if conflict else None, upload_form=upload_form_for(current_user),
                           action_titles=ACTION_TITLES, campaigns=petition_campaigns(item.id))


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
    return render_petition(item, revealed=True)

"""Campaigns (专项活动): the list and each campaign's figures for every statistics role (scoped to what the user
may see); create, edit and re-tag for office staff and admins."""
from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from blueprints.cases.access import visible_petitions
from blueprints.shared import (
    PostForm,
    commit_or_report,
    flash_concurrent_change,
    get_or_404,
    role_required,
    version_conflict,
)
from blueprints.stats import bp
from blueprints.stats.campaign_forms import CampaignForm
from blueprints.stats.campaigns import (
    COUNT_KEYS,
    LABELS,
    LIST_ARGS,
    MEDIATION,
    STATE_BADGES,
    STATE_LABELS,
    campaign_state,
    campaign_totals,
    figure_rows,
    tag_campaign_cases,
)
from figures import format_rate
from models import Campaign, Role, db

EDITORS = (Role.admin, Role.clerk)
FORM_COLUMNS = ("name", "starts_on", "ends_on", "township_id", "category_id", "description")


@bp.route("/campaigns")
def campaigns():
    """Every campaign, newest first, with the cases it tagged that this user may see."""
    page = db.paginate(db.select(Campaign).options(joinedload(Campaign.township), joinedload(Campaign.category))
                       .order_by(Campaign.starts_on.desc(), Campaign.id.desc()),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    totals = campaign_totals([item.id for item in page.items], visible_petitions(current_user))
    return render_template("stats/campaigns.html", page=page, totals=totals, today=date.today(),
                           may_edit=current_user.role in EDITORS, **state_context())


@bp.route("/campaigns/<int:campaign_id>")
def campaign(campaign_id):
    """A campaign's figures (found, resolved, closed, 调结率), in all and by township and leader, each a link to
    its cases; counts only the cases this user may see."""
    item = get_or_404(Campaign, campaign_id)
    today, scope = date.today(), visible_petitions(current_user)
    tables = {by: figure_rows(item.id, scope, today, by) for by in (None, "township", "leader")}
    return render_template("stats/campaign.html", item=item, tables=tables, today=today, post_form=PostForm(),
                           may_edit=current_user.role in EDITORS, keys=COUNT_KEYS, labels=LABELS,
                           list_args=LIST_ARGS, mediation=MEDIATION, format_rate=format_rate, **state_context())


@bp.route("/campaigns/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def new_campaign():
    """Start a campaign and tag its cases at once. Admins and office staff."""
    form = CampaignForm()
    if form.validate_on_submit():
        item = Campaign(created_by_id=current_user.id)
        apply_form(form, item)
        db.session.add(item)
        counts = save_and_tag(item, form)
        if counts is not None:
            flash_tagged(counts)
            return redirect(url_for("stats.campaign", campaign_id=item.id))
    return render_template("stats/campaign_form.html", form=form, item=None), \
        400 if request.method == "POST" else 200


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_campaign(campaign_id):
    """Change a campaign and re-tag its cases (a narrower scope drops the tags that no longer match); a save over
    someone else's newer change is refused (409) with the input kept. Admins and office staff."""
    item = get_or_404(Campaign, campaign_id)
    data = {name: getattr(item, name) for name in (*FORM_COLUMNS, "version")} if request.method == "GET" else None
    form = CampaignForm(data=data, campaign=item)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            status = 409
            if not version_conflict(item, form):
                apply_form(form, item)
                if (counts := save_and_tag(item, form)) is not None:
                    flash_tagged(counts)
                    return redirect(url_for("stats.campaign", campaign_id=item.id))
    return render_template("stats/campaign_form.html", form=form, item=item), status


@bp.route("/campaigns/<int:campaign_id>/tag", methods=["POST"])
@role_required(*EDITORS)
def tag_campaign(campaign_id):
    """Re-tag a campaign's cases now (cases registered or closed since the last tagging). Admins and office
    staff."""
    item = get_or_404(Campaign, campaign_id)
    counts = tag_campaign_cases(item)
    if commit_or_report():
        flash(_("The cases have been tagged again: %(found)d found, %(handled)d resolved in the period.",
                found=counts[0], handled=counts[1]), "success")
    return redirect(url_for("stats.campaign", campaign_id=item.id))


def apply_form(form: CampaignForm, item: Campaign) -> None:
    for name in FORM_COLUMNS:
        setattr(item, name, form[name].data if name != "description" else form.description.data or "")


def save_and_tag(item: Campaign, form: CampaignForm) -> tuple[int, int] | None:
    """Write the campaign and its tags in one commit; None when the write is refused: the name was taken or the
    campaign changed meanwhile (the form or a message says which)."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        form.name.errors.append(_("Another campaign has this name already; choose another."))
        return None
    except StaleDataError:
        db.session.rollback()
        flash_concurrent_change()
        return None
    counts = tag_campaign_cases(item)
    return counts if commit_or_report() else None


def flash_tagged(counts: tuple[int, int]) -> None:
    flash(_("The campaign has been saved and its cases tagged: %(found)d found, %(handled)d resolved in the "
            "period.", found=counts[0], handled=counts[1]), "success")


def state_context() -> dict:
    return {"campaign_state": campaign_state, "state_labels": STATE_LABELS, "state_badges": STATE_BADGES}

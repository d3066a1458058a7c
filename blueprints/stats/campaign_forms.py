"""The campaign form: a unique name, a period of at most a year, an optional township and category."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from blueprints.shared import VersionedForm, optional_id, tree_choices
from blueprints.stats.campaigns import latest_end
from models import Campaign, Category, Unit, UnitKind, db


def strip(value):
    return value.strip() if isinstance(value, str) else value


class CampaignForm(VersionedForm):
    """Create or edit a campaign; the version is ignored on create."""

    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=100)])
    starts_on = DateField(_l("Starts on"), validators=[InputRequired()])
    ends_on = DateField(_l("Ends on"), validators=[InputRequired()])
    township_id = SelectField(_l("Township"), coerce=optional_id, validators=[Optional()],
                              description=_l("Leave empty for every township."))
    category_id = SelectField(_l("Content category"), coerce=optional_id, validators=[Optional()],
                              description=_l("Leave empty for every category; a first-level category takes in its "
                                             "subcategories."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save and tag the cases"))

    def __init__(self, *args, campaign: Campaign | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign_id = campaign.id if campaign is not None else None
        townships = db.select(Unit).where(Unit.kind == UnitKind.township, or_current(Unit, campaign, "township_id"))
        categories = db.select(Category).where(or_current(Category, campaign, "category_id"))
        self.township_id.choices = tree_choices(
            db.session.scalars(townships.order_by(Unit.sort_order, Unit.name)).all(), empty_label=_l("(all)"))
        self.category_id.choices = tree_choices(
            db.session.scalars(categories.order_by(Category.sort_order, Category.name)).all(), empty_label=_l("(all)"))

    def validate_name(self, field):
        taken = db.select(Campaign.id).where(db.func.lower(Campaign.name) == (field.data or "").lower())
        if self.campaign_id is not None:
            taken = taken.where(Campaign.id != self.campaign_id)
        if db.session.scalar(taken.limit(1)) is not None:
            raise ValidationError(_l("Another campaign has this name already; choose another."))

    def validate_ends_on(self, field):
        if not self.starts_on.data or not field.data:
            return
        if field.data < self.starts_on.data:
            raise ValidationError(_l("The campaign cannot end before it starts."))
        if field.data > latest_end(self.starts_on.data):
            raise ValidationError(_l("A campaign may last at most one year."))


def or_current(model, campaign: Campaign | None, column: str):
    """Active rows, and the one the campaign has even if it was deactivated since (so an edit keeps it)."""
    current = getattr(campaign, column, None) if campaign is not None else None
    return model.active.is_(True) if current is None else or_(model.active.is_(True), model.id == current)

"""Forms of the reception blueprint."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from blueprints.shared import IntegerField, MultiCheckboxField, VersionedForm, optional_id
from models import LeaderPost


class TimeRangeMixin:
    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end time must be after the start time."))


class SessionForm(TimeRangeMixin, VersionedForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Start time"), validators=[InputRequired()])
    end_time = TimeField(_l("End time"), validators=[InputRequired()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)])
    unit_id = SelectField(_l("Organising unit"), coerce=optional_id, validators=[DataRequired()])
    leader_ids = MultiCheckboxField(_l("Receiving leaders"), coerce=int,
                                    validators=[DataRequired(_l("Choose at least one leader."))])
    accompanying_unit_ids = MultiCheckboxField(_l("Accompanying units"), coerce=int, validators=[Optional()])
    method_id = SelectField(_l("Reception method"), coerce=optional_id, validators=[DataRequired()])
    topic = TextAreaField(_l("Topic or scope"), validators=[Optional(), Length(max=500)])
    booking = StringField(_l("How to book"), validators=[Optional(), Length(max=300)],
                          description=_l("For example: phone 0000-12345 on working days, or at the reception counter."))
    capacity = IntegerField(_l("Capacity (batches)"), validators=[Optional(), NumberRange(min=1, max=1000)])
    public_remarks = StringField(_l("Public remarks"), validators=[Optional(), Length(max=500)])
    internal_remarks = TextAreaField(_l("Internal remarks (never public)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save"))


class CancelForm(VersionedForm):
    reason = StringField(_l("Public reason for the cancellation"), validators=[DataRequired(), Length(max=300)])
    submit = SubmitField(_l("Cancel the session"))


class RescheduleForm(TimeRangeMixin, VersionedForm):
    day = DateField(_l("New date"), validators=[InputRequired()])
    start_time = TimeField(_l("New start time"), validators=[InputRequired()])
    end_time = TimeField(_l("New end time"), validators=[InputRequired()])
    submit = SubmitField(_l("Reschedule"))


class RecordForm(VersionedForm):
    notes = TextAreaField(_l("Notes on the session"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Record as held"))


class BatchForm(FlaskForm):
    petitioner_names = StringField(_l("Petitioners' names"), validators=[DataRequired(), Length(max=500)])
    persons = IntegerField(_l("Persons"), default=1, validators=[InputRequired(), NumberRange(min=1, max=10000)],
                           description=_l("5 or more persons make a collective visit."))
    matter = TextAreaField(_l("Matter raised"), validators=[DataRequired(), Length(max=5000)])
    answer = TextAreaField(_l("Answer given on the spot"), validators=[Optional(), Length(max=5000)])
    settled = BooleanField(_l("Settled on the spot"))
    submit = SubmitField(_l("Add the batch"))


class RotaForm(TimeRangeMixin, FlaskForm):
    class Meta:
        csrf = False  # the proposal is a GET; publishing posts a separate, protected form

    month = StringField(_l("Month (YYYY-MM)"), validators=[DataRequired(), Length(max=7)])
    leader_ids = MultiCheckboxField(_l("Leader pool"), coerce=int,
                                    validators=[DataRequired(_l("Choose at least one leader."))])
    start_time = TimeField(_l("Start time"), validators=[InputRequired()])
    end_time = TimeField(_l("End time"), validators=[InputRequired()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)])
    unit_id = SelectField(_l("Organising unit"), coerce=optional_id, validators=[DataRequired()])
    method_id = SelectField(_l("Reception method"), coerce=optional_id, validators=[DataRequired()])
    booking = StringField(_l("How to book"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Propose a rota"))


class QuotaForm(FlaskForm):
    """Reception days per month for each post: one field per LeaderPost, named by its value, with the version of each
    saved quota as it was read (version_<post>)."""


for _post in LeaderPost:
    setattr(QuotaForm, _post.value,
            IntegerField(_post.label, validators=[InputRequired(), NumberRange(min=0, max=31)]))
    setattr(QuotaForm, f"version_{_post.value}", HiddenField())
QuotaForm.submit = SubmitField(_l("Save quotas"))

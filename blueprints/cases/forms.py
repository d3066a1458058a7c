"""Forms of the cases blueprint."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from blueprints.cases.idnumber import is_valid_id_number
from blueprints.shared import enum_options, optional_id
from models import Channel, Purpose

MAX_PETITIONERS = 20


class PetitionerForm(Form):
    """One petitioner; a sub-form without its own CSRF token."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    id_number = StringField(_l("ID number"), validators=[Optional(), Length(max=18)])
    phone = StringField(_l("Phone"), validators=[Optional(), Regexp(r"^\+?[0-9-]{5,20}$",
                                                                     message=_l("Digits only, 5 to 20."))])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    village = StringField(_l("Village or community"), validators=[Optional(), Length(max=100)])

    def validate_id_number(self, field):
        if field.data and not is_valid_id_number(field.data):
            raise ValidationError(_l("Not a valid resident ID number (check the 18 characters and the last one)."))


class RegisterForm(FlaskForm):
    channel = SelectField(_l("Channel"), choices=enum_options(Channel), validators=[DataRequired()])
    received_on = DateField(_l("Date received"), validators=[InputRequired()], default=date.today)
    purpose = SelectField(_l("Purpose"), choices=enum_options(Purpose), validators=[DataRequired()])
    category_id = SelectField(_l("Content category"), coerce=optional_id, validators=[DataRequired()])
    township_id = SelectField(_l("Township or unit where the matter lies"), coerce=optional_id,
                              validators=[Optional()])
    petitioners = FieldList(FormField(PetitionerForm), min_entries=1, max_entries=MAX_PETITIONERS)
    persons = IntegerField(_l("Persons"), default=1, validators=[InputRequired(), NumberRange(min=1, max=10000)],
                           description=_l("5 or more persons make a collective visit."))
    summary = TextAreaField(_l("Summary of the matter"), validators=[DataRequired(), Length(max=5000)])
    accused_unit_id = SelectField(_l("Accused unit"), coerce=optional_id, validators=[Optional()],
                                  description=_l("Accusations only: nobody of this unit will see the case."))
    assigned_from = StringField(_l("Assigned or forwarded by"), validators=[Optional(), Length(max=100)],
                                description=_l("The body above that sent it, e.g. 市信访局; empty if none."))
    is_repeat = BooleanField(_l("Repeat visit (same petitioner, same matter)"))
    is_skip_level = BooleanField(_l("Skipped a level"))
    repeat_checked = HiddenField()
    add_petitioner = SubmitField(_l("Add another petitioner"))
    submit = SubmitField(_l("Register"))

    def validate_received_on(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("The date received cannot be in the future."))

    def validate(self, extra_validators=None):
        # Checked here, not in validate_accused_unit_id: Optional() ends that field's chain when it is empty.
        valid = super().validate(extra_validators)
        if self.purpose.data == Purpose.accusation.value and not self.accused_unit_id.data:
            self.accused_unit_id.errors = [*self.accused_unit_id.errors, _l("An accusation names the accused unit.")]
            return False
        return valid

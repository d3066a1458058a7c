"""Forms of the admin blueprint."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.auth.forms import MIN_PASSWORD_LENGTH
from blueprints.shared import IntegerField, VersionedForm, enum_options, optional_id, options
from models import LeaderPost, Role, UnitKind


class UserForm(VersionedForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), choices=enum_options(Role), validators=[DataRequired()])
    unit_id = SelectField(_l("Unit"), coerce=optional_id, validators=[Optional()])
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
        description=_l("Leave empty to keep the current password."),
    )
    submit = SubmitField(_l("Save"))


class UnitForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=enum_options(UnitKind), validators=[DataRequired()])
    parent_id = SelectField(_l("Parent unit"), coerce=optional_id, validators=[Optional()])
    sort_order = IntegerField(_l("Sort order"), default=0, validators=[Optional(), NumberRange(min=0, max=9999)])
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class LeaderForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=100)])
    portfolio = StringField(_l("Portfolio"), validators=[Optional(), Length(max=300)])
    post = SelectField(_l("Post"), choices=enum_options(LeaderPost), validators=[DataRequired()])
    unit_id = SelectField(_l("Unit"), coerce=optional_id, validators=[DataRequired()])
    user_id = SelectField(_l("Login account"), coerce=optional_id, validators=[Optional()])
    sort_order = IntegerField(_l("Sort order"), default=0, validators=[Optional(), NumberRange(min=0, max=9999)])
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class ListItemForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    parent_id = SelectField(_l("Parent category"), coerce=optional_id, validators=[Optional()])
    sort_order = IntegerField(_l("Sort order"), default=0, validators=[Optional(), NumberRange(min=0, max=9999)])
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class CalendarDayForm(FlaskForm):
    status = RadioField(
        _l("Status"),
        choices=options([
            ("default", _l("As published (package, or weekends if unknown)")),
            ("working", _l("Working day")),
            ("rest", _l("Rest day")),
        ]),
        default="default",
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Save"))


class CalendarImportForm(FlaskForm):
    csv_file = FileField(_l("CSV file"), validators=[FileAllowed(["csv", "txt"], _l("Upload a .csv or .txt file."))])
    csv_text = TextAreaField(_l("Or paste the lines"), validators=[Optional(), Length(max=100_000)])
    confirm_year = BooleanField(_l("These lines are the complete official notice for the year"), default=True)
    submit = SubmitField(_l("Import"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    actor = StringField(_l("User"), validators=[Optional(), Length(max=100)])
    action = SelectField(_l("Action"), default="")  # "" (any) is a choice: Optional() would also pass " "
    object_type = SelectField(_l("Object type"), default="")
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

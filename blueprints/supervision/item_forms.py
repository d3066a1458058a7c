"""Forms of the rectification ledger (整改台账) and the messages of its refusals."""
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from blueprints.shared import IntegerField, VersionedForm, optional_id, options
from blueprints.supervision.items import DEADLINE_IN_WORKING_DAYS, DEADLINE_ON_DATE, MAX_WORKING_DAYS


class ItemForm(VersionedForm):
    """A rectification item: who puts what right, and by when (a date or N working days from the opening)."""

    unit_id = SelectField(_l("Responsible unit"), coerce=optional_id, validators=[DataRequired()])
    leader_id = SelectField(_l("Responsible leader"), coerce=optional_id, validators=[Optional()])
    responsible_person = StringField(_l("Responsible person"), validators=[DataRequired(), Length(max=100)])
    problem = TextAreaField(_l("Problem found"), validators=[DataRequired(), Length(max=5000)])
    measures = TextAreaField(_l("Required measures"), validators=[DataRequired(), Length(max=5000)])
    opened_on = DateField(_l("Opened on"), validators=[InputRequired()], default=date.today)
    deadline_kind = RadioField(
        _l("Deadline given as"), default=DEADLINE_ON_DATE, validators=[DataRequired()],
        choices=options([(DEADLINE_ON_DATE, _l("A date")),
                         (DEADLINE_IN_WORKING_DAYS, _l("Within N working days of the opening"))]))
    deadline = DateField(_l("Deadline"), validators=[Optional()],
                         description=_l("A working day of the official calendar."))
    working_days = IntegerField(_l("Working days"), validators=[Optional(), NumberRange(min=1, max=MAX_WORKING_DAYS)],
                                description=_l("Counted on the official calendar from the day after the opening."))
    submit = SubmitField(_l("Save"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.deadline_kind.data == DEADLINE_ON_DATE and self.deadline.data is None and not self.deadline.errors:
            self.deadline.errors = [*self.deadline.errors, _l("Give the deadline.")]
            return False
        if self.deadline_kind.data == DEADLINE_IN_WORKING_DAYS and self.working_days.data is None \
                and not self.working_days.errors:
            self.working_days.errors = [*self.working_days.errors, _l("Give the number of working days.")]
            return False
        return valid


class ProgressForm(VersionedForm):
    """A progress entry by the responsible unit or leader (or a supervisor)."""

    happened_on = DateField(_l("Date"), validators=[InputRequired()], default=date.today)
    text = TextAreaField(_l("Progress"), validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField(_l("Add the progress entry"))


class VerifyForm(VersionedForm):
    """The supervisor's verification of the effect, which sign-off (销号) needs."""

    verified_on = DateField(_l("Verified on"), validators=[InputRequired()], default=date.today)
    verification = TextAreaField(_l("Verification of the effect"), validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField(_l("Record the verification"))


class SignOffForm(VersionedForm):
    """销号: close the item after the verification."""

    submit = SubmitField(_l("Sign off (销号)"))


ITEM_REFUSALS = {
    "before_inspection": _l("The deadline cannot be before the inspection (%(day)s)."),
    "deadline_before_opening": _l("The deadline cannot be before the opening date (%(day)s)."),
    "before_opening": _l("The date cannot be before the item was opened (%(day)s)."),
    "rest_day": _l("%(day)s is a rest day on the official calendar; the next working day is %(next)s."),
    "future": _l("The date cannot be in the future."),
    "opened_before_inspection": _l("The item cannot be opened before the inspection (%(day)s)."),
    "accused_unit": _l("This case is an accusation against that unit: nothing about it may be addressed to it."),
    "closed": _l("This item has been signed off; it can no longer be changed."),
    "not_verified": _l("Sign-off (销号) needs a recorded verification of the effect first."),
    "not_addressee": _l("Only the unit or leader this item is addressed to, or a supervisor, may add progress."),
}


def item_refusal(key: str, **values) -> str:
    """The message of a refusal key, in the user's language, with its values filled in."""
    text = str(ITEM_REFUSALS[key])
    return text % values if values else text

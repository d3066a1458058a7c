"""Forms of the assessment page: the period and grouping (a GET filter) and the weights of the measures."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional

from blueprints.shared import IntegerField, options
from blueprints.supervision.assessment import BY_LEADER, BY_UNIT, MAX_PERIOD_DAYS, MEASURE_LABELS, MEASURES


class PeriodForm(FlaskForm):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD&by=unit|leader; empty dates mean this year up to today."""

    class Meta:
        csrf = False  # a GET filter: it changes nothing

    start = DateField(_l("From"), name="from", validators=[Optional()])
    end = DateField(_l("To"), name="to", validators=[Optional()])
    by = SelectField(_l("Rows"), default=BY_UNIT,
                     choices=options([(BY_UNIT, _l("By lead unit")), (BY_LEADER, _l("By package leader"))]))

    def period(self, today: date) -> tuple[date, date]:
        """The dates asked for: the end defaults to today, the start to 1 January of the end's year."""
        end = self.end.data or today
        return self.start.data or date(end.year, 1, 1), end

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        start, end = self.period(date.today())
        if end < start:
            self.end.errors.append(_l("The end of the period must not be before its start."))
            return False
        if (end - start).days >= MAX_PERIOD_DAYS:
            self.end.errors.append(_l("The period may be at most three years long."))
            return False
        return True


class WeightsForm(FlaskForm):
    """The weight of each measure in the total, 0–100, with the version of each saved weight as it was read."""

    submit = SubmitField(_l("Save weights"))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not any(self[measure].data for measure in MEASURES):
            self.form_errors.append(_l("Weights: give at least one measure a weight above 0."))
            return False
        return True


for _measure in MEASURES:
    setattr(WeightsForm, _measure, IntegerField(MEASURE_LABELS[_measure],
                                                validators=[InputRequired(), NumberRange(min=0, max=100)]))
    setattr(WeightsForm, f"version_{_measure}", HiddenField())

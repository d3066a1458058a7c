"""Forms of inspections and rounds, and the checks of an inspection's target that need the database."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from sqlalchemy import or_
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from blueprints.cases.access import visible_petitions
from blueprints.cases.attachments import FORMATS, check_uploads
from blueprints.cases.services import SEARCH_CASE_NUMBER
from blueprints.shared import IntegerField, MultiCheckboxField, VersionedForm, enum_options, optional_id
from blueprints.supervision.inspections import date_problem
from models import (
    InspectionMethod,
    InspectionRound,
    InspectionTarget,
    Petition,
    Rating,
    RoundKind,
    Unit,
    UnitKind,
    db,
)

# The form fields that name the target, by kind of target; the others are ignored and cleared on save.
FORM_TARGET_FIELDS = {
    InspectionTarget.receptions: ("leader_id", "period_from", "period_to"),
    InspectionTarget.unit: ("unit_id",),
    InspectionTarget.township: ("unit_id",),
    InspectionTarget.case: ("case_number",),
}
ALL_FORM_TARGET_FIELDS = ("leader_id", "period_from", "period_to", "unit_id", "case_number")
EVIDENCE_ACCEPT = ",".join(FORMATS)


def strip(value):
    return value.strip() if isinstance(value, str) else value


class InspectionForm(VersionedForm):
    """Log or edit an inspection; only the target fields of the chosen kind count."""

    target = SelectField(_l("Target"), choices=enum_options(InspectionTarget), validators=[DataRequired()])
    leader_id = SelectField(_l("Leader"), coerce=optional_id, validators=[Optional()],
                            description=_l("For a leader's receptions."))
    period_from = DateField(_l("Receptions from"), validators=[Optional()])
    period_to = DateField(_l("Receptions until"), validators=[Optional()])
    unit_id = SelectField(_l("Unit or township"), coerce=optional_id, validators=[Optional()],
                          description=_l("For a unit or a township."))
    case_number = StringField(_l("Case number"), filters=[strip], validators=[Optional(), Length(max=32)],
                              description=_l("For a case, e.g. XF2026-0001234."))
    round_id = SelectField(_l("Round"), coerce=optional_id, validators=[Optional()])
    inspected_on = DateField(_l("Date of the inspection"), validators=[InputRequired()], default=date.today)
    method = SelectField(_l("Inspection method"), choices=enum_options(InspectionMethod), validators=[DataRequired()])
    inspectors = StringField(_l("Inspectors"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    findings = TextAreaField(_l("Findings"), validators=[Optional(), Length(max=10000)])
    rating = SelectField(_l("Rating"), choices=enum_options(Rating), validators=[DataRequired()])
    evidence = MultipleFileField(_l("Evidence files"), validators=[check_uploads],
                                 render_kw={"accept": EVIDENCE_ACCEPT})
    submit = SubmitField(_l("Save the inspection"))

    def target_kind(self) -> InspectionTarget | None:
        return next((kind for kind in InspectionTarget if kind.value == self.target.data), None)

    def validate_inspected_on(self, field):
        problem = field.data and date_problem(field.data, date.today())  # None: not a date, already said
        if problem:
            raise ValidationError(problem)

    def validate(self, extra_validators=None):
        super().validate(extra_validators)
        kind = self.target_kind()
        if kind is not None:
            for name in set(ALL_FORM_TARGET_FIELDS) - set(FORM_TARGET_FIELDS[kind]):
                getattr(self, name).errors = []  # fields of another kind of target do not count
            self.check_target(kind)
        return not any(field.errors for field in self)

    def check_target(self, kind: InspectionTarget) -> None:
        def missing(field, message):
            if field.data in (None, "") and not field.errors:
                field.errors = [*field.errors, message]

        if kind is InspectionTarget.receptions:
            missing(self.leader_id, _l("Choose the leader whose receptions were inspected."))
            missing(self.period_from, _l("Give the first day of the period inspected."))
            missing(self.period_to, _l("Give the last day of the period inspected."))
            if self.period_from.data and self.period_to.data and self.period_to.data < self.period_from.data:
                self.period_to.errors = [*self.period_to.errors, _l("The period cannot end before it starts.")]
        elif kind is InspectionTarget.unit:
            missing(self.unit_id, _l("Choose the unit inspected."))
        elif kind is InspectionTarget.township:
            missing(self.unit_id, _l("Choose the township inspected."))
        else:
            missing(self.case_number, _l("Enter the number of the case inspected."))


class EditInspectionForm(InspectionForm):
    """Evidence is added on the inspection page, so an edit refused as stale loses no file."""

    evidence = None


class EvidenceForm(FlaskForm):
    """Add evidence files to an inspection."""

    files = MultipleFileField(_l("Evidence files"),
                              validators=[FileRequired(_l("Choose at least one file.")), check_uploads],
                              render_kw={"accept": EVIDENCE_ACCEPT})
    submit = SubmitField(_l("Upload"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self:  # next to the edit links on the inspection page: keep element ids unique
            field.id = field.label.field_id = f"evidence-{field.name}"


class RoundForm(FlaskForm):
    """Plan a round or a half-year review and the targets it must cover."""

    kind = SelectField(_l("Kind"), choices=enum_options(RoundKind), validators=[DataRequired()])
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=100)])
    starts_on = DateField(_l("Starts on"), validators=[InputRequired()])
    ends_on = DateField(_l("Ends on"), validators=[InputRequired()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    unit_ids = MultiCheckboxField(_l("Units and townships to inspect"), coerce=int, validators=[Optional()])
    leader_ids = MultiCheckboxField(_l("Leaders whose receptions to inspect"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Save the round"))

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The round cannot end before it starts."))


class YearPlanForm(FlaskForm):
    """Create the rounds of a year that do not exist yet."""

    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    submit = SubmitField(_l("Create the missing rounds"))


def case_number_condition(text: str):
    """A case number as typed: exactly, in capitals, or with the serial's leading zeros left out."""
    typed = {text, text.upper()}
    number = SEARCH_CASE_NUMBER.fullmatch(text.upper())
    if number:
        prefix, year, serial = number.groups()
        typed.add(f"{prefix}{year}-{int(serial):07d}")
    return or_(*(Petition.number == value for value in sorted(typed)))


def checked_target(form: InspectionForm, user) -> dict | None:
    """The target columns of a valid form, after the checks that need the database (the round's dates, a
    township that is one, a case number that exists); None with errors next to the fields otherwise."""
    kind = form.target_kind()
    values = {"leader_id": form.leader_id.data, "period_from": form.period_from.data,
              "period_to": form.period_to.data, "unit_id": form.unit_id.data, "petition_id": None}
    round_ = db.session.get(InspectionRound, form.round_id.data) if form.round_id.data else None
    if round_ is not None:
        problem = date_problem(form.inspected_on.data, date.today(), round_.starts_on, round_.ends_on)
        if problem:
            form.inspected_on.errors = [problem]
    if kind is InspectionTarget.township:
        unit = db.session.get(Unit, form.unit_id.data)
        if unit.kind is not UnitKind.township:
            form.unit_id.errors = [_("“%(name)s” is not a township: choose a township, or make the target a unit.",
                                     name=unit.name)]
    if kind is InspectionTarget.case:
        values["petition_id"] = db.session.scalar(
            db.select(Petition.id).where(case_number_condition(form.case_number.data), visible_petitions(user)))
        if values["petition_id"] is None:
            form.case_number.errors = [_("No case has the number “%(number)s”.", number=form.case_number.data)]
    return None if any(field.errors for field in form) else values

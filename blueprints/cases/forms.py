"""Forms of the cases blueprint."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from flask_wtf.i18n import translations as flask_wtf_translations
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from blueprints.cases.attachments import check_uploads
from blueprints.cases.idnumber import is_valid_id_number
from blueprints.shared import IntegerField, MultiCheckboxField, VersionedForm, enum_options, optional_id
from models import Channel, Outcome, Purpose, Resolution, Satisfaction

MAX_PETITIONERS = 20


class PetitionerForm(Form):
    """One petitioner; a sub-form without its own CSRF token."""

    class Meta:
        def get_translations(self, form):
            # A plain wtforms Form would answer in English; use the translations Flask-WTF gives its forms.
            return flask_wtf_translations

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
    report_due_on = DateField(_l("Report the result back by"), validators=[Optional()],
                              description=_l("Items assigned from above: the date the body above set."))
    is_repeat = BooleanField(_l("Repeat visit (same petitioner, same matter)"))
    is_skip_level = BooleanField(_l("Skipped a level"))
    attachments = MultipleFileField(_l("Attachments"), validators=[check_uploads])
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


class ActionForm(VersionedForm):
    """What every step of the case workflow records: which step, on which day, and a line for the timeline."""

    step = SelectField(_l("Step"), validators=[DataRequired()])
    on = DateField(_l("Date"), validators=[InputRequired()], default=date.today)
    text = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save"))

    required_text = ()  # steps that need the text

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.step.data in self.required_text and not (self.text.data or "").strip():
            self.text.errors = [*self.text.errors, _l("This step needs a note.")]
            return False
        return valid


class AcceptForm(ActionForm):
    text = TextAreaField(_l("Reason or note"), validators=[Optional(), Length(max=300)])
    forwarded_to = StringField(_l("Forwarded to"), validators=[Optional(), Length(max=100)])
    required_text = ("not_accept",)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.step.data == "forward" and not (self.forwarded_to.data or "").strip():
            self.forwarded_to.errors = [*self.forwarded_to.errors, _l("Name the body it is forwarded to.")]
            return False
        return valid


class AssignForm(ActionForm):
    """The "five ones" and the four duties (DOMAIN §2)."""

    leader_id = SelectField(_l("Responsible leader"), coerce=optional_id, validators=[DataRequired()])
    lead_unit_id = SelectField(_l("Lead unit"), coerce=optional_id, validators=[DataRequired()])
    co_unit_ids = MultiCheckboxField(_l("Co-handling units"), coerce=int, validators=[Optional()])
    responsible_person = StringField(_l("Responsible person"), validators=[DataRequired(), Length(max=100)])
    handling_opinion = TextAreaField(_l("Handling opinion (the plan)"), validators=[DataRequired(), Length(max=5000)])
    closure_standard = TextAreaField(_l("Closure standard"), validators=[DataRequired(), Length(max=5000)])
    report_due_on = DateField(_l("Report the result back by"), validators=[Optional()],
                              description=_l("Items assigned from above: the date the body above set."))
    is_key = BooleanField(_l("Key case (the main leader signs off the opinion)"))
    duty_facts = BooleanField(_l("Knows the facts (包掌握情况)"))
    duty_resolve = BooleanField(_l("Resolves the matter (包解决化解)"))
    duty_guide = BooleanField(_l("Persuades and guides (包教育转化)"))
    duty_settle = BooleanField(_l("Sees the petitioner settle (包息诉息访)"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.lead_unit_id.data is not None and self.lead_unit_id.data in (self.co_unit_ids.data or ()):
            self.co_unit_ids.errors = [*self.co_unit_ids.errors, _l("The lead unit cannot also be a co-unit.")]
            return False
        return valid


class ProgressForm(ActionForm):
    text = TextAreaField(_l("Progress"), validators=[DataRequired(), Length(max=5000)])
    duty_facts = BooleanField(_l("Knows the facts (包掌握情况)"))
    duty_resolve = BooleanField(_l("Resolves the matter (包解决化解)"))
    duty_guide = BooleanField(_l("Persuades and guides (包教育转化)"))
    duty_settle = BooleanField(_l("Sees the petitioner settle (包息诉息访)"))


class ExtendForm(ActionForm):
    days = IntegerField(_l("Extra days"), validators=[Optional(), NumberRange(min=1, max=30)],
                        description=_l("Up to 30 days, approved by the head; the reason is told to the petitioner."))
    text = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=300)])
    required_text = ("request",)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.step.data == "request" and not self.days.data:
            self.days.errors = [*self.days.errors, _l("Give the number of extra days (1 to 30).")]
            return False
        return valid


class OpinionForm(ActionForm):
    # "—" (none yet) is one of the choices: Optional() would also let " " through, which Outcome() refuses.
    outcome = SelectField(_l("Opinion"), choices=[SelectChoice("", "—"), *enum_options(Outcome)], default="")
    text = TextAreaField(_l("Text of the opinion"), validators=[Optional(), Length(max=5000)])
    required_text = ("submit", "issue")

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.step.data in ("submit", "issue") and not self.outcome.data:
            self.outcome.errors = [*self.outcome.errors, _l("Choose 支持, 解释说明 or 不予支持.")]
            return False
        return valid


class ReturnVisitForm(ActionForm):
    satisfaction = SelectField(_l("Satisfaction"), choices=enum_options(Satisfaction), validators=[DataRequired()])


class CloseForm(ActionForm):
    resolution = SelectField(_l("How it was resolved"), choices=[SelectChoice("", "—"), *enum_options(Resolution)],
                             default="")


class ReReviewForm(ActionForm):
    ended_on = DateField(_l("Hearing ended on"), validators=[Optional()])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.step.data == "hearing" and (self.ended_on.data is None or
                                           (self.on.data and self.ended_on.data < self.on.data)):
            self.ended_on.errors = [*self.ended_on.errors, _l("A hearing ends on or after the day it starts.")]
            return False
        if self.step.data == "hearing" and self.ended_on.data > date.today():  # its days lengthen the clock
            self.ended_on.errors = [*self.ended_on.errors, _l("A hearing is recorded once it has ended: its end "
                                                              "cannot be in the future.")]
            return False
        return valid


class ReportBackForm(ActionForm):
    required_text = ("report",)


ACTION_FORMS = {
    "accept": AcceptForm, "assign": AssignForm, "progress": ProgressForm, "extend": ExtendForm,
    "opinion": OpinionForm, "return-visit": ReturnVisitForm, "close": CloseForm, "review": ActionForm,
    "re-review": ReReviewForm, "report-back": ReportBackForm,
}

ASSIGN_FIELDS = ("leader_id", "lead_unit_id", "responsible_person", "handling_opinion", "closure_standard",
                 "report_due_on", "is_key", "duty_facts", "duty_resolve", "duty_guide", "duty_settle")

STEP_LABELS = {
    ("accept", "accept"): _l("Accept (受理)"), ("accept", "not_accept"): _l("Not accept (不予受理)"),
    ("accept", "forward"): _l("Forward (转送)"), ("assign", "assign"): _l("Assign the package"),
    ("progress", "progress"): _l("Add a progress entry"), ("extend", "request"): _l("Request an extension"),
    ("extend", "approve"): _l("Approve the extension"), ("opinion", "submit"): _l("Submit the opinion draft"),
    ("opinion", "sign_off"): _l("Sign off the opinion (main leader)"), ("opinion", "issue"): _l("Issue the opinion"),
    ("return-visit", "record"): _l("Record the return visit"), ("close", "close"): _l("Close the case (办结)"),
    ("review", "request"): _l("Review requested (复查)"), ("review", "decide"): _l("Review decided"),
    ("re-review", "request"): _l("Re-review requested (复核)"), ("re-review", "hearing"): _l("Record a hearing"),
    ("re-review", "decide"): _l("Re-review decided (不再受理)"), ("report-back", "report"): _l("Result reported back"),
}
ACTION_TITLES = {
    "accept": _l("Acceptance"), "assign": _l("Package (five ones and four duties)"), "progress": _l("Progress"),
    "extend": _l("Extension"), "opinion": _l("Handling opinion"), "return-visit": _l("Return visit"),
    "close": _l("Closing"), "review": _l("Review (复查)"), "re-review": _l("Re-review (复核)"),
    "report-back": _l("Report back (报结)"),
}

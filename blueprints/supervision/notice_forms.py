"""Forms of supervision notices (督办单) and the messages of their refusals."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from blueprints.shared import VersionedForm, enum_options, optional_id
from blueprints.supervision.notices import START_LEVELS
from models import AccountabilityForm, NoticeLevel


class NoticeForm(FlaskForm):
    """Issue a notice: to whom, at which level (催办 or 督办), what is required, and the reply deadline."""

    unit_id = SelectField(_l("Addressed unit"), coerce=optional_id, validators=[DataRequired()])
    leader_id = SelectField(_l("Addressed leader"), coerce=optional_id, validators=[Optional()])
    level = SelectField(_l("Level"), choices=[SelectChoice(level.value, level.label) for level in START_LEVELS],
                        default=NoticeLevel.reminder.value, validators=[DataRequired()])
    requirement = TextAreaField(_l("Requirement"), validators=[DataRequired(), Length(max=5000)])
    reply_due_on = DateField(_l("Reply by"), validators=[Optional()],
                             description=_l("Required from 督办 on; on or after the issue date."))
    issued_on = DateField(_l("Issued on"), validators=[InputRequired()], default=date.today)
    submit = SubmitField(_l("Issue the notice"))


class EscalateForm(VersionedForm):
    """Move a notice one rung up: 督办 needs a reply deadline, 问责 the form of accountability and the decision."""

    happened_on = DateField(_l("Date"), validators=[InputRequired()], default=date.today)
    reply_due_on = DateField(_l("New reply deadline"), validators=[Optional()])
    accountability_form = SelectField(_l("Form of accountability"), default="",
                                      choices=[SelectChoice("", "—"), *enum_options(AccountabilityForm)])
    decision = TextAreaField(_l("Accountability decision"), validators=[Optional(), Length(max=5000)])
    text = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Escalate"))


class ReplyForm(VersionedForm):
    """The addressed unit's written reply (a supervisor may record one received on paper)."""

    replied_on = DateField(_l("Reply date"), validators=[InputRequired()], default=date.today)
    text = TextAreaField(_l("Written reply"), validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField(_l("Record the reply"))


NOTICE_REFUSALS = {
    "start_level": _l("A notice starts as a reminder (催办) or as formal supervision (督办)."),
    "future": _l("The date cannot be in the future."),
    "needs_deadline": _l("Formal supervision (督办) and above need a reply deadline."),
    "deadline_before_issue": _l("The reply deadline cannot be before the issue date."),
    "deadline_before_escalation": _l("The reply deadline cannot be before the escalation."),
    "before_issue": _l("The date cannot be before the notice was issued (%(day)s)."),
    "top": _l("This notice is already at accountability (问责), the last level: it cannot be escalated further."),
    "needs_form": _l("Accountability (问责) needs its form: 通报批评, 诫勉, 组织处理 or 纪律处分."),
    "needs_decision": _l("Accountability (问责) needs the text of the decision."),
    "not_addressee": _l("Only the unit or leader this notice is addressed to can reply to it."),
    "already_replied": _l("The reply to this level has already been recorded."),
    "accused_unit": _l("This case is an accusation against that unit: nothing about it may be addressed to it."),
    "number_taken": _l("Another notice took the same number at the same moment; nothing was saved. "
                       "Please submit again."),
}

# Which field a refusal belongs next to; the others are shown as a message at the top.
ESCALATION_FIELDS = {"future": "happened_on", "before_issue": "happened_on", "needs_deadline": "reply_due_on",
                     "deadline_before_escalation": "reply_due_on", "needs_form": "accountability_form",
                     "needs_decision": "decision"}
REPLY_FIELDS = {"future": "replied_on", "before_issue": "replied_on"}
ISSUE_FIELDS = {"start_level": "level", "future": "issued_on", "needs_deadline": "reply_due_on",
                "deadline_before_issue": "reply_due_on", "accused_unit": "unit_id"}


def notice_refusal(key: str, **values) -> str:
    """The message of a refusal key, in the user's language, with its values filled in."""
    text = str(NOTICE_REFUSALS[key])
    return text % values if values else text

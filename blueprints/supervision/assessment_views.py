"""The assessment table (考核) per unit or leader for a period, and its weights; supervisors and admins only
(the blueprint's default): rankings stay internal (DOMAIN §4)."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.cases.access import visible_petitions
from blueprints.shared import commit_or_report, flash_concurrent_change
from blueprints.supervision import bp
from blueprints.supervision.assessment import (
    BY_LEADER,
    DEFAULT_WEIGHTS,
    MEASURE_LABELS,
    MEASURES,
    assessment_rows,
    effective_weights,
    stored_weights,
)
from blueprints.supervision.assessment_forms import PeriodForm, WeightsForm
from models import AssessmentWeight, db

PERIOD_ARGS = ("from", "to", "by")


@bp.route("/assessment")
def assessment():
    """The assessment table for ?from=&to=&by=unit|leader (this year to date by unit by default)."""
    stored = stored_weights()
    form = WeightsForm(data=weight_data(stored))
    return render_assessment(form, stored)


@bp.route("/assessment/weights", methods=["POST"])
def save_weights():
    """Save the weight of every measure; a weight someone changed since the page was loaded is refused."""
    stored = stored_weights()
    form = WeightsForm()
    if not form.validate_on_submit():
        return render_assessment(form, stored, 400)
    if changed_since_read(form, stored):
        flash_concurrent_change()
        return render_assessment(form, stored, 409)
    for measure in MEASURES:
        weight = stored.get(measure) or AssessmentWeight(measure=measure)
        weight.weight = form[measure].data
        db.session.add(weight)
    if not commit_or_report():
        return render_assessment(form, stored_weights(), 409)
    flash(_("The weights have been saved."), "success")
    return redirect(url_for("supervision.assessment", **period_args()))


def period_args() -> dict:
    """The period of the query string, to come back to the same table after saving."""
    return {name: request.args[name] for name in PERIOD_ARGS if request.args.get(name)}


def weight_data(stored) -> dict:
    """The form's values: each weight (saved or default) and the version it was read at ("" when never saved)."""
    data = effective_weights(stored)
    data.update({f"version_{measure}": stored[measure].version if measure in stored else ""
                 for measure in MEASURES})
    return data


def changed_since_read(form: WeightsForm, stored) -> bool:
    """Whether a weight was saved, or saved again, after the form was read."""
    return any(str(form[f"version_{measure}"].data or "") != (str(stored[measure].version) if measure in stored
                                                              else "")
               for measure in MEASURES)


def render_assessment(weights_form: WeightsForm, stored, status: int = 200):
    """The page for the period in the query string (an invalid period shows its errors instead of a table)."""
    period = PeriodForm(formdata=request.args)
    rows, start, end, today = None, None, None, date.today()
    if period.validate():
        start, end = period.period(today)
        period.start.data, period.end.data = start, end  # show the dates the table is for
        rows = assessment_rows(period.by.data, start, end, today,
                               visible_petitions(current_user), effective_weights(stored))
    elif status == 200:
        status = 400
    return render_template("supervision/assessment.html", period=period, weights_form=weights_form, rows=rows,
                           start=start, end=end, today=today, by_leader=period.by.data == BY_LEADER,
                           measures=MEASURES, labels=MEASURE_LABELS, defaults=DEFAULT_WEIGHTS,
                           period_args=period_args()), status

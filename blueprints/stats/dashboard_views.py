"""The statistics dashboard, its breakdowns, the monthly trend, the workbook and the printable report. Every
statistics role (the blueprint's default) may call them; each counts only the cases visible_petitions lets the user
see."""
from __future__ import annotations

from datetime import date

from flask import render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.cases.access import visible_petitions
from blueprints.shared import XLSX
from blueprints.stats import bp, workbook
from blueprints.stats.dashboard import (
    BREAKDOWN_COUNTS,
    BREAKDOWN_RATES,
    TREND_KEYS,
    breakdown_rows,
    compare,
    period_choice,
    trend,
    trend_chart,
)
from blueprints.stats.reception_figures import reception_figures
from figures import (
    BREAKDOWNS,
    COUNT_LABELS,
    PRESETS,
    RATES,
    format_change,
    format_count,
    format_rate,
)

DEFAULT_BREAKDOWN = "township"


def render_stats(template: str, choice, status: int = 200, **context):
    """A statistics page with what every one of them uses: the period, its presets, the breakdowns, the formats."""
    return render_template(template, choice=choice, presets=PRESETS, breakdowns=BREAKDOWNS, count_labels=COUNT_LABELS,
                           rates=RATES, format_count=format_count, format_rate=format_rate,
                           format_change=format_change, today=date.today(), **context), status


@bp.route("/")
def dashboard():
    """The figures of the period (this year by default) beside the same period last year, each linked to the cases
    it counts, and the reception figures."""
    return figures_page("stats/dashboard.html")


@bp.route("/breakdown")
def breakdown():
    """?by=township|unit|category|subcategory|channel|purpose|leader: one row per group with the main counts and
    rates of the period, each count linked to the group's cases."""
    today = date.today()
    choice = period_choice(request.args, today)
    by = request.args.get("by") or DEFAULT_BREAKDOWN
    problem = choice.problem or (None if by in BREAKDOWNS else _("Choose one of the breakdowns above."))
    if problem:
        return render_stats("stats/breakdown.html", choice, 400, by=by, problem=problem)
    rows, whole = breakdown_rows(visible_petitions(current_user), choice.period, today, by)
    return render_stats("stats/breakdown.html", choice, by=by, rows=rows, whole=whole, counts=BREAKDOWN_COUNTS,
                        rate_keys=BREAKDOWN_RATES)


@bp.route("/trend", endpoint="trend")
def trend_page():
    """Items, accepted and closed by month over the 24 months ending with this one: a chart with its table."""
    today = date.today()
    months = trend(visible_petitions(current_user), today)
    return render_stats("stats/trend.html", period_choice(request.args, today), months=months,
                        charts=[trend_chart(months, key) for key in TREND_KEYS])


@bp.route("/dashboard.xlsx")
def dashboard_workbook():
    """The dashboard as a workbook: the figures, every breakdown, the trend, the reception figures and quotas."""
    today = date.today()
    choice = period_choice(request.args, today)
    if choice.problem:
        return render_stats("stats/dashboard.html", choice, 400)
    scope = visible_petitions(current_user)
    target = workbook.dashboard_workbook(
        compare(scope, choice.period, today),
        {by: breakdown_rows(scope, choice.period, today, by) for by in BREAKDOWNS},
        trend(scope, today), reception_figures(current_user, choice.period, today))
    name = f"{_('Statistics')}-{choice.period.start.isoformat()}-{choice.period.end.isoformat()}.xlsx"
    return send_file(target, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.route("/print")
def dashboard_print():
    """The figures and reception tables of the period as an A4 report, for the browser's print command."""
    return figures_page("stats/print.html")


def figures_page(template: str):
    """The period's figures beside last year's and the reception figures in `template`; a bad period: the
    dashboard with its message (400)."""
    today = date.today()
    choice = period_choice(request.args, today)
    if choice.problem:
        return render_stats("stats/dashboard.html", choice, 400)
    return render_stats(template, choice, comparison=compare(visible_petitions(current_user), choice.period, today),
                        reception=reception_figures(current_user, choice.period, today))

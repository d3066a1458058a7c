"""The statistics through the JSON API: every figure of DOMAIN §7 for a period beside the same period last year,
optionally broken down by a group; any signed-in caller, counting only the cases they may see (stats_scope)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from enum import Enum

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.api import bp
from blueprints.api.cases import ApiError
from blueprints.shared import list_date
import figures
from blueprints.stats.dashboard import group_names
from blueprints.stats.scope import stats_scope


@bp.route("/stats")
def stats():
    """The figures of ?from= to ?to= with last year's and the change; ?by= adds one entry per group."""
    period, by = stats_args(request.args)
    scope, today = stats_scope(current_user), date.today()
    groups, before = beside_last_year(lambda: figures.count_figures(scope, period, today, by=by),
                                      lambda: figures.period_counts(scope, period.last_year(), today))
    # Every item is in exactly one group (None included), so the groups add up to the period's counts.
    now = {key: sum(counts[key] for counts in groups.values()) for key in figures.COUNT_KEYS}
    body = {"period": span(period), "last_year": span(period.last_year()),
            "figures": {line.key: line_json(line) for line in figures.compared_lines(now, before)}}
    if by is not None:
        body["groups"] = groups_json(by, groups)
    return body


def beside_last_year(count_now, count_before):
    """Both counts at the same time, last year's on a connection of its own. A year at 1,000,000 cases is 0.23 s
    of SQLite's work (bench/stats.py): with two cores the answer takes one count's time instead of two.
    PostgreSQL already spreads each count over parallel workers, so there it changes little."""
    app = current_app._get_current_object()

    def in_own_context():
        with app.app_context():  # its own session and connection, removed when the context ends
            return count_before()

    with ThreadPoolExecutor(max_workers=1) as pool:
        before = pool.submit(in_own_context)
        return count_now(), before.result()


def stats_args(args) -> tuple[figures.Period, str | None]:
    """The period and the breakdown asked for; 400 naming the argument at fault."""
    days = {}
    for name in ("from", "to"):
        days[name] = list_date(args, name)
        if days[name] is None:
            raise ApiError(400, _("Give a date as YYYY-MM-DD."), name)
    problem = figures.period_problem(days["from"], days["to"])
    if problem:
        raise ApiError(400, problem, "to")
    by = args.get("by") or None
    if by is not None and by not in figures.BREAKDOWNS:
        raise ApiError(400, _("Choose one of: %(values)s.", values=", ".join(figures.BREAKDOWNS)), "by")
    return figures.Period(days["from"], days["to"]), by


def span(period: figures.Period) -> dict:
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


def number(value: float | None, is_rate: bool):
    """A count as an integer, a rate (or a rate's change) with one decimal; null when there was nothing to count."""
    if value is None:
        return None
    return figures.one_decimal(value) if is_rate else int(value)


def line_json(line: figures.Line) -> dict:
    change = None if line.change is None else {"delta": number(line.change.delta, line.is_rate),
                                                "percent": figures.one_decimal(line.change.percent)}
    return {"label": str(line.label), "value": number(line.value, line.is_rate),
            "last_year": number(line.last_year, line.is_rate), "change": change}


def groups_json(by: str, groups: dict) -> list[dict]:
    """One entry per group with any item, named as the dashboard's breakdown names it, in its order: the most
    items first, the items without a value last."""
    names = group_names(by, [key for key in groups if key is not None])
    found = []
    for key, counts in groups.items():
        values = {figure: number(figures.figure_value(figure, counts), figure in figures.RATES)
                  for figure in figures.FIGURE_ORDER}
        found.append({"key": key.value if isinstance(key, Enum) else key,
                      "name": _("(not set)") if key is None else names.get(key, (str(key),))[0], "figures": values})
    return sorted(found, key=lambda group: (group["key"] is None, -group["figures"]["total"], group["name"]))

"""The statistics through the JSON API: every figure of DOMAIN §7 for a period beside the same period last year,
optionally broken down by a group; any signed-in caller, counting only the cases they may see (visible_petitions)."""
from __future__ import annotations

from datetime import date
from enum import Enum

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

import figures
from blueprints.api import bp
from blueprints.api.cases import ApiError
from blueprints.cases.access import visible_petitions
from blueprints.shared import list_date
from blueprints.stats.dashboard import group_names


@bp.route("/stats")
def stats():
    """The figures of ?from= to ?to= with last year's and the change; ?by= adds one entry per group."""
    period, by = stats_args(request.args)
    scope, today = visible_petitions(current_user), date.today()
    groups, now, before = figures.beside_last_year(scope, period, today, by)
    body = {"period": span(period), "last_year": span(period.last_year()),
            "figures": {line.key: line_json(line) for line in figures.compared_lines(now, before)}}
    if by is not None:
        body["groups"] = groups_json(by, groups)
    return body


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

"""Package cases for leaders: "my package cases" and the weekly progress report to the main leader."""
from datetime import date, timedelta

from flask import abort, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.cases import bp
from blueprints.cases.packages import (
    is_main_leader,
    latest_entries,
    may_read_report,
    my_packages_query,
    parse_week,
    week_start,
    weekly_report,
)
from blueprints.cases.services import DUE_SOON_DAYS
from blueprints.shared import role_required
from models import Role, db


@bp.route("/mine")
@role_required(Role.leader, Role.admin)  # admins may open every page; theirs is empty unless linked to a leader
def mine():
    """The logged-in leader's package cases with clocks, four duties and latest entry; leaders (and admins)."""
    page = db.paginate(my_packages_query(current_user), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("cases/mine.html", page=page, latest=latest_entries([item.id for item in page.items]),
                           today=date.today(), due_soon_days=DUE_SOON_DAYS, main_leader=is_main_leader(current_user))


@bp.route("/weekly")
@role_required(Role.admin, Role.clerk, Role.supervisor, Role.leader)
def weekly():
    """The week's progress of every package case by leader; main leaders, office staff, admins, supervisors."""
    if not may_read_report(current_user):
        abort(403)
    today = date.today()
    value = request.args.get("week", "")
    start = parse_week(value) if value else week_start(today)
    if start is None:
        flash(_("Week: “%(value)s” is not a date of the form YYYY-MM-DD; showing this week instead.",
                value=value[:40]), "warning")
        start = week_start(today)
    return render_template("cases/weekly.html", sections=weekly_report(current_user, start, today), start=start,
                           end=start + timedelta(days=6), previous=start - timedelta(days=7),
                           following=start + timedelta(days=7), this_week=week_start(today), today=today,
                           due_soon_days=DUE_SOON_DAYS)

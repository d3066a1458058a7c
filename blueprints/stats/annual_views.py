"""The year's work report: a printable A4 page and its workbook; office staff, supervisors and leaders (every case
figure counts only the cases the user may see)."""
from __future__ import annotations

import tempfile
from datetime import date

from flask import render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

import figures
from blueprints.shared import XLSX, role_required
from blueprints.stats import bp
from blueprints.stats.annual import TOP, annual_report, read_year, write_workbook
from models import Role

REPORT_ROLES = (Role.admin, Role.clerk, Role.supervisor, Role.leader)


@bp.route("/annual")
@role_required(*REPORT_ROLES)
def annual():
    """The tables of the year's report for ?year=YYYY (this year by default); a bad year is named, 400."""
    today = date.today()
    year, problem = read_year(request.args.get("year"), today)
    if problem is not None:
        return bad_year(problem, today)
    return render_template("stats/annual.html", report=annual_report(current_user, year, today), problem=None,
                           typed=str(year), today=today, figures=figures, top=TOP)


@bp.route("/annual.xlsx")
@role_required(*REPORT_ROLES)
def annual_workbook():
    """The year's report as a workbook, one sheet per table; a bad year is a 400 with its reason."""
    today = date.today()
    year, problem = read_year(request.args.get("year"), today)
    if problem is not None:
        return bad_year(problem, today)
    target = tempfile.TemporaryFile()  # closed with the response
    try:
        write_workbook(annual_report(current_user, year, today), target)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return send_file(target, mimetype=XLSX, as_attachment=True, download_name=f"{_('Annual work report')}-{year}.xlsx")


def bad_year(problem: str, today: date):
    """The report page with the reason instead of the tables, keeping what was typed."""
    return render_template("stats/annual.html", report=None, problem=problem,
                           typed=request.args.get("year", "")[:40], today=today), 400

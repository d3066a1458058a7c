"""Package cases for leaders: "my package cases" and the weekly progress report to the main leader."""
import tempfile
from datetime import date, timedelta

from flask import abort, current_app, flash, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from blueprints.cases import bp
from blueprints.cases.ledger import styled
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
from blueprints.shared import XLSX, role_required
from models import Role, db

# Leaders among them only when main leaders (may_read_report), checked in report_week.
WEEKLY_READERS = (Role.admin, Role.clerk, Role.supervisor, Role.leader)


@bp.route("/mine")
@role_required(Role.leader, Role.admin)  # admins may open every page; theirs is empty unless linked to a leader
def mine():
    """The logged-in leader's package cases with clocks, four duties and latest entry; leaders (and admins)."""
    page = db.paginate(my_packages_query(current_user), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("cases/mine.html", page=page, latest=latest_entries([item.id for item in page.items]),
                           today=date.today(), due_soon_days=DUE_SOON_DAYS, main_leader=is_main_leader(current_user))


@bp.route("/weekly")
@role_required(*WEEKLY_READERS)
def weekly():
    """The week's progress of every package case by leader; main leaders, office staff, admins, supervisors."""
    start, today = report_week()
    return render_template("cases/weekly.html", sections=weekly_report(current_user, start, today), start=start,
                           end=start + timedelta(days=6), previous=start - timedelta(days=7),
                           following=start + timedelta(days=7), this_week=week_start(today), today=today,
                           due_soon_days=DUE_SOON_DAYS)


@bp.route("/weekly.xlsx")
@role_required(*WEEKLY_READERS)
def weekly_workbook():
    """The weekly report as a workbook: one row per package case, by leader as on the page; same readers. A bad
    week gives this week's (the file name says which)."""
    start, today = report_week(warn=False)
    target = tempfile.TemporaryFile()  # closed with the response
    try:
        write_weekly_workbook(weekly_report(current_user, start, today), today, target)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return send_file(target, mimetype=XLSX, as_attachment=True,
                     download_name=f"{_('Weekly package report')}-{start.isoformat()}.xlsx")


def report_week(warn: bool = True) -> tuple[date, date]:
    """The Monday of ?week= (this week when absent or not a date, with a warning on the page) and today; 403 for
    a reader who may not read the report."""
    if not may_read_report(current_user):
        abort(403)
    today = date.today()
    value = request.args.get("week", "")
    start = parse_week(value) if value else week_start(today)
    if start is None and warn:
        flash(_("Week: “%(value)s” is not a date of the form YYYY-MM-DD; showing this week instead.",
                value=value[:40]), "warning")
    return start or week_start(today), today


WEEKLY_COLUMNS = (_l("Responsible leader"), _l("Title"), _l("Number"), _l("Summary of the matter"), _l("Lead unit"),
                  _l("Status"), _l("Due"), _l("Days overdue"), _l("With entries this week"), _l("Entries this week"))
WEEKLY_WIDTHS = (12, 14, 16, 48, 18, 12, 12, 10, 10, 60)


def write_weekly_workbook(sections, today: date, target) -> None:
    """The report's cases as one sheet, leader by leader and in the page's order (cases with entries first)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Weekly package report")[:31])
    for index, width in enumerate(WEEKLY_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([styled(sheet, str(name), font=Font(bold=True)) for name in WEEKLY_COLUMNS])
    for section in sections:
        for changed, lines in ((True, section.changed_cases), (False, section.quiet_cases)):
            for line in lines:
                sheet.append(weekly_row(sheet, section.leader, line, changed, today))
    book.save(target)


def weekly_row(sheet, leader, line, changed: bool, today: date) -> list:
    """One case of the report as the page shows it; the week's entries one per line in the last cell."""
    item = line.petition
    due = WriteOnlyCell(sheet, value=item.due_on)
    due.number_format = "yyyy-mm-dd"
    entries = "\n".join(f"{event.on.isoformat()} {event.kind.label} · {event.author or _('unknown author')}"
                         + (f": {event.text}" if event.text else "") for event in line.events)
    texts = (leader.name, leader.title, item.number, item.summary, item.lead_unit.name if item.lead_unit else None,
             str(item.status.label))
    return [styled(sheet, value) for value in texts] + [
        due, (today - item.due_on).days if line.overdue else None, _("Yes") if changed else _("No"),
        styled(sheet, entries or None)]

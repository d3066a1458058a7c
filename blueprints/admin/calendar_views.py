"""The official working-day calendar: view a year, override a day, import a year's notice; admins only."""
import calendar as month_grid
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from blueprints.admin import bp
from blueprints.admin.forms import CalendarDayForm, CalendarImportForm
from blueprints.cases.services import recompute_open_deadlines
from blueprints.shared import PostForm, official_calendar
from models import CalendarDay, CalendarYear, db
from workdays import package_knows_year, parse_calendar_csv

FIRST_YEAR, LAST_YEAR = 2004, 2100
IMPORT_REASONS = {
    "format": lambda: _("expected two values, date and kind, separated by a comma"),
    "date": lambda: _("the date is not a valid YYYY-MM-DD date"),
    "kind": lambda: _("the kind must be workday or rest"),
    "year": lambda: _("the date is not in the year being imported"),
    "duplicate": lambda: _("this date appears more than once"),
}


def valid_year(year: int) -> int:
    return min(max(year, FIRST_YEAR), LAST_YEAR)


def year_months(cal, year: int) -> list[tuple[int, list[list]]]:
    """For each month, its weeks as lists of seven DayStatus or None (days of other months)."""
    grid = month_grid.Calendar(firstweekday=0)
    def weeks(month):
        return [[cal.status(d) if d.month == month else None for d in week]
                for week in grid.monthdatescalendar(year, month)]

    return [(month, weeks(month)) for month in range(1, 13)]


@bp.route("/calendar")
def calendar():
    """A year of the calendar: rest days, make-up working days, and where each status comes from."""
    year = valid_year(request.args.get("year", date.today().year, type=int))
    cal = official_calendar()
    return render_template(
        "admin/calendar.html",
        year=year,
        months=year_months(cal, year),
        working_days=cal.working_days_in_year(year),
        known_by_package=package_knows_year(year),
        confirmed=year in cal.confirmed_years,
        form=PostForm(),
    )


@bp.route("/calendar/day/<isodate>", methods=["GET", "POST"])
def calendar_day(isodate):
    """Override one day (working or rest) or return it to the published calendar."""
    try:
        day = date.fromisoformat(isodate)
    except ValueError:
        return render_template("errors/error.html", code=404, message=_("Not a valid date.")), 404
    override = db.session.get(CalendarDay, day)
    form = CalendarDayForm(status=("working" if override.is_working else "rest") if override else "default",
                           note=override.note if override else "")
    if form.validate_on_submit():
        set_override(day, override, form.status.data, form.note.data or "")
        db.session.flush()
        moved = recompute_open_deadlines()
        db.session.commit()
        flash_calendar_updated(moved)
        return redirect(url_for("admin.calendar", year=day.year))
    return render_template("admin/calendar_day.html", form=form, status=official_calendar().status(day))


def flash_calendar_updated(moved: int) -> None:
    flash(_("The calendar has been updated; %(n)d open deadlines were counted again and moved.", n=moved), "success")


def set_override(day: date, override: CalendarDay | None, status: str, note: str) -> None:
    if status == "default":
        if override is not None:
            db.session.delete(override)
        return
    if override is None:
        override = CalendarDay(day=day)
        db.session.add(override)
    override.is_working = status == "working"
    override.note = note.strip()


@bp.route("/calendar/<int:year>/import", methods=["GET", "POST"])
def calendar_import(year):
    """Import a year's `date,kind` lines; any bad line refuses the whole import and is named."""
    year = valid_year(year)
    form = CalendarImportForm()
    problems = []
    if form.validate_on_submit():
        text = read_import_text(form)
        days, problems = parse_calendar_csv(text, year)
        if not problems and not days:
            form.csv_text.errors.append(_("No lines to import."))
        elif not problems:
            replace_year(year, days, form.confirm_year.data)
            db.session.flush()
            moved = recompute_open_deadlines()
            db.session.commit()
            flash(_("Imported %(n)d days for %(year)d.", n=len(days), year=year), "success")
            flash_calendar_updated(moved)
            return redirect(url_for("admin.calendar", year=year))
    messages = [(p.line, p.text, IMPORT_REASONS[p.reason]()) for p in problems]
    return render_template("admin/calendar_import.html", form=form, year=year, problems=messages)


def read_import_text(form) -> str:
    """The uploaded file if any (kept in the text box so a refused import can be fixed), else the text box."""
    if form.csv_file.data:
        raw = form.csv_file.data.read()
        form.csv_text.data = raw.decode("utf-8-sig", errors="replace")
    return form.csv_text.data or ""


def replace_year(year: int, days: dict[date, bool], confirm: bool) -> None:
    existing = db.session.scalars(
        db.select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    ).all()
    for override in existing:
        db.session.delete(override)
    db.session.flush()
    db.session.add_all(CalendarDay(day=day, is_working=working, note=_("imported")) for day, working in days.items())
    set_confirmed(year, confirm)


def set_confirmed(year: int, confirmed: bool) -> None:
    row = db.session.get(CalendarYear, year)
    if confirmed and row is None:
        db.session.add(CalendarYear(year=year))
    elif not confirmed and row is not None:
        db.session.delete(row)


@bp.route("/calendar/<int:year>/confirm", methods=["POST"])
def calendar_confirm(year):
    """Mark a year as published in full (not provisional), or provisional again."""
    form = PostForm()
    if form.validate_on_submit():
        set_confirmed(valid_year(year), request.form.get("confirmed") == "1")
        db.session.flush()
        moved = recompute_open_deadlines()
        db.session.commit()
        flash_calendar_updated(moved)
    return redirect(url_for("admin.calendar", year=year))

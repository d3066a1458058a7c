"""Public pages, the printable notice and the calendar feed; anyone may call them."""
from datetime import date, datetime, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone

from blueprints.public import bp
from blueprints.public.cache import cached_public
from blueprints.public.schedule import (
    BadRange,
    group_by_week,
    parse_range,
    public_sessions,
    session_uid,
)
from blueprints.shared import id_from, public
from models import Leader, ReceptionMethod, SessionStatus, Unit, as_utc, db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_WEEKS = 4
RANGE_ERRORS = {
    "date": lambda: _("The dates must be written as YYYY-MM-DD."),
    "order": lambda: _("The end date is before the start date."),
    "length": lambda: _("The date range is too long."),
}


def requested_range(default_from: date, default_days: int) -> tuple[date, date]:
    try:
        return parse_range(request.args, default_from, default_days)
    except BadRange as error:
        abort(400, description=RANGE_ERRORS[str(error)]())


def int_arg(name):
    return id_from(request.args.get(name))


@bp.route("/")
@public
@cached_public
def index():
    """The coming published sessions, grouped by week and filterable by unit, leader and method."""
    today = date.today()
    start, end = requested_range(today, PAGE_WEEKS * 7 - 1)
    filters = {"unit_id": int_arg("unit"), "leader_id": int_arg("leader"), "method_id": int_arg("method")}
    weeks = group_by_week(public_sessions(max(start, today), end, with_units=False, **filters))
    return render_template(
        "public/index.html", weeks=weeks, filters=filters, next_start=end + timedelta(days=1),
        units=db.session.scalars(db.select(Unit).where(Unit.active.is_(True)).order_by(Unit.sort_order)).all(),
        leaders=db.session.scalars(db.select(Leader).where(Leader.active.is_(True)).order_by(Leader.sort_order)).all(),
        methods=db.session.scalars(db.select(ReceptionMethod).where(ReceptionMethod.active.is_(True))
                                   .order_by(ReceptionMethod.sort_order)).all(),
    )


@bp.route("/notice")
@public
@cached_public
def notice():
    """A printable A4 notice (公告) of the sessions between `from` and `to` (default: this week)."""
    today = date.today()
    start, end = requested_range(today - timedelta(days=today.weekday()), 6)
    return render_template("public/notice.html", sessions=public_sessions(start, end, with_units=False),
                           start=start, end=end)


@bp.route("/receptions.ics")
@public
@cached_public
def calendar_feed():
    """The sessions as an iCalendar feed (RFC 5545), times in Asia/Shanghai with a VTIMEZONE."""
    today = date.today()
    start, end = requested_range(today - timedelta(days=30), 365)
    feed = Calendar()
    feed.add("prodid", "-//xinfang//reception schedule//ZH")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", current_app.config["OFFICE_NAME"] + _("Leaders' public reception"))
    feed.add_component(shanghai_timezone())
    for item in public_sessions(start, end, with_units=False):
        feed.add_component(calendar_event(item))
    return Response(feed.to_ical(), mimetype="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": "inline; filename=receptions.ics"})


@cache
def shanghai_timezone() -> Timezone:
    """The VTIMEZONE for Asia/Shanghai (no daylight saving since 1991), built once per process."""
    return Timezone.from_tzid("Asia/Shanghai", first_date=date(2000, 1, 1), last_date=date(2100, 1, 1))


def calendar_event(item) -> Event:
    event = Event()
    event.add("uid", session_uid(item))
    event.add("sequence", item.sequence)
    event.add("dtstamp", as_utc(item.updated_at) or datetime.now(timezone.utc))
    event.add("dtstart", datetime.combine(item.day, item.start_time, tzinfo=SHANGHAI))
    event.add("dtend", datetime.combine(item.day, item.end_time, tzinfo=SHANGHAI))
    names = "、".join(f"{leader.name}（{leader.title}）" for leader in item.leaders)
    event.add("summary", _("Public reception: %(leaders)s", leaders=names))
    event.add("location", item.place)
    details = [f"{_('Reception method')}: {item.method.name}", f"{_('Topic or scope')}: {item.topic or '—'}",
               f"{_('How to book')}: {item.booking or '—'}"]
    if item.status is SessionStatus.cancelled:
        details.append(f"{_('Cancelled')}: {item.cancel_reason}")
    event.add("description", "\n".join(details))
    event.add("status", "CANCELLED" if item.status is SessionStatus.cancelled else "CONFIRMED")
    return event

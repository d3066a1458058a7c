"""The public schedule: which sessions the public sees and which of their fields (DOMAIN §6), in one place."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import joinedload, selectinload

from models import Leader, ReceptionSession, SessionStatus, db

PUBLIC_STATUSES = (SessionStatus.published, SessionStatus.held, SessionStatus.cancelled)
MAX_RANGE = timedelta(days=400)


class BadRange(ValueError):
    """A malformed or impossible from/to range in a public URL."""


def parse_range(args, default_from: date, default_days: int) -> tuple[date, date]:
    """`from`/`to` query arguments (YYYY-MM-DD), checked; raises BadRange with the reason."""
    try:
        start = date.fromisoformat(args["from"]) if args.get("from") else default_from
        end = date.fromisoformat(args["to"]) if args.get("to") else start + timedelta(days=default_days)
    except ValueError as error:
        raise BadRange("date") from error
    if end < start:
        raise BadRange("order")
    if end - start > MAX_RANGE:
        raise BadRange("length")
    return start, end


def public_sessions(start: date, end: date, unit_id=None, leader_id=None, method_id=None,
                    with_units=True) -> list[ReceptionSession]:
    """Sessions the public may see between two days, in order; drafts never."""
    query = (
        db.select(ReceptionSession)
        .where(ReceptionSession.status.in_(PUBLIC_STATUSES), ReceptionSession.day.between(start, end))
        .options(joinedload(ReceptionSession.method), selectinload(ReceptionSession.leaders))
        .order_by(ReceptionSession.day, ReceptionSession.start_time, ReceptionSession.id)
    )
    if with_units:
        query = query.options(joinedload(ReceptionSession.unit), selectinload(ReceptionSession.accompanying_units))
    if unit_id:
        query = query.where(ReceptionSession.unit_id == unit_id)
    if leader_id:
        query = query.where(ReceptionSession.leaders.any(Leader.id == leader_id))
    if method_id:
        query = query.where(ReceptionSession.method_id == method_id)
    return db.session.scalars(query).all()


def public_fields(item: ReceptionSession) -> dict:
    """The only fields of a session that leave the building."""
    return {
        "id": item.id,
        "date": item.day.isoformat(),
        "weekday": item.day.isoweekday(),
        "start": item.start_time.strftime("%H:%M"),
        "end": item.end_time.strftime("%H:%M"),
        "leaders": [{"name": leader.name, "title": leader.title, "portfolio": leader.portfolio}
                    for leader in item.leaders],
        "unit": item.unit.name,
        "accompanying_units": [u.name for u in item.accompanying_units],
        "place": item.place,
        "method": item.method.name,
        "topic": item.topic,
        "booking": item.booking,
        "capacity": item.capacity,
        "remarks": item.public_remarks,
        "status": item.status.value,
        "cancel_reason": item.cancel_reason if item.status is SessionStatus.cancelled else "",
        "rescheduled_from": {
            "date": item.previous_day.isoformat(),
            "start": item.previous_start_time.strftime("%H:%M"),
            "end": item.previous_end_time.strftime("%H:%M"),
        } if item.is_rescheduled else None,
    }


def group_by_week(sessions: list[ReceptionSession]) -> list[tuple[date, list[ReceptionSession]]]:
    """[(Monday, sessions of that week)], in order."""
    weeks: dict[date, list] = {}
    for item in sessions:
        weeks.setdefault(item.day - timedelta(days=item.day.weekday()), []).append(item)
    return list(weeks.items())


def session_uid(item: ReceptionSession) -> str:
    return f"reception-session-{item.id}@xinfang"


def local_datetime(day: date, moment) -> datetime:
    return datetime.combine(day, moment)

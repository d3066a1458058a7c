"""Reception flows that span several records: conflicts, transitions, quotas, gaps and the rota."""
from __future__ import annotations

import calendar as month_grid
from dataclasses import dataclass
from datetime import date, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, or_

from blueprints.shared import official_calendar
from models import (
    Leader,
    ReceptionQuota,
    ReceptionRecord,
    ReceptionSession,
    SessionStatus,
    Unit,
    db,
    reception_session_leader,
)

LIVE_STATUSES = (SessionStatus.draft, SessionStatus.published, SessionStatus.held)
SCHEDULED_STATUSES = (SessionStatus.published, SessionStatus.held)
IDLE_HORIZON = timedelta(weeks=4)


def conflict_message(session_id: int | None, day: date, start: time, end: time, place: str,
                     leader_ids: list[int]) -> str | None:
    """Why this slot clashes with another live session (same leader or same place, overlapping), or None."""
    overlapping = db.select(ReceptionSession).where(
        ReceptionSession.day == day,
        ReceptionSession.status.in_(LIVE_STATUSES),
        ReceptionSession.start_time < end,
        ReceptionSession.end_time > start,
    )
    if session_id is not None:
        overlapping = overlapping.where(ReceptionSession.id != session_id)
    shares_leader = ReceptionSession.leaders.any(Leader.id.in_(leader_ids or [-1]))
    other = db.session.scalars(
        overlapping.where(or_(ReceptionSession.place == place.strip(), shares_leader)).limit(1)
    ).first()
    if other is None:
        return None
    clash = set(leader_ids) & {leader.id for leader in other.leaders}
    if clash:
        names = "、".join(leader.name for leader in other.leaders if leader.id in clash)
        return _("%(names)s is already receiving at session #%(id)d (%(session)s).", names=names, id=other.id,
                 session=str(other))
    return _("The place is already booked by session #%(id)d (%(session)s).", id=other.id, session=str(other))


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, month_grid.monthrange(year, month)[1])


def month_working_days(year: int, month: int) -> list[date]:
    calendar = official_calendar()
    first, last = month_bounds(year, month)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)
            if calendar.is_working_day(first + timedelta(days=n))]


def uncovered_days(year: int, month: int) -> list[date]:
    """Working days of the month on which no live session is planned."""
    first, last = month_bounds(year, month)
    covered = set(db.session.scalars(
        db.select(ReceptionSession.day).distinct().where(
            ReceptionSession.day.between(first, last), ReceptionSession.status.in_(LIVE_STATUSES))
    ).all())
    return [day for day in month_working_days(year, month) if day not in covered]


def on_duty_by_day(first: date, last: date) -> dict[date, int]:
    """For each day with a live session, one leader on duty there (the lowest id, for stability)."""
    rows = db.session.execute(
        db.select(ReceptionSession.day, db.func.min(reception_session_leader.c.leader_id))
        .join(reception_session_leader, reception_session_leader.c.session_id == ReceptionSession.id)
        .where(ReceptionSession.day.between(first, last), ReceptionSession.status.in_(LIVE_STATUSES))
        .group_by(ReceptionSession.day)
    ).all()
    return dict(rows)


def idle_leaders(today: date) -> list[Leader]:
    """Active leaders with no live session in the next four weeks."""
    busy = (
        db.select(reception_session_leader.c.leader_id)
        .join(ReceptionSession, ReceptionSession.id == reception_session_leader.c.session_id)
        .where(ReceptionSession.day.between(today, today + IDLE_HORIZON),
               ReceptionSession.status.in_(LIVE_STATUSES))
    )
    return db.session.scalars(
        db.select(Leader).where(Leader.active.is_(True), Leader.id.not_in(busy))
        .order_by(Leader.sort_order, Leader.name)
    ).all()


@dataclass(frozen=True)
class QuotaRow:
    leader: Leader
    required: int
    scheduled: int
    held: int

    @property
    def met(self) -> bool:
        return self.held >= self.required


def quota_table(year: int, month: int) -> list[QuotaRow]:
    """Required, scheduled and held days per active leader for a month, counted in SQL."""
    first, last = month_bounds(year, month)
    in_month = and_(ReceptionSession.day.between(first, last), ReceptionSession.status.in_(SCHEDULED_STATUSES))
    scheduled = db.func.count(db.distinct(ReceptionSession.day)).filter(in_month)
    held = db.func.count(db.distinct(ReceptionSession.day)).filter(
        in_month, ReceptionSession.status == SessionStatus.held, ReceptionRecord.id.is_not(None))
    rows = db.session.execute(
        db.select(Leader, db.func.coalesce(ReceptionQuota.days_per_month, 0), scheduled, held)
        .join(Leader.unit)
        .outerjoin(ReceptionQuota, ReceptionQuota.post == Leader.post)
        .outerjoin(reception_session_leader, reception_session_leader.c.leader_id == Leader.id)
        .outerjoin(ReceptionSession, ReceptionSession.id == reception_session_leader.c.session_id)
        .outerjoin(ReceptionRecord, ReceptionRecord.session_id == ReceptionSession.id)
        .where(Leader.active.is_(True))
        .group_by(Leader.id, ReceptionQuota.days_per_month, Unit.sort_order)
        .order_by(Unit.sort_order, Leader.sort_order, Leader.name)
    ).all()
    return [QuotaRow(*row) for row in rows]


def quotas_by_post() -> dict:
    return dict(db.session.execute(db.select(ReceptionQuota.post, ReceptionQuota.days_per_month)).all())


def apply_session_form(form, session: ReceptionSession | None) -> ReceptionSession:
    """Copy the form into a (new) session; the caller has validated it and checked conflicts."""
    if session is None:
        session = ReceptionSession(status=SessionStatus.draft)
        db.session.add(session)
    session.day, session.start_time, session.end_time = form.day.data, form.start_time.data, form.end_time.data
    session.place = form.place.data.strip()
    session.unit_id = form.unit_id.data
    session.method_id = form.method_id.data
    session.leaders = db.session.scalars(db.select(Leader).where(Leader.id.in_(form.leader_ids.data))).all()
    session.accompanying_units = db.session.scalars(
        db.select(Unit).where(Unit.id.in_(form.accompanying_unit_ids.data or []))).all()
    session.topic = (form.topic.data or "").strip()
    session.booking = (form.booking.data or "").strip()
    session.capacity = form.capacity.data
    session.public_remarks = (form.public_remarks.data or "").strip()
    session.internal_remarks = (form.internal_remarks.data or "").strip()
    touch_public(session)
    return session


def touch_public(session: ReceptionSession) -> None:
    """Raise the calendar SEQUENCE when the public can see the change (RFC 5545 §3.8.7.4)."""
    if session.status is not SessionStatus.draft:
        session.sequence = (session.sequence or 0) + 1

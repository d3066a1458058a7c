"""Reception figures of a period (DOMAIN §1): sessions scheduled, held and cancelled, batches and persons received,
batches settled on the spot, beside the same period last year; and quota fulfilment by leader (the assessment's).

Office staff, supervisors and leaders count every session (the reception pages show them all); a unit counts the
sessions it organises and the quotas of its own leaders. A few small queries: sessions and batches are counted for
both periods at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, or_, true

from blueprints.supervision.assessment import BY_LEADER, quota_figures, row_names
from figures import Change, Period, rate, year_on_year
from models import Leader, ReceptionBatch, ReceptionRecord, ReceptionSession, Role, SessionStatus, db

SCHEDULED = (SessionStatus.published, SessionStatus.held, SessionStatus.cancelled)  # a draft was never announced
RECEPTION_LABELS = {
    "scheduled": _l("Sessions scheduled"),
    "held": _l("Sessions held"),
    "cancelled": _l("Sessions cancelled"),
    "batches": _l("Batches received"),
    "persons": _l("Persons received"),
    "settled": _l("Batches settled on the spot"),
}


@dataclass(frozen=True)
class ReceptionLine:
    key: str
    label: str
    value: int
    last_year: int
    change: Change | None


@dataclass(frozen=True)
class QuotaLine:
    """A leader's held days (each capped at the quota) of the quota days the period asks for."""

    leader_id: int
    name: str
    note: str
    held: int
    required: int

    @property
    def fulfilment(self) -> float | None:
        return rate(self.held, self.required)


@dataclass(frozen=True)
class ReceptionFigures:
    lines: list[ReceptionLine]
    quotas: list[QuotaLine]


def reception_figures(user, period: Period, today: date) -> ReceptionFigures:
    last_year = period.last_year()
    now, before = reception_counts(user, period, last_year)
    lines = [ReceptionLine(key, label, now[key], before[key], year_on_year(now[key], before[key]))
             for key, label in RECEPTION_LABELS.items()]
    return ReceptionFigures(lines, quota_lines(user, period, today))


def session_scope(user):
    """The sessions whose figures this user reads: all of them, or a unit's own."""
    if user.role is not Role.handler:
        return true()
    return ReceptionSession.unit_id == user.unit_id if user.unit_id is not None else false()


def leader_scope(user):
    """The leaders whose quotas this user reads: all of them, or a unit's own."""
    if user.role is not Role.handler:
        return true()
    return Leader.unit_id == user.unit_id if user.unit_id is not None else false()


def reception_counts(user, *periods: Period) -> list[dict[str, int]]:
    """The counts of each period, in two queries (sessions, then batches) over all the periods together."""
    within = [ReceptionSession.day.between(period.start, period.end) for period in periods]
    sessions = db.session.execute(
        db.select(*[column for day_in in within for column in (
            db.func.count().filter(day_in, ReceptionSession.status.in_(SCHEDULED)),
            db.func.count().filter(day_in, ReceptionSession.status == SessionStatus.held),
            db.func.count().filter(day_in, ReceptionSession.status == SessionStatus.cancelled))])
        .where(or_(*within), session_scope(user))
    ).one()
    batches = db.session.execute(
        db.select(*[column for day_in in within for column in (
            db.func.count().filter(day_in),
            db.func.coalesce(db.func.sum(ReceptionBatch.persons).filter(day_in), 0),
            db.func.count().filter(day_in, ReceptionBatch.settled.is_(True)))])
        .select_from(ReceptionBatch)
        .join(ReceptionRecord, ReceptionRecord.id == ReceptionBatch.record_id)
        .join(ReceptionSession, ReceptionSession.id == ReceptionRecord.session_id)
        .where(or_(*within), session_scope(user))
    ).one()
    return [dict(zip(RECEPTION_LABELS, [int(value) for value in (*sessions[3 * n:3 * n + 3],
                                                                 *batches[3 * n:3 * n + 3])]))
            for n in range(len(periods))]


def quota_lines(user, period: Period, today: date) -> list[QuotaLine]:
    """Quota fulfilment per active leader with a quota (assessment.quota_figures), in the leaders' order; a unit
    sees its own leaders."""
    figures = {key: found[0] for key, found in quota_figures(BY_LEADER, period.start, period.end, today).items()}
    if not figures:
        return []
    order = db.session.scalars(db.select(Leader.id).where(Leader.id.in_(figures), leader_scope(user))
                               .order_by(Leader.sort_order, Leader.name)).all()
    names = row_names(BY_LEADER, order)
    return [QuotaLine(key, *names.get(key, (str(key), "")), figures[key].part, figures[key].whole)
            for key in order]

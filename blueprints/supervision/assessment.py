"""Assessment (考核, DOMAIN §4, §7): each measure per unit or leader over a period, counted in SQL, and the scoring.

Every measure is a count of one kind of case (or inspection, or reception day) over another, grouped in SQL by the
lead unit or the package leader; nothing loads the cases. The two clocks compare with the due dates each case keeps
(workflow.set_clock_dates, counted on the official calendar the way the case page counts them). The pure parts
(rates, scores, the weighted total, the ranking) are plain functions.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, or_, true

from figures import rate
from models import (
    AssessmentWeight,
    CaseStatus,
    Inspection,
    InspectionTarget,
    Leader,
    Petition,
    Rating,
    ReceptionQuota,
    ReceptionRecord,
    ReceptionSession,
    Satisfaction,
    SessionStatus,
    Unit,
    db,
    reception_session_leader,
)

BY_UNIT, BY_LEADER = "unit", "leader"
MEASURES = ("acceptance", "handling", "satisfaction", "repeat", "package", "inspection", "quota")
# Used while no AssessmentWeight row says otherwise; they add up to 100 so they read as percentages.
DEFAULT_WEIGHTS = {"acceptance": 20, "handling": 20, "satisfaction": 20, "repeat": 10, "package": 15,
                   "inspection": 10, "quota": 5}
MEASURE_LABELS = {
    "acceptance": _l("On-time acceptance"),
    "handling": _l("On-time handling"),
    "satisfaction": _l("Satisfaction"),
    "repeat": _l("Repeat visits"),
    "package": _l("Package cases resolved"),
    "inspection": _l("Inspection rating"),
    "quota": _l("Reception quota fulfilment"),
}
RATING_POINTS = {Rating.passed: 100, Rating.basic: 60, Rating.failed: 0}
RESOLVED = (CaseStatus.closed, CaseStatus.final)
SATISFIED = (Satisfaction.satisfied, Satisfaction.basically)
MAX_PERIOD_DAYS = 3 * 366


# --- the pure parts ----------------------------------------------------------------------------------------------

def measure_value(measure: str, part: float, whole: int) -> float | None:
    """What the table shows: a rate in %, the inspection rating as mean points, quota fulfilment capped at 100 %."""
    if not whole:
        return None
    if measure == "inspection":
        return part / whole
    if measure == "quota":
        return min(rate(part, whole), 100.0)
    return rate(part, whole)


def measure_score(measure: str, part: float, whole: int) -> float | None:
    """The 0–100 score a measure adds to the total: its value, except repeat visits, where lower is better."""
    value = measure_value(measure, part, whole)
    if value is None:
        return None
    return 100.0 - value if measure == "repeat" else value


def weighted_total(scores: Mapping[str, float | None], weights: Mapping[str, int]) -> float | None:
    """The weighted mean of the scores present: a measure with nothing to count drops out and the others are
    reweighted over what remains; None when no weighted measure is present."""
    present = [(weights.get(measure, 0), score) for measure, score in scores.items()
               if score is not None and weights.get(measure, 0) > 0]
    total_weight = sum(weight for weight, _ in present)
    if not total_weight:
        return None
    return sum(weight * score for weight, score in present) / total_weight


def months_touched(start: date, end: date) -> int:
    """How many calendar months the period touches (0 when it is empty)."""
    if end < start:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


@dataclass(frozen=True)
class Figure:
    """One measure of one row: `part` of `whole` (for inspections: points over inspections)."""

    measure: str
    part: float
    whole: int

    @property
    def value(self) -> float | None:
        return measure_value(self.measure, self.part, self.whole)

    @property
    def score(self) -> float | None:
        return measure_score(self.measure, self.part, self.whole)


@dataclass
class Row:
    """A unit or a leader with its figures, total and rank."""

    id: int
    name: str
    note: str = ""
    figures: dict[str, Figure] = field(default_factory=dict)
    total: float | None = None
    rank: int | None = None

    def figure(self, measure: str) -> Figure | None:
        """The figure, or None when there was nothing to count (shown as —)."""
        found = self.figures.get(measure)
        return found if found is not None and found.whole else None


def ranked(rows: Iterable[Row], weights: Mapping[str, int]) -> list[Row]:
    """Total every row, sort best first (rows without a total last, then by name) and number the ranks;
    equal totals share a rank (1, 1, 3)."""
    rows = list(rows)
    for row in rows:
        row.total = weighted_total({m: f.score for m, f in row.figures.items()}, weights)
    rows.sort(key=lambda row: (row.total is None, -(row.total or 0.0), row.name))
    previous = None
    for position, row in enumerate(rows, start=1):
        if row.total is None:
            break
        row.rank = previous.rank if previous is not None and previous.total == row.total else position
        previous = row
    return rows


# --- the measures in SQL -----------------------------------------------------------------------------------------

def count(*conditions):
    """COUNT(*), or COUNT(*) FILTER (WHERE …) when conditions are given."""
    return db.func.count().filter(and_(*conditions)) if conditions else db.func.count()


def group_column(by: str):
    return Petition.leader_id if by == BY_LEADER else Petition.lead_unit_id


def received_figures(by: str, start: date, end: date, scope) -> dict[int, list[Figure]]:
    """Over the cases received in the period, per unit or leader:

    - on-time acceptance: decided (accepted, refused or forwarded: `decided_on`) on or before the acceptance due
      date the case keeps (CLOCK_RULES["acceptance"] on the official calendar) ÷ cases decided;
    - repeat visits: cases marked 重复访 ÷ cases received (the score is 100 − this rate);
    - package cases resolved: package cases (with a responsible leader) now closed or finally decided ÷ package
      cases received.
    """
    group = group_column(by)
    package = Petition.leader_id.is_not(None)
    rows = db.session.execute(
        db.select(group, count(Petition.decided_on <= Petition.acceptance_due_on), db.func.count(Petition.decided_on),
                  count(Petition.is_repeat.is_(True)), count(), count(package, Petition.status.in_(RESOLVED)),
                  count(package))
        .where(Petition.received_on.between(start, end), group.is_not(None), scope)
        .group_by(group)
    ).all()
    return {key: [Figure("acceptance", on_time, decided_count), Figure("repeat", repeats, received),
                  Figure("package", resolved, packages)]
            for key, on_time, decided_count, repeats, received, resolved, packages in rows}


def handling_figures(by: str, start: date, end: date, today: date, scope) -> dict[int, list[Figure]]:
    """On-time handling: the opinion issued (opinion_on, else closed_on for cases closed without one on record) on
    or before the handling due date the case keeps (60 days from acceptance plus an approved extension, on the
    official calendar) ÷ cases whose handling due date falls in the period. A clock still running today is not
    counted yet."""
    group = group_column(by)
    on_time = db.func.coalesce(Petition.opinion_on, Petition.closed_on) <= Petition.handling_due_on
    rows = db.session.execute(
        db.select(group, count(on_time), count())
        .where(Petition.handling_due_on.between(start, end), group.is_not(None), scope,
               or_(Petition.handling_due_on < today, on_time))
        .group_by(group)
    ).all()
    return {key: [Figure("handling", on_time_count, whole)] for key, on_time_count, whole in rows}


def satisfaction_figures(by: str, start: date, end: date, scope) -> dict[int, list[Figure]]:
    """Satisfaction: (满意 + 基本满意) ÷ cases evaluated (a satisfaction recorded and not 未评价) among the cases
    closed in the period."""
    group = group_column(by)
    evaluated = and_(Petition.satisfaction.is_not(None), Petition.satisfaction != Satisfaction.not_evaluated)
    rows = db.session.execute(
        db.select(group, count(Petition.satisfaction.in_(SATISFIED)), count(evaluated))
        .where(Petition.closed_on.between(start, end), group.is_not(None), scope)
        .group_by(group)
    ).all()
    return {key: [Figure("satisfaction", satisfied, evaluated_count)] for key, satisfied, evaluated_count in rows}


def inspection_figures(by: str, start: date, end: date, scope) -> dict[int, list[Figure]]:
    """Inspection rating: the mean of 合格 100 / 基本合格 60 / 不合格 0 over the inspections dated in the period that
    target the unit (as a unit or township, or a case it leads) or the leader (their receptions)."""
    points = case(*((Inspection.rating == rating, value) for rating, value in RATING_POINTS.items()), else_=0)
    if by == BY_LEADER:
        key = case((Inspection.target == InspectionTarget.receptions, Inspection.leader_id))
        visible = true()
    else:
        key = case((Inspection.target.in_((InspectionTarget.unit, InspectionTarget.township)), Inspection.unit_id),
                   (Inspection.target == InspectionTarget.case, Petition.lead_unit_id))
        visible = or_(Inspection.target != InspectionTarget.case, scope)
    # Grouped outside: PostgreSQL does not match a CASE in GROUP BY whose bound values are separate parameters.
    scored = (db.select(key.label("key"), points.label("points"))
              .select_from(Inspection).outerjoin(Petition, Petition.id == Inspection.petition_id)
              .where(Inspection.inspected_on.between(start, end), visible).subquery())
    rows = db.session.execute(
        db.select(scored.c.key, db.func.sum(scored.c.points), count())
        .where(scored.c.key.is_not(None)).group_by(scored.c.key)
    ).all()
    return {key: [Figure("inspection", int(total or 0), whole)] for key, total, whole in rows}


def quota_figures(by: str, start: date, end: date, today: date) -> dict[int, list[Figure]]:
    """Quota fulfilment of the active leaders: days with a held, recorded session ÷ the quota days of their post
    over the months the period touches (up to today), each leader capped at the quota; a unit's figure adds up
    its leaders'."""
    last = min(end, today)
    months = months_touched(start, last)
    if not months:
        return {}
    held = (db.select(reception_session_leader.c.leader_id.label("leader_id"),
                      db.func.count(db.distinct(ReceptionSession.day)).label("days"))
            .join(ReceptionSession, ReceptionSession.id == reception_session_leader.c.session_id)
            .join(ReceptionRecord, ReceptionRecord.session_id == ReceptionSession.id)
            .where(ReceptionSession.status == SessionStatus.held, ReceptionSession.day.between(start, last))
            .group_by(reception_session_leader.c.leader_id).subquery())
    required = ReceptionQuota.days_per_month * months
    held_days = db.func.coalesce(held.c.days, 0)
    per_leader = (db.select(Leader.id.label("leader_id"), Leader.unit_id.label("unit_id"),
                            case((held_days > required, required), else_=held_days).label("counted"),
                            required.label("required"))
                  .join(ReceptionQuota, ReceptionQuota.post == Leader.post)
                  .outerjoin(held, held.c.leader_id == Leader.id)
                  .where(Leader.active.is_(True), ReceptionQuota.days_per_month > 0).subquery())
    key = per_leader.c.leader_id if by == BY_LEADER else per_leader.c.unit_id
    rows = db.session.execute(
        db.select(key, db.func.sum(per_leader.c.counted), db.func.sum(per_leader.c.required)).group_by(key)
    ).all()
    return {key: [Figure("quota", int(counted), int(whole))] for key, counted, whole in rows}


def row_names(by: str, keys: Iterable[int]) -> dict[int, tuple[str, str]]:
    """The name of each unit or leader (a leader with title and unit)."""
    keys = list(keys)
    if not keys:
        return {}
    if by == BY_LEADER:
        found = db.session.execute(db.select(Leader.id, Leader.name, Leader.title, Unit.name)
                                   .join(Unit, Unit.id == Leader.unit_id).where(Leader.id.in_(keys))).all()
        return {key: (name, f"{title} · {unit}" if title else unit) for key, name, title, unit in found}
    return {key: (name, "") for key, name in db.session.execute(
        db.select(Unit.id, Unit.name).where(Unit.id.in_(keys))).all()}


def assessment_rows(by: str, start: date, end: date, today: date, scope, weights: Mapping[str, int]) -> list[Row]:
    """The table: one row per unit (lead unit of the cases) or leader (package leader) with anything to count,
    best total first. `scope` is the caller's condition on petitions (blueprints/cases/access.visible_petitions)."""
    rows: dict[int, Row] = {}
    for found in (received_figures(by, start, end, scope),
                  handling_figures(by, start, end, today, scope),
                  satisfaction_figures(by, start, end, scope),
                  inspection_figures(by, start, end, scope),
                  quota_figures(by, start, end, today)):
        for key, figures in found.items():
            row = rows.setdefault(key, Row(id=key, name=""))
            row.figures.update((figure.measure, figure) for figure in figures if figure.whole)
    names = row_names(by, rows)
    for key, row in rows.items():
        row.name, row.note = names.get(key, (str(key), ""))
    return ranked((row for row in rows.values() if row.figures), weights)


# --- the weights -------------------------------------------------------------------------------------------------

def stored_weights() -> dict[str, AssessmentWeight]:
    """The weight rows saved so far, by measure."""
    return {weight.measure: weight for weight in db.session.scalars(
        db.select(AssessmentWeight).where(AssessmentWeight.measure.in_(MEASURES)))}


def effective_weights(stored: Mapping[str, AssessmentWeight]) -> dict[str, int]:
    """The weight of every measure: the saved one, else the default."""
    return {measure: stored[measure].weight if measure in stored else DEFAULT_WEIGHTS[measure]
            for measure in MEASURES}

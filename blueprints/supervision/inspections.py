"""Inspections and rounds (DOMAIN §4): the rules as plain functions, and the queries of the inspection pages."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _

from blueprints.cases.attachments import write_uploads
from blueprints.shared import id_from, list_date
from models import (
    Inspection,
    InspectionEvidence,
    InspectionMethod,
    InspectionRound,
    InspectionTarget,
    Leader,
    Rating,
    RoundKind,
    Unit,
    db,
    inspection_round_leader,
    inspection_round_unit,
)

# Which Inspection columns name the target of each kind; the others are cleared on save.
TARGET_FIELDS = {
    InspectionTarget.receptions: ("leader_id", "period_from", "period_to"),
    InspectionTarget.unit: ("unit_id",),
    InspectionTarget.township: ("unit_id",),
    InspectionTarget.case: ("petition_id",),
}
ALL_TARGET_FIELDS = ("leader_id", "period_from", "period_to", "unit_id", "petition_id")
UNIT_TARGETS = (InspectionTarget.unit, InspectionTarget.township)
RATING_BADGES = {Rating.passed: "ok", Rating.basic: "warn", Rating.failed: "danger"}


def target_values(kind: InspectionTarget, values: dict) -> dict:
    """The target columns for an inspection of this kind: those that apply taken from `values`, the others None."""
    kept = TARGET_FIELDS[kind]
    return {name: (values.get(name) if name in kept else None) for name in ALL_TARGET_FIELDS}


def date_problem(inspected_on: date, today: date, round_start: date | None = None,
                 round_end: date | None = None) -> str | None:
    """Why an inspection date is refused: in the future, or outside the dates of its round; None when it is fine."""
    if inspected_on > today:
        return _("The inspection date cannot be in the future.")
    if round_start is not None and not round_start <= inspected_on <= round_end:
        return _("The round runs from %(start)s to %(end)s: the inspection date must fall within it.",
                 start=round_start.isoformat(), end=round_end.isoformat())
    return None


def covers(target: InspectionTarget, unit_id: int | None, leader_id: int | None) -> tuple[str, int] | None:
    """The planned target an inspection covers: ("unit", id) for a unit or township, ("leader", id) for a
    leader's receptions; a case covers no planned target."""
    if target in UNIT_TARGETS and unit_id is not None:
        return ("unit", unit_id)
    if target is InspectionTarget.receptions and leader_id is not None:
        return ("leader", leader_id)
    return None


def uncovered(unit_ids, leader_ids, inspections) -> tuple[set[int], set[int]]:
    """The rule behind `uncovered_units`/`uncovered_leaders`, for (target, unit_id, leader_id) triples."""
    covered = {covers(*triple) for triple in inspections}
    return ({u for u in unit_ids if ("unit", u) not in covered},
            {leader for leader in leader_ids if ("leader", leader) not in covered})


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def year_plan(year: int) -> list[tuple[RoundKind, str, date, date]]:
    """The rounds of a year (双月一督查、半年一点评): six bimonthly rounds, then the two half-year reviews."""
    plan = [(RoundKind.bimonthly,
             _("%(year)d round %(n)d (months %(first)d–%(last)d)", year=year, n=n, first=2 * n - 1, last=2 * n),
             date(year, 2 * n - 1, 1), _month_end(year, 2 * n))
            for n in range(1, 7)]
    plan.append((RoundKind.half_year, _("%(year)d first half-year review", year=year),
                 date(year, 1, 1), date(year, 6, 30)))
    plan.append((RoundKind.half_year, _("%(year)d second half-year review", year=year),
                 date(year, 7, 1), date(year, 12, 31)))
    return plan


def missing_rounds(plan, existing) -> list[tuple[RoundKind, str, date, date]]:
    """The planned rounds whose (kind, start, end) is not among `existing`."""
    have = set(existing)
    return [row for row in plan if (row[0], row[2], row[3]) not in have]


def existing_round_keys(start: date, end: date) -> set[tuple[RoundKind, date, date]]:
    """(kind, starts_on, ends_on) of the rounds starting within [start, end]."""
    rows = db.session.execute(db.select(InspectionRound.kind, InspectionRound.starts_on, InspectionRound.ends_on)
                              .where(InspectionRound.starts_on.between(start, end)))
    return {tuple(row) for row in rows}


def plan_year(year: int, units: list[Unit], leaders: list[Leader]) -> tuple[list[InspectionRound], int]:
    """Add (not committed) the rounds of the year that do not exist yet, each planned over the given targets;
    returns (the new rounds, how many already existed)."""
    plan = year_plan(year)
    missing = missing_rounds(plan, existing_round_keys(date(year, 1, 1), date(year, 12, 31)))
    added = [InspectionRound(kind=kind, name=name, starts_on=start, ends_on=end, units=list(units),
                             leaders=list(leaders)) for kind, name, start, end in missing]
    db.session.add_all(added)
    return added, len(plan) - len(missing)


def _covering_inspection(round_id, *conditions):
    return db.select(Inspection.id).where(Inspection.round_id == round_id, *conditions).exists()


def uncovered_units(round_id: int):
    """The planned units of a round that no unit or township inspection of the round targets yet (in tree order)."""
    planned = db.select(inspection_round_unit.c.unit_id).where(inspection_round_unit.c.round_id == round_id)
    return (db.select(Unit).where(Unit.id.in_(planned),
                                  ~_covering_inspection(round_id, Inspection.target.in_(UNIT_TARGETS),
                                                        Inspection.unit_id == Unit.id))
            .order_by(Unit.sort_order, Unit.name))


def uncovered_leaders(round_id: int):
    """The planned leaders of a round whose receptions no inspection of the round has looked at yet."""
    planned = db.select(inspection_round_leader.c.leader_id).where(inspection_round_leader.c.round_id == round_id)
    return (db.select(Leader).where(Leader.id.in_(planned),
                                    ~_covering_inspection(round_id, Inspection.target == InspectionTarget.receptions,
                                                          Inspection.leader_id == Leader.id))
            .order_by(Leader.sort_order, Leader.name))


def round_counts(round_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """{round id: (inspections, planned targets, planned targets not yet covered)} for the given rounds."""
    if not round_ids:
        return {}
    rid = InspectionRound.id
    inspections = db.select(db.func.count(Inspection.id)).where(Inspection.round_id == rid).scalar_subquery()
    units, leaders = inspection_round_unit.c, inspection_round_leader.c
    planned_units = db.select(db.func.count()).where(units.round_id == rid).scalar_subquery()
    planned_leaders = db.select(db.func.count()).where(leaders.round_id == rid).scalar_subquery()
    open_units = db.select(db.func.count()).where(
        units.round_id == rid,
        ~_covering_inspection(units.round_id, Inspection.target.in_(UNIT_TARGETS), Inspection.unit_id == units.unit_id),
    ).scalar_subquery()
    open_leaders = db.select(db.func.count()).where(
        leaders.round_id == rid,
        ~_covering_inspection(leaders.round_id, Inspection.target == InspectionTarget.receptions,
                              Inspection.leader_id == leaders.leader_id),
    ).scalar_subquery()
    rows = db.session.execute(db.select(rid, inspections, planned_units + planned_leaders, open_units + open_leaders)
                              .where(rid.in_(round_ids)))
    return {row[0]: tuple(row[1:]) for row in rows}


def list_arg_problems(args) -> list[str]:
    """Messages for the list's date arguments that were ignored."""
    labels = {"from": _("Inspected from"), "to": _("Inspected until")}
    return [_("%(field)s: “%(value)s” is not a date (YYYY-MM-DD), so it was ignored.", field=label, value=args[name])
            for name, label in labels.items() if (args.get(name) or "").strip() and list_date(args, name) is None]


def _id_arg(args, name: str) -> int | None:
    return id_from(args.get(name))


def inspection_list_query(args):
    """Inspections filtered by the list's query arguments, latest first."""
    query = db.select(Inspection)
    for name, column, enum_class in (("target", Inspection.target, InspectionTarget),
                                     ("rating", Inspection.rating, Rating),
                                     ("method", Inspection.method, InspectionMethod)):
        if args.get(name) in {member.value for member in enum_class}:
            query = query.where(column == enum_class(args[name]))
    for name, column in (("round", Inspection.round_id), ("unit", Inspection.unit_id),
                         ("leader", Inspection.leader_id)):
        if (value := _id_arg(args, name)) is not None:
            query = query.where(column == value)
    start, end = list_date(args, "from"), list_date(args, "to")
    if start:
        query = query.where(Inspection.inspected_on >= start)
    if end:
        query = query.where(Inspection.inspected_on <= end)
    return query.order_by(Inspection.inspected_on.desc(), Inspection.id.desc())


def store_evidence(inspection: Inspection, files, user) -> list[InspectionEvidence]:
    """Write the files as case attachments are written (`write_uploads`) and add them to the inspection (not
    committed); commit with blueprints.cases.attachments.commit_uploads."""
    added = write_uploads(files, InspectionEvidence, user, "inspection evidence")
    inspection.evidence.extend(added)
    return added

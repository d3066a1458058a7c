"""Package cases (包案): a leader's own cases and the weekly progress report to the main leader, as SQL rows."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_
from sqlalchemy.orm import aliased, joinedload

from blueprints.cases.access import MAIN_LEADER_POSTS, visible_petitions
from models import CaseStatus, Leader, Petition, PetitionEvent, Role, User, db

# A package case in one of these states needs no more progress reports.
FINISHED = frozenset({CaseStatus.not_accepted, CaseStatus.forwarded, CaseStatus.closed, CaseStatus.final})
REPORT_ROLES = frozenset({Role.admin, Role.clerk, Role.supervisor})
# Week values outside these years are refused: a week before date.min or after date.max cannot be paged to.
WEEK_YEARS = range(1900, 9999)


def is_main_leader(user) -> bool:
    """A leader login linked to the county party secretary or the county head."""
    return user.role is Role.leader and user.leader is not None and user.leader.post in MAIN_LEADER_POSTS


def may_read_report(user) -> bool:
    return user.role in REPORT_ROLES or is_main_leader(user)


def is_open():
    return Petition.status.not_in(FINISHED)


def my_packages_query(user):
    """The user's own package cases: open ones first by the earliest running clock, then the rest newest first."""
    own = db.select(Leader.id).where(Leader.user_id == user.id)
    return (db.select(Petition).where(visible_petitions(user), Petition.leader_id.in_(own))
            .options(joinedload(Petition.lead_unit))
            .order_by(case((is_open(), 0), else_=1), Petition.due_on.is_(None), Petition.due_on,
                      Petition.received_on.desc(), Petition.id.desc()))


def latest_entries(petition_ids) -> dict:
    """The latest timeline line of each of these petitions, in one query: {petition id: row(on, kind, text)}."""
    if not petition_ids:
        return {}
    entry = aliased(PetitionEvent)
    latest = (db.select(entry.id).where(entry.petition_id == Petition.id)
              .order_by(entry.happened_on.desc(), entry.id.desc()).limit(1).correlate(Petition).scalar_subquery())
    rows = db.session.execute(
        db.select(Petition.id, PetitionEvent.happened_on.label("on"), PetitionEvent.kind, PetitionEvent.text)
        .join(PetitionEvent, PetitionEvent.id == latest).where(Petition.id.in_(petition_ids))).all()
    return {row.id: row for row in rows}


def week_start(day: date) -> date:
    """The Monday of the week holding this day."""
    return day - timedelta(days=day.weekday())


def parse_week(value: str | None) -> date | None:
    """The Monday of the week named by a YYYY-MM-DD value (any day of it), or None when it is not such a date."""
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return week_start(day) if day.year in WEEK_YEARS else None


@dataclass(frozen=True)
class CaseLine:
    """One package case in the report, with its entries of the week."""

    petition: Petition
    overdue: bool
    events: list


@dataclass
class LeaderSection:
    """A responsible leader's package cases in the report: counts, cases with entries, cases without."""

    leader: Leader
    cases: int = 0
    changed: int = 0
    overdue: int = 0
    changed_cases: list[CaseLine] = field(default_factory=list)
    quiet_cases: list[CaseLine] = field(default_factory=list)


def _changed_in(start: date, end: date):
    entry = aliased(PetitionEvent)
    return (db.select(entry.id).where(entry.petition_id == Petition.id, entry.happened_on.between(start, end))
            .correlate(Petition).exists())


def _in_report(user, start: date, end: date):
    """Package cases the user may see that were received by the week's end and are open or had an entry that week."""
    return and_(visible_petitions(user), Petition.leader_id.is_not(None), Petition.received_on <= end,
                or_(is_open(), _changed_in(start, end)))


def leader_counts(user, start: date, today: date) -> list:
    """Per responsible leader: cases in the report, cases with an entry this week, overdue cases."""
    end = start + timedelta(days=6)
    leader = aliased(Leader)  # an alias, so visible_petitions' subqueries on `leader` are not correlated to it
    return db.session.execute(
        db.select(leader.id, func.count(Petition.id).label("cases"),
                  func.count(case((_changed_in(start, end), 1))).label("changed"),
                  func.count(case((Petition.due_on < today, 1))).label("overdue"))
        .join(leader, Petition.leader_id == leader.id).where(_in_report(user, start, end))
        .group_by(leader.id)).all()


def report_cases(user, start: date, today: date) -> list:
    """Rows (petition, leader, changed, overdue) by leader, overdue cases first, then by due date."""
    end = start + timedelta(days=6)
    leader = aliased(Leader)
    overdue = case((Petition.due_on < today, 1), else_=0)
    return db.session.execute(
        db.select(Petition, leader, _changed_in(start, end).label("changed"), overdue.label("overdue"))
        .join(leader, Petition.leader_id == leader.id).where(_in_report(user, start, end))
        .options(joinedload(Petition.lead_unit))
        .order_by(leader.sort_order, leader.name, leader.id, overdue.desc(), Petition.due_on.is_(None),
                  Petition.due_on, Petition.number)).all()


def report_events(user, start: date) -> list:
    """The timeline lines of the week on the report's cases, with their author's name, in date order."""
    end = start + timedelta(days=6)
    return db.session.execute(
        db.select(PetitionEvent.petition_id, PetitionEvent.happened_on.label("on"), PetitionEvent.kind,
                  PetitionEvent.text, User.display_name.label("author"))
        .join(Petition, Petition.id == PetitionEvent.petition_id)
        .outerjoin(User, User.id == PetitionEvent.author_id)
        .where(PetitionEvent.happened_on.between(start, end), Petition.leader_id.is_not(None),
               visible_petitions(user), Petition.received_on <= end)
        .order_by(PetitionEvent.petition_id, PetitionEvent.happened_on, PetitionEvent.id)).all()


def weekly_report(user, start: date, today: date) -> list[LeaderSection]:
    """The week's report by responsible leader, from three queries (counts, cases, entries) put side by side."""
    events: dict[int, list] = {}
    for row in report_events(user, start):
        events.setdefault(row.petition_id, []).append(row)
    counts = {row.id: row for row in leader_counts(user, start, today)}
    sections: dict[int, LeaderSection] = {}
    for petition, leader, changed, overdue in report_cases(user, start, today):
        section = sections.get(leader.id)
        if section is None:
            count = counts.get(leader.id)  # absent only if a case arrived between the two queries
            section = sections[leader.id] = LeaderSection(leader, *(count[1:] if count else (0, 0, 0)))
        line = CaseLine(petition, bool(overdue), events.get(petition.id, []))
        (section.changed_cases if changed else section.quiet_cases).append(line)
    return list(sections.values())

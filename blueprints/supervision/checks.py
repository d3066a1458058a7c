"""The automated checks (自动督查, DOMAIN §4): one plain rule per CheckKind over candidate rows, and next to each
rule the select that fetches only those candidate rows (filtered and aggregated in SQL).

A rule takes rows (tuples with the fields of the row types below; the selects label their columns alike) and
parameters such as `today` and the working-day calendar, and returns a list of `Found`. Findings about a case
carry its lead unit and package leader, so a run can be counted by unit and by leader. No finding names or
identifies a petitioner: the repeat-matter check keys the person by a petitioner row id, never the ID number.
blueprints/supervision/runs.py runs every CHECKS entry and stores what it found."""
from __future__ import annotations

from collections import namedtuple
from datetime import date, timedelta
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, exists, func, select

from blueprints.cases.services import DUE_SOON_DAYS, sqlite_unindexed
from blueprints.reception.services import month_bounds
from models import (
    CaseStatus,
    Category,
    CheckKind,
    Leader,
    Petition,
    PetitionEvent,
    Petitioner,
    ReceptionQuota,
    ReceptionRecord,
    ReceptionSession,
    RectificationItem,
    RectificationStatus,
    SessionStatus,
    reception_session_leader,
)

# Sessions that put a leader on duty: published (including rescheduled) or held; drafts and cancelled ones do not.
ON_DUTY = (SessionStatus.published, SessionStatus.held)
HANDLING = (CaseStatus.accepted, CaseStatus.in_progress)
# The kinds whose findings are about a case, counted by lead unit and package leader on the run page.
CASE_KINDS = (CheckKind.overdue_case, CheckKind.due_soon_case, CheckKind.stale_case, CheckKind.no_return_visit,
              CheckKind.repeat_matter)


class Found(NamedTuple):
    """One problem a rule found; `subject` identifies it across runs (a finding still open is not stored twice)."""

    kind: CheckKind
    subject: str
    detail: str
    petition_id: int | None = None
    session_id: int | None = None
    leader_id: int | None = None
    unit_id: int | None = None
    item_id: int | None = None
    day: date | None = None


class Params(NamedTuple):
    """What a run passes to every check."""

    today: date
    calendar: object  # workdays.Calendar
    stale_days: int = 14
    lookback_days: int = 90
    due_soon_days: int = DUE_SOON_DAYS


# The rows the rules read.
CaseClock = namedtuple("CaseClock", "id due_on unit_id leader_id")
QuotaCount = namedtuple("QuotaCount", "leader_id unit_id required scheduled held")
SessionRow = namedtuple("SessionRow", "id day start_time end_time status recorded unit_id leader_id")
CaseProgress = namedtuple("CaseProgress", "id status accepted_on due_on last_entry_on unit_id leader_id")
ClosedCase = namedtuple("ClosedCase", "id status closed_on return_visit_on unit_id leader_id")
RepeatGroup = namedtuple("RepeatGroup", "person category_id category matters petition_id received_on unit_id leader_id")
ItemDeadline = namedtuple("ItemDeadline", "id status deadline unit_id leader_id")


def _counted(translate):
    """`translate(n, **placeholders)` (an ngettext call) made cheap per row: rules format hundreds of thousands of
    rows, so each count is translated once, with the other placeholders handed back as themselves, and filled in
    per row."""
    cache = {}

    def detail(n: int, **values) -> str:
        if n not in cache:
            cache[n] = translate(n, **{name: f"%({name})s" for name in values})
        return cache[n] % values

    return detail


# Subjects of the findings about one row; a run looks them up before calling a rule (see Check.key).

def case_subject(row) -> str:
    return f"petition:{row.id}"


def session_subject(row) -> str:
    return f"session:{row.id}"


def item_subject(row) -> str:
    return f"item:{row.id}"


def case_found(kind: CheckKind, row, detail: str) -> Found:
    """A finding about a case, counted under its lead unit and package leader (positional: this is the hot path)."""
    return Found(kind, case_subject(row), detail, row.id, None, row.leader_id, row.unit_id)


# Overdue cases: the earliest running clock (Petition.due_on, empty when none runs) is past. The case selects read
# in id order, so a run's new findings go into the subject index in order: a first run over a million cases then
# inserts its findings 40 % faster (bench/checks.py), and on SQLite the table is read front to back.

def overdue_cases_query(today: date):
    return select(Petition.id, Petition.due_on, Petition.lead_unit_id.label("unit_id"), Petition.leader_id).where(
        Petition.due_on < today).order_by(Petition.id)


def overdue_cases(rows, today: date) -> list[Found]:
    detail = _counted(lambda n, **values: ngettext(
        "due %(due)s, %(num)d day overdue", "due %(due)s, %(num)d days overdue", n, **values))
    return [case_found(CheckKind.overdue_case, row, detail((today - row.due_on).days, due=row.due_on))
            for row in rows if row.due_on is not None and row.due_on < today]


# Cases due soon: due today or within the next `days` days (临期, DOMAIN §3).

def due_soon_cases_query(today: date, days: int = DUE_SOON_DAYS):
    return select(Petition.id, Petition.due_on, Petition.lead_unit_id.label("unit_id"), Petition.leader_id).where(
        Petition.due_on >= today, Petition.due_on <= today + timedelta(days=days)).order_by(Petition.id)


def due_soon_cases(rows, today: date, days: int = DUE_SOON_DAYS) -> list[Found]:
    detail = _counted(lambda n, **values: ngettext(
        "due %(due)s, %(num)d day left", "due %(due)s, %(num)d days left", n, **values))
    last = today + timedelta(days=days)
    return [case_found(CheckKind.due_soon_case, row, detail((row.due_on - today).days, due=row.due_on))
            for row in rows if row.due_on is not None and today <= row.due_on <= last]


# Leaders below their reception quota for the month of `today`, counted as the quota page counts (distinct days
# of published or held sessions; reception/services.quota_table): a leader whose scheduled days fall short
# cannot meet the quota even if every session is held.

def quota_query(today: date):
    first, last = month_bounds(today.year, today.month)
    in_month = and_(ReceptionSession.id == reception_session_leader.c.session_id,
                    ReceptionSession.day.between(first, last), ReceptionSession.status.in_(ON_DUTY))
    scheduled = func.count(func.distinct(ReceptionSession.day))
    held = func.count(func.distinct(ReceptionSession.day)).filter(
        ReceptionSession.status == SessionStatus.held, ReceptionRecord.id.is_not(None))
    return (
        select(Leader.id.label("leader_id"), Leader.unit_id, ReceptionQuota.days_per_month.label("required"),
               scheduled.label("scheduled"), held.label("held"))
        .join(ReceptionQuota, ReceptionQuota.post == Leader.post)
        .outerjoin(reception_session_leader, reception_session_leader.c.leader_id == Leader.id)
        .outerjoin(ReceptionSession, in_month)
        .outerjoin(ReceptionRecord, ReceptionRecord.session_id == ReceptionSession.id)
        .where(Leader.active.is_(True), ReceptionQuota.days_per_month > 0)
        .group_by(Leader.id, Leader.unit_id, ReceptionQuota.days_per_month)
        .having(scheduled < ReceptionQuota.days_per_month)
    )


def quota_shortfalls(rows, today: date) -> list[Found]:
    month = f"{today:%Y-%m}"
    detail = _("%(month)s: %(scheduled)d of %(required)d reception days scheduled, %(held)d held")
    return [Found(CheckKind.quota_shortfall, f"leader:{row.leader_id}:{month}",
                  detail % {"month": month, "scheduled": row.scheduled, "required": row.required, "held": row.held},
                  leader_id=row.leader_id, unit_id=row.unit_id)
            for row in rows if row.scheduled < row.required]


# Working days of the month of `today` (official calendar) with no published or held session: nobody on duty.

def covered_days_query(today: date):
    first, last = month_bounds(today.year, today.month)
    return select(ReceptionSession.day).distinct().where(
        ReceptionSession.day.between(first, last), ReceptionSession.status.in_(ON_DUTY))


def uncovered_working_days(covered, today: date, calendar) -> list[Found]:
    covered = set(covered)
    first, last = month_bounds(today.year, today.month)
    found = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        status = calendar.status(day)
        if not status.is_working or day in covered:
            continue
        detail = (_("%(day)s, a make-up working day: no reception session published", day=day.isoformat())
                  if status.is_makeup_workday
                  else _("%(day)s, a working day: no reception session published", day=day.isoformat()))
        if status.provisional:
            detail = _("%(detail)s (provisional calendar)", detail=detail)
        found.append(Found(CheckKind.uncovered_day, f"day:{day.isoformat()}", detail, day=day))
    return found


# Published sessions whose day has passed without a reception record.

def first_leader(session_id):
    """One leader of a session (the lowest id), so session findings can be counted by leader."""
    return (select(func.min(reception_session_leader.c.leader_id))
            .where(reception_session_leader.c.session_id == session_id).scalar_subquery())


def unrecorded_sessions_query(today: date):
    recorded = exists().where(ReceptionRecord.session_id == ReceptionSession.id)
    return select(ReceptionSession.id, ReceptionSession.day, ReceptionSession.start_time, ReceptionSession.end_time,
                  ReceptionSession.status, recorded.label("recorded"), ReceptionSession.unit_id,
                  first_leader(ReceptionSession.id).label("leader_id")).where(
        ReceptionSession.status == SessionStatus.published, ReceptionSession.day < today, ~recorded)


def unrecorded_sessions(rows, today: date) -> list[Found]:
    detail = _("session of %(day)s %(start)s–%(end)s has no reception record")
    return [Found(CheckKind.unrecorded_session, session_subject(row),
                  detail % {"day": row.day, "start": f"{row.start_time:%H:%M}", "end": f"{row.end_time:%H:%M}"},
                  session_id=row.id, day=row.day, unit_id=row.unit_id, leader_id=row.leader_id)
            for row in rows if row.status is SessionStatus.published and not row.recorded and row.day < today]


# Cases being handled with no timeline entry in the last `days` days (and accepted before that). A case already
# overdue is reported as overdue and not again here: this check is the early warning while the clock still runs.

def stale_cases_query(today: date, days: int):
    since = today - timedelta(days=days)
    last_entry = (select(func.max(PetitionEvent.happened_on)).where(PetitionEvent.petition_id == Petition.id)
                  .scalar_subquery())
    recent = exists().where(PetitionEvent.petition_id == Petition.id, PetitionEvent.happened_on >= since)
    return select(Petition.id, Petition.status, Petition.accepted_on, Petition.due_on,
                  last_entry.label("last_entry_on"), Petition.lead_unit_id.label("unit_id"), Petition.leader_id).where(
        Petition.status.in_(HANDLING), Petition.due_on >= today, Petition.accepted_on < since, ~recent
    ).order_by(Petition.id)


def stale_cases(rows, today: date, days: int) -> list[Found]:
    since = today - timedelta(days=days)
    detail = _counted(lambda n, **values: ngettext(
        "no timeline entry since %(last)s (%(num)d day)", "no timeline entry since %(last)s (%(num)d days)", n,
        **values))
    found = []
    for row in rows:
        last = row.last_entry_on or row.accepted_on
        if (row.status not in HANDLING or row.accepted_on is None or row.accepted_on >= since or last >= since
                or (row.due_on is not None and row.due_on < today)):
            continue
        found.append(case_found(CheckKind.stale_case, row, detail((today - last).days, last=last)))
    return found


# Cases closed in the look-back period without a return visit (回访) on record.

def closed_cases_query(today: date, days: int):
    # Not through the status index: at a million cases over half are closed, and SQLite would visit them in random
    # order (1 to 2 s); reading the table in id order takes 0.3 s.
    return select(Petition.id, Petition.status, Petition.closed_on, Petition.return_visit_on,
                  Petition.lead_unit_id.label("unit_id"), Petition.leader_id).where(
        sqlite_unindexed(Petition.status) == CaseStatus.closed, Petition.return_visit_on.is_(None),
        Petition.closed_on >= today - timedelta(days=days)).order_by(Petition.id)


def closed_without_return_visit(rows, today: date, days: int) -> list[Found]:
    since = today - timedelta(days=days)
    detail = _("closed %(day)s without a return visit")
    return [case_found(CheckKind.no_return_visit, row, detail % {"day": row.closed_on})
            for row in rows if row.status is CaseStatus.closed and row.return_visit_on is None
            and row.closed_on is not None and row.closed_on >= since]


# The same petitioner (same ID number) back on the same matter (same content category): two or more petitions, the
# latest received in the look-back period. One row per person and category, with the latest petition; the person
# is keyed by their first petitioner row, so neither the ID number nor the name leaves the database.

def repeat_matters_query(today: date, days: int):
    since = today - timedelta(days=days)
    # People on two petitions or more, from the ID-number index alone; only their petitions are read.
    returning = (select(Petitioner.id_number).where(Petitioner.id_number != "").group_by(Petitioner.id_number)
                 .having(func.count() >= 2))
    per_case = (
        select(Petitioner.id_number, func.min(Petitioner.id).label("petitioner_id"), Petition.id.label("petition_id"),
               Petition.category_id, Petition.received_on, Petition.lead_unit_id.label("unit_id"), Petition.leader_id)
        .join(Petition, Petition.id == Petitioner.petition_id)
        .where(Petitioner.id_number.in_(returning), Petition.category_id.is_not(None))
        .group_by(Petitioner.id_number, Petition.id, Petition.category_id, Petition.received_on,
                  Petition.lead_unit_id, Petition.leader_id)
    ).subquery()
    matter = (per_case.c.id_number, per_case.c.category_id)
    ranked = select(
        func.min(per_case.c.petitioner_id).over(partition_by=per_case.c.id_number).label("person"),
        per_case.c.category_id, func.count().over(partition_by=matter).label("matters"),
        func.row_number().over(partition_by=matter, order_by=(per_case.c.received_on.desc(),
                                                              per_case.c.petition_id.desc())).label("position"),
        per_case.c.petition_id, per_case.c.received_on, per_case.c.unit_id, per_case.c.leader_id,
    ).subquery()
    return (select(ranked.c.person, ranked.c.category_id, Category.name.label("category"), ranked.c.matters,
                   ranked.c.petition_id, ranked.c.received_on, ranked.c.unit_id, ranked.c.leader_id)
            .join(Category, Category.id == ranked.c.category_id)
            .where(ranked.c.position == 1, ranked.c.matters >= 2, ranked.c.received_on >= since))


def repeat_matters(rows, today: date, days: int) -> list[Found]:
    since = today - timedelta(days=days)
    detail = _counted(lambda n, **values: ngettext(
        "%(category)s: raised %(num)d time, latest received %(day)s; the matter is not resolved yet",
        "%(category)s: raised %(num)d times, latest received %(day)s; the matter is not resolved yet", n, **values))
    latest = {}
    for row in rows:
        key = (row.person, row.category_id)
        if key not in latest or (row.received_on, row.petition_id) > (latest[key].received_on,
                                                                       latest[key].petition_id):
            latest[key] = row
    return [Found(CheckKind.repeat_matter, f"person:{row.person}:category:{row.category_id}",
                  detail(row.matters, category=row.category, day=row.received_on),
                  petition_id=row.petition_id, unit_id=row.unit_id, leader_id=row.leader_id)
            for row in latest.values() if row.matters >= 2 and row.received_on >= since]


# Rectification items still open after their deadline.

def overdue_items_query(today: date):
    return select(RectificationItem.id, RectificationItem.status, RectificationItem.deadline,
                  RectificationItem.unit_id, RectificationItem.leader_id).where(
        RectificationItem.status == RectificationStatus.open, RectificationItem.deadline < today
    ).order_by(RectificationItem.id)


def overdue_items(rows, today: date) -> list[Found]:
    detail = _counted(lambda n, **values: ngettext(
        "deadline %(deadline)s, %(num)d day overdue", "deadline %(deadline)s, %(num)d days overdue", n, **values))
    return [Found(CheckKind.overdue_item, item_subject(row), detail((today - row.deadline).days, deadline=row.deadline),
                  item_id=row.id, unit_id=row.unit_id, leader_id=row.leader_id)
            for row in rows if row.status is RectificationStatus.open and row.deadline < today]


class Check(NamedTuple):
    """A rule with its select.

    `whole` rules need every row at once; the others are fed rows in batches. When `key` gives the subject a row
    would be found under, a run skips the rule for rows whose finding is already open: the select applies the
    rule's conditions, so such a row is found again, and formatting its detail again would only be thrown away."""

    kind: CheckKind
    select: object  # Params → select
    rule: object  # (rows, Params) → list[Found]
    key: object = None  # row → subject
    whole: bool = False


CHECKS = (
    Check(CheckKind.overdue_case, lambda p: overdue_cases_query(p.today), lambda rows, p: overdue_cases(rows, p.today),
          key=case_subject),
    Check(CheckKind.due_soon_case, lambda p: due_soon_cases_query(p.today, p.due_soon_days),
          lambda rows, p: due_soon_cases(rows, p.today, p.due_soon_days), key=case_subject),
    Check(CheckKind.quota_shortfall, lambda p: quota_query(p.today), lambda rows, p: quota_shortfalls(rows, p.today)),
    Check(CheckKind.uncovered_day, lambda p: covered_days_query(p.today),
          lambda rows, p: uncovered_working_days((row.day for row in rows), p.today, p.calendar), whole=True),
    Check(CheckKind.unrecorded_session, lambda p: unrecorded_sessions_query(p.today),
          lambda rows, p: unrecorded_sessions(rows, p.today), key=session_subject),
    Check(CheckKind.stale_case, lambda p: stale_cases_query(p.today, p.stale_days),
          lambda rows, p: stale_cases(rows, p.today, p.stale_days), key=case_subject),
    Check(CheckKind.no_return_visit, lambda p: closed_cases_query(p.today, p.lookback_days),
          lambda rows, p: closed_without_return_visit(rows, p.today, p.lookback_days), key=case_subject),
    Check(CheckKind.repeat_matter, lambda p: repeat_matters_query(p.today, p.lookback_days),
          lambda rows, p: repeat_matters(rows, p.today, p.lookback_days), whole=True),
    Check(CheckKind.overdue_item, lambda p: overdue_items_query(p.today), lambda rows, p: overdue_items(rows, p.today),
          key=item_subject),
)

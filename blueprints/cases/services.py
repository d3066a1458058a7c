"""Petition flows that span several records: listing with filters, repeat detection, registration, clocks."""
from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace
from uuid import uuid4

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import func, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from blueprints.cases.access import visible_petitions
from blueprints.cases.workflow import (
    ACTIONS,
    MAIN_LEADER_POSTS,
    apply,
    clock_dates,
    date_problem,
    refusal,
    set_clock_dates,
    steps_of,
)
from blueprints.shared import id_from, list_date, official_calendar
from figures import FIGURE_KEYS, figure_condition
from models import (
    CampaignCase,
    CaseStatus,
    Category,
    Channel,
    EventKind,
    Leader,
    LeaderPost,
    Petition,
    Petitioner,
    PetitionEvent,
    Purpose,
    Role,
    Unit,
    db,
)

DUE_SOON_DAYS = 5
REPEAT_MATCHES = 10


SEARCH_ID_NUMBER = re.compile(r"\d{17}[\dX]|\d{15}", re.ASCII)  # after upper(); 15 digits: the pre-1999 format
SEARCH_PHONE = re.compile(r"\+?\d[\d -]{5,18}\d", re.ASCII)
SEARCH_CASE_NUMBER = re.compile(r"([A-Z]{1,4})(\d{4})-(\d{1,7})", re.ASCII)  # XF2026-0001234, leading zeros optional
LIST_SORTS = {
    "newest": (Petition.received_on.desc(), Petition.id.desc()),
    "oldest": (Petition.received_on.asc(), Petition.id.asc()),
    "due": (Petition.due_on.asc().nulls_last(), Petition.id.asc()),
}
LIST_COUNT_CAP = 1_000  # rows counted past the current page; beyond that the list says "more than"


def search_condition(text: str):
    """The condition for the search box, by what the text looks like.

    ID numbers, phones and case numbers go to their own index alone: OR-ing them with a summary search would
    make every search read every summary. Anything else is a petitioner's name or words of the summary."""
    upper = text.upper()
    if SEARCH_ID_NUMBER.fullmatch(upper):
        return Petition.id.in_(db.select(Petitioner.petition_id).where(Petitioner.id_number == upper))
    if SEARCH_PHONE.fullmatch(text):
        typed = {text, re.sub(r"[ -]", "", text)}
        return Petition.id.in_(db.select(Petitioner.petition_id).where(Petitioner.phone.in_(typed)))
    number = SEARCH_CASE_NUMBER.fullmatch(upper)
    if number:
        prefix, year, serial = number.groups()
        return Petition.number == f"{prefix}{year}-{int(serial):07d}"
    named = db.select(Petitioner.petition_id).where(Petitioner.name == text)
    return or_(Petition.id.in_(named), Petition.summary.contains(text, autoescape=True))


def list_arg_problems(args) -> list[str]:
    """Messages for the list's date arguments that were ignored or cannot match anything."""
    labels = {"from": _("Received from"), "to": _("Received until")}
    problems = [_("%(field)s: “%(value)s” is not a date (YYYY-MM-DD), so it was ignored.",
                  field=label, value=args[name])
                for name, label in labels.items() if (args.get(name) or "").strip() and list_date(args, name) is None]
    start, end = list_date(args, "from"), list_date(args, "to")
    if start and end and start > end:
        problems.append(_("The date range ends before it starts, so nothing matches."))
    return problems


def petition_list_query(user, args):
    """The petitions this user may see, filtered and sorted by the list's query arguments (newest first).

    Every one-filter list is served by an index in its order (see the Petition indexes in models.py), so a page
    reads about one page of rows whatever the number of cases; bench/cases.py measures it."""
    query = db.select(Petition).where(visible_petitions(user))
    text = (args.get("q") or "").strip()
    if text:
        query = query.where(search_condition(text))
    for name, column, enum_class in (("status", Petition.status, CaseStatus), ("channel", Petition.channel, Channel),
                                     ("purpose", Petition.purpose, Purpose)):
        if args.get(name) in {member.value for member in enum_class}:
            query = query.where(column == enum_class(args[name]))
    for name, column in (("township", Petition.township_id), ("unit", Petition.lead_unit_id),
                         ("leader", Petition.leader_id)):
        if (ident := id_from(args.get(name))) is not None:
            query = query.where(column == ident)
    category = id_from(args.get("category"))
    if category is not None:  # a first-level category takes in its subcategories
        ids = [category, *db.session.scalars(db.select(Category.id).where(Category.parent_id == category))]
        # One id as an equality, so a leaf category's list keeps walking its index newest first.
        query = query.where(Petition.category_id == ids[0] if len(ids) == 1 else Petition.category_id.in_(ids))
    if args.get("figure") in FIGURE_KEYS:  # a statistics figure's cases (figures.py)
        condition = figure_condition(args["figure"], date.today())
        if condition is not None:
            query = query.where(condition)
    campaign = id_from(args.get("campaign"))
    if campaign is not None:  # a campaign's tagged cases (blueprints/stats/campaigns.py)
        tagged = db.select(CampaignCase.petition_id).where(CampaignCase.campaign_id == campaign)
        if args.get("campaign_tag") in ("found", "handled"):
            tagged = tagged.where(getattr(CampaignCase, args["campaign_tag"]).is_(True))
        query = query.where(Petition.id.in_(tagged))
    start, end = list_date(args, "from"), list_date(args, "to")
    if start:
        query = query.where(Petition.received_on >= start)
    if end:
        query = query.where(Petition.received_on <= end)
    today = date.today()
    # due_on holds the earliest running clock and is empty when no clock runs (see workflow.running_due).
    if args.get("clock") == "overdue":
        query = query.where(Petition.due_on < today)
    elif args.get("clock") == "due_soon":
        # SQLite's planner takes a two-sided range for a few rows and sorts them, which reads every due-soon row
        # (thousands at a million cases); as a one-sided range it walks the newest-first index like "overdue".
        query = query.where(Petition.due_on >= today,
                            sqlite_unindexed(Petition.due_on) <= today + timedelta(days=DUE_SOON_DAYS))
    return query.order_by(*LIST_SORTS.get(args.get("sort"), LIST_SORTS["newest"]))


class sqlite_unindexed(FunctionElement):
    """A column SQLite may not search an index by (its documented unary "+" hint); the plain column elsewhere."""

    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(sqlite_unindexed)
def _compile_unindexed(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(sqlite_unindexed, "sqlite")
def _compile_unindexed_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.clauses, **kw)


class CappedPagination(SelectPagination):
    """db.paginate's page, but the count stops LIST_COUNT_CAP rows past the current page.

    A full COUNT(*) reads every matching row, which at a million cases costs more than the page itself.
    `capped` says the real total is larger than `total`; page numbers and "next" keep working."""

    capped = False

    def _query_count(self) -> int:
        if self.items and len(self.items) < self.per_page:
            return self._query_offset + len(self.items)  # the last page: nothing left to count
        limit = self._query_offset + LIST_COUNT_CAP + 1
        rows = self._query_args["select"].with_only_columns(Petition.id).order_by(None).limit(limit).subquery()
        total = self._query_args["session"].scalar(db.select(func.count()).select_from(rows))
        self.capped = total == limit
        return total


def paginate_petitions(query, per_page: int) -> CappedPagination:
    """The requested page of a petition list query (a bad page number means the first page)."""
    return CappedPagination(select=query, session=db.session, per_page=per_page, max_per_page=None, error_out=False)


def earlier_matches(user, petitioners: list[dict]) -> list[Petition]:
    """Earlier petitions by the same person: ID number first, then phone, then name + village (DOMAIN §2)."""
    for build in (
        lambda p: Petitioner.id_number == p["id_number"].upper() if p["id_number"] else None,
        lambda p: Petitioner.phone == p["phone"] if p["phone"] else None,
        lambda p: (Petitioner.name == p["name"]) & (Petitioner.village == p["village"]) if p["village"] else None,
    ):
        conditions = [condition for condition in map(build, petitioners) if condition is not None]
        if not conditions:
            continue
        matches = db.session.scalars(
            db.select(Petition).where(visible_petitions(user), Petition.id.in_(
                db.select(Petitioner.petition_id).where(or_(*conditions))))
            .order_by(Petition.received_on.desc()).limit(REPEAT_MATCHES)
        ).all()
        if matches:
            return matches
    return []


def register_petition(form, author_id: int | None) -> Petition:
    """Create the petition and its petitioners from a validated form; the caller commits.

    The number needs the id, so a unique placeholder (32 characters, the column's width) holds its place
    until the flush assigns one."""
    petition = Petition(
        number=uuid4().hex, received_on=form.received_on.data, channel=Channel(form.channel.data),
        purpose=Purpose(form.purpose.data), category_id=form.category_id.data, township_id=form.township_id.data,
        summary=form.summary.data.strip(), persons=form.persons.data, is_collective=form.persons.data >= 5,
        is_repeat=form.is_repeat.data, is_skip_level=form.is_skip_level.data,
        accused_unit_id=form.accused_unit_id.data if form.purpose.data == Purpose.accusation.value else None,
        assigned_from=(form.assigned_from.data or "").strip(), report_due_on=form.report_due_on.data,
        status=CaseStatus.registered)
    set_clock_dates(petition, official_calendar())
    petition.events.append(PetitionEvent(kind=EventKind.registered, happened_on=petition.received_on,
                                         author_id=author_id))
    for entry in form.petitioners.entries:
        data = entry.form
        petition.petitioners.append(Petitioner(
            name=data.name.data.strip(), id_number=(data.id_number.data or "").strip().upper(),
            phone=(data.phone.data or "").strip(), address=(data.address.data or "").strip(),
            village=(data.village.data or "").strip()))
    db.session.add(petition)
    db.session.flush()
    petition.number = f"XF{petition.received_on.year}-{petition.id:07d}"
    return petition


class StepRefused(Exception):
    """A workflow step that may not happen: the refusal key, the HTTP status to answer and the field at fault."""

    def __init__(self, key: str, status: int = 409, field: str | None = None):
        super().__init__(key)
        self.key, self.status, self.field = key, status, field

    @property
    def message(self) -> str:
        return str(REFUSAL_MESSAGES[self.key])


REFUSAL_MESSAGES = {
    "unknown": _l("There is no such step."),
    "role": _l("Your role may not take this step."),
    "state": _l("This step is not possible in the case's present state."),
    "changed": _l("Someone else changed this case while you were editing. Nothing was saved: compare your input "
                  "with the case as it is now, then apply it again."),
    "extension_exists": _l("An extension has already been requested for this case."),
    "no_extension_pending": _l("No extension is waiting for approval."),
    "not_key": _l("Only key cases need the main leader's sign-off."),
    "main_leader": _l("Only the main leader (county party secretary or county head) signs off key cases."),
    "no_opinion_draft": _l("There is no submitted opinion to sign off yet."),
    "key_needs_sign_off": _l("A key case's opinion needs the main leader's sign-off before it is issued."),
    "review_done": _l("A review has already been requested for this case."),
    "review_first": _l("A re-review follows a review decision."),
    "re_review_done": _l("A re-review has already been requested: the matter is not accepted again."),
    "nothing_to_report": _l("This case has no result to report back, or it was reported already."),
    "future": _l("The date cannot be in the future."),
    "before_receipt": _l("The date cannot be before the petition was received."),
    "before_acceptance": _l("The date cannot be before the acceptance."),
    "before_decision": _l("The request cannot be before the decision it contests."),
    "window_passed": _l("The 30-day period to request this has passed."),
}


def main_leader_post(user) -> LeaderPost | None:
    """The main-leader post held by this user, if any (they sign off key cases)."""
    if user.role is not Role.leader:
        return None
    return db.session.scalar(db.select(Leader.post).where(Leader.user_id == user.id,
                                                          Leader.post.in_(MAIN_LEADER_POSTS)).limit(1))


def allowed_steps(petition, user) -> dict[str, list[str]]:
    """The steps this user may take on the petition now, by action (only actions with at least one step)."""
    post = main_leader_post(user)  # one lookup for the whole page, not one per action
    by_action = {action: [step for step in steps_of(action) if refusal(petition, action, step, user.role, post) is None]
                 for action in ACTIONS}
    return {action: steps for action, steps in by_action.items() if steps}


def perform_step(petition, action: str, form, user, today: date) -> PetitionEvent:
    """Check and take one validated workflow step; the caller commits. Raises StepRefused."""
    step = form.step.data
    key = refusal(petition, action, step, user.role, main_leader_post(user))
    if key:
        raise StepRefused(key, 403 if key == "role" else 404 if key == "unknown" else 409)
    if form.version.data not in (None, "") and str(form.version.data) != str(petition.version):
        raise StepRefused("changed")
    key = date_problem(petition, action, step, form.on.data, today)
    if key:
        raise StepRefused(key, 400, "on")
    values = {name: field.data for name, field in form._fields.items()}
    if action == "assign":
        petition.co_units = db.session.scalars(db.select(Unit).where(Unit.id.in_(form.co_unit_ids.data or []))).all()
    event = apply(petition, action, step, values, user.id)
    with db.session.no_autoflush:  # reading the calendar must not flush the half-made change (a second version)
        set_clock_dates(petition, official_calendar())
    return event


RECOMPUTE_CHUNK = 5_000
CLOCK_INPUTS = (Petition.status, Petition.channel, Petition.received_on, Petition.accepted_on, Petition.extension_days,
                Petition.extension_approved_on, Petition.review_requested_on, Petition.re_review_requested_on,
                Petition.hearing_days, Petition.report_due_on, Petition.reported_on)
CLOCK_STATUSES = (CaseStatus.registered, CaseStatus.accepted, CaseStatus.in_progress, CaseStatus.review,
                  CaseStatus.re_review)


def recompute_open_deadlines() -> int:
    """Count every running clock again on the calendar as it is now; returns how many cases' dates moved.

    Called when the calendar changes (a year loaded or confirmed, a day overridden). Rows stream in chunks and
    each distinct set of clock inputs is counted once, so a million cases take seconds, not a calendar walk each.
    The stored acceptance and handling due dates of these cases move with them; a finished case keeps its own."""
    calendar = official_calendar()
    names = [column.key for column in CLOCK_INPUTS]
    stored = (Petition.due_on, Petition.acceptance_due_on, Petition.handling_due_on)
    counted: dict[tuple, dict] = {}
    moved = []
    rows = db.session.execute(
        db.select(Petition.id, *stored, *CLOCK_INPUTS)
        .where(or_(Petition.status.in_(CLOCK_STATUSES), Petition.due_on.is_not(None),
                   Petition.report_due_on.is_not(None) & Petition.reported_on.is_(None)))
        .execution_options(yield_per=RECOMPUTE_CHUNK))
    for row in rows:
        inputs = tuple(row[1 + len(stored):])
        if inputs not in counted:
            counted[inputs] = clock_dates(SimpleNamespace(**dict(zip(names, inputs))), calendar)
        dates = counted[inputs]
        if tuple(dates.values()) != tuple(row[1:1 + len(stored)]):
            moved.append({"row_id": row.id, **dates})
    update = db.update(Petition.__table__).where(Petition.__table__.c.id == db.bindparam("row_id"))
    for start in range(0, len(moved), RECOMPUTE_CHUNK):
        db.session.execute(update.values({name: db.bindparam(name) for name in moved[0] if name != "row_id"}),
                           moved[start:start + RECOMPUTE_CHUNK])
    return len(moved)

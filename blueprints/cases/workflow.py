"""The case state machine and its clocks (DOMAIN §2, §3): plain functions over a petition and values.

`refusal()` says whether an action may happen now and who may do it; `apply()` changes the petition and
adds its timeline line; `case_clocks()` computes every clock with its explanation. Nothing here touches the
database session or the request, so the rules are tested as plain functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from blueprints.cases.access import MAIN_LEADER_POSTS
from models import CaseStatus, Channel, EventKind, LeaderPost, Outcome, PetitionEvent, Resolution, Role, Satisfaction
from workdays import RULE_CALENDAR_DAYS, RULE_WORKING_DAYS, DueDate, add_days

RULE_FIXED = "fixed"  # a date set by the body above (报结), not counted

# clock key -> (length, counting rule); DOMAIN §3, kept in one place because local offices differ.
CLOCK_RULES = {
    "acceptance": (15, RULE_CALENDAR_DAYS),
    "objection": (5, RULE_WORKING_DAYS),
    "handling": (60, RULE_CALENDAR_DAYS),
    "review": (30, RULE_CALENDAR_DAYS),
    "re_review": (30, RULE_CALENDAR_DAYS),
}
REQUEST_WINDOW_DAYS = 30  # the petitioner may ask for review / re-review within 30 days
MAX_EXTENSION_DAYS = 30

OFFICE = frozenset({Role.admin, Role.clerk})
PACKAGE = frozenset({Role.admin, Role.clerk, Role.leader, Role.handler})
ACTIVE = frozenset({CaseStatus.accepted, CaseStatus.in_progress, CaseStatus.opinion_issued,
                    CaseStatus.return_visited, CaseStatus.review, CaseStatus.re_review})
OPINION_GIVEN = frozenset({CaseStatus.opinion_issued, CaseStatus.return_visited, CaseStatus.closed})


@dataclass(frozen=True)
class Step:
    """One thing that can be done to a case: from which states, by which roles, into which state."""

    action: str
    step: str
    sources: frozenset[CaseStatus]
    roles: frozenset[Role]
    target: CaseStatus | None = None


def _step(action, step, sources, roles, target=None) -> Step:
    return Step(action, step, frozenset(sources), frozenset(roles), target)


STEPS = {(s.action, s.step): s for s in (
    _step("accept", "accept", {CaseStatus.registered}, OFFICE, CaseStatus.accepted),
    _step("accept", "not_accept", {CaseStatus.registered}, OFFICE, CaseStatus.not_accepted),
    _step("accept", "forward", {CaseStatus.registered}, OFFICE, CaseStatus.forwarded),
    _step("assign", "assign", {CaseStatus.accepted, CaseStatus.in_progress}, OFFICE, CaseStatus.in_progress),
    _step("progress", "progress", ACTIVE, PACKAGE),
    _step("extend", "request", {CaseStatus.in_progress}, PACKAGE),
    _step("extend", "approve", {CaseStatus.in_progress}, {Role.admin, Role.leader}),
    _step("opinion", "submit", {CaseStatus.in_progress}, {Role.admin, Role.clerk, Role.handler}),
    _step("opinion", "sign_off", {CaseStatus.in_progress}, {Role.admin, Role.leader}),
    _step("opinion", "issue", {CaseStatus.in_progress}, OFFICE, CaseStatus.opinion_issued),
    _step("return-visit", "record", {CaseStatus.opinion_issued}, {Role.admin, Role.clerk, Role.handler},
          CaseStatus.return_visited),
    _step("close", "close", {CaseStatus.opinion_issued, CaseStatus.return_visited}, OFFICE, CaseStatus.closed),
    _step("review", "request", OPINION_GIVEN, OFFICE, CaseStatus.review),
    _step("review", "decide", {CaseStatus.review}, OFFICE, CaseStatus.closed),
    _step("re-review", "request", {CaseStatus.closed}, OFFICE, CaseStatus.re_review),
    _step("re-review", "hearing", {CaseStatus.re_review}, OFFICE),
    _step("re-review", "decide", {CaseStatus.re_review}, OFFICE, CaseStatus.final),
    _step("report-back", "report", set(CaseStatus) - {CaseStatus.registered}, OFFICE),
)}
ACTIONS = tuple(dict.fromkeys(action for action, _ in STEPS))


def steps_of(action: str) -> list[str]:
    return [step for (name, step) in STEPS if name == action]


def refusal(petition, action: str, step: str, role: Role, leader_post: LeaderPost | None = None) -> str | None:
    """Why this step may not happen now (a key of REFUSALS), or None when it may."""
    rule = STEPS.get((action, step))
    if rule is None:
        return "unknown"
    if role not in rule.roles:
        return "role"
    if petition.status not in rule.sources:
        return "state"
    return _precondition(petition, action, step, role, leader_post)


def _precondition(petition, action, step, role, leader_post) -> str | None:
    if action == "extend":
        pending = petition.extension_days > 0 and petition.extension_approved_on is None
        if step == "request" and petition.extension_days > 0:
            return "extension_exists"
        if step == "approve" and not pending:
            return "no_extension_pending"
    if action == "opinion":
        if step == "sign_off":
            if not petition.is_key:
                return "not_key"
            if role is Role.leader and leader_post not in MAIN_LEADER_POSTS:
                return "main_leader"
            if not petition.opinion_text:
                return "no_opinion_draft"
        if step == "issue" and petition.is_key and petition.opinion_signed_off_on is None:
            return "key_needs_sign_off"
    if action == "review" and step == "request" and petition.review_requested_on is not None:
        return "review_done"
    if action == "re-review" and step == "request":
        if petition.review_decided_on is None:
            return "review_first"
        if petition.re_review_requested_on is not None:
            return "re_review_done"
    if action == "report-back" and (petition.report_due_on is None or petition.reported_on is not None):
        return "nothing_to_report"
    return None


def date_problem(petition, action: str, step: str, on: date, today: date) -> str | None:
    """Why this date cannot be the date of the step (a key of REFUSALS), or None."""
    if on > today:
        return "future"
    if on < petition.received_on:
        return "before_receipt"
    if action == "assign" or action == "extend":
        return None
    if action == "review" and step == "request":
        return _window_problem(petition.opinion_on, on)
    if action == "re-review" and step == "request":
        return _window_problem(petition.review_decided_on, on)
    if action in ("opinion", "return-visit", "close") and petition.accepted_on and on < petition.accepted_on:
        return "before_acceptance"
    return None


def _window_problem(opened: date | None, on: date) -> str | None:
    if opened is None:
        return None
    if on < opened:
        return "before_decision"
    if (on - opened).days > REQUEST_WINDOW_DAYS:
        return "window_passed"
    return None


def apply(petition, action: str, step: str, values: dict, author_id: int | None) -> PetitionEvent:
    """Make the step's change on the petition and append its timeline line; the caller has checked refusal()."""
    rule = STEPS[(action, step)]
    on: date = values["on"]
    text = (values.get("text") or "").strip()
    kind = CHANGES[(action, step)](petition, values, on, text)
    if rule.target is not None:
        petition.status = rule.target
    event = PetitionEvent(kind=kind, happened_on=on, text=text, author_id=author_id)
    petition.events.append(event)
    return event


def _accept(petition, values, on, text):
    petition.accepted_on = on
    petition.decided_on = on
    petition.acceptance_note = text
    return EventKind.accepted


def _not_accept(petition, values, on, text):
    petition.acceptance_note = text
    petition.decided_on = on
    return EventKind.not_accepted


def _forward(petition, values, on, text):
    petition.forwarded_to = values["forwarded_to"].strip()
    petition.acceptance_note = text
    petition.decided_on = on
    return EventKind.forwarded


def _assign(petition, values, on, text):
    for name in ("leader_id", "lead_unit_id", "responsible_person", "handling_opinion", "closure_standard",
                 "is_key", "duty_facts", "duty_resolve", "duty_guide", "duty_settle", "report_due_on"):
        if name in values:
            setattr(petition, name, values[name])
    return EventKind.assigned


def _progress(petition, values, on, text):
    for name in ("duty_facts", "duty_resolve", "duty_guide", "duty_settle"):
        if values.get(name):
            setattr(petition, name, True)
    return EventKind.progress


def _request_extension(petition, values, on, text):
    petition.extension_days = values["days"]
    petition.extension_reason = text
    return EventKind.extension_requested


def _approve_extension(petition, values, on, text):
    petition.extension_approved_on = on
    return EventKind.extension_approved


def _submit_opinion(petition, values, on, text):
    petition.outcome = Outcome(values["outcome"])
    petition.opinion_text = text
    petition.opinion_pending = True
    petition.opinion_signed_off_on = None  # a changed draft needs a fresh sign-off
    return EventKind.opinion_submitted


def _sign_off(petition, values, on, text):
    petition.opinion_signed_off_on = on
    return EventKind.opinion_signed_off


def _issue_opinion(petition, values, on, text):
    petition.outcome = Outcome(values["outcome"])
    petition.opinion_text = text
    petition.opinion_pending = False
    petition.opinion_on = on
    return EventKind.opinion_issued


def _return_visit(petition, values, on, text):
    petition.satisfaction = Satisfaction(values["satisfaction"])
    petition.return_visit_on = on
    return EventKind.return_visit


def _close(petition, values, on, text):
    petition.closed_on = on
    petition.resolution = Resolution(values["resolution"]) if values.get("resolution") else None
    return EventKind.closed


def _request_review(petition, values, on, text):
    petition.review_requested_on = on
    return EventKind.review_requested


def _decide_review(petition, values, on, text):
    petition.review_decided_on = on
    petition.closed_on = on
    return EventKind.review_decided


def _request_re_review(petition, values, on, text):
    petition.re_review_requested_on = on
    return EventKind.re_review_requested


def _hearing(petition, values, on, text):
    # A hearing's days do not count toward the re-review clock (DOMAIN §3).
    petition.hearing_days += (values["ended_on"] - on).days + 1
    return EventKind.hearing


def _decide_re_review(petition, values, on, text):
    petition.re_review_decided_on = on
    petition.closed_on = on
    return EventKind.re_review_decided


def _report(petition, values, on, text):
    petition.reported_on = on
    return EventKind.reported_back


CHANGES = {
    ("accept", "accept"): _accept, ("accept", "not_accept"): _not_accept, ("accept", "forward"): _forward,
    ("assign", "assign"): _assign, ("progress", "progress"): _progress,
    ("extend", "request"): _request_extension, ("extend", "approve"): _approve_extension,
    ("opinion", "submit"): _submit_opinion, ("opinion", "sign_off"): _sign_off,
    ("opinion", "issue"): _issue_opinion, ("return-visit", "record"): _return_visit, ("close", "close"): _close,
    ("review", "request"): _request_review, ("review", "decide"): _decide_review,
    ("re-review", "request"): _request_re_review, ("re-review", "hearing"): _hearing,
    ("re-review", "decide"): _decide_re_review, ("report-back", "report"): _report,
}
assert CHANGES.keys() == STEPS.keys()


@dataclass(frozen=True)
class Clock:
    """A deadline of the case: its key, how it was counted, and whether it is still running."""

    key: str
    due: DueDate
    running: bool


def _counted(calendar, key: str, start: date, extra_days: int = 0) -> DueDate:
    length, rule = CLOCK_RULES[key]
    return add_days(calendar, start, length + extra_days, rule)


def case_clocks(petition, calendar) -> list[Clock]:
    """Every clock that applies to the petition, in the order they start."""
    status = petition.status
    clocks = [Clock("acceptance", _counted(calendar, "acceptance", petition.received_on),
                    status is CaseStatus.registered)]
    if petition.channel is Channel.assigned:
        clocks.append(Clock("objection", _counted(calendar, "objection", petition.received_on),
                            status is CaseStatus.registered))
    if petition.accepted_on:
        extension = petition.extension_days if petition.extension_approved_on else 0
        clocks.append(Clock("handling", _counted(calendar, "handling", petition.accepted_on, extension),
                            status in (CaseStatus.accepted, CaseStatus.in_progress)))
    if petition.review_requested_on:
        clocks.append(Clock("review", _counted(calendar, "review", petition.review_requested_on),
                            status is CaseStatus.review))
    if petition.re_review_requested_on:
        clocks.append(Clock("re_review", _counted(calendar, "re_review", petition.re_review_requested_on,
                                                  petition.hearing_days), status is CaseStatus.re_review))
    if petition.report_due_on:
        fixed = DueDate(RULE_FIXED, petition.report_due_on, 0, petition.report_due_on, (), frozenset(), ())
        clocks.append(Clock("report_back", fixed, petition.reported_on is None and status not in (
            CaseStatus.not_accepted, CaseStatus.forwarded)))
    return clocks


def running_due(petition, calendar) -> date | None:
    """The earliest due date among the running clocks: what lists filter and sort on (`Petition.due_on`)."""
    dues = [clock.due.due for clock in case_clocks(petition, calendar) if clock.running]
    return min(dues) if dues else None


def clock_dates(petition, calendar) -> dict[str, date | None]:
    """The clock dates a petition keeps in its row: `due_on` (the earliest running clock, what lists filter and sort
    on), and the acceptance and handling due dates the statistics compare with (whether or not still running)."""
    clocks = {clock.key: clock.due.due for clock in case_clocks(petition, calendar)}
    return {"due_on": running_due(petition, calendar), "acceptance_due_on": clocks["acceptance"],
            "handling_due_on": clocks.get("handling")}


def set_clock_dates(petition, calendar) -> None:
    """Store clock_dates() on the petition: after registration, after every step, when the calendar changes."""
    for name, value in clock_dates(petition, calendar).items():
        setattr(petition, name, value)

"""The rectification ledger's rules (整改台账, DOMAIN §4): deadlines on the working-day calendar, who an item is
addressed to, and when progress, verification and sign-off (销号) may happen.

Plain functions over values and records; refusals are keys of item_forms.ITEM_REFUSALS. Nothing here touches the
database session or the request, so the rules are tested as plain functions.
"""
from __future__ import annotations

from datetime import date

from models import RectificationStatus
from workdays import RULE_WORKING_DAYS, Calendar, DueDate, add_days

DEADLINE_ON_DATE = "date"
DEADLINE_IN_WORKING_DAYS = "working_days"
MAX_WORKING_DAYS = 250  # about a year of working days; a longer rectification is not a deadline


def working_days_deadline(calendar: Calendar, opened_on: date, days: int) -> DueDate:
    """"Within N working days" counted on the official calendar from the opening date (day 1 is the next one)."""
    return add_days(calendar, opened_on, days, RULE_WORKING_DAYS)


def next_working_day(calendar: Calendar, day: date) -> date:
    """The first working day after `day`."""
    return add_days(calendar, day, 1, RULE_WORKING_DAYS).due


def deadline_refusal(calendar: Calendar, deadline: date, opened_on: date,
                     inspected_on: date | None = None) -> str | None:
    """Why this deadline is refused ("before_inspection", "deadline_before_opening", "rest_day"), or None."""
    if inspected_on is not None and deadline < inspected_on:
        return "before_inspection"
    if deadline < opened_on:
        return "deadline_before_opening"
    if not calendar.is_working_day(deadline):
        return "rest_day"
    return None


def opening_refusal(opened_on: date, today: date, inspected_on: date | None = None) -> str | None:
    """An item is opened on a past or present day, not before the inspection that found the problem."""
    if opened_on > today:
        return "future"
    if inspected_on is not None and opened_on < inspected_on:
        return "opened_before_inspection"
    return None


def addresses_accused_unit(petition, unit_id: int | None, leader=None) -> bool:
    """Whether addressing this unit (or a leader of it) about the case would reach the accused unit (DOMAIN §6)."""
    if petition is None or petition.accused_unit_id is None:
        return False
    return unit_id == petition.accused_unit_id or (leader is not None and leader.unit_id == petition.accused_unit_id)


def days_overdue(item, today: date) -> int:
    """Calendar days past the deadline of an open item; 0 when it is not overdue."""
    overdue = item.status is RectificationStatus.open and item.deadline < today
    return (today - item.deadline).days if overdue else 0


def progress_refusal(item, happened_on: date, today: date) -> str | None:
    """Progress is added to an open item, dated between its opening and today."""
    if item.status is not RectificationStatus.open:
        return "closed"
    if happened_on > today:
        return "future"
    if happened_on < item.opened_on:
        return "before_opening"
    return None


def verification_refusal(item, verified_on: date, today: date) -> str | None:
    """The effect is verified on an open item, on a day between its opening and today."""
    return progress_refusal(item, verified_on, today)


def sign_off_refusal(item) -> str | None:
    """销号 only after a recorded verification of the effect, once."""
    if item.status is not RectificationStatus.open:
        return "closed"
    if not (item.verification or "").strip() or item.verified_on is None:
        return "not_verified"
    return None


def verify(item, text: str, verified_on: date, user_id: int | None) -> None:
    item.verification, item.verified_on, item.verified_by_id = text.strip(), verified_on, user_id


def sign_off(item, today: date, user_id: int | None) -> None:
    item.status, item.closed_on, item.closed_by_id = RectificationStatus.closed, today, user_id


def addressee_of_finding(finding) -> tuple[int | None, int | None]:
    """(unit id, leader id) a finding's item or notice goes to: its case's lead unit and leader, else its leader's
    unit, else its session's unit, else the unit or rectification item it names."""
    petition = finding.petition
    if petition is not None and (petition.lead_unit_id or petition.leader is not None):
        unit_id = petition.lead_unit_id or petition.leader.unit_id
        return unit_id, petition.leader_id
    if finding.leader is not None:
        return finding.leader.unit_id, finding.leader_id
    if finding.session is not None:
        return finding.session.unit_id, None
    if finding.unit_id is not None:
        return finding.unit_id, None
    if finding.item is not None:
        return finding.item.unit_id, finding.item.leader_id
    return None, None


def addressee_of_inspection(inspection) -> tuple[int | None, int | None]:
    """(unit id, leader id) from an inspection's target: its unit, its leader (and the leader's unit), its case."""
    leader_id = inspection.leader_id
    unit_id = inspection.unit_id
    if unit_id is None and inspection.leader is not None:
        unit_id = inspection.leader.unit_id
    if inspection.petition is not None:
        unit_id = unit_id or inspection.petition.lead_unit_id
        leader_id = leader_id or inspection.petition.leader_id
    return unit_id, leader_id


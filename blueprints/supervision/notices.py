"""The rules of supervision notices (督办单, DOMAIN §4): numbering, issue, the escalation ladder
催办 → 督办 → 通报 → 问责, and the addressed unit's reply.

Plain functions over values and records; refusals are keys of notice_forms.NOTICE_REFUSALS. Every issue,
escalation and reply adds one SupervisionNoticeEvent, the notice's history. Nothing here touches the database
session or the request, so the rules are tested as plain functions.
"""
from __future__ import annotations

import re
from datetime import date

from models import NoticeEventKind, NoticeLevel, SupervisionNoticeEvent

LADDER = (NoticeLevel.reminder, NoticeLevel.supervision, NoticeLevel.circulation, NoticeLevel.accountability)
START_LEVELS = (NoticeLevel.reminder, NoticeLevel.supervision)
# From 督办 on, the unit answers in writing by a date.
NEEDS_REPLY_DEADLINE = frozenset(LADDER[1:])

NUMBER_PATTERN = re.compile(r"第(\d+)号$")


def number_prefix(year: int) -> str:
    return f"督办〔{year}〕第"


def notice_number(year: int, sequence: int) -> str:
    """督办〔2026〕第0001号: the official document number, one sequence per year."""
    return f"{number_prefix(year)}{sequence:04d}号"


def next_sequence(last_number: str | None) -> int:
    """The sequence after the year's highest number so far (1 for the year's first notice)."""
    match = NUMBER_PATTERN.search(last_number or "")
    return int(match.group(1)) + 1 if match else 1


def next_level(level: NoticeLevel) -> NoticeLevel | None:
    """The next rung of the ladder, or None at 问责."""
    position = LADDER.index(level)
    return LADDER[position + 1] if position + 1 < len(LADDER) else None


def issue_refusal(level: NoticeLevel, issued_on: date, reply_due_on: date | None, today: date) -> str | None:
    """A notice starts at 催办 or 督办, is dated today or earlier, and from 督办 on has a reply deadline on or after
    the issue date."""
    if level not in START_LEVELS:
        return "start_level"
    if issued_on > today:
        return "future"
    if level in NEEDS_REPLY_DEADLINE and reply_due_on is None:
        return "needs_deadline"
    if reply_due_on is not None and reply_due_on < issued_on:
        return "deadline_before_issue"
    return None


def issue(notice, user_id: int | None) -> SupervisionNoticeEvent:
    """Record the issue in the history (the caller has filled the notice)."""
    event = SupervisionNoticeEvent(kind=NoticeEventKind.issued, level=notice.level, happened_on=notice.issued_on,
                                   text=notice.requirement, author_id=user_id)
    notice.events.append(event)
    return event


def escalation_refusal(notice, on: date, today: date, reply_due_on: date | None = None, form=None,
                       decision: str = "") -> str | None:
    """Why the notice may not go up one rung now, or None. 问责 is the top; 督办 and above need a reply deadline
    on or after the escalation (a new one, or the notice's own if it has not passed); 问责 needs its form and the
    decision."""
    target = next_level(notice.level)
    if target is None:
        return "top"
    if on > today:
        return "future"
    if on < notice.issued_on:
        return "before_issue"
    if reply_due_on is not None and reply_due_on < on:
        return "deadline_before_escalation"
    if target in NEEDS_REPLY_DEADLINE and reply_due_on is None and (
            notice.reply_due_on is None or notice.reply_due_on < on):
        return "needs_deadline"
    if target is NoticeLevel.accountability:
        if form is None:
            return "needs_form"
        if not (decision or "").strip():
            return "needs_decision"
    return None


def escalate(notice, on: date, user_id: int | None, reply_due_on: date | None = None, form=None,
             decision: str = "", text: str = "") -> SupervisionNoticeEvent:
    """Move the notice up one rung (checked with escalation_refusal first).

    The reply to the earlier level stays in the history; the new level asks for a new reply."""
    notice.level = next_level(notice.level)
    if reply_due_on is not None:
        notice.reply_due_on = reply_due_on
    if notice.level is NoticeLevel.accountability:
        notice.accountability_form, notice.accountability_decision = form, decision.strip()
    notice.reply_text, notice.replied_on, notice.replied_by_id = "", None, None
    event = SupervisionNoticeEvent(kind=NoticeEventKind.escalated, level=notice.level, happened_on=on,
                                   text=(text or "").strip(), author_id=user_id)
    notice.events.append(event)
    return event


def reply_refusal(notice, may_reply: bool, on: date, today: date) -> str | None:
    """Only the addressed unit or leader replies (supervisors record a paper reply), once per level, dated
    between the issue and today."""
    if not may_reply:
        return "not_addressee"
    if notice.replied_on is not None:
        return "already_replied"
    if on > today:
        return "future"
    if on < notice.issued_on:
        return "before_issue"
    return None


def record_reply(notice, text: str, on: date, user_id: int | None, note: str = "") -> SupervisionNoticeEvent:
    """Store the written reply on the notice and in its history; `note` says who recorded a paper reply."""
    notice.reply_text, notice.replied_on, notice.replied_by_id = text.strip(), on, user_id
    history = f"{note}\n{notice.reply_text}" if note else notice.reply_text
    event = SupervisionNoticeEvent(kind=NoticeEventKind.replied, level=notice.level, happened_on=on, text=history,
                                   author_id=user_id)
    notice.events.append(event)
    return event


def reply_overdue(notice, today: date) -> bool:
    """No reply yet and the reply deadline has passed."""
    return notice.replied_on is None and notice.reply_due_on is not None and notice.reply_due_on < today

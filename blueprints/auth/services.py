"""Login throttling, kept in the database so it holds across every server worker."""
from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app

from models import LoginAttempt, as_utc, db, utcnow


def throttle_key(username: str) -> str:
    """The username as failures are counted: lower case, cut to the column (lower() can lengthen it: "İ" → "i̇")."""
    return username.lower()[:64]


def _recent_failures(column, value, since):
    return db.select(LoginAttempt.at).where(column == value, LoginAttempt.at >= since)


def lockout_minutes(username: str, address: str) -> int:
    """Minutes until this account or address may try again; 0 when it may try now."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    window: timedelta = current_app.config["LOGIN_LOCKOUT"]
    now = utcnow()
    since = now - window
    waits = []
    for column, value in ((LoginAttempt.username, throttle_key(username)), (LoginAttempt.address, address)):
        recent = db.session.scalars(
            _recent_failures(column, value, since).order_by(LoginAttempt.at.desc()).limit(limit)
        ).all()
        if len(recent) >= limit:
            oldest = as_utc(recent[-1])
            waits.append((oldest + window - now).total_seconds())
    return max((math.ceil(max(w, 1) / 60) for w in waits), default=0)


def record_failure(username: str, address: str) -> None:
    db.session.add(LoginAttempt(username=throttle_key(username), address=address))


def clear_failures(username: str) -> None:
    db.session.execute(db.delete(LoginAttempt).where(LoginAttempt.username == throttle_key(username)))

"""The audit log: every create, change and state transition of an audited model is recorded at flush."""
from __future__ import annotations

import enum
import getpass
from datetime import date, datetime, time
from decimal import Decimal

from flask import g, has_request_context, request
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from models import AuditAction, AuditLog, db, utcnow

# Status-like columns: a change of one of these is logged as a state transition.
TRANSITION_FIELDS = frozenset({"status", "state"})
SECRET_PLACEHOLDER = "******"


def current_actor() -> tuple[int | None, str, str | None]:
    """(user id, name, address) of whoever is acting: the logged-in user, or the shell user for CLI work."""
    if has_request_context():
        # The user loaded for this request (enforce_access loads it first); loading it here,
        # in the middle of a flush, would query the database from inside the flush.
        user = g.get("_login_user")
        if user is not None and user.is_authenticated:
            return user.id, user.username, request.remote_addr
        return None, "anonymous", request.remote_addr
    return None, f"cli:{getpass.getuser()}", None


def plain(value):
    """A JSON-safe rendering of a column value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def field_changes(obj, only_modified: bool) -> dict[str, list]:
    """{column: [old, new]} for the object's columns; secrets are recorded as changed without values."""
    state = inspect(obj)
    secret = getattr(obj, "__audit_secret__", frozenset())
    changes = {}
    for column in state.mapper.column_attrs:
        if column.key == "version":
            continue
        history = state.attrs[column.key].history
        if only_modified and not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else getattr(obj, column.key)
        if only_modified and plain(old) == plain(new):
            continue
        if column.key in secret:
            old, new = (SECRET_PLACEHOLDER if old else None), SECRET_PLACEHOLDER
        changes[column.key] = [plain(old), plain(new)]
    return changes


def object_id(obj) -> str:
    # The identity key is not assigned yet during after_flush; the primary key attributes are.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return "/".join(str(plain(v)) for v in key)


def audit_row(obj, action: AuditAction, changes: dict) -> dict:
    actor_id, actor_name, address = current_actor()
    return {
        "at": utcnow(),
        "actor_id": actor_id,
        "actor_name": actor_name,
        "action": action,
        "object_type": obj.__tablename__,
        "object_id": object_id(obj),
        "object_label": str(obj)[:200],
        "changes": changes,
        "address": address,
    }


def rows_for_flush(session: Session) -> list[dict]:
    rows = []
    for obj in session.new:
        if getattr(obj, "__audited__", False):
            rows.append(audit_row(obj, AuditAction.create, field_changes(obj, only_modified=False)))
    for obj in session.dirty:
        if getattr(obj, "__audited__", False) and session.is_modified(obj, include_collections=False):
            changes = field_changes(obj, only_modified=True)
            if changes:
                action = AuditAction.transition if TRANSITION_FIELDS & changes.keys() else AuditAction.update
                rows.append(audit_row(obj, action, changes))
    for obj in session.deleted:
        if getattr(obj, "__audited__", False):
            rows.append(audit_row(obj, AuditAction.delete, {}))
    return rows


def after_flush(session: Session, flush_context) -> None:
    # Inserted with Core on the flush's own connection: same transaction, no recursive flush.
    rows = rows_for_flush(session)
    if rows:
        session.connection().execute(insert(AuditLog), rows)


def record_event(action: AuditAction, object_type: str, object_id: str, label: str = "", changes=None) -> None:
    """Record an event that is not a row change (a login, a reveal of personal data) in the current transaction."""
    actor_id, actor_name, address = current_actor()
    db.session.add(
        AuditLog(
            actor_id=actor_id,
            actor_name=actor_name,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_label=label[:200],
            changes=changes or {},
            address=address,
        )
    )


def register_audit_listener() -> None:
    """Attach the flush listener once per process."""
    if not event.contains(Session, "after_flush", after_flush):
        event.listen(Session, "after_flush", after_flush)

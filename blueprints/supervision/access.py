"""Who sees which rectification items and notices: supervisors and admins all, a unit or leader what is addressed
to them (DOMAIN §4), as one SQL condition per kind used by every list, page and count."""
from __future__ import annotations

from sqlalchemy import false, or_, true

from models import Leader, RectificationItem, Role, SupervisionNotice, db

SUPERVISORS = frozenset({Role.supervisor, Role.admin})


def supervises(user) -> bool:
    return user.role in SUPERVISORS


def _addressed(model, user):
    if supervises(user):
        return true()
    conditions = []
    if user.unit_id is not None:
        conditions.append(model.unit_id == user.unit_id)
    if user.role is Role.leader:
        conditions.append(model.leader_id.in_(db.select(Leader.id).where(Leader.user_id == user.id)))
    return or_(*conditions) if conditions else false()


def visible_items(user):
    """The condition a rectification item must meet for this user to see it."""
    return _addressed(RectificationItem, user)


def visible_notices(user):
    """The condition a supervision notice must meet for this user to see it."""
    return _addressed(SupervisionNotice, user)


def is_addressee(user, record) -> bool:
    """Whether the user belongs to the unit, or is the leader, an item or a notice is addressed to."""
    if user.unit_id is not None and record.unit_id == user.unit_id:
        return True
    return (user.role is Role.leader and record.leader_id is not None and record.leader is not None
            and record.leader.user_id == user.id)

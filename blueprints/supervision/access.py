"""Who sees which rectification items and notices: supervisors and admins all, a unit or leader what is addressed
to them (DOMAIN §4), as one SQL condition per kind used by every list, page and count. Whatever is about an
accusation against the user's own unit is hidden with the case (DOMAIN §6), from supervisors and admins too."""
from __future__ import annotations

from sqlalchemy import and_, false, or_, true

from models import CheckFinding, Inspection, Leader, Petition, RectificationItem, Role, SupervisionNotice, db

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


def shows_case(column, user):
    """The condition that the case a record is about (`column`, its petition id) is none, or not an accusation against
    the user's unit: nobody of the accused unit may learn of it (blueprints/cases/access.visible_petitions)."""
    if user.unit_id is None:
        return true()
    return or_(column.is_(None), column.not_in(db.select(Petition.id).where(Petition.accused_unit_id == user.unit_id)))


def visible_items(user):
    """The condition a rectification item must meet for this user to see it."""
    return and_(_addressed(RectificationItem, user), shows_case(RectificationItem.petition_id, user))


def visible_notices(user):
    """The condition a supervision notice must meet for this user to see it (its own case, or its item's)."""
    items = db.select(RectificationItem.id).where(shows_case(RectificationItem.petition_id, user))
    return and_(_addressed(SupervisionNotice, user), shows_case(SupervisionNotice.petition_id, user),
                or_(SupervisionNotice.item_id.is_(None), SupervisionNotice.item_id.in_(items)))


def visible_inspections(user):
    """The condition an inspection must meet for this user (a supervisor or admin) to see it."""
    return shows_case(Inspection.petition_id, user)


def visible_findings(user):
    """The condition a check finding must meet for this user (a supervisor or admin) to see it."""
    return shows_case(CheckFinding.petition_id, user)


def is_addressee(user, record) -> bool:
    """Whether the user belongs to the unit, or is the leader, an item or a notice is addressed to."""
    if user.unit_id is not None and record.unit_id == user.unit_id:
        return True
    return (user.role is Role.leader and record.leader_id is not None and record.leader is not None
            and record.leader.user_id == user.id)

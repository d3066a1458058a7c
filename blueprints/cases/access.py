"""Who may see which petitions: one SQL condition used by every list, search, count, page and export."""
from __future__ import annotations

from sqlalchemy import and_, false, or_, true

from models import Leader, LeaderPost, Petition, Role, db, petition_co_unit

READ_ALL = frozenset({Role.admin, Role.clerk, Role.supervisor})
SEES_PERSONAL_DATA = frozenset({Role.admin, Role.clerk})
# The main leaders sign off key cases and read the weekly report of every package case.
MAIN_LEADER_POSTS = frozenset({LeaderPost.county_secretary, LeaderPost.county_head})


def visible_petitions(user):
    """The condition a petition must meet for this user to know it exists (DOMAIN §6)."""
    if user.role in READ_ALL:
        scope = true()
    elif user.role is Role.leader:
        scope = Petition.leader_id.in_(db.select(Leader.id).where(Leader.user_id == user.id))
        # The main leaders get the weekly report of every package case (DOMAIN §2) and open those cases from it.
        main = db.select(Leader.id).where(Leader.user_id == user.id, Leader.post.in_(MAIN_LEADER_POSTS))
        scope = or_(scope, and_(Petition.leader_id.is_not(None), main.correlate(None).exists()))
    elif user.role is Role.handler and user.unit_id is not None:
        co_unit = db.select(petition_co_unit.c.petition_id).where(petition_co_unit.c.unit_id == user.unit_id)
        scope = or_(Petition.lead_unit_id == user.unit_id, Petition.id.in_(co_unit))
    else:
        scope = false()
    if user.unit_id is None:
        return scope
    # Accusations never reach anyone of the accused unit, whatever their role.
    return and_(scope, or_(Petition.accused_unit_id.is_(None), Petition.accused_unit_id != user.unit_id))


def may_see_personal_data(user, petition: Petition) -> bool:
    """Full ID numbers and phones: office staff, admins and the handling unit (with an audited reveal)."""
    if user.role in SEES_PERSONAL_DATA:
        return True
    return user.role is Role.handler and user.unit_id is not None and (
        petition.lead_unit_id == user.unit_id or any(unit.id == user.unit_id for unit in petition.co_units))

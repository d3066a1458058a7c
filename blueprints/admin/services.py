"""Filling admin forms' choices and applying them to records, with the checks that span records."""
from flask_babel import gettext as _

from blueprints.shared import options, tree_choices
from models import Category, Leader, LeaderPost, ReceptionMethod, Role, Unit, UnitKind, User, db

LIST_KINDS = {"categories": Category, "methods": ReceptionMethod}


def all_units():
    return db.session.scalars(db.select(Unit).order_by(Unit.sort_order, Unit.name)).all()


def descendant_ids(unit: Unit) -> set[int]:
    ids, frontier = {unit.id}, [unit]
    while frontier:
        node = frontier.pop()
        for child in node.children:
            if child.id not in ids:
                ids.add(child.id)
                frontier.append(child)
    return ids


def name_taken(model, name: str, current, **scope) -> bool:
    query = db.select(model.id).where(model.name == name).filter_by(**scope)
    if current is not None:
        query = query.where(model.id != current.id)
    return db.session.scalar(query) is not None


def fill_user_choices(form) -> None:
    form.unit_id.choices = tree_choices(all_units(), empty_label=_("(none)"))


def apply_user_form(form, user: User | None) -> bool:
    username = form.username.data.strip()
    clash = db.select(User.id).where(db.func.lower(User.username) == username.lower())
    if user is not None:
        clash = clash.where(User.id != user.id)
    if db.session.scalar(clash) is not None:
        form.username.errors.append(_("This username is already in use."))
        return False
    if user is None and not form.password.data:
        form.password.errors.append(_("A new account needs a password."))
        return False
    if user is None:
        user = User()
        db.session.add(user)
    user.username = username
    user.display_name = form.display_name.data.strip()
    user.role = Role(form.role.data)
    user.unit_id = form.unit_id.data
    user.active = form.active.data
    if form.password.data:
        user.set_password(form.password.data)
    return True


def fill_unit_choices(form, unit: Unit | None) -> None:
    excluded = descendant_ids(unit) if unit is not None else set()
    form.parent_id.choices = tree_choices(all_units(), empty_label=_("(top level)"), exclude=excluded)


def apply_unit_form(form, unit: Unit | None) -> bool:
    name = form.name.data.strip()
    if name_taken(Unit, name, unit):
        form.name.errors.append(_("A unit with this name exists already."))
        return False
    if unit is None:
        unit = Unit()
        db.session.add(unit)
    unit.name = name
    unit.kind = UnitKind(form.kind.data)
    unit.parent_id = form.parent_id.data
    unit.sort_order = form.sort_order.data or 0
    unit.active = form.active.data
    return True


def fill_leader_choices(form, leader: Leader | None) -> None:
    form.unit_id.choices = tree_choices(all_units(), empty_label=_("(choose)"))
    taken = db.select(Leader.user_id).where(Leader.user_id.is_not(None))
    if leader is not None:
        taken = taken.where(Leader.id != leader.id)
    accounts = db.session.scalars(
        db.select(User).where(User.role == Role.leader, User.id.not_in(taken)).order_by(User.username)
    ).all()
    form.user_id.choices = options([("", _("(none)"))] + [(u.id, str(u)) for u in accounts])


def apply_leader_form(form, leader: Leader | None) -> bool:
    if leader is None:
        leader = Leader()
        db.session.add(leader)
    leader.name = form.name.data.strip()
    leader.title = form.title.data.strip()
    leader.portfolio = (form.portfolio.data or "").strip()
    leader.post = LeaderPost(form.post.data)
    leader.unit_id = form.unit_id.data
    leader.user_id = form.user_id.data
    leader.sort_order = form.sort_order.data or 0
    leader.active = form.active.data
    return True


def fill_list_choices(form, kind: str, item) -> None:
    if kind == "categories":
        tops = db.session.scalars(
            db.select(Category).where(Category.parent_id.is_(None)).order_by(Category.sort_order, Category.name)
        ).all()
        excluded = {item.id} if item is not None else set()
        form.parent_id.choices = tree_choices(tops, empty_label=_("(level 1)"), exclude=excluded)
    else:
        del form.parent_id


def apply_list_form(form, kind: str, item) -> bool:
    model = LIST_KINDS[kind]
    name = form.name.data.strip()
    parent_id = form.parent_id.data if kind == "categories" else None
    if item is not None and kind == "categories" and parent_id is not None and item.children:
        form.parent_id.errors.append(_("A category with sub-categories must stay at level 1."))
        return False
    scope = {"parent_id": parent_id} if kind == "categories" else {}
    if name_taken(model, name, item, **scope):
        form.name.errors.append(_("This name is already in the list."))
        return False
    if item is None:
        item = model()
        db.session.add(item)
    item.name = name
    if kind == "categories":
        item.parent_id = parent_id
    item.sort_order = form.sort_order.data or 0
    item.active = form.active.data
    return True

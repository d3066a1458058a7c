"""What several blueprints use: access rules, object loading, optimistic-lock checks and masking filters."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import abort, current_app, flash, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
import wtforms
from wtforms import HiddenField, SelectChoice, SelectMultipleField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from models import CalendarDay, CalendarYear, Leader, Role, Unit, db
from workdays import Calendar

ALL_ROLES = frozenset(Role)
MAX_ID = 2**31 - 1  # the largest id a PostgreSQL integer column holds: a larger number names no record


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # the media type of every workbook download

def public(view):
    """Mark a view as open to anonymous visitors; every other view requires a login."""
    view.is_public = True
    return view


def role_required(*roles: Role):
    """Restrict a view to the given roles (checked centrally by `enforce_access`)."""

    def decorator(view):
        view.allowed_roles = frozenset(roles)
        return view

    return decorator


def blueprint_roles(blueprint, *roles: Role) -> None:
    """Default roles for every view of a blueprint that does not declare its own."""
    blueprint.allowed_roles = frozenset(roles)


def allowed_roles(endpoint: str) -> frozenset[Role] | None:
    """The roles that may call an endpoint, or None when it is public; fails closed to no role."""
    view = current_app.view_functions[endpoint]
    if getattr(view, "is_public", False) or endpoint == "static":
        return None
    declared = getattr(view, "allowed_roles", None)
    if declared is None and "." in endpoint:
        blueprint = current_app.blueprints.get(endpoint.rsplit(".", 1)[0])
        declared = getattr(blueprint, "allowed_roles", None)
    return declared if declared is not None else frozenset()


def enforce_access():
    """before_request: anonymous users go to the login page, other roles get 403."""
    authenticated = current_user.is_authenticated  # loads the user before any flush needs it (audit)
    if request.endpoint is None or request.endpoint not in current_app.view_functions:
        return None
    roles = allowed_roles(request.endpoint)
    if roles is None:
        return None
    if not authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role not in roles:
        abort(403)
    return None


def usable_input_only():
    """before_request of the page blueprints: what no page can use is refused before a view runs. A JSON body
    (Flask-WTF would hand it to a form as it is: lists, objects, numbers, or a parse that overflows the stack) and a
    NUL character in the form or the query (a PostgreSQL text value cannot hold one) answer 400; an id in the URL
    beyond MAX_ID answers 404, as any unknown id does. The JSON API has its own blueprint and checks."""
    if request.method == "POST" and request.is_json:
        abort(400)
    if any(isinstance(value, int) and value > MAX_ID for value in (request.view_args or {}).values()):
        abort(404)
    if any("\x00" in value for _name, value in request.values.items(multi=True)):
        abort(400)


def official_calendar() -> Calendar:
    """The working-day calendar: the package, corrected by the admin's overrides and loaded years."""
    overrides = dict(db.session.execute(db.select(CalendarDay.day, CalendarDay.is_working)).all())
    years = frozenset(db.session.scalars(db.select(CalendarYear.year)).all())
    return Calendar(overrides=overrides, confirmed_years=years)


def active_units() -> list[Unit]:
    """The units a form may offer, in the tree's order."""
    return db.session.scalars(db.select(Unit).where(Unit.active.is_(True)).order_by(Unit.sort_order, Unit.name)).all()


def active_leaders() -> list[Leader]:
    """The leaders a form may offer."""
    return db.session.scalars(
        db.select(Leader).where(Leader.active.is_(True)).order_by(Leader.sort_order, Leader.name)).all()


def get_or_404(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths are followed after login."""
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


def flash_concurrent_change() -> None:
    flash(_("Someone else changed this record while you were editing. Your input is kept below; "
            "reload the page to see their change, then apply yours again."), "danger")


def version_conflict(obj, form) -> bool:
    """True (with a flash) when the record changed since the form was loaded."""
    if str(form.version.data) == str(obj.version):
        return False
    flash_concurrent_change()
    return True


def commit_or_report() -> bool:
    """Commit; on a concurrent change or a duplicate, roll back, flash why, and return False."""
    try:
        db.session.commit()
        return True
    except StaleDataError:
        db.session.rollback()
        flash_concurrent_change()
    except IntegrityError:
        db.session.rollback()
        flash(_("This would duplicate or break a link to another record; nothing was saved."), "danger")
    return False


def flatten_tree(items) -> list[tuple[object, int]]:
    """Order items with a parent_id as a depth-first tree: [(item, depth), …]; cycles are cut."""
    children: dict = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    rows, seen = [], set()

    def walk(parent_id, depth):
        for item in children.get(parent_id, []):
            if item.id not in seen:
                seen.add(item.id)
                rows.append((item, depth))
                walk(item.id, depth + 1)

    walk(None, 0)
    return rows


def list_date(args, name: str) -> date | None:
    """A YYYY-MM-DD query argument of a list page, or None when it is missing or not a date."""
    try:
        return date.fromisoformat((args.get(name) or "").strip())
    except ValueError:
        return None


def id_from(value: str | None) -> int | None:
    """The record id a query argument or form value gives, or None when it is not a whole number up to MAX_ID
    ("²" is a digit to isdigit() but not to int(), and a larger number would overflow the query)."""
    text = value or ""
    if text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID)) and int(text) <= MAX_ID:
        return int(text)
    return None


def optional_id(value):
    """Coerce a select value to an id, with "" meaning none."""
    if value in (None, "", "None"):
        return None
    return int(value)


class IntegerField(wtforms.IntegerField):
    """WTForms' IntegerField, with a number longer than any id "not a valid integer value": NumberRange compares
    through math.isnan(), which overflows past 308 digits, and no field here counts that far."""

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-")) > len(str(MAX_ID)):
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)


class VersionedForm(FlaskForm):
    """An edit form that carries the record's version, so a stale save is refused."""

    version = HiddenField()


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # WTForms' own message for this case has no Chinese translation.
        allowed = {choice.value for choice in self.choices}
        if any(value not in allowed for value in self.data or ()):
            raise ValidationError(_l("Choose only from the options listed."))


class PostForm(FlaskForm):
    """A form with nothing but the CSRF token, for POST-only buttons (log out, publish, …)."""


def options(pairs) -> list[SelectChoice]:
    """Select or radio options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def enum_options(enum_class) -> list[SelectChoice]:
    return [SelectChoice(member.value, member.label) for member in enum_class]


def tree_choices(items, empty_label=None, exclude=frozenset()) -> list[SelectChoice]:
    """Select options for a tree, indented (with ideographic spaces) by depth, without the excluded ids."""
    pairs = [("", empty_label)] if empty_label is not None else []
    pairs += [(item.id, "\u3000" * depth + item.name) for item, depth in flatten_tree(items) if item.id not in exclude]
    return options(pairs)


def mask_id_number(value: str | None) -> str:
    """330102199001011234 → 330102********1234."""
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 4, 0) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """13812345678 → 138****5678."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# The main menu: (endpoint, label, roles that see it). Features add their entries here.
NAVIGATION = (
    ("auth.home", _l("Home"), ALL_ROLES),
    ("cases.petitions", _l("Petitions"), ALL_ROLES),
    ("cases.mine", _l("My package cases"), frozenset({Role.leader})),
    # Leaders reach the weekly report from their package cases: only the main leaders may open it.
    ("cases.weekly", _l("Weekly package report"), frozenset({Role.admin, Role.clerk, Role.supervisor})),
    ("reception.sessions", _l("Reception"), frozenset({Role.admin, Role.clerk, Role.leader, Role.supervisor})),
    # Units and leaders see there only the rectification items and notices addressed to them.
    ("supervision.index", _l("Supervision"), ALL_ROLES),
    ("stats.dashboard", _l("Statistics"), ALL_ROLES),
    ("admin.users", _l("Users"), frozenset({Role.admin})),
    ("admin.units", _l("Units"), frozenset({Role.admin})),
    ("admin.leaders", _l("Leaders"), frozenset({Role.admin})),
    ("admin.lists", _l("Lists"), frozenset({Role.admin})),
    ("admin.calendar", _l("Working-day calendar"), frozenset({Role.admin})),
    ("admin.audit_log", _l("Audit log"), frozenset({Role.admin})),
)


def navigation_for(user) -> list[tuple[str, str]]:
    if not user or not user.is_authenticated:
        return []
    return [(endpoint, label) for endpoint, label, roles in NAVIGATION if user.role in roles]

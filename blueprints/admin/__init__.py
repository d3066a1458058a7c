"""Administration: users, units, leaders, editable lists, the working-day calendar and the audit log."""
from flask import Blueprint

from blueprints.shared import blueprint_roles, usable_input_only
from models import Role

bp = Blueprint("admin", __name__)
blueprint_roles(bp, Role.admin)
bp.before_request(usable_input_only)

from blueprints.admin import calendar_views, views  # noqa: E402,F401  (registers the routes)

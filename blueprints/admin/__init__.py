"""Administration: users, units, leaders, editable lists, the working-day calendar and the audit log."""
from flask import Blueprint

from blueprints.shared import blueprint_roles
from models import Role

bp = Blueprint("admin", __name__)
blueprint_roles(bp, Role.admin)

from blueprints.admin import calendar_views, views  # noqa: E402,F401  (registers the routes)

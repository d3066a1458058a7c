"""Reception schedules: sessions, the month rota, quotas and reception records."""
from flask import Blueprint

from blueprints.shared import blueprint_roles, usable_input_only
from models import Role

bp = Blueprint("reception", __name__)
blueprint_roles(bp, Role.admin, Role.clerk, Role.leader, Role.supervisor)
bp.before_request(usable_input_only)

# Who may change the schedule; supervisors only read it.
PLANNERS = (Role.admin, Role.clerk, Role.leader)

from blueprints.reception import rota_views, views  # noqa: E402,F401  (registers the routes)

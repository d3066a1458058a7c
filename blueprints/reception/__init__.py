"""Reception schedules: sessions, the month rota, quotas and reception records."""
from flask import Blueprint

from blueprints.shared import blueprint_roles
from models import Role

bp = Blueprint("reception", __name__)
blueprint_roles(bp, Role.admin, Role.clerk, Role.leader, Role.supervisor)

# Who may change the schedule; supervisors only read it.
PLANNERS = (Role.admin, Role.clerk, Role.leader)

from blueprints.reception import rota_views, views  # noqa: E402,F401  (registers the routes)

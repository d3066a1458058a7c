"""Login, logout, password change, language choice and the signed-in home page."""
from flask import Blueprint

from blueprints.shared import ALL_ROLES, blueprint_roles, usable_input_only

bp = Blueprint("auth", __name__)
blueprint_roles(bp, *ALL_ROLES)
bp.before_request(usable_input_only)

from blueprints.auth import views  # noqa: E402,F401  (registers the routes)

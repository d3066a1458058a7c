"""Login, logout, password change, language choice and the signed-in home page."""
from flask import Blueprint

from blueprints.shared import ALL_ROLES, blueprint_roles

bp = Blueprint("auth", __name__)
blueprint_roles(bp, *ALL_ROLES)

from blueprints.auth import views  # noqa: E402,F401  (registers the routes)

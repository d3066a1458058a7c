"""The JSON API, for API tokens (Authorization: Bearer) and signed-in sessions."""
from flask import Blueprint

from blueprints.shared import ALL_ROLES, blueprint_roles

bp = Blueprint("api", __name__)
blueprint_roles(bp, *ALL_ROLES)

from blueprints.api import views  # noqa: E402,F401  (registers the routes)
from blueprints.api import cases, openapi  # noqa: E402,F401  (the cases API and its OpenAPI document)
from blueprints.api import checks  # noqa: E402,F401  (running the automated checks, reading a run)
from blueprints.api import stats  # noqa: E402,F401  (the statistics of a period)

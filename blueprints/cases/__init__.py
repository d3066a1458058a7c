"""Case packages: petitions from intake to closure."""
from flask import Blueprint

from blueprints.shared import ALL_ROLES, blueprint_roles, usable_input_only

bp = Blueprint("cases", __name__)
blueprint_roles(bp, *ALL_ROLES)  # what each role sees is narrowed by blueprints/cases/access.py
bp.before_request(usable_input_only)

from blueprints.cases import views  # noqa: E402,F401  (registers the routes)
from blueprints.cases import attachment_views  # noqa: E402,F401  (upload and download routes)
from blueprints.cases import package_views  # noqa: E402,F401  (my package cases, weekly report)
from blueprints.cases import ledger_views  # noqa: E402,F401  (ledger workbook import and export)

"""Supervision (督查督办): inspections, the rectification ledger, supervision notices, automated checks, assessment."""
from flask import Blueprint

from blueprints.shared import blueprint_roles, usable_input_only
from models import Role

bp = Blueprint("supervision", __name__)
# Supervisors and admins by default; the pages a unit or leader uses for what is addressed to them declare
# every role and narrow the rows with blueprints/supervision/access.py.
blueprint_roles(bp, Role.supervisor, Role.admin)
bp.before_request(usable_input_only)

from blueprints.supervision import check_views  # noqa: E402,F401  (automated checks and their runs)
from blueprints.supervision import inspection_views  # noqa: E402,F401  (inspections, rounds, evidence)
from blueprints.supervision import item_views  # noqa: E402,F401  (rectification ledger)
from blueprints.supervision import notice_views  # noqa: E402,F401  (supervision notices, 督办单)
from blueprints.supervision import assessment_views  # noqa: E402,F401  (assessment table and weights)

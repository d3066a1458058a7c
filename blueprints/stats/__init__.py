"""Statistics (统计): the dashboard with year-on-year figures, breakdowns and trends, reports and campaigns."""
from flask import Blueprint

from blueprints.shared import blueprint_roles, usable_input_only
from models import Role

bp = Blueprint("stats", __name__)
# Figures count only the cases the user may see (the case list's condition, cases/access.visible_petitions): a
# unit its own, never an accusation against itself.
blueprint_roles(bp, Role.admin, Role.clerk, Role.supervisor, Role.leader, Role.handler)
bp.before_request(usable_input_only)

from blueprints.stats import dashboard_views  # noqa: E402,F401  (dashboard, breakdowns, trend, workbook)
from blueprints.stats import annual_views  # noqa: E402,F401  (the year's work report and its workbook)
from blueprints.stats import campaign_views  # noqa: E402,F401  (campaigns: tagging and their figures)

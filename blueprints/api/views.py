"""JSON API views."""
from datetime import date

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from blueprints.api import bp
from blueprints.api.cases import ApiError, not_understood
from blueprints.public.cache import cached_public
from blueprints.public.schedule import BadRange, parse_range, public_fields, public_sessions
from blueprints.shared import public


@bp.before_request
def protect_session_writes():
    """The blueprint is CSRF-exempt for token callers; a browser session's writes still need the token."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and "Authorization" not in request.headers:
        CSRFProtect().protect()


@bp.before_request
def refuse_nul_in_query():
    """A NUL character in the query answers 400 naming the argument: a PostgreSQL text value cannot hold one."""
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise ApiError(400, not_understood(), name)


@bp.route("/me")
def me():
    """Who the caller is; any authenticated caller."""
    return {
        "username": current_user.username,
        "display_name": current_user.display_name,
        "role": current_user.role.value,
        "unit": current_user.unit.name if current_user.unit else None,
    }


@bp.route("/receptions")
@public
@cached_public
def receptions():
    """Published reception sessions as JSON, filtered by `from`/`to` (YYYY-MM-DD); anyone may call it."""
    today = date.today()
    try:
        start, end = parse_range(request.args, today, 7 * 8 - 1)
    except BadRange:
        return {"error": _("Give from and to as YYYY-MM-DD, from before to, at most 400 days apart."),
                "status": 400}, 400
    return jsonify([public_fields(item) for item in public_sessions(start, end)])

"""JSON API views."""
from flask import request
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from blueprints.api import bp


@bp.before_request
def protect_session_writes():
    """The blueprint is CSRF-exempt for token callers; a browser session's writes still need the token."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and "Authorization" not in request.headers:
        CSRFProtect().protect()


@bp.route("/me")
def me():
    """Who the caller is; any authenticated caller."""
    return {
        "username": current_user.username,
        "display_name": current_user.display_name,
        "role": current_user.role.value,
        "unit": current_user.unit.name if current_user.unit else None,
    }

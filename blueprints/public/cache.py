"""A per-process cache of public responses, checked against a revision counter in the database.

Every flush that touches what the public pages show raises the `public` revision; a cached answer
is served only while the revision, the day and the language it was made for still hold, so no
worker ever serves a stale schedule. Reading the counter is one primary-key lookup.
"""
from __future__ import annotations

from collections import OrderedDict
import threading
from datetime import date
from functools import wraps

from flask import Response, current_app, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from models import Leader, ReceptionMethod, ReceptionSession, Revision, Unit, db

PUBLIC = "public"
SHOWN_PUBLICLY = (ReceptionSession, Leader, Unit, ReceptionMethod)
MAX_ENTRIES = 512
STORING = threading.Lock()  # a gunicorn worker's threads share its cache


def raise_revision_on_change(session: Session, flush_context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, SHOWN_PUBLICLY) for obj in changed):
        connection = session.connection()
        bumped = connection.execute(update(Revision).where(Revision.name == PUBLIC).values(value=Revision.value + 1))
        if bumped.rowcount == 0:
            connection.execute(Revision.__table__.insert().values(name=PUBLIC, value=1))


def register_revision_listener() -> None:
    if not event.contains(Session, "after_flush", raise_revision_on_change):
        event.listen(Session, "after_flush", raise_revision_on_change)


def current_revision() -> int:
    return db.session.scalar(select(Revision.value).where(Revision.name == PUBLIC)) or 0


def cached_public(view):
    """Serve a public view to anonymous visitors from the cache while its data has not changed.

    Only the body is kept: each answer is a new response, so no cookie or header of one visit
    reaches another. Signed-in users always get a fresh page (it shows their name).
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_app.config["PUBLIC_CACHE"] or current_user.is_authenticated:
            return view(*args, **kwargs)
        responses = current_app.extensions.setdefault("public_cache", OrderedDict())
        key = (current_revision(), date.today(), str(get_locale()), request.full_path)
        entry = responses.get(key)
        if entry is None:
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
            entry = (response.get_data(), response.mimetype, response.headers.get("Content-Disposition"))
            with STORING:
                responses[key] = entry
                if len(responses) > MAX_ENTRIES:
                    responses.popitem(last=False)
        body, mimetype, disposition = entry
        response = Response(body, mimetype=mimetype)
        if disposition:
            response.headers["Content-Disposition"] = disposition
        return response

    return wrapper

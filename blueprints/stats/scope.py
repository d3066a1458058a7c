"""Whose cases a user's figures count: the same condition as every case list (DOMAIN §6), so a figure's link
lists exactly the cases it counted. A handler counts their unit's cases; nobody counts an accusation against
their own unit."""
from __future__ import annotations

from blueprints.cases.access import visible_petitions


def stats_scope(user):
    return visible_petitions(user)

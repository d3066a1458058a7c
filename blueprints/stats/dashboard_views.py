"""The statistics dashboard (placeholder until the dashboard lands)."""
from flask import render_template_string

from blueprints.stats import bp


@bp.route("/")
def dashboard():
    return render_template_string("{% extends 'base.html' %}{% block content %}{% endblock %}")

"""Public pages; anyone may call them."""
from flask import render_template

from blueprints.public import bp
from blueprints.shared import public


@bp.route("/")
@public
def index():
    """The public start page, where posted reception times appear."""
    return render_template("public/index.html")

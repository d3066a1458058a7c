"""Views of the auth blueprint."""
from datetime import date

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from audit import record_event
from blueprints.auth import bp
from blueprints.auth.forms import LoginForm, PasswordForm
from blueprints.auth.services import clear_failures, lockout_minutes, record_failure
from blueprints.shared import is_safe_next, public
from models import AuditAction, Leader, ReceptionSession, SessionStatus, User, db

UPCOMING_LIMIT = 10


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """The login page; anyone may call it."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    address = request.remote_addr or "unknown"
    wait = lockout_minutes(form.username.data, address)
    if wait:
        flash(_("Too many failed logins. Please try again in %(n)d minutes.", n=wait), "danger")
        return render_template("auth/login.html", form=form), 429
    user = db.session.scalar(db.select(User).where(db.func.lower(User.username) == form.username.data.lower()))
    if user is None or not user.active or not user.check_password(form.password.data):
        record_failure(form.username.data, address)
        record_event(AuditAction.login_failed, "user_account", str(user.id if user else ""), form.username.data)
        db.session.commit()
        flash(_("Wrong username or password."), "danger")
        return render_template("auth/login.html", form=form), 401
    clear_failures(user.username)
    login_user(user)
    session.permanent = True
    record_event(AuditAction.login, "user_account", str(user.id), str(user))
    db.session.commit()
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("auth.home"))


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (POST only, with CSRF); any signed-in user."""
    record_event(AuditAction.logout, "user_account", str(current_user.id), str(current_user))
    db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/home")
def home():
    """The signed-in start page, by role."""
    leader = current_user.leader
    upcoming = db.session.scalars(
        db.select(ReceptionSession)
        .where(ReceptionSession.leaders.any(Leader.id == leader.id), ReceptionSession.day >= date.today(),
               ReceptionSession.status.in_((SessionStatus.draft, SessionStatus.published)))
        .order_by(ReceptionSession.day, ReceptionSession.start_time).limit(UPCOMING_LIMIT)
    ).all() if leader else []
    return render_template("auth/home.html", unit=current_user.unit, leader=leader, upcoming=upcoming)


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    """Change one's own password; any signed-in user."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            current_user.set_password(form.new_password.data)
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.home"))
    return render_template("auth/password.html", form=form)


@bp.route("/language/<code>", methods=["GET", "POST"])
@public
def set_language(code):
    """Switch the interface language; anyone may call it. Visitors follow a link (GET) that only sets
    their session; signed-in users post a CSRF-protected form that also saves their choice."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if request.method == "POST" and current_user.is_authenticated and current_user.locale != code:
            current_user.locale = code
            db.session.commit()
    target = request.values.get("next", "")
    return redirect(target if is_safe_next(target) else url_for("public.index"))

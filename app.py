"""The application factory: configuration, extensions, blueprints, error handlers and CLI commands."""
from __future__ import annotations

import os
import secrets
import sqlite3
from datetime import timedelta
from pathlib import Path

from flask import Flask, flash, redirect, render_template, request, session, url_for
from flask_babel import Babel
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

import commands
from audit import register_audit_listener
from blueprints.public.cache import register_revision_listener
from blueprints import admin, api, auth, cases, public, reception, stats, supervision
from blueprints.cases.attachments import readable_size
from blueprints.shared import enforce_access, mask_id_number, mask_phone, navigation_for
from models import ApiToken, Role, User, db, utcnow

LANGUAGES = ("zh_CN", "en")
BASE_DIR = Path(__file__).resolve().parent

login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
babel = Babel()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(app.instance_path) / 'xinfang.sqlite3'}",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        LANGUAGES=LANGUAGES,
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        BABEL_TRANSLATION_DIRECTORIES=str(BASE_DIR / "translations"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        ATTACHMENT_MAX_BYTES=10 * 1024 * 1024,  # per file; MAX_CONTENT_LENGTH caps a whole upload
        ATTACHMENT_DIR=str(Path(app.instance_path) / "attachments"),  # case files, never under static/
        LOGIN_MAX_FAILURES=5,
        LOGIN_LOCKOUT=timedelta(minutes=15),
        PAGE_SIZE=50,
        OFFICE_NAME="县信访局",
        OFFICE_PHONE="0000-12345",
        TRUSTED_PROXIES=0,  # reverse proxies in front (nginx: 1) whose X-Forwarded-For is believed
        PUBLIC_CACHE=True,  # serve unchanged public pages from memory (blueprints/public/cache.py)
        CHECK_STALE_DAYS=14, CHECK_LOOKBACK_DAYS=90,  # checks: days without progress; look-back (repeats, closings)
    )
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("SESSION_COOKIE_SECURE") == "1":
        app.config["SESSION_COOKIE_SECURE"] = True
    if os.environ.get("PUBLIC_CACHE") == "0":
        app.config["PUBLIC_CACHE"] = False
    if os.environ.get("TRUSTED_PROXIES", "").isdigit():
        app.config["TRUSTED_PROXIES"] = int(os.environ["TRUSTED_PROXIES"])
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path))

    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.json.ensure_ascii = False  # Chinese stays readable in the JSON API
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_error_handlers(app)
    register_template_helpers(app)
    commands.register(app)
    return app


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret(instance: Path) -> str:
    """The secret key kept in instance/secret_key, generated on first start."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


@event.listens_for(Engine, "connect")
def configure_sqlite(dbapi_connection, connection_record):
    """WAL, foreign keys and a busy timeout on every SQLite connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    return LANGUAGES[0]


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    register_audit_listener()
    register_revision_listener()


@login_manager.unauthorized_handler
def ask_for_login():
    """API callers get 401 JSON; people are sent to the login page and brought back afterwards."""
    if request.path.startswith("/api/"):
        return {"error": str(_l("Authentication required.")), "status": 401}, 401
    flash(login_manager.login_message, login_manager.login_message_category)
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(url_for("auth.login", next=target))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    """API clients send `Authorization: Bearer <token>`; only /api/ honours it."""
    header = req.headers.get("Authorization", "")
    if not req.path.startswith("/api/") or not header.startswith("Bearer "):
        return None
    token = db.session.scalar(
        db.select(ApiToken).where(ApiToken.token_hash == ApiToken.digest(header[len("Bearer "):].strip()))
    )
    if token is None or not token.user.active:
        return None
    # A Core update: no ORM flush (and so no audit entry) while the user is still being loaded.
    db.session.execute(db.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=utcnow()))
    db.session.commit()
    return token.user


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp, url_prefix="/auth")
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.register_blueprint(reception.bp, url_prefix="/reception")
    app.register_blueprint(cases.bp, url_prefix="/cases")
    app.register_blueprint(supervision.bp, url_prefix="/supervision")
    app.register_blueprint(stats.bp, url_prefix="/stats")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    csrf.exempt(api.bp)  # token-authenticated; session callers are checked in the blueprint


def register_request_hooks(app: Flask) -> None:
    app.before_request(enforce_access)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if current_user and current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_error_handlers(app: Flask) -> None:
    messages = {
        400: _l("The request could not be understood. Please check what you entered and try again."),
        403: _l("You do not have permission to open this page."),
        404: _l("The page you asked for does not exist."),
        405: _l("This page cannot be used that way."),
        500: _l("Something went wrong on our side. The error has been logged; please try again later."),
    }

    def render_error(code, message):
        db.session.rollback()
        if request.path.startswith("/api/"):
            return {"error": str(message), "status": code}, code
        return render_template("errors/error.html", code=code, message=message), code

    def handler(code, message):
        # A view may abort with a specific description (e.g. which URL argument is wrong).
        def handle(error):
            described = getattr(error, "description", None)
            own = described if described and described != type(error).description else None
            return render_error(code, own or message)
        return handle

    for code, message in messages.items():
        app.register_error_handler(code, handler(code, message))

    @app.errorhandler(413)
    def too_large(error):
        return render_error(413, _("What was sent is larger than the site accepts (at most %(size)s); nothing was "
                                   "saved.", size=readable_size(app.config["MAX_CONTENT_LENGTH"])))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _l("This form has expired or was not sent from this site. "
                                    "Go back, reload the page and submit it again."))


WEEKDAY_NAMES = {
    "zh_CN": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def day_with_weekday(day) -> str:
    """2026-12-01 周二: the schedule's date format, without a Babel lookup per call (hot on public pages)."""
    return f"{day.isoformat()} {WEEKDAY_NAMES[select_locale()][day.weekday()]}"


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["weekday_date"] = day_with_weekday
    app.jinja_env.filters["mask_id"] = mask_id_number
    app.jinja_env.filters["mask_phone"] = mask_phone

    @app.context_processor
    def layout_context():
        return {
            "navigation": navigation_for(current_user),
            "languages": LANGUAGES,
            "current_locale": select_locale(),
            "office_name": app.config["OFFICE_NAME"],
            "office_phone": app.config["OFFICE_PHONE"],
            "Role": Role,
        }

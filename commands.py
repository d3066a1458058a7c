"""Command-line tasks: `flask --app app init-db | create-user | create-token | seed-demo | backup | restore |
import-ledger | run-checks | tag-campaigns`."""
from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

import backups
import demo
import demo_cases
import demo_supervision
from blueprints.cases import ledger
from blueprints.stats.campaigns import running_campaigns, tag_campaign_cases
from blueprints.supervision import runs
from models import ApiToken, CheckKind, CheckTrigger, Petition, Role, User, db


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the database schema by applying every migration."""
    upgrade()
    click.echo("Database is up to date.")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", help="Prompted for when omitted.")
@click.option("--name", "display_name", help="Full name; defaults to the username.")
def create_user(username, role, password, display_name):
    """Create a user account."""
    if db.session.scalar(db.select(User).where(db.func.lower(User.username) == username.lower())):
        raise click.ClickException(f"user {username!r} exists already")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException("the password needs at least 8 characters")
    user = User(username=username, display_name=display_name or username, role=Role(role))
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {username}.")


@click.command("create-token")
@with_appcontext
@click.argument("username")
def create_token(username):
    """Print a new API token for a user; only its hash is stored, so it is shown once."""
    user = db.session.scalar(db.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=ApiToken.digest(token)))
    db.session.commit()
    click.echo(token)


@click.command("seed-demo")
@with_appcontext
@click.option("--seed", default=1, show_default=True, help="Seed for the generated demo data.")
@click.option("--cases", default=0, show_default=True, type=click.IntRange(min=0),
              help="Also add this many generated petitions (bulk inserts).")
def seed_demo(seed, cases):
    """Load the demo data once (units, leaders, lists, users of every role, reception sessions), optionally
    add generated petitions, and print the demo logins."""
    if demo.already_loaded():
        click.echo("Demo data is already loaded.")
    else:
        demo.load(seed, date.today())
        db.session.commit()
        demo_cases.load_cases(demo_cases.FIRST_LOAD, seed, date.today())
        demo_supervision.load(date.today())
        db.session.commit()
        click.echo(f"Demo data loaded, with {demo_cases.FIRST_LOAD} petitions.")
    if cases:
        written = demo_cases.load_cases(cases, seed, date.today())
        click.echo(f"Added {written} petitions.")
    click.echo("Demo logins (username / password):")
    for username, password, role in demo.LOGINS:
        click.echo(f"  {username:<12} {password:<14} {role}")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup(path):
    """Write a consistent copy of the database to PATH while the site keeps running."""
    try:
        backups.backup(database_url(), path)
    except backups.BackupProblem as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"Backup written to {path}.")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.confirmation_option("--yes", prompt="Every record in the database will be replaced by the backup's. Go on?",
                           help="Do not ask for confirmation.")
def restore(path):
    """Replace the database's contents with a backup made by `backup`, then apply any newer migration."""
    db.engine.dispose()  # no pooled connection of this process holds the database during the restore
    try:
        backups.restore(database_url(), path)
    except backups.BackupProblem as problem:
        raise click.ClickException(str(problem)) from None
    upgrade()
    cases = db.session.scalar(db.select(db.func.count(Petition.id)))
    click.echo(f"Restored from {path}: {cases} cases.")


def database_url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


@click.command("import-ledger")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--create-missing", is_flag=True, help="Create the units, leaders and categories the file names.")
def import_ledger(path, create_missing):
    """Import a case ledger workbook (信访事项台账); nothing is written if any row is bad."""
    # Problems are translated strings; a command has no request to choose a language from.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]), path.open("rb") as stream:
        result = ledger.import_ledger(stream, path.name, user=None, create_missing=create_missing)
        for problem in result.problems:
            click.echo(str(problem), err=True)
    if result.problems:
        raise click.ClickException(f"{len(result.problems)} problem(s) in {path.name}; nothing was imported.")
    db.session.commit()
    if result.created_names:
        click.echo("Created: " + ", ".join(result.created_names))
    click.echo(f"Imported {path.name}: {result.created} new, {result.updated} updated, "
               f"{result.unchanged} unchanged.")


@click.command("run-checks")
@with_appcontext
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Check as of this day (YYYY-MM-DD); "
              "default: today.")
def run_checks(today):
    """Run the automated supervision checks and print the count per check (for a scheduled job)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            run = runs.run_checks(CheckTrigger.cli, None, today.date() if today else date.today())
        except runs.RunInProgress as refused:
            raise click.ClickException(str(refused))
        click.echo(f"Check run #{run.id} as of {run.as_of.isoformat()} ({run.settings}):")
        for count in sorted(run.counts, key=lambda count: list(CheckKind).index(count.kind)):
            click.echo(f"  {count.kind.value:<20} {count.found:>8} found {count.new:>8} new "
                       f"{count.resolved:>8} resolved  {count.kind.label}")


@click.command("tag-campaigns")
@with_appcontext
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Tag the campaigns running on this day "
              "(YYYY-MM-DD); default: today.")
def tag_campaigns(today):
    """Re-tag the cases of the campaigns running today and print each one's counts (for a scheduled job)."""
    day = today.date() if today else date.today()
    campaigns = running_campaigns(day)
    counts = [(campaign, tag_campaign_cases(campaign)) for campaign in campaigns]
    db.session.commit()
    click.echo(f"Campaigns running on {day.isoformat()}: {len(campaigns)}")
    for campaign, (found, handled) in counts:
        click.echo(f"  #{campaign.id} {campaign.name}: {found} found, {handled} handled")


def register(app) -> None:
    for command in (init_db, create_user, create_token, seed_demo, backup, restore, import_ledger, run_checks,
                    tag_campaigns):
        app.cli.add_command(command)

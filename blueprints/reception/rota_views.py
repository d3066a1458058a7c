"""The month rota (one leader on duty every working day) and reception quotas; planners change, supervisors read."""
from datetime import date, time

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from blueprints.reception import PLANNERS, bp
from blueprints.reception.forms import QuotaForm, RotaForm
from blueprints.reception.rota import PoolLeader, build_rota
from blueprints.reception.services import (
    conflict_message,
    idle_leaders,
    month_bounds,
    month_working_days,
    on_duty_by_day,
    quota_table,
    quotas_by_post,
    uncovered_days,
)
from blueprints.reception.views import fill_session_choices
from blueprints.shared import PostForm, commit_or_report, flash_concurrent_change, role_required
from models import Leader, LeaderPost, ReceptionQuota, ReceptionSession, Role, SessionStatus, db


def parse_month(text: str | None) -> tuple[int, int] | None:
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        date(year, month, 1)
    except ValueError:
        return None
    return year, month


def default_month() -> str:
    today = date.today()
    return f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"


def rota_form(data) -> RotaForm:
    form = RotaForm(data, month=default_month(), start_time=time(9), end_time=time(12))
    fill_session_choices(form)
    return form


@bp.route("/rota")
def rota():
    """Propose a month's rota from a leader pool; list uncovered working days and idle leaders."""
    form = rota_form(request.args if request.args else None)
    proposal = None
    if request.args and form.validate():
        month = parse_month(form.month.data)
        if month is None:
            form.month.errors.append(_("Enter the month as YYYY-MM."))
        else:
            proposal = propose(month, form.leader_ids.data)
    return render_rota(form, proposal)


def render_rota(form, proposal, status=200):
    """The rota page; `proposal` is (days, pool leaders, {day: leader id}, {day: leader id already on duty})."""
    shown = parse_month(form.month.data) or parse_month(default_month())
    return render_template("reception/rota.html", form=form, proposal=proposal, publish_form=PostForm(),
                           uncovered=uncovered_days(*shown), idle=idle_leaders(date.today()),
                           shown=date(*shown, 1)), status


def propose(month, leader_ids, chosen=None):
    """The builder's proposal for the month, or the clerk's own choices when given."""
    first, last = month_bounds(*month)
    days = month_working_days(*month)
    quotas = quotas_by_post()
    leaders = db.session.scalars(
        db.select(Leader).where(Leader.id.in_(leader_ids)).order_by(Leader.sort_order, Leader.name)).all()
    on_duty = on_duty_by_day(first, last)
    if chosen is None:
        pool = [PoolLeader(leader.id, quotas.get(leader.post, 0)) for leader in leaders]
        chosen = build_rota(days, pool, on_duty).assignments
    return days, leaders, chosen, on_duty


@bp.route("/rota/publish", methods=["POST"])
@role_required(*PLANNERS)
def publish_rota():
    """Create and publish one session per chosen working day, all or nothing."""
    form = rota_form(request.form)
    month = parse_month(form.month.data)
    if not PostForm().validate_on_submit() or not form.validate() or month is None:
        flash(_("The rota could not be published: check the month, times, place, unit and method."), "danger")
        return redirect(url_for("reception.rota"))
    sessions, problems = rota_sessions(form, month)
    if problems:
        for problem in problems:
            flash(problem, "danger")
        chosen = {s.day: s.leaders[0].id for s in sessions}
        return render_rota(form, propose(month, form.leader_ids.data, chosen), 400)
    db.session.add_all(sessions)
    if commit_or_report():
        flash(_("%(n)d sessions published.", n=len(sessions)), "success")
    return redirect(url_for("reception.sessions", month=form.month.data))


def rota_sessions(form, month):
    """The sessions the clerk chose, and every reason one of them cannot be created."""
    working = set(month_working_days(*month))
    leaders = {leader.id: leader for leader in db.session.scalars(db.select(Leader)).all()}
    sessions, problems = [], []
    for key, value in request.form.items():
        if not key.startswith("day-") or not value:
            continue
        try:
            day, leader = date.fromisoformat(key[4:]), leaders.get(int(value))
        except ValueError:
            day, leader = None, None
        if day is None or day not in working or leader is None:
            problems.append(_("Invalid rota entry: %(entry)s.", entry=f"{key}={value}"))
            continue
        clash = conflict_message(None, day, form.start_time.data, form.end_time.data, form.place.data, [leader.id])
        if clash:
            problems.append(f"{day.isoformat()}: {clash}")
            continue
        sessions.append(ReceptionSession(
            day=day, start_time=form.start_time.data, end_time=form.end_time.data, place=form.place.data.strip(),
            unit_id=form.unit_id.data, method_id=form.method_id.data, booking=(form.booking.data or "").strip(),
            status=SessionStatus.published, leaders=[leader], sequence=1))
    return sessions, problems


def render_quotas(form, status=200):
    month = parse_month(request.args.get("month")) or (date.today().year, date.today().month)
    return render_template("reception/quotas.html", form=form, rows=quota_table(*month), month=date(*month, 1)), status


def stored_quotas() -> dict:
    """The saved quota of each post (a post never saved has none)."""
    return {quota.post: quota for quota in db.session.scalars(db.select(ReceptionQuota))}


def quota_data(stored) -> dict:
    """The form's values: each post's days and the version they were read at ("" when never saved)."""
    data = {post.value: stored[post].days_per_month if post in stored else 0 for post in LeaderPost}
    data.update({f"version_{post.value}": stored[post].version if post in stored else "" for post in LeaderPost})
    return data


def changed_since_read(form, stored) -> bool:
    """Whether a quota was saved, or saved again, after the form was read."""
    return any(str(form[f"version_{post.value}"].data or "") != (str(stored[post].version) if post in stored else "")
               for post in LeaderPost)


@bp.route("/quotas")
def quotas():
    """Quotas per post, and per leader and month: required, scheduled and held days."""
    return render_quotas(QuotaForm(data=quota_data(stored_quotas())))


@bp.route("/quotas", methods=["POST"])
@role_required(Role.admin, Role.clerk)
def save_quotas():
    """Save the days per month for every post; office staff and admins. A quota someone saved since the page was
    loaded is refused (409) with the input kept."""
    stored = stored_quotas()
    form = QuotaForm()
    if not form.validate_on_submit():
        return render_quotas(form, 400)
    if changed_since_read(form, stored):
        flash_concurrent_change()
        return render_quotas(form, 409)
    for post in LeaderPost:
        quota = stored.get(post) or ReceptionQuota(post=post)
        quota.days_per_month = form[post.value].data
        db.session.add(quota)
    if not commit_or_report():
        return render_quotas(form, 409)
    flash(_("The quotas have been saved."), "success")
    return redirect(url_for("reception.quotas"))

"""Automated check runs through the pages and the CLI: the button, storing findings without doubles, resolving them,
counts, the lock against concurrent runs, the run page, who may use it, and `flask run-checks`."""
import threading
from datetime import date, datetime, time, timedelta, timezone

import pytest

from blueprints.shared import official_calendar
from blueprints.supervision import runs
from blueprints.reception.services import month_bounds
from models import (
    CaseStatus,
    CheckCount,
    CheckFinding,
    CheckKind,
    CheckRun,
    CheckRunStatus,
    CheckTrigger,
    Leader,
    LeaderPost,
    Petition,
    ReceptionQuota,
    ReceptionRecord,
    ReceptionSession,
    RectificationItem,
    RectificationStatus,
    Role,
    SessionStatus,
    UnitKind,
    db,
)
from tests.conftest import ID_NUMBER, csrf_token_from

TODAY = date.today()


@pytest.fixture
def supervisor(app, client, login):
    """A supervisor logged in, reading English; runs write the findings' details in the office's default language,
    made English here too."""
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    user = login(Role.supervisor)
    client.get("/auth/language/en")
    return user


@pytest.fixture
def county(make_unit, make_leader):
    unit = make_unit("住建局", kind=UnitKind.department)
    return {"unit": unit, "leader": make_leader("赵包案", unit=unit)}


def overdue_case(make_petition, county, days=3, **fields):
    return make_petition(status=CaseStatus.in_progress, accepted_on=TODAY - timedelta(days=70),
                         due_on=TODAY - timedelta(days=days), lead_unit=county["unit"], leader=county["leader"],
                         **fields)


def run_now(client):
    response = client.post("/supervision/checks/run")
    assert response.status_code == 302, response.data
    return int(response.headers["Location"].rsplit("/", 1)[1])


def counts(app, run_id) -> dict:
    with app.app_context():
        return {c.kind: (c.found, c.new, c.resolved)
                for c in db.session.scalars(db.select(CheckCount).where(CheckCount.run_id == run_id))}


def findings(app, kind) -> list[CheckFinding]:
    with app.app_context():
        return db.session.scalars(db.select(CheckFinding).where(CheckFinding.kind == kind)
                                  .order_by(CheckFinding.id)).all()


def hold_lock(app, started_at=None) -> int:
    """A run that holds the lock, as a run in another process would."""
    with app.app_context():
        run = CheckRun(trigger=CheckTrigger.cli, status=CheckRunStatus.running, running_lock=1, as_of=TODAY,
                       started_at=started_at or datetime.now(timezone.utc))
        db.session.add(run)
        db.session.commit()
        return run.id


def test_the_button_runs_the_checks_and_shows_the_run(csrf_app, make_user, make_petition, county):
    client = csrf_app.test_client()
    user = make_user(Role.supervisor)
    client.post("/auth/login", data={"username": user.username, "password": "correct-horse-9",
                                     "csrf_token": csrf_token_from(client.get("/auth/login").data)})
    case_id = overdue_case(make_petition, county)
    page = client.get("/supervision/checks")
    assert page.status_code == 200 and 'action="/supervision/checks/run"' in page.get_data(as_text=True)
    assert client.post("/supervision/checks/run").status_code == 400  # no CSRF token: nothing runs
    with csrf_app.app_context():
        assert db.session.scalar(db.select(db.func.count(CheckRun.id))) == 0
    response = client.post("/supervision/checks/run", data={"csrf_token": csrf_token_from(page.data)})
    assert response.status_code == 302 and "/supervision/checks/runs/" in response.headers["Location"]
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in shown
    with csrf_app.app_context():
        run = db.session.scalar(db.select(CheckRun))
        assert (run.status, run.trigger, run.started_by_id, run.running_lock) == (
            CheckRunStatus.finished, CheckTrigger.page, user.id, None)
        assert run.settings == "stale=14d; lookback=90d; due_soon=5d"


def test_a_second_run_does_not_double_findings_and_counts_are_stored(app, client, supervisor, make_petition, county):
    case_id = overdue_case(make_petition, county)
    first = run_now(client)
    second = run_now(client)
    assert counts(app, first)[CheckKind.overdue_case] == (1, 1, 0)
    assert counts(app, second)[CheckKind.overdue_case] == (1, 0, 0)
    stored = findings(app, CheckKind.overdue_case)
    assert len(stored) == 1
    assert (stored[0].petition_id, stored[0].unit_id, stored[0].leader_id, stored[0].first_run_id) == (
        case_id, county["unit"].id, county["leader"].id, first)
    assert stored[0].resolved_run_id is None
    assert set(counts(app, first)) == set(CheckKind)  # every check stores its count, zero or not
    listing = client.get("/supervision/checks").get_data(as_text=True)
    assert f'href="/supervision/checks/runs/{first}?kind=overdue_case">1</a>' in listing


def test_a_finding_is_resolved_when_the_problem_is_gone(app, client, supervisor, make_petition, county):
    case_id = overdue_case(make_petition, county)
    first = run_now(client)
    with app.app_context():
        db.session.get(Petition, case_id).due_on = TODAY + timedelta(days=30)
        db.session.commit()
    second = run_now(client)
    assert counts(app, second)[CheckKind.overdue_case] == (0, 0, 1)
    [finding] = findings(app, CheckKind.overdue_case)
    assert (finding.first_run_id, finding.resolved_run_id) == (first, second)
    # The earlier run still shows what it found, now marked resolved; the later one does not list it.
    earlier = client.get(f"/supervision/checks/runs/{first}?kind=overdue_case").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in earlier and f"Resolved in run #{second}" in earlier
    later = client.get(f"/supervision/checks/runs/{second}?kind=overdue_case").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' not in later
    # Overdue again later: a new finding, the resolved one stays as it was.
    with app.app_context():
        db.session.get(Petition, case_id).due_on = TODAY - timedelta(days=1)
        db.session.commit()
    third = run_now(client)
    assert counts(app, third)[CheckKind.overdue_case] == (1, 1, 0)
    assert [(f.first_run_id, f.resolved_run_id) for f in findings(app, CheckKind.overdue_case)] == [
        (first, second), (third, None)]


def test_a_run_while_another_holds_the_lock_is_refused(app, client, supervisor, make_petition, county):
    overdue_case(make_petition, county)
    holder = hold_lock(app)
    response = client.post("/supervision/checks/run", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "flash-warning" in page
    assert f"The checks are already running (run #{holder}, started" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CheckRun.id))) == 1
        assert db.session.scalar(db.select(db.func.count(CheckFinding.id))) == 0


def test_a_lock_left_by_a_dead_run_is_taken_over(app, client, supervisor, make_petition, county):
    overdue_case(make_petition, county)
    dead = hold_lock(app, started_at=datetime.now(timezone.utc) - timedelta(hours=2))
    run_id = run_now(client)
    with app.app_context():
        old = db.session.get(CheckRun, dead)
        assert (old.status, old.running_lock) == (CheckRunStatus.failed, None) and "abandoned" in old.error
        assert db.session.get(CheckRun, run_id).status is CheckRunStatus.finished


def test_two_runs_at_once_in_two_threads_one_is_refused(app, make_petition, county, monkeypatch):
    """Two app contexts (two database sessions) on the same database: the second run finds the lock taken."""
    overdue_case(make_petition, county)
    inside, release = threading.Event(), threading.Event()
    real_calendar = runs.official_calendar

    def slow_calendar():
        inside.set()  # the first run holds the lock now
        assert release.wait(30)
        return real_calendar()

    monkeypatch.setattr(runs, "official_calendar", slow_calendar)
    outcome = {}

    def first():
        with app.app_context():
            outcome["first"] = runs.run_checks(CheckTrigger.cli, None, TODAY).id

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert inside.wait(30)
        with app.app_context():
            with pytest.raises(runs.RunInProgress) as refused:
                runs.run_checks(CheckTrigger.page, None, TODAY)
            assert refused.value.run_id == db.session.scalar(db.select(CheckRun.id))
    finally:
        release.set()
        thread.join(30)
    assert counts(app, outcome["first"])[CheckKind.overdue_case] == (1, 1, 0)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CheckRun.id))) == 1
    assert len(findings(app, CheckKind.overdue_case)) == 1


def test_a_failing_run_is_marked_failed_stores_nothing_and_releases_the_lock(app, make_petition, county,
                                                                              monkeypatch):
    overdue_case(make_petition, county)

    def broken(rows, today):
        raise RuntimeError("rule exploded")

    monkeypatch.setattr(runs, "CHECKS", (runs.CHECKS[0]._replace(rule=lambda rows, p: broken(rows, p.today)),))
    with app.app_context():
        with pytest.raises(RuntimeError):
            runs.run_checks(CheckTrigger.cli, None, TODAY)
        run = db.session.scalar(db.select(CheckRun))
        assert (run.status, run.running_lock, run.error) == (CheckRunStatus.failed, None,
                                                              "RuntimeError: rule exploded")
        assert db.session.scalar(db.select(db.func.count(CheckFinding.id))) == 0
    monkeypatch.undo()
    with app.app_context():
        assert runs.run_checks(CheckTrigger.cli, None, TODAY).status is CheckRunStatus.finished


def test_the_run_page_filters_by_check_links_follow_ups_and_counts_by_unit_and_leader(
        app, client, supervisor, make_petition, county):
    case_id = overdue_case(make_petition, county, summary="反映道路施工噪声扰民")
    run_id = run_now(client)
    [finding] = findings(app, CheckKind.overdue_case)
    page = client.get(f"/supervision/checks/runs/{run_id}?kind=overdue_case").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in page and "反映道路施工噪声扰民" in page
    assert f'href="/supervision/items/new?finding={finding.id}"' in page
    assert f'href="/supervision/notices/new?finding={finding.id}"' in page
    assert "3 days overdue" in page
    assert "Case findings by lead unit" in page and "住建局" in page and "赵包案" in page
    other = client.get(f"/supervision/checks/runs/{run_id}?kind=uncovered_day").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' not in other
    bad = client.get(f"/supervision/checks/runs/{run_id}?kind=nonsense")
    assert bad.status_code == 200 and "is not one of the checks" in bad.get_data(as_text=True)
    assert client.get("/supervision/checks/runs/999999").status_code == 404


def test_findings_are_paginated(app, client, supervisor, make_petition, county):
    ids = [overdue_case(make_petition, county, days=n) for n in (1, 2, 3)]
    run_id = run_now(client)
    app.config["PAGE_SIZE"] = 2
    first = client.get(f"/supervision/checks/runs/{run_id}?kind=overdue_case").get_data(as_text=True)
    second = client.get(f"/supervision/checks/runs/{run_id}?kind=overdue_case&page=2").get_data(as_text=True)
    assert f"/supervision/checks/runs/{run_id}?kind=overdue_case&amp;page=2" in first
    shown = [case_id for case_id in ids if f'href="/cases/{case_id}"' in first]
    assert len(shown) == 2
    assert [case_id for case_id in ids if f'href="/cases/{case_id}"' in second] == sorted(set(ids) - set(shown))


def test_sessions_quota_days_and_items_are_found_through_a_run(app, client, supervisor, make_leader, make_unit,
                                                                make_method, county):
    calendar = official_calendar_of(app)
    first, last = month_bounds(TODAY.year, TODAY.month)
    working = [first + timedelta(days=n) for n in range((last - first).days + 1)
               if calendar.is_working_day(first + timedelta(days=n))]
    yesterday = TODAY - timedelta(days=1)
    gap = next(day for day in reversed(working) if day != yesterday)
    unit, method = make_unit(kind=UnitKind.county), make_method()
    secretary = make_leader("钱书记", post=LeaderPost.county_secretary, unit=unit)
    other = make_leader("孙县长", post=LeaderPost.county_head, unit=unit)
    with app.app_context():
        db.session.add_all([ReceptionQuota(post=LeaderPost.county_secretary, days_per_month=2),
                            ReceptionQuota(post=LeaderPost.county_head, days_per_month=1)])

        def session(day, leader, status=None, start=time(9)):
            """Past days held (with a record), later ones published, unless told otherwise."""
            item = ReceptionSession(day=day, start_time=start, end_time=time(start.hour + 1), place="接待室",
                                    unit_id=unit.id, method_id=method.id,
                                    status=status or (SessionStatus.held if day < TODAY else SessionStatus.published),
                                    leaders=[db.session.get(Leader, leader.id)])
            if status is None and day < TODAY:
                item.record = ReceptionRecord()
            db.session.add(item)
            return item

        for day in working:
            if day != gap:
                session(day, other)
        session(first, secretary)  # one day of two in this month
        session(first - timedelta(days=1), secretary)  # last month: does not count
        session(working[-2], secretary, status=SessionStatus.cancelled, start=time(14))
        session(gap, secretary, status=SessionStatus.draft, start=time(14))  # a draft puts nobody on duty
        unrecorded = session(yesterday, other, status=SessionStatus.published, start=time(15))
        session(yesterday, other, start=time(17))  # held, with its record
        db.session.add_all([RectificationItem(unit_id=county["unit"].id, responsible_person="周", problem="台账不全",
                                              measures="补齐", opened_on=TODAY - timedelta(days=30),
                                              deadline=TODAY - timedelta(days=2), status=status)
                            for status in (RectificationStatus.open, RectificationStatus.closed)])
        db.session.commit()
        unrecorded_id = unrecorded.id
        item_id = db.session.scalar(db.select(RectificationItem.id).where(
            RectificationItem.status == RectificationStatus.open))
    run_id = run_now(client)
    assert [(f.leader_id, f.subject) for f in findings(app, CheckKind.quota_shortfall)] == [
        (secretary.id, f"leader:{secretary.id}:{TODAY:%Y-%m}")]
    assert [f.day for f in findings(app, CheckKind.uncovered_day)] == [gap]
    assert [f.session_id for f in findings(app, CheckKind.unrecorded_session)] == [unrecorded_id]
    assert [f.item_id for f in findings(app, CheckKind.overdue_item)] == [item_id]
    page = client.get(f"/supervision/checks/runs/{run_id}").get_data(as_text=True)
    assert f'href="/reception/{unrecorded_id}"' in page and f'href="/supervision/items/{item_id}"' in page
    assert f"/reception/?leader={secretary.id}" in page and "1 of 2 reception days scheduled" in page


def official_calendar_of(app):
    with app.app_context():
        return official_calendar()


def test_stale_closed_and_repeat_cases_are_found_through_a_run(app, client, supervisor, make_petition, county,
                                                                category):
    app.config["CHECK_STALE_DAYS"] = 7
    stale = make_petition(status=CaseStatus.accepted, accepted_on=TODAY - timedelta(days=20),
                          due_on=TODAY + timedelta(days=40), lead_unit=county["unit"], id_number="")
    closed = make_petition(status=CaseStatus.closed, closed_on=TODAY - timedelta(days=3), lead_unit=county["unit"],
                           id_number="")
    make_petition(received_on=TODAY - timedelta(days=200), category_id=category.id, name="王某某")
    latest = make_petition(received_on=TODAY - timedelta(days=2), category_id=category.id, lead_unit=county["unit"],
                           name="王某某")
    run_id = run_now(client)
    assert [f.petition_id for f in findings(app, CheckKind.stale_case)] == [stale]
    assert [f.petition_id for f in findings(app, CheckKind.no_return_visit)] == [closed]
    [repeat] = findings(app, CheckKind.repeat_matter)
    assert repeat.petition_id == latest and repeat.unit_id == county["unit"].id
    assert ID_NUMBER not in repeat.subject + repeat.detail and "王某某" not in repeat.subject + repeat.detail
    assert "raised 2 times" in repeat.detail
    page = client.get(f"/supervision/checks/runs/{run_id}").get_data(as_text=True)
    assert ID_NUMBER not in page and "王某某" not in page
    with app.app_context():
        assert db.session.get(CheckRun, run_id).settings == "stale=7d; lookback=90d; due_soon=5d"


@pytest.mark.parametrize("role", [Role.clerk, Role.handler, Role.leader])
def test_only_supervisors_and_admins_use_the_checks(app, client, login, role):
    run_id = hold_lock(app)
    login(role)
    assert client.get("/supervision/checks").status_code == 403
    assert client.post("/supervision/checks/run").status_code == 403
    assert client.get(f"/supervision/checks/runs/{run_id}").status_code == 403


@pytest.mark.parametrize("role", [Role.supervisor, Role.admin])
def test_supervisors_and_admins_see_the_check_pages(app, client, login, role):
    run_id = hold_lock(app)
    login(role)
    assert client.get("/supervision/checks").status_code == 200
    assert client.get(f"/supervision/checks/runs/{run_id}").status_code == 200


def test_the_cli_prints_counts_and_refuses_while_a_run_holds_the_lock(app, make_petition, county):
    overdue_case(make_petition, county, days=10)
    runner = app.test_cli_runner()
    as_of = TODAY - timedelta(days=5)
    result = runner.invoke(args=["run-checks", "--today", as_of.isoformat()])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[1:]}
    assert set(lines) == {kind.value for kind in CheckKind}
    assert lines["overdue_case"][:5] == ["1", "found", "1", "new", "0"]
    assert f"as of {as_of.isoformat()}" in result.output
    with app.app_context():
        run = db.session.scalar(db.select(CheckRun))
        assert (run.trigger, run.as_of, run.started_by_id) == (CheckTrigger.cli, as_of, None)
    holder = hold_lock(app)
    refused = runner.invoke(args=["run-checks"])
    assert refused.exit_code == 1 and str(holder) in refused.output
    assert runner.invoke(args=["run-checks", "--today", "2026-02-30"]).exit_code == 2


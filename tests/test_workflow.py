"""The case workflow: the state machine and clocks as plain functions, then the steps through the case page."""
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from blueprints.cases.workflow import (
    STEPS,
    apply,
    case_clocks,
    date_problem,
    refusal,
    running_due,
)
from models import (
    CaseStatus,
    Channel,
    EventKind,
    LeaderPost,
    Outcome,
    Petition,
    Purpose,
    Role,
    Satisfaction,
    UnitKind,
    db,
)
from tests.conftest import PASSWORD, csrf_token_from
from workdays import Calendar

CALENDAR = Calendar({}, frozenset())  # the chinesecalendar package alone: 2026 is known


def case(**fields):
    values = dict(status=CaseStatus.registered, received_on=date(2026, 3, 2), channel=Channel.visit, accepted_on=None,
                  extension_days=0, extension_approved_on=None, is_key=False, opinion_text="",
                  opinion_signed_off_on=None, opinion_on=None, review_requested_on=None, review_decided_on=None,
                  re_review_requested_on=None, hearing_days=0, report_due_on=None, reported_on=None)
    values.update(fields)
    return SimpleNamespace(**values)


# --- rules as plain functions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status, action, step, allowed", [
    (CaseStatus.registered, "accept", "accept", True),
    (CaseStatus.registered, "assign", "assign", False),
    (CaseStatus.accepted, "accept", "accept", False),
    (CaseStatus.in_progress, "close", "close", False),
    (CaseStatus.opinion_issued, "close", "close", True),
    (CaseStatus.closed, "progress", "progress", False),
    (CaseStatus.final, "review", "request", False),
    (CaseStatus.not_accepted, "assign", "assign", False),
])
def test_illegal_transitions_are_refused(status, action, step, allowed):
    assert (refusal(case(status=status), action, step, Role.clerk) is None) is allowed


def test_roles_per_step():
    running = case(status=CaseStatus.in_progress, opinion_text="draft")
    assert refusal(running, "opinion", "issue", Role.handler) == "role"
    assert refusal(running, "opinion", "submit", Role.handler) is None
    assert refusal(running, "progress", "progress", Role.leader) is None
    assert refusal(running, "progress", "progress", Role.supervisor) == "role"
    assert refusal(case(), "accept", "accept", Role.leader) == "role"
    assert refusal(case(), "accept", "nonsense", Role.clerk) == "unknown"


def test_key_case_needs_the_main_leaders_sign_off_before_issue():
    key = case(status=CaseStatus.in_progress, is_key=True, opinion_text="支持")
    assert refusal(key, "opinion", "issue", Role.clerk) == "key_needs_sign_off"
    assert refusal(key, "opinion", "sign_off", Role.leader, LeaderPost.county_leader) == "main_leader"
    assert refusal(key, "opinion", "sign_off", Role.leader, LeaderPost.county_head) is None
    key.opinion_signed_off_on = date(2026, 4, 1)
    assert refusal(key, "opinion", "issue", Role.clerk) is None
    assert refusal(case(status=CaseStatus.in_progress), "opinion", "sign_off", Role.admin) == "not_key"


def test_extension_is_requested_once_and_approved_once():
    running = case(status=CaseStatus.in_progress)
    assert refusal(running, "extend", "approve", Role.leader) == "no_extension_pending"
    running.extension_days = 20
    assert refusal(running, "extend", "request", Role.clerk) == "extension_exists"
    assert refusal(running, "extend", "approve", Role.leader) is None
    assert refusal(running, "extend", "approve", Role.clerk) == "role"


def test_review_and_re_review_order_and_windows():
    issued = case(status=CaseStatus.opinion_issued, opinion_on=date(2026, 5, 1))
    assert refusal(issued, "re-review", "request", Role.clerk) == "state"
    assert date_problem(issued, "review", "request", date(2026, 5, 31), date(2026, 6, 30)) is None
    assert date_problem(issued, "review", "request", date(2026, 6, 1), date(2026, 6, 30)) == "window_passed"
    assert date_problem(issued, "review", "request", date(2026, 4, 30), date(2026, 6, 30)) == "before_decision"
    closed = case(status=CaseStatus.closed, review_requested_on=date(2026, 5, 5), review_decided_on=None)
    assert refusal(closed, "re-review", "request", Role.clerk) == "review_first"
    closed.review_decided_on = date(2026, 5, 20)
    assert refusal(closed, "re-review", "request", Role.clerk) is None
    closed.re_review_requested_on = date(2026, 5, 25)
    assert refusal(closed, "re-review", "request", Role.clerk) == "re_review_done"


def test_dates_cannot_be_in_the_future_or_before_receipt():
    registered = case()
    assert date_problem(registered, "accept", "accept", date(2026, 3, 1), date(2026, 4, 1)) == "before_receipt"
    assert date_problem(registered, "accept", "accept", date(2026, 4, 2), date(2026, 4, 1)) == "future"
    assert date_problem(registered, "accept", "accept", date(2026, 3, 2), date(2026, 4, 1)) is None


def test_every_step_has_a_change():
    assert {action for action, _ in STEPS} == {"accept", "assign", "progress", "extend", "opinion", "return-visit",
                                              "close", "review", "re-review", "report-back"}


def test_clocks_follow_the_case():
    petition = case()
    (acceptance,) = case_clocks(petition, CALENDAR)
    assert (acceptance.key, acceptance.due.due, acceptance.running) == ("acceptance", date(2026, 3, 17), True)
    assert running_due(petition, CALENDAR) == date(2026, 3, 17)

    petition.status, petition.accepted_on = CaseStatus.in_progress, date(2026, 3, 5)
    handling = case_clocks(petition, CALENDAR)[1]
    # 60 days after 03-05 is 05-04, inside the May Day holiday (05-01..05-05): moves to 05-06.
    assert (handling.key, handling.due.due, handling.running) == ("handling", date(2026, 5, 6), True)
    assert running_due(petition, CALENDAR) == date(2026, 5, 6)

    petition.extension_days = 30
    assert case_clocks(petition, CALENDAR)[1].due.due == date(2026, 5, 6)  # not approved yet
    petition.extension_approved_on = date(2026, 4, 20)
    assert case_clocks(petition, CALENDAR)[1].due.length == 90

    petition.status = CaseStatus.opinion_issued
    assert running_due(petition, CALENDAR) is None


def test_an_assigned_item_has_the_objection_and_report_back_clocks():
    petition = case(channel=Channel.assigned, report_due_on=date(2026, 4, 30))
    clocks = {clock.key: clock for clock in case_clocks(petition, CALENDAR)}
    assert clocks["objection"].due.rule == "working_days"
    assert clocks["objection"].due.due == date(2026, 3, 9)  # 5 working days after Monday 03-02
    assert clocks["report_back"].due.due == date(2026, 4, 30) and clocks["report_back"].running
    assert running_due(petition, CALENDAR) == date(2026, 3, 9)


def test_a_hearing_pauses_the_re_review_clock():
    petition = case(status=CaseStatus.re_review, re_review_requested_on=date(2026, 6, 1))
    before = case_clocks(petition, CALENDAR)[-1].due
    petition = Petition(status=CaseStatus.re_review, received_on=date(2026, 3, 2), channel=Channel.visit,
                        re_review_requested_on=date(2026, 6, 1), hearing_days=0, extension_days=0)
    apply(petition, "re-review", "hearing", {"on": date(2026, 6, 10), "ended_on": date(2026, 6, 12)}, None)
    assert petition.hearing_days == 3
    after = case_clocks(petition, CALENDAR)[-1].due
    assert (before.length, after.length) == (30, 33)
    assert after.due > before.due


def test_apply_changes_the_state_and_writes_one_timeline_line():
    petition = Petition(status=CaseStatus.registered, received_on=date(2026, 3, 2), channel=Channel.visit)
    event = apply(petition, "accept", "accept", {"on": date(2026, 3, 4), "text": " 属于本机关职责 "}, 7)
    assert petition.status is CaseStatus.accepted and petition.accepted_on == date(2026, 3, 4)
    assert (event.kind, event.text, event.author_id) == (EventKind.accepted, "属于本机关职责", 7)
    assert petition.events == [event]


# --- through the case page --------------------------------------------------------------------------------------

def act(client, petition_id, action, **form):
    page = client.get(f"/cases/{petition_id}")
    version = page.get_data(as_text=True).split(f'action="/cases/{petition_id}/actions/{action}"')[1] \
        .split('name="version"')[1].split('value="')[1].split('"')[0]
    form.setdefault("on", date.today().isoformat())
    return client.post(f"/cases/{petition_id}/actions/{action}", data={"version": version, **form})


def load(app, petition_id):
    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        db.session.expunge(petition)
        return petition


@pytest.fixture
def package(make_unit, make_leader, make_user):
    unit = make_unit(name="县住建局", kind=UnitKind.department)
    user = make_user(role=Role.leader)
    leader = make_leader(name="张副县长", post=LeaderPost.county_leader, user=user)
    return SimpleNamespace(unit=unit, leader=leader, user=user)


def assign_form(package, **overrides):
    form = {"step": "assign", "leader_id": str(package.leader.id), "lead_unit_id": str(package.unit.id),
            "responsible_person": "李科长", "handling_opinion": "核实补偿标准", "closure_standard": "补偿到位",
            "duty_facts": "y"}
    form.update(overrides)
    return form


def test_a_case_goes_from_intake_to_closure_with_a_timeline(app, client, login, make_petition, package):
    login(Role.clerk)
    received = date.today() - timedelta(days=20)
    petition_id = make_petition(received_on=received)
    assert act(client, petition_id, "accept", step="accept", on=(received + timedelta(days=2)).isoformat()) \
        .status_code == 302
    assert act(client, petition_id, "assign", **assign_form(package)).status_code == 302
    assert act(client, petition_id, "progress", step="progress", text="已约谈信访人").status_code == 302
    assert act(client, petition_id, "opinion", step="issue", outcome="support", text="支持补偿").status_code == 302
    assert act(client, petition_id, "return-visit", step="record", satisfaction="satisfied").status_code == 302
    assert act(client, petition_id, "close", step="close", resolution="mediation").status_code == 302

    petition = load(app, petition_id)
    assert petition.status is CaseStatus.closed and petition.outcome is Outcome.support
    assert petition.satisfaction is Satisfaction.satisfied and petition.due_on is None
    assert petition.leader_id == package.leader.id and petition.duty_facts
    page = client.get(f"/cases/{petition_id}").get_data(as_text=True)
    for line in ("已约谈信访人", "支持补偿", "李科长", "补偿到位"):
        assert line in page
    with app.app_context():
        kinds = db.session.scalars(db.select(db.text("kind")).select_from(db.text("petition_event"))
                                   .where(db.text(f"petition_id = {petition_id}")).order_by(db.text("id"))).all()
    assert kinds == ["accepted", "assigned", "progress", "opinion_issued", "return_visit", "closed"]
    sheet = client.get(f"/cases/{petition_id}/sheet")
    assert sheet.status_code == 200 and "已约谈信访人" in sheet.get_data(as_text=True)


def test_acceptance_before_receipt_is_refused_on_the_field(client, login, make_petition):
    login(Role.clerk)
    petition_id = make_petition(received_on=date.today() - timedelta(days=3))
    response = act(client, petition_id, "accept", step="accept", on=(date.today() - timedelta(days=5)).isoformat())
    assert response.status_code == 400
    assert "cannot be before the petition was received" in response.get_data(as_text=True) \
        or "不能早于收到信访事项的日期" in response.get_data(as_text=True)


def test_an_illegal_transition_is_refused_with_a_message(app, client, login, make_petition):
    login(Role.clerk)
    petition_id = make_petition()
    response = act(client, petition_id, "accept", step="accept")
    assert response.status_code == 302
    response = client.post(f"/cases/{petition_id}/actions/close", data={"step": "close",
                                                                       "on": date.today().isoformat()})
    assert response.status_code == 409
    assert load(app, petition_id).status is CaseStatus.accepted


def test_not_accepting_needs_a_reason_and_forwarding_a_destination(app, client, login, make_petition):
    login(Role.clerk)
    petition_id = make_petition()
    assert act(client, petition_id, "accept", step="not_accept").status_code == 400
    assert act(client, petition_id, "accept", step="forward").status_code == 400
    assert load(app, petition_id).status is CaseStatus.registered
    assert act(client, petition_id, "accept", step="forward", forwarded_to="县法院").status_code == 302
    petition = load(app, petition_id)
    assert (petition.status, petition.forwarded_to, petition.due_on) == (CaseStatus.forwarded, "县法院", None)


def test_a_handler_submits_the_opinion_and_the_clerk_issues_it(app, client, login, make_petition, make_unit):
    unit = make_unit(name="县人社局", kind=UnitKind.department)
    petition_id = make_petition(status=CaseStatus.in_progress, lead_unit=unit, accepted_on=date.today())
    login(Role.handler, unit=unit)
    assert act(client, petition_id, "progress", step="progress", text="已核查工资表").status_code == 302
    assert act(client, petition_id, "opinion", step="submit", outcome="explain", text="解释政策").status_code == 302
    assert client.post(f"/cases/{petition_id}/actions/opinion",
                       data={"step": "issue", "outcome": "explain", "text": "x",
                             "on": date.today().isoformat()}).status_code == 403
    assert client.post(f"/cases/{petition_id}/actions/accept",
                       data={"step": "accept", "on": date.today().isoformat()}).status_code == 403
    petition = load(app, petition_id)
    assert petition.opinion_pending and petition.status is CaseStatus.in_progress
    login(Role.clerk)
    page = client.get(f"/cases/{petition_id}").get_data(as_text=True)
    assert "解释政策" in page
    assert act(client, petition_id, "opinion", step="issue", outcome="explain", text="解释政策").status_code == 302
    assert load(app, petition_id).status is CaseStatus.opinion_issued


def test_a_key_case_is_issued_only_after_the_main_leader_signs_off(app, client, login, make_petition, make_leader,
                                                                      make_user):
    petition_id = make_petition(status=CaseStatus.in_progress, accepted_on=date.today(), is_key=True,
                                opinion_text="支持", outcome=Outcome.support)
    head_user = make_user(role=Role.leader)
    head = make_leader(name="县长", post=LeaderPost.county_head, user=head_user)
    with_leader = dict(leader_id=head.id)
    with app.app_context():
        db.session.execute(db.update(Petition).where(Petition.id == petition_id).values(**with_leader))
        db.session.commit()
    login(Role.clerk)
    response = act(client, petition_id, "opinion", step="issue", outcome="support", text="支持")
    assert response.status_code == 409
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": head_user.username, "password": PASSWORD})
    assert act(client, petition_id, "opinion", step="sign_off").status_code == 302
    login(Role.clerk)
    assert act(client, petition_id, "opinion", step="issue", outcome="support", text="支持").status_code == 302
    assert load(app, petition_id).status is CaseStatus.opinion_issued


def test_an_extension_is_approved_by_a_leader_and_moves_the_deadline(app, client, login, make_petition, package):
    petition_id = make_petition(status=CaseStatus.in_progress, accepted_on=date.today() - timedelta(days=50),
                                leader=package.leader)
    login(Role.clerk)
    before = load(app, petition_id).due_on
    assert act(client, petition_id, "extend", step="request", days="45", text="需鉴定").status_code == 400
    assert act(client, petition_id, "extend", step="request", days="30", text="需鉴定").status_code == 302
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": package.user.username, "password": PASSWORD})
    assert act(client, petition_id, "extend", step="approve").status_code == 302
    petition = load(app, petition_id)
    assert petition.extension_approved_on == date.today()
    assert before is None or petition.due_on > before


def test_review_then_re_review_with_a_hearing_ends_in_not_accepted_again(app, client, login, make_petition):
    today = date.today()
    petition_id = make_petition(status=CaseStatus.closed, received_on=today - timedelta(days=40),
                                accepted_on=today - timedelta(days=38), opinion_on=today - timedelta(days=10),
                                outcome=Outcome.reject, closed_on=today - timedelta(days=9))
    login(Role.clerk)
    assert act(client, petition_id, "review", step="request", on=(today - timedelta(days=8)).isoformat()) \
        .status_code == 302
    assert load(app, petition_id).status is CaseStatus.review
    assert act(client, petition_id, "review", step="decide", on=(today - timedelta(days=5)).isoformat(),
               text="维持原意见").status_code == 302
    assert act(client, petition_id, "re-review", step="request", on=(today - timedelta(days=4)).isoformat()) \
        .status_code == 302
    due_before = load(app, petition_id).due_on
    assert act(client, petition_id, "re-review", step="hearing", on=(today - timedelta(days=3)).isoformat(),
               ended_on=(today - timedelta(days=2)).isoformat()).status_code == 302
    assert load(app, petition_id).due_on > due_before
    assert act(client, petition_id, "re-review", step="decide").status_code == 302
    petition = load(app, petition_id)
    assert petition.status is CaseStatus.final and petition.due_on is None
    response = client.post(f"/cases/{petition_id}/actions/review", data={"step": "request",
                                                                        "on": today.isoformat()})
    assert response.status_code == 409


def test_a_stale_save_is_refused_and_shows_both_versions(app, client, login, make_petition, package):
    petition_id = make_petition(status=CaseStatus.accepted, accepted_on=date.today())
    login(Role.clerk)
    page = client.get(f"/cases/{petition_id}").get_data(as_text=True)
    stale = page.split(f'action="/cases/{petition_id}/actions/assign"')[1].split('name="version"')[1] \
        .split('value="')[1].split('"')[0]
    assert act(client, petition_id, "assign", **assign_form(package, responsible_person="第一人")).status_code == 302
    response = client.post(f"/cases/{petition_id}/actions/assign",
                           data={"version": stale, "on": date.today().isoformat(),
                                 **assign_form(package, responsible_person="第二人")})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "第一人" in text and "第二人" in text  # theirs on the page, yours in the panel and the form
    assert load(app, petition_id).responsible_person == "第一人"


def test_the_accused_unit_cannot_act_on_or_print_an_accusation(client, login, make_petition, make_unit):
    accused = make_unit(name="某镇政府")
    petition_id = make_petition(purpose=Purpose.accusation, accused_unit=accused,
                                lead_unit=accused)
    login(Role.handler, unit=accused)
    assert client.get(f"/cases/{petition_id}/sheet").status_code == 404
    assert client.post(f"/cases/{petition_id}/actions/progress",
                       data={"step": "progress", "text": "x", "on": date.today().isoformat()}).status_code == 404


def test_steps_on_the_page_carry_and_need_the_csrf_token(csrf_app, make_user, make_petition):
    client = csrf_app.test_client()
    user = make_user(Role.clerk)
    client.post("/auth/login", data={"username": user.username, "password": PASSWORD,
                                     "csrf_token": csrf_token_from(client.get("/auth/login").data)})
    petition_id = make_petition()
    page = client.get(f"/cases/{petition_id}").get_data(as_text=True)
    accept_form = page.split(f'action="/cases/{petition_id}/actions/accept"')[1].split("</form>")[0]
    token = csrf_token_from(accept_form)
    step = {"step": "accept", "on": date.today().isoformat(), "version": "1"}
    assert client.post(f"/cases/{petition_id}/actions/accept", data=step).status_code == 400
    assert client.post(f"/cases/{petition_id}/actions/accept", data={**step, "csrf_token": token}).status_code == 302

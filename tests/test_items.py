"""The rectification ledger (整改台账): its rules as plain functions, then items through the pages: opening from an
inspection, a check finding or a case, deadlines on the working-day calendar, progress, verification, sign-off,
overdue marks, stale edits and who sees what."""
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from blueprints.supervision.items import (
    addressee_of_finding,
    addressee_of_inspection,
    addresses_accused_unit,
    days_overdue,
    deadline_refusal,
    next_working_day,
    opening_refusal,
    progress_refusal,
    sign_off,
    sign_off_refusal,
    verify,
    working_days_deadline,
)
from models import (
    CheckFinding,
    CheckKind,
    CheckRun,
    CheckRunStatus,
    CheckTrigger,
    Inspection,
    InspectionMethod,
    InspectionTarget,
    Purpose,
    Rating,
    RectificationItem,
    RectificationProgress,
    RectificationStatus,
    Role,
    UnitKind,
    db,
)
from tests.conftest import persist
from workdays import Calendar

CALENDAR = Calendar({}, frozenset())  # the chinesecalendar package alone: 2026 is known
OPENED = date(2026, 9, 30)  # the National Day holiday (10-01 to 10-07) follows; 10-10 is a make-up working day
TODAY = date.today()


# --- rules as plain functions ---------------------------------------------------------------------------------

def test_working_days_are_counted_on_the_official_calendar():
    assert working_days_deadline(CALENDAR, OPENED, 1).due == date(2026, 10, 8)
    assert working_days_deadline(CALENDAR, OPENED, 5).due == date(2026, 10, 13)  # the Saturday 10-10 is worked
    assert next_working_day(CALENDAR, date(2026, 10, 3)) == date(2026, 10, 8)


@pytest.mark.parametrize("deadline, inspected_on, refusal", [
    (date(2026, 10, 13), None, None),
    (date(2026, 10, 10), None, None),  # a make-up working day (调休上班)
    (date(2026, 10, 3), None, "rest_day"),
    (date(2026, 9, 29), None, "deadline_before_opening"),
    (date(2026, 10, 8), date(2026, 10, 9), "before_inspection"),
])
def test_deadline_refusals(deadline, inspected_on, refusal):
    assert deadline_refusal(CALENDAR, deadline, OPENED, inspected_on) == refusal


def test_an_item_is_opened_today_or_earlier_and_not_before_its_inspection():
    assert opening_refusal(OPENED, OPENED) is None
    assert opening_refusal(OPENED + timedelta(days=1), OPENED) == "future"
    assert opening_refusal(OPENED, OPENED, inspected_on=OPENED + timedelta(days=1)) == "opened_before_inspection"


def item_values(**fields):
    values = dict(status=RectificationStatus.open, opened_on=OPENED, deadline=date(2026, 10, 13), verification="",
                  verified_on=None, verified_by_id=None, closed_on=None, closed_by_id=None)
    values.update(fields)
    return SimpleNamespace(**values)


def test_sign_off_needs_a_verification_and_happens_once():
    item = item_values()
    assert sign_off_refusal(item) == "not_verified"
    verify(item, "  现场复查，问题已整改  ", date(2026, 10, 14), 7)
    assert (item.verification, item.verified_by_id) == ("现场复查，问题已整改", 7)
    assert sign_off_refusal(item) is None
    sign_off(item, date(2026, 10, 15), 7)
    assert (item.status, item.closed_on, item.closed_by_id) == (RectificationStatus.closed, date(2026, 10, 15), 7)
    assert sign_off_refusal(item) == "closed"


def test_progress_dates_and_overdue_days():
    item = item_values()
    assert progress_refusal(item, date(2026, 10, 9), date(2026, 10, 9)) is None
    assert progress_refusal(item, date(2026, 10, 10), date(2026, 10, 9)) == "future"
    assert progress_refusal(item, date(2026, 9, 29), date(2026, 10, 9)) == "before_opening"
    assert progress_refusal(item_values(status=RectificationStatus.closed), OPENED, OPENED) == "closed"
    assert days_overdue(item, date(2026, 10, 13)) == 0
    assert days_overdue(item, date(2026, 10, 20)) == 7
    assert days_overdue(item_values(status=RectificationStatus.closed), date(2026, 10, 20)) == 0


def test_who_a_finding_or_an_inspection_is_addressed_to():
    leader = SimpleNamespace(id=4, unit_id=40)
    case = SimpleNamespace(lead_unit_id=10, leader_id=4, leader=leader)
    nothing = dict(petition=None, leader=None, leader_id=None, session=None, unit_id=None, item=None)
    assert addressee_of_finding(SimpleNamespace(**dict(nothing, petition=case))) == (10, 4)
    assert addressee_of_finding(SimpleNamespace(**dict(nothing, leader=leader, leader_id=4))) == (40, 4)
    assert addressee_of_finding(SimpleNamespace(**dict(nothing, session=SimpleNamespace(unit_id=50)))) == (50, None)
    assert addressee_of_finding(SimpleNamespace(**nothing)) == (None, None)
    inspection = SimpleNamespace(unit_id=None, leader_id=4, leader=leader, petition=None)
    assert addressee_of_inspection(inspection) == (40, 4)


def test_nothing_about_an_accusation_is_addressed_to_the_accused_unit():
    accusation = SimpleNamespace(accused_unit_id=9)
    assert addresses_accused_unit(accusation, 9)
    assert addresses_accused_unit(accusation, 3, leader=SimpleNamespace(unit_id=9))
    assert not addresses_accused_unit(accusation, 3, leader=SimpleNamespace(unit_id=4))
    assert not addresses_accused_unit(SimpleNamespace(accused_unit_id=None), 9)
    assert not addresses_accused_unit(None, 9)


# --- through the pages ----------------------------------------------------------------------------------------

def in_english(client):
    client.post("/auth/language/en")


def make_inspection(app, unit, inspected_on=date(2026, 9, 29), findings="接访登记不全，群众反映问题未跟踪"):
    return persist(app, Inspection(target=InspectionTarget.unit, unit_id=unit.id, inspected_on=inspected_on,
                                   method=InspectionMethod.ledger_review, inspectors="督查组", findings=findings,
                                   rating=Rating.failed))


def make_finding(app, **fields):
    run = persist(app, CheckRun(trigger=CheckTrigger.page, status=CheckRunStatus.finished, as_of=OPENED))
    return persist(app, CheckFinding(first_run_id=run.id, **fields))


def make_item(app, unit, deadline=date(2026, 10, 13), leader=None, **fields):
    values = dict(unit_id=unit.id, leader_id=leader.id if leader else None, responsible_person="李四",
                  problem=f"问题{unit.name}", measures="整改措施", opened_on=OPENED, deadline=deadline,
                  status=RectificationStatus.open)
    values.update(fields)
    return persist(app, RectificationItem(**values))


def item_form(unit, **fields):
    data = {"unit_id": unit.id, "leader_id": "", "responsible_person": "张三", "problem": "台账记录不全",
            "measures": "一周内补齐台账", "opened_on": OPENED.isoformat(), "deadline_kind": "date",
            "deadline": "2026-10-13", "working_days": ""}
    data.update(fields)
    return data


def stored(app, model, ident):
    with app.app_context():
        obj = db.session.get(model, ident)
        db.session.expunge(obj)
        return obj


def only_item(app):
    with app.app_context():
        return db.session.scalars(db.select(RectificationItem)).one()


def test_an_item_from_an_inspection_goes_from_progress_to_sign_off(app, client, login, make_unit):
    unit = make_unit(name="城关镇")
    inspection = make_inspection(app, unit)
    login(Role.supervisor)
    in_english(client)
    page = client.get(f"/supervision/items/new?inspection={inspection.id}").get_data(as_text=True)
    assert "接访登记不全，群众反映问题未跟踪" in page
    assert re.search(rf'<option selected value="{unit.id}">|<option value="{unit.id}" selected', page)

    response = client.post(f"/supervision/items/new?inspection={inspection.id}",
                           data=item_form(unit, deadline_kind="working_days", deadline="", working_days="5"))
    assert response.status_code == 302
    item = only_item(app)
    assert (item.inspection_id, item.deadline, item.status) == (inspection.id, date(2026, 10, 13),
                                                                RectificationStatus.open)

    handler = login(Role.handler, unit=unit)
    in_english(client)
    assert "台账记录不全" in client.get("/supervision/items").get_data(as_text=True)
    response = client.post(f"/supervision/items/{item.id}/progress",
                           data={"version": item.version, "happened_on": "2026-10-09", "text": "已补齐登记台账"})
    assert response.status_code == 302
    item = stored(app, RectificationItem, item.id)
    with app.app_context():
        entry = db.session.scalars(db.select(RectificationProgress)).one()
        assert (entry.text, entry.author_id) == ("已补齐登记台账", handler.id)
    assert client.post(f"/supervision/items/{item.id}/verify", data={"version": item.version}).status_code == 403

    login(Role.supervisor)
    in_english(client)
    refused = client.post(f"/supervision/items/{item.id}/sign-off", data={"version": item.version})
    assert refused.status_code == 409
    assert "needs a recorded verification of the effect first" in refused.get_data(as_text=True)
    assert stored(app, RectificationItem, item.id).status is RectificationStatus.open

    response = client.post(f"/supervision/items/{item.id}/verify", data={
        "version": item.version, "verified_on": "2026-10-14", "verification": "现场抽查十份台账，均已规范"})
    assert response.status_code == 302
    item = stored(app, RectificationItem, item.id)
    assert client.post(f"/supervision/items/{item.id}/sign-off", data={"version": item.version}).status_code == 302
    item = stored(app, RectificationItem, item.id)
    assert item.status is RectificationStatus.closed and item.closed_on == TODAY and item.closed_by_id is not None
    page = client.get(f"/supervision/items/{item.id}").get_data(as_text=True)
    assert "已补齐登记台账" in page and "现场抽查十份台账，均已规范" in page and "Signed off" in page


def test_a_deadline_before_the_inspection_is_refused(app, client, login, make_unit):
    unit = make_unit()
    inspection = make_inspection(app, unit, inspected_on=date(2026, 9, 29))
    login(Role.supervisor)
    in_english(client)
    response = client.post(f"/supervision/items/new?inspection={inspection.id}",
                           data=item_form(unit, opened_on="2026-09-29", deadline="2026-09-28"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The deadline cannot be before the inspection (2026-09-29)." in page
    assert "台账记录不全" in page  # the input is kept
    assert client.post(f"/supervision/items/new?inspection={inspection.id}",
                       data=item_form(unit, opened_on="2026-09-28")).status_code == 400  # opened before it


@pytest.mark.parametrize("fields, message", [
    ({"deadline": "2026-10-03"}, "2026-10-03 is a rest day on the official calendar; the next working day is "
                                 "2026-10-08."),
    ({"deadline": "2026-09-29"}, "The deadline cannot be before the opening date (2026-09-30)."),
    ({"deadline": ""}, "Give the deadline."),
    ({"deadline_kind": "working_days", "working_days": ""}, "Give the number of working days."),
    ({"opened_on": (TODAY + timedelta(days=1)).isoformat()}, "The date cannot be in the future."),
])
def test_bad_deadlines_are_refused_next_to_the_field(app, client, login, make_unit, fields, message):
    unit = make_unit()
    login(Role.supervisor)
    in_english(client)
    response = client.post("/supervision/items/new", data=item_form(unit, **fields))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RectificationItem)) == 0


def test_an_item_from_a_check_finding_goes_to_the_case_lead_unit_and_leader(app, client, login, make_unit,
                                                                            make_leader, make_petition):
    unit = make_unit(name="住建局", kind=UnitKind.department)
    leader = make_leader(name="赵副县长")
    case = make_petition(lead_unit=unit, leader=leader)
    finding = make_finding(app, kind=CheckKind.stale_case, subject=f"petition:{case}", petition_id=case,
                           detail="14 天无进展记录")
    login(Role.supervisor)
    page = client.get(f"/supervision/items/new?finding={finding.id}").get_data(as_text=True)
    assert "14 天无进展记录" in page
    assert re.search(rf'<option selected value="{leader.id}">|<option value="{leader.id}" selected', page)
    response = client.post(f"/supervision/items/new?finding={finding.id}",
                           data=item_form(unit, leader_id=leader.id, problem="14 天无进展记录"))
    assert response.status_code == 302
    item = only_item(app)
    assert (item.finding_id, item.petition_id, item.unit_id, item.leader_id) == (finding.id, case, unit.id,
                                                                                 leader.id)
    page = client.get(f"/supervision/items/{item.id}").get_data(as_text=True)
    assert f'href="/supervision/checks/runs/{finding.first_run_id}"' in page


def test_an_item_on_a_case_shows_it_as_number_and_summary_only(app, client, login, make_unit, make_petition):
    unit = make_unit()
    case = make_petition(summary="反映征地补偿未到位", lead_unit=unit, responsible_person="王主任")
    login(Role.supervisor)
    page = client.get(f"/supervision/items/new?petition={case}").get_data(as_text=True)
    assert 'value="王主任"' in page
    assert client.post(f"/supervision/items/new?petition={case}", data=item_form(unit)).status_code == 302
    item = only_item(app)
    page = client.get(f"/supervision/items/{item.id}").get_data(as_text=True)
    assert "反映征地补偿未到位" in page and f'href="/cases/{case}"' in page
    assert "王某" not in page and "东村1号" not in page
    assert client.get("/supervision/items/new?petition=999999").status_code == 404
    assert client.get("/supervision/items/new?inspection=abc").status_code == 404


def test_an_item_is_not_addressed_to_the_accused_unit(app, client, login, make_unit, make_petition):
    accused, lead = make_unit(name="被举报单位"), make_unit(name="纪委")
    case = make_petition(purpose=Purpose.accusation, accused_unit=accused, lead_unit=lead)
    login(Role.supervisor)
    in_english(client)
    response = client.post(f"/supervision/items/new?petition={case}", data=item_form(accused))
    assert response.status_code == 400
    assert "nothing about it may be addressed to it" in response.get_data(as_text=True)
    assert client.post(f"/supervision/items/new?petition={case}", data=item_form(lead)).status_code == 302


def test_overdue_items_are_marked_and_filtered(app, client, login, make_unit):
    unit = make_unit()
    late = make_item(app, unit, deadline=date(2026, 10, 13), problem="逾期未整改的问题")
    ahead = make_item(app, unit, deadline=TODAY + timedelta(days=30), problem="尚在期限内的问题")
    done = make_item(app, unit, deadline=date(2026, 10, 13), problem="已销号的问题", status=RectificationStatus.closed,
                     verification="已核实", verified_on=date(2026, 10, 12), closed_on=date(2026, 10, 12))
    login(Role.supervisor)
    in_english(client)
    overdue_days = (TODAY - date(2026, 10, 13)).days
    page = client.get("/supervision/items").get_data(as_text=True)
    assert f"Overdue by {overdue_days} days" in page and page.count('class="overdue"') == 1
    page = client.get("/supervision/items?overdue=1").get_data(as_text=True)
    assert "逾期未整改的问题" in page and "尚在期限内的问题" not in page and "已销号的问题" not in page
    page = client.get("/supervision/items?status=closed").get_data(as_text=True)
    assert "已销号的问题" in page and "逾期未整改的问题" not in page
    page = client.get(f"/supervision/items/{late.id}").get_data(as_text=True)
    assert f"Overdue by {overdue_days} days" in page and f"/supervision/notices/new?item={late.id}" in page
    assert "Overdue" not in client.get(f"/supervision/items/{ahead.id}").get_data(as_text=True)
    assert "not a status" in client.get("/supervision/items?status=nonsense").get_data(as_text=True)
    assert done.id


def test_a_stale_edit_is_refused_and_keeps_the_input(app, client, login, make_unit):
    unit = make_unit()
    item = make_item(app, unit)
    login(Role.supervisor)
    in_english(client)
    assert client.get(f"/supervision/items/{item.id}/edit").status_code == 200
    with app.app_context():
        db.session.get(RectificationItem, item.id).measures = "别人先改了措施"
        db.session.commit()
    response = client.post(f"/supervision/items/{item.id}/edit",
                           data=item_form(unit, version=item.version, measures="我要改的措施"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this record" in page and "我要改的措施" in page
    assert stored(app, RectificationItem, item.id).measures == "别人先改了措施"
    fresh = stored(app, RectificationItem, item.id)
    response = client.post(f"/supervision/items/{item.id}/edit",
                           data=item_form(unit, version=fresh.version, measures="我要改的措施"))
    assert response.status_code == 302 and stored(app, RectificationItem, item.id).measures == "我要改的措施"
    stale = client.post(f"/supervision/items/{item.id}/verify", data={
        "version": item.version, "verified_on": "2026-10-14", "verification": "核实"})
    assert stale.status_code == 409 and stored(app, RectificationItem, item.id).verified_on is None


def test_units_and_leaders_see_only_what_is_addressed_to_them(app, client, login, make_unit, make_leader):
    mine, other = make_unit(name="东城镇"), make_unit(name="西城镇")
    my_item = make_item(app, mine, problem="东城镇的问题")
    other_item = make_item(app, other, problem="西城镇的问题")

    login(Role.handler, unit=mine)
    page = client.get("/supervision/items").get_data(as_text=True)
    assert "东城镇的问题" in page and "西城镇的问题" not in page
    assert client.get(f"/supervision/items/{other_item.id}").status_code == 404
    assert client.post(f"/supervision/items/{other_item.id}/progress",
                       data={"version": 1, "happened_on": OPENED.isoformat(), "text": "x"}).status_code == 404
    assert client.get("/supervision/items/new").status_code == 403
    assert client.post("/supervision/items/new", data=item_form(mine)).status_code == 403
    assert client.get(f"/supervision/items/{my_item.id}/edit").status_code == 403
    page = client.get("/supervision/").get_data(as_text=True)
    assert "东城镇的问题" in page and "西城镇的问题" not in page
    assert "/supervision/inspections" not in page and "/supervision/assessment" not in page

    user = login(Role.leader, unit=make_unit(kind=UnitKind.county))
    leader = make_leader(user=user)
    addressed = make_item(app, other, leader=leader, problem="请领导督促的问题")
    page = client.get("/supervision/items").get_data(as_text=True)
    assert "请领导督促的问题" in page and "西城镇的问题" not in page
    assert client.get(f"/supervision/items/{addressed.id}").status_code == 200
    assert client.post(f"/supervision/items/{addressed.id}/progress", data={
        "version": addressed.version, "happened_on": OPENED.isoformat(), "text": "已督促"}).status_code == 302

    login(Role.clerk, unit=make_unit())
    page = client.get("/supervision/items").get_data(as_text=True)
    assert not any(problem in page for problem in ("东城镇的问题", "西城镇的问题", "请领导督促的问题"))
    assert client.get(f"/supervision/items/{my_item.id}").status_code == 404


def test_the_supervisors_overview_counts_and_links(app, client, login, make_unit):
    unit = make_unit()
    make_item(app, unit, problem="逾期的整改事项")
    make_item(app, unit, deadline=TODAY + timedelta(days=30))
    login(Role.supervisor)
    in_english(client)
    for level, reply_due_on in (("supervision", "2026-10-20"), ("reminder", "")):
        client.post("/supervision/notices/new", data={"unit_id": unit.id, "level": level, "requirement": "请办理",
                                                      "reply_due_on": reply_due_on, "issued_on": "2026-10-09"})
    page = client.get("/supervision/").get_data(as_text=True)
    assert "Open rectification items: 2" in page and "Overdue rectification items: 1" in page
    assert "Open notices · Reminder: 1" in page and "Open notices · Formal supervision: 1" in page
    assert "Notices past their reply deadline: 1" in page
    assert "逾期的整改事项" in page
    for path in ("checks", "inspections", "rounds", "items", "notices", "assessment"):
        assert f'href="/supervision/{path}"' in page

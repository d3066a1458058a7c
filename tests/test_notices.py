"""Supervision notices (督办单): the ladder and numbering as plain functions, then notices through the pages: issue,
escalation up to 问责, the addressed unit's reply, the printable sheet and who sees what."""
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

import blueprints.supervision.notice_views as notice_views
from blueprints.supervision.notices import (
    LADDER,
    escalate,
    escalation_refusal,
    issue,
    issue_refusal,
    next_level,
    next_sequence,
    notice_number,
    record_reply,
    reply_overdue,
    reply_refusal,
)
from blueprints.shared import mask_id_number, mask_phone
from models import (
    AccountabilityForm,
    CheckFinding,
    CheckKind,
    CheckRun,
    CheckRunStatus,
    CheckTrigger,
    NoticeEventKind,
    NoticeLevel,
    Purpose,
    RectificationItem,
    RectificationStatus,
    Role,
    SupervisionNotice,
    SupervisionNoticeEvent,
    UnitKind,
    db,
)
from tests.conftest import ID_NUMBER, PASSWORD, PHONE, persist

TODAY = date.today()
ISSUED = date(2026, 10, 9)


# --- rules as plain functions ---------------------------------------------------------------------------------

def notice_values(**fields):
    values = dict(level=NoticeLevel.reminder, issued_on=ISSUED, reply_due_on=None, requirement="请于期限内办结",
                  accountability_form=None, accountability_decision="", reply_text="", replied_on=None,
                  replied_by_id=None, events=[])
    values.update(fields)
    return SimpleNamespace(**values)


def test_numbers_run_per_year():
    assert notice_number(2026, 1) == "督办〔2026〕第0001号"
    assert next_sequence(None) == 1
    assert next_sequence("督办〔2026〕第0041号") == 42
    assert next_sequence("督办〔2026〕第10000号") == 10001


def test_the_ladder_goes_from_reminder_to_accountability_and_stops():
    assert [next_level(level) for level in LADDER] == [NoticeLevel.supervision, NoticeLevel.circulation,
                                                         NoticeLevel.accountability, None]


@pytest.mark.parametrize("level, issued_on, reply_due_on, refusal", [
    (NoticeLevel.reminder, ISSUED, None, None),
    (NoticeLevel.supervision, ISSUED, None, "needs_deadline"),
    (NoticeLevel.supervision, ISSUED, ISSUED - timedelta(days=1), "deadline_before_issue"),
    (NoticeLevel.supervision, ISSUED, ISSUED, None),
    (NoticeLevel.circulation, ISSUED, ISSUED, "start_level"),
    (NoticeLevel.reminder, TODAY + timedelta(days=1), None, "future"),
])
def test_issue_refusals(level, issued_on, reply_due_on, refusal):
    assert issue_refusal(level, issued_on, reply_due_on, TODAY) == refusal


def test_escalation_needs_a_deadline_then_a_form_and_decision_and_stops_at_accountability():
    notice = notice_values()
    issue(notice, 1)
    on = date(2026, 10, 12)
    assert escalation_refusal(notice, on, TODAY) == "needs_deadline"
    assert escalation_refusal(notice, on, TODAY, reply_due_on=on - timedelta(days=1)) == "deadline_before_escalation"
    assert escalation_refusal(notice, ISSUED - timedelta(days=1), TODAY, on) == "before_issue"
    escalate(notice, on, 1, reply_due_on=date(2026, 10, 20))
    assert notice.level is NoticeLevel.supervision and notice.reply_due_on == date(2026, 10, 20)
    assert escalation_refusal(notice, date(2026, 10, 15), TODAY) is None  # the deadline has not passed yet
    assert escalation_refusal(notice, date(2026, 10, 21), TODAY) == "needs_deadline"  # it has: a new one
    escalate(notice, date(2026, 10, 15), 1)
    assert escalation_refusal(notice, date(2026, 10, 16), TODAY) == "needs_form"
    assert escalation_refusal(notice, date(2026, 10, 16), TODAY, form=AccountabilityForm.admonition) == \
        "needs_decision"
    escalate(notice, date(2026, 10, 16), 1, form=AccountabilityForm.admonition, decision=" 对责任人诫勉谈话 ")
    assert (notice.level, notice.accountability_decision) == (NoticeLevel.accountability, "对责任人诫勉谈话")
    assert escalation_refusal(notice, date(2026, 10, 17), TODAY, form=AccountabilityForm.admonition,
                              decision="再次") == "top"
    assert [event.kind for event in notice.events] == [NoticeEventKind.issued] + [NoticeEventKind.escalated] * 3


def test_replies_once_per_level_by_the_addressee():
    notice = notice_values(reply_due_on=date(2026, 10, 20))
    assert reply_overdue(notice, date(2026, 10, 21)) and not reply_overdue(notice, date(2026, 10, 20))
    assert reply_refusal(notice, False, ISSUED, TODAY) == "not_addressee"
    assert reply_refusal(notice, True, ISSUED - timedelta(days=1), TODAY) == "before_issue"
    assert reply_refusal(notice, True, TODAY + timedelta(days=1), TODAY) == "future"
    record_reply(notice, " 已落实 ", date(2026, 10, 19), 5, note="recorded by 督查员")
    assert (notice.reply_text, notice.replied_by_id) == ("已落实", 5)
    assert notice.events[-1].text == "recorded by 督查员\n已落实"
    assert reply_refusal(notice, True, ISSUED, TODAY) == "already_replied"
    assert not reply_overdue(notice, date(2026, 10, 21))
    escalate(notice, date(2026, 10, 21), 1, reply_due_on=date(2026, 10, 30))  # asks for a new reply
    assert notice.replied_on is None and reply_refusal(notice, True, date(2026, 10, 22), TODAY) is None


# --- through the pages ----------------------------------------------------------------------------------------

def in_english(client):
    client.post("/auth/language/en")


def notice_form(unit, **fields):
    data = {"unit_id": unit.id, "leader_id": "", "level": "reminder", "requirement": "请于十日内报送办理情况",
            "reply_due_on": "", "issued_on": ISSUED.isoformat()}
    data.update(fields)
    return data


def is_selected(page: str, value) -> bool:
    return bool(re.search(rf'<option selected value="{value}">|<option value="{value}" selected', page))


def only_notice(app) -> SupervisionNotice:
    with app.app_context():
        notice = db.session.scalars(db.select(SupervisionNotice)).one()
        db.session.expunge(notice)
        return notice


def events_of(app, notice_id):
    with app.app_context():
        return db.session.scalars(db.select(SupervisionNoticeEvent).where(SupervisionNoticeEvent.notice_id == notice_id)
                                  .order_by(SupervisionNoticeEvent.id)).all()


def escalate_form(notice, **fields):
    data = {"version": notice.version, "happened_on": date(2026, 10, 12).isoformat(), "reply_due_on": "",
            "accountability_form": "", "decision": "", "text": ""}
    data.update(fields)
    return data


def test_a_notice_on_a_case_climbs_the_ladder_to_accountability(app, client, login, make_unit, make_petition):
    unit = make_unit(name="国土局", kind=UnitKind.department)
    case = make_petition(summary="反映宅基地确权拖延", lead_unit=unit)
    login(Role.supervisor)
    in_english(client)
    page = client.get(f"/supervision/notices/new?petition={case}").get_data(as_text=True)
    assert "反映宅基地确权拖延" in page and is_selected(page, unit.id)
    response = client.post(f"/supervision/notices/new?petition={case}", data=notice_form(unit))
    assert response.status_code == 302
    notice = only_notice(app)
    assert notice.number == "督办〔2026〕第0001号" and notice.level is NoticeLevel.reminder
    assert notice.petition_id == case

    url = f"/supervision/notices/{notice.id}/escalate"
    refused = client.post(url, data=escalate_form(notice))
    assert refused.status_code == 400
    assert "Formal supervision (督办) and above need a reply deadline." in refused.get_data(as_text=True)
    assert client.post(url, data=escalate_form(notice, reply_due_on="2026-10-20")).status_code == 302
    notice = only_notice(app)
    assert (notice.level, notice.reply_due_on) == (NoticeLevel.supervision, date(2026, 10, 20))
    assert client.post(url, data=escalate_form(notice, happened_on="2026-10-15",
                                               text="逾期未答复，予以通报")).status_code == 302
    notice = only_notice(app)
    assert notice.level is NoticeLevel.circulation
    refused = client.post(url, data=escalate_form(notice, happened_on="2026-10-16", decision="诫勉谈话"))
    assert refused.status_code == 400 and "Accountability (问责) needs its form" in refused.get_data(as_text=True)
    assert client.post(url, data=escalate_form(notice, happened_on="2026-10-16", accountability_form="admonition",
                                               decision="对分管负责人诫勉谈话")).status_code == 302
    notice = only_notice(app)
    assert (notice.level, notice.accountability_form) == (NoticeLevel.accountability, AccountabilityForm.admonition)
    refused = client.post(url, data=escalate_form(notice, happened_on="2026-10-17", accountability_form="admonition",
                                                  decision="再次问责"))
    assert refused.status_code == 409 and "cannot be escalated further" in refused.get_data(as_text=True)
    assert [event.level for event in events_of(app, notice.id)] == list(LADDER)

    page = client.get(f"/supervision/notices/{notice.id}").get_data(as_text=True)
    assert "逾期未答复，予以通报" in page and "对分管负责人诫勉谈话" in page and "Admonishment talk" in page
    stale = client.post(url, data=escalate_form(notice, version=notice.version - 1))
    assert stale.status_code == 409 and "Someone else changed this record" in stale.get_data(as_text=True)


@pytest.mark.parametrize("fields, message", [
    ({"level": "supervision"}, "Formal supervision (督办) and above need a reply deadline."),
    ({"level": "supervision", "reply_due_on": "2026-10-08"}, "The reply deadline cannot be before the issue date."),
    ({"level": "accountability"}, "Not a valid choice"),
    ({"requirement": ""}, "This field is required."),
])
def test_bad_notices_are_refused_and_kept(app, client, login, make_unit, fields, message):
    unit = make_unit()
    login(Role.supervisor)
    in_english(client)
    response = client.post("/supervision/notices/new", data=notice_form(unit, **fields))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(SupervisionNotice)) == 0


def test_numbers_count_on_and_a_clash_is_retried_then_refused(app, client, login, make_unit, monkeypatch):
    unit = make_unit()
    login(Role.supervisor)
    in_english(client)
    assert client.post("/supervision/notices/new", data=notice_form(unit)).status_code == 302
    real = notice_views.next_sequence
    calls = []

    def clashing_once(last):
        calls.append(last)
        return 1 if len(calls) == 1 else real(last)  # the first try takes the number another issue just took

    monkeypatch.setattr(notice_views, "next_sequence", clashing_once)
    assert client.post("/supervision/notices/new", data=notice_form(unit)).status_code == 302
    with app.app_context():
        numbers = db.session.scalars(db.select(SupervisionNotice.number).order_by(SupervisionNotice.id)).all()
    assert numbers == ["督办〔2026〕第0001号", "督办〔2026〕第0002号"] and len(calls) == 2

    monkeypatch.setattr(notice_views, "next_sequence", lambda last: 1)
    response = client.post("/supervision/notices/new", data=notice_form(unit, requirement="第三份"))
    assert response.status_code == 400
    assert "took the same number at the same moment" in response.get_data(as_text=True)
    assert "第三份" in response.get_data(as_text=True)


def test_only_the_addressed_unit_replies_and_supervisors_record_paper_replies(app, client, login, make_unit):
    mine, other = make_unit(name="南山乡"), make_unit(name="北山乡")
    login(Role.supervisor)
    assert client.post("/supervision/notices/new", data=notice_form(mine)).status_code == 302
    notice = only_notice(app)
    reply = {"version": notice.version, "replied_on": "2026-10-12", "text": "已完成整改并建立长效机制"}

    login(Role.handler, unit=other)
    in_english(client)
    refused = client.post(f"/supervision/notices/{notice.id}/reply", data=reply)
    assert refused.status_code == 403
    assert "Only the unit or leader this notice is addressed to can reply to it." in refused.get_data(as_text=True)
    assert only_notice(app).replied_on is None

    handler = login(Role.handler, unit=mine)
    in_english(client)
    assert client.post(f"/supervision/notices/{notice.id}/reply", data=reply).status_code == 302
    notice = only_notice(app)
    assert (notice.reply_text, notice.replied_on, notice.replied_by_id) == ("已完成整改并建立长效机制",
                                                                            date(2026, 10, 12), handler.id)
    again = client.post(f"/supervision/notices/{notice.id}/reply", data=dict(reply, version=notice.version))
    assert again.status_code == 409 and "already been recorded" in again.get_data(as_text=True)
    assert events_of(app, notice.id)[-1].kind is NoticeEventKind.replied

    supervisor = login(Role.supervisor)
    assert client.post(f"/supervision/notices/{notice.id}/escalate", data=escalate_form(
        notice, reply_due_on="2026-10-30")).status_code == 302
    notice = only_notice(app)
    assert client.post(f"/supervision/notices/{notice.id}/reply", data={
        "version": notice.version, "replied_on": "2026-10-13", "text": "纸质回复已收到"}).status_code == 302
    history = events_of(app, notice.id)[-1].text
    assert "纸质回复已收到" in history and "测试supervisor" in history  # who recorded it
    assert only_notice(app).replied_by_id == supervisor.id


def test_a_notice_on_an_accusation_is_never_addressed_to_the_accused_unit(app, client, login, make_unit,
                                                                          make_petition):
    accused, lead = make_unit(name="被举报镇"), make_unit(name="县纪委")
    case = make_petition(purpose=Purpose.accusation, accused_unit=accused, lead_unit=lead)
    login(Role.supervisor)
    in_english(client)
    response = client.post(f"/supervision/notices/new?petition={case}", data=notice_form(accused))
    assert response.status_code == 400
    assert "nothing about it may be addressed to it" in response.get_data(as_text=True)
    assert client.post(f"/supervision/notices/new?petition={case}", data=notice_form(lead)).status_code == 302
    assert only_notice(app).unit_id == lead.id


def test_notices_on_an_item_and_from_a_finding_are_addressed_to_their_unit(app, client, login, make_unit,
                                                                           make_leader):
    unit = make_unit(name="水利局", kind=UnitKind.department)
    item = persist(app, RectificationItem(unit_id=unit.id, responsible_person="钱五", problem="河道整治未完成",
                                          measures="限期整治", opened_on=date(2026, 9, 1), deadline=date(2026, 9, 30),
                                          status=RectificationStatus.open))
    login(Role.supervisor)
    page = client.get(f"/supervision/notices/new?item={item.id}").get_data(as_text=True)
    assert "河道整治未完成" in page
    assert client.post(f"/supervision/notices/new?item={item.id}", data=notice_form(unit)).status_code == 302
    notice = only_notice(app)
    assert notice.item_id == item.id
    page = client.get(f"/supervision/items/{item.id}").get_data(as_text=True)
    assert notice.number in page and f"/supervision/items/{item.id}/escalate" in page  # overdue: escalate here
    assert client.post(f"/supervision/items/{item.id}/escalate", data=escalate_form(
        notice, reply_due_on="2026-10-20")).status_code == 302
    assert only_notice(app).level is NoticeLevel.supervision

    leader = make_leader()
    run = persist(app, CheckRun(trigger=CheckTrigger.page, status=CheckRunStatus.finished, as_of=TODAY))
    finding = persist(app, CheckFinding(kind=CheckKind.quota_shortfall, subject=f"leader:{leader.id}:2026-10",
                                        leader_id=leader.id, detail="10 月接访 0 天，应 1 天", first_run_id=run.id))
    page = client.get(f"/supervision/notices/new?finding={finding.id}").get_data(as_text=True)
    assert "10 月接访 0 天，应 1 天" in page
    assert is_selected(page, leader.unit_id) and is_selected(page, leader.id)


def test_the_notice_sheet_shows_no_petitioner_data(app, client, login, make_unit, make_petition):
    unit = make_unit()
    case = make_petition(summary="反映拖欠工资问题", lead_unit=unit, name="陈某某", id_number=ID_NUMBER, phone=PHONE)
    login(Role.supervisor)
    assert client.post(f"/supervision/notices/new?petition={case}", data=notice_form(unit)).status_code == 302
    notice = only_notice(app)
    for url in (f"/supervision/notices/{notice.id}/sheet", f"/supervision/notices/{notice.id}",
                "/supervision/notices"):
        page = client.get(url).get_data(as_text=True)
        assert notice.number in page and "反映拖欠工资问题" in page
        for personal in (ID_NUMBER, PHONE, mask_id_number(ID_NUMBER), mask_phone(PHONE), "陈某某", "东村1号"):
            assert personal not in page, (url, personal)
    sheet = client.get(f"/supervision/notices/{notice.id}/sheet").get_data(as_text=True)
    assert "请于十日内报送办理情况" in sheet and "<nav" not in sheet


def test_units_and_leaders_see_only_notices_addressed_to_them(app, client, login, make_unit, make_leader):
    mine, other = make_unit(name="甲镇"), make_unit(name="乙镇")
    login(Role.supervisor)
    for unit, requirement in ((mine, "甲镇的督办要求"), (other, "乙镇的督办要求")):
        client.post("/supervision/notices/new", data=notice_form(unit, requirement=requirement))
    with app.app_context():
        ids = dict(db.session.execute(db.select(SupervisionNotice.unit_id, SupervisionNotice.id)).all())

    login(Role.handler, unit=mine)
    page = client.get("/supervision/notices").get_data(as_text=True)
    assert "甲镇的督办要求" in page and "乙镇的督办要求" not in page
    assert client.get(f"/supervision/notices/{ids[other.id]}").status_code == 404
    assert client.get(f"/supervision/notices/{ids[other.id]}/sheet").status_code == 404
    assert client.get(f"/supervision/notices/{ids[mine.id]}/sheet").status_code == 200
    assert client.get("/supervision/notices/new").status_code == 403
    assert client.post(f"/supervision/notices/{ids[mine.id]}/escalate", data={}).status_code == 403
    page = client.get("/supervision/").get_data(as_text=True)
    assert "甲镇的督办要求" in page and "乙镇的督办要求" not in page

    user = login(Role.leader, unit=make_unit(kind=UnitKind.county))
    leader = make_leader(user=user)
    login(Role.supervisor)
    client.post("/supervision/notices/new", data=notice_form(other, leader_id=leader.id, requirement="请领导过问"))
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    page = client.get("/supervision/notices").get_data(as_text=True)
    assert "请领导过问" in page and "乙镇的督办要求" not in page

    login(Role.clerk, unit=make_unit())
    page = client.get("/supervision/notices").get_data(as_text=True)
    assert "督办〔" not in page

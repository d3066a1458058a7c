"""Petitions through the pages: registration, repeat warning, search, masking, confidentiality, clocks."""
from datetime import date, timedelta

import pytest

from blueprints.cases.idnumber import make_id_number
from models import (
    AuditAction,
    AuditLog,
    CaseStatus,
    Channel,
    Petition,
    Purpose,
    ReceptionBatch,
    ReceptionRecord,
    Role,
    SessionStatus,
    UnitKind,
    db,
)
from tests.conftest import ID_NUMBER, PHONE



def register_form(category, **overrides):
    form = {"channel": "visit", "received_on": date.today().isoformat(), "purpose": "claim",
            "category_id": str(category.id), "persons": "1", "summary": "反映工资拖欠",
            "petitioners-0-name": "李四", "petitioners-0-id_number": ID_NUMBER, "petitioners-0-phone": PHONE,
            "petitioners-0-address": "西村2号", "petitioners-0-village": "西村"}
    form.update(overrides)
    return form


def count_petitions(app):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Petition.id)))


def test_clerk_registers_a_petition_with_its_acceptance_clock(app, client, login, category):
    login(Role.clerk)
    response = client.post("/cases/new", data=register_form(category, received_on="2026-09-20"))
    assert response.status_code == 302
    with app.app_context():
        petition = db.session.scalar(db.select(Petition))
        assert petition.number == f"XF2026-{petition.id:07d}" and petition.status is CaseStatus.registered
        assert petition.due_on == date(2026, 10, 8)  # 15 days land on National Day and roll to 10-08
        assert petition.petitioners[0].id_number == ID_NUMBER
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2026-10-08" in page and "2026-10-05" in page  # the explanation lists the skipped rest days


@pytest.mark.parametrize("overrides, message", [
    ({"petitioners-0-id_number": "110105194912310021"}, "身份证号"),
    ({"received_on": (date.today() + timedelta(days=1)).isoformat()}, "未来"),
    ({"purpose": "accusation"}, "被检举"),
    ({"summary": ""}, "必填"),
    ({"petitioners-0-phone": "abc"}, "数字"),
])
def test_bad_registrations_are_refused_and_kept(app, client, login, category, overrides, message):
    login(Role.clerk)
    page = client.post("/cases/new", data=register_form(category, **overrides)).get_data(as_text=True)
    assert message in page and 'value="西村2号"' in page
    assert count_petitions(app) == 0


def test_a_likely_repeat_visit_is_shown_before_saving(app, client, login, category, make_petition):
    login(Role.clerk)
    earlier = make_petition(summary="上次反映的事")
    first = client.post("/cases/new", data=register_form(category)).get_data(as_text=True)
    assert f"/cases/{earlier}" in first and 'name="repeat_checked" type="hidden" value="1"' in first
    assert count_petitions(app) == 1
    saved = client.post("/cases/new", data=register_form(category, repeat_checked="1", is_repeat="y"))
    assert saved.status_code == 302 and count_petitions(app) == 2


def test_list_masks_personal_data_and_finds_by_id_phone_name_and_words(client, login, make_petition):
    login(Role.clerk)
    make_petition(summary="反映宅基地纠纷", name="赵六", id_number=make_id_number("330102", date(1980, 1, 1), 1),
                  phone="13900001111")
    make_petition(summary="反映物业收费")
    page = client.get("/cases/").get_data(as_text=True)
    assert PHONE not in page and "138****5678" in page and ID_NUMBER not in page
    for query in (ID_NUMBER, PHONE, "王某", "物业"):
        found = client.get("/cases/", query_string={"q": query}).get_data(as_text=True)
        assert "反映物业收费" in found and "反映宅基地纠纷" not in found, query


def test_accusations_are_invisible_to_the_accused_unit(app, client, login, make_unit, make_petition):
    accused = make_unit("县住建局", kind=UnitKind.department)
    secret = make_petition(summary="检举某局领导", purpose=Purpose.accusation, accused_unit=accused)
    make_petition(summary="普通求决")
    login(Role.clerk, unit=accused)
    listing = client.get("/cases/").get_data(as_text=True)
    assert "普通求决" in listing and "检举某局领导" not in listing
    assert "检举某局领导" not in client.get("/cases/", query_string={"q": "检举"}).get_data(as_text=True)
    assert "检举某局领导" not in client.get("/cases/", query_string={"purpose": "accusation"}).get_data(as_text=True)
    assert client.get(f"/cases/{secret}").status_code == 404
    assert client.post(f"/cases/{secret}/reveal").status_code == 404


def test_handlers_and_leaders_see_only_their_cases(client, login, make_unit, make_leader, make_petition):
    town = make_unit("城关镇")
    mine = make_petition(summary="本单位承办", lead_unit=town)
    make_petition(summary="别的单位承办")
    login(Role.handler, unit=town)
    listing = client.get("/cases/").get_data(as_text=True)
    assert "本单位承办" in listing and "别的单位承办" not in listing
    assert client.get(f"/cases/{mine}").status_code == 200
    client.post("/auth/logout")
    user = login(Role.leader)
    package = make_petition(summary="我包的案", leader=make_leader(user=user))
    listing = client.get("/cases/").get_data(as_text=True)
    assert "我包的案" in listing and "本单位承办" not in listing
    assert client.get(f"/cases/{package}").status_code == 200
    assert client.get("/cases/new").status_code == 403


def test_reveal_is_for_staff_and_the_handling_unit_and_is_audited(app, client, login, make_petition):
    petition_id = make_petition()
    login(Role.supervisor)
    page = client.get(f"/cases/{petition_id}").get_data(as_text=True)
    assert ID_NUMBER not in page and "显示完整" not in page
    assert client.post(f"/cases/{petition_id}/reveal").status_code == 403
    client.post("/auth/logout")
    clerk = login(Role.clerk)
    assert ID_NUMBER not in client.get(f"/cases/{petition_id}").get_data(as_text=True)
    revealed = client.post(f"/cases/{petition_id}/reveal").get_data(as_text=True)
    assert ID_NUMBER in revealed and PHONE in revealed
    with app.app_context():
        entry = db.session.scalar(db.select(AuditLog).where(AuditLog.action == AuditAction.reveal))
        assert entry.actor_id == clerk.id and entry.object_id == str(petition_id)


def test_overdue_cases_are_marked_and_filterable(client, login, make_petition, app):
    login(Role.clerk)
    late = make_petition(summary="早就该受理", received_on=date.today() - timedelta(days=40))
    with app.app_context():
        db.session.get(Petition, late).due_on = date.today() - timedelta(days=25)
        db.session.commit()
    make_petition(summary="刚收到")
    page = client.get("/cases/?clock=overdue").get_data(as_text=True)
    assert "早就该受理" in page and "刚收到" not in page and "超期" in page


def test_an_unsettled_reception_batch_becomes_a_case_in_one_click(app, client, login, make_session, category):
    session_id = make_session(day=date.today() - timedelta(days=1), status=SessionStatus.held)
    with app.app_context():
        record = ReceptionRecord(session_id=session_id)
        record.batches = [
            ReceptionBatch(petitioner_names="赵某、钱某", persons=2, matter="反映村道损坏", settled=False),
            ReceptionBatch(petitioner_names="孙某", persons=1, matter="咨询政策", settled=True)]
        db.session.add(record)
        db.session.commit()
        unsettled, settled = (batch.id for batch in record.batches)
    login(Role.clerk)
    assert "/cases/new?batch=%d" % unsettled in client.get(f"/reception/{session_id}").get_data(as_text=True)
    form_page = client.get(f"/cases/new?batch={unsettled}").get_data(as_text=True)
    assert "反映村道损坏" in form_page and 'value="钱某"' in form_page
    response = client.post(f"/cases/new?batch={unsettled}", data=register_form(
        category, channel="reception", summary="反映村道损坏", **{"petitioners-0-name": "赵某"},
        **{"petitioners-0-id_number": "", "petitioners-0-phone": "", "petitioners-0-village": ""}))
    assert response.status_code == 302
    with app.app_context():
        petition = db.session.scalar(db.select(Petition).where(Petition.reception_batch_id == unsettled))
        assert petition is not None and petition.channel is Channel.reception
        number = petition.number
    assert number in client.get(f"/reception/{session_id}").get_data(as_text=True)
    assert client.get(f"/cases/new?batch={unsettled}").status_code == 404  # registered once only
    assert client.get(f"/cases/new?batch={settled}").status_code == 404  # settled on the spot


def test_an_item_assigned_from_above_carries_its_report_back_date(app, client, login, category):
    login(Role.clerk)
    report_by = (date.today() + timedelta(days=20)).isoformat()
    response = client.post("/cases/new", data=register_form(category, channel="assigned", assigned_from="市信访局",
                                                             report_due_on=report_by))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert report_by in page and "报结" in page  # the report-back clock, beside acceptance and objection
    with app.app_context():
        petition = db.session.scalar(db.select(Petition).where(Petition.assigned_from == "市信访局"))
        assert petition.report_due_on.isoformat() == report_by
        assert petition.due_on < petition.report_due_on  # the 5-working-day objection clock runs first


def test_unicode_digits_are_refused_not_crashed_on(client, login, category):
    login(Role.clerk)
    assert client.get("/cases/?unit=²").status_code in (200, 400)  # ignored or refused with a message
    assert client.get("/cases/new?batch=²").status_code == 404
    response = client.post("/cases/new", data=register_form(category, **{"petitioners-0-id_number": "²" * 18,
                                                                          "petitioners-0-name": ""}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "身份证号码无效" in page
    assert "该字段是必填字段" in page  # the petitioner sub-form speaks Chinese too

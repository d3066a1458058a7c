"""Reception sessions through the pages: create, conflicts, lifecycle, records, rota and quotas."""
from datetime import date, time, timedelta

import pytest

from models import (
    LeaderPost,
    ReceptionBatch,
    ReceptionQuota,
    ReceptionSession,
    Role,
    SessionStatus,
    UnitKind,
    db,
)

NEXT_WEEK = date.today() + timedelta(days=7)


@pytest.fixture
def planning(app, make_leader, make_unit, make_method):
    """A county, two leaders and a method, for filling the session form."""
    county = make_unit("示范县", kind=UnitKind.county)
    return {"county": county, "method": make_method("定点接访"),
            "zhang": make_leader("张建国", unit=county), "li": make_leader("李红梅", unit=county)}


def session_form(planning, **overrides):
    form = {"day": NEXT_WEEK.isoformat(), "start_time": "09:00", "end_time": "12:00", "place": "县群众工作中心接待室",
            "unit_id": str(planning["county"].id), "leader_ids": [str(planning["zhang"].id)],
            "method_id": str(planning["method"].id), "topic": "城乡建设", "booking": "电话预约"}
    form.update(overrides)
    return form


def get_session(app, session_id):
    with app.app_context():
        return db.session.get(ReceptionSession, session_id)


def test_clerk_creates_a_draft_and_publishes_it(app, client, login, planning):
    login(Role.clerk)
    response = client.post("/reception/new", data=session_form(planning))
    assert response.status_code == 302
    session_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert get_session(app, session_id).status is SessionStatus.draft
    assert "县群众工作中心接待室" not in client.get("/").get_data(as_text=True)
    client.post(f"/reception/{session_id}/publish")
    assert get_session(app, session_id).status is SessionStatus.published
    public = client.get("/").get_data(as_text=True)
    assert "县群众工作中心接待室" in public and "张建国" in public


@pytest.mark.parametrize("overrides, message", [
    ({"end_time": "08:00"}, "结束时间必须晚于开始时间"),
    ({"day": (date.today() - timedelta(days=1)).isoformat()}, "过去"),
    ({"leader_ids": ["999999"]}, "只能从列出的选项中选择"),
    ({"leader_ids": []}, "请至少选择一名领导"),
    ({"topic": "长" * 10_000}, "500"),
    ({"day": "2026-02-30"}, "日期"),
])
def test_bad_session_input_is_refused_and_kept(app, client, login, planning, overrides, message):
    login(Role.clerk)
    response = client.post("/reception/new", data=session_form(planning, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert 'value="县群众工作中心接待室"' in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ReceptionSession.id))) == 0


def test_script_in_a_text_field_is_shown_as_text(client, login, planning):
    login(Role.clerk)
    response = client.post("/reception/new", data=session_form(planning, topic="<script>alert(1)</script>"))
    client.post(f"{response.headers['Location']}/publish")
    for url in (response.headers["Location"], "/", "/notice?from=" + NEXT_WEEK.isoformat()):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_a_leader_or_place_booked_twice_is_refused_naming_the_other_session(app, client, login, planning,
                                                                             make_session):
    login(Role.clerk)
    other = make_session(day=NEXT_WEEK, start=time(10), end=time(11), leaders=[planning["zhang"]], place="别处")
    page = client.post("/reception/new", data=session_form(planning)).get_data(as_text=True)
    assert f"#{other}" in page and "张建国" in page
    place_clash = client.post("/reception/new", data=session_form(
        planning, leader_ids=[str(planning["li"].id)], place="别处")).get_data(as_text=True)
    assert f"#{other}" in place_clash
    fine = client.post("/reception/new", data=session_form(planning, start_time="14:00", end_time="17:00"))
    assert fine.status_code == 302


def test_published_session_cannot_be_deleted_or_silently_retimed(app, client, login, planning, make_session):
    login(Role.clerk)
    session_id = make_session(leaders=[planning["zhang"]])
    page = client.post(f"/reception/{session_id}/delete", follow_redirects=True).get_data(as_text=True)
    assert "只能删除草稿" in page
    assert get_session(app, session_id) is not None
    retimed = client.post(f"/reception/{session_id}/edit", data=session_form(
        planning, start_time="15:00", end_time="16:00", version="1"))
    assert "改期" in retimed.get_data(as_text=True)
    assert get_session(app, session_id).start_time == time(9)


def test_cancel_needs_a_public_reason(app, client, login, make_session):
    login(Role.clerk)
    session_id = make_session()
    refused = client.post(f"/reception/{session_id}/cancel", data={"reason": "", "version": "1"})
    assert refused.status_code == 400
    client.post(f"/reception/{session_id}/cancel", data={"reason": "领导赴省开会", "version": "1"})
    item = get_session(app, session_id)
    assert item.status is SessionStatus.cancelled and item.sequence == 1
    public = client.get("/").get_data(as_text=True)
    assert "领导赴省开会" in public and "已取消" in public


def test_reschedule_shows_the_old_time_struck_through(app, client, login, make_session):
    login(Role.clerk)
    session_id = make_session(day=NEXT_WEEK)
    new_day = NEXT_WEEK + timedelta(days=2)
    client.post(f"/reception/{session_id}/reschedule",
                data={"day": new_day.isoformat(), "start_time": "14:00", "end_time": "16:30", "version": "1"})
    item = get_session(app, session_id)
    assert (item.day, item.previous_day, item.start_time) == (new_day, NEXT_WEEK, time(14))
    public = client.get("/").get_data(as_text=True)
    assert f"<del>{NEXT_WEEK.isoformat()}" in public and "14:00–16:30" in public


def test_copy_makes_a_new_draft(app, client, login, planning, make_session):
    login(Role.clerk)
    session_id = make_session(leaders=[planning["zhang"]])
    form = client.get(f"/reception/{session_id}/copy").get_data(as_text=True)
    assert "草稿" in form
    response = client.post(f"/reception/{session_id}/copy", data=session_form(
        planning, day=(NEXT_WEEK + timedelta(days=1)).isoformat()))
    copy_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert copy_id != session_id and get_session(app, copy_id).status is SessionStatus.draft


def test_record_a_held_session_with_batches(app, client, login, make_session):
    login(Role.clerk)
    future = make_session()
    assert client.post(f"/reception/{future}/record", data={"version": "1"}).status_code == 302
    assert get_session(app, future).status is SessionStatus.published  # not before its day
    today = make_session(day=date.today())
    client.post(f"/reception/{today}/record", data={"notes": "按时接访", "version": "1"})
    assert get_session(app, today).status is SessionStatus.held
    client.post(f"/reception/{today}/batches", data={"petitioner_names": "王某某等6人", "persons": "6",
                                                     "matter": "工资拖欠", "answer": "已联系人社局"})
    page = client.get(f"/reception/{today}").get_data(as_text=True)
    assert "王某某等6人" in page and "集体访" in page
    bad = client.post(f"/reception/{today}/batches", data={"petitioner_names": "", "persons": "0", "matter": ""})
    assert bad.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ReceptionBatch.id))) == 1


def test_quota_table_counts_held_only_with_a_record(app, client, login, planning, make_session):
    login(Role.clerk)
    client.post("/reception/quotas", data={post.value: "2" if post is LeaderPost.county_leader else "0"
                                           for post in LeaderPost})
    with app.app_context():
        assert db.session.get(ReceptionQuota, LeaderPost.county_leader).days_per_month == 2
    today = make_session(day=date.today(), leaders=[planning["zhang"]])
    make_session(day=date.today(), start=time(14), end=time(15), leaders=[planning["zhang"]])
    client.post(f"/reception/{today}/record", data={"version": "1"})
    page = client.get("/reception/quotas").get_data(as_text=True)
    row = page[page.index("张建国"):].split("</tr>")[0]
    cells = [cell.split("<")[0] for cell in row.split("<td>")[1:4]]
    assert cells == ["2", "1", "1"]  # required, scheduled days, held days


def test_rota_proposes_every_working_day_and_publishes_in_one_step(app, client, login, planning):
    login(Role.clerk)
    args = {"month": "2026-10", "leader_ids": [str(planning["zhang"].id), str(planning["li"].id)],
            "start_time": "09:00", "end_time": "12:00", "place": "接待室", "unit_id": str(planning["county"].id),
            "method_id": str(planning["method"].id), "booking": ""}
    page = client.get("/reception/rota", query_string=args).get_data(as_text=True)
    assert page.count('name="day-2026-') == 18  # October 2026: National Day week off, Saturday 10-10 worked
    assert 'name="day-2026-10-10"' in page and 'name="day-2026-10-01"' not in page
    choices = {f"day-2026-10-{d:02d}": str(planning["zhang"].id) for d in (8, 9, 10)}
    response = client.post("/reception/rota/publish", data={**args, **choices})
    assert response.status_code == 302
    with app.app_context():
        days = db.session.scalars(db.select(ReceptionSession.day).where(
            ReceptionSession.status == SessionStatus.published).order_by(ReceptionSession.day)).all()
    assert days == [date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10)]
    page = client.get("/reception/rota?month=2026-10").get_data(as_text=True)
    assert "2026-10-12" in page  # still uncovered
    assert "2026-10-09" not in page.split("<h2>")[-2]


def test_leader_sees_own_coming_sessions_at_home(client, login, make_leader, make_session):
    user = login(Role.leader)
    mine = make_leader("本人领导", user=user)
    make_session(leaders=[mine], place="我的接待室")
    make_session(place="别人的接待室")
    page = client.get("/auth/home").get_data(as_text=True)
    assert "我的接待室" in page and "别人的接待室" not in page


def test_supervisors_read_but_do_not_plan(client, login, make_session):
    login(Role.supervisor)
    session_id = make_session()
    assert client.get(f"/reception/{session_id}").status_code == 200
    assert client.get("/reception/new").status_code == 403
    assert client.post(f"/reception/{session_id}/cancel", data={"reason": "x"}).status_code == 403
    assert client.post("/reception/quotas", data={}).status_code == 403

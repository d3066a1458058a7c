"""What the public sees: the schedule page, the printable notice, the calendar feed and the JSON list."""
from datetime import date, time, timedelta

from icalendar import Calendar

from models import (
    CaseStatus,
    Channel,
    Petition,
    Petitioner,
    Purpose,
    ReceptionBatch,
    ReceptionRecord,
    ReceptionSession,
    SessionStatus,
    db,
)

NEXT_WEEK = date.today() + timedelta(days=7)
PUBLIC_URLS = ("/", "/notice?from={d}&to={e}", "/receptions.ics", "/api/v1/receptions",
               "/api/v1/receptions?from={d}&to={e}", "/receptions.ics?from={d}&to={e}")


def public_responses(client, start, end):
    return {url: client.get(url.format(d=start.isoformat(), e=end.isoformat())).get_data(as_text=True)
            for url in PUBLIC_URLS}


def test_nothing_private_reaches_any_public_response(app, client, make_session):
    """Unique markers in every private field, and none of them in any public answer."""
    markers = {"internal": "INTERNAL-7f3a", "name": "PETITIONER-9c1e", "matter": "MATTER-2b7d",
               "answer": "ANSWER-5e8f", "notes": "NOTES-4a6c", "draft": "DRAFT-PLACE-1d9b",
               "case_number": "XF-MARK-3e1a", "case_summary": "SUMMARY-8b2f", "case_name": "CASENAME-6d4c",
               "id_number": "33010219800229123X", "phone": "13900004321", "address": "ADDRESS-0c5e"}
    today = make_session(day=date.today(), internal_remarks=markers["internal"])
    make_session(day=NEXT_WEEK, status=SessionStatus.draft, place=markers["draft"])
    with app.app_context():
        item = db.session.get(ReceptionSession, today)
        item.status = SessionStatus.held
        record = ReceptionRecord(session=item, notes=markers["notes"])
        batch = ReceptionBatch(record=record, petitioner_names=markers["name"], persons=2,
                               matter=markers["matter"], answer=markers["answer"])
        petition = Petition(number=markers["case_number"], received_on=date.today(), channel=Channel.reception,
                            purpose=Purpose.claim, summary=markers["case_summary"], status=CaseStatus.registered)
        petition.petitioners.append(Petitioner(name=markers["case_name"], id_number=markers["id_number"],
                                               phone=markers["phone"], address=markers["address"]))
        db.session.add_all([batch, petition])
        db.session.commit()
        petition.reception_batch_id = batch.id
        db.session.commit()
    for url, body in public_responses(client, date.today() - timedelta(days=1), NEXT_WEEK + timedelta(days=7)).items():
        for marker in markers.values():
            assert marker not in body, (url, marker)
    assert "接待室" in client.get("/").get_data(as_text=True)


def test_schedule_groups_by_week_and_filters(client, make_session, make_leader, make_method):
    zhang, li = make_leader("张建国"), make_leader("李红梅")
    video = make_method("视频接访")
    make_session(day=NEXT_WEEK, leaders=[zhang], place="一楼接待室")
    make_session(day=NEXT_WEEK + timedelta(days=7), leaders=[li], place="二楼接待室", method=video)
    page = client.get("/").get_data(as_text=True)
    assert page.count('class="week"') == 2 and page.index("一楼接待室") < page.index("二楼接待室")
    by_leader = client.get(f"/?leader={li.id}").get_data(as_text=True)
    assert "二楼接待室" in by_leader and "一楼接待室" not in by_leader
    by_method = client.get(f"/?method={video.id}").get_data(as_text=True)
    assert "二楼接待室" in by_method and "一楼接待室" not in by_method


def test_past_sessions_leave_the_page_but_cancelled_ones_stay_until_their_day(app, client, make_session):
    make_session(day=date.today() - timedelta(days=1), place="昨天的接待室")
    make_session(day=NEXT_WEEK, place="取消的接待室", status=SessionStatus.cancelled, cancel_reason="另行通知")
    page = client.get("/").get_data(as_text=True)
    assert "昨天的接待室" not in page and "取消的接待室" in page and "另行通知" in page


def test_notice_is_a_clean_printable_page(client, make_session):
    make_session(day=NEXT_WEEK, place="公告接待室")
    page = client.get(f"/notice?from={NEXT_WEEK.isoformat()}&to={(NEXT_WEEK + timedelta(days=6)).isoformat()}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "公告接待室" in html and "0000-12345" in html
    assert "site-header" not in html and "<nav" not in html


def test_malformed_ranges_are_a_400_with_a_message(client):
    for url in ("/notice?from=2026-13-01", "/receptions.ics?from=yesterday", "/notice?from=2026-12-10&to=2026-12-01",
                "/?from=x"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "YYYY-MM-DD" in response.get_data(as_text=True) or "早于" in response.get_data(as_text=True), url
    api = client.get("/api/v1/receptions?from=2026-02-30")
    assert api.status_code == 400 and "error" in api.json


def test_calendar_feed_follows_rfc5545(app, client, make_session):
    session_id = make_session(day=NEXT_WEEK, start=time(9), end=time(11, 30))
    feed = Calendar.from_ical(client.get("/receptions.ics").data)
    assert feed.walk("VTIMEZONE")[0]["TZID"] == "Asia/Shanghai"
    event = feed.walk("VEVENT")[0]
    assert str(event["UID"]) == f"reception-session-{session_id}@xinfang"
    assert event["DTSTART"].dt.hour == 9 and str(event["DTSTART"].dt.tzinfo) == "Asia/Shanghai"
    first_sequence = int(event["SEQUENCE"])
    with app.app_context():
        item = db.session.get(ReceptionSession, session_id)
        item.status, item.cancel_reason, item.sequence = SessionStatus.cancelled, "天气原因", item.sequence + 1
        db.session.commit()
    event = Calendar.from_ical(client.get("/receptions.ics").data).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == first_sequence + 1
    assert str(event["UID"]) == f"reception-session-{session_id}@xinfang"


def test_json_list_has_the_public_fields_only(client, make_session, make_leader):
    make_session(day=NEXT_WEEK, leaders=[make_leader("张建国")], topic="征地拆迁", internal_remarks="内部")
    rows = client.get("/api/v1/receptions").json
    assert len(rows) == 1
    row = rows[0]
    assert row["date"] == NEXT_WEEK.isoformat() and row["leaders"][0]["name"] == "张建国"
    assert row["topic"] == "征地拆迁" and "internal_remarks" not in row
    assert client.get(f"/api/v1/receptions?from={(NEXT_WEEK + timedelta(days=1)).isoformat()}").json == []


def test_cached_public_pages_change_as_soon_as_the_data_does(app, client, make_session, make_leader):
    leader = make_leader("张建国")
    session_id = make_session(day=NEXT_WEEK, leaders=[leader], place="旧接待室")
    for url in ("/", "/api/v1/receptions", "/receptions.ics"):
        assert "旧接待室" in client.get(url).get_data(as_text=True)
    with app.app_context():
        db.session.get(ReceptionSession, session_id).place = "新接待室"
        db.session.commit()
    for url in ("/", "/api/v1/receptions", "/receptions.ics"):
        body = client.get(url).get_data(as_text=True)
        assert "新接待室" in body and "旧接待室" not in body, url
    with app.app_context():
        db.session.get(type(leader), leader.id).name = "张改名"
        db.session.commit()
    assert "张改名" in client.get("/").get_data(as_text=True)


def test_cached_pages_carry_nothing_of_another_visitor(client, login, make_session):
    make_session(day=NEXT_WEEK)
    user = login()
    anonymous = client.application.test_client()
    first = anonymous.get("/")
    assert "Set-Cookie" not in first.headers
    signed_in = client.get("/").get_data(as_text=True)
    assert user.display_name in signed_in
    again = anonymous.get("/")
    assert user.display_name not in again.get_data(as_text=True) and "Set-Cookie" not in again.headers
    assert again.get_data() == first.get_data()


def test_visitors_switch_language_with_a_link(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/auth/language/en?next=/"' in page
    assert client.get("/auth/language/en?next=/").headers["Location"] == "/"
    assert 'lang="en"' in client.get("/").get_data(as_text=True)

"""The admin's working-day calendar: a year's view, day overrides, and importing a year's notice."""
from datetime import date

from blueprints.shared import official_calendar
from models import CalendarDay, CalendarYear, CaseStatus, Petition, Role, db

GOOD_2027 = """date,kind
2027-01-01,rest
2027-02-06,workday
2027-02-08,rest
2027-02-09,holiday
"""


def test_2026_shows_make_up_days_and_holidays_from_the_package(client, login):
    login(Role.admin)
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "248" in page
    assert 'class="day makeup" href="/admin/calendar/day/2026-02-14"' in page
    assert 'class="day holiday" href="/admin/calendar/day/2026-10-01"' in page
    assert "chinesecalendar" in page


def test_2027_is_provisional_until_imported(app, client, login):
    login(Role.admin)
    page = client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "暂定" in page and "day work provisional" in page
    response = client.post("/admin/calendar/2027/import", data={"csv_text": GOOD_2027, "confirm_year": "y"})
    assert response.status_code == 302
    with app.app_context():
        calendar = official_calendar()
        assert calendar.knows_year(2027)
        assert not calendar.is_working_day(date(2027, 1, 1))
        assert calendar.is_working_day(date(2027, 2, 6))  # a Saturday worked
        assert not calendar.is_working_day(date(2027, 2, 9))
    page = client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "provisional" not in page.split('class="months"')[1]


def test_a_bad_import_names_every_bad_line_and_writes_nothing(app, client, login):
    login(Role.admin)
    text = "2027-01-01,rest\n2027-13-01,rest\n2027-01-04;rest\n2026-12-31,rest\n2027-01-05,maybe\n2027-01-01,workday\n"
    page = client.post("/admin/calendar/2027/import", data={"csv_text": text, "confirm_year": "y"}
                       ).get_data(as_text=True)
    for line in (2, 3, 4, 5, 6):
        assert f"第 {line} 行" in page or f"第{line}行" in page, line
    assert "2027-01-05,maybe" in page  # the pasted text is kept for fixing
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(CalendarDay)) == 0
        assert db.session.get(CalendarYear, 2027) is None


def test_import_from_an_uploaded_file_replaces_the_year(app, client, login):
    login(Role.admin)
    client.post("/admin/calendar/day/2027-03-01", data={"status": "rest", "note": "试"})
    upload = {"csv_file": (__import__("io").BytesIO(("\ufeff" + GOOD_2027).encode()), "2027.csv"), "confirm_year": "y"}
    response = client.post("/admin/calendar/2027/import", data=upload, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        days = db.session.scalars(db.select(CalendarDay.day).order_by(CalendarDay.day)).all()
        assert days == [date(2027, 1, 1), date(2027, 2, 6), date(2027, 2, 8), date(2027, 2, 9)]


def test_override_a_day_and_return_it_to_the_package(app, client, login):
    login(Role.admin)
    client.post("/admin/calendar/day/2026-10-08", data={"status": "rest", "note": "台风停工"})
    with app.app_context():
        status = official_calendar().status(date(2026, 10, 8))
        assert (status.is_working, status.source) == (False, "override")
    assert 'class="day holiday override"' in client.get("/admin/calendar?year=2026").get_data(as_text=True)
    client.post("/admin/calendar/day/2026-10-08", data={"status": "default"})
    with app.app_context():
        assert official_calendar().status(date(2026, 10, 8)).source == "package"


def test_confirm_and_unconfirm_a_year(app, client, login):
    login(Role.admin)
    client.post("/admin/calendar/2028/confirm", data={"confirmed": "1"})
    with app.app_context():
        assert official_calendar().knows_year(2028)
    client.post("/admin/calendar/2028/confirm", data={"confirmed": "0"})
    with app.app_context():
        assert not official_calendar().knows_year(2028)


def test_a_bad_date_in_the_url_is_a_404(client, login):
    login(Role.admin)
    assert client.get("/admin/calendar/day/2026-02-30").status_code == 404
    assert client.get("/admin/calendar?year=abc").status_code == 200


def test_loading_a_year_recomputes_open_deadlines(app, client, login, make_petition):
    # 60 days after 2026-12-10 is Monday 2027-02-08: a working day on weekends alone, a rest day once 2027 is loaded.
    open_id = make_petition(status=CaseStatus.in_progress, received_on=date(2026, 12, 8),
                            accepted_on=date(2026, 12, 10), due_on=date(2027, 2, 8))
    closed_id = make_petition(status=CaseStatus.closed, received_on=date(2026, 12, 8),
                              accepted_on=date(2026, 12, 10), due_on=None)
    login(Role.admin)
    response = client.post("/admin/calendar/2027/import", data={"csv_text": GOOD_2027, "confirm_year": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Petition, open_id).due_on == date(2027, 2, 10)
        assert db.session.get(Petition, closed_id).due_on is None

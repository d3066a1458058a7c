"""The case list through its URL: date range, sort, search by what the text looks like, capped count, query plans."""
import re
from datetime import date, timedelta

import pytest

from blueprints.cases import services
from blueprints.cases.idnumber import make_id_number
from blueprints.cases.services import petition_list_query
from models import CaseStatus, Channel, Petition, Purpose, Role, Unit, UnitKind, User, db
from tests.conftest import ID_NUMBER, PHONE

TODAY = date.today()


def listed(client, **args) -> list[str]:
    """The summaries on the list page, in order."""
    page = client.get("/cases/", query_string=args)
    assert page.status_code == 200
    return re.findall(r"<td>(反映[^<…]*)</td>", page.get_data(as_text=True))


def test_received_from_and_to_are_inclusive(client, login, make_petition):
    login(Role.clerk)
    for days, summary in ((10, "反映甲"), (5, "反映乙"), (1, "反映丙")):
        make_petition(summary=summary, received_on=TODAY - timedelta(days=days))
    start, end = (TODAY - timedelta(days=10)).isoformat(), (TODAY - timedelta(days=5)).isoformat()
    assert listed(client, **{"from": start, "to": end}) == ["反映乙", "反映甲"]
    assert listed(client, **{"from": end}) == ["反映丙", "反映乙"]
    assert listed(client, to=start) == ["反映甲"]


@pytest.mark.parametrize("bad", ["2026-13-45", "yesterday", "２０２６-０１-０１", "2026-01-01'--"])
def test_a_bad_date_is_ignored_with_a_message(client, login, make_petition, bad):
    login(Role.clerk)
    make_petition(summary="反映甲", received_on=TODAY - timedelta(days=3))
    page = client.get("/cases/", query_string={"from": bad})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "反映甲" in text
    assert 'class="flash flash-warning"' in text and "信访日期自" in text


def test_a_range_that_ends_before_it_starts_says_so(client, login, make_petition):
    login(Role.clerk)
    make_petition(summary="反映甲")
    page = client.get("/cases/", query_string={"from": TODAY.isoformat(),
                                               "to": (TODAY - timedelta(days=1)).isoformat()})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "反映甲" not in text and 'class="flash flash-warning"' in text


def test_sort_newest_oldest_and_earliest_deadline(app, client, login, make_petition):
    login(Role.clerk)
    make_petition(summary="反映旧案", received_on=TODAY - timedelta(days=30), due_on=TODAY + timedelta(days=9))
    make_petition(summary="反映已结", received_on=TODAY - timedelta(days=20), status=CaseStatus.closed)
    make_petition(summary="反映新案", received_on=TODAY - timedelta(days=2), due_on=TODAY + timedelta(days=1))
    assert listed(client) == ["反映新案", "反映已结", "反映旧案"]
    assert listed(client, sort="newest") == listed(client, sort="nonsense") == listed(client)
    assert listed(client, sort="oldest") == ["反映旧案", "反映已结", "反映新案"]
    # Cases without a running clock come last on every database (PostgreSQL and SQLite order NULLs differently).
    assert listed(client, sort="due") == ["反映新案", "反映旧案", "反映已结"]


def test_every_filter_of_the_page_narrows_the_list(app, client, login, make_petition, make_unit, make_leader,
                                                   category):
    login(Role.clerk)
    town, unit, leader = make_unit("城关镇"), make_unit("县住建局", kind=UnitKind.department), make_leader()
    make_petition(summary="反映甲", channel=Channel.letter, purpose=Purpose.suggestion, category_id=category.id,
                  township_id=town.id, lead_unit=unit, leader=leader, status=CaseStatus.in_progress,
                  due_on=TODAY + timedelta(days=2))
    make_petition(summary="反映乙", due_on=TODAY - timedelta(days=1))
    for args in ({"channel": "letter"}, {"purpose": "suggestion"}, {"category": category.id}, {"township": town.id},
                 {"unit": unit.id}, {"leader": leader.id}, {"status": "in_progress"}, {"clock": "due_soon"}):
        assert listed(client, **args) == ["反映甲"], args
    assert listed(client, clock="overdue") == ["反映乙"]
    for ignored in ({"unit": "²"}, {"leader": "x"}, {"channel": "pigeon"}, {"clock": "someday"}):
        assert listed(client, **ignored) == ["反映乙", "反映甲"], ignored
    page = client.get("/cases/").get_data(as_text=True)
    for name in ("category", "township", "unit", "leader", "from", "to", "sort"):
        assert f'name="{name}"' in page


def test_an_id_number_or_phone_search_looks_at_those_fields_only(app, client, login, make_petition):
    login(Role.clerk)
    make_petition(summary="反映甲")
    make_petition(summary=f"反映乙，对方身份证 {ID_NUMBER}，电话 {PHONE}", id_number="", phone="")
    assert listed(client, q=ID_NUMBER) == ["反映甲"]
    assert listed(client, q=ID_NUMBER.lower()) == ["反映甲"]
    assert listed(client, q=PHONE) == ["反映甲"]
    assert listed(client, q="138 1234 5678") == listed(client, q="138-1234-5678") == ["反映甲"]


def test_a_case_number_is_found_with_or_without_its_leading_zeros(app, client, login, make_petition):
    login(Role.clerk)
    petition_id = make_petition(summary="反映甲")
    make_petition(summary="反映乙")
    with app.app_context():
        db.session.get(Petition, petition_id).number = "XF2026-0000123"
        db.session.commit()
    for text in ("XF2026-0000123", "xf2026-123", " XF2026-00123 "):
        assert listed(client, q=text) == ["反映甲"], text


def test_other_text_is_a_name_or_words_of_the_summary_taken_literally(client, login, make_petition):
    login(Role.clerk)
    make_petition(summary="反映工资拖欠", name="李四", id_number=make_id_number("330102", date(1980, 1, 1), 2))
    make_petition(summary="反映100%补偿未到位")
    assert listed(client, q="李四") == ["反映工资拖欠"]
    assert listed(client, q="拖欠") == ["反映工资拖欠"]
    assert listed(client, q="100%补偿") == ["反映100%补偿未到位"]
    assert listed(client, q="%") == ["反映100%补偿未到位"]
    assert listed(client, q="_") == []


def test_the_count_stops_past_the_cap_and_the_pages_still_work(app, client, login, make_petition, monkeypatch):
    login(Role.clerk)
    app.config["PAGE_SIZE"] = 2
    monkeypatch.setattr(services, "LIST_COUNT_CAP", 3)
    for n in range(9):
        make_petition(summary=f"反映第{n}件", received_on=TODAY - timedelta(days=n))
    first = client.get("/cases/").get_data(as_text=True)
    assert "超过 3" in first and "page=2" in first and "page=3" not in first
    third = client.get("/cases/?page=3").get_data(as_text=True)
    assert "超过 7" in third and "反映第4件" in third and "page=4" in third and "page=5" not in third
    last = client.get("/cases/?page=5").get_data(as_text=True)
    assert "反映第8件" in last and "超过" not in last and "共 9 条" in last
    assert "超过" not in client.get("/cases/", query_string={"q": "第8件"}).get_data(as_text=True)
    assert client.get("/cases/?page=99").status_code == 200


@pytest.fixture
def plan(sqlite_app):
    """plan(args) -> SQLite's query plan lines for the clerk's list query and its capped count."""
    with sqlite_app.app_context():
        unit = Unit(name="县信访局", kind=UnitKind.department)
        clerk = User(username="planner", display_name="clerk", role=Role.clerk, unit=unit)
        clerk.set_password("irrelevant-9")
        db.session.add(clerk)
        db.session.commit()

    def explain(args: dict) -> list[str]:
        with sqlite_app.app_context():
            user = db.session.scalar(db.select(User).where(User.username == "planner"))
            query = petition_list_query(user, args)
            count = query.with_only_columns(Petition.id).order_by(None).limit(1001)
            lines = []
            for statement in (query.limit(50), count):
                sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
                lines += [row[3] for row in db.session.execute(db.text("EXPLAIN QUERY PLAN " + sql))]
            return lines

    return explain


ONE_FILTER_LISTS = [{}, {"status": "in_progress"}, {"channel": "letter"}, {"purpose": "claim"}, {"category": "3"},
                    {"township": "2"}, {"unit": "4"}, {"leader": "5"}, {"clock": "overdue"}, {"clock": "due_soon"},
                    {"from": "2026-01-01", "to": "2026-01-31"}, {"sort": "oldest"}, {"sort": "due"},
                    {"q": ID_NUMBER}, {"q": PHONE}, {"q": "XF2026-0000123"}]


@pytest.mark.parametrize("args", ONE_FILTER_LISTS, ids=lambda args: ",".join(f"{k}={v}" for k, v in args.items()))
def test_each_one_filter_list_reads_an_index_and_sorts_nothing_big(plan, args):
    lines = plan(args)
    assert not [line for line in lines if line == "SCAN petition"], lines  # a full table scan
    if not args.get("q"):  # a search sorts the few rows it found
        assert not [line for line in lines if "TEMP B-TREE" in line], lines
    else:
        assert [line for line in lines if "USING INDEX ix_petitioner_" in line or "(number=?)" in line], lines

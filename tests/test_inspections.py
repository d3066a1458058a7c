"""Inspections and rounds through the pages: every kind of target, refusals that keep the input, stale edits,
evidence files, who may open them, a round's coverage and the year plan; the rules as plain functions."""
import io
import re
from datetime import date, timedelta
from html import unescape

import pytest

from blueprints.supervision.inspections import covers, date_problem, missing_rounds, uncovered, year_plan
from models import (
    Inspection,
    InspectionEvidence,
    InspectionMethod,
    InspectionRound,
    InspectionTarget,
    Leader,
    Petition,
    Rating,
    RectificationItem,
    RectificationStatus,
    Role,
    RoundKind,
    Unit,
    UnitKind,
    db,
)

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TIFF = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64
TODAY = date.today()
PAST_ROUND = (date(2025, 1, 1), date(2025, 2, 28))


@pytest.fixture
def files_dir(app, tmp_path):
    """Evidence goes to a temporary folder for the test."""
    folder = tmp_path / "attachments"
    app.config["ATTACHMENT_DIR"] = str(folder)
    return folder


@pytest.fixture
def supervisor(client, login):
    """A supervisor logged in, reading the English source strings."""
    user = login(Role.supervisor)
    with client.session_transaction() as session:
        session["lang"] = "en"
    return user


@pytest.fixture
def make_round(app):
    def factory(start=None, end=None, units=(), leaders=(), kind=RoundKind.bimonthly, name="第一轮督查"):
        start = start or TODAY - timedelta(days=30)
        with app.app_context():
            item = InspectionRound(kind=kind, name=name, starts_on=start, ends_on=end or TODAY + timedelta(days=30),
                                   units=[db.session.get(Unit, u.id) for u in units],
                                   leaders=[db.session.get(Leader, leader.id) for leader in leaders])
            db.session.add(item)
            db.session.commit()
            return item.id

    return factory


@pytest.fixture
def world(make_unit, make_leader, make_petition, make_round):
    """A township, a department, a leader, a case and a round that ended in 2025."""
    township = make_unit(name="东镇", kind=UnitKind.township)
    department = make_unit(name="住建局", kind=UnitKind.department)
    leader = make_leader(name="李县长")
    petition_id = make_petition(summary="反映拆迁补偿问题", name="王某", phone="13812345678")
    old_round = make_round(*PAST_ROUND, name="2025年第1轮")
    return {"township": township, "department": department, "leader": leader, "petition_id": petition_id,
            "old_round": old_round}


def form(**overrides) -> dict:
    data = {"target": "unit", "leader_id": "", "period_from": "", "period_to": "", "unit_id": "",
            "case_number": "", "round_id": "", "inspected_on": TODAY.isoformat(), "method": "on_site",
            "inspectors": "张三、李四", "findings": "接访台账缺少两次记录", "rating": "basic"}
    data.update({name: str(value) for name, value in overrides.items()})
    return data


def post_new(client, data, files=(), query=""):
    payload = dict(data, evidence=[(io.BytesIO(content), name) for name, content in files])
    return client.post("/supervision/inspections/new" + query, data=payload, content_type="multipart/form-data")


def created_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.fullmatch(r"/supervision/inspections/(\d+)", response.headers["Location"]).group(1))


def load(app, model, ident):
    with app.app_context():
        obj = db.session.get(model, ident)
        db.session.expunge(obj)
        return obj


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def page_text(response) -> str:
    return unescape(response.get_data(as_text=True))


def petition_number(app, petition_id):
    return load(app, Petition, petition_id).number


# --- logging each kind of target --------------------------------------------------------------------------------

def test_a_leaders_receptions_for_a_period(app, client, supervisor, world):
    start, end = TODAY - timedelta(days=60), TODAY - timedelta(days=1)
    # A unit chosen before switching the kind to receptions is cleared on save.
    inspection_id = created_id(post_new(client, form(target="receptions", leader_id=world["leader"].id,
                                                     period_from=start, period_to=end,
                                                     unit_id=world["township"].id, case_number="nonsense")))
    item = load(app, Inspection, inspection_id)
    assert (item.target, item.leader_id, item.period_from, item.period_to) == (
        InspectionTarget.receptions, world["leader"].id, start, end)
    assert (item.unit_id, item.petition_id, item.created_by_id) == (None, None, supervisor.id)
    assert (item.method, item.rating, item.inspectors) == (InspectionMethod.on_site, Rating.basic, "张三、李四")
    page = page_text(client.get(f"/supervision/inspections/{inspection_id}"))
    assert "李县长" in page and start.isoformat() in page and "接访台账缺少两次记录" in page
    assert f"/supervision/items/new?inspection={inspection_id}" in page


@pytest.mark.parametrize("kind", ["unit", "township"])
def test_a_unit_or_a_township(app, client, supervisor, world, kind):
    unit = world["township"]
    inspection_id = created_id(post_new(client, form(target=kind, unit_id=unit.id, leader_id=world["leader"].id,
                                                     period_from=TODAY)))
    item = load(app, Inspection, inspection_id)
    assert (item.target.value, item.unit_id, item.leader_id, item.period_from) == (kind, unit.id, None, None)
    assert "东镇" in page_text(client.get(f"/supervision/inspections/{inspection_id}"))


def test_a_department_may_be_inspected_as_a_unit(app, client, supervisor, world):
    inspection_id = created_id(post_new(client, form(target="unit", unit_id=world["department"].id)))
    assert load(app, Inspection, inspection_id).unit_id == world["department"].id


def test_a_case_by_its_number_shows_no_personal_data(app, client, supervisor, world):
    number = petition_number(app, world["petition_id"])
    inspection_id = created_id(post_new(client, form(target="case", case_number=f"  {number.lower()} ",
                                                     unit_id=world["township"].id, method="phone_callback")))
    item = load(app, Inspection, inspection_id)
    assert (item.target, item.petition_id, item.unit_id) == (InspectionTarget.case, world["petition_id"], None)
    page = page_text(client.get(f"/supervision/inspections/{inspection_id}"))
    assert number in page and "反映拆迁补偿问题" in page
    assert f'href="/cases/{world["petition_id"]}"' in page
    assert "王某" not in page and "13812345678" not in page and "138****5678" not in page


# --- refusals ---------------------------------------------------------------------------------------------------

BAD_INPUT = [
    ("receptions without a leader", lambda w: form(target="receptions", period_from=TODAY, period_to=TODAY),
     "Choose the leader whose receptions were inspected."),
    ("receptions without a period", lambda w: form(target="receptions", leader_id=w["leader"].id),
     "Give the first day of the period inspected."),
    ("period ends before it starts", lambda w: form(target="receptions", leader_id=w["leader"].id,
                                                    period_from=TODAY, period_to=TODAY - timedelta(days=1)),
     "The period cannot end before it starts."),
    ("unit without a unit", lambda w: form(target="unit"), "Choose the unit inspected."),
    ("township without a township", lambda w: form(target="township"), "Choose the township inspected."),
    ("case without a number", lambda w: form(target="case"), "Enter the number of the case inspected."),
    ("date in the future", lambda w: form(unit_id=w["township"].id, inspected_on=TODAY + timedelta(days=1)),
     "The inspection date cannot be in the future."),
    ("date outside the round", lambda w: form(unit_id=w["township"].id, round_id=w["old_round"]),
     "The round runs from 2025-01-01 to 2025-02-28: the inspection date must fall within it."),
    ("unknown case number", lambda w: form(target="case", case_number="XF2099-0000001"),
     "No case has the number “XF2099-0000001”."),
    ("a township that is not one", lambda w: form(target="township", unit_id=w["department"].id),
     "“住建局” is not a township: choose a township, or make the target a unit."),
    ("not a date", lambda w: form(unit_id=w["township"].id, inspected_on="2026-13-45"), "Not a valid date value."),
]


@pytest.mark.parametrize("name, data, message", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_is_refused_with_the_message_and_the_input_kept(app, client, supervisor, world, files_dir,
                                                                 name, data, message):
    response = post_new(client, data(world), files=[("photo.png", PNG)])
    assert response.status_code == 400
    page = page_text(response)
    assert message in page
    assert 'value="张三、李四"' in page and "接访台账缺少两次记录" in page
    assert "No file was saved; choose the files again." in page
    assert count(app, Inspection) == 0 and count(app, InspectionEvidence) == 0
    assert not files_dir.exists() or not list(files_dir.iterdir())


def test_a_bad_file_type_refuses_the_whole_inspection(app, client, supervisor, world, files_dir):
    response = post_new(client, form(unit_id=world["township"].id), files=[("photo.png", PNG), ("run.exe", b"MZ")])
    assert response.status_code == 400
    page = page_text(response)
    assert "“run.exe”: only JPEG, PNG, PDF and TIFF files are accepted." in page
    assert "No file was saved; choose the files again." in page
    assert 'value="张三、李四"' in page
    assert count(app, Inspection) == 0 and count(app, InspectionEvidence) == 0
    assert not files_dir.exists() or not list(files_dir.iterdir())


def test_a_file_whose_contents_do_not_match_its_name_is_refused(app, client, supervisor, world, files_dir):
    response = post_new(client, form(unit_id=world["township"].id), files=[("scan.pdf", PNG)])
    assert response.status_code == 400
    assert "“scan.pdf” is not really a PDF file" in page_text(response)
    assert count(app, Inspection) == 0


def test_a_date_inside_the_round_is_accepted(app, client, supervisor, world, make_round):
    round_id = make_round(TODAY - timedelta(days=10), TODAY + timedelta(days=10))
    inspection_id = created_id(post_new(client, form(unit_id=world["township"].id, round_id=round_id)))
    assert load(app, Inspection, inspection_id).round_id == round_id


# --- editing ----------------------------------------------------------------------------------------------------

def test_edit_changes_the_target_and_clears_the_old_one(app, client, supervisor, world):
    inspection_id = created_id(post_new(client, form(target="receptions", leader_id=world["leader"].id,
                                                     period_from=TODAY, period_to=TODAY)))
    page = page_text(client.get(f"/supervision/inspections/{inspection_id}/edit"))
    assert 'value="张三、李四"' in page and "receptions" in page
    version = load(app, Inspection, inspection_id).version
    response = client.post(f"/supervision/inspections/{inspection_id}/edit",
                           data=form(target="unit", unit_id=world["township"].id, leader_id=world["leader"].id,
                                     period_from=TODAY, period_to=TODAY, rating="failed", version=version))
    assert response.status_code == 302
    item = load(app, Inspection, inspection_id)
    assert (item.target, item.unit_id, item.leader_id, item.period_from, item.period_to, item.rating) == (
        InspectionTarget.unit, world["township"].id, None, None, None, Rating.failed)


def test_edit_refuses_bad_input_with_400(app, client, supervisor, world):
    inspection_id = created_id(post_new(client, form(unit_id=world["township"].id)))
    version = load(app, Inspection, inspection_id).version
    response = client.post(f"/supervision/inspections/{inspection_id}/edit",
                           data=form(target="case", case_number="NOPE-1", findings="新的发现", version=version))
    assert response.status_code == 400
    page = page_text(response)
    assert "No case has the number “NOPE-1”." in page and "新的发现" in page
    assert load(app, Inspection, inspection_id).target is InspectionTarget.unit


def test_a_stale_edit_is_refused_and_the_input_kept(app, client, supervisor, world):
    inspection_id = created_id(post_new(client, form(unit_id=world["township"].id)))
    version = load(app, Inspection, inspection_id).version
    first = client.post(f"/supervision/inspections/{inspection_id}/edit",
                        data=form(unit_id=world["township"].id, findings="第一次修改", version=version))
    assert first.status_code == 302
    stale = client.post(f"/supervision/inspections/{inspection_id}/edit",
                        data=form(unit_id=world["township"].id, findings="过时的修改", version=version))
    assert stale.status_code == 409
    page = page_text(stale)
    assert "Someone else changed this record while you were editing." in page and "过时的修改" in page
    assert load(app, Inspection, inspection_id).findings == "第一次修改"


def test_the_page_lists_the_rectification_items_of_the_inspection(app, client, supervisor, world):
    inspection_id = created_id(post_new(client, form(unit_id=world["township"].id)))
    with app.app_context():
        db.session.add(RectificationItem(inspection_id=inspection_id, unit_id=world["township"].id,
                                         responsible_person="赵主任", problem="接访记录缺失需补齐",
                                         measures="补录台账", opened_on=TODAY, deadline=TODAY + timedelta(days=20),
                                         status=RectificationStatus.open))
        db.session.commit()
    page = page_text(client.get(f"/supervision/inspections/{inspection_id}"))
    assert "接访记录缺失需补齐" in page and (TODAY + timedelta(days=20)).isoformat() in page
    assert "No rectification items from this inspection yet." not in page


# --- evidence ---------------------------------------------------------------------------------------------------

def download(client, evidence_id):
    with client.get(f"/supervision/evidence/{evidence_id}") as response:
        response.get_data()
    return response


def evidence_rows(app):
    with app.app_context():
        rows = db.session.scalars(db.select(InspectionEvidence).order_by(InspectionEvidence.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_evidence_is_stored_at_creation_and_added_on_the_page_then_downloaded(app, client, supervisor, world,
                                                                               files_dir):
    inspection_id = created_id(post_new(client, form(unit_id=world["township"].id),
                                        files=[("现场照片.png", PNG), ("../../台账.pdf", PDF)]))
    response = client.post(f"/supervision/inspections/{inspection_id}/evidence",
                           data={"files": [(io.BytesIO(TIFF), "scan.tif")]}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/supervision/inspections/{inspection_id}#evidence"
    rows = evidence_rows(app)
    assert [(r.filename, r.content_type, r.size, r.inspection_id, r.uploaded_by_id) for r in rows] == [
        ("现场照片.png", "image/png", len(PNG), inspection_id, supervisor.id),
        ("台账.pdf", "application/pdf", len(PDF), inspection_id, supervisor.id),
        ("scan.tif", "image/tiff", len(TIFF), inspection_id, supervisor.id)]
    assert sorted(path.name for path in files_dir.iterdir()) == sorted(r.stored_name for r in rows)
    page = page_text(client.get(f"/supervision/inspections/{inspection_id}"))
    assert all(f"/supervision/evidence/{r.id}" in page for r in rows)

    png = download(client, rows[0].id)
    assert png.status_code == 200 and png.data == PNG and png.mimetype == "image/png"
    assert png.headers["X-Content-Type-Options"] == "nosniff"
    assert png.headers["Cache-Control"] == "private, no-store"
    assert png.headers["Content-Disposition"].startswith("inline")
    assert "filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.png" in png.headers["Content-Disposition"]
    tiff = download(client, rows[2].id)
    assert tiff.mimetype == "image/tiff" and tiff.data == TIFF
    assert tiff.headers["Content-Disposition"] == "attachment; filename=scan.tif"
    assert download(client, 999999).status_code == 404


def test_a_refused_upload_on_the_page_stores_nothing(app, client, supervisor, world, files_dir):
    inspection_id = created_id(post_new(client, form(unit_id=world["township"].id)))
    response = client.post(f"/supervision/inspections/{inspection_id}/evidence",
                           data={"files": [(io.BytesIO(PNG), "ok.png"), (io.BytesIO(b"<html>"), "page.html")]},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = page_text(response)
    assert "“page.html”: only JPEG, PNG, PDF and TIFF files are accepted." in page
    assert "No file was saved; choose the files again." in page
    empty = client.post(f"/supervision/inspections/{inspection_id}/evidence", data={},
                        content_type="multipart/form-data")
    assert empty.status_code == 400 and "Choose at least one file." in page_text(empty)
    assert count(app, InspectionEvidence) == 0
    assert not files_dir.exists() or not list(files_dir.iterdir())


def test_an_upload_over_the_request_limit_is_answered_with_the_limits(app, client, supervisor, world, files_dir):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = post_new(client, form(unit_id=world["township"].id), files=[("big.pdf", PDF + b"0" * 4096)])
    assert response.status_code == 413
    assert "Evidence files: the files sent together are larger than 1 KB" in page_text(response)
    assert count(app, Inspection) == 0


# --- who may open these pages -----------------------------------------------------------------------------------

@pytest.fixture
def existing(app, client, supervisor, world, files_dir, make_round):
    """An inspection with one evidence file and a round, logged by a supervisor who is then logged out."""
    inspection_id = created_id(post_new(client, form(unit_id=world["township"].id), files=[("a.png", PNG)]))
    client.post("/auth/logout")
    return {"inspection": inspection_id, "evidence": evidence_rows(app)[0].id, "round": make_round()}


@pytest.mark.parametrize("role", [Role.handler, Role.leader, Role.clerk])
def test_other_roles_get_403_on_every_inspection_and_round_url(app, client, login, existing, role):
    login(role)
    i, e, r = existing["inspection"], existing["evidence"], existing["round"]
    urls = [("GET", "/supervision/inspections"), ("GET", "/supervision/inspections/new"),
            ("POST", "/supervision/inspections/new"), ("GET", f"/supervision/inspections/{i}"),
            ("GET", f"/supervision/inspections/{i}/edit"), ("POST", f"/supervision/inspections/{i}/edit"),
            ("POST", f"/supervision/inspections/{i}/evidence"), ("GET", f"/supervision/evidence/{e}"),
            ("GET", "/supervision/rounds"), ("GET", "/supervision/rounds?plan=2026"),
            ("POST", "/supervision/rounds/plan"), ("GET", "/supervision/rounds/new"),
            ("POST", "/supervision/rounds/new"), ("GET", f"/supervision/rounds/{r}")]
    for method, url in urls:
        assert client.open(url, method=method, data=form()).status_code == 403, (role, method, url)
    assert count(app, InspectionRound) == 2 and count(app, Inspection) == 1


def test_an_admin_may_use_the_pages(app, client, login, existing):
    login(Role.admin)
    assert client.get(f"/supervision/inspections/{existing['inspection']}").status_code == 200
    assert download(client, existing["evidence"]).status_code == 200
    assert client.get(f"/supervision/rounds/{existing['round']}").status_code == 200


# --- the list ---------------------------------------------------------------------------------------------------

def test_the_list_filters(app, client, supervisor, world, make_round):
    round_id = make_round()
    created_id(post_new(client, form(unit_id=world["township"].id, rating="passed", round_id=round_id,
                                     inspectors="甲组")))
    created_id(post_new(client, form(target="receptions", leader_id=world["leader"].id, period_from=TODAY,
                                     period_to=TODAY, rating="failed", method="unannounced", inspectors="乙组",
                                     inspected_on=TODAY - timedelta(days=40))))

    def shown(**args):
        page = page_text(client.get("/supervision/inspections", query_string=args))
        return {name for name in ("甲组", "乙组") if name in page}

    assert shown() == {"甲组", "乙组"}
    assert shown(rating="failed") == {"乙组"}
    assert shown(target="unit") == {"甲组"}
    assert shown(method="unannounced") == {"乙组"}
    assert shown(round=round_id) == {"甲组"}
    assert shown(unit=world["township"].id) == {"甲组"}
    assert shown(leader=world["leader"].id) == {"乙组"}
    assert shown(**{"from": (TODAY - timedelta(days=5)).isoformat()}) == {"甲组"}
    assert shown(to=(TODAY - timedelta(days=5)).isoformat()) == {"乙组"}
    assert shown(rating="bogus", unit="x²") == {"甲组", "乙组"}
    page = page_text(client.get("/supervision/inspections?from=yesterday"))
    assert "Inspected from: “yesterday” is not a date (YYYY-MM-DD), so it was ignored." in page


# --- prefilling -------------------------------------------------------------------------------------------------

def selected(page, name) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select).group(0)


def test_new_inspection_is_prefilled_from_the_query(app, client, supervisor, world, make_round):
    round_id = make_round(date(2026, 3, 1), date(2026, 4, 30))
    page = page_text(client.get(f"/supervision/inspections/new?round={round_id}&leader={world['leader'].id}"))
    assert f'value="{round_id}"' in selected(page, "round_id")
    assert 'value="receptions"' in selected(page, "target")
    assert f'value="{world["leader"].id}"' in selected(page, "leader_id")
    assert 'value="2026-03-01"' in page and 'value="2026-04-30"' in page
    page = page_text(client.get(f"/supervision/inspections/new?unit={world['township'].id}"))
    assert 'value="township"' in selected(page, "target")
    page = page_text(client.get(f"/supervision/inspections/new?unit={world['department'].id}"))
    assert 'value="unit"' in selected(page, "target")
    page = page_text(client.get(f"/supervision/inspections/new?petition={world['petition_id']}"))
    assert 'value="case"' in selected(page, "target")
    assert f'value="{petition_number(app, world["petition_id"])}"' in page
    for query in ("round=999999", "petition=999999", "leader=abc", "unit=999999"):
        assert client.get(f"/supervision/inspections/new?{query}").status_code == 404, query


# --- rounds -----------------------------------------------------------------------------------------------------

def round_form(**overrides) -> dict:
    data = {"kind": "bimonthly", "name": "2026年第2轮督查", "starts_on": "2026-03-01", "ends_on": "2026-04-30",
            "notes": "重点查接访记录"}
    data.update(overrides)
    return data


def test_a_new_round_ticks_every_active_unit_and_leader(app, client, supervisor, world):
    page = page_text(client.get("/supervision/rounds/new"))
    for ident in (world["township"].id, world["department"].id, world["leader"].id):
        assert re.search(rf'<input checked[^>]*value="{ident}"|<input[^>]*value="{ident}"[^>]*checked', page)


def test_a_round_is_created_with_its_planned_targets(app, client, supervisor, world):
    response = client.post("/supervision/rounds/new", data=round_form(
        unit_ids=[world["township"].id], leader_ids=[world["leader"].id]))
    assert response.status_code == 302
    round_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        item = db.session.get(InspectionRound, round_id)
        assert (item.kind, item.name, item.starts_on, item.ends_on, item.notes) == (
            RoundKind.bimonthly, "2026年第2轮督查", date(2026, 3, 1), date(2026, 4, 30), "重点查接访记录")
        assert [u.id for u in item.units] == [world["township"].id]
        assert [leader.id for leader in item.leaders] == [world["leader"].id]


def test_a_round_that_ends_before_it_starts_is_refused(app, client, supervisor, world):
    response = client.post("/supervision/rounds/new", data=round_form(ends_on="2026-02-01"))
    assert response.status_code == 400
    page = page_text(response)
    assert "The round cannot end before it starts." in page and 'value="2026年第2轮督查"' in page
    assert count(app, InspectionRound) == 1  # the world's old round only


def test_uncovered_targets_shrink_as_inspections_are_logged(app, client, supervisor, world, make_unit, make_round):
    other_township = make_unit(name="西镇", kind=UnitKind.township)
    round_id = make_round(units=[world["township"], other_township, world["department"]], leaders=[world["leader"]])

    def uncovered_on_page():
        page = page_text(client.get(f"/supervision/rounds/{round_id}"))
        section = page.split('id="uncovered"')[1].split("</section>")[0]
        return {name for name in ("东镇", "西镇", "住建局", "李县长") if name in section}, section

    names, section = uncovered_on_page()
    assert names == {"东镇", "西镇", "住建局", "李县长"}
    assert f"/supervision/inspections/new?round={round_id}&amp;unit={world['township'].id}" in \
        client.get(f"/supervision/rounds/{round_id}").get_data(as_text=True)
    assert f"round={round_id}&leader={world['leader'].id}" in section

    # A case, or an inspection of the same unit outside the round or in another round, covers nothing.
    other_round = make_round(units=[world["township"]], name="另一轮")
    created_id(post_new(client, form(target="case", case_number=petition_number(app, world["petition_id"]),
                                     round_id=round_id)))
    created_id(post_new(client, form(target="township", unit_id=world["township"].id)))
    created_id(post_new(client, form(target="township", unit_id=world["township"].id, round_id=other_round)))
    assert uncovered_on_page()[0] == {"东镇", "西镇", "住建局", "李县长"}
    rounds_page = page_text(client.get("/supervision/rounds"))
    assert "4 of 4" in rounds_page and "0 of 1" in rounds_page

    created_id(post_new(client, form(target="township", unit_id=world["township"].id, round_id=round_id)))
    assert uncovered_on_page()[0] == {"西镇", "住建局", "李县长"}
    created_id(post_new(client, form(target="unit", unit_id=world["department"].id, round_id=round_id)))
    created_id(post_new(client, form(target="receptions", leader_id=world["leader"].id, period_from=TODAY,
                                     period_to=TODAY, round_id=round_id)))
    assert uncovered_on_page()[0] == {"西镇"}
    created_id(post_new(client, form(target="unit", unit_id=other_township.id, round_id=round_id)))
    names, section = uncovered_on_page()
    assert names == set() and "Every planned target has been inspected in this round." in section

    rounds_page = page_text(client.get("/supervision/rounds"))
    assert "0 of 4" in rounds_page and "0 of 0" in rounds_page  # this round; the world's round plans nothing
    assert "4 of 4" not in rounds_page


def test_the_year_plan_is_proposed_then_created_once(app, client, supervisor):
    client.post("/supervision/rounds/new", data=round_form(starts_on="2026-01-01", ends_on="2026-02-28"))
    client.post("/supervision/rounds/new", data=round_form(kind="half_year", starts_on="2026-03-01",
                                                           ends_on="2026-04-30"))
    page = page_text(client.get("/supervision/rounds?plan=2026"))
    assert page.count("To be created") == 7 and page.count("Already exists") == 1
    response = client.post("/supervision/rounds/plan", data={"year": "2026"}, follow_redirects=True)
    assert "Year 2026: rounds created: 7; already there: 1." in page_text(response)
    assert count(app, InspectionRound) == 9
    again = client.post("/supervision/rounds/plan", data={"year": "2026"}, follow_redirects=True)
    assert "Year 2026: rounds created: 0; already there: 8." in page_text(again)
    assert count(app, InspectionRound) == 9
    assert page_text(client.get("/supervision/rounds?plan=2026")).count("Already exists") == 8
    with app.app_context():
        november = db.session.scalar(db.select(InspectionRound).where(InspectionRound.starts_on == date(2026, 11, 1)))
        assert (november.kind, november.ends_on) == (RoundKind.bimonthly, date(2026, 12, 31))


def test_the_year_plan_refuses_a_bad_year(app, client, supervisor):
    response = client.post("/supervision/rounds/plan", data={"year": "99"})
    assert response.status_code == 400
    assert "Number must be between 2000 and 2100." in page_text(response)
    page = page_text(client.get("/supervision/rounds?plan=abc"))
    assert "“abc” is not a year between 2000 and 2100, so no plan is proposed." in page
    assert count(app, InspectionRound) == 0


def test_year_plan_rounds_plan_every_active_unit_and_leader(app, client, supervisor, world):
    client.post("/supervision/rounds/plan", data={"year": "2027"})
    with app.app_context():
        rounds = db.session.scalars(db.select(InspectionRound).where(InspectionRound.starts_on >= date(2027, 1, 1)))
        planned = {(len(r.units), len(r.leaders)) for r in rounds}
        units = db.session.scalar(db.select(db.func.count(Unit.id)).where(Unit.active.is_(True)))
    assert planned == {(units, 1)}


# --- the rules as plain functions -------------------------------------------------------------------------------

def test_year_plan_has_six_bimonthly_rounds_and_two_half_year_reviews():
    plan = year_plan(2028)
    assert [(kind, start, end) for kind, _name, start, end in plan] == [
        (RoundKind.bimonthly, date(2028, 1, 1), date(2028, 2, 29)),
        (RoundKind.bimonthly, date(2028, 3, 1), date(2028, 4, 30)),
        (RoundKind.bimonthly, date(2028, 5, 1), date(2028, 6, 30)),
        (RoundKind.bimonthly, date(2028, 7, 1), date(2028, 8, 31)),
        (RoundKind.bimonthly, date(2028, 9, 1), date(2028, 10, 31)),
        (RoundKind.bimonthly, date(2028, 11, 1), date(2028, 12, 31)),
        (RoundKind.half_year, date(2028, 1, 1), date(2028, 6, 30)),
        (RoundKind.half_year, date(2028, 7, 1), date(2028, 12, 31))]
    assert plan[0][1] == "2028 round 1 (months 1–2)" and plan[7][1] == "2028 second half-year review"
    assert year_plan(2026)[0][3] == date(2026, 2, 28)
    assert len({name for _kind, name, _start, _end in plan}) == 8


def test_missing_rounds_skips_only_the_same_kind_and_dates():
    plan = year_plan(2026)
    existing = {(RoundKind.bimonthly, date(2026, 1, 1), date(2026, 2, 28)),
                (RoundKind.half_year, date(2026, 3, 1), date(2026, 4, 30)),  # a different kind: not the same round
                (RoundKind.bimonthly, date(2026, 1, 1), date(2026, 2, 27))}  # different dates
    missing = missing_rounds(plan, existing)
    assert len(missing) == 7 and plan[0] not in missing
    assert missing_rounds(plan, {(k, s, e) for k, _n, s, e in plan}) == []


def test_date_problem():
    today = date(2026, 5, 10)
    assert date_problem(today, today) is None
    assert "future" in date_problem(date(2026, 5, 11), today)
    assert date_problem(date(2026, 4, 1), today, date(2026, 3, 1), date(2026, 4, 30)) is None
    assert date_problem(date(2026, 3, 1), today, date(2026, 3, 1), date(2026, 4, 30)) is None
    assert "2026-03-01 to 2026-04-30" in date_problem(date(2026, 5, 1), today, date(2026, 3, 1), date(2026, 4, 30))
    assert "future" in date_problem(date(2026, 5, 11), today, date(2026, 5, 1), date(2026, 6, 30))


def test_which_inspection_covers_which_planned_target():
    assert covers(InspectionTarget.unit, 3, None) == ("unit", 3)
    assert covers(InspectionTarget.township, 3, None) == ("unit", 3)
    assert covers(InspectionTarget.receptions, None, 7) == ("leader", 7)
    assert covers(InspectionTarget.case, None, None) is None
    inspections = [(InspectionTarget.township, 1, None), (InspectionTarget.case, None, None),
                   (InspectionTarget.receptions, None, 5), (InspectionTarget.unit, 9, None)]
    assert uncovered({1, 2}, {5, 6}, inspections) == ({2}, {6})
    assert uncovered(set(), set(), []) == (set(), set())

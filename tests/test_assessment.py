"""The assessment table: scoring as plain functions, and the table through its URL over cases counted on paper."""
import html
import re
from datetime import date

import pytest

from blueprints.supervision.assessment import (
    Figure,
    Row,
    measure_score,
    measure_value,
    months_touched,
    ranked,
    rate,
    weighted_total,
)
from models import (
    AssessmentWeight,
    CaseStatus,
    EventKind,
    Inspection,
    InspectionMethod,
    InspectionTarget,
    LeaderPost,
    PetitionEvent,
    Purpose,
    Rating,
    ReceptionQuota,
    ReceptionRecord,
    Role,
    Satisfaction,
    SessionStatus,
    UnitKind,
    db,
)
from tests.conftest import persist

DEFAULTS = {"acceptance": 20, "handling": 20, "satisfaction": 20, "repeat": 10, "package": 15, "inspection": 10,
            "quota": 5}
Q2 = {"from": "2026-04-01", "to": "2026-06-30"}


# --- the pure parts ----------------------------------------------------------------------------------------------

def test_a_rate_with_nothing_to_count_is_none_not_zero():
    assert rate(3, 4) == 75.0 and rate(0, 5) == 0.0
    assert rate(0, 0) is None and measure_score("acceptance", 0, 0) is None and Figure("handling", 0, 0).score is None


def test_scores_repeat_visits_are_inverted_inspections_averaged_quotas_capped():
    assert measure_value("repeat", 1, 5) == 20.0 and measure_score("repeat", 1, 5) == 80.0
    assert measure_value("inspection", 160, 2) == 80.0 and measure_score("inspection", 160, 2) == 80.0
    assert measure_value("quota", 7, 6) == 100.0 and measure_score("quota", 3, 6) == 50.0
    assert measure_score("satisfaction", 1, 2) == 50.0


def test_the_total_reweights_over_the_measures_present():
    weights = {"acceptance": 20, "handling": 50, "satisfaction": 10, "quota": 0}
    assert weighted_total({"acceptance": 80.0, "handling": None, "satisfaction": 50.0}, weights) == 70.0
    assert weighted_total({"acceptance": 80.0, "quota": 10.0}, weights) == 80.0  # weight 0: left out
    assert weighted_total({"handling": None}, weights) is None
    assert weighted_total({"quota": 90.0}, weights) is None
    assert weighted_total({"acceptance": 100.0, "unknown": 0.0}, weights) == 100.0


def test_rows_are_ranked_by_total_with_ties_sharing_a_rank_and_empty_rows_last():
    def row(name, **parts):
        return Row(id=len(name), name=name, figures={m: Figure(m, part, 10) for m, part in parts.items()})

    rows = ranked([row("丙", acceptance=5), row("甲", acceptance=9), row("乙", acceptance=9), row("丁")],
                  {"acceptance": 1})
    assert [(r.name, r.rank, r.total) for r in rows] == [("乙", 1, 90.0), ("甲", 1, 90.0), ("丙", 3, 50.0),
                                                         ("丁", None, None)]


def test_months_touched():
    assert months_touched(date(2026, 4, 1), date(2026, 6, 30)) == 3
    assert months_touched(date(2025, 12, 31), date(2026, 1, 1)) == 2
    assert months_touched(date(2026, 5, 2), date(2026, 5, 1)) == 0


# --- the table ---------------------------------------------------------------------------------------------------

def table_rows(page: str) -> dict[int, dict[str, str]]:
    """{row id: {"rank", "name", each measure, "total": text}} from the assessment table."""
    found = {}
    for row_id, body in re.findall(r'<tr id="row-(\d+)">(.*?)</tr>', page, re.S):
        cells = re.findall(r'<td(?: class="([^"]*)")?>(.*?)</td>', body, re.S)
        texts = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split()) for _, text in cells]
        measures = {re.search(r"measure-(\w+)", css).group(1): text
                    for (css, _), text in zip(cells, texts) if "measure-" in css}
        found[int(row_id)] = {"rank": texts[0], "name": texts[1], "total": texts[-1], **measures}
    return found


def add_inspection(app, target, rating, on, unit=None, leader=None, petition_id=None):
    persist(app, Inspection(target=target, rating=rating, inspected_on=on, method=InspectionMethod.ledger_review,
                            inspectors="督查组", unit_id=unit.id if unit else None,
                            leader_id=leader.id if leader else None, petition_id=petition_id))


@pytest.fixture
def county(app, make_unit, make_leader, make_petition, make_session):
    """Cases, inspections and receptions of 2026 whose figures for April–June are worked out in the tests."""
    town = make_unit("城关镇")
    bureau = make_unit("县住建局", kind=UnitKind.department)
    discipline = make_unit("县纪委", kind=UnitKind.department)
    li = make_leader("李县长", post=LeaderPost.county_leader, unit=town)
    wang = make_leader("王局长", post=LeaderPost.department_head, unit=bureau)
    zhao = make_leader("赵镇长", post=LeaderPost.township_head, unit=town)
    persist(app, ReceptionQuota(post=LeaderPost.county_leader, days_per_month=2))
    persist(app, ReceptionQuota(post=LeaderPost.township_head, days_per_month=1))

    def case(unit, **fields):
        return make_petition(lead_unit=unit, **fields)

    # 城关镇, received in the period. Acceptance deadline of 04-16 and 04-17: 15 days end on 05-01 / 05-02, in the
    # May Day holiday, so both move to Wednesday 05-06.
    a1 = case(town, received_on=date(2026, 4, 16), accepted_on=date(2026, 5, 6), leader=li,
              status=CaseStatus.in_progress)                                                 # on time (moved)
    case(town, received_on=date(2026, 4, 17), accepted_on=date(2026, 5, 7), is_repeat=True,
         status=CaseStatus.in_progress)                                                      # late
    refused = case(town, received_on=date(2026, 5, 10), status=CaseStatus.not_accepted,
                   decided_on=date(2026, 5, 12))                                             # refused on time
    persist(app, PetitionEvent(petition_id=refused, kind=EventKind.not_accepted, happened_on=date(2026, 5, 12)))
    case(town, received_on=date(2026, 6, 1), accepted_on=date(2026, 6, 3), leader=li, status=CaseStatus.closed,
         opinion_on=date(2026, 6, 20), closed_on=date(2026, 6, 25), satisfaction=Satisfaction.basically)
    case(town, received_on=date(2026, 6, 10))                                              # not decided yet
    # 城关镇, handling deadlines in the period (received before it).
    case(town, received_on=date(2026, 2, 27), accepted_on=date(2026, 3, 2), opinion_on=date(2026, 5, 6),
         closed_on=date(2026, 5, 15), status=CaseStatus.closed,
         satisfaction=Satisfaction.not_evaluated)        # due 05-01 at rest → 05-06: on time
    case(town, received_on=date(2026, 1, 30), accepted_on=date(2026, 2, 1), extension_days=30,
         extension_approved_on=date(2026, 3, 20), opinion_on=date(2026, 5, 1), closed_on=date(2026, 5, 20),
         status=CaseStatus.closed, satisfaction=Satisfaction.dissatisfied)  # due 04-02 + 30 days → 05-06: on time
    case(town, received_on=date(2026, 3, 5), accepted_on=date(2026, 3, 6), extension_days=30,
         status=CaseStatus.in_progress)                  # extension not approved: due 05-06, nothing issued: late
    # 县住建局: one case, all well; an accusation against it is led by 县纪委.
    case(bureau, received_on=date(2026, 5, 5), accepted_on=date(2026, 5, 8), leader=wang, status=CaseStatus.closed,
         opinion_on=date(2026, 5, 25), closed_on=date(2026, 6, 1), satisfaction=Satisfaction.satisfied)
    case(discipline, purpose=Purpose.accusation, accused_unit=bureau, summary="检举某局干部",
         received_on=date(2026, 4, 20), accepted_on=date(2026, 4, 22), opinion_on=date(2026, 6, 15),
         status=CaseStatus.opinion_issued)                 # handling due 06-21 (Sunday) → 06-22: on time
    case(town, received_on=date(2026, 7, 1), accepted_on=date(2026, 7, 30))                 # after the period

    add_inspection(app, InspectionTarget.unit, Rating.basic, date(2026, 5, 15), unit=town)
    add_inspection(app, InspectionTarget.case, Rating.failed, date(2026, 6, 1), petition_id=a1)
    add_inspection(app, InspectionTarget.unit, Rating.passed, date(2026, 3, 1), unit=town)  # before the period
    add_inspection(app, InspectionTarget.township, Rating.passed, date(2026, 4, 10), unit=bureau)
    add_inspection(app, InspectionTarget.receptions, Rating.passed, date(2026, 5, 20), leader=li)

    def held(leader, day, recorded=True, status=SessionStatus.held):
        session_id = make_session(day=day, leaders=[leader], status=status)
        if recorded:
            persist(app, ReceptionRecord(session_id=session_id))

    for day in (date(2026, 4, 8), date(2026, 5, 13), date(2026, 6, 10), date(2026, 3, 20)):
        held(li, day)                                            # three in the period
    held(li, date(2026, 6, 17), recorded=False)                  # held, but no record: not counted
    held(li, date(2026, 6, 24), recorded=False, status=SessionStatus.published)
    for day in (date(2026, 4, 1), date(2026, 4, 2), date(2026, 5, 6), date(2026, 6, 3)):
        held(zhao, day)                                          # four, above a quota of three
    return {"town": town, "bureau": bureau, "discipline": discipline, "li": li, "wang": wang, "zhao": zhao}


def test_the_table_by_unit_matches_the_figures_worked_out_on_paper(client, login, county):
    login(Role.supervisor)
    response = client.get("/supervision/assessment", query_string=Q2)
    assert response.status_code == 200
    rows = table_rows(response.get_data(as_text=True))
    town, bureau, discipline = (rows[county[name].id] for name in ("town", "bureau", "discipline"))
    # 城关镇: decided 4, on time 3 (04-16 moved past May Day, refusal within the clock; 04-17 a day late).
    assert town["acceptance"] == "75.0% 3/4"
    assert town["handling"] == "66.7% 2/3"         # the extension counts once approved
    assert town["satisfaction"] == "50.0% 1/2"     # 未评价 is not evaluated
    assert town["repeat"] == "20.0% 1/5"
    assert town["package"] == "50.0% 1/2"
    assert town["inspection"].startswith("30.0")   # (60 + 0) / 2; the March one is outside
    assert town["quota"] == "66.7% 6/9"            # 李 3 of 6, 赵 4 capped at 3 of 3
    # (20×75 + 20×66.67 + 20×50 + 10×80 + 15×50 + 10×30 + 5×66.67) / 100
    assert town["total"] == "60.2" and town["rank"] == "3"
    assert bureau["handling"] == "—" and bureau["quota"] == "—" and bureau["inspection"].startswith("100.0")
    assert bureau["total"] == "100.0" and bureau["rank"] == "1"
    # The accusation counts for the unit leading it, never for the accused unit.
    assert discipline["acceptance"] == "100.0% 1/1" and discipline["handling"] == "100.0% 1/1"
    assert discipline["total"] == "100.0" and discipline["rank"] == "1"
    assert bureau["acceptance"] == "100.0% 1/1"
    assert list(rows)[:2] == sorted([county["bureau"].id, county["discipline"].id],
                                    key=lambda key: rows[key]["name"])


def test_the_table_by_leader(client, login, county):
    login(Role.admin)
    rows = table_rows(client.get("/supervision/assessment", query_string={**Q2, "by": "leader"}).get_data(
        as_text=True))
    li, wang, zhao = (rows[county[name].id] for name in ("li", "wang", "zhao"))
    assert li["acceptance"] == "100.0% 2/2" and li["package"] == "50.0% 1/2" and li["satisfaction"] == "100.0% 1/1"
    assert li["handling"] == "—" and li["inspection"].startswith("100.0") and li["quota"] == "50.0% 3/6"
    assert li["total"] == "87.5" and li["rank"] == "3"  # (20+20+10)×100 + 15×50 + 10×100 + 5×50 over 80
    assert wang["total"] == "100.0" and wang["quota"] == "—" and zhao["quota"] == "100.0% 3/3"
    assert "李县长" in li["name"] and "城关镇" in li["name"]


def test_a_supervisor_of_the_accused_unit_does_not_get_the_accusation_counted(client, login, county):
    login(Role.supervisor, unit=county["bureau"])
    rows = table_rows(client.get("/supervision/assessment", query_string=Q2).get_data(as_text=True))
    assert county["discipline"].id not in rows and county["bureau"].id in rows


@pytest.mark.parametrize("role", [Role.clerk, Role.handler, Role.leader])
def test_only_supervisors_and_admins_see_the_assessment(client, login, role):
    login(role)
    assert client.get("/supervision/assessment").status_code == 403
    assert client.post("/supervision/assessment/weights", data=DEFAULTS).status_code == 403


def test_the_default_period_is_this_year_to_date_and_an_empty_table_says_so(client, login):
    login(Role.supervisor)
    page = client.get("/supervision/assessment").get_data(as_text=True)
    today = date.today()
    assert f"{date(today.year, 1, 1).isoformat()}" in page and today.isoformat() in page
    assert 'class="empty"' in page


@pytest.mark.parametrize("query, message", [
    ({"from": "2026-02-30"}, "Not a valid date value."),
    ({"from": "2026-06-01", "to": "2026-05-01"}, "The end of the period must not be before its start."),
    ({"from": "2020-01-01", "to": "2026-01-01"}, "The period may be at most three years long."),
    ({"by": "township"}, "Not a valid choice."),
])
def test_a_bad_period_is_refused_next_to_the_field(client, login, query, message):
    login(Role.supervisor)
    client.post("/auth/language/en")
    response = client.get("/supervision/assessment", query_string=query)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert 'id="row-' not in response.get_data(as_text=True)


def weights(app) -> dict[str, tuple[int, int]]:
    with app.app_context():
        return {w.measure: (w.weight, w.version) for w in db.session.scalars(db.select(AssessmentWeight))}


def version_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(version_\w+)" type="hidden" value="([^"]*)"', page)
                or re.findall(r'id="(version_\w+)" name="version_\w+" type="hidden" value="([^"]*)"', page))


def test_weights_are_saved_and_change_the_total(app, client, login, county):
    login(Role.supervisor)
    page = client.get("/supervision/assessment", query_string=Q2).get_data(as_text=True)
    versions = version_fields(page)
    assert set(versions) == {f"version_{measure}" for measure in DEFAULTS} and set(versions.values()) == {""}
    only_acceptance = {**{m: 0 for m in DEFAULTS}, "acceptance": 50, **versions}
    response = client.post("/supervision/assessment/weights?" + "&".join(f"{k}={v}" for k, v in Q2.items()),
                           data=only_acceptance)
    assert response.status_code == 302 and "from=2026-04-01" in response.headers["Location"]
    assert weights(app)["acceptance"][0] == 50 and weights(app)["quota"][0] == 0
    rows = table_rows(client.get(response.headers["Location"]).get_data(as_text=True))
    assert rows[county["town"].id]["total"] == "75.0"


@pytest.mark.parametrize("change, message", [
    ({"handling": "101"}, "Number must be between 0 and 100."),
    ({"handling": "abc"}, "Not a valid integer value."),
    ({"handling": ""}, "This field is required."),
    ({m: "0" for m in DEFAULTS}, "Weights: give at least one measure a weight above 0."),
])
def test_bad_weights_are_refused_and_kept(app, client, login, change, message):
    login(Role.admin)
    client.post("/auth/language/en")
    response = client.post("/supervision/assessment/weights", data={**DEFAULTS, **change})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert f'value="{change["handling"]}"' in page
    assert weights(app) == {}


def test_a_stale_save_of_the_weights_is_refused(app, client, login):
    login(Role.supervisor)
    client.post("/auth/language/en")
    stale = version_fields(client.get("/supervision/assessment").get_data(as_text=True))
    assert client.post("/supervision/assessment/weights", data={**DEFAULTS, "quota": 7, **stale}).status_code == 302
    response = client.post("/supervision/assessment/weights", data={**DEFAULTS, "quota": 9, **stale})
    assert response.status_code == 409 and "Someone else changed this record" in response.get_data(as_text=True)
    assert 'value="9"' in response.get_data(as_text=True) and weights(app)["quota"][0] == 7
    fresh = version_fields(client.get("/supervision/assessment").get_data(as_text=True))
    assert client.post("/supervision/assessment/weights", data={**DEFAULTS, "quota": 9, **fresh}).status_code == 302
    assert weights(app)["quota"] == (9, 2)

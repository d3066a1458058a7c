"""GET /api/v1/stats with a token: a small ledger counted on paper, last year beside it, every breakdown, bad input,
and the permissions of DOMAIN §6 (a unit counts its own cases, never an accusation against itself)."""
from datetime import date

import pytest
from jsonschema import Draft202012Validator

from models import (
    CaseStatus,
    Category,
    Channel,
    Purpose,
    Resolution,
    Role,
    Satisfaction,
    UnitKind,
)
from tests import test_api_cases
from tests.conftest import persist

api = test_api_cases.api  # the fixture: api(role=clerk, **kw) gives a caller with its own token
MARCH = {"from": "2025-03-01", "to": "2025-03-31"}  # last year: 2024-03-01 … 2024-03-31


@pytest.fixture
def ledger(app, make_unit, make_leader, make_petition):
    """Seven cases received in March 2025 (C1…C7), two in March 2024 (L1, L2), two just outside March 2025.

    Every date a figure compares is given, so the figures below follow from this table alone (today is later
    than every due date, so each clock that has not ended is due):

    case received channel  persons township category  purpose     accepted decided acc.due  hand.due opinion closed
    C1   03-03    visit    1       A        sub       claim       03-05    03-05   03-18    05-05    04-01   04-10
    C2   03-06    visit    6 coll. A        top1      claim       03-10    03-10   03-21    05-10    -       -
    C3   03-12    letter*  1       B        top2      appeal      -        -       03-27    -        -       -
    C4   03-15    online   1       -        -         suggestion  -        03-20   03-30    -        -       -
    C5   03-20    phone*   1       B        sub       claim       04-08    04-08   04-03    06-07    05-20   05-25
    C6   03-25    visit    2       A        top2      accusation  -        -       04-09    -        -       -
    C7   03-31    mailbox  1       B        top1      claim       04-02    04-02   04-15    05-15    05-10   05-30
    (* assigned from above.) C1: leader L, lead unit D, mediation, satisfied. C2: lead unit D, in progress.
    C3: registered. C4: not accepted, repeat. C5: leader L, lead unit D, settlement, not evaluated.
    C6: registered, an accusation against D, lead unit A, D a co-unit. C7: mediation, dissatisfied.
    L1 2024-03-05 visit, A, top1, claim, accepted and decided 03-07 (due 03-20), handling due 05-07, opinion 04-01,
    closed 04-05, mediation, basically satisfied. L2 2024-03-20 letter, B, top2, appeal, not accepted 03-25 (due
    04-03).
    """
    town_a, town_b = make_unit("城关镇"), make_unit("东乡镇")
    department = make_unit("县住建局", kind=UnitKind.department)
    top1, top2 = persist(app, Category(name="城乡建设")), persist(app, Category(name="劳动社保"))
    sub = persist(app, Category(name="征地拆迁", parent_id=top1.id))
    leader = make_leader("张县长")

    def case(received, channel=Channel.visit, town=None, category=None, accepted=None, decided=None,
             **columns):
        return make_petition(received_on=received, channel=channel, township_id=town and town.id,
                             category_id=category and category.id, accepted_on=accepted,
                             decided_on=decided or accepted, handling_due_on=columns.pop("handling_due_on", None),
                             **columns)

    d = date
    case(d(2025, 3, 3), town=town_a, category=sub, accepted=d(2025, 3, 5), acceptance_due_on=d(2025, 3, 18),
         handling_due_on=d(2025, 5, 5), opinion_on=d(2025, 4, 1), closed_on=d(2025, 4, 10),
         status=CaseStatus.closed, resolution=Resolution.mediation, satisfaction=Satisfaction.satisfied,
         leader=leader, lead_unit=department)
    case(d(2025, 3, 6), persons=6, is_collective=True, town=town_a, category=top1, accepted=d(2025, 3, 10),
         acceptance_due_on=d(2025, 3, 21), handling_due_on=d(2025, 5, 10), status=CaseStatus.in_progress,
         lead_unit=department)
    case(d(2025, 3, 12), Channel.letter, assigned_from="市信访局", town=town_b, category=top2,
         purpose=Purpose.appeal, acceptance_due_on=d(2025, 3, 27))
    case(d(2025, 3, 15), Channel.online, purpose=Purpose.suggestion, decided=d(2025, 3, 20),
         acceptance_due_on=d(2025, 3, 30), status=CaseStatus.not_accepted, is_repeat=True)
    case(d(2025, 3, 20), Channel.phone, assigned_from="市信访局", town=town_b, category=sub,
         accepted=d(2025, 4, 8), acceptance_due_on=d(2025, 4, 3), handling_due_on=d(2025, 6, 7),
         opinion_on=d(2025, 5, 20), closed_on=d(2025, 5, 25), status=CaseStatus.closed,
         resolution=Resolution.settlement, satisfaction=Satisfaction.not_evaluated, leader=leader,
         lead_unit=department)
    case(d(2025, 3, 25), persons=2, town=town_a, category=top2, purpose=Purpose.accusation,
         accused_unit=department, lead_unit=town_a, co_units=[department], acceptance_due_on=d(2025, 4, 9))
    case(d(2025, 3, 31), Channel.mailbox, town=town_b, category=top1, accepted=d(2025, 4, 2),
         acceptance_due_on=d(2025, 4, 15), handling_due_on=d(2025, 5, 15), opinion_on=d(2025, 5, 10),
         closed_on=d(2025, 5, 30), status=CaseStatus.closed, resolution=Resolution.mediation,
         satisfaction=Satisfaction.dissatisfied)
    case(d(2024, 3, 5), town=town_a, category=top1, accepted=d(2024, 3, 7), acceptance_due_on=d(2024, 3, 20),
         handling_due_on=d(2024, 5, 7), opinion_on=d(2024, 4, 1), closed_on=d(2024, 4, 5),
         status=CaseStatus.closed, resolution=Resolution.mediation, satisfaction=Satisfaction.basically)
    case(d(2024, 3, 20), Channel.letter, town=town_b, category=top2, purpose=Purpose.appeal,
         decided=d(2024, 3, 25), acceptance_due_on=d(2024, 4, 3), status=CaseStatus.not_accepted)
    for outside in (d(2025, 2, 28), d(2025, 4, 1)):  # a day either side of the period
        case(outside, town=town_a, accepted=outside, acceptance_due_on=outside)
    return {"A": town_a, "B": town_b, "D": department, "top1": top1, "top2": top2, "sub": sub, "L": leader}


# Counted on paper from the table above; C1…C7 this year, L1, L2 last year.
NOW = {
    "total": 7, "visits": 3,                      # C1 C2 C6
    "visit_persons": 9,                           # 1 + 6 + 2
    "collective": 1, "collective_persons": 6,     # C2
    "letters": 1, "letters_from_above": 1,        # C3
    "online": 2,                                  # C4 online, C7 mailbox
    "phone": 1,                                   # C5
    "accepted": 4,                                # C1 C2 C5 C7
    "closed": 3,                                  # C1 C5 C7
    "acceptance_due": 7,                          # 5 decided + C3 and C6 registered past their due date
    "acceptance_on_time": 4,                      # C1 C2 C4 C7 (C5 decided 04-08 after 04-03)
    "handling_due": 4,                            # C1 C5 C7 handled, C2 past 05-10
    "handling_on_time": 3,                        # C1 04-01 ≤ 05-05, C5 05-20 ≤ 06-07, C7 05-10 ≤ 05-15
    "from_above": 2, "from_above_accepted": 1, "from_above_closed": 1,  # C3 C5; C5; C5
    "disputes": 4,                                # claims accepted: C1 C2 C5 C7
    "mediated": 2,                                # C1 C7
    "evaluated": 2,                               # C1 satisfied, C7 dissatisfied (C5 not evaluated)
    "satisfied": 1,                               # C1
    "repeat": 1,                                  # C4
    "packages": 2, "packages_resolved": 2,        # C1 C5, both closed
}
BEFORE = {
    "total": 2, "visits": 1, "visit_persons": 1, "collective": 0, "collective_persons": 0, "letters": 1,
    "letters_from_above": 0, "online": 0, "phone": 0, "accepted": 1, "closed": 1, "acceptance_due": 2,
    "acceptance_on_time": 2, "handling_due": 1, "handling_on_time": 1, "from_above": 0, "from_above_accepted": 0,
    "from_above_closed": 0, "disputes": 1, "mediated": 1, "evaluated": 1, "satisfied": 1, "repeat": 0,
    "packages": 0, "packages_resolved": 0,
}
RATES_NOW = {
    "acceptance_rate": 57.1,      # 4 / 7 = 57.14…
    "closure_rate": 75.0,         # 3 / 4
    "on_time_acceptance": 57.1,   # 4 / 7
    "on_time_handling": 75.0,     # 3 / 4
    "from_above_closure": 100.0,  # 1 / 1
    "mediation_rate": 50.0,       # 2 / 4
    "participation_rate": 66.7,   # 2 / 3 = 66.66…
    "satisfaction_rate": 50.0,    # 1 / 2
    "repeat_rate": 14.3,          # 1 / 7 = 14.28…
    "package_resolution": 100.0,  # 2 / 2
}
RATES_BEFORE = {
    "acceptance_rate": 50.0, "closure_rate": 100.0, "on_time_acceptance": 100.0, "on_time_handling": 100.0,
    "from_above_closure": None,  # 0 / 0: nothing to count
    "mediation_rate": 100.0, "participation_rate": 100.0, "satisfaction_rate": 100.0, "repeat_rate": 0.0,
    "package_resolution": None,
}


def test_the_figures_of_a_period_beside_last_year(api, ledger):
    body = api().get("/api/v1/stats", **MARCH).json
    assert body["period"] == {"from": "2025-03-01", "to": "2025-03-31"}
    assert body["last_year"] == {"from": "2024-03-01", "to": "2024-03-31"}
    figures = body["figures"]
    assert set(figures) == set(NOW) | set(RATES_NOW)
    assert {key: figures[key]["value"] for key in NOW} == NOW
    assert {key: figures[key]["last_year"] for key in NOW} == BEFORE
    assert {key: figures[key]["value"] for key in RATES_NOW} == RATES_NOW
    assert {key: figures[key]["last_year"] for key in RATES_NOW} == RATES_BEFORE
    assert all(isinstance(figures[key]["value"], int) for key in NOW)
    assert figures["total"]["label"]


def test_year_on_year_changes(api, ledger):
    figures = api().get("/api/v1/stats", **MARCH).json["figures"]
    assert figures["total"]["change"] == {"delta": 5, "percent": 250.0}         # 7 − 2; 5 / 2
    assert figures["visit_persons"]["change"] == {"delta": 8, "percent": 800.0}  # 9 − 1
    assert figures["collective"]["change"] == {"delta": 1, "percent": None}      # nothing last year to compare with
    assert figures["closed"]["change"] == {"delta": 2, "percent": 200.0}
    # Rates change in points: 57.14… − 50 = 7.14… pt, 7.14… / 50 = 14.28… %
    assert figures["acceptance_rate"]["change"] == {"delta": 7.1, "percent": 14.3}
    assert figures["closure_rate"]["change"] == {"delta": -25.0, "percent": -25.0}        # 75 − 100
    assert figures["participation_rate"]["change"] == {"delta": -33.3, "percent": -33.3}  # 66.66… − 100
    assert figures["repeat_rate"]["change"] == {"delta": 14.3, "percent": None}           # 14.28… − 0
    assert figures["from_above_closure"]["change"] is None  # a rate of nothing last year
    assert figures["package_resolution"]["change"] is None


@pytest.mark.parametrize("role", [Role.clerk, Role.handler])
def test_every_count_lists_as_many_cases_through_the_cases_api(api, ledger, role):
    caller = api(role, unit=ledger["D"])
    figures = caller.get("/api/v1/stats", **MARCH).json["figures"]
    for key in NOW:
        if key.endswith("_persons"):
            continue  # a sum of persons; its batches are the count before it
        listed = caller.get("/api/v1/cases", figure=key, per_page=1, **MARCH).json["total"]
        assert listed == figures[key]["value"], key


def test_a_range_without_data_has_null_rates(api, ledger):
    figures = api().get("/api/v1/stats", **{"from": "2020-01-01", "to": "2020-12-31"}).json["figures"]
    assert {key: figures[key]["value"] for key in NOW} == dict.fromkeys(NOW, 0)
    assert all(figures[key]["value"] is None and figures[key]["change"] is None for key in RATES_NOW)
    assert figures["total"]["change"] == {"delta": 0, "percent": None}


def test_last_year_around_a_leap_day(api, ledger):
    caller = api()
    body = caller.get("/api/v1/stats", **{"from": "2024-02-29", "to": "2024-03-31"}).json
    assert body["last_year"] == {"from": "2023-02-28", "to": "2023-03-31"}  # 29 February becomes the 28th
    assert body["figures"]["total"]["value"] == 2  # L1, L2
    body = caller.get("/api/v1/stats", **{"from": "2025-02-01", "to": "2025-02-28"}).json
    assert body["last_year"] == {"from": "2024-02-01", "to": "2024-02-29"}  # the whole of last February
    assert body["figures"]["total"]["value"] == 1  # the case of 2025-02-28


def groups_of(caller, by):
    body = caller.get("/api/v1/stats", by=by, **MARCH).json
    assert {key: body["figures"][key]["value"] for key in NOW} == NOW  # the period's figures, whatever the groups
    return body["groups"]


def totals(groups):
    return {group["key"]: group["figures"]["total"] for group in groups}


def test_breakdown_by_township(api, ledger):
    groups = groups_of(api(), "township")
    # A: C1 C2 C6; B: C3 C5 C7; no township: C4. The most items first, a tie by name, the unnamed last.
    assert [(group["key"], group["name"]) for group in groups] == [
        (ledger["B"].id, "东乡镇"), (ledger["A"].id, "城关镇"), (None, groups[-1]["name"])]
    assert groups[-1]["name"]
    by_key = {group["key"]: group["figures"] for group in groups}
    assert by_key[ledger["A"].id] == {**by_key[ledger["A"].id], "total": 3, "visits": 3, "visit_persons": 9,
                                      "accepted": 2, "acceptance_rate": 66.7, "closed": 1, "closure_rate": 50.0}
    assert by_key[ledger["B"].id] == {**by_key[ledger["B"].id], "total": 3, "letters": 1, "phone": 1, "online": 1,
                                      "accepted": 2, "closed": 2, "closure_rate": 100.0, "evaluated": 1,
                                      "satisfaction_rate": 0.0}
    # C4 alone: nothing accepted, so its closure rate is a rate of nothing.
    assert by_key[None] == {**by_key[None], "total": 1, "online": 1, "repeat": 1, "acceptance_rate": 0.0,
                            "repeat_rate": 100.0, "closure_rate": None}
    for key in NOW:
        assert sum(figures[key] for figures in by_key.values()) == NOW[key]


def test_breakdown_by_unit_category_and_leader(api, ledger):
    caller = api()
    units = groups_of(caller, "unit")
    assert totals(units) == {ledger["D"].id: 3, ledger["A"].id: 1, None: 3}  # D: C1 C2 C5; A: C6
    assert [group["name"] for group in units[:2]] == ["县住建局", "城关镇"]
    # First level: a subcategory counts under its parent (C1, C5 under 城乡建设 with C2, C7).
    categories = groups_of(caller, "category")
    assert totals(categories) == {ledger["top1"].id: 4, ledger["top2"].id: 2, None: 1}
    assert categories[0]["name"] == "城乡建设"
    subcategories = groups_of(caller, "subcategory")
    assert totals(subcategories) == {ledger["sub"].id: 2, ledger["top1"].id: 2, ledger["top2"].id: 2, None: 1}
    names = {group["key"]: group["name"] for group in subcategories}
    assert names[ledger["sub"].id] == "城乡建设 / 征地拆迁" and names[ledger["top1"].id] == "城乡建设"
    leaders = groups_of(caller, "leader")
    assert totals(leaders) == {ledger["L"].id: 2, None: 5}  # C1 C5
    assert leaders[0]["name"] == "张县长"
    assert leaders[0]["figures"]["package_resolution"] == 100.0


def test_breakdown_by_channel_and_purpose_uses_values_and_labels(app, api, ledger):
    caller = api()
    channels = groups_of(caller, "channel")
    assert totals(channels) == {"visit": 3, "letter": 1, "online": 1, "phone": 1, "mailbox": 1}
    purposes = groups_of(caller, "purpose")
    assert totals(purposes) == {"claim": 4, "appeal": 1, "suggestion": 1, "accusation": 1}
    with app.test_request_context():
        assert channels[0]["name"] == str(Channel.visit.label)
        assert {group["key"]: group["name"] for group in purposes}["claim"] == str(Purpose.claim.label)


@pytest.mark.parametrize("query, field", [
    ({"to": "2025-03-31"}, "from"),
    ({"from": "2025-03-01"}, "to"),
    ({"from": "2025-13-01", "to": "2025-03-31"}, "from"),
    ({"from": "2025-03-01", "to": "31.03.2025"}, "to"),
    ({"from": "2025-03-31", "to": "2025-03-01"}, "to"),       # reversed
    ({"from": "2020-01-01", "to": "2025-03-31"}, "to"),       # longer than three years
    ({**MARCH, "by": "village"}, "by"),
])
def test_bad_input_is_400_naming_the_argument(api, query, field):
    response = api().get("/api/v1/stats", **query)
    assert response.status_code == 400
    assert response.json["field"] == field and response.json["status"] == 400 and response.json["error"]


def test_a_three_year_range_is_allowed(api):
    response = api().get("/api/v1/stats", **{"from": "2023-01-01", "to": "2025-12-31"})
    assert response.status_code == 200


def test_only_signed_in_callers(client):
    assert client.get("/api/v1/stats", query_string=MARCH).status_code == 401


def test_a_handler_counts_only_their_units_cases(api, ledger):
    # D leads C1, C2, C5 and is a co-unit of C6, an accusation against D: that one is never D's.
    figures = api(Role.handler, unit=ledger["D"]).get("/api/v1/stats", **MARCH).json["figures"]
    assert figures["total"]["value"] == 3 and figures["accepted"]["value"] == 3
    assert figures["visits"]["value"] == 2 and figures["visit_persons"]["value"] == 7  # C1 1 + C2 6
    assert figures["closed"]["value"] == 2 and figures["closure_rate"]["value"] == 66.7  # C1 C5 of 3
    assert figures["total"]["last_year"] == 0 and figures["closure_rate"]["last_year"] is None
    townships = api(Role.handler, unit=ledger["D"]).get("/api/v1/stats", by="township", **MARCH).json["groups"]
    assert totals(townships) == {ledger["A"].id: 2, ledger["B"].id: 1}  # C1 C2; C5


def test_the_accused_unit_never_counts_the_accusation(api, ledger):
    # Office staff see every case, but one of them working in D does not see C6.
    clerk_of_d = api(Role.clerk, unit=ledger["D"])
    figures = clerk_of_d.get("/api/v1/stats", **MARCH).json["figures"]
    assert figures["total"]["value"] == NOW["total"] - 1 and figures["visit_persons"]["value"] == 9 - 2
    assert figures["acceptance_due"]["value"] == NOW["acceptance_due"] - 1
    purposes = clerk_of_d.get("/api/v1/stats", by="purpose", **MARCH).json["groups"]
    assert "accusation" not in totals(purposes)
    town_a = api(Role.handler, unit=ledger["A"]).get("/api/v1/stats", **MARCH).json["figures"]
    assert town_a["total"]["value"] == 1  # A leads C6, and the accusation is not against A


def test_the_answer_matches_its_documented_schema(api, ledger):
    caller = api(Role.handler, unit=ledger["D"])
    document = caller.get("/api/v1/openapi.json").json
    schema = Draft202012Validator({"$ref": "#/components/schemas/Stats", "components": document["components"]})
    for by in (None, "township", "channel"):
        schema.validate(caller.get("/api/v1/stats", **MARCH, **({"by": by} if by else {})).json)
    schema.validate(caller.get("/api/v1/stats", **{"from": "2020-01-01", "to": "2020-01-31"}).json)
    parameters = {item["name"] for item in document["paths"]["/stats"]["get"]["parameters"]}
    assert parameters == {"from", "to", "by"}

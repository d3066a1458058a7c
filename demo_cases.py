"""Bulk demo petitions for `flask seed-demo --cases N`: Core inserts in chunks, deterministic per seed."""
from __future__ import annotations

import random
from functools import cache
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import insert, text

from blueprints.cases.idnumber import make_id_number
from blueprints.cases.workflow import clock_dates
from blueprints.shared import official_calendar
from models import (
    CaseStatus,
    Category,
    Channel,
    EventKind,
    Leader,
    Outcome,
    Petition,
    PetitionEvent,
    Petitioner,
    Purpose,
    Resolution,
    Satisfaction,
    Unit,
    UnitKind,
    db,
    utcnow,
)

CHUNK = 20_000
FIRST_LOAD = 200  # petitions that come with the demo data on the first `seed-demo`
CHANNELS, PURPOSES, OUTCOMES, SATISFACTIONS = list(Channel), list(Purpose), list(Outcome), list(Satisfaction)
RESOLUTIONS = list(Resolution)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅志强玉兰海燕春花德明"
VILLAGES = ("东村", "西村", "南岭村", "北坡村", "河口村", "新民村", "红旗村", "桥头村")
MATTERS = (
    "反映征地补偿款未足额发放", "反映农民工工资被拖欠", "反映宅基地确权登记纠纷", "反映小区物业收费不合理",
    "反映医保报销比例问题", "反映低保资格认定不公", "反映道路施工噪声扰民", "反映学校招生划片问题",
    "反映养殖场污染水源", "反映房屋拆迁安置未落实",
)
STATUS_WEIGHTS = (
    (CaseStatus.registered, 3), (CaseStatus.accepted, 5), (CaseStatus.in_progress, 20),
    (CaseStatus.opinion_issued, 8), (CaseStatus.return_visited, 4), (CaseStatus.closed, 55),
    (CaseStatus.not_accepted, 3), (CaseStatus.forwarded, 2),
)
HANDLED = {CaseStatus.accepted, CaseStatus.in_progress, CaseStatus.opinion_issued, CaseStatus.return_visited,
           CaseStatus.closed}


def load_cases(count: int, seed: int, today: date) -> int:
    """Insert `count` petitions with one petitioner each; returns how many were written."""
    rng = random.Random(seed)
    townships = db.session.scalars(db.select(Unit.id).where(Unit.kind == UnitKind.township)).all()
    departments = db.session.scalars(db.select(Unit.id).where(Unit.kind == UnitKind.department)).all()
    categories = db.session.scalars(db.select(Category.id)).all()
    leaders = db.session.scalars(db.select(Leader.id)).all()
    first_id = (db.session.scalar(db.select(db.func.max(Petition.id))) or 0) + 1
    statuses = [status for status, weight in STATUS_WEIGHTS for _ in range(weight)]
    clocks = demo_clock_dates(official_calendar())
    written = 0
    while written < count:
        size = min(CHUNK, count - written)
        petitions, petitioners, events = [], [], []
        for offset in range(size):
            petition_id = first_id + written + offset
            petition, person = demo_petition(rng, petition_id, today, townships, departments, categories, leaders,
                                             rng.choice(statuses), clocks)
            petitions.append(petition)
            petitioners.append(person)
            events.extend(demo_timeline(rng, petition, today))
        db.session.execute(insert(Petition), petitions)
        db.session.execute(insert(Petitioner), petitioners)
        db.session.execute(insert(PetitionEvent), events)
        db.session.commit()
        written += size
    if db.engine.dialect.name == "postgresql":  # the ids were given: move the id sequence past them
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('petition', 'id'), max(id)) FROM petition"))
        db.session.commit()
    return written


NOW = utcnow()
PROGRESS_NOTES = ("已约谈信访人，核实基本情况", "召开协调会，明确责任分工", "已实地查看，形成初步处理意见",
                  "已与相关单位对接，正在落实")


def demo_timeline(rng, petition, today):
    """Timeline lines for a demo petition: its registration, acceptance, and for open package cases a recent entry."""
    lines = [{"petition_id": petition["id"], "kind": EventKind.registered, "happened_on": petition["received_on"],
              "text": "", "author_id": None, "created_at": NOW}]
    if petition["accepted_on"]:
        lines.append({**lines[0], "kind": EventKind.accepted, "happened_on": petition["accepted_on"]})
    if petition["leader_id"] and petition["status"] is CaseStatus.in_progress and rng.random() < 0.6:
        recent = max(petition["accepted_on"], today - timedelta(days=rng.randrange(10)))
        lines.append({**lines[0], "kind": EventKind.progress, "happened_on": recent,
                      "text": rng.choice(PROGRESS_NOTES)})
    return lines


def demo_clock_dates(calendar):
    """The clock dates of a demo petition (workflow.clock_dates), counted once per distinct set of the inputs the
    demo varies; the channel matters only while a case waits for acceptance (an assigned case's objection clock)."""
    blank = {name: None for name in ("extension_approved_on", "review_requested_on", "re_review_requested_on",
                                     "report_due_on", "reported_on")}

    @cache
    def dates(status, channel, received, accepted):
        return clock_dates(SimpleNamespace(status=status, channel=channel, received_on=received, accepted_on=accepted,
                                           extension_days=0, hearing_days=0, **blank), calendar)

    def of_petition(status, channel, received, accepted):
        return dates(status, channel if status is CaseStatus.registered else None, received, accepted)

    return of_petition


def demo_petition(rng, petition_id, today, townships, departments, categories, leaders, status, clocks):
    """One petition and its petitioner as insert rows; the first department (the petition office) is never accused."""
    received = today - timedelta(days=rng.randrange(3 * 365))
    persons = rng.choice((1, 1, 1, 1, 2, 3, 5, 8))
    handled = status in HANDLED
    accepted = min(today, received + timedelta(days=rng.randrange(1, 15))) if handled else None
    closed = min(today, accepted + timedelta(days=rng.randrange(5, 60))) if status is CaseStatus.closed else None
    purpose, channel = rng.choice(PURPOSES), rng.choice(CHANNELS)
    petition = {
        "id": petition_id, "number": f"XF{received.year}-{petition_id:07d}", "received_on": received,
        "channel": channel, "purpose": purpose,
        "category_id": rng.choice(categories) if categories else None,
        "summary": rng.choice(MATTERS) + f"（演示数据 {petition_id}）", "persons": persons,
        "is_collective": persons >= 5, "is_repeat": rng.random() < 0.1, "is_skip_level": rng.random() < 0.03,
        "township_id": rng.choice(townships) if townships else None, "status": status, "accepted_on": accepted,
        "acceptance_note": "", "lead_unit_id": rng.choice(departments) if handled and departments else None,
        "leader_id": rng.choice(leaders) if handled and leaders and rng.random() < 0.3 else None,
        "responsible_person": "", "handling_opinion": "", "closure_standard": "",
        **clocks(status, channel, received, accepted),
        "decided_on": accepted if accepted else min(today, received + timedelta(days=rng.randrange(1, 10)))
        if status in (CaseStatus.not_accepted, CaseStatus.forwarded) else None,
        "outcome": rng.choice(OUTCOMES) if closed else None, "closed_on": closed,
        "satisfaction": rng.choice(SATISFACTIONS) if closed else None,
        "assigned_from": "市信访局" if rng.random() < 0.08 else "", "remarks": "",
        "resolution": rng.choice(RESOLUTIONS) if closed else None, "opinion_on": closed,
        "accused_unit_id": rng.choice(departments[1:]) if purpose is Purpose.accusation and departments[1:] else None,
        "is_key": rng.random() < 0.02, "reception_batch_id": None, "created_at": NOW, "updated_at": NOW,
        "version": 1,
    }
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(20_000))
    person = {
        "petition_id": petition_id,
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else ""),
        "id_number": make_id_number("330102", born, rng.randrange(1000)),
        "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
        "address": f"示范县{rng.choice(VILLAGES)}{rng.randrange(1, 200)}号", "village": rng.choice(VILLAGES),
    }
    return petition, person

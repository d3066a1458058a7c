"""A rich database with a unique marker in every text column, for the escaping crawl and the public privacy crawl.

`seed(mode, files=None)` loads the demo data (units, leaders, users of every role, reception sessions, cases,
supervision), adds what the demo lacks (every kind of timeline line, attachments, evidence, a check run, a token,
a failed login, a rescheduled and a cancelled session, a closed and an accused case, ...), then overwrites every
String/Text column of every model, in every row, with a marker of that column and returns {marker: (table, column)}:

- `XSS`: an HTML payload with a number of its own per column (a short one where the column is short);
- `PLAIN`: a plain marker (`MK017Z`) per column.

A row's value is the marker followed by `#<row id>`, so unique columns stay unique; search for the marker. Columns
the application reads as a format keep valid values (FIXED); the ID numbers and phones of petitioners get distinct
valid values, each one a marker of its own. A column added to models.py is marked without being listed here.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from sqlalchemy import JSON, Enum, Integer, String, Text, cast, literal, update

import demo
import demo_cases
import demo_supervision
from blueprints.cases.idnumber import make_id_number
from blueprints.supervision.runs import run_checks
from models import (
    AccountabilityForm,
    ApiToken,
    Attachment,
    AuditAction,
    AuditLog,
    CalendarDay,
    CaseStatus,
    Category,
    Channel,
    CheckTrigger,
    EventKind,
    Inspection,
    InspectionEvidence,
    InspectionMethod,
    InspectionRound,
    InspectionTarget,
    Leader,
    LoginAttempt,
    NoticeEventKind,
    NoticeLevel,
    Outcome,
    Petition,
    PetitionEvent,
    Petitioner,
    Purpose,
    Rating,
    ReceptionBatch,
    ReceptionMethod,
    ReceptionRecord,
    ReceptionSession,
    RectificationItem,
    RectificationProgress,
    RectificationStatus,
    RegistrationKey,
    Resolution,
    Role,
    RoundKind,
    Satisfaction,
    SessionStatus,
    SupervisionNotice,
    SupervisionNoticeEvent,
    Unit,
    UnitKind,
    User,
    db,
)

XSS = "xss"
PLAIN = "plain"
SEED = 7
DEMO_CASES = 40
PASSWORD = demo.DEMO_PASSWORD  # every seeded user's password

# Columns the application writes and reads back as a format of its own: they keep their valid values.
FIXED = frozenset({
    ("user_account", "password_hash"), ("user_account", "locale"), ("api_token", "token_hash"),
    ("attachment", "stored_name"), ("attachment", "content_type"), ("attachment", "sha256"),
    ("inspection_evidence", "stored_name"), ("inspection_evidence", "content_type"), ("inspection_evidence", "sha256"),
    ("check_finding", "subject"), ("assessment_weight", "measure"), ("revision", "name"),
    ("audit_log", "object_type"), ("audit_log", "object_id"), ("audit_log", "address"), ("login_attempt", "address"),
    ("registration_key", "body_digest"),
})
# Personal data in a fixed format (DOMAIN §6): a distinct valid value per row, every value a marker.
ID_NUMBER = ("petitioner", "id_number")
PHONE = ("petitioner", "phone")
# What the public pages may show (DOMAIN §6): leader, title, portfolio, place, method, topic, how to book, the units
# that receive, remarks for the public and why a session was cancelled. Every other marked column is private.
PUBLIC = frozenset({
    ("leader", "name"), ("leader", "title"), ("leader", "portfolio"), ("unit", "name"), ("reception_method", "name"),
    ("reception_session", "place"), ("reception_session", "topic"), ("reception_session", "booking"),
    ("reception_session", "public_remarks"), ("reception_session", "cancel_reason"),
})
# The personal fields (DOMAIN §6, models.py): who petitioned, about what, what was said and decided, who works here.
PERSONAL = frozenset({
    ("petitioner", "name"), ID_NUMBER, PHONE, ("petitioner", "address"), ("petitioner", "village"),
    ("petition", "number"), ("petition", "summary"), ("petition", "acceptance_note"),
    ("petition", "responsible_person"), ("petition", "handling_opinion"), ("petition", "closure_standard"),
    ("petition", "remarks"), ("petition", "extension_reason"), ("petition", "opinion_text"),
    ("petition", "forwarded_to"), ("petition", "assigned_from"), ("petition_event", "text"),
    ("attachment", "filename"), ("inspection_evidence", "filename"),
    ("reception_batch", "petitioner_names"), ("reception_batch", "matter"), ("reception_batch", "answer"),
    ("reception_record", "notes"), ("reception_session", "internal_remarks"),
    ("user_account", "username"), ("user_account", "display_name"), ("login_attempt", "username"),
    ("audit_log", "actor_name"), ("audit_log", "object_label"), ("audit_log", "changes"),
    ("inspection", "inspectors"), ("inspection", "findings"),
    ("rectification_item", "responsible_person"), ("rectification_item", "problem"),
    ("rectification_item", "measures"), ("rectification_item", "verification"), ("rectification_progress", "text"),
    ("supervision_notice", "number"), ("supervision_notice", "requirement"),
    ("supervision_notice", "accountability_decision"), ("supervision_notice", "reply_text"),
    ("supervision_notice_event", "text"), ("check_finding", "detail"), ("check_run", "error"),
})

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
ROW_SUFFIX = 8  # room for "#<row id>"


def xss_payload(number: int, length: int | None) -> str:
    """A script, an attribute break-out and an event handler; shorter where the column is short."""
    for payload in (f'<script>alert("x{number}")</script>"\'><img src=x onerror=alert({number})>',
                    f'"\'><img src=x onerror=alert({number})>', f"<i>x{number}</i>\"'"):
        if length is None or len(payload) + ROW_SUFFIX <= length:
            return payload
    raise ValueError(f"no payload fits {length} characters")


def xss_probe(marker: str) -> str:
    """The part of a payload that names its column, as a page shows it once unescaped (a long one may be cut)."""
    return marker.split("</script>")[0] + "</script>" if marker.startswith("<script>") else marker


def plain_marker(number: int) -> str:
    return f"MK{number:03d}Z"


def text_columns():
    """[(table, column)] of every String/Text (and JSON) column of every model that is not an enum, in a fixed order."""
    columns = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            kind = column.type
            if isinstance(kind, JSON) or (isinstance(kind, (String, Text)) and not isinstance(kind, Enum)):
                columns.append((table, column))
    return columns


def seed(mode: str, files: Path | None = None, today: date | None = None) -> dict[str, tuple[str, str]]:
    """Fill the (empty) database and mark it; `files`: the ATTACHMENT_DIR to write the attachments' bytes to."""
    assert mode in (XSS, PLAIN)
    today = today or date.today()
    names = {(table.name, column.name) for table, column in text_columns()}
    assert FIXED | PUBLIC | PERSONAL <= names, sorted((FIXED | PUBLIC | PERSONAL) - names)
    assert not PUBLIC & PERSONAL
    demo.load(SEED, today)
    db.session.commit()
    demo_cases.load_cases(DEMO_CASES, SEED, today)
    demo_supervision.load(today)
    db.session.commit()
    add_what_the_demo_lacks(today, files)
    markers = mark(mode)
    db.session.commit()
    return markers


def mark(mode: str) -> dict[str, tuple[str, str]]:
    """Overwrite every marked column of every row (Core updates: no audit entries, no version bumps)."""
    markers = {}
    for number, (table, column) in enumerate(text_columns(), 1):
        key = (table.name, column.name)
        if key in (ID_NUMBER, PHONE):
            markers.update(personal_formats(table, column, key, number))
            continue
        if key in FIXED:
            continue
        marker = xss_payload(number, column.type.length if not isinstance(column.type, JSON) else None) \
            if mode == XSS else plain_marker(number)
        if isinstance(column.type, JSON):
            value = {"summary": [marker, marker]}
        elif "id" in table.c and isinstance(table.c.id.type, Integer):
            value = literal(marker + "#", String) + cast(table.c.id, String)
        else:
            value = marker
        if db.session.execute(update(table).values({column.name: value})).rowcount:
            markers[marker] = key
    return markers


def personal_formats(table, column, key, number: int) -> dict[str, tuple[str, str]]:
    """Distinct valid ID numbers or mobile numbers, one per row."""
    markers = {}
    for row_id in db.session.scalars(db.select(table.c.id).order_by(table.c.id)):
        if key == ID_NUMBER:
            value = make_id_number("330102", date(1960, 1, 1) + timedelta(days=number * 1000 + row_id // 1000),
                                   row_id % 1000)
        else:
            value = f"139{number:02d}{row_id:06d}"
        markers[value] = key
        db.session.execute(update(table).where(table.c.id == row_id).values({column.name: value}))
    return markers


def users() -> dict[Role, User]:
    """The demo user of each role (the first one)."""
    found = {}
    for user in db.session.scalars(db.select(User).order_by(User.id)):
        found.setdefault(user.role, user)
    return found


def add_what_the_demo_lacks(today: date, files: Path | None) -> None:
    """Records of every model and every optional text field the demo leaves empty."""
    rng = random.Random(SEED)
    by_role = users()
    county = db.session.scalar(db.select(Unit).where(Unit.kind == UnitKind.county))
    townships = db.session.scalars(db.select(Unit).where(Unit.kind == UnitKind.township).order_by(Unit.sort_order))
    townships = townships.all()
    departments = db.session.scalars(
        db.select(Unit).where(Unit.kind == UnitKind.department).order_by(Unit.sort_order)).all()
    handler_unit = by_role[Role.handler].unit
    leader = db.session.scalar(db.select(Leader).where(Leader.user_id == by_role[Role.leader].id))
    category = db.session.scalar(db.select(Category).where(Category.parent_id.is_not(None)).order_by(Category.id))
    method = db.session.scalar(db.select(ReceptionMethod).order_by(ReceptionMethod.sort_order))
    clerk = by_role[Role.clerk]
    sessions = add_sessions(today, county, townships, leader, method)
    package = add_package_case(today, handler_unit, departments, townships, leader, category, clerk, sessions[0])
    closed = add_closed_case(today, handler_unit, townships, leader, category, clerk)
    accused = petition(f"XF{today.year}-A0001", today - timedelta(days=3), Purpose.accusation,
                       "检举某站所负责人收受好处费", CaseStatus.registered, townships[1], category)
    accused.accused_unit = handler_unit
    add_petitioner(accused, rng, "举报人甲")
    db.session.add(accused)
    db.session.flush()
    add_files(package, clerk, files)
    add_supervision(today, package, handler_unit, leader, by_role, files)
    db.session.add(CalendarDay(day=today + timedelta(days=40), is_working=False, note="县庆放假"))
    db.session.add(ApiToken(user=by_role[Role.admin], token_hash=ApiToken.digest("marked-data-token"),
                            last_used_at=datetime.now(timezone.utc)))
    db.session.add(LoginAttempt(username="不存在的用户", address="203.0.113.9"))
    db.session.add(AuditLog(actor_id=by_role[Role.clerk].id, actor_name=clerk.username, action=AuditAction.reveal,
                            object_type="petitioner", object_id=str(package.petitioners[0].id),
                            object_label=str(package.petitioners[0]), changes={"id_number": ["******", "******"]},
                            address="203.0.113.10"))
    db.session.add(RegistrationKey(user_id=by_role[Role.clerk].id, key="client-key-1", body_digest="2" * 64,
                                   petition=closed))
    db.session.commit()
    run_checks(CheckTrigger.cli, by_role[Role.supervisor].id, today)
    failed = run_checks(CheckTrigger.page, by_role[Role.admin].id, today)
    failed.error = "OperationalError: 演示失败"
    db.session.commit()


def add_sessions(today, county, townships, leader, method) -> list[ReceptionSession]:
    """A held session with a record and two batches, a rescheduled one, a cancelled one and a draft, all soon."""
    soon = today + timedelta(days=2)
    common = dict(unit=county, method=method, leaders=[leader], accompanying_units=[townships[0]], capacity=20,
                  booking="提前一天电话预约", topic="征地拆迁方面的信访事项", public_remarks="请携带身份证件")
    held = ReceptionSession(day=today - timedelta(days=1), start_time=time(9), end_time=time(12),
                            place="县群众工作中心", status=SessionStatus.held, internal_remarks="重点关注东村拆迁群体",
                            **common)
    moved = ReceptionSession(day=soon, start_time=time(14), end_time=time(17), place="城关镇便民服务中心",
                             status=SessionStatus.published, previous_day=soon - timedelta(days=1),
                             previous_start_time=time(9), previous_end_time=time(12), sequence=2,
                             internal_remarks="领导临时公务改期", **common)
    cancelled = ReceptionSession(day=soon + timedelta(days=1), start_time=time(9), end_time=time(11),
                                 place="东坪镇政府", status=SessionStatus.cancelled, cancel_reason="遇防汛应急任务取消",
                                 internal_remarks="已电话通知预约群众", sequence=3, **common)
    draft = ReceptionSession(day=soon + timedelta(days=2), start_time=time(9), end_time=time(12), place="西河乡政府",
                             status=SessionStatus.draft, internal_remarks="草稿：待领导确认", **common)
    db.session.add_all([held, moved, cancelled, draft])
    record = ReceptionRecord(session=held, notes="接待群众两批，现场答复一批。")
    db.session.add(record)
    db.session.add_all([
        ReceptionBatch(record=record, petitioner_names="张某、李某", persons=2, matter="反映安置房漏水",
                       answer="已联系住建部门三日内上门查看", settled=False),
        ReceptionBatch(record=record, petitioner_names="东村村民代表赵某等6人", persons=6, matter="反映征地补偿标准",
                       answer="现场解释政策", settled=True),
    ])
    db.session.flush()
    return [held, moved, cancelled, draft]


def petition(number, received_on, purpose, summary, status, township, category) -> Petition:
    return Petition(number=number, received_on=received_on, channel=Channel.visit, purpose=purpose, summary=summary,
                    status=status, township=township, category=category)


def add_petitioner(item: Petition, rng: random.Random, name: str) -> None:
    item.petitioners.append(Petitioner(
        name=name, id_number=make_id_number("330102", date(1970, 1, 1) + timedelta(days=rng.randrange(9000)),
                                            rng.randrange(1000)),
        phone=f"138{rng.randrange(10 ** 8):08d}", address="示范县东村12号", village="东村"))


def add_package_case(today, handler_unit, departments, townships, leader, category, clerk, held_session) -> Petition:
    """A package case in progress, handled by the handler's unit for the leader's leader, with every text filled."""
    rng = random.Random(SEED + 1)
    batch = held_session.record.batches[0]
    item = petition(f"XF{today.year}-P0001", today - timedelta(days=20), Purpose.claim, "反映安置房屋质量问题",
                    CaseStatus.in_progress, townships[0], category)
    item.accepted_on = today - timedelta(days=18)
    item.decided_on = item.accepted_on
    item.acceptance_note = "属本级职权范围，予以受理"
    item.lead_unit, item.leader, item.co_units = handler_unit, leader, [departments[1]]
    item.responsible_person, item.handling_opinion = "王科长", "组织专业机构检测房屋质量"
    item.closure_standard, item.due_on = "完成维修并经群众确认", today + timedelta(days=40)
    item.handling_due_on, item.acceptance_due_on = item.due_on, today - timedelta(days=5)
    item.assigned_from, item.remarks, item.is_key = "市信访局", "群众情绪激动，需稳妥处理", True
    item.extension_days, item.extension_reason = 15, "需第三方检测"
    item.extension_approved_on = today - timedelta(days=2)
    item.opinion_text, item.opinion_pending = "拟支持维修诉求", True
    item.persons, item.reception_batch = 2, batch
    item.duty_facts = item.duty_resolve = True
    for name in ("张某", "李某"):
        add_petitioner(item, rng, name)
    for kind, text in ((EventKind.registered, "现场登记"), (EventKind.accepted, "受理"),
                       (EventKind.assigned, "交由城关镇办理"), (EventKind.progress, "已约谈信访人"),
                       (EventKind.extension_requested, "申请延期15日"), (EventKind.extension_approved, "同意延期"),
                       (EventKind.opinion_submitted, "提交处理意见")):
        item.events.append(PetitionEvent(kind=kind, happened_on=today - timedelta(days=5), text=text,
                                         author_id=clerk.id))
    db.session.add(item)
    db.session.flush()
    return item


def add_closed_case(today, handler_unit, townships, leader, category, clerk) -> Petition:
    """A closed case with its opinion, return visit and a forwarded sibling, for the ledger and the statistics."""
    rng = random.Random(SEED + 2)
    item = petition(f"XF{today.year}-P0002", today - timedelta(days=50), Purpose.appeal, "反映低保资格被取消",
                    CaseStatus.closed, townships[0], category)
    item.accepted_on = item.decided_on = today - timedelta(days=48)
    item.lead_unit, item.leader = handler_unit, leader
    item.responsible_person, item.handling_opinion, item.closure_standard = "李主任", "复核家庭收入", "依规作出决定"
    item.opinion_text, item.opinion_on = "经复核，恢复低保资格", today - timedelta(days=20)
    item.outcome, item.satisfaction, item.resolution = Outcome.support, Satisfaction.satisfied, Resolution.mediation
    item.return_visit_on = item.closed_on = today - timedelta(days=10)
    add_petitioner(item, rng, "孙某")
    for kind, text in ((EventKind.opinion_issued, "出具处理意见"), (EventKind.return_visit, "电话回访，满意"),
                       (EventKind.closed, "案结事了")):
        item.events.append(PetitionEvent(kind=kind, happened_on=today - timedelta(days=10), text=text,
                                         author_id=clerk.id))
    forwarded = petition(f"XF{today.year}-P0003", today - timedelta(days=8), Purpose.litigation, "反映法院判决执行难",
                         CaseStatus.forwarded, townships[1], category)
    forwarded.decided_on, forwarded.forwarded_to = today - timedelta(days=7), "县人民法院"
    forwarded.acceptance_note = "属涉法涉诉事项，转政法机关"
    forwarded.events.append(PetitionEvent(kind=EventKind.forwarded, happened_on=today - timedelta(days=7),
                                          text="转送县人民法院", author_id=clerk.id))
    add_petitioner(forwarded, rng, "周某")
    db.session.add_all([item, forwarded])
    db.session.flush()
    return item


def add_files(item: Petition, clerk: User, files: Path | None) -> None:
    """Two attachments and their timeline lines; the bytes are written when a folder is given."""
    for number, name in enumerate(("房屋裂缝照片.png", "检测报告.png"), 1):
        stored = f"marked{item.id:04d}{number}.png"
        item.attachments.append(Attachment(filename=name, stored_name=stored, content_type="image/png",
                                           size=len(PNG), sha256="0" * 64, uploaded_by_id=clerk.id))
        item.events.append(PetitionEvent(kind=EventKind.attachment, happened_on=item.received_on, text=name,
                                         author_id=clerk.id))
        write_file(files, stored)
    db.session.flush()


def write_file(files: Path | None, stored_name: str) -> None:
    if files is not None:
        files.mkdir(parents=True, exist_ok=True)
        (files / stored_name).write_bytes(PNG)


def add_supervision(today, case: Petition, unit: Unit, leader: Leader, by_role, files: Path | None) -> None:
    """A half-year review, an inspection of the case with evidence, a signed-off item and an accountability notice."""
    supervisor = by_role[Role.supervisor]
    review = InspectionRound(kind=RoundKind.half_year, name=f"{today.year}年上半年点评",
                             starts_on=today - timedelta(days=60), ends_on=today + timedelta(days=30),
                             notes="重点点评包案化解情况", units=[unit], leaders=[leader])
    inspection = Inspection(round=review, target=InspectionTarget.case, petition=case, unit=unit,
                            inspected_on=today - timedelta(days=3), method=InspectionMethod.phone_callback,
                            inspectors="督查组 赵督查", findings="信访人反映维修未启动", rating=Rating.failed,
                            created_by_id=supervisor.id)
    inspection.evidence.append(InspectionEvidence(filename="回访录音记录.png", stored_name="markedevidence1.png",
                                                  content_type="image/png", size=len(PNG), sha256="1" * 64,
                                                  uploaded_by_id=supervisor.id))
    write_file(files, "markedevidence1.png")
    item = RectificationItem(inspection=inspection, petition=case, unit=unit, leader=leader,
                             responsible_person="城关镇信访办主任", problem="包案维修未按期启动",
                             measures="一周内进场维修",
                             opened_on=today - timedelta(days=3), deadline=today - timedelta(days=1),
                             status=RectificationStatus.closed, verification="电话回访确认已维修",
                             verified_on=today, verified_by_id=supervisor.id, closed_on=today,
                             closed_by_id=supervisor.id, created_by_id=supervisor.id)
    item.progress.append(RectificationProgress(happened_on=today - timedelta(days=2), text="施工队已进场",
                                               author_id=by_role[Role.handler].id))
    notice = SupervisionNotice(
        number=f"督办〔{today.year}〕第0099号", petition=case, unit=unit, leader=leader,
        level=NoticeLevel.accountability,
        issued_on=today - timedelta(days=6), requirement="限期书面说明未按期启动维修的原因",
        reply_due_on=today - timedelta(days=1), accountability_form=AccountabilityForm.admonition,
        accountability_decision="对责任人诫勉谈话", reply_text="已启动维修并整改到位", replied_on=today,
        replied_by_id=by_role[Role.handler].id, created_by_id=supervisor.id)
    notice.events = [
        SupervisionNoticeEvent(kind=NoticeEventKind.issued, level=NoticeLevel.supervision,
                               happened_on=today - timedelta(days=6), text="下发督办单", author_id=supervisor.id),
        SupervisionNoticeEvent(kind=NoticeEventKind.escalated, level=NoticeLevel.accountability,
                               happened_on=today - timedelta(days=2), text="逾期未复，启动问责",
                               author_id=supervisor.id),
        SupervisionNoticeEvent(kind=NoticeEventKind.replied, level=NoticeLevel.accountability, happened_on=today,
                               text="单位书面回复", author_id=by_role[Role.handler].id),
    ]
    db.session.add_all([review, inspection, item, notice])
    db.session.flush()

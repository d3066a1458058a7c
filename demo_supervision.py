"""Demo supervision records for `flask seed-demo`: a round, inspections, rectification items and notices."""
from __future__ import annotations

from datetime import date, timedelta

from blueprints.stats.campaigns import tag_campaign_cases
from models import (
    Campaign,
    CaseStatus,
    Inspection,
    InspectionMethod,
    InspectionRound,
    InspectionTarget,
    Leader,
    NoticeEventKind,
    NoticeLevel,
    Petition,
    Purpose,
    Rating,
    RectificationItem,
    RectificationProgress,
    RectificationStatus,
    Role,
    RoundKind,
    SupervisionNotice,
    SupervisionNoticeEvent,
    Unit,
    UnitKind,
    User,
    db,
)


def bimonthly_round(today: date) -> tuple[date, date]:
    """The two-month round (Jan–Feb, Mar–Apr, …) that contains today."""
    first_month = today.month - (today.month - 1) % 2
    start = date(today.year, first_month, 1)
    end = (date(today.year + (first_month + 2 > 12), (first_month + 1) % 12 + 1, 1)) - timedelta(days=1)
    return start, end


def load(today: date) -> None:
    """Add the demo supervision records to the session; the caller commits. Needs the demo units and cases."""
    supervisor = db.session.scalar(db.select(User).where(User.role == Role.supervisor).order_by(User.id))
    townships = db.session.scalars(
        db.select(Unit).where(Unit.kind == UnitKind.township).order_by(Unit.sort_order)).all()
    county_leaders = db.session.scalars(db.select(Leader).join(Unit, Leader.unit_id == Unit.id)
                                        .where(Unit.kind == UnitKind.county).order_by(Leader.sort_order)).all()
    start, end = bimonthly_round(today)
    inspected_on = max(start, today - timedelta(days=7))
    round_ = InspectionRound(kind=RoundKind.bimonthly, name=f"{start.year}年第{(start.month + 1) // 2}轮双月督查",
                             starts_on=start, ends_on=end, units=list(townships), leaders=list(county_leaders[:4]))
    db.session.add(round_)
    township = townships[0]
    on_site = Inspection(round=round_, target=InspectionTarget.township, unit=township, inspected_on=inspected_on,
                         method=InspectionMethod.ledger_review, inspectors="督查组 王督查、李督查",
                         findings="信访台账登记不全，3件事项未录入办理进展；回访记录缺少群众签字。",
                         rating=Rating.basic, created_by_id=supervisor.id)
    receptions = Inspection(round=round_, target=InspectionTarget.receptions, leader=county_leaders[2],
                            period_from=start, period_to=inspected_on, inspected_on=inspected_on,
                            method=InspectionMethod.on_site, inspectors="督查组 王督查",
                            findings="按排班到岗接访，接访记录完整，交办事项已按期答复。", rating=Rating.passed,
                            created_by_id=supervisor.id)
    db.session.add_all([on_site, receptions])
    overdue = RectificationItem(
        inspection=on_site, unit=township, leader=county_leaders[2], responsible_person="信访办主任",
        problem="3件信访事项未在台账中登记办理进展。", measures="逐件补录办理进展，建立每周更新台账制度。",
        opened_on=inspected_on, deadline=inspected_on + timedelta(days=3), status=RectificationStatus.open,
        created_by_id=supervisor.id)
    open_item = RectificationItem(
        inspection=on_site, unit=township, responsible_person="信访办主任", problem="回访记录缺少群众签字确认。",
        measures="补做电话回访并留存录音，今后回访一律由群众签字确认。", opened_on=inspected_on,
        deadline=inspected_on + timedelta(days=30), status=RectificationStatus.open, created_by_id=supervisor.id)
    db.session.add_all([overdue, open_item])
    db.session.add(RectificationProgress(item=open_item, happened_on=inspected_on + timedelta(days=2),
                                         text="已完成12件回访记录的补签。"))
    db.session.add(SupervisionNotice(
        number=f"督办〔{today.year}〕第0001号", item=overdue, unit=township, level=NoticeLevel.reminder,
        issued_on=today, requirement="整改已超期，请立即落实整改措施并报告进展。", created_by_id=supervisor.id,
        events=[SupervisionNoticeEvent(kind=NoticeEventKind.issued, level=NoticeLevel.reminder, happened_on=today,
                                       text="整改超期，发出催办。")]))
    case = db.session.scalar(db.select(Petition).where(
        Petition.lead_unit_id.is_not(None), Petition.status == CaseStatus.in_progress,
        Petition.purpose != Purpose.accusation).order_by(Petition.id))
    if case is not None:
        notice = SupervisionNotice(
            number=f"督办〔{today.year}〕第0002号", petition=case, unit_id=case.lead_unit_id, leader=case.leader,
            level=NoticeLevel.supervision, issued_on=inspected_on,
            requirement="请于答复期限前书面报告办理进展和化解措施。", reply_due_on=inspected_on + timedelta(days=10),
            created_by_id=supervisor.id)
        notice.events = [
            SupervisionNoticeEvent(kind=NoticeEventKind.issued, level=NoticeLevel.reminder,
                                   happened_on=inspected_on - timedelta(days=5), text="电话催办。"),
            SupervisionNoticeEvent(kind=NoticeEventKind.escalated, level=NoticeLevel.supervision,
                                   happened_on=inspected_on, text="催办后仍无进展，下发督办单。"),
        ]
        db.session.add(notice)
    load_campaign(today, supervisor)


def load_campaign(today: date, author: User) -> None:
    """A month-long 大排查大调处 campaign over the last thirty days, its cases tagged."""
    campaign = Campaign(name=f"{today.year}年矛盾纠纷大排查大调处专项活动", starts_on=today - timedelta(days=30),
                        ends_on=today, description="全县范围排查化解信访矛盾纠纷，集中攻坚重复访、积案。",
                        created_by_id=author.id)
    db.session.add(campaign)
    tag_campaign_cases(campaign)

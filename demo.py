"""Demo data for `flask seed-demo`: a county with townships, departments, leaders, lists and users."""
from __future__ import annotations

import random
from datetime import date, time, timedelta

from blueprints.reception.rota import PoolLeader, build_rota
from models import (
    Category,
    Leader,
    LeaderPost,
    ReceptionBatch,
    ReceptionMethod,
    ReceptionQuota,
    ReceptionRecord,
    ReceptionSession,
    Role,
    SessionStatus,
    Unit,
    UnitKind,
    User,
    db,
)
from workdays import Calendar

COUNTY = "示范县"
TOWNSHIPS = ("城关镇", "东坪镇", "西河乡", "南山镇", "北湖乡", "石桥镇")
DEPARTMENTS = (
    "县信访局", "县纪委监委", "县公安局", "县住房和城乡建设局", "县人力资源和社会保障局",
    "县自然资源局", "县农业农村局", "县教育局", "县卫生健康局", "县民政局",
)
CATEGORIES = {
    "政法": ("治安管理", "诉讼程序"),
    "纪检监察": (),
    "党务政务": (),
    "国土资源": ("土地征收", "土地权属"),
    "城乡建设": ("房屋拆迁与补偿", "物业管理", "工程建设"),
    "农村农业": ("土地承包", "惠农补贴"),
    "劳动和社会保障": ("拖欠工资", "社会保险"),
    "教育文体": (),
    "卫生健康": (),
    "环境保护": ("大气污染", "噪声污染"),
    "交通运输": (),
    "民政": ("最低生活保障", "优抚安置"),
    "经济管理": (),
    "商贸旅游": (),
    "组织人事": (),
    "其他": (),
}
METHODS = ("定点接访", "重点约访", "专题接访", "带案下访", "上门回访", "联合接访", "视频接访")
COUNTY_LEADERS = (
    (LeaderPost.county_secretary, "县委书记", "主持县委全面工作"),
    (LeaderPost.county_head, "县委副书记、县长", "主持县政府全面工作"),
    (LeaderPost.county_leader, "县委副书记", "党建、信访、乡村振兴"),
    (LeaderPost.county_leader, "县委常委、政法委书记", "政法、维稳、信访"),
    (LeaderPost.county_leader, "县委常委、常务副县长", "财政、住建、自然资源"),
    (LeaderPost.county_leader, "副县长", "教育、卫生健康、民政"),
    (LeaderPost.county_leader, "副县长", "农业农村、水利、交通"),
    (LeaderPost.county_leader, "副县长、县公安局局长", "公安、司法"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "建国志强国华明军文斌海涛晓东红梅丽华永刚春燕秀英立新卫东振华"
DEMO_PASSWORD = "demo2026"
LOGINS = tuple((role.value, DEMO_PASSWORD, role.value) for role in Role)


def already_loaded() -> bool:
    return db.session.scalar(db.select(Unit.id).limit(1)) is not None


def person_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        if name not in used:
            used.add(name)
            return name


def load(seed: int, today: date) -> None:
    """Add the demo records to the session; the caller commits."""
    rng, used = random.Random(seed), set()
    county = Unit(name=COUNTY, kind=UnitKind.county, sort_order=0)
    townships = [Unit(name=n, kind=UnitKind.township, parent=county, sort_order=i) for i, n in enumerate(TOWNSHIPS, 1)]
    departments = [
        Unit(name=n, kind=UnitKind.department, parent=county, sort_order=100 + i) for i, n in enumerate(DEPARTMENTS, 1)
    ]
    db.session.add_all([county, *townships, *departments])
    leaders = [
        Leader(name=person_name(rng, used), title=title, portfolio=portfolio, post=post, unit=county, sort_order=i)
        for i, (post, title, portfolio) in enumerate(COUNTY_LEADERS, 1)
    ]
    for township in townships:
        leaders.append(Leader(name=person_name(rng, used), title=f"{township.name}党委书记",
                              portfolio="主持党委全面工作", post=LeaderPost.township_secretary,
                              unit=township, sort_order=100))
        head_title = f"{township.name}{'镇长' if township.name.endswith('镇') else '乡长'}"
        leaders.append(Leader(name=person_name(rng, used), title=head_title, portfolio="主持政府全面工作",
                              post=LeaderPost.township_head, unit=township, sort_order=101))
    db.session.add_all(leaders)
    for order, (top, subs) in enumerate(CATEGORIES.items(), 1):
        parent = Category(name=top, sort_order=order)
        db.session.add(parent)
        db.session.add_all(Category(name=sub, parent=parent, sort_order=i) for i, sub in enumerate(subs, 1))
    db.session.add_all(ReceptionMethod(name=name, sort_order=i) for i, name in enumerate(METHODS, 1))
    units_by_role = {Role.admin: departments[0], Role.clerk: departments[0], Role.leader: county,
                     Role.handler: townships[0], Role.supervisor: departments[0]}
    for role in Role:
        user = User(username=role.value, display_name=f"{person_name(rng, used)}（{role.value}）",
                    role=role, unit=units_by_role[role])
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        if role is Role.leader:
            leaders[2].user = user
    db.session.flush()
    load_receptions(rng, today)


QUOTAS = {
    LeaderPost.county_secretary: 2, LeaderPost.county_head: 2, LeaderPost.county_leader: 1,
    LeaderPost.township_secretary: 2, LeaderPost.township_head: 2, LeaderPost.township_leader: 1,
    LeaderPost.department_head: 1,
}
RECEPTION_PLACE = "县群众工作中心一楼接待室"
DEMO_MATTERS = ("反映拆迁补偿款未按时发放", "反映工程款拖欠导致农民工工资未结清", "反映邻里宅基地界线纠纷",
                "咨询城乡居民医疗保险报销政策", "反映小区物业服务收费问题")


def load_receptions(rng: random.Random, today: date) -> None:
    """Quotas, and a rota of sessions for this month and the next; past ones held with a record."""
    db.session.add_all(ReceptionQuota(post=post, days_per_month=days) for post, days in QUOTAS.items())
    county = db.session.scalar(db.select(Unit).where(Unit.kind == UnitKind.county))
    method = db.session.scalar(db.select(ReceptionMethod).order_by(ReceptionMethod.sort_order))
    leaders = db.session.scalars(db.select(Leader).where(Leader.unit_id == county.id).order_by(Leader.sort_order)).all()
    calendar = Calendar()
    first = today.replace(day=1)
    for month_start in (first, (first + timedelta(days=32)).replace(day=1)):
        last = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        days = [month_start + timedelta(n) for n in range((last - month_start).days + 1)
                if calendar.is_working_day(month_start + timedelta(n))]
        pool = [PoolLeader(leader.id, QUOTAS[leader.post]) for leader in leaders]
        by_id = {leader.id: leader for leader in leaders}
        for day, leader_id in build_rota(days, pool).assignments.items():
            add_demo_session(rng, today, day, by_id[leader_id], county, method)


def add_demo_session(rng, today, day, leader, county, method) -> None:
    status = SessionStatus.held if day < today else SessionStatus.published
    session = ReceptionSession(day=day, start_time=time(9), end_time=time(12), place=RECEPTION_PLACE, unit=county,
                               method=method, leaders=[leader], topic=f"{leader.portfolio}方面的信访事项",
                               booking="工作日拨打 0000-12345 预约，或到接待大厅窗口登记", status=status, sequence=1)
    db.session.add(session)
    if status is SessionStatus.held:
        record = ReceptionRecord(session=session, notes="按时接访。")
        db.session.add(record)
        for _ in range(rng.randint(0, 3)):
            persons = rng.choice((1, 1, 2, 3, 6))
            db.session.add(ReceptionBatch(record=record, petitioner_names="演示群众", persons=persons,
                                          matter=rng.choice(DEMO_MATTERS), answer="已当场解释政策并登记。",
                                          settled=rng.random() < 0.5))

"""Demo data for `flask seed-demo`: a county with townships, departments, leaders, lists and users."""
from __future__ import annotations

import random

from models import Category, Leader, LeaderPost, ReceptionMethod, Role, Unit, UnitKind, User, db

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


def load(seed: int) -> None:
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

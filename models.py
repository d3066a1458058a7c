"""The database: the `db` handle and every model and enum of the application."""
from __future__ import annotations

import enum
import hashlib
from datetime import date, datetime, time, timezone

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Column, ForeignKey, Index, MetaData, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored instant is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


class LabelledEnum(enum.Enum):
    """An enum whose members carry a translated label (see ENUM_LABELS) for the interface."""

    @property
    def label(self):
        return ENUM_LABELS[self]


class Role(LabelledEnum):
    admin = "admin"
    clerk = "clerk"
    leader = "leader"
    handler = "handler"
    supervisor = "supervisor"


class UnitKind(LabelledEnum):
    county = "county"
    township = "township"
    department = "department"


class LeaderPost(LabelledEnum):
    """The post a leader holds; reception quotas are set per post."""

    county_secretary = "county_secretary"
    county_head = "county_head"
    county_leader = "county_leader"
    township_secretary = "township_secretary"
    township_head = "township_head"
    township_leader = "township_leader"
    department_head = "department_head"


class SessionStatus(LabelledEnum):
    """Lifecycle of a reception session; rescheduling keeps it published and remembers the old time."""

    draft = "draft"
    published = "published"
    held = "held"
    cancelled = "cancelled"


class Channel(LabelledEnum):
    """信访形式: how a petition reached the office."""

    visit = "visit"
    letter = "letter"
    online = "online"
    phone = "phone"
    mailbox = "mailbox"
    assigned = "assigned"
    forwarded = "forwarded"
    reception = "reception"
    visit_down = "visit_down"


class Purpose(LabelledEnum):
    """信访目的: decides the route a petition takes (DOMAIN §2)."""

    claim = "claim"
    appeal = "appeal"
    suggestion = "suggestion"
    accusation = "accusation"
    litigation = "litigation"
    other = "other"


class CaseStatus(LabelledEnum):
    """The states of DOMAIN §2."""

    registered = "registered"
    accepted = "accepted"
    not_accepted = "not_accepted"
    forwarded = "forwarded"
    in_progress = "in_progress"
    opinion_issued = "opinion_issued"
    return_visited = "return_visited"
    closed = "closed"
    review = "review"
    re_review = "re_review"
    final = "final"


class Outcome(LabelledEnum):
    support = "support"
    explain = "explain"
    reject = "reject"


class Satisfaction(LabelledEnum):
    satisfied = "satisfied"
    basically = "basically"
    dissatisfied = "dissatisfied"
    not_evaluated = "not_evaluated"


class EventKind(LabelledEnum):
    """One line of a case timeline (一案一表、一事一记)."""

    registered = "registered"
    accepted = "accepted"
    not_accepted = "not_accepted"
    forwarded = "forwarded"
    assigned = "assigned"
    progress = "progress"
    extension_requested = "extension_requested"
    extension_approved = "extension_approved"
    opinion_submitted = "opinion_submitted"
    opinion_signed_off = "opinion_signed_off"
    opinion_issued = "opinion_issued"
    return_visit = "return_visit"
    closed = "closed"
    review_requested = "review_requested"
    review_decided = "review_decided"
    re_review_requested = "re_review_requested"
    hearing = "hearing"
    re_review_decided = "re_review_decided"
    reported_back = "reported_back"
    attachment = "attachment"
    imported = "imported"


class Resolution(LabelledEnum):
    """How a matter was resolved (化解方式); 调解 counts toward the mediation rate (DOMAIN §7)."""

    mediation = "mediation"
    settlement = "settlement"
    administrative = "administrative"
    guidance = "guidance"
    judicial = "judicial"
    other = "other"


class AuditAction(LabelledEnum):
    create = "create"
    update = "update"
    delete = "delete"
    transition = "transition"
    login = "login"
    login_failed = "login_failed"
    logout = "logout"
    reveal = "reveal"


class InspectionTarget(LabelledEnum):
    """What an inspection (督查) looked at (DOMAIN §4)."""

    receptions = "receptions"  # a leader's receptions over a period
    unit = "unit"
    case = "case"
    township = "township"


class InspectionMethod(LabelledEnum):
    on_site = "on_site"
    ledger_review = "ledger_review"
    phone_callback = "phone_callback"
    unannounced = "unannounced"


class Rating(LabelledEnum):
    passed = "passed"
    basic = "basic"
    failed = "failed"


class RoundKind(LabelledEnum):
    """双月一督查、半年一点评."""

    bimonthly = "bimonthly"
    half_year = "half_year"


class RectificationStatus(LabelledEnum):
    """整改台账: open until the supervisor has verified the effect and signed the item off (销号)."""

    open = "open"
    closed = "closed"


class NoticeLevel(LabelledEnum):
    """The escalation ladder of a supervision notice, in order: 催办 → 督办 → 通报 → 问责."""

    reminder = "reminder"
    supervision = "supervision"
    circulation = "circulation"
    accountability = "accountability"


class AccountabilityForm(LabelledEnum):
    criticism = "criticism"
    admonition = "admonition"
    organisational = "organisational"
    disciplinary = "disciplinary"


class NoticeEventKind(LabelledEnum):
    issued = "issued"
    escalated = "escalated"
    replied = "replied"


class CheckKind(LabelledEnum):
    """The automated checks (自动督查), each a rule in blueprints/supervision/checks.py."""

    overdue_case = "overdue_case"
    due_soon_case = "due_soon_case"
    quota_shortfall = "quota_shortfall"
    uncovered_day = "uncovered_day"
    unrecorded_session = "unrecorded_session"
    stale_case = "stale_case"
    no_return_visit = "no_return_visit"
    repeat_matter = "repeat_matter"
    overdue_item = "overdue_item"


class CheckRunStatus(LabelledEnum):
    running = "running"
    finished = "finished"
    failed = "failed"


class CheckTrigger(LabelledEnum):
    page = "page"
    cli = "cli"
    api = "api"


def enum_column(enum_class):
    """A portable enum column stored as its value in a VARCHAR on every backend."""
    return db.Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,  # new members need no migration; SQLAlchemy validates values
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Versioned:
    """Optimistic locking: a stale update raises StaleDataError instead of overwriting."""

    version: Mapped[int] = mapped_column(nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class Unit(Versioned, db.Model):
    """The county, its townships and departments, as a tree."""

    __tablename__ = "unit"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True, index=True)
    sort_order: Mapped[int] = mapped_column(nullable=False, default=0)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.sort_order, Unit.name")

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[Unit]:
        chain, node = [], self.parent
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return chain


class User(Versioned, UserMixin, db.Model):
    __tablename__ = "user_account"
    __audited__ = True
    __audit_secret__ = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(100), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[Role] = mapped_column(enum_column(Role), nullable=False, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True, index=True)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    locale: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    unit: Mapped[Unit | None] = relationship()
    leader: Mapped[Leader | None] = relationship(back_populates="user", uselist=False)

    def __str__(self) -> str:
        return f"{self.display_name} ({self.username})"

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class Leader(Versioned, db.Model):
    """A leader who receives the public and takes package cases; may be linked to a login."""

    __tablename__ = "leader"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    title: Mapped[str] = mapped_column(String(100), nullable=False)
    portfolio: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    post: Mapped[LeaderPost] = mapped_column(enum_column(LeaderPost), nullable=False, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True, unique=True)
    sort_order: Mapped[int] = mapped_column(nullable=False, default=0)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)

    unit: Mapped[Unit] = relationship()
    user: Mapped[User | None] = relationship(back_populates="leader")

    def __str__(self) -> str:
        return f"{self.name} ({self.title})"


class Category(Versioned, db.Model):
    """Content category (内容分类): an editable two-level tree."""

    __tablename__ = "category"
    __audited__ = True
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_category_parent_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), nullable=True, index=True)
    sort_order: Mapped[int] = mapped_column(nullable=False, default=0)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(
        back_populates="parent", order_by="Category.sort_order, Category.name"
    )

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent else self.name


class ReceptionMethod(Versioned, db.Model):
    """Reception method (接访方式): an editable flat list."""

    __tablename__ = "reception_method"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    sort_order: Mapped[int] = mapped_column(nullable=False, default=0)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)

    def __str__(self) -> str:
        return self.name


class CalendarDay(db.Model):
    """An admin's override of one day of the official working-day calendar."""

    __tablename__ = "calendar_day"
    __audited__ = True

    day: Mapped[date] = mapped_column(primary_key=True)
    is_working: Mapped[bool] = mapped_column(nullable=False)
    note: Mapped[str] = mapped_column(String(100), nullable=False, default="")

    def __str__(self) -> str:
        return self.day.isoformat()


class CalendarYear(db.Model):
    """A year whose State Council notice an admin has loaded in full, so it is no longer provisional."""

    __tablename__ = "calendar_year"
    __audited__ = True

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    confirmed_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    def __str__(self) -> str:
        return str(self.year)


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 digest is stored."""

    __tablename__ = "api_token"
    __audited__ = True
    __audit_secret__ = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True), nullable=True)

    user: Mapped[User] = relationship()

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def __str__(self) -> str:
        return f"token #{self.id}"


class RegistrationKey(db.Model):
    """An Idempotency-Key an API caller sent with a registration, and the case it registered: the same request sent
    again (the answer was lost to a timeout or a restart) gets that case back instead of a second one."""

    __tablename__ = "registration_key"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_registration_key_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    body_digest: Mapped[str] = mapped_column(String(64), nullable=False)  # SHA-256 of the request's JSON
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    petition: Mapped["Petition"] = relationship()


class LoginAttempt(db.Model):
    """A failed login, kept in the database so throttling holds across server workers."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    address: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)


class AuditLog(db.Model):
    """Who did what to which object, and which fields changed (old → new)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True
    )
    actor_name: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(50), nullable=False)
    object_id: Mapped[str] = mapped_column(String(64), nullable=False)
    object_label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    changes: Mapped[dict] = mapped_column(db.JSON, nullable=False, default=dict)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)

    actor: Mapped[User | None] = relationship()


class Revision(db.Model):
    """A counter raised whenever data behind a cached view changes (see blueprints/public/cache.py)."""

    __tablename__ = "revision"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(nullable=False, default=0)


reception_session_leader = Table(
    "reception_session_leader",
    db.metadata,
    Column("session_id", ForeignKey("reception_session.id", ondelete="CASCADE"), primary_key=True),
    Column("leader_id", ForeignKey("leader.id"), primary_key=True, index=True),
)

reception_session_unit = Table(
    "reception_session_unit",
    db.metadata,
    Column("session_id", ForeignKey("reception_session.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id"), primary_key=True),
)


class ReceptionSession(Versioned, db.Model):
    """A leaders' public reception session (接访场次): who receives, when, where and how."""

    __tablename__ = "reception_session"
    __audited__ = True
    __table_args__ = (Index("ix_reception_session_status_day", "status", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(nullable=False, index=True)
    start_time: Mapped[time] = mapped_column(nullable=False)
    end_time: Mapped[time] = mapped_column(nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    method_id: Mapped[int] = mapped_column(ForeignKey("reception_method.id"), nullable=False)
    topic: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    booking: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    capacity: Mapped[int | None] = mapped_column(nullable=True)
    public_remarks: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    internal_remarks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[SessionStatus] = mapped_column(enum_column(SessionStatus), nullable=False)
    cancel_reason: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    previous_day: Mapped[date | None] = mapped_column(nullable=True)
    previous_start_time: Mapped[time | None] = mapped_column(nullable=True)
    previous_end_time: Mapped[time | None] = mapped_column(nullable=True)
    sequence: Mapped[int] = mapped_column(nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )

    unit: Mapped[Unit] = relationship()
    method: Mapped[ReceptionMethod] = relationship()
    leaders: Mapped[list[Leader]] = relationship(secondary=reception_session_leader, order_by="Leader.sort_order")
    accompanying_units: Mapped[list[Unit]] = relationship(secondary=reception_session_unit, order_by="Unit.sort_order")
    record: Mapped[ReceptionRecord | None] = relationship(back_populates="session", uselist=False)

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.start_time:%H:%M}-{self.end_time:%H:%M} {self.place}"

    @property
    def is_public(self) -> bool:
        return self.status is not SessionStatus.draft

    @property
    def is_rescheduled(self) -> bool:
        return self.previous_day is not None


class ReceptionQuota(Versioned, db.Model):
    """How many reception days a month a leader of this post must hold."""

    __tablename__ = "reception_quota"
    __audited__ = True

    post: Mapped[LeaderPost] = mapped_column(enum_column(LeaderPost), primary_key=True)
    days_per_month: Mapped[int] = mapped_column(nullable=False, default=0)

    def __str__(self) -> str:
        return self.post.value


class ReceptionRecord(db.Model):
    """The record that a session was held (接访记录); only recorded sessions count as held."""

    __tablename__ = "reception_record"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("reception_session.id"), nullable=False, unique=True)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    session: Mapped[ReceptionSession] = relationship(back_populates="record")
    batches: Mapped[list[ReceptionBatch]] = relationship(back_populates="record", order_by="ReceptionBatch.id")

    def __str__(self) -> str:
        return f"record of session #{self.session_id}"


COLLECTIVE_VISIT_PERSONS = 5  # DOMAIN §2: a matter raised by 5 or more people is a collective visit


class ReceptionBatch(db.Model):
    """One visiting batch at a held session: who came, what they raised, the answer on the spot."""

    __tablename__ = "reception_batch"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("reception_record.id"), nullable=False, index=True)
    petitioner_names: Mapped[str] = mapped_column(String(500), nullable=False)
    persons: Mapped[int] = mapped_column(nullable=False, default=1)
    matter: Mapped[str] = mapped_column(Text, nullable=False)
    answer: Mapped[str] = mapped_column(Text, nullable=False, default="")
    settled: Mapped[bool] = mapped_column(nullable=False, default=False)

    record: Mapped[ReceptionRecord] = relationship(back_populates="batches")
    petition: Mapped[Petition | None] = relationship(back_populates="reception_batch")

    def __str__(self) -> str:
        return f"batch #{self.id} ({self.persons})"

    @property
    def is_collective(self) -> bool:
        return self.persons >= COLLECTIVE_VISIT_PERSONS


petition_co_unit = Table(
    "petition_co_unit",
    db.metadata,
    Column("petition_id", ForeignKey("petition.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id"), primary_key=True, index=True),
)


STATS_COLUMNS = ("received_on", "channel", "purpose", "persons", "is_collective", "is_repeat", "assigned_from",
                 "status", "accepted_on", "decided_on", "acceptance_due_on", "handling_due_on", "opinion_on",
                 "closed_on", "satisfaction", "resolution", "leader_id", "township_id", "lead_unit_id", "category_id",
                 "accused_unit_id")


class Petition(Versioned, db.Model):
    """A petition (信访事项) from intake to closure, with its package: leader, units, opinion, deadline."""

    __tablename__ = "petition"
    __audited__ = True
    __table_args__ = (
        Index("ix_petition_received_on_id", "received_on", "id"),
        Index("ix_petition_status_due_on", "status", "due_on"),
        Index("ix_petition_due_on", "due_on"),
        # The case list sorts newest first: one index per filter gives each one-filter list in that order,
        # so a page reads about one page of rows at any number of cases (bench/cases.py). accused_unit_id is
        # there for the access condition every list carries, so counting a filtered list reads only the index.
        *(Index(f"ix_petition_{column}_received_on", column, "received_on", "id", "accused_unit_id")
          for column in ("status", "channel", "purpose", "category_id", "township_id", "lead_unit_id", "leader_id")),
        # Cases with a running clock, newest first, due date at hand: the overdue and due-soon lists.
        Index("ix_petition_running_received_on", "received_on", "id", "due_on",
              sqlite_where=db.text("due_on IS NOT NULL"), postgresql_where=db.text("due_on IS NOT NULL")),
        # Period figures (assessment, statistics) select cases accepted or closed in a date range.
        Index("ix_petition_accepted_on", "accepted_on"),
        Index("ix_petition_closed_on", "closed_on"),
        # Statistics (figures.py) count the cases received in a period in one pass; this index
        # holds every column a figure, a breakdown or the access condition reads, so the pass reads only the
        # index (SQLite: 0.85 s → 0.15 s for a year at 1,000,000 cases).
        Index("ix_petition_stats", *STATS_COLUMNS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    received_on: Mapped[date] = mapped_column(nullable=False)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), nullable=False, index=True)
    purpose: Mapped[Purpose] = mapped_column(enum_column(Purpose), nullable=False, index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), nullable=True, index=True)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    persons: Mapped[int] = mapped_column(nullable=False, default=1)
    is_collective: Mapped[bool] = mapped_column(nullable=False, default=False)
    is_repeat: Mapped[bool] = mapped_column(nullable=False, default=False)
    is_skip_level: Mapped[bool] = mapped_column(nullable=False, default=False)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True, index=True)
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus), nullable=False)
    accepted_on: Mapped[date | None] = mapped_column(nullable=True)
    acceptance_note: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True, index=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("leader.id"), nullable=True, index=True)
    responsible_person: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    handling_opinion: Mapped[str] = mapped_column(Text, nullable=False, default="")
    closure_standard: Mapped[str] = mapped_column(Text, nullable=False, default="")
    due_on: Mapped[date | None] = mapped_column(nullable=True)
    # Kept for the statistics by workflow.set_clock_dates (a plain column comparison, not a calendar walk per case):
    # the day acceptance was decided (accepted, refused or forwarded), and the two clocks' due dates.
    decided_on: Mapped[date | None] = mapped_column(nullable=True)
    acceptance_due_on: Mapped[date | None] = mapped_column(nullable=True)
    handling_due_on: Mapped[date | None] = mapped_column(nullable=True)
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome), nullable=True)
    closed_on: Mapped[date | None] = mapped_column(nullable=True)
    satisfaction: Mapped[Satisfaction | None] = mapped_column(enum_column(Satisfaction), nullable=True)
    assigned_from: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    resolution: Mapped[Resolution | None] = mapped_column(enum_column(Resolution), nullable=True)
    remarks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    accused_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True, index=True)
    is_key: Mapped[bool] = mapped_column(nullable=False, default=False)
    forwarded_to: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    # The four duties (四包) of the responsible leader, as a checklist.
    duty_facts: Mapped[bool] = mapped_column(nullable=False, default=False)
    duty_resolve: Mapped[bool] = mapped_column(nullable=False, default=False)
    duty_guide: Mapped[bool] = mapped_column(nullable=False, default=False)
    duty_settle: Mapped[bool] = mapped_column(nullable=False, default=False)
    extension_days: Mapped[int] = mapped_column(nullable=False, default=0)
    extension_reason: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    extension_approved_on: Mapped[date | None] = mapped_column(nullable=True)
    opinion_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    opinion_pending: Mapped[bool] = mapped_column(nullable=False, default=False)
    opinion_signed_off_on: Mapped[date | None] = mapped_column(nullable=True)
    opinion_on: Mapped[date | None] = mapped_column(nullable=True)
    return_visit_on: Mapped[date | None] = mapped_column(nullable=True)
    review_requested_on: Mapped[date | None] = mapped_column(nullable=True)
    review_decided_on: Mapped[date | None] = mapped_column(nullable=True)
    re_review_requested_on: Mapped[date | None] = mapped_column(nullable=True)
    re_review_decided_on: Mapped[date | None] = mapped_column(nullable=True)
    hearing_days: Mapped[int] = mapped_column(nullable=False, default=0)
    report_due_on: Mapped[date | None] = mapped_column(nullable=True)
    reported_on: Mapped[date | None] = mapped_column(nullable=True)
    reception_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("reception_batch.id"), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    category: Mapped[Category | None] = relationship()
    township: Mapped[Unit | None] = relationship(foreign_keys=[township_id])
    lead_unit: Mapped[Unit | None] = relationship(foreign_keys=[lead_unit_id])
    accused_unit: Mapped[Unit | None] = relationship(foreign_keys=[accused_unit_id])
    leader: Mapped[Leader | None] = relationship()
    co_units: Mapped[list[Unit]] = relationship(secondary=petition_co_unit)
    reception_batch: Mapped[ReceptionBatch | None] = relationship(back_populates="petition")
    petitioners: Mapped[list[Petitioner]] = relationship(back_populates="petition", order_by="Petitioner.id")
    events: Mapped[list[PetitionEvent]] = relationship(
        back_populates="petition", order_by="PetitionEvent.id", cascade="all, delete-orphan")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="petition", order_by="Attachment.id", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.number


class Petitioner(db.Model):
    """A person who raised a petition; ID number, phone and address are personal information (DOMAIN §6)."""

    __tablename__ = "petitioner"
    __audited__ = True
    __audit_secret__ = frozenset({"id_number", "phone", "address"})

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False, index=True)
    id_number: Mapped[str] = mapped_column(String(18), nullable=False, default="", index=True)
    phone: Mapped[str] = mapped_column(String(20), nullable=False, default="", index=True)
    address: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    village: Mapped[str] = mapped_column(String(100), nullable=False, default="")

    petition: Mapped[Petition] = relationship(back_populates="petitioners")

    def __str__(self) -> str:
        return f"petitioner #{self.id}"


class PetitionEvent(db.Model):
    """One dated line of a case timeline, with its author: a state change or a progress entry."""

    __tablename__ = "petition_event"
    __table_args__ = (Index("ix_petition_event_petition_id_happened_on", "petition_id", "happened_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind), nullable=False)
    happened_on: Mapped[date] = mapped_column(nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow,
                                                 index=True)

    petition: Mapped[Petition] = relationship(back_populates="events")
    author: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.kind.value} {self.happened_on.isoformat()}"


class Attachment(db.Model):
    """A scan, photo or PDF filed with a petition; the bytes live under the instance folder, not static/."""

    __tablename__ = "attachment"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    petition: Mapped[Petition] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.filename


inspection_round_unit = Table(
    "inspection_round_unit",
    db.metadata,
    Column("round_id", ForeignKey("inspection_round.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id"), primary_key=True),
)

inspection_round_leader = Table(
    "inspection_round_leader",
    db.metadata,
    Column("round_id", ForeignKey("inspection_round.id", ondelete="CASCADE"), primary_key=True),
    Column("leader_id", ForeignKey("leader.id"), primary_key=True),
)


class InspectionRound(Versioned, db.Model):
    """A planned round of inspections (every two months) or a half-year review, with the targets it must cover."""

    __tablename__ = "inspection_round"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RoundKind] = mapped_column(enum_column(RoundKind), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    starts_on: Mapped[date] = mapped_column(nullable=False)
    ends_on: Mapped[date] = mapped_column(nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    units: Mapped[list[Unit]] = relationship(secondary=inspection_round_unit, order_by="Unit.sort_order, Unit.name")
    leaders: Mapped[list[Leader]] = relationship(secondary=inspection_round_leader,
                                                 order_by="Leader.sort_order, Leader.name")
    inspections: Mapped[list[Inspection]] = relationship(back_populates="round", order_by="Inspection.inspected_on")

    def __str__(self) -> str:
        return self.name


class Inspection(Versioned, db.Model):
    """One inspection (督查): its target, date, method, inspectors, findings and rating."""

    __tablename__ = "inspection"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_round.id"), nullable=True, index=True)
    target: Mapped[InspectionTarget] = mapped_column(enum_column(InspectionTarget), nullable=False)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True, index=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("leader.id"), nullable=True, index=True)
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petition.id"), nullable=True, index=True)
    period_from: Mapped[date | None] = mapped_column(nullable=True)
    period_to: Mapped[date | None] = mapped_column(nullable=True)
    inspected_on: Mapped[date] = mapped_column(nullable=False, index=True)
    method: Mapped[InspectionMethod] = mapped_column(enum_column(InspectionMethod), nullable=False)
    inspectors: Mapped[str] = mapped_column(String(200), nullable=False)
    findings: Mapped[str] = mapped_column(Text, nullable=False, default="")
    rating: Mapped[Rating] = mapped_column(enum_column(Rating), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    round: Mapped[InspectionRound | None] = relationship(back_populates="inspections")
    unit: Mapped[Unit | None] = relationship()
    leader: Mapped[Leader | None] = relationship()
    petition: Mapped[Petition | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    evidence: Mapped[list[InspectionEvidence]] = relationship(
        back_populates="inspection", order_by="InspectionEvidence.id", cascade="all, delete-orphan")
    items: Mapped[list[RectificationItem]] = relationship(back_populates="inspection", order_by="RectificationItem.id")

    def __str__(self) -> str:
        return f"inspection #{self.id} {self.inspected_on.isoformat()}"


class InspectionEvidence(db.Model):
    """An evidence file (photo, scan, PDF) of an inspection; stored like case attachments, under the instance."""

    __tablename__ = "inspection_evidence"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False,
                                               index=True)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    inspection: Mapped[Inspection] = relationship(back_populates="evidence")

    def __str__(self) -> str:
        return self.filename


class RectificationItem(Versioned, db.Model):
    """One problem to put right (整改台账), signed off (销号) only after a recorded verification of the effect."""

    __tablename__ = "rectification_item"
    __audited__ = True
    __table_args__ = (Index("ix_rectification_item_status_deadline", "status", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"), nullable=True, index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("check_finding.id"), nullable=True, index=True)
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petition.id"), nullable=True, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("leader.id"), nullable=True, index=True)
    responsible_person: Mapped[str] = mapped_column(String(100), nullable=False)
    problem: Mapped[str] = mapped_column(Text, nullable=False)
    measures: Mapped[str] = mapped_column(Text, nullable=False)
    opened_on: Mapped[date] = mapped_column(nullable=False)
    deadline: Mapped[date] = mapped_column(nullable=False)
    status: Mapped[RectificationStatus] = mapped_column(enum_column(RectificationStatus), nullable=False)
    verification: Mapped[str] = mapped_column(Text, nullable=False, default="")
    verified_on: Mapped[date | None] = mapped_column(nullable=True)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    closed_on: Mapped[date | None] = mapped_column(nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    inspection: Mapped[Inspection | None] = relationship(back_populates="items")
    finding: Mapped[CheckFinding | None] = relationship()
    petition: Mapped[Petition | None] = relationship()
    unit: Mapped[Unit] = relationship()
    leader: Mapped[Leader | None] = relationship()
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    progress: Mapped[list[RectificationProgress]] = relationship(
        back_populates="item", order_by="RectificationProgress.id", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return f"rectification #{self.id}"

    def is_overdue(self, today: date) -> bool:
        return self.status is RectificationStatus.open and self.deadline < today


class RectificationProgress(db.Model):
    """A dated progress entry on a rectification item, written by the responsible unit."""

    __tablename__ = "rectification_progress"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_item.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    happened_on: Mapped[date] = mapped_column(nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    item: Mapped[RectificationItem] = relationship(back_populates="progress")
    author: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"progress {self.happened_on.isoformat()}"


class SupervisionNotice(Versioned, db.Model):
    """A supervision notice (督办单) on a case or a rectification item, addressed to a unit, with its escalation."""

    __tablename__ = "supervision_notice"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petition.id"), nullable=True, index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_item.id"), nullable=True, index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("check_finding.id"), nullable=True, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("leader.id"), nullable=True, index=True)
    level: Mapped[NoticeLevel] = mapped_column(enum_column(NoticeLevel), nullable=False, index=True)
    issued_on: Mapped[date] = mapped_column(nullable=False)
    requirement: Mapped[str] = mapped_column(Text, nullable=False)
    reply_due_on: Mapped[date | None] = mapped_column(nullable=True)
    accountability_form: Mapped[AccountabilityForm | None] = mapped_column(enum_column(AccountabilityForm),
                                                                           nullable=True)
    accountability_decision: Mapped[str] = mapped_column(Text, nullable=False, default="")
    reply_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    replied_on: Mapped[date | None] = mapped_column(nullable=True)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    petition: Mapped[Petition | None] = relationship()
    item: Mapped[RectificationItem | None] = relationship()
    finding: Mapped[CheckFinding | None] = relationship()
    unit: Mapped[Unit] = relationship()
    leader: Mapped[Leader | None] = relationship()
    replied_by: Mapped[User | None] = relationship(foreign_keys=[replied_by_id])
    events: Mapped[list[SupervisionNoticeEvent]] = relationship(
        back_populates="notice", order_by="SupervisionNoticeEvent.id", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.number


class SupervisionNoticeEvent(db.Model):
    """One dated line of a notice's history: issued, escalated to a level, replied."""

    __tablename__ = "supervision_notice_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("supervision_notice.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    kind: Mapped[NoticeEventKind] = mapped_column(enum_column(NoticeEventKind), nullable=False)
    level: Mapped[NoticeLevel] = mapped_column(enum_column(NoticeLevel), nullable=False)
    happened_on: Mapped[date] = mapped_column(nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    notice: Mapped[SupervisionNotice] = relationship(back_populates="events")
    author: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.kind.value} {self.happened_on.isoformat()}"


class CheckRun(db.Model):
    """One run of the automated checks; `running_lock` is 1 only while it runs, so two runs cannot overlap."""

    __tablename__ = "check_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[CheckTrigger] = mapped_column(enum_column(CheckTrigger), nullable=False)
    status: Mapped[CheckRunStatus] = mapped_column(enum_column(CheckRunStatus), nullable=False)
    running_lock: Mapped[int | None] = mapped_column(nullable=True, unique=True)
    as_of: Mapped[date] = mapped_column(nullable=False)
    settings: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    error: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True), nullable=True)

    started_by: Mapped[User | None] = relationship()
    counts: Mapped[list[CheckCount]] = relationship(back_populates="run", order_by="CheckCount.kind")

    def __str__(self) -> str:
        return f"check run #{self.id}"


class CheckCount(db.Model):
    """How many findings one check had in one run: in all, new in this run, and resolved since the last."""

    __tablename__ = "check_count"

    run_id: Mapped[int] = mapped_column(ForeignKey("check_run.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[CheckKind] = mapped_column(enum_column(CheckKind), primary_key=True)
    found: Mapped[int] = mapped_column(nullable=False, default=0)
    new: Mapped[int] = mapped_column(nullable=False, default=0)
    resolved: Mapped[int] = mapped_column(nullable=False, default=0)

    run: Mapped[CheckRun] = relationship(back_populates="counts")

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.found}"


class CheckFinding(db.Model):
    """A problem an automated check found; open from `first_run_id` until a later run no longer finds it.

    `subject` identifies what it is about (e.g. "petition:12", "leader:3:2026-11"); while open, a (kind, subject)
    pair exists once, so a later run that finds it again does not duplicate it."""

    __tablename__ = "check_finding"
    __table_args__ = (
        Index("uq_check_finding_open_subject", "kind", "subject", unique=True,
              sqlite_where=db.text("resolved_run_id IS NULL"), postgresql_where=db.text("resolved_run_id IS NULL")),
        Index("ix_check_finding_kind_first_run_id", "kind", "first_run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CheckKind] = mapped_column(enum_column(CheckKind), nullable=False)
    subject: Mapped[str] = mapped_column(String(80), nullable=False)
    # What the finding is about, without foreign keys: findings are a log of what a run saw, like the audit log,
    # and a first run writes hundreds of thousands of them, where PostgreSQL's per-row key checks cost 5.7 s
    # against 1.1 s without (264,000 overdue cases, bench/checks.py). Cases, leaders, units and runs are never
    # deleted; runs.py writes the run ids.
    petition_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    session_id: Mapped[int | None] = mapped_column(nullable=True)
    leader_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    unit_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    item_id: Mapped[int | None] = mapped_column(nullable=True)
    day: Mapped[date | None] = mapped_column(nullable=True)
    detail: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    first_run_id: Mapped[int] = mapped_column(nullable=False)
    resolved_run_id: Mapped[int | None] = mapped_column(nullable=True, index=True)

    petition: Mapped[Petition | None] = relationship(
        primaryjoin="foreign(CheckFinding.petition_id) == Petition.id", viewonly=True)
    session: Mapped[ReceptionSession | None] = relationship(
        primaryjoin="foreign(CheckFinding.session_id) == ReceptionSession.id", viewonly=True)
    leader: Mapped[Leader | None] = relationship(primaryjoin="foreign(CheckFinding.leader_id) == Leader.id",
                                                 viewonly=True)
    unit: Mapped[Unit | None] = relationship(primaryjoin="foreign(CheckFinding.unit_id) == Unit.id", viewonly=True)
    item: Mapped[RectificationItem | None] = relationship(
        primaryjoin="foreign(CheckFinding.item_id) == RectificationItem.id", viewonly=True)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.subject}"


class Campaign(Versioned, db.Model):
    """A special campaign (专项活动, e.g. a month-long 大排查大调处): a named period and scope. The cases found
    (received) or handled (closed) in it within its scope are tagged (CampaignCase)."""

    __tablename__ = "campaign"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    starts_on: Mapped[date] = mapped_column(nullable=False)
    ends_on: Mapped[date] = mapped_column(nullable=False)
    # The scope: one township and/or one category (a first-level category takes in its children); empty = all.
    township_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), nullable=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    township: Mapped[Unit | None] = relationship()
    category: Mapped[Category | None] = relationship()

    def __str__(self) -> str:
        return self.name


class CampaignCase(db.Model):
    """A case tagged by a campaign: found (received) and/or handled (closed) in its period and scope."""

    __tablename__ = "campaign_case"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    found: Mapped[bool] = mapped_column(nullable=False, default=False)
    handled: Mapped[bool] = mapped_column(nullable=False, default=False)

    petition: Mapped[Petition] = relationship()


class AssessmentWeight(Versioned, db.Model):
    """The weight of one assessment measure (考核) in the total; supervisors and admins edit it."""

    __tablename__ = "assessment_weight"
    __audited__ = True

    measure: Mapped[str] = mapped_column(String(32), primary_key=True)
    weight: Mapped[int] = mapped_column(nullable=False, default=0)

    def __str__(self) -> str:
        return self.measure


ENUM_LABELS = {
    Channel.visit: _l("Visit"),
    Channel.letter: _l("Letter"),
    Channel.online: _l("Online"),
    Channel.phone: _l("Phone"),
    Channel.mailbox: _l("Leaders' mailbox"),
    Channel.assigned: _l("Assigned from above"),
    Channel.forwarded: _l("Forwarded from above"),
    Channel.reception: _l("Raised at a reception"),
    Channel.visit_down: _l("Found on a visit down"),
    Purpose.claim: _l("Claim"),
    Purpose.appeal: _l("Appeal"),
    Purpose.suggestion: _l("Suggestion"),
    Purpose.accusation: _l("Accusation"),
    Purpose.litigation: _l("Court-related"),
    Purpose.other: _l("Other"),
    CaseStatus.registered: _l("Registered"),
    CaseStatus.accepted: _l("Accepted"),
    CaseStatus.not_accepted: _l("Not accepted"),
    CaseStatus.forwarded: _l("Forwarded"),
    CaseStatus.in_progress: _l("In progress"),
    CaseStatus.opinion_issued: _l("Opinion issued"),
    CaseStatus.return_visited: _l("Return visit done"),
    CaseStatus.closed: _l("Closed"),
    CaseStatus.review: _l("Under review"),
    CaseStatus.re_review: _l("Under re-review"),
    CaseStatus.final: _l("Not accepted again"),
    Outcome.support: _l("Supported"),
    Outcome.explain: _l("Explained"),
    Outcome.reject: _l("Not supported"),
    Satisfaction.satisfied: _l("Satisfied"),
    Satisfaction.basically: _l("Basically satisfied"),
    Satisfaction.dissatisfied: _l("Dissatisfied"),
    Satisfaction.not_evaluated: _l("Not evaluated"),
    SessionStatus.draft: _l("Draft"),
    SessionStatus.published: _l("Published"),
    SessionStatus.held: _l("Held"),
    SessionStatus.cancelled: _l("Cancelled"),
    Role.admin: _l("Administrator"),
    Role.clerk: _l("Office staff"),
    Role.leader: _l("Leader"),
    Role.handler: _l("Responsible unit"),
    Role.supervisor: _l("Supervisor"),
    UnitKind.county: _l("County"),
    UnitKind.township: _l("Township"),
    UnitKind.department: _l("Department"),
    LeaderPost.county_secretary: _l("County party secretary"),
    LeaderPost.county_head: _l("County head"),
    LeaderPost.county_leader: _l("Other county leader"),
    LeaderPost.township_secretary: _l("Township party secretary"),
    LeaderPost.township_head: _l("Township head"),
    LeaderPost.township_leader: _l("Other township leader"),
    LeaderPost.department_head: _l("Department head"),
    EventKind.registered: _l("Registered"),
    EventKind.accepted: _l("Accepted"),
    EventKind.not_accepted: _l("Not accepted"),
    EventKind.forwarded: _l("Forwarded"),
    EventKind.assigned: _l("Package assigned"),
    EventKind.progress: _l("Progress"),
    EventKind.extension_requested: _l("Extension requested"),
    EventKind.extension_approved: _l("Extension approved"),
    EventKind.opinion_submitted: _l("Opinion submitted"),
    EventKind.opinion_signed_off: _l("Opinion signed off"),
    EventKind.opinion_issued: _l("Opinion issued"),
    EventKind.return_visit: _l("Return visit"),
    EventKind.closed: _l("Closed"),
    EventKind.review_requested: _l("Review requested"),
    EventKind.review_decided: _l("Review decided"),
    EventKind.re_review_requested: _l("Re-review requested"),
    EventKind.hearing: _l("Hearing"),
    EventKind.re_review_decided: _l("Re-review decided"),
    EventKind.reported_back: _l("Result reported back"),
    EventKind.attachment: _l("Attachment"),
    EventKind.imported: _l("Imported from a ledger"),
    Resolution.mediation: _l("Mediation"),
    Resolution.settlement: _l("Settlement"),
    Resolution.administrative: _l("Administrative handling"),
    Resolution.guidance: _l("Explanation and guidance"),
    Resolution.judicial: _l("Judicial route"),
    Resolution.other: _l("Other"),
    AuditAction.create: _l("Created"),
    AuditAction.update: _l("Changed"),
    AuditAction.delete: _l("Deleted"),
    AuditAction.transition: _l("State change"),
    AuditAction.login: _l("Logged in"),
    AuditAction.login_failed: _l("Failed login"),
    AuditAction.logout: _l("Logged out"),
    AuditAction.reveal: _l("Personal data shown"),
    InspectionTarget.receptions: _l("A leader's receptions"),
    InspectionTarget.unit: _l("A unit"),
    InspectionTarget.case: _l("A case"),
    InspectionTarget.township: _l("A township"),
    InspectionMethod.on_site: _l("On-site inspection"),
    InspectionMethod.ledger_review: _l("Ledger review"),
    InspectionMethod.phone_callback: _l("Phone call-back"),
    InspectionMethod.unannounced: _l("Unannounced visit"),
    Rating.passed: _l("Pass"),
    Rating.basic: _l("Basic pass"),
    Rating.failed: _l("Fail"),
    RoundKind.bimonthly: _l("Bimonthly round"),
    RoundKind.half_year: _l("Half-year review"),
    RectificationStatus.open: _l("Being rectified"),
    RectificationStatus.closed: _l("Signed off"),
    NoticeLevel.reminder: _l("Reminder"),
    NoticeLevel.supervision: _l("Formal supervision"),
    NoticeLevel.circulation: _l("Circulated criticism"),
    NoticeLevel.accountability: _l("Accountability"),
    AccountabilityForm.criticism: _l("Circulated criticism (通报批评)"),
    AccountabilityForm.admonition: _l("Admonishment talk"),
    AccountabilityForm.organisational: _l("Organisational measures"),
    AccountabilityForm.disciplinary: _l("Disciplinary sanction"),
    NoticeEventKind.issued: _l("Issued"),
    NoticeEventKind.escalated: _l("Escalated"),
    NoticeEventKind.replied: _l("Unit replied"),
    CheckKind.overdue_case: _l("Overdue case"),
    CheckKind.due_soon_case: _l("Case due soon"),
    CheckKind.quota_shortfall: _l("Leader below reception quota"),
    CheckKind.uncovered_day: _l("Working day with nobody on duty"),
    CheckKind.unrecorded_session: _l("Session without a reception record"),
    CheckKind.stale_case: _l("Case without progress"),
    CheckKind.no_return_visit: _l("Closed without a return visit"),
    CheckKind.repeat_matter: _l("Petitioner back on the same matter"),
    CheckKind.overdue_item: _l("Overdue rectification item"),
    CheckRunStatus.running: _l("Running"),
    CheckRunStatus.finished: _l("Finished"),
    CheckRunStatus.failed: _l("Failed"),
    CheckTrigger.page: _l("Started on the page"),
    CheckTrigger.cli: _l("Scheduled job"),
    CheckTrigger.api: _l("API"),
}

"""Campaigns (专项活动): tag the cases found or handled in a campaign's period and scope, and count them.

Tagging is three set statements in SQL: drop the tags that no longer match, correct the found/handled flags that
changed, add the cases not tagged yet. A second run therefore changes nothing, and an edit that narrows the period
or the scope removes what falls out. The figures count the tagged cases the user may see (visible_petitions) in one
aggregate query with the conditions of figures.py, so each number's link to the case list (`?campaign=<id>`, plus
`campaign_tag=` or `figure=`) lists the same cases.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, true

from blueprints.supervision.assessment import BY_LEADER, BY_UNIT, row_names
from figures import COUNT_LABELS, RATES, figure_condition, rate
from models import Campaign, CampaignCase, Category, Petition, db

TAGS = CampaignCase.__table__  # set statements on the table itself: no ORM bookkeeping per row

COUNT_KEYS = ("tagged", "found", "handled", "closed", "disputes", "mediated")
LABELS = {
    "tagged": _l("Cases of the campaign"),
    "found": _l("Found (received in the period)"),
    "handled": _l("Resolved (closed in the period)"),
    "closed": COUNT_LABELS["closed"],
    "disputes": COUNT_LABELS["disputes"],
    "mediated": COUNT_LABELS["mediated"],
}
MEDIATION = RATES["mediation_rate"]
# What the case list adds to ?campaign=<id> to list the cases of each count.
LIST_ARGS = {
    "tagged": {},
    "found": {"campaign_tag": "found"},
    "handled": {"campaign_tag": "handled"},
    "closed": {"figure": "closed"},
    "disputes": {"figure": "disputes"},
    "mediated": {"figure": "mediated"},
}
BREAKDOWN_COLUMNS = {"township": Petition.township_id, "leader": Petition.leader_id}  # the case list's own args


def latest_end(start: date) -> date:
    """The last day a campaign starting on `start` may run to: at most a year (1 March → 28 or 29 February)."""
    if start.year == date.max.year:  # a year on would leave the calendar
        return date.max
    if start.month == 2 and start.day == 29:
        return date(start.year + 1, 2, 28)
    return start.replace(year=start.year + 1) - timedelta(days=1)


# --- tagging ------------------------------------------------------------------------------------------------------

def scope_condition(campaign: Campaign):
    """The campaign's township and category (a first-level category takes in its subcategories); all when empty."""
    conditions = []
    if campaign.township_id is not None:
        conditions.append(Petition.township_id == campaign.township_id)
    if campaign.category_id is not None:
        children = db.select(Category.id).where(Category.parent_id == campaign.category_id)
        conditions.append(or_(Petition.category_id == campaign.category_id, Petition.category_id.in_(children)))
    return and_(true(), *conditions)


def _found(campaign: Campaign):
    return Petition.received_on.between(campaign.starts_on, campaign.ends_on)


def _handled(campaign: Campaign):
    return and_(Petition.closed_on.is_not(None), Petition.closed_on.between(campaign.starts_on, campaign.ends_on))


def _flag(condition):
    return db.case((condition, True), else_=False)


def tag_campaign_cases(campaign: Campaign) -> tuple[int, int]:
    """Bring the campaign's tags up to date with its period and scope; (found, handled) afterwards. The caller
    commits."""
    if campaign.id is None:
        db.session.flush()
    found, handled = _found(campaign), _handled(campaign)
    matching = db.select(Petition.id).where(scope_condition(campaign), or_(found, handled))
    mine = TAGS.c.campaign_id == campaign.id
    db.session.execute(db.delete(TAGS).where(mine, TAGS.c.petition_id.not_in(matching)))
    db.session.execute(
        db.update(TAGS)
        .where(mine, TAGS.c.petition_id == Petition.id,
               or_(TAGS.c.found != _flag(found), TAGS.c.handled != _flag(handled)))
        .values(found=_flag(found), handled=_flag(handled)))
    tagged = db.select(TAGS.c.petition_id).where(mine)
    db.session.execute(db.insert(TAGS).from_select(
        ["campaign_id", "petition_id", "found", "handled"],
        db.select(db.literal(campaign.id), Petition.id, _flag(found), _flag(handled))
        .where(scope_condition(campaign), or_(found, handled), Petition.id.not_in(tagged))))
    counts = db.session.execute(
        db.select(db.func.count().filter(TAGS.c.found.is_(True)), db.func.count().filter(TAGS.c.handled.is_(True)))
        .where(mine)).one()
    return int(counts[0]), int(counts[1])


def running_campaigns(today: date) -> list[Campaign]:
    """The campaigns whose period includes today (what the scheduled re-tagging covers)."""
    return db.session.scalars(db.select(Campaign).where(Campaign.starts_on <= today, Campaign.ends_on >= today)
                              .order_by(Campaign.starts_on, Campaign.id)).all()


def petition_campaigns(petition_id: int) -> list[Campaign]:
    """The campaigns that tagged a case, newest first (for the case page)."""
    return db.session.scalars(
        db.select(Campaign).join(CampaignCase, CampaignCase.campaign_id == Campaign.id)
        .where(CampaignCase.petition_id == petition_id).order_by(Campaign.starts_on.desc(), Campaign.id.desc())).all()


# --- figures ------------------------------------------------------------------------------------------------------

def _aggregates(today: date) -> dict:
    return {
        "tagged": db.func.count(),
        "found": db.func.count().filter(CampaignCase.found.is_(True)),
        "handled": db.func.count().filter(CampaignCase.handled.is_(True)),
        **{key: db.func.count().filter(figure_condition(key, today)) for key in ("closed", "disputes", "mediated")},
    }


def campaign_counts(campaign_id: int, scope, today: date, by: str | None = None) -> dict:
    """Every count of the campaign's tagged cases within `scope`, in one query: {group: {key: n}}, the group
    None without a breakdown (then always present) and for the cases without a township or leader."""
    query = (db.select(*[aggregate.label(key) for key, aggregate in _aggregates(today).items()])
             .select_from(Petition)
             .join(CampaignCase, and_(CampaignCase.petition_id == Petition.id, CampaignCase.campaign_id == campaign_id))
             .where(scope))
    if by is not None:
        group = BREAKDOWN_COLUMNS[by].label("group")
        query = query.add_columns(group).group_by(group)
    found = {}
    for row in db.session.execute(query).all():
        counts = {key: int(getattr(row, key)) for key in COUNT_KEYS}
        if by is None or counts["tagged"]:
            found[row.group if by is not None else None] = counts
    return found if by is not None else {None: found.get(None) or dict.fromkeys(COUNT_KEYS, 0)}


def campaign_totals(campaign_ids: list[int], scope) -> dict[int, tuple[int, int, int]]:
    """{campaign id: (tagged, found, handled)} of the listed campaigns, within `scope`, in one query."""
    if not campaign_ids:
        return {}
    rows = db.session.execute(
        db.select(CampaignCase.campaign_id, db.func.count(), db.func.count().filter(CampaignCase.found.is_(True)),
                  db.func.count().filter(CampaignCase.handled.is_(True)))
        .join(Petition, Petition.id == CampaignCase.petition_id)
        .where(CampaignCase.campaign_id.in_(campaign_ids), scope).group_by(CampaignCase.campaign_id)).all()
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in rows}


@dataclass(frozen=True)
class FigureRow:
    """One line of a campaign's figures: the counts, the mediation rate (调结率), and the case list's arguments
    for the line's group (None when the list cannot pick it out: the cases without a township or leader)."""

    name: str
    note: str
    counts: dict[str, int]
    list_args: dict | None

    @property
    def mediation_rate(self) -> float | None:
        return rate(self.counts[MEDIATION.part], self.counts[MEDIATION.whole])


def figure_rows(campaign_id: int, scope, today: date, by: str | None = None) -> list[FigureRow]:
    """The campaign's figures as table rows: one row without a breakdown, else one per township or leader
    (most cases first, the cases without one last)."""
    counts = campaign_counts(campaign_id, scope, today, by)
    if by is None:
        return [FigureRow("", "", counts[None], {})]
    names = row_names(BY_LEADER if by == "leader" else BY_UNIT, [key for key in counts if key is not None])
    rows = [FigureRow(*names.get(key, (str(key), "")), counts[key], {by: key})
            for key in counts if key is not None]
    rows.sort(key=lambda row: (-row.counts["tagged"], row.name))
    if None in counts:
        rows.append(FigureRow(str(NO_GROUP[by]), "", counts[None], None))
    return rows


NO_GROUP = {"township": _l("(no township)"), "leader": _l("(no responsible leader)")}


def campaign_state(campaign: Campaign, today: date) -> str:
    """upcoming, running or ended."""
    if today < campaign.starts_on:
        return "upcoming"
    return "running" if today <= campaign.ends_on else "ended"


STATE_LABELS = {"upcoming": _l("Not started"), "running": _l("Running"), "ended": _l("Ended")}
STATE_BADGES = {"upcoming": "published", "running": "ok", "ended": "off"}

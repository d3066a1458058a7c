"""Petition flows that span several records: listing with filters, repeat detection, registration, clocks."""
from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

from sqlalchemy import or_

from blueprints.cases.access import visible_petitions
from blueprints.shared import official_calendar
from models import CaseStatus, Channel, EventKind, Petition, PetitionEvent, Petitioner, Purpose, db
from blueprints.cases.workflow import running_due

DUE_SOON_DAYS = 5
REPEAT_MATCHES = 10


def petition_list_query(user, args):
    """The petitions this user may see, filtered by the list's query arguments, newest first."""
    query = db.select(Petition).where(visible_petitions(user))
    text = (args.get("q") or "").strip()
    if text:
        person = db.select(Petitioner.petition_id).where(
            or_(Petitioner.id_number == text.upper(), Petitioner.phone == text, Petitioner.name == text))
        query = query.where(or_(Petition.number == text, Petition.id.in_(person), Petition.summary.contains(text)))
    for name, column, enum_class in (("status", Petition.status, CaseStatus), ("channel", Petition.channel, Channel),
                                     ("purpose", Petition.purpose, Purpose)):
        if args.get(name) in {member.value for member in enum_class}:
            query = query.where(column == enum_class(args[name]))
    for name, column in (("township", Petition.township_id), ("unit", Petition.lead_unit_id),
                         ("leader", Petition.leader_id), ("category", Petition.category_id)):
        if (args.get(name) or "").isdigit():
            query = query.where(column == int(args[name]))
    today = date.today()
    # due_on holds the earliest running clock and is empty when no clock runs (see workflow.running_due).
    if args.get("clock") == "overdue":
        query = query.where(Petition.due_on < today)
    elif args.get("clock") == "due_soon":
        query = query.where(Petition.due_on.between(today, today + timedelta(days=DUE_SOON_DAYS)))
    return query.order_by(Petition.received_on.desc(), Petition.id.desc())


def earlier_matches(user, petitioners: list[dict]) -> list[Petition]:
    """Earlier petitions by the same person: ID number first, then phone, then name + village (DOMAIN §2)."""
    for build in (
        lambda p: Petitioner.id_number == p["id_number"].upper() if p["id_number"] else None,
        lambda p: Petitioner.phone == p["phone"] if p["phone"] else None,
        lambda p: (Petitioner.name == p["name"]) & (Petitioner.village == p["village"]) if p["village"] else None,
    ):
        conditions = [condition for condition in map(build, petitioners) if condition is not None]
        if not conditions:
            continue
        matches = db.session.scalars(
            db.select(Petition).where(visible_petitions(user), Petition.id.in_(
                db.select(Petitioner.petition_id).where(or_(*conditions))))
            .order_by(Petition.received_on.desc()).limit(REPEAT_MATCHES)
        ).all()
        if matches:
            return matches
    return []


def register_petition(form, author_id: int | None) -> Petition:
    """Create the petition and its petitioners from a validated form; the caller commits.

    The number needs the id, so a unique placeholder (32 characters, the column's width) holds its place
    until the flush assigns one."""
    petition = Petition(
        number=uuid4().hex, received_on=form.received_on.data, channel=Channel(form.channel.data),
        purpose=Purpose(form.purpose.data), category_id=form.category_id.data, township_id=form.township_id.data,
        summary=form.summary.data.strip(), persons=form.persons.data, is_collective=form.persons.data >= 5,
        is_repeat=form.is_repeat.data, is_skip_level=form.is_skip_level.data,
        accused_unit_id=form.accused_unit_id.data if form.purpose.data == Purpose.accusation.value else None,
        assigned_from=(form.assigned_from.data or "").strip(), status=CaseStatus.registered)
    petition.due_on = running_due(petition, official_calendar())
    petition.events.append(PetitionEvent(kind=EventKind.registered, happened_on=petition.received_on,
                                         author_id=author_id))
    for entry in form.petitioners.entries:
        data = entry.form
        petition.petitioners.append(Petitioner(
            name=data.name.data.strip(), id_number=(data.id_number.data or "").strip().upper(),
            phone=(data.phone.data or "").strip(), address=(data.address.data or "").strip(),
            village=(data.village.data or "").strip()))
    db.session.add(petition)
    db.session.flush()
    petition.number = f"XF{petition.received_on.year}-{petition.id:07d}"
    return petition

"""Cases through the JSON API: list, register, case with clocks, workflow steps; the pages' access rules and forms.

JSON bodies are fed to the very WTForms forms the pages use (as the form data a browser would post), so
validation and its messages are the pages' own; errors answer {"error", "status", "field", "errors"}.
"""
from __future__ import annotations

from collections import deque
from datetime import date

from flask import current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, FieldList, FormField, SelectMultipleField

from audit import record_event
from blueprints.api import bp, idempotency
from blueprints.cases.access import may_see_personal_data
from blueprints.cases.forms import ACTION_FORMS, MAX_PETITIONERS, PetitionerForm, RegisterForm
from blueprints.cases.services import (
    LIST_SORTS,
    StepRefused,
    allowed_steps,
    earlier_matches,
    paginate_petitions,
    perform_step,
    petition_list_query,
    register_petition,
)
from blueprints.cases.views import REGISTRARS, action_form, fill_register_choices, load_visible
from blueprints.cases.workflow import case_clocks, steps_of
from blueprints.shared import MAX_ID, list_date, mask_id_number, mask_phone, official_calendar, role_required
from models import AuditAction, CaseStatus, Channel, Petition, Purpose, db

MAX_PER_PAGE = 100
# Query arguments of the list that take one of a few values; the rest are ids, dates and page numbers.
CHOICE_ARGS = {
    "status": tuple(member.value for member in CaseStatus),
    "channel": tuple(member.value for member in Channel),
    "purpose": tuple(member.value for member in Purpose),
    "clock": ("overdue", "due_soon"),
    "sort": tuple(LIST_SORTS),
}
ID_ARGS = ("category", "township", "unit", "leader")
BUTTONS = frozenset({"csrf_token", "submit", "add_petitioner"})
FORM_ONLY = BUTTONS | {"repeat_checked"}  # the page's own mechanics, not fields the API feeds to the form
CASE_LOADS = (selectinload(Petition.petitioners), selectinload(Petition.co_units), selectinload(Petition.township),
              selectinload(Petition.lead_unit), selectinload(Petition.leader), selectinload(Petition.category))


class ApiError(Exception):
    """An answer other than success: status, message, the field at fault and anything else the caller needs."""

    def __init__(self, status: int, message, field: str | None = None, **extra):
        super().__init__(str(message))
        self.status, self.message, self.field, self.extra = status, str(message), field, extra


@bp.errorhandler(ApiError)
def answer_error(error: ApiError):
    db.session.rollback()  # nothing half-written
    return {"error": error.message, "status": error.status, "field": error.field, **error.extra}, error.status


# --- views ------------------------------------------------------------------------------------------------------

@bp.route("/cases")
def cases():
    """The cases this caller may see, filtered like the /cases/ page, one page at a time; personal data masked."""
    per_page = checked_list_args(request.args)
    query = petition_list_query(current_user, request.args).options(*CASE_LOADS)
    page = paginate_petitions(query, per_page=per_page)
    calendar, today = official_calendar(), date.today()
    return {"items": [case_json(item, calendar, today) for item in page.items], "page": page.page,
            "per_page": per_page, "total": page.total - 1 if page.capped else page.total,
            "total_capped": page.capped, "has_next": page.has_next}


@bp.route("/cases", methods=["POST"])
@role_required(*REGISTRARS)
def register():
    """Register a petition from the registration form's fields as JSON; office staff and admins.

    A likely repeat visit is answered 409 with the earlier cases until the body says "repeat_checked": true.
    With an Idempotency-Key header, the same request sent again answers 200 with the case it registered."""
    body = json_body()
    key, digest = request.headers.get(idempotency.HEADER), idempotency.body_digest(body)
    if key is not None:
        if not idempotency.well_formed(key):
            raise ApiError(400, _("Give 1 to 200 visible ASCII characters."), idempotency.HEADER)
        if replay := earlier_registration(key, digest):
            return replay
    form = RegisterForm(formdata=form_data(body), meta={"csrf": False})
    fill_register_choices(form)
    validate(form, body)
    matches = earlier_matches(current_user, [entry.data for entry in form.petitioners])
    if matches and body.get("repeat_checked") is not True:
        raise ApiError(409, _("Likely a repeat visit: check the earlier cases, then send the petition again "
                              "with \"repeat_checked\": true."), "repeat_checked", matches=[
            {"id": item.id, "number": item.number, "received_on": item.received_on.isoformat(),
             "status": labelled(item.status)} for item in matches])
    petition = register_petition(form, current_user.id)
    if key is not None:
        idempotency.remember(current_user.id, key, digest, petition)
    try:
        commit(petition.id)
    except ApiError:
        if key is not None and (replay := earlier_registration(key, digest)):  # the same key, sent twice at once
            return replay
        raise
    return case_detail(petition), 201, {"Location": url_for("api.case", case_id=petition.id)}


def earlier_registration(key: str, digest: str):
    """The answer for a key this caller has used before: the case it registered (200), or 422 for another body."""
    earlier = idempotency.earlier_registration(current_user.id, key)
    if earlier is None:
        return None
    if earlier.body_digest != digest:
        raise ApiError(422, _("This Idempotency-Key was sent before with a different request."), idempotency.HEADER)
    return case_detail(earlier.petition), 200, {"Location": url_for("api.case", case_id=earlier.petition_id),
                                                "Idempotent-Replayed": "true"}


@bp.route(f"/cases/<int(max={MAX_ID}):case_id>")
def case(case_id):
    """One case with its clocks, timeline and the steps the caller may take; any caller who may see it.

    `?reveal=1` shows full ID numbers and phones to those who may see them, audited like the page's reveal."""
    item = load_visible(case_id)
    revealed = request.args.get("reveal") == "1"
    if revealed:
        if not may_see_personal_data(current_user, item):
            raise ApiError(403, _("Your role may not see this case's personal data."), "reveal")
        record_event(AuditAction.reveal, "petition", str(item.id), item.number, {"fields": ["id_number", "phone"]})
        db.session.commit()
    return case_detail(item, revealed)


@bp.route(f"/cases/<int(max={MAX_ID}):case_id>/actions", methods=["POST"])
def act(case_id):
    """Take one workflow step ({"action", "step", "on", "text", "version", …}); the case page's roles and rules."""
    item = load_visible(case_id)
    body = json_body()
    action = body.get("action")
    if not isinstance(action, str) or action not in ACTION_FORMS:
        raise ApiError(400, _("Choose one of: %(values)s.", values=", ".join(ACTION_FORMS)), "action")
    formdata = form_data(body, skip={"action"})
    keep_unsent(formdata, action_form(action, item, allowed=[], formdata=None, csrf=False), sent=body.keys())
    form = action_form(action, item, allowed=steps_of(action), formdata=formdata, csrf=False)
    validate(form, body, skip={"action"})
    try:
        perform_step(item, action, form, current_user, date.today())
    except StepRefused as refused:
        db.session.rollback()
        extra = {"version": current_version(case_id)} if refused.status == 409 else {}
        raise ApiError(refused.status, refused.message, refused.field, **extra) from None
    commit(case_id)
    return case_detail(item)


# --- reading the request -----------------------------------------------------------------------------------------

def json_body() -> dict:
    """The JSON object sent; 400 for anything else, and for text holding a NUL (PostgreSQL text cannot)."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes (silent= only covers ValueError)
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, _("Send a JSON object in the body, with Content-Type: application/json."))
    waiting = deque(body.items())
    while waiting:
        name, value = waiting.popleft()
        if isinstance(value, str) and "\x00" in value:
            raise ApiError(400, not_understood(), name)
        if isinstance(value, (dict, list)):
            keys = value.keys() if isinstance(value, dict) else range(len(value))
            waiting.extend((f"{name}-{key}", value[key]) for key in keys)  # petitioners-0-name, as the form names it
    return body


def not_understood() -> str:
    return _("The request could not be understood. Please check what you entered and try again.")


def checked_list_args(args) -> int:
    """Refuse list arguments the page would silently ignore (the caller should know); returns per_page."""
    for name, allowed in CHOICE_ARGS.items():
        if args.get(name) and args[name] not in allowed:
            raise ApiError(400, _("Choose one of: %(values)s.", values=", ".join(allowed)), name)
    for name in ID_ARGS:
        if args.get(name) and not counted(args[name], MAX_ID):
            raise ApiError(400, _("Give a whole number from 1 to %(n)d.", n=MAX_ID), name)
    for name in ("from", "to"):
        if (args.get(name) or "").strip() and list_date(args, name) is None:
            raise ApiError(400, _("Give a date as YYYY-MM-DD."), name)
    return page_args(args)


def page_args(args) -> int:
    """Check ?page= and ?per_page= before anything runs; returns per_page."""
    if args.get("page") and not counted(args["page"], MAX_ID):  # a larger page would overflow the query's OFFSET
        raise ApiError(400, _("Give a whole number from 1 to %(n)d.", n=MAX_ID), "page")
    per_page = args.get("per_page") or str(min(current_app.config["PAGE_SIZE"], MAX_PER_PAGE))
    if not counted(per_page, MAX_PER_PAGE):
        raise ApiError(400, _("Give a whole number from 1 to %(n)d.", n=MAX_PER_PAGE), "per_page")
    return int(per_page)


def whole_number(text: str) -> bool:
    return text.isascii() and text.isdigit()  # str.isdigit() alone takes "²", which int() refuses


def counted(text: str, most: int) -> bool:
    """A whole number from 1 to `most` (its length checked first: int() refuses more than 4,300 digits)."""
    return whole_number(text) and len(text) <= len(str(most)) and 1 <= int(text) <= most


def form_data(body: dict, skip=frozenset()) -> MultiDict:
    """The JSON body as the form data a browser would post: true → "y", lists → repeated keys,
    petitioners: [{…}] → petitioners-0-name …, null and false → empty."""
    data = MultiDict()
    for name, value in body.items():
        if name in skip or name in FORM_ONLY:
            continue
        if name == "petitioners":
            add_petitioners(data, value)
        elif isinstance(value, list):
            for each in value:
                data.add(name, form_value(name, each))
        else:
            data.add(name, form_value(name, value))
    return data


def keep_unsent(data: MultiDict, prefilled, sent) -> None:
    """Fields the body leaves out keep the values the case page prefills (the package, the opinion draft).

    Other fields do so by themselves; a checkbox or multiple choice left out of posted form data means "none",
    which an API caller changing one field of the package would not expect."""
    for field in prefilled:
        if field.name in sent or field.name in BUTTONS:
            continue
        if isinstance(field, BooleanField) and field.data:
            data.add(field.name, "y")
        elif isinstance(field, SelectMultipleField):
            for value in field.data or ():
                data.add(field.name, str(value))


def add_petitioners(data: MultiDict, petitioners) -> None:
    if not isinstance(petitioners, list) or not all(isinstance(entry, dict) for entry in petitioners):
        raise ApiError(400, _("Give a list of petitioners, each an object."), "petitioners")
    if len(petitioners) > MAX_PETITIONERS:
        raise ApiError(400, _("At most %(n)d petitioners.", n=MAX_PETITIONERS), "petitioners")
    known = set(PetitionerForm()._fields)
    for index, entry in enumerate(petitioners):
        for key, value in entry.items():
            name = f"petitioners-{index}-{key}"
            if key not in known:
                raise ApiError(400, _("There is no such field."), name)
            data.add(name, form_value(name, value))


def form_value(name: str, value) -> str:
    if value is True:
        return "y"
    if value is None or value is False:
        return ""
    if isinstance(value, (dict, list)):
        raise ApiError(400, _("Give a single value here."), name)
    return str(value)


def validate(form, body: dict, skip=frozenset()) -> None:
    """Unknown fields (a typo would silently clear a value) and the form's own errors answer 400."""
    known = set(form._fields) - BUTTONS
    for name in body:
        if name not in skip and name not in known:
            raise ApiError(400, _("There is no such field."), name)
    if form.validate():
        return
    errors = field_errors(form)
    if not errors:  # a form-wide error; none of the case forms has one today
        raise ApiError(400, form.form_errors[0] if form.form_errors else not_understood())
    name, messages = next(iter(errors.items()))
    raise ApiError(400, messages[0], name, errors=errors)


def field_errors(fields) -> dict[str, list[str]]:
    """{full field name: messages} in the form's order; petitioners' fields are named petitioners-0-name …"""
    found = {}
    for field in fields:
        if isinstance(field, (FieldList, FormField)):
            found.update(field_errors(field))
        elif field.errors:
            found[field.name] = [str(message) for message in field.errors]
    return found


# --- changing and answering --------------------------------------------------------------------------------------

def current_version(case_id: int) -> int | None:
    return db.session.scalar(db.select(Petition.version).where(Petition.id == case_id))


def commit(case_id: int) -> None:
    """Commit once; a concurrent change or a broken link answers 409 with the case's version now."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ApiError(409, StepRefused("changed").message, version=current_version(case_id)) from None
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, _("This would duplicate or break a link to another record; nothing was saved.")) from None


def labelled(member) -> dict | None:
    return {"value": member.value, "label": str(member.label)} if member is not None else None


def named(record) -> dict | None:
    return {"id": record.id, "name": record.name} if record is not None else None


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def petitioner_json(person, revealed: bool) -> dict:
    """Masked as in the lists unless revealed (DOMAIN §6); the address is withheld like on the case page."""
    return {"name": person.name, "village": person.village,
            "id_number": person.id_number if revealed else mask_id_number(person.id_number),
            "phone": person.phone if revealed else mask_phone(person.phone),
            "address": person.address if revealed else ("…" if person.address else "")}


def clock_json(clock, today: date) -> dict:
    due = clock.due
    return {"key": clock.key, "due": due.due.isoformat(), "days_left": due.days_left(today), "running": clock.running,
            "provisional": due.provisional, "provisional_years": list(due.provisional_years), "rule": due.rule,
            "start": due.start.isoformat(), "length": due.length, "skipped": [day.isoformat() for day in due.skipped]}


def case_json(item: Petition, calendar, today: date, revealed: bool = False) -> dict:
    """The fields of a case in lists and on its own; personal data masked unless revealed."""
    leader = item.leader
    return {
        "id": item.id, "number": item.number, "received_on": item.received_on.isoformat(),
        "channel": labelled(item.channel), "purpose": labelled(item.purpose), "category": named(item.category),
        "summary": item.summary, "persons": item.persons, "is_collective": item.is_collective,
        "is_repeat": item.is_repeat, "is_skip_level": item.is_skip_level, "status": labelled(item.status),
        "township": named(item.township), "lead_unit": named(item.lead_unit),
        "co_units": [named(unit) for unit in item.co_units],
        "leader": {"id": leader.id, "name": leader.name, "title": leader.title} if leader else None,
        "responsible_person": item.responsible_person, "handling_opinion": item.handling_opinion,
        "closure_standard": item.closure_standard, "outcome": labelled(item.outcome), "due_on": iso(item.due_on),
        "version": item.version, "petitioners": [petitioner_json(person, revealed) for person in item.petitioners],
        "clocks": [clock_json(clock, today) for clock in case_clocks(item, calendar)],
    }


def case_detail(item: Petition, revealed: bool = False) -> dict:
    """A case with its timeline, whether personal data is shown, and the steps this caller may take now."""
    body = case_json(item, official_calendar(), date.today(), revealed)
    body["timeline"] = [{"date": event.happened_on.isoformat(), "kind": labelled(event.kind), "text": event.text,
                         "author": event.author.display_name if event.author else None} for event in item.events]
    body["revealed"] = revealed
    body["may_reveal"] = may_see_personal_data(current_user, item)
    body["allowed_steps"] = allowed_steps(item, current_user)
    return body

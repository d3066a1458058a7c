"""The OpenAPI 3.1 document of the JSON API, built once at import from the forms and enums it describes.

The request bodies come from the very forms the API feeds (blueprints/cases/forms.py), so a field added to a
form shows up here; tests/test_api_cases.py validates the document and fails when a route is left out.
The document is served to any signed-in caller (the blueprint's default): it holds no data, but it maps the
internal API, which only account holders can use.
"""
from __future__ import annotations

from flask import jsonify
from wtforms import BooleanField, DateField, FieldList, HiddenField, IntegerField, SelectField, SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

from blueprints.api import bp, idempotency
from blueprints.api.cases import BUTTONS, CHOICE_ARGS, ID_ARGS, MAX_PER_PAGE
from blueprints.cases.forms import ACTION_FORMS, MAX_PETITIONERS, PetitionerForm, RegisterForm
from blueprints.cases.workflow import steps_of
from blueprints.shared import MAX_ID, optional_id
from figures import BREAKDOWNS, FIGURE_KEYS, FIGURE_ORDER, MAX_PERIOD_DAYS, RATES
from models import CaseStatus, Channel, CheckKind, CheckRunStatus, CheckTrigger, EventKind, Outcome, Purpose, Role

REF = "#/components/schemas/"
JSON = "application/json"
PAGE = {"type": "integer", "minimum": 1, "maximum": MAX_ID, "default": 1}


def ref(name: str) -> dict:
    return {"$ref": REF + name}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def labelled(enum_class) -> dict:
    return {"type": "object", "required": ["value", "label"], "description": "A value with its translated label.",
            "properties": {"value": {"type": "string", "enum": [member.value for member in enum_class]},
                           "label": {"type": "string"}}}


def field_schema(unbound: UnboundField) -> dict:
    """The JSON a form field takes, as the API turns it into form data (see blueprints/api/cases.form_data)."""
    kind, kwargs = unbound.field_class, unbound.kwargs
    if issubclass(kind, BooleanField):
        return {"type": "boolean"}
    if issubclass(kind, DateField):
        return {"type": ["string", "null"], "format": "date"}
    if issubclass(kind, IntegerField):
        return {"type": ["integer", "null"]}
    if issubclass(kind, SelectMultipleField):
        return {"type": "array", "items": {"type": "integer"}}
    if issubclass(kind, SelectField):
        if kwargs.get("coerce") is optional_id:
            return {"type": ["integer", "null"], "description": "An id."}
        return {"type": ["string", "null"], "enum": [choice.value for choice in kwargs.get("choices", ())] + [None]}
    if issubclass(kind, HiddenField):
        return {"type": ["integer", "string", "null"]}
    schema = {"type": ["string", "null"]}
    for validator in kwargs.get("validators", ()):
        if isinstance(validator, Length) and validator.max != -1:
            schema["maxLength"] = validator.max
    return schema


def form_fields(form_class) -> dict[str, UnboundField]:
    """The fields of a form class (as WTForms collects them), without buttons and the CSRF token."""
    found = {name: getattr(form_class, name) for name in dir(form_class)
             if isinstance(getattr(form_class, name, None), UnboundField)}
    return {name: field for name, field in sorted(found.items(), key=lambda pair: pair[1].creation_counter)
            if name not in BUTTONS}


def register_input() -> dict:
    properties = {}
    for name, field in form_fields(RegisterForm).items():
        if issubclass(field.field_class, FieldList):
            properties[name] = {"type": "array", "minItems": 1, "maxItems": MAX_PETITIONERS,
                                "items": ref("PetitionerInput")}
        else:
            properties[name] = field_schema(field)
    properties["repeat_checked"] = {"type": "boolean", "description": "true: register even though earlier cases "
                                    "of the same petitioner were found (a 409 answer lists them)."}
    properties["received_on"]["description"] = "Not in the future."
    properties["persons"]["description"] = "5 or more make a collective visit."
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": ["channel", "received_on", "purpose", "category_id", "persons", "summary", "petitioners"]}


def action_input(action: str) -> dict:
    properties = {"action": {"const": action}}
    for name, field in form_fields(ACTION_FORMS[action]).items():
        properties[name] = field_schema(field)
    properties["step"] = {"type": "string", "enum": steps_of(action)}
    properties["on"]["description"] = "The day of the step: not in the future, not before the petition."
    properties["version"] = {"type": ["integer", "null"], "description": "The case's version as you read it; "
                             "when given and the case changed since, the answer is 409."}
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": ["action", "step", "on"]}


def error_responses(*codes: int) -> dict:
    meaning = {400: "Invalid input (a NUL character anywhere in the query or the body included): `field` names "
                    "the field at fault, `errors` lists every field's messages.",
               401: "No valid token and no session.", 403: "The caller's role may not do this.",
               404: "No such case, or the caller may not know it exists.",
               409: "Refused in the case's present state, or it changed meanwhile: `version` is the current one."}
    return {str(code): {"description": meaning[code], "content": {JSON: {"schema": ref("Error")}}} for code in codes}


def ok(description: str, schema: dict) -> dict:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def list_parameters() -> list[dict]:
    parameters = [{"name": "q", "in": "query", "schema": {"type": "string"},
                   "description": "ID number, phone, case number, a petitioner's name or words of the summary."}]
    parameters += [{"name": name, "in": "query", "schema": {"type": "string", "enum": list(values)}}
                   for name, values in CHOICE_ARGS.items()]
    parameters += [{"name": name, "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
                   for name in ID_ARGS]
    parameters += [{"name": name, "in": "query", "schema": {"type": "string", "format": "date"},
                    "description": "Received on or " + ("after" if name == "from" else "before") + " this day."}
                   for name in ("from", "to")]
    parameters.append({"name": "figure", "in": "query", "schema": {"type": "string", "enum": sorted(FIGURE_KEYS)},
                       "description": "Only the cases a statistics figure counts (GET /stats); with from and to, "
                                      "exactly as many as the figure of that period."})
    parameters += [{"name": "page", "in": "query", "schema": PAGE},
                   {"name": "per_page", "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50}}]
    return parameters


CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer", "maximum": MAX_ID}}
FINDING_PAGES = [
    {"name": "page", "in": "query", "schema": PAGE, "description": "The page of findings."},
    {"name": "per_page", "in": "query", "description": "Findings per page.",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50}}]
DATE = {"type": "string", "format": "date"}
SPAN = {"type": "object", "required": ["from", "to"], "properties": {"from": DATE, "to": DATE}}
STATS_PARAMETERS = [
    *({"name": name, "in": "query", "required": True, "schema": DATE,
       "description": f"The {which} day of the period (cases received in it), included; at most "
                      f"{MAX_PERIOD_DAYS} days in all."} for name, which in (("from", "first"), ("to", "last"))),
    {"name": "by", "in": "query", "schema": {"type": "string", "enum": list(BREAKDOWNS)},
     "description": "Break the figures down: one entry per township, lead unit, category (first level, with its "
                    "subcategories), subcategory, channel, purpose or responsible leader."}]


def figure_number(key: str) -> dict:
    """A count is an integer; a rate a percentage with one decimal, null when its whole is zero."""
    if key in RATES:
        return {"type": ["number", "null"], "description": f"{RATES[key].part} ÷ {RATES[key].whole} in %."}
    return {"type": "integer"}


NAMED = {"type": "object", "required": ["id", "name"],
         "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}

SCHEMAS = {
    "Error": {"type": "object", "required": ["error", "status"], "properties": {
        "error": {"type": "string", "description": "The message, in the caller's language."},
        "status": {"type": "integer"},
        "field": {"type": ["string", "null"], "description": "The field or query argument at fault, e.g. "
                  "received_on or petitioners-0-id_number."},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "version": {"type": ["integer", "null"], "description": "On 409 from a case: its current version."},
        "matches": {"type": "array", "items": ref("RepeatMatch"),
                    "description": "On 409 from registration: earlier cases of the same petitioner."}}},
    "RepeatMatch": {"type": "object", "properties": {
        "id": {"type": "integer"}, "number": {"type": "string"}, "received_on": DATE,
        "status": labelled(CaseStatus)}},
    "Me": {"type": "object", "required": ["username", "display_name", "role"], "properties": {
        "username": {"type": "string"}, "display_name": {"type": "string"},
        "role": {"type": "string", "enum": [role.value for role in Role]}, "unit": {"type": ["string", "null"]}}},
    "Reception": {"type": "object", "description": "The public fields of a published reception session.",
                  "properties": {
                      "id": {"type": "integer"}, "date": DATE, "weekday": {"type": "integer"},
                      "start": {"type": "string"}, "end": {"type": "string"},
                      "leaders": {"type": "array", "items": {"type": "object", "properties": {
                          "name": {"type": "string"}, "title": {"type": "string"}, "portfolio": {"type": "string"}}}},
                      "unit": {"type": "string"}, "accompanying_units": {"type": "array", "items": {"type": "string"}},
                      "place": {"type": "string"}, "method": {"type": "string"}, "topic": {"type": "string"},
                      "booking": {"type": "string"}, "capacity": {"type": ["integer", "null"]},
                      "remarks": {"type": "string"}, "status": {"type": "string"},
                      "cancel_reason": {"type": "string"}, "rescheduled_from": {"type": ["object", "null"]}}},
    "Named": NAMED,
    "Petitioner": {"type": "object", "description": "ID number and phone masked (330102********1234, "
                   "138****5678) and the address withheld unless revealed.", "properties": {
                       "name": {"type": "string"}, "village": {"type": "string"}, "id_number": {"type": "string"},
                       "phone": {"type": "string"}, "address": {"type": "string"}}},
    "PetitionerInput": {"type": "object", "additionalProperties": False, "required": ["name"], "properties": {
        name: field_schema(field) for name, field in form_fields(PetitionerForm).items()}},
    "Clock": {"type": "object", "description": "A deadline of the case and how it was counted (DOMAIN §3).",
              "required": ["key", "due", "days_left", "running", "provisional", "rule", "start", "length"],
              "properties": {
                  "key": {"type": "string", "enum": ["acceptance", "objection", "handling", "review", "re_review",
                                                     "report_back"]},
                  "due": DATE, "days_left": {"type": "integer", "description": "Negative once overdue."},
                  "running": {"type": "boolean"},
                  "provisional": {"type": "boolean", "description": "Counted over a year whose holidays are not "
                                  "published yet (weekends only)."},
                  "provisional_years": {"type": "array", "items": {"type": "integer"}},
                  "rule": {"type": "string", "enum": ["calendar_days", "working_days", "fixed"]},
                  "start": DATE, "length": {"type": "integer"}, "skipped": {"type": "array", "items": DATE}}},
    "TimelineEntry": {"type": "object", "properties": {
        "date": DATE, "kind": labelled(EventKind), "text": {"type": "string"}, "author": {"type": ["string", "null"]}}},
    "Case": {"type": "object", "required": ["id", "number", "status", "version", "clocks"], "properties": {
        "id": {"type": "integer"}, "number": {"type": "string"}, "received_on": DATE,
        "channel": labelled(Channel), "purpose": labelled(Purpose), "category": nullable(ref("Named")),
        "summary": {"type": "string"}, "persons": {"type": "integer"}, "is_collective": {"type": "boolean"},
        "is_repeat": {"type": "boolean"}, "is_skip_level": {"type": "boolean"}, "status": labelled(CaseStatus),
        "township": nullable(ref("Named")), "lead_unit": nullable(ref("Named")),
        "co_units": {"type": "array", "items": ref("Named")},
        "leader": nullable({"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                             "title": {"type": "string"}}}),
        "responsible_person": {"type": "string"}, "handling_opinion": {"type": "string"},
        "closure_standard": {"type": "string"}, "outcome": nullable(labelled(Outcome)),
        "due_on": {"type": ["string", "null"], "format": "date", "description": "The earliest running clock."},
        "version": {"type": "integer"}, "petitioners": {"type": "array", "items": ref("Petitioner")},
        "clocks": {"type": "array", "items": ref("Clock")}}},
    "CaseDetail": {"allOf": [ref("Case"), {"type": "object", "properties": {
        "timeline": {"type": "array", "items": ref("TimelineEntry")},
        "revealed": {"type": "boolean"}, "may_reveal": {"type": "boolean"},
        "allowed_steps": {"type": "object", "description": "The steps the caller may take now, by action.",
                          "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}]},
    "CaseList": {"type": "object", "required": ["items", "page", "per_page", "total", "total_capped", "has_next"],
                 "properties": {
                     "items": {"type": "array", "items": ref("Case")}, "page": {"type": "integer"},
                     "per_page": {"type": "integer"}, "total": {"type": "integer"},
                     "total_capped": {"type": "boolean", "description": "true: more than `total` cases match "
                                      "(counting stops early on very long lists)."},
                     "has_next": {"type": "boolean"}}},
    "CheckCount": {"type": "object", "required": ["kind", "label", "found", "new", "resolved"], "properties": {
        "kind": {"type": "string", "enum": [kind.value for kind in CheckKind]}, "label": {"type": "string"},
        "found": {"type": "integer"}, "new": {"type": "integer", "description": "First found in this run."},
        "resolved": {"type": "integer", "description": "Open before this run and no longer found by it."}}},
    "Finding": {"type": "object", "required": ["id", "kind", "label", "subject", "detail", "links", "first_run_id"],
                "description": "A problem an automated check found, open from `first_run_id` until `resolved_run_id`. "
                               "No petitioner's personal data: a case is named by its id and number.",
                "properties": {
                    "id": {"type": "integer"}, "kind": {"type": "string", "enum": [kind.value for kind in CheckKind]},
                    "label": {"type": "string"}, "subject": {"type": "string", "description": "What the finding "
                                                             "is about, e.g. petition:12 or leader:3:2026-11."},
                    "detail": {"type": "string"},
                    "links": {"type": "object", "properties": {
                        "case": nullable({"type": "object", "properties": {"id": {"type": "integer"},
                                                                           "number": {"type": "string"}}}),
                        "session_id": {"type": ["integer", "null"]}, "leader": nullable(ref("Named")),
                        "unit": nullable(ref("Named")), "item_id": {"type": ["integer", "null"]},
                        "day": {"type": ["string", "null"], "format": "date"}}},
                    "first_run_id": {"type": "integer"}, "resolved_run_id": {"type": ["integer", "null"]}}},
    "CheckRun": {"type": "object", "required": ["id", "trigger", "status", "as_of", "counts", "findings"],
                 "properties": {
                     "id": {"type": "integer"}, "trigger": labelled(CheckTrigger), "status": labelled(CheckRunStatus),
                     "as_of": DATE, "started_at": {"type": "string", "format": "date-time"},
                     "finished_at": {"type": ["string", "null"], "format": "date-time"},
                     "started_by": {"type": ["string", "null"]}, "error": {"type": "string"},
                     "counts": {"type": "array", "items": ref("CheckCount")},
                     "findings": {"type": "object", "required": ["items", "page", "per_page", "total", "has_next"],
                                  "description": "One page of the run's findings (`page`, `per_page`).",
                                  "properties": {"items": {"type": "array", "items": ref("Finding")},
                                                 "page": {"type": "integer"}, "per_page": {"type": "integer"},
                                                 "total": {"type": "integer"}, "has_next": {"type": "boolean"}}}}},
    "Figure": {"type": "object", "required": ["label", "value", "last_year", "change"], "properties": {
        "label": {"type": "string"}, "value": {"type": ["number", "null"]}, "last_year": {"type": ["number", "null"]},
        "change": nullable({"type": "object", "required": ["delta", "percent"], "description": "This period "
                            "against last year: the difference (a rate's in percentage points, one decimal) and "
                            "the relative change in % (null when last year's figure is 0). Null when either "
                            "side is a rate of nothing.",
                            "properties": {"delta": {"type": "number"}, "percent": {"type": ["number", "null"]}}})}},
    "Stats": {"type": "object", "required": ["period", "last_year", "figures"], "properties": {
        "period": SPAN, "last_year": SPAN,
        "figures": {"type": "object", "required": list(FIGURE_ORDER), "additionalProperties": False,
                    "description": "Every count and rate of DOMAIN §7; counts are integers, rates percentages "
                                   "with one decimal (null when nothing to count).",
                    "properties": {key: ref("Figure") for key in FIGURE_ORDER}},
        "groups": {"type": "array", "description": "With `by`: one entry per group with any item, the most items "
                   "first; the items without a value (no township, no leader …) last, with key null.",
                   "items": {"type": "object", "required": ["key", "name", "figures"], "properties": {
                       "key": {"type": ["integer", "string", "null"], "description": "The id of the unit, "
                               "leader or category, or the channel's or purpose's value."},
                       "name": {"type": "string"},
                       "figures": {"type": "object", "required": list(FIGURE_ORDER), "additionalProperties": False,
                                   "properties": {key: figure_number(key) for key in FIGURE_ORDER}}}}}}},
    "RegisterInput": register_input(),
    **{f"Action-{action}": action_input(action) for action in ACTION_FORMS},
    "ActionInput": {"oneOf": [ref(f"Action-{action}") for action in ACTION_FORMS],
                    "discriminator": {"propertyName": "action",
                                      "mapping": {action: REF + f"Action-{action}" for action in ACTION_FORMS}}},
}

PATHS = {
    "/me": {"get": {"operationId": "me", "summary": "Who the caller is.", "tags": ["account"],
                    "responses": {"200": ok("The caller.", ref("Me")), **error_responses(400, 401)}}},
    "/receptions": {"get": {
        "operationId": "receptions", "summary": "Published reception sessions (public, no login).",
        "tags": ["public"], "security": [],
        "parameters": [{"name": name, "in": "query", "schema": {"type": "string", "format": "date"}}
                       for name in ("from", "to")],
        "responses": {"200": ok("The sessions, in order.", {"type": "array", "items": ref("Reception")}),
                      **error_responses(400)}}},
    "/cases": {
        "get": {"operationId": "listCases", "tags": ["cases"],
                "summary": "The cases the caller may see, filtered like the /cases/ page; personal data masked.",
                "parameters": list_parameters(),
                "responses": {"200": ok("One page of cases, newest first unless sorted.", ref("CaseList")),
                              **error_responses(400, 401)}},
        "post": {"operationId": "registerCase", "tags": ["cases"],
                 "summary": "Register a petition (office staff and admins).",
                 "description": "Validated by the registration page's form, with its messages. A likely repeat "
                                "visit (same ID number, phone, or name and village) answers 409 with `matches` "
                                "until the body says `repeat_checked: true`.",
                 "parameters": [{"name": idempotency.HEADER, "in": "header",
                                 "schema": {"type": "string", "pattern": "^[!-~]{1,200}$"},
                                 "description": "Your own key for this registration (1 to 200 visible ASCII "
                                                "characters): sent again with the same body, the answer is the case "
                                                "registered the first time, never a second case."}],
                 "requestBody": {"required": True, "content": {JSON: {"schema": ref("RegisterInput")}}},
                 "responses": {"200": {"description": "Registered before under this Idempotency-Key: that case.",
                                       "headers": {"Location": {"schema": {"type": "string"}},
                                                   "Idempotent-Replayed": {"schema": {"type": "string",
                                                                                      "enum": ["true"]}}},
                                       "content": {JSON: {"schema": ref("CaseDetail")}}},
                               "201": {"description": "Registered; Location is the case's API address.",
                                       "headers": {"Location": {"schema": {"type": "string"}}},
                                       "content": {JSON: {"schema": ref("CaseDetail")}}},
                               **error_responses(400, 401, 403, 409),
                               "422": {"description": "This Idempotency-Key was sent before with another body.",
                                       "content": {JSON: {"schema": ref("Error")}}}}}},
    "/cases/{case_id}": {"get": {
        "operationId": "getCase", "tags": ["cases"], "summary": "One case with its clocks and timeline.",
        "description": "`reveal=1` shows full ID numbers, phones and addresses to the office staff and the "
                       "handling unit; each reveal is written to the audit log. An accusation is 404 for "
                       "everyone of the accused unit.",
        "parameters": [CASE_ID, {"name": "reveal", "in": "query", "schema": {"type": "string", "enum": ["1"]}}],
        "responses": {"200": ok("The case.", ref("CaseDetail")), **error_responses(400, 401, 403, 404)}}},
    "/cases/{case_id}/actions": {"post": {
        "operationId": "actOnCase", "tags": ["cases"], "summary": "Take one workflow step.",
        "description": "The case page's forms, roles and rules. Fields left out keep the values the page "
                       "prefills (the package for `assign`, the draft for `opinion`).",
        "parameters": [CASE_ID],
        "requestBody": {"required": True, "content": {JSON: {"schema": ref("ActionInput")}}},
        "responses": {"200": ok("The case after the step.", ref("CaseDetail")),
                      **error_responses(400, 401, 403, 404, 409)}}},
    "/checks/run": {"post": {
        "operationId": "runChecks", "tags": ["checks"], "summary": "Run the automated checks now (supervisors and "
                                                              "admins).",
        "description": "Stores a run with its counts and findings, as the button on /supervision/checks does; a "
                       "finding already open from an earlier run is not repeated. Findings come one page at a time.",
        "parameters": FINDING_PAGES,
        "responses": {"201": {"description": "The run; Location is its API address.",
                              "headers": {"Location": {"schema": {"type": "string"}}},
                              "content": {JSON: {"schema": ref("CheckRun")}}},
                      **error_responses(400, 401, 403),
                      "409": {"description": "Another run of the checks is in progress; try again when it ends.",
                              "content": {JSON: {"schema": ref("Error")}}}}}},
    "/checks/runs/{run_id}": {"get": {
        "operationId": "getCheckRun", "tags": ["checks"], "summary": "A stored run of the checks (supervisors and "
                                                                    "admins).",
        "description": "Its counts per check and one page of its findings.",
        "parameters": [{"name": "run_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "maximum": MAX_ID}},
                       *FINDING_PAGES],
        "responses": {"200": ok("The run.", ref("CheckRun")), **error_responses(400, 401, 403),
                      "404": {"description": "No such run.", "content": {JSON: {"schema": ref("Error")}}}}}},
    "/stats": {"get": {
        "operationId": "getStats", "tags": ["stats"], "summary": "The figures of a period beside last year's.",
        "description": "Counts only the cases the caller may see, as the statistics pages do: a unit's user its "
                       "own cases, and never an accusation against their own unit. `last_year` is the same days a "
                       "year earlier (29 February becomes the 28th). A count's cases are listed by "
                       "`/cases?figure=<key>&from=…&to=…` (a persons sum: its batches; a rate: its part), so a "
                       "number can be checked by counting.",
        "parameters": STATS_PARAMETERS,
        "responses": {"200": ok("The figures.", ref("Stats")),
                      "400": {"description": "A date missing or not YYYY-MM-DD or in the year 1 (which has no last "
                                             "year), a range that ends before it starts or spans more than three "
                                             "years, an unknown `by`, or a NUL character: `field` names the query "
                                             "argument.",
                              "content": {JSON: {"schema": ref("Error")}}},
                      **error_responses(401)}}},
    "/openapi.json": {"get": {"operationId": "openapi", "tags": ["meta"], "summary": "This document.",
                              "responses": {"200": ok("OpenAPI 3.1.", {"type": "object"}),
                                            **error_responses(400, 401)}}},
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "信访工作平台 API", "version": "1",
             "description": "The same permissions as the pages. Send `Authorization: Bearer <token>` (tokens come "
                            "from `flask --app app create-token USER`); a signed-in browser session works too, "
                            "and its POSTs need the page's CSRF token in `X-CSRFToken`. Errors are "
                            "`{\"error\", \"status\", \"field\"}`."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}, {"sessionCookie": []}],
    "tags": [{"name": name} for name in ("account", "public", "cases", "checks", "stats", "meta")],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"},
                            "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"}},
        "schemas": SCHEMAS,
    },
}


@bp.route("/openapi.json")
def openapi():
    """This API's OpenAPI 3.1 document; any signed-in caller."""
    return jsonify(DOCUMENT)

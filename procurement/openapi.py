"""What the OpenAPI schema says about errors and money, in one place.

- ``error_responses`` (a drf-spectacular postprocessing hook) gives every
  operation its error responses: the ``Error`` body ``{"code", "detail"}``
  and, per status, one example per code the operation can return. Codes
  every operation of a kind can return come from rules below (a bad token:
  401 ``authentication_failed``; a body: 400 ``malformed_request`` and the
  field validation codes; a path id: 404 ``not_found``; ...); the codes of
  the platform's rules are in ``DOMAIN_CODES``, per operation id.
  ``tests/error_contract.py`` fails the test run when a test sees an error
  code the schema does not list for that operation and status, and the
  schemathesis run (``tests/test_api_fuzz.py``) fails on an undocumented status.
- ``PositiveMoneyField``: a ``DecimalField`` with a positive ``min_value`` is
  documented with a pattern that only matches amounts it accepts (not
  drf-spectacular's ``^-?\\d{0,16}...``, which matches ``""`` and ``-5``) and
  a realistic example.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

# Field validation codes DRF (and django-filter) can put in a 400's ``errors``
# (and on top): any operation that reads a body or query parameters.
VALIDATION_CODES = [
    "invalid", "required", "null", "blank", "max_length", "min_length", "max_value", "min_value", "max_digits",
    "max_decimal_places", "max_whole_digits", "max_string_length", "invalid_choice", "not_a_list", "not_a_dict",
    "empty", "null_characters_not_allowed", "surrogate_characters_not_allowed", "overflow", "date", "datetime",
    "make_aware", "no_name", "unique",
]

# Lots (issue 15): the rules of a tender's lots, and of a bid by lots.
LOT_TERMS = ["lots_amount_mismatch", "amount_invalid", "quantity_invalid", "criterion_lot_unknown", "lots_required",
             "too_many_lots", "estimated_amount_required"]
# A bid gives "amount" or "lots": neither is 400 "required" (the code it always
# had without an amount), a rule the schema's optional fields cannot state.
LOT_BIDS = ["lots_required", "unknown_lot", "lots_invalid", "amount_or_lots", "required"]

# Procurement methods (issue 19): a draft's method and the terms only some
# methods have (tenders.methods), on create, edit, publication and amendment.
METHOD_TERMS = ["method_unavailable", "method_unknown", "award_method_not_allowed", "field_not_allowed",
                "quotation_over_limit", "supplier_required", "supplier_unknown", "supplier_not_a_supplier",
                "ground_required", "ground_justification_required", "failed_required", "failed_invalid",
                "minimal_step_required", "minimal_step_invalid"]

DOMAIN_CODES: dict[str, dict[int, list[str]]] = {
    # accounts
    "auth_login_create": {400: ["invalid_credentials"], 429: ["throttled"]},
    "auth_token_create": {400: ["invalid_credentials"], 429: ["throttled"]},
    "auth_tokens_destroy": {404: ["not_found"]},
    "auth_register_create": {400: ["password_too_weak", "tax_id_checksum", "tax_id_format"],
                             409: ["already_registered", "tax_id_taken", "username_taken"], 429: ["throttled"]},
    "auth_password_reset_create": {429: ["throttled"]},
    "auth_password_reset_confirm_create": {400: ["reset_link_invalid", "password_too_weak"], 429: ["throttled"]},
    "auth_password_change_create": {400: ["wrong_password", "password_too_weak"], 429: ["throttled"]},
    "auth_email_confirm_create": {400: ["confirmation_link_invalid"], 429: ["throttled"]},
    "auth_email_confirm_resend_create": {409: ["no_email", "email_already_confirmed"], 429: ["throttled"]},
    # notifications
    "subscriptions_create": {400: ["buyer_unknown", "cpv_prefix_invalid"], 409: ["already_subscribed"]},
    # open data
    "ocds_releases_retrieve": {400: ["invalid_cursor", "invalid_page_size"], 404: ["no_releases"],
                               503: ["feed_busy"]},
    "ocds_bulk_latest.jsonl.gz_retrieve": {404: ["bulk_not_ready"]},
    # tenders
    "tenders_list": {400: ["cpv_prefix_invalid", "flag_invalid"]},
    # red flags
    "flags_retrieve": {400: ["format_invalid"]},
    "tenders_export_csv": {400: ["cpv_prefix_invalid", "flag_invalid"]},
    "tenders_create": {400: ["clarification_after_submission", "cpv_unknown", "criteria_duplicate",
                             "criteria_not_allowed", "criteria_required", "currency_unknown", "price_weight_required",
                             "weights_not_100", *LOT_TERMS, *METHOD_TERMS]},
    "tenders_partial_update": {400: ["clarification_after_submission", "cpv_unknown", "criteria_duplicate",
                                     "criteria_not_allowed", "criteria_required", "currency_unknown",
                                     "price_weight_required", "weights_not_100", *LOT_TERMS, *METHOD_TERMS],
                               403: ["not_your_tender"], 409: ["not_draft", "method_fixed"]},
    "tenders_publish_create": {400: ["clarification_deadline_past", "submission_period_too_short", *METHOD_TERMS],
                               403: ["not_your_tender"], 409: ["already_published", "invalid_transition"]},
    "tenders_amend_create": {400: ["amendment_empty", "clarification_deadline_past", "deadline_earlier",
                                   "lots_amount_mismatch",
                                   "clarification_after_submission", "cpv_unknown", "currency_unknown",
                                   "submission_period_too_short", *METHOD_TERMS],
                             403: ["not_your_tender"], 409: ["not_active", "deadline_passed", "method_fixed"]},
    "tenders_cancel_create": {400: ["reason_required"], 403: ["not_your_tender"], 409: ["invalid_transition"]},
    "tenders_documents_create": {400: ["document_empty", "document_too_large", "document_type_not_allowed",
                                       "document_type_unknown"],
                                 403: ["not_your_tender"],
                                 409: ["invalid_state", "deadline_passed", "clarification_deadline_past"]},
    # bids
    "tenders_bids_create": {400: ["answers_invalid", "answers_too_long", "amount_invalid", "currency_mismatch", *LOT_BIDS,
                                  "unknown_criterion", "document_empty", "document_too_large",
                                  "document_type_not_allowed"],
                            403: ["not_named_supplier"],
                            409: ["deadline_passed", "not_accepting_bids", "bid_exists"],
                            422: ["idempotency_key_reused", "idempotency_conflict"], 429: ["throttled"]},
    "tenders_bids_update": {400: ["answers_invalid", "answers_too_long", "amount_invalid", "currency_mismatch", *LOT_BIDS,
                                  "unknown_criterion", "document_empty", "document_too_large",
                                  "document_type_not_allowed"],
                            409: ["deadline_passed", "not_accepting_bids", "already_withdrawn"],
                            422: ["idempotency_key_reused", "idempotency_conflict"], 429: ["throttled"]},
    "tenders_bids_withdraw_create": {409: ["deadline_passed", "not_accepting_bids", "already_withdrawn"]},
    "tenders_bids_confirm_create": {409: ["deadline_passed", "not_accepting_bids", "bid_withdrawn",
                                          "confirmation_not_needed"]},
    "tenders_bids_documents_retrieve": {403: ["sealed"]},
    "tenders_opening_retrieve": {409: ["not_opened"]},
    # evaluation
    "tenders_committee_list": {403: ["evaluation_not_public"]},
    "tenders_committee_create": {400: ["evaluator_not_of_buyer"], 403: ["not_your_tender"],
                                 409: ["invalid_state", "not_in_evaluation", "committee_not_used"]},
    "tenders_conflict_declaration_create": {403: ["not_evaluator"], 409: ["already_declared", "invalid_state",
                                                                           "not_in_evaluation"]},
    "tenders_bids_qualification_create": {400: ["reason_required", "lot_required"], 403: ["not_your_tender"],
                                          409: ["not_in_evaluation", "not_award_proposal", "auction_scheduled",
                                                "auction_held"]},
    # points are JSON numbers: "at most 2 decimals" (max_digits, max_decimal_places) has no
    # reliable OpenAPI 3.0 spelling for floats, so it is a rule of the operation here
    "tenders_bids_scores_create": {400: ["scores_invalid", "unknown_criterion", "points_required",
                                         "points_out_of_range", "points_precision", "max_digits",
                                         "max_decimal_places"],
                                   403: ["not_evaluator", "conflict_declaration_required"],
                                   409: ["not_in_evaluation", "nothing_to_score", "bid_not_qualified"]},
    "tenders_evaluation_retrieve": {400: ["lot_required", "lot_invalid"],
                                    403: ["conflict_declaration_required", "evaluation_not_public"],
                                    409: ["not_opened"]},
    "tenders_award_create": {400: ["justification_required", "lot_required"], 403: ["not_your_tender"],
                             409: ["not_in_evaluation", "bid_not_qualified", "qualification_incomplete",
                                   "scoring_incomplete", "not_award_proposal", "auction_not_finished"]},
    "tenders_complaints_create": {400: ["text_required", "lot_required"], 403: ["not_a_bidder", "winner_cannot_complain",
                                                                             "suppliers_only"],
                                  409: ["not_awarded", "standstill_over", "complaint_open"]},
    "tenders_complaints_resolve_create": {400: ["resolution_required"], 403: ["not_your_tender"],
                                          409: ["complaint_not_open", "not_awarded"]},
    "tenders_lots_cancel_create": {400: ["reason_required"], 403: ["not_your_tender"], 409: ["invalid_transition"]},
    # auctions (issue 20)
    "tenders_lots_auction_retrieve": {404: ["no_auction"]},
    "tenders_lots_auction_bids_create": {400: ["step_too_small", "price_raised"],
                                         403: ["not_a_participant"], 404: ["no_auction"],
                                         409: ["not_your_turn", "auction_finished"]},
    # clarifications
    "tenders_questions_create": {400: ["question_empty"], 403: ["suppliers_only"],
                                 409: ["clarification_closed", "questions_not_allowed"],
                                 429: ["throttled"]},
    "tenders_questions_answer_create": {400: ["answer_empty"], 403: ["not_your_tender"],
                                        409: ["already_answered", "answer_closed"]},
}

# Paginated lists: a page past the end is 404 ``not_found``.
PAGINATED = {"tenders_list", "notifications_retrieve", "ocds_releases_retrieve"}

DESCRIPTIONS = {
    400: "Invalid input: `code` is the first problem's code; validation errors list every field's "
         "`{code, detail}` in `errors`",
    401: "Not authenticated (`not_authenticated`) or bad credentials (`authentication_failed`)",
    403: "Not allowed for the caller",
    404: "No such object (or not visible to the caller)",
    409: "The object is not in a state that allows this",
    415: "Unsupported request content type",
    422: "The request conflicts with an earlier one (Idempotency-Key)",
    413: "The request body is larger than the platform accepts",
    429: "Too many requests (or failed logins) from this address or account: wait `Retry-After` seconds",
    503: "Unavailable for now (the database, or a busy feed): retry after `Retry-After` seconds "
         "(nothing was changed)",
}

ERROR_SCHEMA = {
    "type": "object",
    "description": 'Every error: a stable machine `code` and a human `detail` (some errors add context '
                   'fields, e.g. `deadline`).',
    "properties": {
        "code": {"type": "string", "description": "Stable machine code"},
        "detail": {"type": "string", "description": "For humans"},
        "errors": {"type": "object", "additionalProperties": True,
                   "description": "400 validation errors: each field's list of `{code, detail}`"},
    },
    "required": ["code", "detail"],
    "additionalProperties": True,
}


def _needs_auth(operation: dict) -> bool:
    return {} not in (operation.get("security") or [{}])


def error_codes(operation: dict, method: str, path: str) -> dict[int, set[str]]:
    """Every error code the operation can return, by status."""
    codes: dict[int, set[str]] = {401: {"authentication_failed"}, 503: {"service_unavailable"}}
    if _needs_auth(operation):
        codes[401].add("not_authenticated")
        codes[403] = {"permission_denied"}
    has_body = "requestBody" in operation
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    if has_body or has_query:
        codes[400] = set(VALIDATION_CODES) | {"too_many_fields"}
    if has_body:
        codes[400].add("malformed_request")
        codes[413] = {"request_too_large"}
        codes[415] = {"unsupported_media_type"}
        if "multipart/form-data" in operation["requestBody"].get("content", {}):
            codes[400].add("too_many_files")
    if method not in ("get", "head", "options"):
        codes.setdefault(403, set()).add("csrf_failed")  # session-authenticated writes
    if "{" in path or operation["operationId"] in PAGINATED:
        codes[404] = {"not_found"}
    for status, domain in DOMAIN_CODES.get(operation["operationId"], {}).items():
        codes.setdefault(status, set()).update(domain)
    return codes


def _example(code: str) -> dict:
    return {"value": {"code": code, "detail": code.replace("_", " ").capitalize() + "."}}


def _currency_examples(schemas: dict) -> None:
    """A currency code reads ``KZT`` in the examples, not a random ``HJM``."""
    for component in schemas.values():
        prop = component.get("properties", {}).get("currency") if isinstance(component, dict) else None
        if isinstance(prop, dict) and prop.get("pattern") == "^[A-Z]{3}$":
            prop["example"] = "KZT"


# Operations that answer with a stored document, in its own content type.
DOCUMENT_DOWNLOADS = {"tenders_documents_download_retrieve", "tenders_bids_documents_retrieve"}


def _document_content(operation: dict) -> None:
    """A document is served with the content type it was accepted as: one of
    ``PROCUREMENT_DOCUMENT_TYPES``, each listed."""
    from django.conf import settings
    ok = operation["responses"].get("200")
    if ok is not None:
        ok["content"] = {ctype: {"schema": {"type": "string", "format": "binary"}}
                         for ctype in sorted(settings.PROCUREMENT_DOCUMENT_TYPES)}


# Query parameters whose schema django-filter / DRF leave looser than what
# the view accepts (by name; the same meaning wherever they appear).
QUERY_PARAMETERS = {
    "buyer": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    "q": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "NOT_BLANK"},
    "cpv": {"type": "string", "pattern": r"^[0-9]{2,8}(-[0-9])?$"},
    "flag": {"type": "string", "pattern": r"^[Rr][0-9]{3}$"},
    "value_min": {"type": "number", "maximum": 1e50},
    "value_max": {"type": "number", "maximum": 1e50},
    "page_size": {"type": "integer", "minimum": 1, "description": "At most 100 are served"},
    # one status or several: `?status=` (no status) is refused, so an empty list is not valid either
    "status": {"minItems": 1},
    "unread": {"type": "string", "description": "`1`, `true` or `yes`: only unread ones; anything else: all"},
}


# The same for one operation's own parameter (before the table by name).
OPERATION_QUERY_PARAMETERS = {
    # the OCDS feed reads its own page_size: up to 6 digits, 0 meaning the default
    ("ocds_releases_retrieve", "page_size"): {"type": "integer", "minimum": 0, "maximum": 999999},
    # the CPV picker's words: blank gives no match, at most 100 characters
    ("cpv_list", "q"): {"type": "string", "maxLength": 100, "pattern": "NO_NUL"},
}


def _query_parameters(operation: dict) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        name = parameter.get("name")
        override = OPERATION_QUERY_PARAMETERS.get((operation.get("operationId"), name), QUERY_PARAMETERS.get(name))
        schema = parameter.get("schema", {})
        if override is None and schema.get("type") == "string" and "pattern" not in schema \
                and "format" not in schema and "enum" not in schema:
            # a text parameter refuses NUL too, and a required one blank text
            schema["pattern"] = NOT_BLANK if parameter.get("required") else NO_NUL
        if override is not None:
            schema = {**parameter.get("schema", {}), **override}
            if schema.get("pattern") == "NOT_BLANK":
                schema["pattern"] = NOT_BLANK
            elif schema.get("pattern") == "NO_NUL":
                schema["pattern"] = NO_NUL
            parameter["schema"] = schema


# A text field refuses NUL (DRF, and PostgreSQL could not store it), and a
# required one refuses text that is only white space (DRF trims it, as
# Python's str.strip does): the schema says so for every request string
# without a pattern of its own.
NO_NUL = "^[^\\u0000]*$"
NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000\\u001c-\\u001f\\u0085][^\\u0000]*$"


def _text_patterns(schema: dict) -> None:
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict) and prop.get("type") == "string" and "pattern" not in prop \
                and prop.get("format") in (None, "email", "uri"):
            prop["pattern"] = NOT_BLANK if prop.get("minLength", 0) >= 1 else NO_NUL


# Bodies drf-spectacular cannot see (the view parses them itself).
REQUEST_BODIES = {
    "tenders_bids_scores_create": {
        "type": "object", "minProperties": 1,
        "description": 'Points per criterion id: `{"<criterion id>": points}` (0 to the criterion\'s weight, '
                       "at most 2 decimals)",
        "additionalProperties": {"type": "number", "minimum": 0, "maximum": 999.99},
        "example": {"12": 17.5},
    },
}


# Operations that take files: multipart as well as JSON. Every other body is
# documented as JSON only (the API's format; form encodings are accepted for
# the browsable API but not part of the contract).
MULTIPART = {"tenders_bids_create", "tenders_bids_update", "tenders_documents_create"}


def _request_content(operation: dict, schemas: dict) -> None:
    content = operation.get("requestBody", {}).get("content", {})
    if operation["operationId"] not in MULTIPART:
        for media_type in [m for m in content if m != "application/json"]:
            if "application/json" in content:
                del content[media_type]
        return
    json_body = content.get("application/json", {}).get("schema", {})
    ref = json_body.get("$ref", "")
    component = schemas.get(ref.rsplit("/", 1)[-1]) if ref else None
    if component and "documents" in component.get("properties", {}):
        # files travel only in multipart; a JSON body has no `documents`
        inline = {**component, "properties": {k: v for k, v in component["properties"].items() if k != "documents"}}
        content["application/json"]["schema"] = inline
    documents = (component or {}).get("properties", {}).get("documents", {})
    if isinstance(documents.get("items"), dict):
        documents["items"]["minLength"] = 1  # an empty file is refused
    if component and "answers" in component.get("properties", {}) and "multipart/form-data" in content:
        content["multipart/form-data"]["encoding"] = {"answers": {"contentType": "application/json"}}


def error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: error responses for every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    _currency_examples(schemas)
    for name, component in schemas.items():
        if name.endswith("Request") and isinstance(component, dict):
            _text_patterns(component)
    if "answers" in schemas.get("BidInRequest", {}).get("properties", {}):
        schemas["BidInRequest"]["properties"]["answers"].update(type="object", example={"12": "36 months"})
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if operation.get("operationId") in DOCUMENT_DOWNLOADS:
                _document_content(operation)
            _query_parameters(operation)
            _request_content(operation, schemas)
            if operation.get("operationId") in REQUEST_BODIES:
                operation["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": REQUEST_BODIES[operation["operationId"]]}}}
            for status, codes in sorted(error_codes(operation, method, path).items()):
                listed = ", ".join(f"`{c}`" for c in sorted(codes))
                operation["responses"].setdefault(str(status), {
                    "description": f"{DESCRIPTIONS[status]}. Codes: {listed}.",
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"},
                        "examples": {code: _example(code) for code in sorted(codes)},
                    }},
                })
    return result


class PositiveMoneyField(OpenApiSerializerFieldExtension):
    """A positive amount with at most 2 decimals, as a string: the pattern
    matches only what the field accepts (max_digits permitting)."""

    target_class = "rest_framework.fields.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        min_value = field.min_value
        if (schema.get("type") == "string" and field.decimal_places == 2 and field.max_whole_digits
                and min_value is not None and Decimal(min_value) > 0):
            whole = field.max_whole_digits
            # 1 to `whole` digits without a leading zero, optional 1-2 decimals; or 0.01 to 0.99
            schema["pattern"] = (rf"^(?:[1-9][0-9]{{0,{whole - 1}}}(?:\.[0-9]{{1,2}})?"
                                 r"|0\.(?:0[1-9]|[1-9][0-9]?))$")
            schema["example"] = "1500000.00"
        return schema

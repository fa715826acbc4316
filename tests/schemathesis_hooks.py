"""schemathesis hooks for tests/test_api_fuzz.py (loaded with SCHEMATHESIS_HOOKS).

``valid_data_accepted`` replaces schemathesis' ``positive_data_acceptance``:
a request the schema calls valid must not be refused for its *shape*. It may
still break a rule of the platform that no schema can state (a CPV code that
is not in the catalogue, a deadline already passed, a BIN whose check digit
is wrong, a price in another currency than the tender's): a 400 whose code
is one of the operation's documented domain codes (``DOMAIN_CODES`` in
``procurement/openapi.py``) is such a refusal. A 400 with a validation code
(``invalid``, ``required``, ``min_value``, ...) is a schema that says less
than the API checks: a failure."""

import os

import django
import schemathesis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings")
django.setup()

from procurement.openapi import DOMAIN_CODES  # noqa: E402  (after django.setup)

ACCEPTABLE = {401, 403, 404, 409, 422, 429}


@schemathesis.check
def valid_data_accepted(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code < 400:
        return None
    if response.status_code in ACCEPTABLE:
        return None
    code = None
    try:
        body = response.json()
        code = body.get("code") if isinstance(body, dict) else None
    except Exception:
        pass
    operation_id = case.operation.definition.raw.get("operationId", "")
    if response.status_code == 400 and code in DOMAIN_CODES.get(operation_id, {}).get(400, ()):
        return None
    raise AssertionError(f"A request the schema calls valid was refused: {response.status_code} {code!r}")

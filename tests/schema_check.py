"""Every JSON body an API test receives is checked against ``/api/schema/``
(``conftest.py`` wraps the test client): the documented response for the
operation and status when the schema has one; the error body
``{"code", "detail", ...}`` for an error the schema does not document; and a
success the schema does not document fails. So the documented shapes are
the shapes the API sends."""

from __future__ import annotations

import json
import re
from functools import cache

import jsonschema

ERROR = {"type": "object", "required": ["code", "detail"], "additionalProperties": True,
         "properties": {"code": {"type": "string"}, "detail": {"type": "string"}}}
UNCHECKED = ("/api/schema/", "/api/docs/")


class SchemaMismatch(AssertionError):
    pass


def _json_schema(node):
    """OpenAPI 3.0's schema dialect -> JSON Schema (draft 4): ``nullable``
    becomes a union with null; an object with named properties allows no
    others; everything else is the same keywords."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key not in ("nullable", "example")}
    if "properties" in node and "additionalProperties" not in node:
        converted["additionalProperties"] = False  # a field the schema does not name is a mismatch too
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


@cache
def _operations() -> list[tuple[re.Pattern, str, dict]]:
    found = []
    for path, operations in _schema()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$")
        for method, operation in operations.items():
            found.append((pattern, method, operation))
    # A literal segment beats a parameter (/api/tenders/export.csv before /api/tenders/{id}/).
    found.sort(key=lambda item: item[0].pattern.count("[^/]+"))
    return found


@cache
def _components() -> dict:
    return _json_schema(_schema().get("components", {}))


def documented(method: str, path: str, status: int) -> tuple[str, str] | None:
    """(path template, status) of the response the schema documents for this
    request, None where it documents none."""
    for pattern, op_method, operation in _operations():
        if op_method == method.lower() and pattern.match(path):
            if str(status) in operation.get("responses", {}):
                return pattern.pattern, str(status)
            return None
    return None


@cache
def _validator(method: str, template: str | None, status: str | None) -> jsonschema.Draft4Validator:
    expected = ERROR
    if template is not None:
        operation = next(op for pattern, m, op in _operations() if m == method and pattern.pattern == template)
        expected = operation["responses"][status].get("content", {}).get("application/json", {}).get("schema", {})
        expected = _json_schema(expected)
    return jsonschema.Draft4Validator({**expected, "components": _components()})


def check(method: str, path: str, status: int, body) -> None:
    if not path.startswith("/api/") or path.startswith(UNCHECKED):
        return
    found = documented(method, path, status)
    if found is None and status < 400:
        raise SchemaMismatch(f"{method} {path} answered {status}, which /api/schema/ does not document")
    validator = _validator(method.lower(), *(found or (None, None)))
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  at {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors[:5]]
        raise SchemaMismatch(f"{method} {path} {status}: the body does not match /api/schema/:\n" + "\n".join(lines))

"""One family of domain errors, and one DRF handler that renders every error as
JSON ``{"code": ..., "detail": ...}`` with a stable machine code."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from core import dbhealth

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the platform refused an action. ``code`` is stable; ``detail``
    is for humans. Subclasses set the HTTP status."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.extra = extra


class WrongState(DomainError):
    """The object is not in a state that allows the action (409)."""


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class Invalid(DomainError):
    """Input that passed the serializer but breaks a rule (400)."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"


class Unprocessable(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "unprocessable"


def _field_errors(detail: Any) -> Any:
    """DRF's nested ErrorDetail structure -> the same shape with {code, detail} leaves."""
    if isinstance(detail, dict):
        return {key: _field_errors(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_field_errors(item) for item in detail]
    from core.error_texts import localise

    code = getattr(detail, "code", "invalid")
    return {"code": code, "detail": localise(code, str(detail))}


def _first_leaf(errors: Any) -> dict | None:
    if isinstance(errors, dict) and set(errors) == {"code", "detail"}:
        return errors
    values = errors.values() if isinstance(errors, dict) else errors if isinstance(errors, list) else []
    for value in values:
        leaf = _first_leaf(value)
        if leaf:
            return leaf
    return None


_GENERIC_CODES = {
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, detail: str, **extra: Any) -> dict:
    from core.error_texts import localise

    return {"code": code, "detail": localise(code, str(detail)), **extra}


def request_refusal(exc: SuspiciousOperation) -> tuple[int, dict]:
    """Django's refusals of a request it will not parse (too big, too many
    fields or files, a malformed header...) as (status, body). Django raises
    them when the body or query string is first read: in DRF's parsing, in
    django-filter, in CsrfViewMiddleware; they are the client's fault."""
    if isinstance(exc, RequestDataTooBig):
        return 413, error_body("request_too_large", (
            f"The request is too large: form fields at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes, "
            f"the whole request at most {settings.PROCUREMENT_MAX_REQUEST_BYTES} bytes."))
    if isinstance(exc, TooManyFieldsSent):
        return 400, error_body("too_many_fields",
                               f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} "
                               "parameters or form fields.")
    if isinstance(exc, TooManyFilesSent):
        return 400, error_body("too_many_files",
                               f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files.")
    return 400, error_body("bad_request", "Bad request.")


def exception_handler(exc: Exception, context: dict) -> Response:
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.detail, **exc.extra), status=exc.status_code)
    if isinstance(exc, RecursionError):
        # Python's JSON parser recurses once per nesting level: a body of a
        # few hundred kilobytes of "[[[[" exhausts the stack. Bad input.
        return Response(error_body("malformed_request", "The input is nested too deeply."),
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, SuspiciousOperation):
        status_code, body = request_refusal(exc)
        return Response(body, status=status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors}
        leaf = _first_leaf(errors) or {"code": "invalid", "detail": "Invalid input."}
        # The top-level code is the first field's code: a client with one
        # mistake (the common case) can switch on it without digging.
        return Response(
            error_body(leaf["code"], leaf["detail"], errors=errors), status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, exceptions.APIException):
        code = _GENERIC_CODES.get(type(exc)) or exc.default_code
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        return Response(error_body(code, str(exc.detail)), status=exc.status_code, headers=headers)
    if dbhealth.is_outage(exc):
        dbhealth.breaker.record_failure(exc)
        return Response(dbhealth.body(), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": dbhealth.retry_after()})
    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
    return Response(
        error_body("server_error", "The server failed to handle this request; it has been logged."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def json_404(request, exception=None):
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def json_500(request):
    # Django calls this inside its except block: a database outage met in a
    # middleware or a non-API view is a 503 too.
    import sys

    outage = dbhealth.outage_response(sys.exc_info()[1], request)
    if outage is not None:
        return outage
    return JsonResponse(error_body("server_error", "The server failed to handle this request."), status=500)


def json_400(request, exception=None):
    if isinstance(exception, SuspiciousOperation):
        status_code, body = request_refusal(exception)
        return JsonResponse(body, status=status_code)
    return JsonResponse(error_body("bad_request", "Bad request."), status=400)


def json_403(request, exception=None):
    return JsonResponse(error_body("permission_denied", "Permission denied."), status=403)


def csrf_failure(request, reason=""):
    """Django's CSRF refusal (the session login view) as the same JSON error
    body as every other API error; pages outside /api/ keep Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("csrf_failed", f"CSRF check failed: {reason}"), status=403)
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason=reason)

"""The browser's pages. Each view renders a page shell: the language, the
title, the translated interface and the data its first paint needs (read
through the same API views any client calls, embedded with ``json_script``),
and one page module that enhances it through the API and the sockets."""

import json
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.password_validation import password_validators_help_texts
from django.http import Http404, QueryDict
from django.utils import translation
from django.views.i18n import JavaScriptCatalog
from django.shortcuts import render
from django.test import RequestFactory
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from accounts.serializers import me_data
from core import dbhealth, public_cache
from integrity import api as integrity_api
from tenders import api as tenders_api

from . import labels
from .params import api_query
from .templatetags.frontend import zone_label


def csp(response, request):
    """Scripts and styles only from this site, no inline code; the page
    talks only to this site's API and sockets (ws:/wss: named explicitly: not
    every browser counts them as 'self')."""
    host = request.get_host()
    response["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        f"connect-src 'self' ws://{host} wss://{host}; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    response["Referrer-Policy"] = "same-origin"
    return response


def _call_api(view, request, query: QueryDict | dict | None = None, **kwargs):
    """The answer any client would get from an API view (status, JSON body),
    for the same user and language: the page's first paint is API data."""
    # The reader's host and scheme (already validated on the page's request):
    # the API's links are absolute, and ALLOWED_HOSTS holds for this call too.
    inner = RequestFactory().get("/api/", data=query or {}, secure=request.is_secure(), HTTP_HOST=request.get_host())
    public_cache.mark_internal(inner)  # the page around this call is what the cache keeps
    inner.user = request.user
    inner.session = request.session
    inner.COOKIES = request.COOKIES
    inner.META["HTTP_ACCEPT_LANGUAGE"] = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    inner._dont_enforce_csrf_checks = True
    response = view(inner, **kwargs)
    response.render()
    if response.status_code == 503:  # the database is down: the page is the outage page, not an empty one
        raise dbhealth.DatabaseUnavailable()
    return response.status_code, json.loads(response.content or b"null")


def _page(request, template: str, module: str, title: str, data: dict | None = None, status: int = 200):
    now = datetime.now(UTC)
    # For the public cache: what differs per request is left as markers, filled in per answer.
    markers = public_cache.page_placeholders(request)
    page_data = {
        "module": module,
        "me": me_data(request.user),
        "now": markers[1] if markers else now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "legal_time_zone": settings.PROCUREMENT_LEGAL_TIME_ZONE,
        "max_document_bytes": settings.PROCUREMENT_MAX_DOCUMENT_BYTES,
        "document_types": settings.PROCUREMENT_DOCUMENT_TYPES,
        **(data or {}),
    }
    context = {"title": title, "page": page_data, "module": module, **(data or {})}
    if markers:
        context["csrf_token"] = markers[0]
    response = render(request, template, context, status=status)
    return csp(response, request)


_register_list = tenders_api.TenderListView.as_view()
_tender_detail = tenders_api.TenderDetailView.as_view()
_buyers = tenders_api.BuyerListView.as_view()
_platform_view = tenders_api.PlatformView.as_view()
_tender_flags = integrity_api.TenderFlagsView.as_view()


def _methods(request) -> list[dict]:
    """The procurement methods the platform runs, in the page's language
    (the API's ``/api/platform/`` list: label, summary, which fields)."""
    return _call_api(_platform_view, request)[1]["methods"]


def _method_of(request, tender: dict) -> dict | None:
    return next((m for m in _methods(request) if m["name"] == tender["method"]), None)


@public_cache.cached_page("register-page", csp)
@ensure_csrf_cookie
def index(request):
    status, tenders = _call_api(_register_list, request, api_query(request.GET))
    buyers = _call_api(_buyers, request)[1]
    return _page(request, "frontend/index.html", "register", _("Public tenders"), {
        "tenders": tenders if status == 200 else None,
        "error": None if status == 200 else tenders,
        "buyers": buyers,
        "statuses": [(k, str(v)) for k, v in labels.STATUSES.items() if k != "draft"],
        "methods": _methods(request),
        "orderings": [(k, str(v)) for k, v in labels.ORDERINGS],
        "flag_codes": labels.flag_choices(),
        "query": {key: request.GET.get(key, "") for key in request.GET},
        "legal_zone": zone_label(datetime.now(UTC), settings.PROCUREMENT_LEGAL_TIME_ZONE),
    })


def _tender(request, tender_id: int) -> dict | None:
    status, tender = _call_api(_tender_detail, request, tender_id=tender_id)
    return tender if status == 200 else None


@public_cache.cached_page("tender-page", csp)
@ensure_csrf_cookie
def tender(request, tender_id: int):
    data = _tender(request, tender_id)
    if data is None:
        return not_found(request)
    flags = _call_api(_tender_flags, request, tender_id=tender_id)[1]
    return _page(request, "frontend/tender.html", "tender", data["title"],
                 {"tender": data, "method": _method_of(request, data),
                  "risk": labels.risk_section(flags, data["currency"])})


@ensure_csrf_cookie
def bid(request, tender_id: int):
    data = _tender(request, tender_id)
    if data is None:
        return not_found(request)
    return _page(request, "frontend/bid.html", "bid", _("Your bid: %(title)s") % {"title": data["title"]},
                 {"tender": data, "method": _method_of(request, data)})


@ensure_csrf_cookie
def stats(request):
    return _page(request, "frontend/stats.html", "stats", _("Statistics"))


@ensure_csrf_cookie
def flags(request):
    return _page(request, "frontend/flags.html", "flags", _("Red flags"))


@ensure_csrf_cookie
def receipts_verify(request):
    return _page(request, "frontend/verify.html", "verify", _("Check a receipt"))


@ensure_csrf_cookie
def signup(request):
    return _page(request, "frontend/signup.html", "signup", _("Register your business"))


@ensure_csrf_cookie
def login(request):
    return _page(request, "frontend/login.html", "login", _("Log in"),
                 {"next": _safe_next(request.GET.get("next", ""))})


@ensure_csrf_cookie
def account(request):
    return _page(request, "frontend/account.html", "account", _("Your account"),
                 {"password_hints": password_validators_help_texts()})


@ensure_csrf_cookie
def password_reset(request):
    """Forgot password: ask for a link by e-mail."""
    return _page(request, "frontend/password_reset.html", "password_reset", _("Forgot your password?"))


@ensure_csrf_cookie
def password_reset_confirm(request):
    """The e-mailed link's page: the uid and token are in the URL's fragment,
    which the browser never sends; the page's script reads them."""
    return _page(request, "frontend/password_reset_confirm.html", "password_reset_confirm",
                 _("Choose a new password"), {"password_hints": password_validators_help_texts()})


@ensure_csrf_cookie
def confirm_email(request):
    """The e-mailed confirmation link's page (uid and token in the fragment)."""
    return _page(request, "frontend/confirm_email.html", "confirm_email", _("Confirm your e-mail address"))


def _safe_next(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") else "/account/"


def not_found(request, exception=None):
    return _page(request, "frontend/404.html", "base", _("Page not found"), status=404)


def _platform() -> dict:
    return {
        "min_submission_period": settings.PROCUREMENT_MIN_SUBMISSION_PERIOD,
        "min_amendment_period": settings.PROCUREMENT_MIN_AMENDMENT_PERIOD,
        "standstill_period": settings.PROCUREMENT_STANDSTILL_PERIOD,
    }


@ensure_csrf_cookie
def buyer(request):
    """The buyer's workspace: its drafts and tenders (the register's rows,
    drafts included for their own officers) and what needs doing."""
    rows = None
    if request.user.is_authenticated and request.user.is_officer:
        status, body = _call_api(_register_list, request, {"buyer": request.user.organisation_id,
                                                           "ordering": "-submission_deadline", "page_size": 100})
        rows = body["results"] if status == 200 else None
    return _page(request, "frontend/buyer.html", "buyer", _("Your tenders"), {"rows": rows})


@ensure_csrf_cookie
def buyer_tender(request, tender_id: int | None = None):
    """The draft editor (a new draft, or an existing one), and after the
    publication: amend, documents, answers, committee, cancel."""
    data = None
    if tender_id is not None:
        data = _tender(request, tender_id)
        if data is None:
            return not_found(request)
    officer = request.user.is_authenticated and request.user.is_officer
    own = officer and (data is None or data["buyer"]["id"] == request.user.organisation_id)
    title = _("New tender") if data is None else data["title"]
    return _page(request, "frontend/buyer_tender.html", "buyer_tender", title, {
        "tender": data, "own": own, "platform": _platform(),
        "award_methods": [(k, str(v)) for k, v in labels.AWARD_METHODS.items()],
        "methods": _methods(request),
        "grounds": [(k, str(v)) for k, v in labels.GROUNDS.items()],
        "languages": list(settings.LANGUAGES),
    })


@ensure_csrf_cookie
def evaluation(request, tender_id: int):
    """The committee's and the buyer's evaluation (declaration first, then
    scores, qualification, ranking, award, complaints); public once awarded.
    What a reader may see is the API's decision, read by the page module."""
    data = _tender(request, tender_id)
    if data is None:
        return not_found(request)
    lots = data["lots"] if len(data["lots"]) > 1 else []
    lot = _current_lot(lots, request.GET.get("lot"))
    if lots and lot is None:
        return not_found(request)
    title = data["title"] if lot is None else f"{data['title']} — {lot['title']}"
    return _page(request, "frontend/evaluation.html", "evaluation", _("Evaluation: %(title)s") % {"title": title},
                 {"tender": data, "lots": lots, "lot": lot})


def _current_lot(lots: list[dict], asked: str | None) -> dict | None:
    """On a multi-lot tender, the lot whose evaluation the page shows: the
    one named by ``?lot=`` (None when it names no lot of the tender), else
    the first still in evaluation, else the first."""
    if not lots:
        return None
    if asked is not None:
        return next((lot for lot in lots if str(lot["id"]) == asked), None)
    return next((lot for lot in lots if lot["status"] == "evaluation"), lots[0])


_catalog = JavaScriptCatalog.as_view(packages=["frontend"])


def js_catalog(request, lang: str):
    """The scripts' strings (Django's gettext for JavaScript) in the language
    named in the URL, so that browsers and proxies may cache each one."""
    if lang not in dict(settings.LANGUAGES):
        raise Http404
    with translation.override(lang):
        response = _catalog(request)
    response["Cache-Control"] = "public, max-age=3600"
    return response

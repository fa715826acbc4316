"""The remembered content negotiation (core/negotiation.py) chooses exactly
what DRF's own chooses, and raises where DRF raises, for every kind of
Accept header and ?format= a client sends."""

import pytest
from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.negotiation import MAX_HEADER, CachedContentNegotiation, _choice
from integrity.api import CsvRenderer

ACCEPTS = [None, "*/*", "application/json", "application/json; indent=4", "text/csv", "text/csv, */*;q=0.1",
           "text/html", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "image/png",
           "application/*", "text/*", "application/json;q=0.5, text/csv", ",,,", "application/json, " * 100,
           "x" * (MAX_HEADER + 1), "application/vnd.oai.openapi"]
FORMATS = [None, "json", "csv", "api", "xml"]
RENDERER_SETS = [[JSONRenderer], [JSONRenderer, CsvRenderer], [JSONRenderer, BrowsableAPIRenderer]]


def _outcome(negotiator, accept, format_, classes):
    query = {"format": format_} if format_ else {}
    headers = {"HTTP_ACCEPT": accept} if accept is not None else {}
    request = Request(APIRequestFactory().get("/api/tenders/", query, **headers))
    renderers = [cls() for cls in classes]
    try:
        renderer, media_type = negotiator.select_renderer(request, renderers)
    except Exception as exc:  # 406 NotAcceptable, 404 Http404 for an unknown format
        return type(exc)
    return renderers.index(renderer), media_type


@pytest.mark.parametrize("classes", RENDERER_SETS, ids=lambda classes: "+".join(c.__name__ for c in classes))
def test_the_choice_is_drfs_own(classes):
    outcomes = set()
    for accept in ACCEPTS:
        for format_ in FORMATS:
            ours = _outcome(CachedContentNegotiation(), accept, format_, classes)
            for _ in range(2):  # the first asks DRF, the second is remembered
                assert _outcome(CachedContentNegotiation(), accept, format_, classes) == ours, (accept, format_)
            assert ours == _outcome(DefaultContentNegotiation(), accept, format_, classes), (accept, format_)
            outcomes.add(ours if isinstance(ours, type) else ours[0])
    assert {0, NotAcceptable, Http404} <= outcomes  # a choice, and both refusals, were reached


def test_a_choice_is_remembered():
    _choice.cache_clear()
    assert _choice("application/json", None, (JSONRenderer, CsvRenderer)) == (0, "application/json")
    assert _choice("text/csv", None, (JSONRenderer, CsvRenderer))[0] == 1
    for _ in range(3):
        _outcome(CachedContentNegotiation(), "text/csv", None, [JSONRenderer, CsvRenderer])
    assert _choice.cache_info().hits == 3


def test_long_headers_are_not_remembered():
    _choice.cache_clear()
    _outcome(CachedContentNegotiation(), "application/json, " * 100, None, [JSONRenderer])
    assert _choice.cache_info().currsize == 0
    _outcome(CachedContentNegotiation(), "application/json", None, [JSONRenderer])
    assert _choice.cache_info().currsize == 1

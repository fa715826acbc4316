"""DRF's content negotiation, remembered.

Which renderer answers a request depends only on its ``Accept`` header, its
``?format=`` (or format suffix) and the view's renderer classes, whose media
types and formats are class attributes. DRF parses the header into media
types and matches them against every renderer on each request: about a
quarter of a millisecond of a register request's CPU, the same choice every
time. Here the choice is kept per those inputs, in a small bounded cache
(headers longer than ``MAX_HEADER`` are negotiated every time, so client
input cannot grow it past ``SIZE`` entries of that size). Inputs that
select no renderer (406, or 404 for an unknown format) are remembered as
such, and each such request takes DRF's path, which raises as DRF does.
"""

from functools import lru_cache

from rest_framework.negotiation import DefaultContentNegotiation

SIZE = 256
MAX_HEADER = 512


class CachedContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        format_ = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        accept = request.META.get("HTTP_ACCEPT", "*/*")  # what request.headers["accept"] reads, without building them all
        if len(accept) > MAX_HEADER or (format_ is not None and len(format_) > MAX_HEADER):
            return super().select_renderer(request, renderers, format_suffix)
        index, media_type = _choice(accept, format_, tuple(type(renderer) for renderer in renderers))
        if index is None:
            return super().select_renderer(request, renderers, format_suffix)
        return renderers[index], media_type


@lru_cache(maxsize=SIZE)
def _choice(accept: str, format_: str | None, classes: tuple[type, ...]) -> tuple[int | None, str | None]:
    """DRF's own choice for these inputs: the renderer's position and the media type."""
    renderers = [cls() for cls in classes]
    try:
        renderer, media_type = DefaultContentNegotiation().select_renderer(
            _Inputs(accept), renderers, format_)
    except Exception:  # 406 / 404: the caller asks DRF again, which raises
        return None, None
    return renderers.index(renderer), media_type


class _Inputs:
    """What ``select_renderer`` reads of a request."""

    def __init__(self, accept: str) -> None:
        self.headers = {"accept": accept}
        self.query_params = {}  # the format is passed as the format suffix

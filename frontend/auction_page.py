"""The live auction page, ``/tenders/{id}/auction/?lot=`` (DESIGN.md "Live
e-auction"): a shell with the auction's state at the first paint (the
public API's answer for this reader: a participant also gets its number and
its highest allowed price), then ``pages/auction.js`` follows the tender's
socket. Its own module so the page's view stays apart from the others."""

from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from auctions import api as auctions_api

from .views import _call_api, _current_lot, _page, _tender, not_found

_auction_view = auctions_api.AuctionView.as_view()


@ensure_csrf_cookie
def auction(request, tender_id: int):
    data = _tender(request, tender_id)
    if data is None:
        return not_found(request)
    asked = request.GET.get("lot")
    lot = _current_lot(data["lots"], asked) if asked is not None or len(data["lots"]) > 1 else data["lots"][0]
    if lot is None:
        return not_found(request)
    status, state = _call_api(_auction_view, request, tender_id=tender_id, lot_id=lot["id"])
    title = data["title"] if len(data["lots"]) == 1 else f"{data['title']} — {lot['title']}"
    return _page(request, "frontend/auction.html", "auction", _("Auction: %(title)s") % {"title": title},
                 {"tender": data, "lot": lot, "auction": state if status == 200 else None,
                  "lots": data["lots"] if len(data["lots"]) > 1 else []})

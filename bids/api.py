from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsSupplier
from core import sealing, throttling
from core.errors import WrongState
from core.isotime import iso
from tenders.selectors import tender_visible_to

from . import receipts, selectors, services
from .serializers import BidIn, BidOut, OpeningOut, OwnBidOut, PublicKeyOut, ReceiptOut, VerifyIn, VerifyOut

IDEMPOTENCY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                               description="A retry with the same key returns the same receipt")


def _content(request) -> services.BidContent:
    data = BidIn(data=request.data)
    data.is_valid(raise_exception=True)
    return services.BidContent(**{"amount": None, **data.validated_data})


def _key(request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    return key[:200] or None


def _receipt_response(receipt: services.Receipt, replayed: bool = False) -> Response:
    # dump(): the bid's hot path (bench/bids.py); making a serializer costs more than the body
    response = Response(ReceiptOut.dump(receipt), status=status.HTTP_201_CREATED)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class BidListView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    throttle_classes = throttling.BIDS  # POST only

    def get_permissions(self):
        return [IsSupplier()] if self.request.method == "POST" else []

    @extend_schema(responses={200: BidOut(many=True)}, tags=["bids"],
                   summary="Bids: a supplier's own (sealed) before opening; all opened bids after")
    def get(self, request, tender_id: int):
        tender = tender_visible_to(request.user, tender_id)
        bids = selectors.bids_visible_to(request.user, tender)
        # Before the opening the bids are the caller's own, with their receipts.
        return Response(BidOut(bids, many=True, context={"versions": tender.opened_at is None}).data)

    @extend_schema(request={"application/json": BidIn, "multipart/form-data": BidIn},
                   responses={201: ReceiptOut}, parameters=[IDEMPOTENCY], tags=["bids"],
                   summary="Submit a sealed bid (before the deadline) and get a signed receipt")
    def post(self, request, tender_id: int):
        content = _content(request)
        receipt = services.submit_bid(tender_id, by=request.user, content=content,
                                      idempotency_key=_key(request))
        return _receipt_response(receipt, replayed=receipt.replayed)


class BidDetailView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    throttle_classes = throttling.BIDS  # PUT only

    def get_permissions(self):
        return [IsSupplier()] if self.request.method == "PUT" else []

    @extend_schema(responses={200: BidOut}, tags=["bids"], summary="One bid (own before opening; public after)")
    def get(self, request, tender_id: int, bid_id: int):
        tender = tender_visible_to(request.user, tender_id)
        bid = selectors.bid_visible_to(request.user, tender, bid_id)
        return Response(BidOut(bid, context={"versions": bid.opened_at is None}).data)

    @extend_schema(request={"application/json": BidIn, "multipart/form-data": BidIn},
                   responses={201: ReceiptOut}, parameters=[IDEMPOTENCY], tags=["bids"],
                   summary="Replace the bid with a new sealed version (before the deadline)")
    def put(self, request, tender_id: int, bid_id: int):
        content = _content(request)
        receipt = services.replace_bid(tender_id, bid_id, by=request.user, content=content,
                                       idempotency_key=_key(request))
        return _receipt_response(receipt, replayed=receipt.replayed)


class WithdrawView(APIView):
    permission_classes = [IsSupplier]

    @extend_schema(request=None, responses={200: BidOut}, tags=["bids"], summary="Withdraw (before the deadline)")
    def post(self, request, tender_id: int, bid_id: int):
        bid = services.withdraw_bid(tender_id, bid_id, by=request.user)
        return Response(BidOut(bid, context={"versions": True}).data)


class ConfirmView(APIView):
    permission_classes = [IsSupplier]

    @extend_schema(request=None, responses={200: ReceiptOut}, tags=["bids"],
                   summary="Confirm a bid after an amendment changed the terms")
    def post(self, request, tender_id: int, bid_id: int):
        receipt = services.confirm_bid(tender_id, bid_id, by=request.user)
        return Response(ReceiptOut.dump(receipt))


class BidDocumentView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes}, tags=["bids"],
                   summary="An opened bid's document (decrypted; after opening only)")
    def get(self, request, tender_id: int, bid_id: int, position: int):
        tender = tender_visible_to(request.user, tender_id)
        meta, content = selectors.bid_document(request.user, tender, bid_id, position)
        response = HttpResponse(content, content_type=meta["content_type"])
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=meta["name"])
        return response


class OpeningView(APIView):
    @extend_schema(responses={200: OpeningOut}, tags=["bids"],
                   summary="The bid-opening record (public, after the deadline)")
    def get(self, request, tender_id: int):
        tender = tender_visible_to(request.user, tender_id)
        if tender.opened_at is None:
            raise WrongState("The bids have not been opened yet.", code="not_opened",
                             submission_deadline=iso(tender.submission_deadline))
        return Response(OpeningOut(services.opening(tender)).data)


class VerifyReceiptView(APIView):
    @extend_schema(parameters=[VerifyIn], responses={200: VerifyOut}, tags=["receipts"],
                   summary="Check a receipt's signature")
    def get(self, request):
        data = VerifyIn(data=request.query_params)
        data.is_valid(raise_exception=True)
        key = receipts.signer(tender_id=data.validated_data["tender"], bid_id=data.validated_data["bid"],
                              sha256=data.validated_data["sha256"],
                              received_at=data.validated_data["received_at"],
                              signature=data.validated_data["signature"].lower(),
                              key_id=data.validated_data.get("key_id"))
        return Response(VerifyOut.dump(key))


class PublicKeyView(APIView):
    @extend_schema(responses={200: PublicKeyOut}, tags=["receipts"], summary="The platform's receipt-signing key")
    def get(self, request):
        return Response(PublicKeyOut.dump(sealing.keyring()))


class OwnBidsView(APIView):
    permission_classes = [IsSupplier]

    @extend_schema(responses={200: OwnBidOut(many=True)}, tags=["bids"],
                   summary="The caller's organisation's bids on every tender, with their receipts")
    def get(self, request):
        return Response(OwnBidOut(selectors.own_bids(request.user)[:200], many=True, context={"versions": True}).data)

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsSupplier
from core.db import db_now
from tenders.selectors import tender_visible_to

from . import selectors, services
from .serializers import AuctionOut, AuctionPriceIn, AuctionReceiptOut

TAGS = ["auctions"]


def _organisation_id(request) -> int | None:
    user = request.user
    return user.organisation_id if user is not None and user.is_authenticated else None


class AuctionView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: AuctionOut}, tags=TAGS,
                   summary="A lot's live auction: status, stage, whose turn, prices by participant number, the "
                           "protocol (public; names once finished; a participant also sees its own number)")
    def get(self, request, tender_id: int, lot_id: int):
        tender = tender_visible_to(request.user, tender_id)
        auction = selectors.auction_of_lot(tender.pk, lot_id)
        body = selectors.state(selectors.load(auction), now=db_now(), organisation_id=_organisation_id(request))
        return Response(AuctionOut(body).data)


class AuctionPriceView(APIView):
    permission_classes = [IsSupplier]

    @extend_schema(request=AuctionPriceIn, responses={201: AuctionReceiptOut}, tags=TAGS,
                   summary="Lower your price in your turn of the lot's auction; a signed receipt")
    def post(self, request, tender_id: int, lot_id: int):
        data = AuctionPriceIn(data=request.data)
        data.is_valid(raise_exception=True)
        receipt = services.place_price(tender_id, lot_id, by=request.user, amount=data.validated_data["amount"])
        return Response(AuctionReceiptOut(receipt).data, status=status.HTTP_201_CREATED)

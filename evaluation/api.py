from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsOfficer, IsSupplier
from core.errors import Invalid
from tenders.serializers import LotOut
from tenders.selectors import tender_visible_to

from . import selectors, services
from .serializers import (
    AwardIn, AwardOut, CommitteeIn, ComplaintIn, ComplaintOut, DeclarationIn, DeclarationOut, EvaluatorOut, LotCancelIn,
    QualificationIn, QualificationOut, ReportOut, ResolveIn, ScoreOut, parse_points,
)

TAGS = ["evaluation"]


class CommitteeView(APIView):
    @extend_schema(responses={200: EvaluatorOut(many=True)}, tags=TAGS,
                   summary="The evaluation committee (owner and members; public once awarded)")
    def get(self, request, tender_id: int):
        tender = selectors.committee_visible_to(request.user, tender_id)
        return Response(EvaluatorOut(selectors.members(tender), many=True).data)

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsOfficer()]

    @extend_schema(request=CommitteeIn, responses={200: EvaluatorOut(many=True)}, tags=TAGS,
                   summary="Name evaluators (officers of the same buyer)")
    def post(self, request, tender_id: int):
        data = CommitteeIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.add_evaluators(tender_id, by=request.user, user_ids=data.validated_data["evaluators"])
        return Response(EvaluatorOut(selectors.members(tender_id), many=True).data)


class ConflictDeclarationView(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(request=DeclarationIn, responses={201: DeclarationOut}, tags=TAGS,
                   summary="An evaluator declares no conflict of interest")
    def post(self, request, tender_id: int):
        data = DeclarationIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = services.declare_no_conflict(tender_id, by=request.user, statement=data.validated_data["statement"])
        return Response(DeclarationOut(d).data, status=status.HTTP_201_CREATED)


class QualificationView(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(request=QualificationIn, responses={200: QualificationOut}, tags=TAGS,
                   summary="Qualify or disqualify an opened bid, with a public reason")
    def post(self, request, tender_id: int, bid_id: int):
        data = QualificationIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        q = services.qualify_bid(tender_id, bid_id, by=request.user, lot_id=values.pop("lot", None), **values)
        return Response(QualificationOut(q).data)


class ScoresView(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: ScoreOut}, tags=TAGS,
                   summary='An evaluator scores a qualified bid: {"<criterion id>": points, ...}',
                   description="Points are 0..criterion weight with at most 2 decimal places; a later score "
                               "replaces the evaluator's earlier one until the award.")
    def post(self, request, tender_id: int, bid_id: int):
        points = parse_points(request.data)
        scores = services.score_bid(tender_id, bid_id, by=request.user, points=points)
        return Response(ScoreOut(scores).data)


def _lot_param(request) -> int | None:
    value = request.query_params.get("lot")
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 2**63:
        raise Invalid("A lot is named by its id.", code="lot_invalid", field="lot")
    return int(value)


LOT_PARAM = OpenApiParameter("lot", int, required=False,
                             description="The lot (required on a tender with several lots)")


class EvaluationView(APIView):
    @extend_schema(parameters=[LOT_PARAM], responses={200: ReportOut}, tags=TAGS,
                   summary="The evaluation report (owner and declared evaluators; public once awarded)")
    def get(self, request, tender_id: int):
        tender, lot = selectors.evaluation_visible_to(request.user, tender_id, _lot_param(request))
        return Response(selectors.report(tender, lot))


class AwardView(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(request=AwardIn, responses={201: AwardOut}, tags=TAGS,
                   summary="Award to a qualified bid (any but the top-ranked needs a justification)")
    def post(self, request, tender_id: int):
        data = AwardIn(data=request.data)
        data.is_valid(raise_exception=True)
        award = services.award_bid(tender_id, by=request.user, bid_id=data.validated_data["bid"],
                                   justification=data.validated_data["justification"],
                                   lot_id=data.validated_data.get("lot"))
        return Response(AwardOut(award).data, status=status.HTTP_201_CREATED)


class ComplaintListView(APIView):
    def get_permissions(self):
        return [IsSupplier()] if self.request.method == "POST" else [AllowAny()]

    @extend_schema(responses={200: ComplaintOut(many=True)}, tags=TAGS, summary="Complaints about the award")
    def get(self, request, tender_id: int):
        tender = tender_visible_to(request.user, tender_id)
        return Response(ComplaintOut(selectors.complaints(tender), many=True).data)

    @extend_schema(request=ComplaintIn, responses={201: ComplaintOut}, tags=TAGS,
                   summary="A losing bidder complains during the standstill")
    def post(self, request, tender_id: int):
        data = ComplaintIn(data=request.data)
        data.is_valid(raise_exception=True)
        complaint = services.file_complaint(tender_id, by=request.user, text=data.validated_data["text"],
                                            lot_id=data.validated_data.get("lot"))
        return Response(ComplaintOut(complaint).data, status=status.HTTP_201_CREATED)


class ResolveComplaintView(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(request=ResolveIn, responses={200: ComplaintOut}, tags=TAGS,
                   summary="Resolve a complaint: upheld annuls the award, dismissed lets the standstill run")
    def post(self, request, tender_id: int, complaint_id: int):
        data = ResolveIn(data=request.data)
        data.is_valid(raise_exception=True)
        complaint = services.resolve_complaint(tender_id, complaint_id, by=request.user, **data.validated_data)
        return Response(ComplaintOut(complaint).data)


class LotCancelView(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(request=LotCancelIn, responses={200: LotOut}, tags=TAGS,
                   summary="Cancel one lot, with a public reason (after the opening)")
    def post(self, request, tender_id: int, lot_id: int):
        data = LotCancelIn(data=request.data)
        data.is_valid(raise_exception=True)
        lot = services.cancel_lot(tender_id, lot_id, by=request.user, reason=data.validated_data["reason"])
        return Response(LotOut(lot).data)

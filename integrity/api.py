import csv
import io

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Invalid
from tenders.selectors import tender_visible_to

from . import selectors
from .serializers import FlagsByBuyerOut, TenderFlagsOut


class TenderFlagsView(APIView):
    @extend_schema(responses=TenderFlagsOut, tags=["red flags"],
                   summary="A tender's red flags (OCP risk indicators), their rules and figures")
    def get(self, request, tender_id: int):
        tender = tender_visible_to(request.user, tender_id)
        return Response(TenderFlagsOut(selectors.tender_flags(tender)).data)


class CsvRenderer(BaseRenderer):
    """Lets DRF accept ``?format=csv``; the view builds the text."""
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class FlagsView(APIView):
    renderer_classes = [JSONRenderer, CsvRenderer]

    def perform_content_negotiation(self, request, force=False):
        """An unknown ``?format=`` is bad input (400), not DRF's 404."""
        if not force and request.query_params.get("format", "json") not in ("json", "csv"):
            raise Invalid("Give format=json or format=csv.", code="format_invalid", field="format")
        return super().perform_content_negotiation(request, force)

    @extend_schema(responses={200: FlagsByBuyerOut, (200, "text/csv"): OpenApiTypes.STR}, tags=["red flags"],
                   summary="Red flags per buyer: tenders, share flagged per indicator, trend, R038",
                   parameters=[OpenApiParameter("format", str, enum=["json", "csv"],
                                                description="`csv`: one row per buyer")])
    def get(self, request):
        data = FlagsByBuyerOut(selectors.by_buyer()).data
        if request.accepted_renderer.format != "csv":
            return Response(data)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(selectors.CSV_HEADER)
        writer.writerows(selectors.csv_rows(data))
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="red-flags-by-buyer.csv"'
        return response

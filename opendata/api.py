from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from tenders.filters import TenderFilter
from tenders.selectors import tenders_public

from . import export, ocds
from .filters import ReleaseFilter


class PackageOut(serializers.Serializer):
    uri = serializers.URLField()
    version = serializers.CharField()
    extensions = serializers.ListField(child=serializers.URLField())
    publishedDate = serializers.DateTimeField()
    publisher = serializers.DictField()
    releases = serializers.ListField(child=serializers.DictField(),
                                     help_text="OCDS 1.1 releases (see the OCDS release schema)")


class PagedPackageOut(PackageOut):
    links = serializers.DictField(help_text="`next` and `prev` page URLs (null at either end)")
    count = serializers.IntegerField()


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class TenderOcdsView(APIView):
    @extend_schema(responses={200: PackageOut}, tags=["open data"],
                   summary="The tender as an OCDS 1.1 release package (one release per stage)")
    def get(self, request, tender_id: int):
        tender = tenders_public().select_related("buyer").filter(pk=tender_id).first()
        if tender is None:
            raise NotFound("No such tender.")
        return Response(ocds.tender_package(tender, uri=request.build_absolute_uri(), base_url=_base_url(request)))


class ReleaseListView(generics.GenericAPIView):
    """Every release of every published tender, oldest first, for bulk data users."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = ReleaseFilter

    def get_queryset(self):
        return ocds.stage_entries().order_by("at", "id")

    @extend_schema(responses={200: PagedPackageOut}, tags=["open data"], filters=True,
                   parameters=[OpenApiParameter("page", int, description="Page number"),
                               OpenApiParameter("page_size", int, description="Releases per page (max 100)")],
                   summary="All OCDS releases, paginated (`page`, `page_size`), filterable by date")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        releases = ocds.releases_for(page, base_url=_base_url(request))
        links = {"next": self.paginator.get_next_link(), "prev": self.paginator.get_previous_link()}
        return Response(ocds.package(releases, uri=request.build_absolute_uri(),
                                     extra={"links": links, "count": self.paginator.page.paginator.count}))


class TenderCsvView(generics.GenericAPIView):
    """The register's own filter backend and TenderFilter: the same filters,
    the same 400s; only published tenders (never an officer's drafts)."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = TenderFilter
    pagination_class = None

    def get_queryset(self):
        return tenders_public()

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)  # CSV whatever the Accept header

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR}, tags=["open data"], filters=True,
                   operation_id="tenders_export_csv",
                   summary="The public register as CSV (same filters as GET /api/tenders/), streamed")
    def get(self, request):
        queryset = self.filter_queryset(self.get_queryset())  # bad filters raise here, before streaming
        response = StreamingHttpResponse(export.stream(queryset, base_url=_base_url(request)),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="tenders.csv"'
        return response

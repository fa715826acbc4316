from pathlib import Path

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import get_language
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Invalid, NotFound
from tenders.filters import TenderFilter
from tenders.selectors import tenders_public

from . import export, ocds, stats
from .serializers import StatsOut
from .bulk import ocds_bulk_path
from .filters import ReleaseFilter
from .models import Release

POLICY = Path(__file__).resolve().parent / "publication-policy.md"


class PackageOut(serializers.Serializer):
    uri = serializers.URLField()
    version = serializers.CharField()
    extensions = serializers.ListField(child=serializers.URLField())
    publishedDate = serializers.DateTimeField()
    publisher = serializers.DictField()
    license = serializers.URLField(help_text="PROCUREMENT_OCDS_LICENSE")
    publicationPolicy = serializers.URLField(help_text="PROCUREMENT_OCDS_PUBLICATION_POLICY")
    releases = serializers.ListField(child=serializers.DictField(),
                                     help_text="OCDS 1.1 releases (see the OCDS release schema)")


class PagedPackageOut(PackageOut):
    links = serializers.DictField(required=False, help_text=(
        "`next` (when more releases follow) and `prev` (absent on the first page); pagination extension. "
        "Absent on a page with neither"))


class RecordPackageOut(serializers.Serializer):
    uri = serializers.URLField()
    version = serializers.CharField()
    extensions = serializers.ListField(child=serializers.URLField())
    publishedDate = serializers.DateTimeField()
    publisher = serializers.DictField()
    license = serializers.URLField()
    publicationPolicy = serializers.URLField()
    packages = serializers.ListField(child=serializers.URLField())
    records = serializers.ListField(child=serializers.DictField(),
                                    help_text="One record: releases, compiledRelease, versionedRelease")


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _json(text: str) -> HttpResponse:
    return HttpResponse(text.encode(), content_type="application/json")


def _published(tender_id: int):
    tender = tenders_public().filter(pk=tender_id).first()
    if tender is None or not tender.ocds_releases.exists():
        raise NotFound("No such tender.")
    return tender


class TenderOcdsView(APIView):
    @extend_schema(responses={200: PackageOut}, tags=["open data"],
                   summary="The tender as an OCDS 1.1 release package (one release per event, as published)")
    def get(self, request, tender_id: int):
        _published(tender_id)
        return _json(ocds.release_package_text(ocds.tender_release_rows(tender_id),
                                               uri=request.build_absolute_uri()))


class TenderRecordView(APIView):
    @extend_schema(responses={200: RecordPackageOut}, tags=["open data"],
                   summary="The tender as an OCDS record package: its releases, the compiled release and "
                           "the versioned release (merged with ocdsmerge)")
    def get(self, request, tender_id: int):
        tender = _published(tender_id)
        package_uri = _base_url(request) + reverse("tender-ocds", args=[tender.pk])
        return Response(ocds.record_package(tender, uri=request.build_absolute_uri(), package_uri=package_uri))


class ReleaseListView(generics.GenericAPIView):
    """Every release of every published tender in the order they were
    published, for bulk data users: a page starts after the ``cursor`` and
    its ``links.next`` (present when more releases follow) carries on from
    its last release, so a page never shifts while new releases are published.
    To pick up new releases later, request the last page's URL again: it fills
    up and gains a ``next``. No release after the cursor is a 404
    ``no_releases`` (an OCDS package cannot be empty)."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = ReleaseFilter
    pagination_class = None
    default_size = 100
    max_size = 1000

    def get_queryset(self):
        return Release.objects.all()

    @extend_schema(responses={200: PagedPackageOut}, tags=["open data"], filters=True,
                   parameters=[OpenApiParameter("cursor", str, description="Releases after this cursor (a value "
                                                "from links.next / links.prev; 0 or absent: from the start)"),
                               OpenApiParameter("page_size", int, description="Releases per page "
                                                                              "(default 100, max 1000)")],
                   summary="All OCDS releases in publication order, paged by a stable cursor (`cursor`), "
                           "filterable by date")
    def get(self, request):
        after = ocds.parse_cursor(request.query_params.get("cursor", "0"))
        if after is None:
            raise Invalid("cursor is a value from a page's links (or 0: from the start).", code="invalid_cursor",
                          field="cursor")
        size = request.query_params.get("page_size", str(self.default_size))
        if not size.isdigit() or len(size) > 6:
            raise Invalid("page_size is a whole number.", code="invalid_page_size", field="page_size")
        size = min(int(size) or self.default_size, self.max_size)
        queryset = self.filter_queryset(self.get_queryset())
        rows, more, previous = ocds.feed_page(queryset, after=after, size=size)
        if not rows:
            # A release package holds at least one release (the schema's minItems).
            raise NotFound("No releases after this cursor (with these filters) yet.", code="no_releases")
        links = {}
        if more:
            links["next"] = _replace_query(request, cursor=rows[-1][0], page_size=size)
        if previous is not None:
            links["prev"] = _replace_query(request, cursor=previous, page_size=size)
        return _json(ocds.release_package_text([(text, date) for _, text, date in rows],
                                               uri=request.build_absolute_uri(), links=links))


def _replace_query(request, **params) -> str:
    query = request.query_params.copy()
    for key, value in params.items():
        query[key] = str(value)
    return request.build_absolute_uri(request.path) + "?" + query.urlencode()


class BulkFileView(APIView):
    @extend_schema(responses={(200, "application/gzip"): OpenApiTypes.BINARY}, tags=["open data"],
                   summary="The daily bulk file: every published tender as a release package, one per line "
                           "(JSON lines, gzipped)")
    def get(self, request):
        path = ocds_bulk_path()
        if not path.exists():
            raise NotFound("The bulk file has not been made yet (manage.py ocds_bulk).", code="bulk_not_ready")
        response = FileResponse(open(path, "rb"), content_type="application/gzip")
        response["Content-Disposition"] = f'attachment; filename="{path.name}"'
        return response


class PublicationPolicyView(APIView):
    @extend_schema(responses={(200, "text/markdown"): OpenApiTypes.STR}, tags=["open data"],
                   summary="The OCDS publication policy (the packages' default publicationPolicy)")
    def get(self, request):
        return HttpResponse(POLICY.read_bytes(), content_type="text/markdown; charset=utf-8")


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


class StatsView(APIView):
    @extend_schema(responses={200: StatsOut}, tags=["reference"], summary="Register statistics (public tenders)")
    def get(self, request):
        language = "ru" if get_language() in ("ru", "kk") else "en"
        return Response(StatsOut(stats.register_stats(language)).data)

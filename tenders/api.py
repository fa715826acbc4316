from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.http import FileResponse
from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsOfficer
from core import public_cache, rows
from core.errors import NotFound

from . import cpv, methods, selectors, services
from .filters import TenderFilter
from .models import TenderDocument
from .serializers import (
    LIST_VALUES, AmendmentIn, AmendmentOut, CancelIn, DocumentIn, DocumentOut, TenderIn, TenderListOut,
    TenderOut, TenderPatch, tender_row,
)


def _detail(tender_id: int, user) -> dict:
    tender = selectors.tender_visible_to(user, tender_id)
    tender = type(tender).objects.select_related("buyer", "named_supplier").prefetch_related(
        "criteria", "documents", "amendments", "lots").get(pk=tender.pk)
    return TenderOut(tender).data


class RegisterRows:
    """The register's page source: rows sliced from ``.values(*LIST_VALUES)``
    (one query, buyer name joined), counted on the plain filtered queryset.
    The buyer is a non-null foreign key, so the join never changes the count;
    dropping it lets PostgreSQL count from an index alone (see migration
    0003) instead of visiting every matching row, which was the costliest
    part of a register request.

    With ``window`` (the offset and size of the page the request asks for),
    the count and that page are read together on the first call: the page
    query is compiled once, its WHERE reused for ``COUNT(*)``, and both
    statements go in one round trip (``core.rows.run``). The paginator then
    asks for the count and for a slice inside the window, which are served
    from what was read; any other slice is queried on its own."""

    def __init__(self, queryset, window: tuple[int, int] | None = None) -> None:
        self.queryset = queryset
        self.ordered = queryset.ordered
        self.window = window if window is not None and self._counts_alone() else None
        self._count: int | None = None
        self._rows: list[dict] | None = None

    def _counts_alone(self) -> bool:
        """A plain filter of the one table: its WHERE counts it (a join,
        DISTINCT or grouping takes the ORM's own ``count()``)."""
        query = self.queryset.query
        return not (query.distinct or query.group_by is not None or query.is_sliced or query.combinator
                    or sum(1 for refs in query.alias_refcount.values() if refs) != 1)

    def count(self) -> int:
        """``COUNT(*)`` over the tender table with the filtered queryset's own
        WHERE, compiled alone: ``QuerySet.count()`` wraps it in a whole
        aggregation query first, which cost more CPU than the count itself
        (~0.8 ms a request, bench/README.md)."""
        if self._count is not None:
            return self._count
        if self.window is not None:
            self._read_window()
            return self._count
        if not self._counts_alone():
            return self.queryset.count()
        compiler = self.queryset.query.get_compiler(using=self.queryset.db)
        try:
            where, params = self._where(compiler.compile, self.queryset.query.where)
        except EmptyResultSet:
            return 0
        with connections[self.queryset.db].cursor() as cursor:
            cursor.execute(*self._count_sql(compiler, where, params))
            return cursor.fetchone()[0]

    def __getitem__(self, index):
        if (self.window is not None and isinstance(index, slice) and index.step is None
                and index.start == self.window[0] and index.stop is not None
                and index.start <= index.stop <= sum(self.window)):
            if self._rows is None:
                self._read_window()
            return self._rows[:index.stop - index.start]
        return self.queryset.values(*LIST_VALUES)[index]

    @staticmethod
    def _where(compile_node, where) -> tuple[str, tuple]:
        """A WHERE compiled: empty when it matches every row; raises
        EmptyResultSet when it matches none."""
        try:
            return compile_node(where)
        except FullResultSet:
            return "", ()

    @staticmethod
    def _count_sql(compiler, where: str, params) -> tuple[str, list]:
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"SELECT COUNT(*) FROM {table}" + (f" WHERE {where}" if where else ""), list(params)

    def _read_window(self) -> None:
        offset, size = self.window
        page = self.queryset.values(*LIST_VALUES)[offset:offset + size]
        compiler = page.query.get_compiler(using=page.db)
        compiled_where = []
        compile_node = compiler.compile

        def compile_keeping_where(node):  # the page's own WHERE, as the page compiles it
            sql, params = compile_node(node)
            if node is getattr(compiler, "where", None):
                compiled_where.append((sql, params))
            return sql, params

        compiler.compile = compile_keeping_where
        try:
            page_sql, page_params = compiler.as_sql()
        except EmptyResultSet:
            self._count, self._rows = 0, []
            return
        # Not kept: every row matched (FullResultSet), or Django compiled it another way; compiled here then.
        where, where_params = compiled_where[0] if compiled_where else self._where(compile_node, compiler.where)
        total, found = rows.run([self._count_sql(compiler, where, where_params), (page_sql, list(page_params))])
        names = list(page.query.values_select)
        self._count = total.rows[0][0]
        self._rows = [dict(zip(names, row)) for row in compiler.results_iter(results=[found.rows])]


def _officer_permissions(request):
    return [IsOfficer()] if request.method not in ("GET", "HEAD", "OPTIONS") else [AllowAny()]


class TenderListView(generics.ListAPIView):
    """The public register: published tenders (an officer also sees its own drafts)."""

    serializer_class = TenderListOut
    filterset_class = TenderFilter

    @classmethod
    def as_view(cls, **initkwargs):
        """Anonymous reads from the public cache (core.public_cache)."""
        return public_cache.cached_api("register")(super().as_view(**initkwargs))

    def get_permissions(self):
        return _officer_permissions(self.request)

    def get_queryset(self):
        return selectors.tenders_visible_to(self.request.user)

    @extend_schema(tags=["tenders"], summary="Published tenders, filtered and paginated")
    def get(self, request, *args, **kwargs):
        source = RegisterRows(self.filter_queryset(self.get_queryset()), window=self._page_window(request))
        page = self.paginate_queryset(source)
        return self.get_paginated_response([tender_row(row) for row in page])

    def _page_window(self, request) -> tuple[int, int] | None:
        """The offset and size of the page asked for, when it is a page
        number (as DRF reads it: the last ``page``, empty meaning 1) of at
        most six digits. Anything else (``last``, 0, a number of thousands of
        digits that ``int()`` refuses or whose offset overflows the
        database's integers) takes the paginator's own path and its 404."""
        size = self.paginator.get_page_size(request)
        number = request.query_params.get(self.paginator.page_query_param) or "1"
        if not size or not (number.isascii() and number.isdigit()) or len(number) > 6 or int(number) < 1:
            return None
        return (int(number) - 1) * size, size

    @extend_schema(request=TenderIn, responses={201: TenderOut}, tags=["tenders"], summary="Create a draft")
    def post(self, request):
        data = TenderIn(data=request.data)
        data.is_valid(raise_exception=True)
        tender = services.create_draft(by=request.user, **data.validated_data)
        return Response(_detail(tender.pk, request.user), status=status.HTTP_201_CREATED)


class TenderDetailView(APIView):
    @classmethod
    def as_view(cls, **initkwargs):
        """Anonymous reads from the public cache (core.public_cache)."""
        return public_cache.cached_api("tender")(super().as_view(**initkwargs))

    def get_permissions(self):
        return _officer_permissions(self.request)

    @extend_schema(responses={200: TenderOut}, tags=["tenders"], summary="A tender")
    def get(self, request, tender_id: int):
        return Response(_detail(tender_id, request.user))

    @extend_schema(request=TenderPatch, responses={200: TenderOut}, tags=["tenders"], summary="Edit a draft")
    def patch(self, request, tender_id: int):
        data = TenderPatch(data=request.data)
        data.is_valid(raise_exception=True)
        services.update_draft(tender_id, by=request.user, **data.validated_data)
        return Response(_detail(tender_id, request.user))


class PublishView(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(request=None, responses={200: TenderOut}, tags=["tenders"], summary="Publish: draft → active")
    def post(self, request, tender_id: int):
        services.publish_tender(tender_id, by=request.user)
        return Response(_detail(tender_id, request.user))


class AmendView(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(request=AmendmentIn, responses={200: TenderOut}, tags=["tenders"],
                   summary="Amend an active tender (extends the deadline, bids need confirmation)")
    def post(self, request, tender_id: int):
        data = AmendmentIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.amend_tender(tender_id, by=request.user, **data.validated_data)
        return Response(_detail(tender_id, request.user))


class CancelView(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(request=CancelIn, responses={200: TenderOut}, tags=["tenders"],
                   summary="Cancel, with a public reason")
    def post(self, request, tender_id: int):
        data = CancelIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.cancel_tender(tender_id, by=request.user, reason=data.validated_data["reason"])
        return Response(_detail(tender_id, request.user))


class DocumentListView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    def get_permissions(self):
        return _officer_permissions(self.request)

    @extend_schema(responses={200: DocumentOut(many=True)}, tags=["documents"], summary="Tender documents")
    def get(self, request, tender_id: int):
        tender = selectors.tender_visible_to(request.user, tender_id)
        return Response(DocumentOut(tender.documents.all(), many=True).data)

    @extend_schema(request={"multipart/form-data": DocumentIn}, responses={201: DocumentOut},
                   tags=["documents"], summary="Upload a tender document (draft; or active, as an amendment)")
    def post(self, request, tender_id: int):
        data = DocumentIn(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.add_document(tender_id, by=request.user, upload=data.validated_data["file"],
                                         title=data.validated_data["title"],
                                         document_type=data.validated_data["document_type"],
                                         rationale=data.validated_data["rationale"])
        return Response(DocumentOut(document).data, status=status.HTTP_201_CREATED)


class DocumentDownloadView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes}, tags=["documents"],
                   summary="Download a tender document")
    def get(self, request, tender_id: int, document_id: int):
        tender = selectors.tender_visible_to(request.user, tender_id)
        document = TenderDocument.objects.filter(tender=tender, pk=document_id).first()
        if document is None:
            raise NotFound("No such document.")
        return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.filename,
                            content_type=document.content_type)


class AmendmentListView(APIView):
    @extend_schema(responses={200: AmendmentOut(many=True)}, tags=["tenders"], summary="Amendments")
    def get(self, request, tender_id: int):
        return Response(_detail(tender_id, request.user)["amendments"])


# --- reference data and statistics for clients (the browser's filters and charts) ---

class CpvMatchOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CpvQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100,
                              help_text="Words of a CPV name, or the start of a code")
    lang = serializers.ChoiceField(["en", "ru", "kk"], required=False, help_text=(
        "Language of the names (Kazakh gets the Russian names: CPV has no Kazakh); the page's by default"))

    def validate(self, attrs):
        # DRF reads an empty optional query value as absent; the schema (an enum) refuses it
        if "lang" in self.initial_data and "lang" not in attrs:
            raise serializers.ValidationError({"lang": serializers.ErrorDetail(
                "lang is en, ru or kk.", code="invalid_choice")})
        return attrs


class CpvSearchView(APIView):
    @extend_schema(parameters=[CpvQuery], responses={200: CpvMatchOut(many=True)}, tags=["reference"],
                   summary="Find CPV codes by name or code")
    def get(self, request):
        query = CpvQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        language = query.validated_data.get("lang") or get_language() or "en"
        return Response(CpvMatchOut(cpv.search(query.validated_data.get("q", ""),
                                               language="ru" if language in ("ru", "kk") else "en"), many=True).data)


class BuyerOutRow(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BuyerListView(APIView):
    @extend_schema(responses={200: BuyerOutRow(many=True)}, tags=["reference"],
                   summary="Buyers with a published tender (for the register's buyer filter)")
    def get(self, request):
        return Response(BuyerOutRow(selectors.buyers_with_published_tenders(), many=True).data)


class MethodOut(serializers.Serializer):
    """A procurement method the platform runs (``tenders.methods``)."""
    name = serializers.CharField()
    label = serializers.CharField(help_text="Its name, in the request's language")
    summary = serializers.CharField(help_text="What it means for a bidder, in the request's language")
    min_period = serializers.IntegerField(help_text="Seconds from publication to the earliest submission deadline")
    limit = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True,
                                     help_text="The largest estimated amount it may be used for (KZT); null: none")
    award_methods = serializers.ListField(child=serializers.CharField())
    committee = serializers.BooleanField(help_text="An evaluation committee scores")
    questions = serializers.BooleanField(help_text="Suppliers may ask questions")
    fields = serializers.ListField(child=serializers.CharField(), help_text=(
        "The draft fields only some methods have that this one takes (supplier, ground, justification, failed; "
        "minimal_step: the auction's lots)"))


def _method_row(method: methods.ProcurementMethod) -> dict:
    fields = sorted({methods.input_name(f) for f in method.takes} | ({"minimal_step"} if method.lot_step else set()))
    return {"name": method.name, "label": str(method.label), "summary": str(method.summary),
            "min_period": method.min_period(), "limit": method.limit(), "award_methods": sorted(method.award_methods),
            "committee": method.committee, "questions": method.questions, "fields": fields}


class PlatformOut(serializers.Serializer):
    min_submission_period = serializers.IntegerField(
        help_text="Seconds from publication to the earliest allowed submission deadline")
    min_amendment_period = serializers.IntegerField(
        help_text="Seconds from an amendment to the earliest allowed submission deadline (it moves if nearer)")
    standstill_period = serializers.IntegerField(help_text="Seconds from the award to completion, complaints aside")
    max_document_bytes = serializers.IntegerField()
    document_types = serializers.DictField(child=serializers.CharField(), help_text="Allowed content types, each with its file extension")
    default_tender_language = serializers.CharField()
    default_currency = serializers.CharField()
    methods = MethodOut(many=True, help_text="The procurement methods the platform runs")


class PlatformView(APIView):
    """The platform's rules a client needs before the server applies them
    (the draft editor explains the minimum periods with these)."""

    @extend_schema(responses={200: PlatformOut}, tags=["reference"], summary="The platform's periods and limits")
    def get(self, request):
        return Response(PlatformOut({
            "min_submission_period": settings.PROCUREMENT_MIN_SUBMISSION_PERIOD,
            "min_amendment_period": settings.PROCUREMENT_MIN_AMENDMENT_PERIOD,
            "standstill_period": settings.PROCUREMENT_STANDSTILL_PERIOD,
            "max_document_bytes": settings.PROCUREMENT_MAX_DOCUMENT_BYTES,
            "document_types": {k: str(v) for k, v in dict(settings.PROCUREMENT_DOCUMENT_TYPES).items()},
            "default_tender_language": settings.PROCUREMENT_DEFAULT_TENDER_LANGUAGE,
            "default_currency": "KZT",
            "methods": [_method_row(m) for m in methods.available()],
        }).data)

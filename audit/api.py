from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import IsoDateTime
from tenders.selectors import tender_visible_to

from . import services
from .models import AuditEntry


class EntryOut(serializers.Serializer):
    seq = serializers.IntegerField()
    at = IsoDateTime()
    actor = serializers.CharField(help_text="Organisation name; empty where it is hidden (a bidder before opening)")
    role = serializers.CharField()
    event = serializers.CharField()
    data = serializers.DictField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class AuditOut(serializers.Serializer):
    tender = serializers.IntegerField()
    length = serializers.IntegerField()
    head = serializers.CharField()
    valid = serializers.BooleanField()
    problem = serializers.CharField(allow_null=True)
    algorithm = serializers.CharField()
    entries = EntryOut(many=True)


class AuditView(APIView):
    @extend_schema(responses={200: AuditOut}, tags=["audit"], summary="The tender's hash-chained audit log")
    def get(self, request, tender_id: int):
        tender = tender_visible_to(request.user, tender_id)
        entries = list(AuditEntry.objects.filter(tender=tender).order_by("seq"))
        problem = services.verify_chain(tender.pk, entries, length=tender.audit_length, head=tender.audit_head)
        return Response(AuditOut({
            "tender": tender.pk, "length": tender.audit_length, "head": tender.audit_head,
            "valid": problem is None, "problem": str(problem) if problem else None,
            "algorithm": "sha256 over canonical JSON {tender, seq, at, actor, role, event, data, prev}",
            "entries": entries,
        }).data)

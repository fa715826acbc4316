from rest_framework import serializers

from core.fields import IsoDateTime
from core.shapes import Shape


class SubscriptionIn(serializers.Serializer):
    cpv_prefix = serializers.CharField(max_length=10, help_text="2 to 8 digits of a CPV code, e.g. `45` or `4523`, "
                                                                "or a full code `45233140-2`")
    buyer = serializers.IntegerField(required=False, allow_null=True, default=None,
                                     help_text="Only tenders of this buyer organisation")


class SubscribedBuyerOut(Shape):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SubscriptionOut(Shape):  # select buyer
    id = serializers.IntegerField()
    cpv_prefix = serializers.CharField()
    buyer = SubscribedBuyerOut(allow_null=True)
    created_at = IsoDateTime()


class NotificationOut(Shape):  # also the socket's "notification" event
    id = serializers.IntegerField()
    kind = serializers.CharField()
    tender = serializers.IntegerField(source="tender_id")
    subject = serializers.CharField()
    body = serializers.CharField()
    created_at = IsoDateTime()
    read = serializers.SerializerMethodField()
    read_at = IsoDateTime(allow_null=True)

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = NotificationOut(many=True)


class MarkedOut(serializers.Serializer):
    marked = serializers.IntegerField()

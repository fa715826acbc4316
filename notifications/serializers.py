from rest_framework import serializers


class SubscriptionIn(serializers.Serializer):
    cpv_prefix = serializers.CharField(max_length=10, help_text="2 to 8 digits of a CPV code, e.g. `45` or `4523`, "
                                                                "or a full code `45233140-2`")
    buyer = serializers.IntegerField(required=False, allow_null=True, default=None,
                                     help_text="Only tenders of this buyer organisation")


class SubscriptionOut(serializers.Serializer):
    id = serializers.IntegerField()
    cpv_prefix = serializers.CharField()
    buyer = serializers.DictField(allow_null=True)
    created_at = serializers.DateTimeField()


class NotificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    tender = serializers.IntegerField()
    subject = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = NotificationOut(many=True)


class MarkedOut(serializers.Serializer):
    marked = serializers.IntegerField()

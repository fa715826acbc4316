import django_filters

from audit.models import AuditEntry


class ReleaseFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte",
                                             help_text="Releases dated at or after this time (ISO 8601)")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt",
                                             help_text="Releases dated before this time (ISO 8601)")

    class Meta:
        model = AuditEntry
        fields = []

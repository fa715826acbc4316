import django_filters

from tenders.filters import StrictFilterSet, UtcDateTimeFilter

from .models import Release


class ReleaseFilter(StrictFilterSet):
    # UtcDateTimeFilter: a time that does not exist in UTC (year 1 at -23:00)
    # is a 400 here, not a driver error.
    since = UtcDateTimeFilter(field_name="date", lookup_expr="gte",
                              help_text="Releases dated at or after this time (ISO 8601)")
    until = UtcDateTimeFilter(field_name="date", lookup_expr="lt",
                              help_text="Releases dated before this time (ISO 8601)")

    class Meta:
        model = Release
        fields = []

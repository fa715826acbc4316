import copy
import re
from datetime import UTC

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q
from rest_framework.exceptions import ValidationError

from core.validators import CPV_PREFIX

from .models import Lot, Method, Status, Tender


FLAG_CODE = re.compile(r"R[0-9]{3}")
FORM_CLASSES = 256  # filter form classes kept per filter set, one per set of parameters sent


class StatusInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    pass


class IdField(forms.IntegerField):
    """A database id: a whole number in the 64-bit range (``1.5`` or a
    30-digit number is bad input, not a server error)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=2**63 - 1, **kwargs)


class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time that still exists once converted to UTC (year 1
    at -23:00 does not, and the database driver would fail on it)."""

    def clean(self, value):
        if isinstance(value, str) and not value.strip():  # `?until=`: not a time (absent is fine)
            raise forms.ValidationError("Give an ISO 8601 time.", code="invalid")
        value = super().clean(value)
        try:
            return value.astimezone(UTC) if value is not None else None
        except OverflowError:
            raise forms.ValidationError("This time is out of range.", code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class StrictFilterSet(django_filters.FilterSet):
    """A parameter that is present but empty (``?cpv=``, ``?value_max=``,
    ``?status=``) is bad input (400), not silently "no filter": absent is the
    way to say that."""

    def is_valid(self):
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.OrderingFilter):
                continue  # empty ordering is the default order
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
            if name in self.data and any(v is not None and not str(v).strip() for v in values):
                self.form.add_error(name, forms.ValidationError("Give a value, or leave the parameter out.",
                                                                code="invalid"))
                valid = False
        return valid

    def get_form_class(self):
        """The form of the parameters this request sent, built once per class
        and set of parameters (django-filter builds the fields and a new Form
        class of every filter on each request). A parameter left out filters
        nothing either way (django-filter skips an empty value, and the
        methods here read a missing one as None), so its field is left out of
        the form: a register request no longer cleans a dozen absent fields.
        A required field is always in it. The fields are the class's own
        (made once, without a request): no filter here depends on the
        request. The names come only from the declared filters, and at most
        FORM_CLASSES sets are kept (any further set is built each time)."""
        cls = type(self)
        if "_form_classes" not in cls.__dict__:
            cls._form_classes = {}
        if self.is_bound:
            # The class's filters: their fields are made once (a request's copies would make their own).
            sent = tuple(name for name, filter_ in self.base_filters.items()
                         if filter_.field.required
                         or not filter_.field.widget.value_omitted_from_data(self.data, {}, self._key(name)))
        else:
            sent = tuple(self.base_filters)
        form_class = cls._form_classes.get(sent)
        if form_class is None:
            fields = {name: self.base_filters[name].field for name in sent}
            form_class = type(f"{cls.__name__}Form", (self._meta.form,), fields)
            form_class.base_fields = _ShallowFieldCopies(form_class.base_fields)
            if len(cls._form_classes) < FORM_CLASSES:
                cls._form_classes[sent] = form_class
        return form_class

    def _key(self, name: str) -> str:
        return f"{self.form_prefix}-{name}" if self.form_prefix else name



class TenderFilter(StrictFilterSet):
    status = StatusInFilter(choices=Status.choices, help_text="One status or several, comma-separated")
    buyer = IdFilter(field_name="buyer_id", help_text="Buyer organisation id")
    method = django_filters.ChoiceFilter(choices=Method.choices, help_text="The procurement method")
    cpv = django_filters.CharFilter(method="filter_cpv", help_text=(
        "CPV prefix: `45` (division), `4523` or `45230000` (trailing zeros mean the whole branch), "
        "or a full code `45233140-2`"))
    value_min = django_filters.NumberFilter(method="filter_value", help_text=(
        "The tender's estimated amount, or one of its lots', is at least this"))
    value_max = django_filters.NumberFilter(method="filter_value", help_text=(
        "The tender's estimated amount, or one of its lots', is at most this"))
    deadline_after = UtcDateTimeFilter(field_name="submission_deadline", lookup_expr="gte")
    deadline_before = UtcDateTimeFilter(field_name="submission_deadline", lookup_expr="lte")
    flag = django_filters.CharFilter(method="filter_flag", max_length=8, help_text=(
        "A red flag's id (`R003`, `R018`, `R024`, `R028`, `R035`, `R036`, `R058`): tenders it is raised on"))
    q = django_filters.CharFilter(method="filter_q", max_length=200,
                                  help_text="Full-text search over title, description and buyer name")
    ordering = django_filters.OrderingFilter(
        fields=["submission_deadline", "published_at", "estimated_amount", "title", "bid_count", "id"],
        help_text="e.g. `submission_deadline`, `-estimated_amount`; default newest published first",
    )

    class Meta:
        model = Tender
        fields = []

    def filter_cpv(self, queryset, name, value):
        match = CPV_PREFIX.match(value.strip())
        if not match:
            raise ValidationError({"cpv": [_error("Give 2 to 8 digits of a CPV code.", "cpv_prefix_invalid")]})
        digits = match.group(1)
        # The tender's own CPV, or any of its lots' (a tender whose second lot
        # is gloves): ``lot_cpvs`` holds each lot's code between spaces.
        if match.group(2) and len(digits) == 8:
            code = value.strip()
            return queryset.filter(Q(cpv=code) | Q(lot_cpvs__contains=f" {code} "))
        prefix = digits.rstrip("0")
        if len(prefix) < 2:
            prefix = digits[:2]
        return queryset.filter(Q(cpv__startswith=prefix) | Q(lot_cpvs__contains=f" {prefix}"))

    def filter_flag(self, queryset, name, value):
        code = value.strip().upper()
        if not FLAG_CODE.fullmatch(code):
            raise ValidationError({"flag": [_error("Give an indicator id such as R018.", "flag_invalid")]})
        # integrity.Flag sits above this app: reached through the relation, not imported.
        flags = Tender._meta.get_field("flags").related_model
        return queryset.filter(Exists(flags.objects.filter(tender=OuterRef("pk"), code=code)))

    def filter_value(self, queryset, name, value):
        """Both bounds at once (``filter_queryset`` calls this once): the
        tender's total, or one lot's estimated amount, lies between them."""
        low, high = self.form.cleaned_data.get("value_min"), self.form.cleaned_data.get("value_max")
        if getattr(self, "_value_filtered", False) or (low is None and high is None):
            return queryset
        self._value_filtered = True
        # Read from the tender's row: some lot is >= low when the largest is,
        # some lot is <= high when the smallest is. With both bounds the
        # smallest and largest only say that some lot may lie between them:
        # certain when every lot has the same amount, otherwise the lots are
        # looked at (only for such rows, a few multi-lot tenders).
        if high is None:
            return queryset.filter(Q(estimated_amount__gte=low) | Q(lot_amount_max__gte=low))
        if low is None:
            return queryset.filter(Q(estimated_amount__lte=high) | Q(lot_amount_min__lte=high))
        some_lot = Q(lot_amount_min__lte=high, lot_amount_max__gte=low) & (
            Q(lot_amount_min=F("lot_amount_max"))
            | Exists(Lot.objects.filter(tender=OuterRef("pk"), estimated_amount__gte=low, estimated_amount__lte=high)))
        return queryset.filter(Q(estimated_amount__gte=low, estimated_amount__lte=high) | some_lot)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if connection.vendor == "postgresql":
            return queryset.filter(search_vector=SearchQuery(value, config="simple", search_type="websearch"))
        for word in value.casefold().split():
            queryset = queryset.filter(search_text__contains=word)
        return queryset

    @property
    def qs(self):
        queryset = super().qs
        if not self.form.cleaned_data.get("ordering"):
            return queryset.order_by("-published_at", "-id")
        return queryset.order_by(*queryset.query.order_by, "-id")


def _error(message: str, code: str):
    from rest_framework.exceptions import ErrorDetail

    return ErrorDetail(message, code=code)


class _ShallowCopies(dict):
    """``base_filters`` whose per-request copy (django-filter deep-copies them
    in ``FilterSet.__init__``, choices, widgets and all) copies each filter
    shallowly: a filter keeps no per-request state but the ``parent`` and
    ``model`` set on the copy, and a method filter is re-bound to its copy."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, filter_ in self.items():
            copied = copy.copy(filter_)
            if filter_.method is not None:
                copied.method = filter_.method  # a FilterMethod bound to the copy, not the original
            copies[name] = copied
        return copies


class _ShallowFieldCopies(dict):
    """The filter form's ``base_fields``, which Django's ``BaseForm.__init__``
    deep-copies per form (widgets, choices, validators: most of a register
    request's filter cost). Cleaning never changes a field, and this form is
    never rendered, so each form gets shallow copies."""

    def __deepcopy__(self, memo):
        return {name: copy.copy(field) for name, field in self.items()}


TenderFilter.base_filters = _ShallowCopies(TenderFilter.base_filters)

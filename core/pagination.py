from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """``?page=N&page_size=M``; returns ``count``, ``next``, ``previous``, ``results``.

    ``page_size`` is a whole number from 1 (larger ones are served as 100);
    anything else is a 400, not silently the default."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.getlist(self.page_size_query_param)
        if raw and not all(v.isascii() and v.isdigit() and v.lstrip("0") for v in raw):
            raise ValidationError({"page_size": [ValidationError("A whole number from 1.", code="invalid").detail[0]]})
        if raw and len(raw[-1].lstrip("0")) > 9:  # far over the maximum (and past what int() reads of thousands of digits)
            return self.max_page_size
        return super().get_page_size(request)

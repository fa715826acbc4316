"""The register's query string as the page keeps it, and as the API takes it:
the same names; only the deadline range is a date in the page's URL and a
time in the API's."""

from django.http import QueryDict

KEYS = ["q", "cpv", "status", "buyer", "flag", "value_min", "value_max", "deadline_after", "deadline_before",
        "ordering", "page"]


def api_query(query: QueryDict) -> dict:
    params = {}
    for key in KEYS:
        value = query.get(key, "").strip()
        if not value:
            continue
        if key == "deadline_after" and len(value) == 10:
            value = f"{value}T00:00:00Z"
        elif key == "deadline_before" and len(value) == 10:
            value = f"{value}T23:59:59Z"
        params[key] = value
    return params

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import errors
from procurement import asyncapi, openapi  # noqa: F401  (openapi registers its schema extension)

api = [
    path("auth/", include("accounts.urls")),
    path("", include("tenders.urls")),
    path("", include("bids.urls")),
    path("", include("audit.urls")),
    path("", include("evaluation.urls")),
    path("", include("auctions.urls")),
    path("", include("clarifications.urls")),
    path("", include("notifications.urls")),
    path("", include("opendata.urls")),
    path("", include("integrity.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("asyncapi/", asyncapi.AsyncApiView.as_view(), name="asyncapi"),
]

urlpatterns = [
    path("api/", include(api)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("frontend.urls")),
]

handler400 = errors.json_400
handler403 = errors.json_403
handler404 = errors.json_404
handler500 = errors.json_500

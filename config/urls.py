import os

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from gongzhi.accounts.web import views as account_views

from .api import api

urlpatterns = [
    path("", account_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("gongzhi.accounts.web.urls")),
    path("e/<int:estate_id>/", include("gongzhi.estate.web.urls")),
    path("e/<int:estate_id>/", include("gongzhi.tickets.web.urls")),
    path("e/<int:estate_id>/", include("gongzhi.notices.web.urls")),
    path("e/<int:estate_id>/", include("gongzhi.notifications.web.urls")),
    path("e/<int:estate_id>/", include("gongzhi.ledger.web.urls")),
    path("e/<int:estate_id>/", include("gongzhi.billing.web.urls")),
    path("e/<int:estate_id>/", include("gongzhi.governance.web.urls")),
    path("e/<int:estate_id>/", include("gongzhi.surveys.web.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

# Benchmark floors (bench/http_bench.py): only when GONGZHI_BENCH_FLOORS=1, which only the benchmark's own server
# sets, so production never serves them.
if os.environ.get("GONGZHI_BENCH_FLOORS") == "1":
    urlpatterns.append(path("bench/", include("config.bench_urls")))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

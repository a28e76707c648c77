"""The project's URLs with the dispatch settings pages included under the ``tickets`` namespace, for their tests
until gongzhi/tickets/web/urls.py includes ``dispatch.urlpatterns`` (afterwards it changes nothing)."""

from django.urls import include, path

from config.urls import urlpatterns as project
from gongzhi.tickets.web import dispatch
from gongzhi.tickets.web import urls as tickets_urls

names = {p.name for p in tickets_urls.urlpatterns if hasattr(p, "name")}
extra = [p for p in dispatch.urlpatterns if p.name not in names]
tickets = (list(tickets_urls.urlpatterns) + extra, "tickets")

urlpatterns = [path("e/<int:estate_id>/", include(tickets))] + [
    p for p in project if getattr(p, "namespace", None) != "tickets"]

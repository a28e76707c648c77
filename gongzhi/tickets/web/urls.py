"""The tickets pages: the resident portal, the staff console, the technician's mobile queue, follow-up visits, the
metrics and the dispatch settings."""

from . import console, dispatch, follow_ups, metrics, portal, technician

app_name = "tickets"
urlpatterns = (portal.urlpatterns + console.urlpatterns + technician.urlpatterns + metrics.urlpatterns
               + follow_ups.urlpatterns + dispatch.urlpatterns)

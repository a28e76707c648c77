"""The tickets pages: the resident portal, the staff console, the technician's mobile queue and the metrics."""

from . import console, metrics, portal, technician

app_name = "tickets"
urlpatterns = portal.urlpatterns + console.urlpatterns + technician.urlpatterns + metrics.urlpatterns

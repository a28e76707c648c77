from django.urls import path

from . import importing, views

app_name = "estate"
urlpatterns = [
    # Resident portal (mobile-first)
    path("", views.portal, name="portal"),
    path("houses/<int:house_id>/", views.my_house, name="my_house"),
    # Staff console
    path("console/", views.console, name="console"),
    path("console/buildings/<int:building_id>/", views.building, name="building"),
    path("console/units/<int:unit_id>/", views.unit, name="unit"),
    path("console/houses/<int:house_id>/", views.house, name="house"),
    path("console/persons/<int:person_id>/", views.person, name="person"),
    path("console/search/", views.search, name="search"),
    path("console/audit/", views.audit_log, name="audit"),
    path("console/import/", importing.import_wizard, name="import"),
    path("console/import/template.xlsx", importing.template_download, name="import_template"),
    path("console/export.xlsx", importing.export_download, name="export"),
]

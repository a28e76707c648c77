"""The two floors the HTTP benchmark (bench/http_bench.py) measures the registry API against.

Mounted at /bench/ by config/urls.py ONLY when the environment variable GONGZHI_BENCH_FLOORS=1 is set, which
bench/http_bench.py does for the server it starts; production never sets it, so it never serves these views.
They run behind the same middleware as every other view, so the difference between them and an API endpoint is
the endpoint's own cost (authentication, membership, queries, schemas).
"""

from django.http import JsonResponse
from django.urls import path

from gongzhi.estate.models import House

CONSTANT_BODY = {"id": 1, "code": "3-2-1502", "number": "1502", "status": "occupied"}
HOUSE_FIELDS = ("id", "number", "floor", "kind", "area_m2", "inner_area_m2", "area_source", "status",
                "developer_held")


def constant(request):
    """Floor (a): the cheapest JSON response this server and middleware can give."""
    return JsonResponse(CONSTANT_BODY)


def house_by_pk(request, pk: int):
    """Floor (b): one row fetched by primary key, no authentication or membership check."""
    try:
        row = House.objects.values(*HOUSE_FIELDS).get(pk=pk)
    except House.DoesNotExist:
        return JsonResponse({"code": "not_found"}, status=404)
    return JsonResponse(row)


urlpatterns = [
    path("constant", constant, name="bench-constant"),
    path("house/<int:pk>", house_by_pk, name="bench-house"),
]

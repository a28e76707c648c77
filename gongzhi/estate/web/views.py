from django.http import Http404
from django.shortcuts import render

from gongzhi.core.web import estate_page

from .. import selectors


@estate_page
def portal(request):
    actor = request.actor
    return render(request, "estate/portal.html", {"actor": actor, "residencies": selectors.my_houses(actor=actor)})


@estate_page
def console(request):
    actor = request.actor
    return render(request, "estate/console.html", {"actor": actor,
                                                   "buildings": selectors.building_list(actor=actor)})


@estate_page
def my_house(request, house_id):
    raise Http404()


@estate_page
def building(request, building_id):
    raise Http404()


@estate_page
def unit(request, unit_id):
    raise Http404()


@estate_page
def house(request, house_id):
    raise Http404()


@estate_page
def person(request, person_id):
    raise Http404()


@estate_page
def search(request):
    raise Http404()


@estate_page
def audit_log(request):
    raise Http404()

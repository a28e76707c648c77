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

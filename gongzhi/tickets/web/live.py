"""Live ticket pages (issue 3: both sides see a change within about 2 s).

The detail page holds a region that htmx polls every 2 s with the version it shows (``?v=``). The poll costs one
small query while nothing changed (``page_selectors.ticket_version``: the ticket row and the newest event, comment,
photo, quote decision and rating the viewer may see) and answers 204, which htmx leaves alone; when the version
differs it answers the refreshed region. A ticket the viewer may not see answers 404, as the page does.
"""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from gongzhi.core.errors import NotFound
from gongzhi.estate.web.views import page_context

from .. import page_selectors

POLL_SECONDS = 2


def version_of(actor, ticket_id: int, *, household_only: bool = False) -> str:
    """The ticket's version now; 404 when the actor may not see it. Taken before the page's content is read, so
    that a change in between is fetched by the next poll rather than missed."""
    version = page_selectors.ticket_version(actor=actor, ticket_id=ticket_id, household_only=household_only)
    if version is None:
        raise NotFound()
    return version


def poll_context(actor, ticket_id: int, url_name: str, version: str) -> dict:
    return {"live_url": reverse(url_name, args=[actor.estate.pk, ticket_id]), "version": version,
            "poll_seconds": POLL_SECONDS}


def respond(request, actor, ticket_id: int, *, template: str, context, household_only: bool = False):
    """``context(version)`` builds the region's context when the version changed."""
    version = version_of(actor, ticket_id, household_only=household_only)
    if request.GET.get("v") == version:
        response = HttpResponse(status=204)
    else:
        response = HttpResponse(render_to_string(template, {**page_context(request), **context(version)},
                                                 request=request))
    add_never_cache_headers(response)
    return response

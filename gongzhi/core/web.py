"""Page glue: the estate is resolved from the URL once per request and membership checked there."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render

from .access import resolve_actor
from .errors import DomainError, NotFound


def estate_page(view):
    """For views under /e/<estate_id>/: anonymous → login; non-member → 404; ``request.actor`` set.
    A DomainError raised by a service is shown on the page with its status."""

    @wraps(view)
    def wrapper(request, estate_id, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            request.actor = resolve_actor(request.user, estate_id)
        except NotFound:
            raise Http404() from None
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except DomainError as error:
            return render(request, "error.html", {"error": error, "actor": request.actor}, status=error.status)

    return wrapper

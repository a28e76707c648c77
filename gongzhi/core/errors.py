"""Domain errors: one shape for the API, the pages and the CLI.

Every error carries a stable machine code and a translatable message. The API renders it as
``{"code", "message", "messages": {"zh-hans", "en"}, "detail"}`` so that a client gets the text in the
caller's language and in both product languages.
"""

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Reason:
    """A translatable text with its named placeholders, rendered in whichever language is active when it is shown,
    so that an error's ``messages`` read right in every product language. ``_("at most %(max)s") % {...}`` would fix
    the text in the language active when the error was raised."""

    def __init__(self, message, **params):
        self.message, self.params = message, params

    def __str__(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)


class DomainError(Exception):
    status = 400
    code = "invalid"
    default_message = _("The request is not valid.")

    def __init__(self, message: Any = None, *, code: str | None = None, detail: Any = None,
                 status: int | None = None, **params: Any):
        self.message = message if message is not None else self.default_message
        self.params = params
        self.code = code or self.code
        self.detail = detail
        if status is not None:
            self.status = status
        super().__init__(str(self.code))

    def text(self, language: str | None = None) -> str:
        if language is None:
            return str(self.message) % self.params if self.params else str(self.message)
        with translation.override(language):
            return self.text()

    def texts(self) -> dict[str, str]:
        return {code: self.text(code) for code, _name in settings.LANGUAGES}

    def as_body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.text(), "messages": self.texts(), "detail": self.detail}


class NotFound(DomainError):
    """Missing, or belongs to another estate: both answer alike so that nothing leaks."""

    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _("This conflicts with the current state.")


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    default_message = _("Please sign in.")

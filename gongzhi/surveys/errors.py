"""Survey and evaluation error codes. Messages are msgids with named placeholders, rendered in the language active
when shown (``gongzhi.core.errors.Reason``)."""

from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import Conflict, DomainError, Forbidden, Reason

__all__ = ["Reason", "already_answered", "answer_invalid", "frozen", "invalid", "not_open", "not_targeted",
           "wrong_status"]


def invalid(field: str, reason, **params) -> DomainError:
    return DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": field, **params},
                       field=field, reason=Reason(reason, **params) if params else reason)


def frozen(what: str = "survey") -> Conflict:
    if what == "evaluation":
        return Conflict(_("This evaluation is published and can no longer change; start a correction instead."),
                        code="evaluation_frozen")
    return Conflict(_("This survey is published: its questions can no longer change."), code="survey_frozen")


def wrong_status(status: str) -> Conflict:
    return Conflict(_("Not possible while the survey is %(state)s."), code="survey_status",
                    detail={"status": status}, state=status)


def already_answered() -> Conflict:
    return Conflict(_("This survey has already been answered for you (one answer per house for owners' surveys, "
                      "one per person otherwise)."), code="already_answered")


def not_open() -> Conflict:
    return Conflict(_("This survey is not open for answers."), code="survey_not_open")


def not_targeted() -> Forbidden:
    return Forbidden(_("This house is not among the houses the survey asks."), code="house_not_targeted")


def answer_invalid(question_position: int, reason, **params) -> DomainError:
    """400 naming the question (by its number as shown, 1-based)."""
    return DomainError(_("Question %(n)s: %(reason)s"), code="answer_invalid",
                       detail={"question": question_position, **params}, n=question_position,
                       reason=Reason(reason, **params) if params else reason)

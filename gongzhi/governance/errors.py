"""Error codes of owners' votes, each with a message in the product's languages (rendered in the reader's
language: the core errors keep the msgid and its parameters). Each helper names the field or the state it is
about, so a page, the API and a test can point at it."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound, Reason

__all__ = ["Reason"]  # re-exported: the services build field reasons with it


def local(moment) -> str:
    """A time as people read it in the estate's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def invalid(field: str, reason, **params) -> DomainError:
    return DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": field, **params},
                       field=field, reason=reason)


def key_reused(key: str) -> Conflict:
    return Conflict(_("The idempotency key %(key)s was already used for a different request."),
                    code="idempotency_key_reused", detail={"key": key}, key=key)


def vote_not_draft(vote) -> Conflict:
    return Conflict(_("This vote is %(state)s: only a draft can be edited. A vote that has opened keeps its items "
                      "and roll; extend it, close it or cancel it instead."), code="vote_not_draft",
                    detail={"status": vote.status}, state=Reason(vote.get_status_display()))


def vote_state(vote, action) -> Conflict:
    return Conflict(_("A vote that is %(state)s cannot be %(action)s."), code="vote_state",
                    detail={"status": vote.status, "action": str(action)}, state=Reason(vote.get_status_display()),
                    action=action)


def vote_not_open(vote, now) -> Conflict:
    if vote.status == "open" and now < vote.opens_at:
        message = _("Voting has not started: it opens at %(opens)s.")
    elif vote.status == "open":
        message = _("Voting has ended: it closed at %(closes)s.")
    else:
        message = _("This vote is not open for ballots (it is %(state)s).")
    return Conflict(message, code="vote_not_open",
                    detail={"status": vote.status, "opens_at": vote.opens_at.isoformat(),
                            "closes_at": vote.closes_at.isoformat()},
                    opens=local(vote.opens_at),
                    closes=local(vote.closes_at), state=Reason(vote.get_status_display()))


def notice_too_short(days_needed: int, days_given, closes_at) -> Conflict:
    return Conflict(_("An owners' assembly must be announced at least %(days)s days before it decides: this vote "
                      "closes %(given)s days from now (at %(closes)s). Move the closing time to at least %(days)s "
                      "days from now."), code="notice_too_short",
                    detail={"notice_days": days_needed, "days_given": str(days_given),
                            "closes_at": closes_at.isoformat()},
                    days=days_needed, given=days_given, closes=local(closes_at))


def not_a_voter() -> Forbidden:
    return Forbidden(_("You cannot vote for this house: only the owners' representative on the frozen roll, or an "
                       "agent with a recorded written proxy, may cast its ballot. Ask the owner for a signed proxy and "
                       "hand it to the owners' committee."), code="not_a_voter")


def not_on_roll() -> NotFound:
    return NotFound(_("This house is not on the roll of this vote."), code="not_on_roll")


def already_voted(item_ids) -> Conflict:
    return Conflict(_("This house has already voted online on this vote. To change the ballot before the vote "
                      "closes, send it again with change=true (the earlier ballot stays on record, the latest "
                      "counts)."), code="already_voted", detail={"items": sorted(item_ids)})


def already_entered(item_ids) -> Conflict:
    return Conflict(_("A written or on-site ballot is already entered for this house on this item. To correct "
                      "it, enter it again with the reason for the correction."), code="already_entered",
                    detail={"items": sorted(item_ids)})


def written_ballot_counts(item_ids) -> Conflict:
    return Conflict(_("A written or on-site ballot of this house is already counted on this vote, and under its "
                      "rules a written ballot takes precedence: an online ballot would not count. Ask the owners' "
                      "committee to correct the written ballot instead."), code="written_ballot_counts",
                    detail={"items": sorted(item_ids)})


def receipt_unknown() -> NotFound:
    return NotFound(_("No ballot of this vote has this receipt code. Check the code as printed on your receipt."),
                    code="receipt_unknown")


def ballots_withheld() -> Forbidden:
    return Forbidden(_("The per-house ballots are published only after the result of an open-ballot vote; this "
                       "vote's are withheld."), code="ballots_withheld")


def proxy_needs_document() -> DomainError:
    return DomainError(_("A proxy needs the scan of the signed written authorisation."),
                       code="proxy_needs_document", detail={"field": "document"})


def proxy_exists() -> Conflict:
    return Conflict(_("This house already has an active proxy on this vote: revoke it first."),
                    code="proxy_exists")

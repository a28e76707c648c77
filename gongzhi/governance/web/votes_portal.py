"""Owners' votes for owners (portal, mobile-first): my votes with my houses' status, the ballot form (one section
per item; change my vote; the receipt code shown once), checking a receipt, and the published result, which is
shared with the console (the layout comes from base_for) and offers everything needed to recount it.

Casting is decided by the ballot service against the frozen roll (the representative, or the agent of a recorded
proxy; DOMAIN.md "Owners' votes"); the form carries an idempotency key, so a double submit casts once."""

import json
from pathlib import Path

from django.http import FileResponse, Http404, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import render_page
from gongzhi.ledger.web.layout import base_for

from .. import ballots, selectors
from ..choices import BallotForm, Channel, Choice, Matter, VoteStatus
from ..policies import VotePolicy
from .forms import CastForm, ReceiptForm

LIST_LIMIT = 30
COUNT_PY = Path(__file__).resolve().parent.parent / "count.py"


def _member(request, action: str = "view"):
    actor = request.actor
    if not VotePolicy.can(actor, action):
        raise Forbidden()
    return actor


@estate_page
def my_votes(request):
    """Open votes first (with what my houses have cast), then the published ones."""
    actor = _member(request)
    rows = list(selectors.vote_list(estate=actor.estate, actor=actor)[:LIST_LIMIT])
    rows = [v for v in rows if v.status != VoteStatus.DRAFT]
    order = {VoteStatus.OPEN: 0, VoteStatus.CLOSED: 1, VoteStatus.PUBLISHED: 2, VoteStatus.CANCELLED: 3}
    rows.sort(key=lambda v: (order.get(v.status, 9), -v.pk))
    houses = {v.pk: ballots.my_voting_houses(actor=actor, vote_id=v.pk) for v in rows
              if v.status == VoteStatus.OPEN}
    return render_page(request, "governance/votes/my_votes.html", {
        "base": base_for(actor), "rows": [{"vote": v, "houses": [house_status(h) for h in houses.get(v.pk, [])]}
                                           for v in rows]})


@estate_page
def vote_cast(request, vote_id):
    """The ballot for one of my houses (``?house=`` when I vote for several). After a cast: the receipt code."""
    actor = _member(request, "cast")
    vote = selectors.vote_get_for_actor(actor=actor, vote_id=vote_id)
    items = list(selectors.vote_items(vote))
    houses = [house_status(h) for h in ballots.my_voting_houses(actor=actor, vote_id=vote.pk)]
    if not houses:
        raise DomainError(_("You cannot vote in this vote: only the representative owner of a house on the roll, "
                            "or an agent with a recorded written authorisation, can. Ask the owners' committee "
                            "about a proxy."), code="not_a_voter", status=403)
    chosen = _chosen_house(request, houses)
    form = CastForm(request.POST or None, items=items,
                    initial={"house": chosen["house_id"], "change": chosen["voted"]})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            receipt = ballots.ballot_cast_online(actor=actor, vote_id=vote.pk, house_id=d["house"],
                                                 answers=d["answers"], change=d["change"],
                                                 idempotency_key=d["idempotency_key"])
        except DomainError as error:
            if error.status == 404:
                raise
            form.add_service_error(error)
        else:
            return render_page(request, "governance/votes/cast_done.html", {
                "base": base_for(actor), "vote": vote, "code": receipt.code, "house": chosen,
                "answers": answers_text(items, d["answers"])})
    return render_page(request, "governance/votes/cast.html", {
        "base": base_for(actor), "vote": vote, "items": items, "houses": houses, "house": chosen, "form": form,
        "open": vote.status == VoteStatus.OPEN and vote.opens_at <= timezone.now() < vote.closes_at,
        "sections": item_sections(form, items)}, status=400 if form.errors else 200)


def _chosen_house(request, houses: list[dict]) -> dict:
    wanted = request.POST.get("house") or request.GET.get("house")
    for house in houses:
        if str(house["house_id"]) == str(wanted):
            return house
    if wanted:
        raise Http404()
    return houses[0]


@estate_page
def vote_receipt(request, vote_id):
    """Check a receipt code: what was cast with it, when, and whether it is the ballot counted now."""
    actor = _member(request, "check_receipt")
    vote = selectors.vote_get_for_actor(actor=actor, vote_id=vote_id)
    form = ReceiptForm(request.POST or request.GET or None)
    found, status = None, 200
    if form.is_bound and form.is_valid():
        try:
            found = ballots.receipt_check(actor=actor, vote_id=vote.pk, code=form.cleaned_data["code"])
        except DomainError as error:
            if error.status != 404 or error.code == "not_found":
                raise
            form.add_error("code", error.text())
            status = 404
    return render_page(request, "governance/votes/receipt.html", {
        "base": base_for(actor), "vote": vote, "form": form,
        "found": receipt_rows(found, list(selectors.vote_items(vote))) if found else None},
        status=status if not form.errors or status != 200 else 400)


DOWNLOADS = {"roll", "dataset", "count", "ballots"}


@estate_page
def vote_result(request, vote_id):
    """The published result (every numerator and denominator, thresholds in words) and the recount downloads."""
    actor = _member(request, "results")
    vote = selectors.vote_get_for_actor(actor=actor, vote_id=vote_id)
    if vote.status != VoteStatus.PUBLISHED or not vote.result:
        raise DomainError(_("The result of this vote is not published yet."), code="result_not_published",
                          status=409)
    download = request.GET.get("download")
    if download in DOWNLOADS:
        return _download(vote, download)
    items = list(selectors.vote_items(vote))
    return render_page(request, "governance/votes/result.html", {
        "base": base_for(actor), "vote": vote, "result": vote.result,
        "items": result_items(vote.result, items), "rules": rules_text(vote.result),
        "open_ballot": not vote.secret, "matter_labels": dict(Matter.choices), "choices": dict(Choice.choices),
        "election": BallotForm.ELECTION})


def _json_download(data, filename: str) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _download(vote, what: str):
    from .. import published

    if what == "count":
        response = FileResponse(COUNT_PY.open("rb"), content_type="text/x-python; charset=utf-8",
                                as_attachment=True, filename="count.py")
        return response
    if what == "roll":
        return _json_download({"vote": vote.pk, "roll_sha256": vote.roll_sha256,
                               "roll": published.published_roll(vote)}, f"vote-{vote.pk}-roll.json")
    if what == "dataset":
        return _json_download(published.published_dataset(vote), f"vote-{vote.pk}.json")
    rows, cursor = [], None
    while True:  # every page of the published per-house list (403 ballots_withheld when secret)
        page = selectors.ballot_list_published(vote, cursor=cursor, limit=1000)
        rows.extend(page.items)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    return _json_download({"vote": vote.pk, "ballots": rows}, f"vote-{vote.pk}-ballots.json")


# --- presenting -----------------------------------------------------------------------------------------------------
# Shared with the console (votes_console imports these): what the templates show, in words and with every figure.

def house_status(row: dict) -> dict:
    """A house I may vote for (ballots.my_voting_houses) with whether anything is cast for it yet."""
    cast = row.get("cast") or row.get("ballots") or {}
    return {**row, "house_id": row["house_id"], "house_code": row.get("house_code") or row.get("code", ""),
            "voted": bool(row.get("voted", cast)), "cast": cast}


def threshold_words(threshold: dict) -> str:
    """{"fraction": "3/4", "comparison": "at least", "base": ...} in words: "at least 3/4"."""
    fraction = threshold.get("fraction", "")
    if threshold.get("comparison") == "more than":
        return _("more than %(fraction)s") % {"fraction": fraction}
    return _("at least %(fraction)s") % {"fraction": fraction}


def base_words(threshold: dict) -> str:
    if threshold.get("base") == "total":
        return _("of the total voting area and of the total headcount")
    return _("of the participating area and of the participating headcount")


def item_sections(form, items) -> list[dict]:
    return [{"item": item, "field": form[f"item_{item.pk}"], "election": item.form == BallotForm.ELECTION,
             "special": item.matter in {Matter.FUND_RAISE, Matter.REBUILD, Matter.COMMON_USE}} for item in items]


def _answer_text(item, answer: dict) -> str:
    if "choice" in answer:
        return str(dict(Choice.choices).get(answer["choice"], answer["choice"]))
    labels = {o.pk: o.label for o in item.options.all()}
    picked = [labels.get(pk, str(pk)) for pk in answer.get("options") or []]
    return ", ".join(picked) if picked else _("blank ballot")


def answers_text(items, answers: dict) -> list[dict]:
    return [{"item": item, "text": _answer_text(item, answers[item.pk])} for item in items if item.pk in answers]


def receipt_rows(found: dict, items) -> dict:
    """receipt_check's answer with each ballot's item and choice in words."""
    by_id = {item.pk: item for item in items}
    rows = []
    for ballot in found.get("ballots") or []:
        item = by_id.get(ballot.get("item_id"))
        text = ballot.get("label") or ", ".join(ballot.get("labels") or []) or _("blank ballot")
        replaced = ballot.get("replaced_by") or {}
        rows.append({**ballot, "item_obj": item, "text": text,
                     "replaced_by_channel": str(dict(Channel.choices).get(replaced.get("channel"), ""))})
    return {**found, "rows": rows}


def result_items(result: dict, items) -> list[dict]:
    """The published result per item, with the item's title, option labels and the thresholds in words."""
    by_id = {item.pk: item for item in items}
    shown = []
    for row in result.get("items", []):
        item = by_id.get(row["id"])
        part = row["participation"]
        approval = row.get("approval") or {}
        entry = {**row, "item": item, "participation_words": threshold_words(part["area"]),
                 "approval_words": threshold_words(approval), "approval_base": base_words(approval)}
        if row.get("form") == BallotForm.ELECTION:
            entry["candidates"] = row.get("candidates", [])
        shown.append(entry)
    return shown


def rules_text(result: dict) -> dict:
    rules = result.get("rules") or {}
    return {"rule_set": result.get("rule_set", ""), "participation_area": rules.get("participation_area", "2/3"),
            "participation_heads": rules.get("participation_heads", "2/3"),
            "simple": rules.get("simple_majority", "1/2"), "special": rules.get("special_majority", "3/4"),
            "written_first": rules.get("written_overrides_online", False),
            "non_voters": rules.get("non_voters_follow_majority", False),
            "clause": result.get("non_voter_clause", "")}


urlpatterns = [
    path("votes/mine/", my_votes, name="my_votes"),
    path("votes/<int:vote_id>/cast/", vote_cast, name="vote_cast"),
    path("votes/<int:vote_id>/receipt/", vote_receipt, name="vote_receipt"),
    path("votes/<int:vote_id>/result/", vote_result, name="vote_result"),
]

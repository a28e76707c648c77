"""What anyone can download about a vote: the frozen roll (from the opening), and after the close the ballots and the
result, in the form ``count.py`` recounts (docs/governance/recount.md).

The roll never names people: house code, voting area and its source, headcount unit and kind. Open-ballot votes
publish each ballot with its house code; secret votes replace the house with a token (HMAC-SHA256 under a key derived
from settings.SECRET_KEY, of the vote id and the house id) and the unit with a pseudonym, and sort ballots by token.
That secrecy has limits, spelled out in the recount document: a secret ballot still carries its house's area (the
tally needs it), so a house with an area nobody else has can be recognised; and the platform itself can always
link a token to its house."""

from django.utils.crypto import salted_hmac

from . import count
from .roll import unit_ranks

FORMAT = "gongzhi-vote/1"


def receipt_digest(code: str) -> str:
    """A receipt code's SHA-256 (hex), as Ballot.receipt_sha256 stores it; published ballots carry its first 16
    characters so an owner can find their own ballot. Codes are compared trimmed and upper-cased."""
    return count.receipt_digest(code)


def canonical_json(data) -> bytes:
    """The canonical JSON of the published forms (sorted keys, no spaces, UTF-8): what roll_sha256 and result_sha256
    digest."""
    return count.canonical_json(data)


def roll_publication(rows) -> tuple[list[dict], str]:
    """(published roll, its SHA-256) from (house id, house code, area "89.50", area source, unit, head kind) rows.
    Rows are published in house-id order; ``rank`` orders a unit's houses (largest area first, then lowest id): the
    counted ballot of the lowest rank speaks for the unit's head."""
    rows = sorted(rows, key=lambda r: r[0])
    ranks = unit_ranks([(r[0], r[4], count.to_cents(r[2])) for r in rows])
    roll = [{"house": code, "area": area, "area_source": source, "unit": unit, "head_kind": kind,
             "rank": ranks[house_id]} for house_id, code, area, source, unit, kind in rows]
    return roll, count.roll_digest(roll)


def _roll_rows(vote) -> list[tuple]:
    from .models import RollEntry

    return [(house_id, code, f"{area:.2f}", source, unit, kind) for house_id, code, area, source, unit, kind in
            RollEntry.objects.filter(vote=vote).order_by("house_id")
            .values_list("house_id", "house_code", "area_m2", "area_source", "head_unit", "head_kind")]


def published_roll(vote) -> list[dict]:
    """The frozen roll as published with the vote (house code, area, area source, unit, head kind, rank)."""
    return roll_publication(_roll_rows(vote))[0]


def ballot_token(vote, house_id: int) -> str:
    return salted_hmac("gongzhi.governance.ballot-token", f"{vote.id}:{house_id}", algorithm="sha256").hexdigest()[:32]


def unit_pseudonym(vote, unit: str) -> str:
    return "p:" + salted_hmac("gongzhi.governance.unit", f"{vote.id}:{unit}", algorithm="sha256").hexdigest()[:16]


def published_dataset(vote) -> dict:
    """Roll, items, ballots (house codes when open-ballot; tokens when secret), rules and, once published, the result
    with its digest: everything ``count.py`` needs to recount the vote."""
    from .tally import vote_dataset

    dataset = vote_dataset(vote, include_houses=not vote.secret)
    dataset["format"] = FORMAT
    dataset["vote"].update({
        "opened_at": vote.opened_at.isoformat() if vote.opened_at else None,
        "closed_at": vote.closed_at.isoformat() if vote.closed_at else None,
    })
    if vote.result is not None:
        dataset["result"], dataset["result_sha256"] = vote.result, vote.result_sha256
    return dataset

"""The Django side of the tally: read the frozen roll and the ballots (``values_list``, no model instances), build
the published dataset and hand it to the pure engine ``count.tally``. The platform counts with exactly what it
publishes, so a recount from the downloaded file gives the same result digest."""

import json

from django.db import connection
from django.db.models import Count, Sum

from . import count
from .models import Ballot, RollEntry
from .published import _roll_rows, ballot_token, roll_publication, unit_pseudonym
from .roll import unit_ranks


def _items(vote) -> list[dict]:
    from .models import VoteOption

    options: dict[int, list] = {}
    for item_id, option_id, position, label in (VoteOption.objects.filter(item__vote=vote)
                                                .order_by("item_id", "position")
                                                .values_list("item_id", "id", "position", "label")):
        options.setdefault(item_id, []).append({"id": option_id, "position": position, "label": label})
    return [{"id": item_id, "position": position, "matter": matter, "form": form, "seats": seats,
             "options": options.get(item_id, [])}
            for item_id, position, matter, form, seats in
            vote.items.order_by("position").values_list("id", "position", "matter", "form", "seats")]


def vote_dataset(vote, *, include_houses: bool) -> dict:
    """The vote in its published form. ``include_houses``: ballots name their house code (open ballot); otherwise a
    token, the house's area, a pseudonym of its unit and its rank in the unit (secret ballot), sorted by token.
    Every ballot on record is listed (replaced ones too) with ``seq``, its order among the house's ballots on the
    item; which one counts is the engine's decision."""
    rows = _roll_rows(vote)
    roll, _digest = roll_publication(rows)
    houses = {row[0]: published for row, published in zip(sorted(rows, key=lambda r: r[0]), roll, strict=True)}
    voters: dict[int, dict] = {}
    seqs: dict[tuple, int] = {}
    ballots = []
    for item_id, house_id, channel, choice, options, receipt in (
            Ballot.objects.filter(vote=vote).order_by("id")
            .values_list("item_id", "house_id", "channel", "choice", "options", "receipt_sha256")):
        voter = voters.get(house_id)
        if voter is None:
            entry = houses.get(house_id)
            if entry is None:  # refused when cast; kept visible rather than silently dropped
                voter = {"house": f"#{house_id}"}
            elif include_houses:
                voter = {"house": entry["house"]}
            else:
                voter = {"token": ballot_token(vote, house_id), "area": entry["area"],
                         "unit": unit_pseudonym(vote, entry["unit"]), "rank": entry["rank"]}
            voters[house_id] = voter
        key = (item_id, house_id)
        seq = seqs[key] = seqs.get(key, 0) + 1
        ballots.append({**voter, "item": item_id, "choice": choice, "options": options or [], "channel": channel,
                        "seq": seq, "receipt": receipt[:16]})
    if not include_houses:
        ballots.sort(key=lambda b: (b["token"], b["item"], b["seq"]))
    return {
        "vote": {"id": vote.id, "title": vote.title, "secret": vote.secret, "rule_set": vote.rule_set,
                 "roll_sha256": vote.roll_sha256,
                 "total_area": f"{vote.total_area_m2:.2f}" if vote.total_area_m2 is not None else None,
                 "total_heads": vote.total_heads},
        "rules": vote.rules,
        "rule_set": vote.rule_set,
        "non_voter_clause": vote.non_voter_clause,
        "fund_scope": vote.fund_project_id is not None,
        "items": _items(vote),
        "roll": roll,
        "ballots": ballots,
    }


def _options_reader():
    """A ballot's options as the cursor gives them (JSON text, or already decoded), as a tuple. The same few texts
    repeat across a vote (a choice of one, a set of candidates), so each distinct text is parsed once."""
    parsed: dict = {}

    def read(value):
        if isinstance(value, list):
            return tuple(value)
        if value in ("[]", None):
            return ()
        found = parsed.get(value)
        if found is None:
            found = parsed[value] = tuple(json.loads(value))
        return found

    return read


def vote_tally(vote) -> dict:
    """The exact result of the vote: what ``count.tally`` gives over its published form
    (``vote_dataset(vote, include_houses=True)``), computed by the same engine straight from the rows: houses by id,
    a ballot's id as its seq (the same order as the published per-house seq). The tests hold the two equal.

    Two plain cursor reads (100,000 houses, 200,000+ ballots: no model or converter per row). The area is read as
    whole hundredths of m² (ROUND of area × 100: exact, the column holds 2 decimals)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT house_id, CAST(ROUND(area_m2 * 100) AS INTEGER), head_unit "  # noqa: S608
                       f"FROM {RollEntry._meta.db_table} WHERE vote_id = %s", [vote.pk])
        roll = cursor.fetchall()
        cursor.execute(f"SELECT item_id, house_id, channel, id, choice, options "  # noqa: S608
                       f"FROM {Ballot._meta.db_table} WHERE vote_id = %s", [vote.pk])
        options_of = _options_reader()
        ballots = [(item, house, channel, seq, choice, options_of(options))
                   for item, house, channel, seq, choice, options in cursor.fetchall()]
    ranks = unit_ranks([(house_id, unit, int(cents)) for house_id, cents, unit in roll])
    voters = {house_id: (int(cents), unit, ranks[house_id]) for house_id, cents, unit in roll}
    return count.tally_rows(rules=vote.rules, items=_items(vote), voters=voters,
                            total_area=sum(int(cents) for _h, cents, _u in roll),
                            total_heads=len({unit for _h, _c, unit in roll}), ballots=ballots,
                            rule_set=vote.rule_set, non_voter_clause=vote.non_voter_clause,
                            fund_scope=vote.fund_project_id is not None)


def _voted(vote, item=None):
    ballots = Ballot.objects.filter(vote=vote)
    if item is not None:
        ballots = ballots.filter(item=item)
    return RollEntry.objects.filter(vote=vote, house_id__in=ballots.values("house_id"))


def _figures(queryset) -> tuple[int, int, int]:
    row = queryset.aggregate(houses=Count("id"), area=Sum("area_m2"), heads=Count("head_unit", distinct=True))
    return row["houses"], count.to_cents(f"{row['area'] or 0:.2f}"), row["heads"]


def vote_progress(vote) -> dict:
    """Live progress against both participation floors: houses, area and heads with at least one ballot (every
    house with a ballot has a counted one), for the vote and per item. A few aggregate queries (two per item)."""
    rules = vote.rules or {}
    total_area = count.to_cents(f"{vote.total_area_m2 or 0:.2f}")
    total_heads = vote.total_heads or 0
    total_houses = RollEntry.objects.filter(vote=vote).count()
    floor_area, floor_heads = (count.participation_thresholds(rules) if rules else (None, None))

    def block(houses, area, heads):
        return {"houses": houses, "area": count.from_cents(area), "heads": heads,
                "area_met": bool(floor_area and floor_area.met(area, total_area)),
                "heads_met": bool(floor_heads and floor_heads.met(heads, total_heads))}

    overall = block(*_figures(_voted(vote)))
    items = [{"id": item_id, "position": position, **block(*_figures(_voted(vote, item_id)))}
             for item_id, position in vote.items.order_by("position").values_list("id", "position")]
    return {
        "total_houses": total_houses, "total_area": count.from_cents(total_area), "total_heads": total_heads,
        "floor_area": floor_area.as_json() if floor_area else None,
        "floor_heads": floor_heads.as_json() if floor_heads else None,
        **overall,
        "met": overall["area_met"] and overall["heads_met"],
        "items": items,
    }


def houses_not_voted(vote):
    """Roll entries of the houses with no ballot on any item yet: whom to remind."""
    return RollEntry.objects.filter(vote=vote).exclude(
        house_id__in=Ballot.objects.filter(vote=vote).values("house_id")).order_by("house_id")

"""Gongzhi owners' vote recount: the exact tally of a vote from its published roll and ballots.

This file is the engine the platform itself counts with, and it is served as is to owners: anyone can recount a
vote with nothing but Python 3.10+ (standard library only, no Django):

    python count.py vote-123.json                 # recount, compare with the published result; exit 0 when equal
    python count.py vote-123.json --receipt CODE  # also show the ballots cast with your receipt code

The rules applied (DOMAIN.md "Owners' votes", Civil Code art. 278):
- participation: at least 2/3 of the total voting area AND at least 2/3 of the total headcount took part;
- approval of matters (6) raising the maintenance fund, (7) rebuilding, (8) changing the use of common parts: at
  least 3/4 of the participating area AND headcount; of everything else: MORE than 1/2 of both; where the local rule
  says so, using the maintenance fund (5) by a project's charge scope needs at least 2/3 of the scope's TOTAL area and
  headcount;
- one counted ballot per house and item: with the written-over-online rule, a written or on-site ballot beats any
  online one; otherwise, and within the same rank, the latest (highest ``seq``) counts;
- headcount: a unit (one owner of several houses, co-owners of one house, all the developer's houses) counts once,
  with the counted ballot of its house of the largest area (``rank`` 0; ties: the lowest house id); area counts per
  house.
Areas are compared as integer hundredths of m² and shares as exact fractions: never floating point.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from operator import itemgetter

SPECIAL_MATTERS = frozenset({"fund_raise", "rebuild", "common_use"})  # art. 278 matters (6), (7), (8)
FUND_USE = "fund_use"  # matter (5)
STRONG_CHANNELS = frozenset({"written", "onsite"})
YES_NO_CHOICES = ("for", "against", "abstain")


# --- exact thresholds --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Threshold:
    fraction: Fraction
    strict: bool  # True: more than; False: at least
    base: str  # "participating" or "total"

    def met(self, part: int, whole: int) -> bool:
        """Exact integer arithmetic: part / whole > (or >=) num / den  <=>  part * den > (>=) num * whole. Nothing
        is met against an empty whole."""
        if whole <= 0:
            return False
        left, right = part * self.fraction.denominator, self.fraction.numerator * whole
        return left > right if self.strict else left >= right

    def as_json(self) -> dict:
        return {"fraction": f"{self.fraction.numerator}/{self.fraction.denominator}",
                "comparison": "more than" if self.strict else "at least", "base": self.base}


def _rule(rules, name: str):
    return rules[name] if isinstance(rules, dict) else getattr(rules, name)


def threshold_for(matter: str, rules, *, fund_scope: bool) -> Threshold:
    """The approval rule of an item by its art. 278 matter (see the module's docstring)."""
    if matter == FUND_USE and fund_scope and _rule(rules, "fund_two_thirds"):
        return Threshold(Fraction(2, 3), False, "total")
    if matter in SPECIAL_MATTERS:
        return Threshold(Fraction(_rule(rules, "special_majority")), False, "participating")
    return Threshold(Fraction(_rule(rules, "simple_majority")), True, "participating")


def participation_thresholds(rules) -> tuple[Threshold, Threshold]:
    return (Threshold(Fraction(_rule(rules, "participation_area")), False, "total"),
            Threshold(Fraction(_rule(rules, "participation_heads")), False, "total"))


# --- areas as integer hundredths of m² ----------------------------------------------------------------------------
def to_cents(text) -> int:
    """ "1234.56" -> 123456, exactly (a string or an int; never a float)."""
    if isinstance(text, bool) or isinstance(text, float):
        raise ValueError(f"area {text!r}: write areas as strings such as \"89.50\", never as floats")
    if isinstance(text, int):
        return text * 100
    if type(text) is str and len(text) > 3 and text[-3] == ".":  # the usual "1234.56": the fast path
        whole, frac = text[:-3], text[-2:]
        if whole.isdigit() and frac.isdigit():
            return int(whole) * 100 + int(frac)
    whole, _dot, frac = str(text).strip().partition(".")
    frac = frac.rstrip("0") if len(frac) > 2 else frac
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2:
        raise ValueError(f"area {text!r}: expected a non-negative number with at most 2 decimals")
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)


def from_cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


# --- canonical JSON and digests -----------------------------------------------------------------------------------
def canonical_json(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_of(data) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()


def roll_digest(roll: list) -> str:
    """The roll's digest as recorded on the vote when it opened: SHA-256 of the canonical published roll (rows in
    the order published)."""
    return sha256_of(roll)


def result_digest(result: dict) -> str:
    return sha256_of(result)


def receipt_digest(code: str) -> str:
    """A receipt code's SHA-256 (hex); published ballots carry its first 16 characters."""
    return hashlib.sha256(code.strip().upper().encode("utf-8")).hexdigest()


# --- which ballot counts ------------------------------------------------------------------------------------------
STRONG = 1 << 62  # added to the seq of a written or on-site ballot when those take precedence: outranks any seq


def _rank(strong: bool, channel: str, seq: int) -> int:
    return seq + STRONG if strong and channel in STRONG_CHANNELS else seq


def counted(ballots, rules) -> dict:
    """{(item, house or token): ballot}: the one counted ballot per house and item. Precedence (DOMAIN.md): with
    written_overrides_online a written or on-site ballot beats any online one; otherwise, and within a rank, the
    highest seq (the latest) counts."""
    strong = bool(_rule(rules, "written_overrides_online"))
    best: dict = {}
    for ballot in ballots:
        key = (ballot["item"], ballot["house"] if "house" in ballot else ballot["token"])
        rank = _rank(strong, ballot["channel"], ballot["seq"])
        held = best.get(key)
        if held is None or rank > held[0]:
            best[key] = (rank, ballot)
        elif rank == held[0]:
            raise ValueError(f"two ballots with seq {ballot['seq']} for item {key[0]}, {key[1]}")
    return {key: ballot for key, (_rank_, ballot) in best.items()}


def _best(rows, strong: bool) -> tuple[list, dict]:
    """The counted rows (one per item and voter) and how many ballots each item has on record. ``rows``: (item,
    voter, channel, seq, choice, options) tuples; seq is unique per item and voter. Sorted by precedence, the last
    row of each (item, voter) is the one that counts (a dict keeps the last value written)."""
    if strong:
        ordered = sorted(rows, key=lambda r: r[3] + STRONG if r[2] in STRONG_CHANNELS else r[3])
    else:
        ordered = sorted(rows, key=itemgetter(3))
    best = {(r[0], r[1]): r for r in ordered}
    return list(best.values()), Counter(map(itemgetter(0), ordered))


# --- the tally ----------------------------------------------------------------------------------------------------
def _measure(threshold: Threshold, area: int, heads: int, area_whole: int, heads_whole: int) -> dict:
    return {"area": from_cents(area), "area_of": from_cents(area_whole),
            "heads": heads, "heads_of": heads_whole,
            "area_met": threshold.met(area, area_whole), "heads_met": threshold.met(heads, heads_whole)}


def _sums(item: dict, rows: list, voters: dict) -> tuple[int, int, dict, dict]:
    """(participating area, participating heads, area per answer, heads per answer) of one item. Area counts per
    house; a unit counts once, with the counted ballot of its house of the lowest rank (the largest area)."""
    form = item.get("form", "yes_no")
    keys = YES_NO_CHOICES if form == "yes_no" else [option["id"] for option in item["options"]]
    valid = set(keys)
    at_most = 1 if form == "choose_one" else int(item.get("seats") or 0)
    area = dict.fromkeys(keys, 0)
    part = 0
    heads: dict = {}
    for _item, voter, _channel, _seq, choice, options in rows:
        try:
            cents, unit, rank = voters[voter]
        except KeyError:
            raise ValueError(f"a ballot names house {voter!r}, which is not on the roll") from None
        part += cents
        if form == "yes_no":
            if choice not in valid:
                raise ValueError(f"item {item['id']}: choice {choice!r} is not for / against / abstain")
            area[choice] += cents
            answer = choice
        else:
            if len(options) > at_most or not valid.issuperset(options) or len(set(options)) != len(options):
                raise ValueError(f"item {item['id']}: ballot options {list(options)!r} are not valid")
            for pick in options:
                area[pick] += cents
            answer = options
        if rank == 0:  # the unit's largest house (most units have one house): it speaks for the unit
            heads[unit] = (0, answer)
        else:
            held = heads.get(unit)
            if held is None or rank < held[0]:
                heads[unit] = (rank, answer)
    count = dict.fromkeys(keys, 0)
    if form == "yes_no":
        for held in heads.values():
            count[held[1]] += 1
    else:
        for held in heads.values():
            for pick in held[1]:
                count[pick] += 1
    return part, len(heads), area, count


def _leader(yes: int, no: int):
    return "for" if yes > no else "against" if no > yes else None


def _yes_no(area, count, part, approval, whole, totals, participation_met, rules) -> dict:
    area_whole, heads_whole = whole
    part_area, part_heads = part
    for_area, for_heads = area["for"], count["for"]
    added = None
    # Non-voters counted with the majority (only when the covenant or assembly rules say so, and only once both
    # participation floors are met): the non-participating area and heads join the side leading among participants.
    if _rule(rules, "non_voters_follow_majority") and participation_met:
        total_area, total_heads = totals
        nv_area, nv_heads = total_area - part_area, total_heads - part_heads
        side_area, side_heads = _leader(area["for"], area["against"]), _leader(count["for"], count["against"])
        added = {"area": from_cents(nv_area), "area_side": side_area, "heads": nv_heads, "heads_side": side_heads}
        if approval.base == "participating":
            area_whole, heads_whole = area_whole + nv_area, heads_whole + nv_heads
        for_area += nv_area if side_area == "for" else 0
        for_heads += nv_heads if side_heads == "for" else 0
    measure = _measure(approval, for_area, for_heads, area_whole, heads_whole)
    return {
        "votes": {choice: {"area": from_cents(area[choice]), "heads": count[choice]} for choice in YES_NO_CHOICES},
        "non_voters_added": added,
        "approval": {**approval.as_json(), **measure},
        "passes": participation_met and measure["area_met"] and measure["heads_met"],
    }


def _choose_one(item, area, count, approval, whole, participation_met) -> dict:
    options, meeting = [], []
    for option in sorted(item["options"], key=lambda o: (o.get("position", 0), str(o["id"]))):
        measure = _measure(approval, area[option["id"]], count[option["id"]], *whole)
        options.append({"id": option["id"], "label": option.get("label", ""), **measure})
        if measure["area_met"] and measure["heads_met"]:
            meeting.append(option["id"])
    adopted = meeting[0] if participation_met and len(meeting) == 1 else None
    return {"approval": approval.as_json(), "options": options, "adopted": adopted, "passes": adopted is not None}


def _election(item, area, count, approval, whole, participation_met) -> dict:
    seats = int(item.get("seats") or 0)
    candidates = []
    for option in item["options"]:
        measure = _measure(approval, area[option["id"]], count[option["id"]], *whole)
        candidates.append({"id": option["id"], "label": option.get("label", ""), "position": option.get("position", 0),
                           **measure, "qualified": measure["area_met"] and measure["heads_met"]})
    # Ranked by area, then heads, then their position on the ballot (the last only orders equals for display).
    candidates.sort(key=lambda c: (-area[c["id"]], -count[c["id"]], c["position"], str(c["id"])))
    qualified = [c for c in candidates if c["qualified"]] if participation_met else []
    elected, tie = qualified[:seats], False
    if len(qualified) > seats > 0:
        last, first_out = qualified[seats - 1], qualified[seats]
        tied = (area[last["id"]], count[last["id"]])
        if tied == (area[first_out["id"]], count[first_out["id"]]):
            # A tie at the last seat: none of the tied candidates takes it; those seats stay unfilled.
            elected, tie = [c for c in elected if (area[c["id"]], count[c["id"]]) != tied], True
    chosen = {c["id"] for c in elected}
    for rank, candidate in enumerate(candidates, 1):
        candidate["rank"] = rank
        candidate["elected"] = candidate["id"] in chosen
    return {"approval": approval.as_json(), "seats": seats, "candidates": candidates,
            "elected": [c["id"] for c in elected], "unfilled": seats - len(elected), "tie": tie,
            "complete": len(elected) == seats, "passes": bool(elected)}


def tally_rows(*, rules, items: list, voters: dict, total_area: int, total_heads: int, ballots, rule_set: str = "",
               non_voter_clause: str = "", fund_scope: bool = False) -> dict:
    """The engine proper, on plain rows: ``voters`` maps a voter key (a house, or a secret ballot's token) to
    (area in hundredths of m², unit, rank in the unit); ``ballots`` are (item, voter, channel, seq, choice,
    options) tuples. ``tally`` (the published form) and the platform's own tally both come here."""
    best, on_record = _best(ballots, bool(_rule(rules, "written_overrides_online")))
    unknown = set(on_record) - {item["id"] for item in items}
    if unknown:
        raise ValueError(f"ballots name items {sorted(map(str, unknown))}, which are not on the vote")
    floor_area, floor_heads = participation_thresholds(rules)
    by_item: dict = {}
    for row in best:
        by_item.setdefault(row[0], []).append(row)
    results = []
    for item in sorted(items, key=lambda i: (i.get("position", 0), str(i["id"]))):
        item_id = item["id"]
        per = by_item.get(item_id, [])
        part_area, part_heads, area, count = _sums(item, per, voters)
        participation = {
            "area": {"part": from_cents(part_area), "whole": from_cents(total_area), **floor_area.as_json(),
                     "met": floor_area.met(part_area, total_area)},
            "heads": {"part": part_heads, "whole": total_heads, **floor_heads.as_json(),
                      "met": floor_heads.met(part_heads, total_heads)},
        }
        met = participation["met"] = participation["area"]["met"] and participation["heads"]["met"]
        approval = threshold_for(item["matter"], rules, fund_scope=fund_scope)
        whole = (part_area, part_heads) if approval.base == "participating" else (total_area, total_heads)
        form = item.get("form", "yes_no")
        if form == "yes_no":
            body = _yes_no(area, count, (part_area, part_heads), approval, whole, (total_area, total_heads), met,
                           rules)
        elif form == "choose_one":
            body = _choose_one(item, area, count, approval, whole, met)
        elif form == "election":
            body = _election(item, area, count, approval, whole, met)
        else:
            raise ValueError(f"item {item['id']}: unknown ballot form {form!r}")
        results.append({"id": item["id"], "position": item.get("position", 0), "matter": item["matter"],
                        "form": form, "counted": len(per), "replaced": on_record.get(item["id"], 0) - len(per),
                        "participation": participation, **body})
    return {
        "rules": dict(rules) if isinstance(rules, dict) else rules.as_json(),
        "rule_set": rule_set,
        "non_voter_clause": non_voter_clause,
        "fund_scope": bool(fund_scope),
        "total_area": from_cents(total_area),
        "total_heads": total_heads,
        "items": results,
        "passes_by_item": {str(r["id"]): r["passes"] for r in results},
    }


def tally(dataset: dict) -> dict:
    """The result of a vote from its published form (roll, ballots, rules): every item's participation and
    approval with every numerator and denominator. Deterministic and independent of the order of rows."""
    voters: dict = {}
    units: set = set()
    total_area = 0
    for row in dataset["roll"]:
        if row["house"] in voters:
            raise ValueError(f"house {row['house']} appears twice on the roll")
        cents = to_cents(row["area"])
        voters[row["house"]] = (cents, row["unit"], row.get("rank", 0))
        units.add(row["unit"])
        total_area += cents
    rows = []
    for ballot in dataset["ballots"]:
        if "house" in ballot:
            voter = ballot["house"]
        else:  # a secret ballot carries its house's area, its unit's pseudonym and its rank in the unit
            voter = ("token", ballot["token"])
            known = (to_cents(ballot["area"]), ballot["unit"], ballot.get("rank", 0))
            if voters.setdefault(voter, known) != known:
                raise ValueError(f"token {ballot['token']} is published with two different areas or units")
        rows.append((ballot["item"], voter, ballot["channel"], ballot["seq"], ballot.get("choice", ""),
                     tuple(ballot.get("options") or ())))
    vote = dataset.get("vote") or {}
    return tally_rows(rules=dataset["rules"], items=dataset["items"], voters=voters, total_area=total_area,
                      total_heads=len(units), ballots=rows, rule_set=dataset.get("rule_set", vote.get("rule_set", "")),
                      non_voter_clause=dataset.get("non_voter_clause", ""), fund_scope=bool(dataset.get("fund_scope")))


# --- the command line ---------------------------------------------------------------------------------------------
def _summary(result: dict) -> str:
    lines = [f"Total voting area {result['total_area']} m², headcount {result['total_heads']}; "
             f"rule set {result['rule_set'] or '-'}"]
    for item in result["items"]:
        p = item["participation"]
        lines.append(f"Item {item['position']} ({item['matter']}, {item['form']}): participation "
                     f"{p['area']['part']}/{p['area']['whole']} m², {p['heads']['part']}/{p['heads']['whole']} "
                     f"heads ({'met' if p['met'] else 'NOT met'}); "
                     f"{'PASSES' if item['passes'] else 'does not pass'}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] in {"-h", "--help"}:
        print(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        dataset = json.load(handle)
    ok = True
    recorded = (dataset.get("vote") or {}).get("roll_sha256")
    if recorded:
        same = roll_digest(dataset["roll"]) == recorded
        ok &= same
        print(f"Roll digest {'matches' if same else 'DOES NOT MATCH'} the one recorded when the vote opened.")
    if "--receipt" in argv[2:]:
        code = argv[argv.index("--receipt") + 1]
        mine = [b for b in dataset["ballots"] if b.get("receipt") == receipt_digest(code)[:16]]
        print(f"Ballots with this receipt: {len(mine)}")
        for ballot in mine:
            print(json.dumps(ballot, ensure_ascii=False, sort_keys=True))
    result = tally(dataset)
    print(_summary(result))
    digest = result_digest(result)
    published = dataset.get("result_sha256") or (result_digest(dataset["result"]) if dataset.get("result") else "")
    print(f"Recomputed result SHA-256: {digest}")
    if not published:
        print("No published result in this file to compare with.")
        return 1
    same = digest == published
    print(f"Published result SHA-256:  {published}\nThe recount {'MATCHES' if same else 'DOES NOT MATCH'} "
          "the published result.")
    print(json.dumps(result, ensure_ascii=False, sort_keys=True, indent=1))
    return 0 if ok and same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

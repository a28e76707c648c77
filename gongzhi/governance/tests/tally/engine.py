"""Builders of published-form datasets for the pure engine's tests (count.py knows nothing of Django)."""

NATIONAL = {"participation_area": "2/3", "participation_heads": "2/3", "simple_majority": "1/2",
            "special_majority": "3/4", "fund_two_thirds": False, "non_voters_follow_majority": False,
            "written_overrides_online": True, "parking_spaces_count": False}


def roll(*houses):
    """houses: (code, area) with a unit of its own, or (code, area, unit). Ranks: largest area first, then order."""
    rows = [{"house": h[0], "area": h[1], "unit": h[2] if len(h) > 2 else f"u:{h[0]}"} for h in houses]
    by_unit: dict = {}
    for index, row in sorted(enumerate(rows), key=lambda p: (-int(p[1]["area"].replace(".", "")), p[0])):
        row["rank"] = by_unit.get(row["unit"], 0)
        by_unit[row["unit"]] = row["rank"] + 1
    return rows


def dataset(houses, ballots, *, matter="other", form="yes_no", seats=None, options=(), fund_scope=False, **rules):
    """ballots: (house, choice) for yes/no items, (house, [option ids]) otherwise; or full dicts."""
    items = [{"id": 1, "position": 1, "matter": matter, "form": form, "seats": seats,
              "options": [{"id": o, "position": n, "label": f"option {o}"} for n, o in enumerate(options, 1)]}]
    rows = []
    for n, ballot in enumerate(ballots, 1):
        if isinstance(ballot, dict):
            rows.append({"item": 1, "channel": "online", "seq": n, "choice": "", "options": [], **ballot})
            continue
        house, answer = ballot
        rows.append({"house": house, "item": 1, "channel": "online", "seq": n,
                     "choice": answer if isinstance(answer, str) else "",
                     "options": [] if isinstance(answer, str) else list(answer)})
    return {"rules": {**NATIONAL, **rules}, "rule_set": "national", "items": items, "roll": roll(*houses),
            "ballots": rows, "fund_scope": fund_scope, "non_voter_clause": ""}

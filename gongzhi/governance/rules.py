"""The rule set of owners' votes (DOMAIN.md "Owners' votes"; Civil Code art. 278), read from the estate's
jurisdiction profile and local overrides (``gongzhi.estate.jurisdiction``) and frozen on the vote when it opens.

The exact comparisons themselves (``Threshold``) live in ``count.py``, the standalone recount engine, so that the
file owners download applies the very same arithmetic; they are re-exported here for the Django side."""

from dataclasses import asdict, dataclass
from fractions import Fraction

from .count import Threshold, threshold_for

__all__ = ["Threshold", "VoteRules", "approval_threshold", "assembly_request_reached", "participation_threshold",
           "rules_for"]

# The estate rule keys that make up a vote's rule set (jurisdiction.py names), by VoteRules field.
RULE_KEYS = {
    "participation_area": "vote.participation_area",
    "participation_heads": "vote.participation_heads",
    "simple_majority": "vote.simple_majority",
    "special_majority": "vote.special_majority",
    "fund_two_thirds": "fund.use_needs_two_thirds_of_scope",
    "non_voters_follow_majority": "vote.non_voters_follow_majority",
    "written_overrides_online": "vote.written_ballot_overrides_online",
    "parking_spaces_count": "vote.parking_spaces_count",
}
FRACTION_FIELDS = ("participation_area", "participation_heads", "simple_majority", "special_majority")


@dataclass(frozen=True)
class VoteRules:
    participation_area: Fraction  # vote.participation_area "2/3"
    participation_heads: Fraction  # vote.participation_heads "2/3"
    simple_majority: Fraction  # vote.simple_majority "1/2" (approval: MORE THAN this share)
    special_majority: Fraction  # vote.special_majority "3/4" (matters 6, 7, 8: AT LEAST this share)
    fund_two_thirds: bool  # fund.use_needs_two_thirds_of_scope
    non_voters_follow_majority: bool
    written_overrides_online: bool
    parking_spaces_count: bool

    def as_json(self) -> dict:
        """Fractions as "2/3" strings: exact and JSON-serialisable (never floats)."""
        data = asdict(self)
        for name in FRACTION_FIELDS:
            data[name] = _fraction_text(data[name])
        return data

    @classmethod
    def from_json(cls, data: dict) -> "VoteRules":
        values = {}
        for name in RULE_KEYS:
            value = data[name]
            values[name] = Fraction(value) if name in FRACTION_FIELDS else bool(value)
        return cls(**values)


def _fraction_text(value: Fraction) -> str:
    value = Fraction(value)
    return f"{value.numerator}/{value.denominator}"


def _rules_from_settings(settings: dict) -> VoteRules:
    return VoteRules.from_json({name: settings[key] for name, key in RULE_KEYS.items()})


def rules_for(estate) -> tuple[str, VoteRules]:
    """(rule_set label, rules): the estate's jurisdiction profile name, suffixed "+local" when the estate overrides
    any of the vote rule keys (RULE_KEYS: vote.* counting rules, fund.use_needs_two_thirds_of_scope) with a different
    value; values via estate.rules()."""
    from gongzhi.estate.jurisdiction import JURISDICTION_PROFILES

    profile = JURISDICTION_PROFILES[estate.jurisdiction]["rules"]
    overrides = estate.rule_overrides or {}
    # Only the keys that change how votes are counted mark the rule set (not, say, the reminder interval).
    local = any(key in overrides and overrides[key] != profile.get(key) for key in RULE_KEYS.values())
    label = f"{estate.jurisdiction}+local" if local else estate.jurisdiction
    return label, _rules_from_settings(estate.rules())


def approval_threshold(matter: str, rules: VoteRules, *, fund_scope: bool) -> Threshold:
    """Matters (6) fund_raise, (7) rebuild, (8) common_use: at least special_majority of the participating area and
    heads; the others: more than simple_majority. Matter (5) fund_use voted by a fund project's charge scope when
    rules.fund_two_thirds: at least 2/3 of the scope's TOTAL area and heads (base "total")."""
    return threshold_for(matter, rules.as_json(), fund_scope=fund_scope)


def participation_threshold(rules: VoteRules) -> tuple[Threshold, Threshold]:
    """Area and heads: at least 2/3 (the rule set's floors) of the total, both measures always (art. 278)."""
    return (Threshold(Fraction(rules.participation_area), False, "total"),
            Threshold(Fraction(rules.participation_heads), False, "total"))


def assembly_request_reached(*, area_signed_cents: int, area_total_cents: int, heads_signed: int, heads_total: int,
                             estate) -> bool:
    """A temporary assembly may be requested by owners holding at least 20 % of the area AND 20 % of the headcount
    (assembly.request_area / assembly.request_heads, DOMAIN.md)."""
    settings = estate.rules()
    area = Threshold(Fraction(settings["assembly.request_area"]), False, "total")
    heads = Threshold(Fraction(settings["assembly.request_heads"]), False, "total")
    return area.met(area_signed_cents, area_total_cents) and heads.met(heads_signed, heads_total)

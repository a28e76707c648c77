"""The evaluation's formulas (stated on the owners' page with their inputs). Every score is 0-100, computed with
fractions and rounded once to 2 places:

- a satisfaction question on the 1-5 scale: (average − 1) ÷ 4 × 100 (1 → 0, 3 → 50, 5 → 100);
- an NPS question: (NPS + 100) ÷ 2 (−100 → 0, 0 → 50, +100 → 100);
- tickets resolved within the SLA: resolved within SLA ÷ resolved with an SLA target × 100;
- the average ticket rating (1-5): (average − 1) ÷ 4 × 100;
- tickets not reopened: (1 − reopened ÷ resolved) × 100;
- an item: the weighted mean of its measures that have data (survey weight, ticket weight); no data: no score;
- overall: the weighted mean of the items that have a score (the items' weights).
"""

from fractions import Fraction

from .choices import QuestionKind, TicketMeasure

HUNDRED = Fraction(100)


def scale_score(total: int, count: int) -> Fraction | None:
    return None if not count else (Fraction(total, count) - 1) / 4 * HUNDRED


def nps_score(promoters: int, detractors: int, count: int) -> Fraction | None:
    return None if not count else (Fraction((promoters - detractors) * 100, count) + 100) / 2


def survey_measure(kind: str, values: list[int]) -> tuple[Fraction | None, dict]:
    n = len(values)
    if kind == QuestionKind.SCALE:
        total = sum(values)
        return scale_score(total, n), {"answers": n, "average": Fraction(total, n) if n else None}
    if kind == QuestionKind.NPS:
        promoters = sum(1 for v in values if v >= 9)
        detractors = sum(1 for v in values if v <= 6)
        return nps_score(promoters, detractors, n), {
            "answers": n, "promoters": promoters, "detractors": detractors,
            "nps": Fraction((promoters - detractors) * 100, n) if n else None}
    return None, {"answers": n}


def ticket_measure(measure: str, tally) -> tuple[Fraction | None, dict]:
    if measure == TicketMeasure.SLA:
        whole = tally.resolution_targeted
        return (None if not whole else Fraction(tally.within_sla, whole) * HUNDRED,
                {"within_sla": tally.within_sla, "with_target": whole})
    if measure == TicketMeasure.RATING:
        return scale_score(tally.rating_total, tally.rating_count), {
            "ratings": tally.rating_count,
            "average": Fraction(tally.rating_total, tally.rating_count) if tally.rating_count else None}
    if measure == TicketMeasure.REOPEN:
        whole = tally.resolved
        return (None if not whole else (1 - Fraction(tally.reopened, whole)) * HUNDRED,
                {"reopened": tally.reopened, "resolved": whole})
    return None, {}


def weighted(pairs: list[tuple[int, Fraction | None]]) -> Fraction | None:
    """The weighted mean of the scores that exist (weight 0 leaves a measure out)."""
    present = [(w, s) for w, s in pairs if s is not None and w > 0]
    weight = sum(w for w, _s in present)
    return None if not weight else sum(w * s for w, s in present) / weight

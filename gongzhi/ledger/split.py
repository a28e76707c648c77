"""Splitting an amount over houses by area (Civil Code art. 283: costs and income are shared by area when nothing
else is agreed), exact to the fen.

The remainder rule (largest remainder): every house first gets its exact share rounded DOWN to the fen; the fen
left over (fewer than the number of houses) go one each to the houses with the largest dropped fractions; equal
fractions go to the larger area first, then to the lower house id. So the shares always add up to the amount
exactly, no share differs from its exact value by a fen or more, and the result does not depend on the order the
houses are given in.
"""

from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal

FEN = Decimal("0.01")


def split_by_weight(amount: Decimal, weights: Iterable[tuple[int, Decimal]]) -> dict[int, Decimal]:
    """``amount`` (yuan, at most two decimals, ≥ 0) split over ``weights`` ((house id, area) pairs, areas > 0)
    by the remainder rule above. Returns house id → share."""
    weights = [(key, Decimal(w)) for key, w in weights]
    if not weights:
        raise ValueError("nothing to split over")
    if any(w <= 0 for _k, w in weights):
        raise ValueError("every weight must be positive")
    amount = Decimal(amount)
    if amount < 0 or amount != amount.quantize(FEN):
        raise ValueError("the amount must be a non-negative number of fen")
    total_fen = int(amount / FEN)
    total_weight = sum(w for _k, w in weights)
    shares: dict[int, int] = {}
    remainders = []
    for key, weight in weights:
        exact = Decimal(total_fen) * weight / total_weight  # in fen
        whole = int(exact.to_integral_value(rounding=ROUND_DOWN))
        shares[key] = whole
        remainders.append((exact - whole, weight, key))
    left = total_fen - sum(shares.values())
    for _fraction, _weight, key in sorted(remainders, key=lambda r: (-r[0], -r[1], r[2]))[:left]:
        shares[key] += 1
    return {key: Decimal(fen) * FEN for key, fen in shares.items()}

"""Exact arithmetic for results and scores: fractions all the way, rounded once, half away from zero (Decimal's
ROUND_HALF_UP), at the end."""

from decimal import Decimal
from fractions import Fraction


def to_decimal(value: Fraction | int | None, places: int = 2) -> Decimal | None:
    if value is None:
        return None
    value = Fraction(value)
    scaled = abs(value) * 10**places
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return (Decimal(-whole if value < 0 else whole)).scaleb(-places)


def percent(part: int, whole: int, places: int = 1) -> Decimal | None:
    return None if not whole else to_decimal(Fraction(part * 100, whole), places)

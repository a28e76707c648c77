"""Cell values as people type them, parsed into registry values. Each parser raises InvalidValue with a
translatable reason; full-width characters and stray spaces are normalised, never rejected."""

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from gongzhi.core.normalize import clean_compact, clean_text

from ..validators import InvalidValue


class BadCell(InvalidValue):
    """InvalidValue with named placeholders, rendered later in each product language."""

    def __init__(self, reason: Any, **params: Any):
        super().__init__(reason)
        self.params = params


CENT = Decimal("0.01")
SHARE_STEP = Decimal("0.0001")
MAX_AREA = Decimal("100000000")

_TRUE = {"1", "true", "yes", "y", "t", "是", "√", "✓", "✔", "对", "有"}
_FALSE = {"0", "false", "no", "n", "f", "否", "×", "✗", "✘", "不是", "无"}
_AREA_UNIT = re.compile(r"(m2|平方米|平米)$", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def text(value: Any) -> str:
    """Any cell as normalised text: integral floats (Excel keeps every number as a float) lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and value.isascii() and value.isprintable() and value.strip() == value \
            and "  " not in value:
        return value  # already clean: NFKC changes no ASCII and there is no space to fold
    return clean_text(value)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and (not value or value.isspace()))


def parse_area(value: Any) -> Decimal:
    raw = _AREA_UNIT.sub("", clean_compact(text(value)))
    try:
        area = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise InvalidValue(_("not a number")) from None
    if not area.is_finite():
        raise InvalidValue(_("not a number"))
    if area >= MAX_AREA:
        raise InvalidValue(_("is too large"))
    area = area.quantize(CENT, rounding=ROUND_HALF_UP)
    if area <= 0:
        raise InvalidValue(_("must be greater than 0"))
    return area


def parse_int(value: Any, low: int, high: int) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise InvalidValue(_("not a whole number"))
    raw = clean_compact(text(value)).removesuffix("层").removesuffix("楼").removesuffix("F").removesuffix("f")
    if not re.fullmatch(r"[+-]?\d+", raw):
        raise InvalidValue(_("not a whole number"))
    number = int(raw)
    if not low <= number <= high:
        raise BadCell(_("must be between %(low)s and %(high)s"), low=low, high=high)
    return number


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = clean_compact(text(value)).lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise InvalidValue(_("write yes or no (是 or 否)"))


def parse_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        raw = clean_compact(text(value))
        for fmt in _DATE_FORMATS:
            try:
                day = datetime.datetime.strptime(raw, fmt).date()
                break
            except ValueError:
                continue
        else:
            raise InvalidValue(_("not a date; write it as 2024-03-01"))
    if not datetime.date(1900, 1, 1) <= day <= datetime.date(2100, 12, 31):
        raise InvalidValue(_("the date is out of range"))
    return day


def parse_share(value: Any) -> Decimal:
    """0.5, 50% or 1/2 → Decimal('0.5000'); more than 0 and at most 1."""
    raw = clean_compact(text(value))
    try:
        if raw.endswith("%"):
            share = Decimal(raw[:-1]) / 100
        elif "/" in raw:
            fraction = Fraction(raw)
            share = Decimal(fraction.numerator) / Decimal(fraction.denominator)
        else:
            share = Decimal(raw)
    except (InvalidOperation, ValueError, ZeroDivisionError):
        # xgettext:no-python-format
        raise InvalidValue(_("not a share; write it as 0.5, 50% or 1/2")) from None
    if not share.is_finite():
        # xgettext:no-python-format
        raise InvalidValue(_("not a share; write it as 0.5, 50% or 1/2"))
    share = share.quantize(SHARE_STEP, rounding=ROUND_HALF_UP)
    if not 0 < share <= 1:
        raise InvalidValue(_("a share must be more than 0 and at most 1"))
    return share


class ChoiceReader:
    """Accepts a choice by its code ('owner') or its label in either product language ('Owner', '业主')."""

    def __init__(self, choices: type[models.TextChoices]):
        self.choices = choices
        self.lookup: dict[str, str] = {}
        for language in ("en", "zh-hans"):
            with translation.override(language):
                for code, label in choices.choices:
                    self.lookup.setdefault(self.key(str(label)), code)
        for code in choices.values:
            self.lookup[self.key(code)] = code

    @staticmethod
    def key(value: str) -> str:
        return re.sub(r"[\s_\-]+", "", clean_text(value).lower())

    def __call__(self, value: Any) -> str:
        code = self.lookup.get(value) if isinstance(value, str) else None
        if code is not None:
            return code
        code = self.lookup.get(self.key(text(value)))
        if code is None:
            raise BadCell(_("is not one of the allowed values: %(values)s"), values=", ".join(self.choices.values))
        return code

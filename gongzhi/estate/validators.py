"""Identifiers people type: mainland mobile numbers, ID numbers (GB 11643), plates, house references.

Each ``parse_*`` function returns the normalised value or raises ``InvalidValue`` with a translatable reason.
"""

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from gongzhi.core.normalize import clean_compact, clean_text

from .choices import IdType, VehicleKind


class InvalidValue(ValueError):
    def __init__(self, reason):
        self.reason = reason
        super().__init__(str(reason))


# --- mobile -------------------------------------------------------------------------------------------------
# Mainland mobile numbers: 11 digits, 1 then 3–9 (MIIT numbering plan). A +86 / 0086 prefix is dropped.
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def parse_mobile(value: object) -> str:
    text = clean_compact(value).replace("-", "")
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    if not _MOBILE.match(text):
        raise InvalidValue(_("not a mainland mobile number (11 digits starting with 13–19)"))
    return text


# --- ID numbers ---------------------------------------------------------------------------------------------
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")


def id_checksum(first17: str) -> str:
    """GB 11643-1999 check character: ISO 7064 MOD 11-2 over the first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def parse_id_number(value: object, id_type: str = IdType.RESIDENT_ID) -> str:
    text = clean_compact(value).upper()
    if id_type != IdType.RESIDENT_ID:
        if not _PASSPORT.match(text):
            raise InvalidValue(_("not a valid passport or permit number (5–20 letters and digits)"))
        return text
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise InvalidValue(_("a resident ID number has 18 characters: 17 digits and a digit or X"))
    try:
        birth = datetime.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise InvalidValue(_("the date of birth in the ID number is not a real date")) from None
    if not datetime.date(1900, 1, 1) <= birth <= datetime.date.today():
        raise InvalidValue(_("the date of birth in the ID number is out of range"))
    if id_checksum(text[:17]) != text[17]:
        raise InvalidValue(_("the check digit of the ID number is wrong"))
    return text


# --- plates -------------------------------------------------------------------------------------------------
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_SERIAL = "[A-HJ-NP-Z0-9]"  # I and O are not used, to avoid confusion with 1 and 0 (GA 36).
_ORDINARY = re.compile(rf"^[{PROVINCES}][A-Z]{_SERIAL}{{4}}[A-HJ-NP-Z0-9挂学警港澳领]$")
# New-energy plates (GA 36-2018): small cars D/F then 5 characters; large vehicles 5 digits then D/F.
_NEW_ENERGY = re.compile(rf"^[{PROVINCES}][A-Z](?:[DF][A-HJ-NP-Z0-9]\d{{4}}|\d{{5}}[DF])$")


def parse_plate(value: object) -> tuple[str, str]:
    """The plate in canonical form (upper case, no spaces or dots) and its kind."""
    text = clean_compact(value).upper().replace("·", "").replace(".", "").replace("-", "")
    if len(text) == 8 and _NEW_ENERGY.match(text):
        return text, VehicleKind.NEW_ENERGY
    if len(text) == 7 and _ORDINARY.match(text):
        return text, VehicleKind.ORDINARY
    raise InvalidValue(_("not a mainland plate (7 characters, or 8 for a new-energy plate, e.g. 京A12345)"))


# --- house references ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HouseRef:
    building: str
    unit: str
    number: str


_SPACED_SEPARATOR = re.compile(r"\s*([-/])\s*")
_HOUSE_SEPARATED = re.compile(r"^([0-9A-Z]+)[-/ ]([0-9A-Z]+)[-/ ]([0-9A-Z]+)$")
_HOUSE_WRITTEN = re.compile(
    r"^([0-9A-Z]+)\s*(?:号楼|号|栋|幢|座|楼)\s*([0-9A-Z]+)\s*(?:单元|门)\s*([0-9A-Z]+)\s*(?:室|号|房)?$"
)


def strip_label(value: object, *suffixes: str) -> str:
    """'3栋' → '3', '2单元' → '2', '1502室' → '1502': the bare name people and files mix with labels."""
    text = clean_compact(value).upper()
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


BUILDING_SUFFIXES = ("号楼", "号", "栋", "幢", "座", "楼")
UNIT_SUFFIXES = ("单元", "门")
NUMBER_SUFFIXES = ("室", "号", "房")


def parse_house_ref(value: object) -> HouseRef | None:
    """'3-2-1502', '3栋2单元1502', '3号楼2单元1502室' → HouseRef('3', '2', '1502'); None if it is not one."""
    text = _SPACED_SEPARATOR.sub(r"\1", clean_text(value).upper())  # '3 - 2 - 1502' as typed in a hurry
    if m := _HOUSE_SEPARATED.match(text) or _HOUSE_WRITTEN.match(text):
        return HouseRef(*(part.lstrip("0") or "0" for part in m.groups()[:2]), m.group(3))
    return None

"""The registry file format: three sheets (houses, residents, vehicles) and their bilingual column headers.

The template, the importer and the export all read this one description, so that a file exported today imports
tomorrow. Headers are matched loosely: "楼栋 building", "楼栋", "building" and "Building" all name the same column;
full-width characters, spaces, underscores, brackets and a trailing unit (m², ㎡) are ignored.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gongzhi.core.normalize import clean_text

from ..choices import AreaSource, HouseKind, HouseStatus, IdType, ResidencyKind

HOUSES = "houses"
RESIDENTS = "residents"
VEHICLES = "vehicles"
KINDS = (HOUSES, RESIDENTS, VEHICLES)

# The parts of a house reference shared by the residents and vehicles sheets.
HOUSE_PARTS = ("building", "unit", "number")

_NOISE = re.compile(r"[\s_\-()\[\]{}【】（）<>《》:：*＊#.,，、/\\'\"]+")
_UNIT_SUFFIX = re.compile(r"(m2|平方米|平米)$")


def normalise_header(value: Any) -> str:
    """'建筑面积 Building area (m²)' → '建筑面积buildingarea'."""
    text = _NOISE.sub("", clean_text(value).lower())
    return _UNIT_SUFFIX.sub("", text) or text


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    help: Promise
    required: bool = False
    choices: type[models.TextChoices] | None = None
    example: str = ""
    aliases: tuple[str, ...] = ()
    width: int = 14

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}"

    def names(self) -> set[str]:
        """Every normalised spelling that names this column."""
        spellings = {self.header, self.zh, self.en, self.key, *self.aliases}
        return {normalise_header(s) for s in spellings} - {""}


@dataclass(frozen=True)
class SheetSpec:
    kind: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    help: Promise
    # Residents and vehicles name their house either with the three columns building / unit / number or with one
    # "house" column such as 3-2-1502.
    house_ref: str = "none"  # "none", "required" or "optional"
    aliases: tuple[str, ...] = field(default=())

    @property
    def title(self) -> str:
        return f"{self.zh} {self.en}"

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def header_index(self) -> dict[str, Column]:
        index: dict[str, Column] = {}
        for column in self.columns:
            for name in column.names():
                index.setdefault(name, column)
        return index

    def title_names(self) -> set[str]:
        return {normalise_header(s) for s in (self.title, self.zh, self.en, self.kind, *self.aliases)}


_BUILDING = Column("building", "楼栋", "building", _("The building as written on it: 3, 3栋 or A座."),
                   required=True, example="3", aliases=("楼号", "楼栋号", "栋号", "楼"), width=10)
_UNIT = Column("unit", "单元", "unit", _("The unit (entrance) within the building: 2 or 2单元."),
               required=True, example="2", aliases=("单元号",), width=10)
_NUMBER = Column("number", "房号", "number", _("The house number within the unit: 1502 or 1502室."),
                 required=True, example="1502", aliases=("房间号", "门牌号", "室号", "house number", "room"), width=10)
_HOUSE = Column("house", "房屋", "house",
                _("Instead of the three columns building / unit / number: the house as people write it, "
                  "3-2-1502 or 3栋2单元1502."),
                example="3-2-1502", aliases=("房屋编号", "房号全称", "house code"), width=14)


def _ref(column: Column, required: bool) -> Column:
    return Column(column.key, column.zh, column.en, column.help, required=required, example=column.example,
                  aliases=column.aliases, width=column.width)


HOUSES_SHEET = SheetSpec(
    kind=HOUSES, zh="房屋", en="houses",
    help=_("One row per house. A house is identified by building, unit and number; importing it again updates it."),
    columns=(
        _BUILDING, _UNIT, _NUMBER,
        Column("floor", "楼层", "floor", _("A whole number; negative for basements."), example="15",
               aliases=("层",), width=8),
        Column("kind", "类型", "kind", _("The use of the house; residential when empty."), choices=HouseKind,
               example=HouseKind.RESIDENTIAL, aliases=("房屋类型", "用途", "house kind"), width=12),
        Column("area_m2", "建筑面积", "building area (m²)",
               _("The building area in square metres, greater than 0, at most two decimals."), required=True,
               example="89.50", aliases=("面积", "area"), width=20),
        Column("inner_area_m2", "套内面积", "inner area (m²)",
               _("The inner (exclusive) area in square metres; not more than the building area."),
               example="72.30", aliases=("套内建筑面积", "专有面积", "inner area"), width=18),
        Column("area_source", "面积来源", "area source",
               _("Where the area comes from: the property register, a survey or the purchase contract; "
                 "contract when empty."), choices=AreaSource, example=AreaSource.REGISTER, width=14),
        Column("status", "状态", "status", _("Delivered when empty."), choices=HouseStatus,
               example=HouseStatus.OCCUPIED, aliases=("房屋状态",), width=12),
        Column("developer_held", "开发商持有", "developer held",
               _("Yes if the developer still holds the house (unsold or undelivered); no when empty."),
               example="否", aliases=("开发商", "developer"), width=14),
    ),
)

RESIDENTS_SHEET = SheetSpec(
    kind=RESIDENTS, zh="住户", en="residents", house_ref="required",
    help=_("One row per person and house. The house must be in the registry or in the houses sheet of the same "
           "file. A person is identified by the ID number, or else by mobile number and name."),
    aliases=("业主", "owners", "persons", "人员"),
    columns=(
        _BUILDING, _UNIT, _NUMBER, _HOUSE,
        Column("name", "姓名", "name", _("The person's full name."), required=True, example="张三",
               aliases=("住户姓名", "业主姓名"), width=10),
        Column("mobile", "手机", "mobile",
               _("A mainland mobile number, 11 digits. Either the mobile number or the ID number is required."),
               example="13812345678", aliases=("手机号", "手机号码", "联系电话", "电话", "mobile number", "phone"),
               width=14),
        Column("id_type", "证件类型", "ID type", _("Resident ID card when empty."), choices=IdType,
               example=IdType.RESIDENT_ID, aliases=("id type",), width=12),
        Column("id_number", "证件号码", "ID number",
               _("An 18-character resident ID number (GB 11643, the check digit is verified), or a passport or "
                 "permit number with the ID type set accordingly."),
               example="11010519491231002X", aliases=("身份证号", "身份证号码", "身份证", "id", "id no"), width=22),
        Column("kind", "身份", "relation", _("How the person belongs to the house."), required=True,
               choices=ResidencyKind, example=ResidencyKind.OWNER,
               aliases=("类型", "关系", "住户类型", "kind", "residency kind"), width=12),
        Column("share", "份额", "share",
               # xgettext:no-python-format
               _("Co-owners only: the fraction of the house they own, as 0.5, 50% or 1/2. The shares of one house "
                 "may not add up to more than 1."),
               example="", aliases=("产权份额", "共有份额", "ownership share"), width=8),
        Column("is_representative", "投票代表", "voting representative",
               _("Yes for the one owner who votes for the house; no when empty."), example="是",
               aliases=("代表", "representative"), width=12),
        Column("start_date", "起始日期", "from", _("The date the person moved in or bought: 2024-03-01; today when "
                                                "empty."), example="2020-01-01",
               aliases=("入住日期", "开始日期", "start date", "since"), width=12),
    ),
)

VEHICLES_SHEET = SheetSpec(
    kind=VEHICLES, zh="车辆", en="vehicles", house_ref="optional",
    help=_("One row per vehicle, identified by its plate. The owner must be in the registry or in the residents "
           "sheet of the same file."),
    aliases=("车牌", "cars", "plates"),
    columns=(
        Column("plate", "车牌", "plate", _("A mainland plate: 7 characters, 8 for a new-energy plate."),
               required=True, example="京A12345", aliases=("车牌号", "车牌号码", "plate number"), width=12),
        _ref(_BUILDING, False), _ref(_UNIT, False), _ref(_NUMBER, False), _HOUSE,
        Column("owner_name", "车主", "owner name", _("The owner's name, as in the residents sheet."),
               example="张三", aliases=("车主姓名", "姓名", "name", "owner"), width=10),
        Column("owner_mobile", "车主手机", "owner mobile", _("The owner's mobile number (or give the ID number)."),
               example="13812345678", aliases=("手机", "手机号", "mobile", "车主电话"), width=14),
        Column("owner_id_type", "车主证件类型", "owner ID type", _("Resident ID card when empty."), choices=IdType,
               example="", aliases=("证件类型", "id type"), width=14),
        Column("owner_id_number", "车主证件号码", "owner ID number", _("The owner's ID number (or give the mobile)."),
               example="", aliases=("证件号码", "身份证号", "id number"), width=22),
    ),
)

SHEETS: dict[str, SheetSpec] = {s.kind: s for s in (HOUSES_SHEET, RESIDENTS_SHEET, VEHICLES_SHEET)}

NOTES_TITLE = "说明 notes"
NOTES_NAMES = {normalise_header(s) for s in (NOTES_TITLE, "说明", "notes", "readme", "填写说明", "instructions")}

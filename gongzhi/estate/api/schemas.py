from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema


class EstateOut(Schema):
    id: int
    name: str
    company: str
    address: str
    city_code: str
    jurisdiction: str
    roles: list[str] = []


class EstateDetailOut(EstateOut):
    rules: dict


class BuildingOut(Schema):
    id: int
    name: str
    floors: int | None
    unit_count: int
    house_count: int


class UnitOut(Schema):
    id: int
    building_id: int
    name: str
    floors: int | None
    has_elevator: bool
    house_count: int


class BuildingDetailOut(Schema):
    id: int
    name: str
    floors: int | None
    units: list[UnitOut]


class HouseOut(Schema):
    id: int
    code: str = Field(..., examples=["3-2-1502"])
    building_id: int
    building: str
    unit_id: int
    unit: str
    number: str
    floor: int | None
    kind: str
    area_m2: Decimal
    inner_area_m2: Decimal | None
    area_source: str
    status: str
    developer_held: bool


class HousePage(Schema):
    items: list[HouseOut]
    next_cursor: str | None


class PersonOut(Schema):
    id: int
    name: str
    mobile: str = Field(..., description="Masked (138****1234) for roles that do not need the full number")
    id_type: str
    id_number: str = Field(..., description="Masked (110***********1234) except for managers")
    has_login: bool


class PersonPage(Schema):
    items: list[PersonOut]
    next_cursor: str | None


class ResidencyOut(Schema):
    id: int
    house_id: int
    house_code: str
    person: PersonOut
    kind: str
    share: Decimal | None
    is_representative: bool
    start_date: date | None
    end_date: date | None
    current: bool


class VehicleOut(Schema):
    id: int
    plate: str
    kind: str
    person_id: int | None
    person_name: str | None
    house_id: int | None
    house_code: str | None
    ended_at: datetime | None


class VehiclePage(Schema):
    items: list[VehicleOut]
    next_cursor: str | None


class SpaceOut(Schema):
    id: int
    lot_id: int
    lot: str
    number: str
    kind: str
    status: str
    holder_name: str | None
    house_code: str | None
    area_m2: Decimal | None


class SpacePage(Schema):
    items: list[SpaceOut]
    next_cursor: str | None


class LotOut(Schema):
    id: int
    name: str
    kind: str
    on_common_land: bool
    space_count: int
    free_count: int


class HouseDetailOut(HouseOut):
    residencies: list[ResidencyOut]
    vehicles: list[VehicleOut]
    parking_spaces: list[SpaceOut]


class PersonDetailOut(PersonOut):
    residencies: list[ResidencyOut]
    vehicles: list[VehicleOut]


class SearchOut(Schema):
    houses: list[HouseOut]
    persons: list[PersonOut]
    vehicles: list[VehicleOut]


class HouseIn(Schema):
    building: str = Field(..., examples=["3"])
    unit: str = Field(..., examples=["2"])
    number: str = Field(..., examples=["1502"])
    floor: int | None = Field(None, examples=[15])
    kind: str = Field("residential", examples=["residential"])
    area_m2: Decimal = Field(..., examples=["118.50"])
    inner_area_m2: Decimal | None = Field(None, examples=["96.20"])
    area_source: str = Field("contract", examples=["register"])
    status: str = Field("delivered", examples=["occupied"])
    developer_held: bool = False


class HousePatch(Schema):
    number: str | None = None
    floor: int | None = None
    kind: str | None = None
    area_m2: Decimal | None = None
    inner_area_m2: Decimal | None = None
    area_source: str | None = None
    status: str | None = None
    developer_held: bool | None = None


class PersonIn(Schema):
    name: str = Field(..., examples=["张伟"])
    mobile: str = Field("", examples=["13800138000"])
    id_type: str = Field("resident_id", examples=["resident_id"])
    id_number: str = Field("", examples=["11010519491231002X"])


class PersonPatch(Schema):
    name: str | None = None
    mobile: str | None = None
    id_type: str | None = None
    id_number: str | None = None


class ResidencyIn(Schema):
    house_id: int
    person_id: int
    kind: str = Field(..., examples=["owner"])
    share: Decimal | None = Field(None, examples=["0.5"])
    is_representative: bool = False
    start_date: date | None = None


class ResidencyEndIn(Schema):
    end_date: date | None = None


class OwnerChangeIn(Schema):
    new_owner_ids: list[int]
    on: date | None = None


class VehicleIn(Schema):
    plate: str = Field(..., examples=["京A12345", "沪AD12345"])
    person_id: int | None = None
    house_id: int | None = None
